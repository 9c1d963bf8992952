// The bridge's driver for a NATIVE back end (docs/protocols.md P4), for JS engines
// with no WebAssembly (iOS JavaScriptCore outside a web view): the base
// library hands createGuard({ native }) its synchronous JS-to-native call
// `(request: string) => string`, and the guard lives in native code (the
// superapp SDK, `guard_sdk::native::answer`), synced by the native side.
//
// `openNative(call)` answers an object with the very interface of raw.js's
// `open()` driver: integers in and out (verdict bytes, load codes, kinds),
// text on demand. So index.js drives either back end with the same code:
// `wrap`, every door, web-view, component attributes, reports and the
// anti-rollback floor work unchanged. Names and numbers come from the back
// end's `tables` answer (guard-core's own tables), so nothing is spelled here
// but the protocol's field names.
//
// Fail closed: a request that throws, an answer that is not one JSON object
// of the expected shape, or `{"error": ...}` is a deny `no_policy` (a load:
// `malformed_bundle`). Containment as in raw.js: the call and every built-in
// used afterwards are captured (the call when the guard is created, the
// built-ins when this module is evaluated); requests are serialised from
// null-prototype objects (no `toJSON` can be planted on them), and answers
// are read through own properties only.

const { apply, ownKeys, defineProperty } = Reflect;
const objectCreate = Object.create;
const objectFreeze = Object.freeze;
const hasOwn = Object.hasOwn;
const isArray = Array.isArray;
const stringify = JSON.stringify;
const parse = JSON.parse;
const strSlice = String.prototype.slice;
const numberIsInteger = Number.isInteger;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;

/** The raw ABI version whose numbering the back end's tables must follow. */
const ABI = 5;
/** Caller names (API names, app ids) given ids, per table: guard-core's bound (limits::MAX_CALLER_NAMES). */
const MAX_NAMES = 4096;
/**
 * guard-core's reason for `no_policy` (decision.rs), for the message of a
 * denial the back end could not answer. A unit test compares it with the
 * wasm guard's own no_policy message, so it cannot drift.
 */
export const NO_POLICY_REASON = 'no valid permission policy';

/** An own data property of a parsed answer, or undefined (never the prototype's). */
const field = (o, k) => (hasOwn(o, k) ? o[k] : undefined);

/** A request: a null-prototype object literal, so no `toJSON` can be planted on what is serialised. */
const request = (o) => apply(stringify, undefined, [o]);

/**
 * The back end's `tables` answer, checked and copied into null-prototype
 * tables: what the back end said at creation is what counts. Throws
 * (createGuard rejects) when it is malformed.
 */
function tablesOf(tables) {
  const codes = field(tables, 'codes');
  const errnos = field(tables, 'errnos');
  const loads = field(tables, 'loads');
  const kinds = field(tables, 'kinds');
  const REPORT = field(tables, 'report_bit');
  if (!isArray(codes) || !isArray(errnos) || !isArray(loads) || kinds === null || typeof kinds !== 'object' || !numberIsInteger(REPORT) || REPORT < 2) {
    throw new ErrorCtor('native back end: malformed tables');
  }
  if (codes.length < 2 || codes.length > REPORT || codes[0] !== null || errnos.length !== codes.length || loads.length < 2 || loads.length > REPORT) {
    throw new ErrorCtor('native back end: malformed tables');
  }
  const CODE = objectCreate(null);
  const CODE_NAME = [];
  const ERRNO = [];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    const e = errnos[i];
    if ((i > 0 && typeof c !== 'string') || !numberIsInteger(e)) throw new ErrorCtor('native back end: malformed tables');
    defineProperty(CODE_NAME, i, { __proto__: null, value: i === 0 ? '' : c, enumerable: true });
    defineProperty(ERRNO, i, { __proto__: null, value: e, enumerable: true });
    if (i > 0) CODE[c] = i;
  }
  const LOAD = objectCreate(null);
  const LOAD_NAME = [];
  for (let i = 0; i < loads.length; i++) {
    if (typeof loads[i] !== 'string') throw new ErrorCtor('native back end: malformed tables');
    defineProperty(LOAD_NAME, i, { __proto__: null, value: loads[i], enumerable: true });
    LOAD[loads[i]] = i;
  }
  const KIND = objectCreate(null);
  const KIND_NAME = objectCreate(null);
  const kindKeys = ownKeys(kinds);
  for (let i = 0; i < kindKeys.length; i++) {
    const k = kindKeys[i];
    const n = field(kinds, k);
    if (typeof k !== 'string' || !numberIsInteger(n) || n < 0) throw new ErrorCtor('native back end: malformed tables');
    KIND[k] = n;
    KIND_NAME[n] = k;
  }
  const NO_POLICY = CODE.no_policy;
  const MALFORMED = LOAD.malformed_bundle;
  if (NO_POLICY === undefined || MALFORMED === undefined || KIND.api === undefined) throw new ErrorCtor('native back end: malformed tables');
  return { CODE, CODE_NAME, ERRNO, LOAD, LOAD_NAME, KIND, KIND_NAME, REPORT, NO_POLICY, MALFORMED };
}

