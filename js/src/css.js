// CSS `url(...)` values: the one URL inside loadFontFace's `source`, every
// url(...) of a component's `style`, and how an href goes back into one.
// Positions are found by indexing and substrings taken once with the
// captured String.prototype.slice: nothing is copied character by character
// (./targets.js has measured the value's size before any of this runs).

import { slice, append, freeze } from './safe.js';

function isSpace(c) {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
}

function isU(s, i) {
  return s.length - i >= 4 && (s[i] === 'u' || s[i] === 'U') && (s[i + 1] === 'r' || s[i + 1] === 'R') && (s[i + 2] === 'l' || s[i + 2] === 'L') && s[i + 3] === '(';
}

/**
 * One `url(` argument starting at `i` (just past `url(`): `{ url, end }`
 * with `end` just past the closing `)`, or null when it is not plain
 * (escapes, a newline in a string, an unterminated value).
 */
function urlArgument(s, i) {
  const n = s.length;
  while (i < n && isSpace(s[i])) i++;
  if (s[i] === '"' || s[i] === '\'') {
    const q = s[i++];
    const start = i;
    while (i < n && s[i] !== q) {
      if (s[i] === '\\' || s[i] === '\n') return null;
      i++;
    }
    if (i >= n) return null;
    const url = slice(s, start, i);
    i++;
    while (i < n && isSpace(s[i])) i++;
    if (s[i] !== ')') return null;
    return { __proto__: null, url, end: i + 1 };
  }
  const start = i;
  while (i < n && s[i] !== ')') {
    const c = s[i];
    if (c === '\\' || c === '"' || c === '\'' || c === '(' || isSpace(c)) return null;
    i++;
  }
  if (i >= n) return null;
  return { __proto__: null, url: slice(s, start, i), end: i + 1 };
}

/**
 * The URL of a CSS value that is exactly one `url(...)` (quoted or not,
 * optionally followed by `format(...)` hints, which are dropped), or a bare
 * URL (no `url(`): { url, bare }. null when the value is anything else
 * (several sources, escapes, comments): such a value is checked as the empty
 * string, so guard-core answers it `invalid_url`.
 */
export function cssUrl(s) {
  let i = 0;
  const n = s.length;
  while (i < n && isSpace(s[i])) i++;
  if (!isU(s, i)) {
    for (let k = 0; k < n; k++) if (s[k] === '(' || s[k] === ')' || s[k] === '\\' || s[k] === '"' || s[k] === '\'') return null;
    let end = n;
    while (end > i && isSpace(s[end - 1])) end--;
    return { __proto__: null, url: slice(s, i, end), bare: true };
  }
  const arg = urlArgument(s, i + 4);
  if (arg === null) return null;
  // Only whitespace and format(...) hints may follow.
  for (i = arg.end; i < n; i++) {
    if (isSpace(s[i])) continue;
    if (n - i >= 7 && s[i] === 'f' && s[i + 1] === 'o' && s[i + 2] === 'r' && s[i + 3] === 'm' && s[i + 4] === 'a' && s[i + 5] === 't' && s[i + 6] === '(') {
      i += 7;
      while (i < n && s[i] !== ')') { if (s[i] === '\\' || s[i] === '(') return null; i++; }
      if (i >= n) return null;
      continue;
    }
    return null;
  }
  return { __proto__: null, url: arg.url, bare: false };
}

/**
 * A declaration list (a `style` attribute) cut into its text and its
 * url(...) arguments: [{ text } | { url }], in order. null when a URL could
 * hide from this reading: an escape (`\`, which can spell `url(` or a
 * quote), an `image-set(` (whose strings are URLs without `url(`), or a
 * url(...) that is not plain.
 */
export function styleUrls(s) {
  const n = s.length;
  for (let k = 0; k < n; k++) if (s[k] === '\\') return null;
  const parts = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    if ((s[i] === 'i' || s[i] === 'I') && n - i >= 10 && lowerEq(s, i, 'image-set(')) return null;
    if (!isU(s, i) || (i > 0 && isIdent(s[i - 1]))) continue;
    const arg = urlArgument(s, i + 4);
    if (arg === null) return null;
    append(parts, freeze({ __proto__: null, text: slice(s, at, i) }));
    append(parts, freeze({ __proto__: null, url: arg.url }));
    at = arg.end;
    i = arg.end - 1;
  }
  append(parts, freeze({ __proto__: null, text: slice(s, at, n) }));
  return parts;
}

function isIdent(c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_';
}

function lowerEq(s, i, word) {
  for (let k = 0; k < word.length; k++) {
    const c = s[i + k];
    const l = c >= 'A' && c <= 'Z' ? 'abcdefghijklmnopqrstuvwxyz'[upperIndex(c)] : c;
    if (l !== word[k]) return false;
  }
  return true;
}

function upperIndex(c) {
  const U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let k = 0; k < U.length; k++) if (U[k] === c) return k;
  return 0;
}

/** An href inside a double-quoted CSS string. */
export function cssEscape(h) {
  let out = '';
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    out += c === '\\' || c === '"' ? `\\${c}` : c;
  }
  return out;
}
