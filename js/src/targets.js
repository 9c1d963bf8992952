// One network target at a time: a value a mini program handed an API, a
// setter, a method or a component attribute, classified by the kind of its
// door (./doors.js), checked by guard-core, and what the original receives
// in its place: the checked form (the href guard-core serialised; for a media
// source, what guard-core's `media` check hands on: a local or inline form as
// contract v3 §3.7 classifies it), never the caller's value converted a
// second time. Media is classified by guard-core alone (one piece of code
// per rule): nothing here reads a scheme or a local prefix.
//
// Sizes come first: a target longer than guard-core's URL limit is refused
// without being copied or scanned (a 32 M-character loadFontFace source
// used to be copied character by character before any check).

import { freeze, slice, codeAt, shaped } from './safe.js';
import { MEDIA_CHECK, UNKNOWN_CHECK } from './doors.js';
import { cssUrl, cssEscape } from './css.js';

const StringCtor = String;
const NumberCtor = Number;

/**
 * Whether `s` is a local file path, which never leaves the device: a
 * `wxfile://` path, or a path with no `:` at all that does not start (past
 * spaces and controls, which URL parsers skip) with two slashes or
 * backslashes (`//host/x` is a network path to some parsers). For `file`
 * doors. String indexing only.
 */
export function isLocalPath(s) {
  const W = 'wxfile://';
  let prefix = s.length >= W.length;
  for (let i = 0; prefix && i < W.length; i++) if (s[i] !== W[i]) prefix = false;
  if (prefix) return true;
  let first = '';
  let second = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ':') return false;
    if (c <= ' ') continue;
    if (first === '') first = c;
    else if (second === '') second = c;
  }
  const slash = (c) => c === '/' || c === '\\';
  return !(slash(first) && slash(second));
}

/** The lower-cased scheme of `s` (an ASCII letter, then letters, digits, `+`, `-`, `.`, then `:`), or null. */
function schemeOf(s) {
  const isAlpha = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (s.length === 0 || !isAlpha(codeAt(s, 0))) return null;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = codeAt(s, i);
    if (c === 58) return out;
    if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return null;
    out += lower(s[i]);
  }
  return null;
}

/** An ASCII upper-case letter lower-cased; any other character as it is. */
export function lower(c) {
  const n = codeAt(c, 0);
  return n >= 65 && n <= 90 ? 'abcdefghijklmnopqrstuvwxyz'[n - 65] : c;
}

/**
 * Targets over a guard's parts: `{ vet, vetSocket, vetUnknown, vetMedia,
 * invalid, tooLong, OK }` (the last four for ./attributes.js),
 * each taking `ctx` = `{ appId, label, msg, t }` first: the app, what the
 * violation event names (`InnerAudioContext.src`), what the errMsg names
 * (`src` of an API's message, `addMarkers` of a method's), the clock.
 * `limits`: `{ maxUrl }`.
 */