/** Interns `name` in `ids`/`names` as the wasm guard does (bounded: -3 past MAX_NAMES). */
function intern(ids, names, name) {
  const have = ids[name];
  if (have !== undefined) return have;
  if (names.length >= MAX_NAMES) return -3;
  const id = names.length;
  defineProperty(names, id, { __proto__: null, value: name, enumerable: true });
  ids[name] = id;
  return id;
}

/** Where the label of `m` ends: after `label` when `m` starts with it and a `:`, else at the first `:`. */
function endOfLabel(m, label) {
  if (label !== undefined && m.length > label.length && m[label.length] === ':') {
    let same = true;
    for (let i = 0; i < label.length; i++) if (m[i] !== label[i]) { same = false; break; }
    if (same) return label.length;
  }
  for (let i = 0; i < m.length; i++) if (m[i] === ':') return i;
  return m.length;
}

/**
 * A check's answer `a` (a parsed object) as its verdict byte under the
 * back end's tables `table`, or -1 when it is not one answer of the protocol:
 * an allow that says anything else, a code the tables lack, an errno that
 * is not the code's, a report-mode pass that does not say so, or an href
 * where none belongs. `message` and `href` are its members of those names,
 * read once by the caller, which keeps them.
 */
function verdictByte(a, message, href, withHref, table) {
  const allow = field(a, 'allow');
  const code = field(a, 'code');
  const reported = field(a, 'reported');
  const errno = field(a, 'errno');
  if (typeof allow !== 'boolean' || typeof message !== 'string') return -1;
  if (href !== undefined && href !== null && (typeof href !== 'string' || !withHref)) return -1;
  if (code === null) {
    // Allowed outright: nothing else may say otherwise.
    return !allow || reported !== undefined || errno !== undefined ? -1 : 0;
  }
  const n = typeof code === 'string' ? table.CODE[code] : undefined;
  if (n === undefined || (errno !== undefined && errno !== table.ERRNO[n])) return -1;
  // Let through only by report mode, which says so.
  if (allow) return reported === true ? n | table.REPORT : -1;
  return reported !== undefined || (href !== undefined && href !== null) ? -1 : n;
}

/**
 * The back end's `take_reports` answer `text` as the bridge reads it
 * (index.js parses it): one object with a reports array and a dropped
 * count; anything else is an empty batch.
 */
function reportsText(text) {
  if (typeof text === 'string') {
    try {
      const b = apply(parse, undefined, [text]);
      if (b !== null && typeof b === 'object' && isArray(field(b, 'reports')) && numberIsInteger(field(b, 'dropped'))) return text;
    } catch { /* as below */ }
  }
  return '{"reports":[],"dropped":0}';
}

