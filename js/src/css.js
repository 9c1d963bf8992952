// CSS `url(...)` values: the one URL inside loadFontFace's `source` (and,
// for components, inside a `style`), and how an href goes back into one.
// String indexing only: nothing here calls a String.prototype method.

function isSpace(c) {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
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
  if (!(n - i >= 4 && (s[i] === 'u' || s[i] === 'U') && (s[i + 1] === 'r' || s[i + 1] === 'R') && (s[i + 2] === 'l' || s[i + 2] === 'L') && s[i + 3] === '(')) {
    for (let k = 0; k < n; k++) if (s[k] === '(' || s[k] === ')' || s[k] === '\\' || s[k] === '"' || s[k] === '\'') return null;
    let end = n;
    while (end > i && isSpace(s[end - 1])) end--;
    let url = '';
    for (let k = i; k < end; k++) url += s[k];
    return { __proto__: null, url, bare: true };
  }
  i += 4;
  while (i < n && isSpace(s[i])) i++;
  let url = '';
  if (s[i] === '"' || s[i] === '\'') {
    const q = s[i++];
    while (i < n && s[i] !== q) {
      if (s[i] === '\\' || s[i] === '\n') return null;
      url += s[i++];
    }
    if (i >= n) return null;
    i++;
    while (i < n && isSpace(s[i])) i++;
    if (s[i] !== ')') return null;
  } else {
    while (i < n && s[i] !== ')') {
      const c = s[i];
      if (c === '\\' || c === '"' || c === '\'' || c === '(' || isSpace(c)) return null;
      url += s[i++];
    }
    if (i >= n) return null;
  }
  i++;
  // Only whitespace and format(...) hints may follow.
  for (; i < n; i++) {
    const c = s[i];
    if (isSpace(c)) continue;
    if (n - i >= 7 && s[i] === 'f' && s[i + 1] === 'o' && s[i + 2] === 'r' && s[i + 3] === 'm' && s[i + 4] === 'a' && s[i + 5] === 't' && s[i + 6] === '(') {
      i += 7;
      while (i < n && s[i] !== ')') { if (s[i] === '\\' || s[i] === '(') return null; i++; }
      if (i >= n) return null;
      continue;
    }
    return null;
  }
  return { __proto__: null, url, bare: false };
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