export function createTargets(tables, checks, violations, limits) {
  const { KIND, allows } = tables;
  const { urlCheck, socketCheck } = checks;
  const { count } = violations;
  const { maxUrl } = limits;
  // `r` is the check made (null for a local form, which needs none): a
  // report-mode pass keeps its verdict for the decision object.
  // Records whose fields are all own (never read through a prototype).
  const OK = (value, r) => ({ ok: true, value, r: r === undefined ? null : r });
  const NO = (r) => ({ ok: false, value: undefined, r });

  // A URL check of `target`: its errMsg names `ctx.msg`, the listener's
  // event `ctx.label`.
  function check(ctx, kind, target) {
    const r = urlCheck(ctx.appId, KIND[kind], target, ctx.t, ctx.msg);
    count(r.v, ctx.appId, ctx.label, target);
    return r;
  }

  /** Whether `s` has more UTF-8 bytes than guard-core takes: measured, never copied. */
  function tooLong(s) {
    if (s.length > maxUrl) return true;
    if (s.length * 3 <= maxUrl) return false;
    let bytes = 0;
    for (let i = 0; i < s.length; i++) {
      const c = codeAt(s, i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : (c >= 0xd800 && c <= 0xdbff) ? 2 : 3;
      if (bytes > maxUrl) return true;
    }
    return false;
  }

  // guard-core's media check (§3.7) classifies the source and answers what
  // goes on (`href`); an allowed check with nothing to hand on (which
  // guard-core does not give) forwards nothing: invalid_url, fail closed.
  function vetMedia(ctx, s) {
    // Over the limit: guard-core refuses it (invalid_url) from a capped copy.
    if (tooLong(s)) return NO(check(ctx, MEDIA_CHECK, s));
    const r = check(ctx, MEDIA_CHECK, s);
    if (!allows(r.v)) return NO(r);
    if (r.href === null) return NO(check(ctx, MEDIA_CHECK, ''));
    return OK(r.href, r);
  }

  function vetCss(ctx, s) {
    if (tooLong(s)) return NO(check(ctx, MEDIA_CHECK, s));
    const css = cssUrl(s);
    // Not one url(...) (with format() hints): checked as '', invalid_url.
    if (css === null) return NO(check(ctx, MEDIA_CHECK, ''));
    const inner = vetMedia(ctx, css.url);
    if (!inner.ok) return inner;
    return OK(css.bare ? inner.value : `url("${cssEscape(inner.value)}")`, inner.r);
  }

  /**
   * Vets `raw`, handed to a door of `kind` (not tcp/udp): `{ ok, value, r }`,
   * `value` what the original receives, `r` the denial. A string is
   * classified and checked; an object's string form is taken once and
   * checked; any other value (undefined, a number, a boolean) names no host
   * and reaches the original as given.
   */
  function vet(ctx, kind, raw) {
    let s;
    if (typeof raw === 'string') s = raw;
    else if (raw !== null && (typeof raw === 'object' || typeof raw === 'function')) s = StringCtor(raw);
    else return OK(raw);
    if (kind === 'media') return vetMedia(ctx, s);
    if (kind === 'css') return vetCss(ctx, s);
    if (kind === 'file') {
      if (!tooLong(s) && isLocalPath(s)) return OK(s);
      kind = 'download';
    }
    const r = check(ctx, kind, s);
    if (!allows(r.v)) return NO(r);
    // Report mode lets an unparsable URL through: nothing to serialise.
    return OK(r.href === null ? s : r.href, r);
  }

  /**
   * A raw socket target (tcp/udp): the host in `address`, whatever its type
   * (a number's string form can be an IPv4 host), converted once; `port` as
   * given to the check. `value` is the host as serialised.
   */
  function vetSocket(ctx, kind, address, port) {
    const host = typeof address === 'string' ? address : StringCtor(address);
    const r = socketCheck(ctx.appId, KIND[kind], host, typeof port === 'number' ? port : NumberCtor(port), ctx.t, ctx.msg);
    count(r.v, ctx.appId, ctx.label, `${host}:${typeof port === 'number' ? port : StringCtor(port)}`);
    if (!allows(r.v)) return NO(r);
    return OK(r.href, r);
  }

  /**
   * A string that may hold a URL where no door is known (a custom or late
   * API, an unknown object): checked as UNKNOWN_CHECK when it names an
   * authority (`scheme://`, `//`, `\\`, past leading spaces); as given
   * otherwise.
   */
  function vetUnknown(ctx, s) {
    if (!namesAuthority(s)) return OK(s);
    return vet(ctx, UNKNOWN_CHECK, s);
  }

  /** What a target too long or not readable is: `invalid_url`, from guard-core (at most limit + 4 bytes copied). */
  const invalid = (ctx, s) => NO(check(ctx, MEDIA_CHECK, s));

  return freeze(shaped({ vet, vetSocket, vetUnknown, vetMedia, invalid, tooLong, OK }));
}

/**
 * Whether `s` names an authority: `scheme://` (either slash), after leading
 * controls and spaces; or `//` (either slash) when `s` has no space or
 * control in it (a comment such as `// note` is text, a bare `//host/x`
 * is a URL to some parsers).
 */
export function namesAuthority(s) {
  let i = 0;
  while (i < s.length && codeAt(s, i) <= 0x20) i++;
  const sep = (k) => k < s.length && (s[k] === '/' || s[k] === '\\');
  if (sep(i) && sep(i + 1)) {
    for (let k = i; k < s.length; k++) if (codeAt(s, k) <= 0x20) return false;
    return true;
  }
  const scheme = schemeOf(slice(s, i, s.length < i + 64 ? s.length : i + 64));
  if (scheme === null) return false;
  const j = i + scheme.length + 1;
  return sep(j) && sep(j + 1);
}