/**
 * The floor `json` (flat: superapp_id, version, digest) copied into a
 * null-prototype object of primitives, so serialising it runs nothing; or
 * why it is not one, as text.
 */
function flatFloor(json) {
  let parsed;
  try { parsed = apply(parse, undefined, [json]); } catch { return 'the floor is not JSON'; }
  if (parsed === null || typeof parsed !== 'object' || isArray(parsed)) return 'the floor is not a JSON object';
  const floor = objectCreate(null);
  const keys = ownKeys(parsed);
  for (let i = 0; i < keys.length; i++) {
    const v = parsed[keys[i]];
    if (v !== null && typeof v === 'object') return 'the floor is not flat';
    defineProperty(floor, keys[i], { __proto__: null, value: v, enumerable: true });
  }
  return floor;
}

/**
 * The driver over `call`. Throws (createGuard rejects) when the back end's
 * `tables` answer is not one it can drive: wrong ABI, a missing table.
 */
export function openNative(call) {
  if (typeof call !== 'function') throw new TypeErrorCtor('`native` must be a synchronous function (request: string) => string');

  /** One request → the parsed answer object, or undefined when it failed (an {"error"} included). */
  let lastError = '';
  let lastText = '';
  function ask(fields) {
    let text;
    try {
      text = apply(call, undefined, [request(fields)]);
      lastText = text;
    } catch {
      lastError = 'the native call threw';
      return undefined;
    }
    if (typeof text !== 'string') { lastError = 'the native call answered no string'; return undefined; }
    let answer;
    try { answer = apply(parse, undefined, [text]); } catch { lastError = 'the native answer is not JSON'; return undefined; }
    if (answer === null) return null;
    if (typeof answer !== 'object' || isArray(answer)) { lastError = 'the native answer is not an object'; return undefined; }
    const error = field(answer, 'error');
    if (error !== undefined) { lastError = typeof error === 'string' ? error : 'the native back end failed'; return undefined; }
    return answer;
  }

  const tables = ask({ __proto__: null, op: 'tables' });
  if (tables === undefined || tables === null) throw new ErrorCtor(`native back end: no tables (${lastError})`);
  if (field(tables, 'abi') !== ABI) throw new ErrorCtor(`native back end speaks ABI ${field(tables, 'abi')}, the bridge ${ABI}`);
  const table = tablesOf(tables);
  const { CODE_NAME, ERRNO, LOAD, LOAD_NAME, KIND, KIND_NAME, REPORT, NO_POLICY, MALFORMED } = table;

  // Interning, as the wasm guard does it: ids for names the bridge resolves
  // once (bounded; beyond that the bridge checks by name).
  const apiId = objectCreate(null);
  const apiName = [];
  const appId = objectCreate(null);
  const appName = [];
  // What the last call left for message(), messageFor() and href().
  let lastMessage = '';
  let labelEnd = 0;
  let lastHref = null;

  /** Deny no_policy with guard-core's message for it: the back end could not answer. */
  function failClosed(label) {
    lastHref = null;
    lastMessage = `${label}:fail ${NO_POLICY_REASON}`;
    labelEnd = label.length;
    return NO_POLICY;
  }

  /** A check's answer as the verdict byte; message and href kept. Malformed: deny no_policy. */
  function verdict(fields, label, withHref) {
    const a = ask(fields);
    if (a === undefined || a === null) return failClosed(label);
    const message = field(a, 'message');
    const href = field(a, 'href');
    const v = verdictByte(a, message, href, withHref, table);
    if (v < 0) return failClosed(label);
    lastMessage = message;
    labelEnd = endOfLabel(message, label);
    lastHref = withHref && typeof href === 'string' ? href : null;
    return v;
  }

  const kindName = (kind) => (numberIsInteger(kind) ? KIND_NAME[kind] : undefined);

  function urlVerdict(kind, app, url, t) {
    const k = kindName(kind);
    if (k === undefined) return failClosed('check');
    return verdict({ __proto__: null, op: 'check', app, kind: k, subject: url, now: t }, k, true);
  }

  const driver = {
    /** Keys are the native side's. */
    create: () => 0,
    load(bundle, t) {
      lastHref = null;
      const a = ask({ __proto__: null, op: 'load', bundle, now: t });
      const code = a === undefined || a === null ? undefined : field(a, 'code');
      const message = a === undefined || a === null ? undefined : field(a, 'message');
      const n = typeof code === 'string' ? LOAD[code] : undefined;
      if (n === undefined || typeof message !== 'string') {
        lastMessage = `native back end: ${a === undefined ? lastError : 'malformed load answer'}`;
        return MALFORMED;
      }
      lastMessage = message;
      return n;
    },
    apiId: (name) => intern(apiId, apiName, name),
    appHandle: (app) => intern(appId, appName, app),
    checkApi(handle, id, t) {
      const app = appName[handle];
      const api = apiName[id];
      if (app === undefined || api === undefined) return failClosed(api ?? 'api');
      return verdict({ __proto__: null, op: 'check', app, kind: 'api', subject: api, now: t }, api, false);
    },
    checkApiName: (app, name, t) => verdict({ __proto__: null, op: 'check', app, kind: 'api', subject: name, now: t }, name, false),
    checkUrl(kind, handle, url, t) {
      const app = appName[handle];
      if (app === undefined) return failClosed(kindName(kind) ?? 'check');
      return urlVerdict(kind, app, url, t);
    },
    checkUrlByApp: (kind, app, url, t) => urlVerdict(kind, app, url, t),
    checkLaunch: (app, version, sha, t) => verdict({ __proto__: null, op: 'check_launch', app, version, package_sha256: sha, now: t }, 'launch', false),
    checkSocket(kind, app, host, port, t) {
      const k = kindName(kind);
      if (k === undefined) return failClosed('check');
      return verdict({ __proto__: null, op: 'check_socket', app, kind: k, host, port, now: t }, k, true);
    },
    checkRedirect(kind, app, base, location, hop, t) {
      const k = kindName(kind);
      if (k === undefined) return failClosed('check');
      return verdict({ __proto__: null, op: 'check_redirect', app, kind: k, from: base, location, hop, now: t }, k, true);
    },
    href: () => lastHref,
    message: () => lastMessage,
    /** The last check's message under another label (`<label>:ok`, `<label>:fail <reason>`). */
    messageFor: (label) => label + apply(strSlice, lastMessage, [labelEnd]),
    codeName: (code, load) => (load ? LOAD_NAME[code] : code === 0 ? '' : CODE_NAME[code]) ?? '',
    errno: (code) => ERRNO[code] ?? 1,
    kind: (name) => KIND[name] ?? -2,
    reportBit: () => REPORT,
    takeReports(t) {
      lastHref = null;
      let text;
      try { text = apply(call, undefined, [request({ __proto__: null, op: 'take_reports', now: t })]); } catch { text = undefined; }
      return reportsText(text);
    },
    requeueReports(t) {
      ask({ __proto__: null, op: 'requeue_reports', now: t });
      return 0;
    },
    floor() {
      lastHref = null;
      const a = ask({ __proto__: null, op: 'floor' });
      if (a === null) return '';
      if (a === undefined) return null;
      // The answer's own text: a parsed object is never serialised again.
      return lastText;
    },
    restoreFloor(json) {
      lastHref = null;
      const floor = flatFloor(json);
      if (typeof floor === 'string') { lastMessage = floor; return 1; }
      const a = ask({ __proto__: null, op: 'restore_floor', floor });
      if (a === undefined || a === null) { lastMessage = a === null ? 'the native back end answered null' : lastError; return 1; }
      return 0;
    },
  };
  return objectFreeze(driver);
}
