// One network target at a time: a value a mini program handed an API, a
// setter, a method or a component attribute, classified by the kind of its
// door (./doors.js), checked by guard-core, and what the original receives
// in its place: the checked form (the href guard-core serialised; a local or
// inline form as contract v3 §3.7 classifies it), never the caller's value
// converted a second time.
//
// Sizes come first: a target longer than guard-core's URL limit is refused
// without being copied or scanned (a 32 M-character loadFontFace source
// used to be copied character by character before any check).

import { freeze, slice, codeAt, append, isArray, TypeErrorCtor } from './safe.js';
import { MEDIA_CHECK, UNKNOWN_CHECK } from './doors.js';
import { cssUrl, cssEscape } from './css.js';

const StringCtor = String;
const NumberCtor = Number;
const URLCtor = typeof URL === 'function' ? URL : undefined;
const urlHref = URLCtor === undefined ? undefined : Object.getOwnPropertyDescriptor(URLCtor.prototype, 'href').get;
const applyFn = Reflect.apply;

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

/**
 * A media target as §3.7 (v3) classifies it: leading and trailing C0
 * controls and spaces removed, and every tab and newline (what the URL
 * parser does), then `{ form, value }`: `local` (a `wxfile:` or `data:` URL,
 * a code package path, a host-configured local prefix), `network` (checked
 * as MEDIA_CHECK), or `invalid` (empty, or a path whose first two code
 * points are each `/` or `\`: another host to some parsers).
 */
export function mediaForm(s, localPrefixes) {
  let a = 0;
  let b = s.length;
  while (a < b && codeAt(s, a) <= 0x20) a++;
  while (b > a && codeAt(s, b - 1) <= 0x20) b--;
  let value = '';
  let clean = true;
  for (let i = a; i < b; i++) { const c = codeAt(s, i); if (c === 9 || c === 10 || c === 13) { clean = false; break; } }
  if (clean) value = a === 0 && b === s.length ? s : slice(s, a, b);
  else for (let i = a; i < b; i++) { const c = s[i]; if (c !== '\t' && c !== '\n' && c !== '\r') value += c; }
  const scheme = schemeOf(value);
  if (scheme === null) {
    const slash = (c) => c === '/' || c === '\\';
    if (value === '' || (value.length >= 2 && slash(value[0]) && slash(value[1]))) return { form: 'invalid', value };
    return { form: 'local', value };
  }
  if (scheme === 'wxfile' || scheme === 'data') return { form: 'local', value };
  for (let i = 0; i < localPrefixes.length; i++) {
    if (hasLocalPrefix(value, scheme, localPrefixes[i])) return { form: 'local', value };
  }
  return { form: 'network', value };
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
 * Whether `s` (scheme `scheme`) starts with the local prefix `p` (an
 * absolute URL serialised at guard creation, its path ending in `/`). The
 * authority must be plain (ASCII letters, digits, `.`, `-`, `:` and a port;
 * no userinfo, no percent-encoding), compared case-insensitively with a
 * default port dropped, and `\` read as `/` as the parser reads it in
 * special schemes; anything else is not local and is checked (it can only
 * be refused by mistake, never allowed by one).
 */
function hasLocalPrefix(s, scheme, p) {
  if (p.scheme !== scheme) return false;
  let i = scheme.length + 1;
  const sep = (c) => c === '/' || c === '\\';
  if (!(i + 1 < s.length && sep(s[i]) && sep(s[i + 1]))) return false;
  i += 2;
  let authority = '';
  for (; i < s.length && !sep(s[i]) && s[i] !== '?' && s[i] !== '#'; i++) {
    const c = codeAt(s, i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45 || c === 58;
    if (!ok) return false;
    authority += lower(s[i]);
  }
  if (authority === `${p.host}:${p.defaultPort}`) authority = p.host;
  if (authority !== p.authority) return false;
  // The rest of the path must start with the prefix's path.
  let path = '';
  for (; i < s.length && path.length < p.path.length; i++) path += s[i] === '\\' ? '/' : s[i];
  return path === p.path;
}

const DEFAULT_PORTS = freeze({ __proto__: null, http: '80', https: '443', ws: '80', wss: '443', ftp: '21' });

/**
 * The host's local prefixes (createGuard's `localPrefixes`), vetted now, at
 * creation: each an absolute URL whose path ends in `/`, with a plain host,
 * no userinfo, query or fragment. Throws a TypeError naming the first one
 * that is not.
 */
export function localPrefixesOf(list) {
  if (list === undefined) return freeze([]);
  if (!isArray(list)) throw new TypeErrorCtor('`localPrefixes` must be an array of URLs');
  const out = [];
  for (let i = 0; i < list.length; i++) {
    const raw = list[i];
    if (typeof raw !== 'string' || URLCtor === undefined) throw new TypeErrorCtor(`local prefix ${i} must be a string URL`);
    let u;
    try { u = new URLCtor(raw); } catch { throw new TypeErrorCtor(`local prefix \`${raw}\` is not an absolute URL`); }
    const scheme = u.protocol.slice(0, -1);
    const path = u.pathname;
    if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '' || !path.endsWith('/') || u.hostname === '' || /[^a-z0-9.\-]/.test(u.hostname)) {
      throw new TypeErrorCtor(`local prefix \`${raw}\` must be an absolute URL with a plain host whose path ends in \`/\``);
    }
    append(out, freeze({ __proto__: null, scheme, host: u.hostname, authority: u.host, defaultPort: DEFAULT_PORTS[scheme] ?? '', path, href: applyFn(urlHref, u, []) }));
  }
  return freeze(out);
}

/**
 * Targets over a guard's parts: `{ vet, vetSocket, vetUnknown, vetMedia,
 * invalid, tooLong, OK }` (the last four for ./attributes.js),
 * each taking `ctx` = `{ appId, label, msg, t }` first: the app, what the
 * violation event names (`InnerAudioContext.src`), what the errMsg names
 * (`src` of an API's message, `addMarkers` of a method's), the clock.
 * `limits`: `{ maxUrl, localPrefixes }`.
 */
export function createTargets(tables, checks, violations, limits) {
  const { KIND, allows } = tables;
  const { urlCheck, socketCheck } = checks;
  const { count } = violations;
  const { maxUrl, localPrefixes } = limits;
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

  function vetMedia(ctx, s) {
    // Over the limit: guard-core refuses it (invalid_url) from a capped copy.
    if (tooLong(s)) return NO(check(ctx, MEDIA_CHECK, s));
    const m = mediaForm(s, localPrefixes);
    if (m.form === 'local') return OK(m.value);
    const r = check(ctx, MEDIA_CHECK, m.value);
    if (!allows(r.v)) return NO(r);
    return OK(r.href === null ? m.value : r.href, r);
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

  return freeze({ __proto__: null, vet, vetSocket, vetUnknown, vetMedia, invalid, tooLong, OK });
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
