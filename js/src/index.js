// @miniprogram-guard/bridge: enforces a superapp's permission policy inside
// the mini program base library, through guard-core compiled to wasm.
//
// This file only converts and routes: every verdict, deny code, errno, href
// and errMsg comes from guard-core, through the raw ABI (./raw.js) of a wasm
// instance each guard owns.
//
// Containment model (docs/threat-model.md): the base library evaluates this
// module first, and createGuard/wrap complete before any mini program code
// runs; afterwards mini program code shares the realm and may replace any
// mutable built-in. So:
//  - every built-in used at call time is captured here, at module evaluation,
//    and applied through captured functions; the per-call path never touches
//    the wasm-bindgen glue (./raw.js says why);
//  - the memory, instance and exports of a guard's wasm live in closures;
//    every object handed out (guard, decisions, events, wrapped namespaces,
//    tasks, facades) is frozen;
//  - the original wx function receives what was checked: the URL as the
//    guard serialised it (WHATWG href), never the caller's string;
//  - every door of ./doors.js is checked; a catalogue API with a network
//    target the table does not know cannot exist (a test enforces it).

import { compile, open, HAS_WASM } from './raw.js';
import { openNative } from './native.js';
import { DOORS, COMPONENTS, NO_TARGET, isLocalPath } from './doors.js';

export { sync } from './sync.js';

const { apply, defineProperty, getOwnPropertyDescriptor, ownKeys, getPrototypeOf } = Reflect;
const { freeze, create, hasOwn } = Object;
const StringCtor = String;
const NumberCtor = Number;
const ObjectProto = Object.prototype;
const FunctionProto = Function.prototype;
const TypeErrorCtor = TypeError;
const ErrorCtor = Error;
const PromiseCtor = Promise;
const promiseReject = Promise.reject.bind(Promise);
const dateNow = Date.now;
const mathFloor = Math.floor;
const numberIsFinite = Number.isFinite;
const isArray = Array.isArray;
const stringify = JSON.stringify;
const parse = JSON.parse;
// Denied callbacks run in a microtask, queued through a promise of our own:
// Node's queueMicrotask runs JS (async_hooks) that reads built-ins at call
// time, and `then` would look up `constructor` and Symbol.species. This
// promise has its own frozen `constructor` whose species is the captured
// Promise, so PerformPromiseThen reads nothing the realm can change.
const promiseThen = Promise.prototype.then;
const resolved = PromiseCtor.resolve();
defineProperty(resolved, 'constructor', { __proto__: null, value: freeze({ __proto__: null, [Symbol.species]: PromiseCtor }) });
const queue = (fn) => { apply(promiseThen, resolved, [fn]); };

// The wasm-bindgen façade stays for trusted JS (tests use WasmGuard.decide as
// their oracle, the harness WasmGuard.explain), but code that imports the same
// module specifier must not be able to change what it answers: its classes
// and functions are frozen now. It is imported only where WebAssembly exists:
// its own evaluation needs TextEncoder and TextDecoder, which a bare
// JavaScriptCore (no WebAssembly, a native back end instead) lacks too.
const glue = HAS_WASM ? await import('../pkg/guard_wasm.js') : null;
if (glue !== null) {
  for (const k of ownKeys(glue)) {
    const v = glue[k];
    if (typeof v === 'function') {
      if (v.prototype !== undefined && v.prototype !== null) freeze(v.prototype);
      freeze(v);
    }
  }
}

/** The check kinds by name (guard-core's CheckKind::as_str). */
const KIND_NAMES = freeze(['api', 'request', 'upload', 'download', 'socket', 'webview', 'launch', 'tcp', 'udp']);
const REDIRECT_KINDS = freeze(['request', 'upload', 'download']);
const TASK_METHODS = freeze([
  'abort', 'close', 'send',
  'onHeadersReceived', 'offHeadersReceived', 'onChunkReceived', 'offChunkReceived',
  'onProgressUpdate', 'offProgressUpdate',
  'onOpen', 'onClose', 'onError', 'onMessage',
]);
/** Largest array of URLs (urls[], sources[]) one call may carry. */
const MAX_TARGETS = 1000;

const now = () => mathFloor(dateNow() / 1000);

function clock(options) {
  if (options === undefined || options === null) return now();
  const t = options.now;
  if (t === undefined) return now();
  if (typeof t !== 'number' || !numberIsFinite(t) || t < 0) {
    throw new TypeErrorCtor('`now` must be unix seconds: a finite number >= 0');
  }
  return t;
}

// Descriptors are null-prototype in both directions: a `get`, `set` or
// `value` planted on Object.prototype must never be read as part of one.
function own(target, key, value) {
  defineProperty(target, key, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
  return target;
}

/** An own property's descriptor, read through own fields only; or undefined. */
function desc(o, k) {
  const d = getOwnPropertyDescriptor(o, k);
  if (d === undefined) return undefined;
  const data = hasOwn(d, 'value');
  return {
    __proto__: null,
    data,
    value: data ? d.value : undefined,
    writable: data && hasOwn(d, 'writable') && d.writable === true,
    get: hasOwn(d, 'get') ? d.get : undefined,
    set: hasOwn(d, 'set') ? d.set : undefined,
    enumerable: hasOwn(d, 'enumerable') && d.enumerable === true,
  };
}

/** args[0] = v, for a rest-parameter array: an own index is assigned, a missing one defined. */
function setArg0(args, v) {
  if (args.length > 0) args[0] = v;
  else own(args, 0, v);
}

function str(x, what) {
  if (typeof x !== 'string') throw new TypeErrorCtor(`\`${what}\` must be a string`);
  return x;
}

// ---------------------------------------------------------------------------
// the module: compiled once, instantiated once per guard

let defaultModule = null;

async function bytesOf(source) {
  if (typeof source === 'string' || source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok) throw new ErrorCtor(`cannot fetch the guard module: ${res.status}`);
    return res.arrayBuffer();
  }
  return source;
}

async function defaultBytes() {
  const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
  const url = new URL('../pkg/guard_wasm_bg.wasm', import.meta.url);
  if (isNode) {
    const { readFileSync } = await import('node:fs');
    return readFileSync(url);
  }
  return bytesOf(url);
}

function moduleFor(source) {
  if (source !== undefined) return bytesOf(source).then(compile);
  if (defaultModule === null) {
    defaultModule = defaultBytes().then(compile);
    defaultModule.catch(() => { defaultModule = null; });
  }
  return defaultModule;
}

// ---------------------------------------------------------------------------
// the guard

/**
 * Creates a guard. `keys` (Ed25519 public JWKs, contract v2) is the
 * recommended configuration: then no key that can sign bundles lives in the
 * device's memory. With `secret` (HS256), reading the guard's memory gives
 * that SecretKey, i.e. the power to forge bundles (docs/threat-model.md).
 *
 * Where the JS engine has no WebAssembly (iOS JavaScriptCore outside a web
 * view), it rejects unless given `native`: the base library's synchronous
 * JS-to-native call `(request: string) => string`, answering the protocol of
 * docs/js-bridge.md ("Native back end") from a guard the native side keeps
 * (and syncs, with its own keys). The bridge then drives it with the same
 * integer verdicts as its wasm instance (./native.js).
 * @param {{ secret?: string, keys?: object[], wasm?: BufferSource | WebAssembly.Module | URL | string, native?: (request: string) => string }} options
 */
export async function createGuard(options) {
  if (options === null || typeof options !== 'object') throw new TypeErrorCtor('createGuard needs `{ secret }`, `{ keys }` or `{ native }`');
  const native = options.native;
  const secret = options.secret;
  const keys = options.keys;
  if (native !== undefined) {
    if (typeof native !== 'function') throw new TypeErrorCtor('`native` must be a synchronous function (request: string) => string');
    if (secret !== undefined || keys !== undefined) throw new TypeErrorCtor('with `native` the keys are the native back end\'s: pass neither `secret` nor `keys`');
    return guardOver(openNative(native), undefined).guard;
  }
  if (!HAS_WASM) throw new ErrorCtor(NO_WASM);
  if (secret !== undefined && typeof secret !== 'string') throw new TypeErrorCtor('`secret` must be a string');
  if (keys !== undefined && !isArray(keys)) throw new TypeErrorCtor('`keys` must be an array of JWKs');
  if (secret === undefined && keys === undefined) throw new TypeErrorCtor('createGuard needs `secret` or `keys`');
  const core = await open(await moduleFor(options.wasm));
  const keyText = keys === undefined ? secret : stringify(secret === undefined ? { keys } : { secret, keys });
  const created = core.create(keyText);
  if (created !== 0) throw new ErrorCtor(`invalid guard key: ${core.message() || `raw ABI error ${created}`}`);
  return guardOver(core, keyText).guard;
}

/** Why a guard cannot exist here without a native back end. */
const NO_WASM = 'this JS engine has no WebAssembly: createGuard needs `native`, the base library\'s synchronous JS-to-native call '
  + '(request: string) => string (docs/js-bridge.md, "Native back end"); without a guard nothing is allowed';

/**
 * For ./sync.js: a wasm guard for the key set `keySet` (the text of a
 * `keys.json`, `{"keys":[...]}`), or, when it is null, a guard with no keys
 * yet that denies everything `no_policy` until `rekey` gives it some; and
 * `rekey(keySet, { now })`: the same guard object (so every namespace it
 * wrapped keeps working) re-created in its own instance with the new keys,
 * its anti-rollback floor restored and the last bundle it loaded re-loaded
 * (`{ ok, message, load }`: `load` is that reload's code, or null). Handing
 * this out gives nothing over an existing guard: it only makes new ones.
 * @param {string | null} keySet
 * @param {{ wasm?: BufferSource | WebAssembly.Module | URL | string }} [options]
 */
export async function createKeyedGuard(keySet, options) {
  if (!HAS_WASM) throw new ErrorCtor(NO_WASM);
  if (keySet !== null && typeof keySet !== 'string') throw new TypeErrorCtor('the key set must be a string or null');
  const core = await open(await moduleFor(options === undefined || options === null ? undefined : options.wasm));
  if (keySet !== null) {
    const created = core.create(keySet);
    if (created !== 0) throw new ErrorCtor(`invalid guard key: ${core.message() || `raw ABI error ${created}`}`);
  }
  return guardOver(core, keySet);
}

/**
 * The guard over a driver (raw.js's `open()` or native.js's `openNative()`,
 * the same interface): `{ guard, rekey }`. `keys`: the key text the wasm
 * instance's guard was created with, null when it has none yet, undefined
 * for a native back end (which keeps its own keys).
 */
function guardOver(core, keys) {
  // Tables read once from guard-core, so no name, errno or number is spelled here.
  const REPORT = core.reportBit();
  const CODE_MASK = REPORT - 1;
  const codes = [null];
  const errnos = [0];
  const codeNumbers = create(null);
  for (let c = 1; c < REPORT; c++) {
    const name = core.codeName(c, false);
    if (name === '') break;
    codes[c] = name;
    errnos[c] = core.errno(c);
    codeNumbers[name] = c;
  }
  const loads = [];
  for (let c = 0; c < REPORT; c++) {
    const name = core.codeName(c, true);
    if (name === '') break;
    loads[c] = name;
  }
  const CODE_NAMES = freeze(codes);
  const ERRNOS = freeze(errnos);
  const LOAD_NAMES = freeze(loads);
  const KIND = create(null);
  for (let i = 0; i < KIND_NAMES.length; i++) {
    const n = core.kind(KIND_NAMES[i]);
    if (n < 0) throw new TypeErrorCtor(`the guard module has no check kind ${KIND_NAMES[i]}`);
    KIND[KIND_NAMES[i]] = n;
  }
  freeze(KIND);
  /** What a misuse answer (a negative number) reads as: deny, fail closed. */
  const FAIL_CLOSED = codeNumbers.no_policy;
  const MALFORMED = loads.indexOf('malformed_bundle');

  const verdictOf = (v) => (v < 0 ? FAIL_CLOSED : v);
  const allows = (v) => v === 0 || (v & REPORT) !== 0;

  /** The contract's decision object (guard-core's Decision keys, in order), plus href. */
  // Object literals only (defining, never assigning, so nothing planted on
  // Object.prototype runs), one per shape, in guard-core's key order.
  // `href` (checks of a target): always an own property, `null` when there
  // is none, so it is never read through a prototype.
  function decisionObject(v, message, href) {
    const n = v & CODE_MASK;
    const withHref = href !== undefined;
    if (n === 0) return freeze(withHref ? { allow: true, code: null, message, href } : { allow: true, code: null, message });
    const code = CODE_NAMES[n] ?? 'no_policy';
    const errno = ERRNOS[n] ?? 1;
    if ((v & REPORT) === 0) return freeze(withHref ? { allow: false, code, message, errno, href: null } : { allow: false, code, message, errno });
    return freeze(withHref ? { allow: true, code, message, reported: true, errno, href } : { allow: true, code, message, reported: true, errno });
  }

  // The guard's interned ids and handles, by name. A re-key replaces the
  // guard inside the instance, whose tables start afresh: `generation`
  // counts guards, and these tables are replaced with it.
  let apiIds = create(null);
  let appHandles = create(null);
  let generation = 0;
  // The last bundle this guard loaded, for a re-key to load again.
  let lastGood = null;
  const apiMessages = create(null);
  // Listeners: a null-prototype table written by key, never Array.prototype.push.
  const listeners = create(null);
  let listenerSeq = 0;
  const counters = { checks: 0, allowed: 0, denied: 0, reported: 0, byCode: create(null) };

  function apiIdOf(name) {
    let id = apiIds[name];
    if (id === undefined) {
      const n = core.apiId(name);
      if (n >= 0) { id = n; apiIds[name] = id; }
    }
    return id;
  }
  function appHandleOf(appId) {
    let h = appHandles[appId];
    if (h === undefined) {
      const n = core.appHandle(appId);
      if (n >= 0) { h = n; appHandles[appId] = h; }
    }
    return h;
  }
  // Ids and handles are the guard's: resolved at call time from tables a
  // re-key empties (the sync's new key set is a new guard in the instance).
  function verdictApi(appId, name, id, t) {
    const handle = appHandleOf(appId);
    if (handle !== undefined && id !== undefined) return verdictOf(core.checkApi(handle, id, t));
    return verdictOf(core.checkApiName(appId, name, t));
  }
  // API errMsgs are a pure function of (verdict, name): rendered by Rust
  // from the check just made (call this right after it, before any listener
  // runs), then reused; cached only for interned names (a bounded table).
  function apiMessage(v, name, id) {
    if (id === undefined) return core.messageFor(name);
    let perName = apiMessages[name];
    if (perName === undefined) { perName = create(null); apiMessages[name] = perName; }
    let m = perName[v];
    if (m === undefined) { m = core.messageFor(name); perName[v] = m; }
    return m;
  }

  /**
   * A URL check: answers { v, message, href } with the message (labelled
   * `label`) and href taken before any listener can run a check of its own.
   */
  function urlCheck(appId, kind, url, t, label, needMessage) {
    const handle = appHandleOf(appId);
    const v = verdictOf(handle !== undefined ? core.checkUrl(kind, handle, url, t) : core.checkUrlByApp(kind, appId, url, t));
    // The href first: writing the label for messageFor replaces the input
    // buffer, which ends what guard_href can say about this check.
    const href = allows(v) ? core.href() : null;
    let message;
    if (v !== 0) message = label === undefined ? core.message() : core.messageFor(label);
    else if (needMessage === true) message = okMessage(label === undefined ? kind : label, label);
    return { v, message, href };
  }
  // `<label>:ok` names nothing, so guard-core renders it once per label.
  const okMessages = create(null);
  function okMessage(key, label) {
    let m = okMessages[key];
    if (m === undefined) {
      m = label === undefined ? core.message() : core.messageFor(label);
      okMessages[key] = m;
    }
    return m;
  }

  function count(v, appId, api, url) {
    counters.checks++;
    if (v === 0) { counters.allowed++; return; }
    const n = v & CODE_MASK;
    const reported = (v & REPORT) !== 0;
    if (reported) counters.reported++; else counters.denied++;
    const code = CODE_NAMES[n] ?? 'no_policy';
    counters.byCode[code] = (counters.byCode[code] ?? 0) + 1;
    if (listenerSeq === 0) return;
    const event = freeze({ appId, api, code, url, reported });
    const args = [event];
    for (let i = 0; i < listenerSeq; i++) {
      const l = listeners[i];
      if (l === undefined) continue;
      try { apply(l, undefined, args); } catch { /* a listener cannot change a decision */ }
    }
  }

  const checkUrlKind = (kindName) => (appId, url, options) => {
    str(appId, 'appId');
    const u = str(url, 'url');
    const t = clock(options);
    const r = urlCheck(appId, KIND[kindName], u, t, undefined, true);
    return decisionObject(r.v, r.message, r.href);
  };

  // A port as the ABI's u32: an integer 0..2^32-1 as it is; anything else
  // (fractions, negatives, NaN, 2^32 + 80 that would wrap to 80) as 0,
  // which guard-core answers invalid_url.
  const portOf = (p) => (typeof p === 'number' && p >= 0 && p <= 0xffffffff && mathFloor(p) === p ? p : 0);

  /** A raw socket target (§3.7): { v, message, href: the serialised host }. */
  function socketCheck(appId, kind, host, port, t) {
    const v = verdictOf(core.checkSocket(kind, appId, host, portOf(port), t));
    const href = allows(v) ? core.href() : null;
    return { v, message: core.message(), href };
  }

  const guard = {
    load(bundle, options) {
      const t = clock(options);
      const b = str(bundle, 'bundle');
      const code = core.load(b, t);
      if (code < 0) return freeze({ code: LOAD_NAMES[MALFORMED], message: `guard module error ${code}` });
      if (code === 0) lastGood = b;
      return freeze({ code: LOAD_NAMES[code] ?? LOAD_NAMES[MALFORMED], message: code === 0 ? '' : core.message() });
    },
    checkApi(appId, name, options) {
      str(appId, 'appId');
      str(name, 'name');
      const t = clock(options);
      const id = apiIdOf(name);
      const v = verdictApi(appId, name, id, t);
      return decisionObject(v, apiMessage(v, name, id));
    },
    checkRequest: checkUrlKind('request'),
    checkUpload: checkUrlKind('upload'),
    checkDownload: checkUrlKind('download'),
    checkSocket: checkUrlKind('socket'),
    checkWebview: checkUrlKind('webview'),
    checkTcp(appId, host, port, options) {
      str(appId, 'appId');
      str(host, 'host');
      const r = socketCheck(appId, KIND.tcp, host, port, clock(options));
      return decisionObject(r.v, r.message, r.href);
    },
    checkUdp(appId, host, port, options) {
      str(appId, 'appId');
      str(host, 'host');
      const r = socketCheck(appId, KIND.udp, host, port, clock(options));
      return decisionObject(r.v, r.message, r.href);
    },
    /** Before a code package runs (§3.5): its version and SHA-256 (hex). */
    checkLaunch(appId, release, options) {
      str(appId, 'appId');
      if (release === null || typeof release !== 'object') throw new TypeErrorCtor('checkLaunch needs `{ version, packageSha256 }`');
      const version = str(release.version, 'version');
      const sha = str(release.packageSha256, 'packageSha256');
      const v = verdictOf(core.checkLaunch(appId, version, sha, clock(options)));
      return decisionObject(v, core.message());
    },
    /**
     * A redirect hop (§3.6) of a request/upload/download that was allowed
     * for `fromHref`: the decision for the absolute target, and its `href`
     * (what to connect to). `hop` counts from 1; the 11th is invalid_url.
     */
    checkRedirect(appId, kind, fromHref, location, hop, options) {
      str(appId, 'appId');
      let k;
      for (let i = 0; i < REDIRECT_KINDS.length; i++) if (REDIRECT_KINDS[i] === kind) k = KIND[kind];
      if (k === undefined) throw new TypeErrorCtor('`kind` must be request, upload or download');
      const h = typeof hop === 'number' && hop >= 0 && hop <= 0xffffffff && mathFloor(hop) === hop ? hop : 0;
      const v = verdictOf(core.checkRedirect(k, appId, str(fromHref, 'fromHref'), str(location, 'location'), h, clock(options)));
      const href = allows(v) ? core.href() : null;
      return decisionObject(v, core.message(), href);
    },
    /**
     * Vets a component attribute the base library is about to render
     * (doors.js COMPONENTS): the decision, with `href` to use when allowed.
     * A local path is allowed as it is, with no check.
     */
    checkAttribute(appId, component, attribute, value, options) {
      str(appId, 'appId');
      const spec = COMPONENTS[str(component, 'component')];
      const d = spec === undefined ? undefined : spec[str(attribute, 'attribute')];
      if (d === undefined) throw new TypeErrorCtor(`no such component attribute: ${component} ${attribute}`);
      const u = str(value, 'value');
      const t = clock(options);
      if (d.local === true && isLocalPath(u)) return decisionObject(0, `${component}:ok`, u);
      const r = urlCheck(appId, KIND[d.kind], u, t, component, true);
      count(r.v, appId, component, u);
      return decisionObject(r.v, r.message, r.href);
    },
    /**
     * Drains the violation reports the wasm guard recorded at every check
     * (guard-core report.rs: denials and report-mode passes, aggregated, at
     * most 100, none older than 15 minutes): `body` is the JSON to POST to
     * the superapp's reports URL, `reports` how many it holds, `dropped` how
     * many denials did not fit.
     */
    takeReports(options) {
      const body = core.takeReports(clock(options));
      const b = parse(body);
      return freeze({ body, reports: b.reports.length, dropped: b.dropped });
    },
    /** Puts the last taken batch back when it could not be sent (merged within the bounds). */
    requeueReports(options) {
      core.requeueReports(clock(options));
    },
    /** The anti-rollback floor to persist with the bundle (JSON), or null before any load. */
    floor() {
      const f = core.floor();
      return f === null || f === '' ? null : f;
    },
    /** Restores a persisted floor before anything is loaded after a restart. */
    restoreFloor(floor) {
      const code = core.restoreFloor(str(floor, 'floor'));
      if (code !== 0) throw new ErrorCtor(`floor refused: ${code === 1 ? core.message() : `raw ABI error ${code}`}`);
    },
    onViolation(listener) {
      if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
      const id = listenerSeq++;
      listeners[id] = listener;
      return freeze(() => { delete listeners[id]; });
    },
    counters() {
      const byCode = {};
      const keys = ownKeys(counters.byCode);
      for (let i = 0; i < keys.length; i++) own(byCode, keys[i], counters.byCode[keys[i]]);
      return freeze({ checks: counters.checks, allowed: counters.allowed, denied: counters.denied, reported: counters.reported, byCode: freeze(byCode) });
    },
    wrap(wx, wrapOptions) {
      if (wx === null || (typeof wx !== 'object' && typeof wx !== 'function')) throw new TypeErrorCtor('wrap needs the wx namespace');
      const appId = str(wrapOptions && wrapOptions.appId, 'appId');
      return wrapNamespace(wx, appId, '');
    },
    webView(appId, webOptions) {
      str(appId, 'appId');
      const element = webOptions ? webOptions.element : undefined;
      const setSrc = element ? findSetter(element, 'src') : undefined;
      const vet = (url) => {
        const u = StringCtor(url);
        const r = urlCheck(appId, KIND.webview, u, now(), undefined, true);
        count(r.v, appId, 'web-view', u);
        return r;
      };
      return freeze({
        /** Whether a navigation to `url` may happen (for a native navigation hook). */
        shouldLoad(url) { return allows(vet(url).v); },
        /** Vets `url` and, when allowed, points the element at its href. Answers the decision. */
        navigate(url) {
          const r = vet(url);
          const decision = decisionObject(r.v, r.message, r.href);
          if (decision.allow && setSrc && r.href !== null) setSrc(r.href);
          return decision;
        },
      });
    },
  };

  /**
   * Re-keys the guard (P6): a new guard with `keySet` in the same instance
   * (the report log is the instance's, so nothing recorded is lost), the
   * floor restored, the last good bundle loaded again. Synchronous, so no
   * check runs in between. Refused keys put the previous guard back exactly
   * (same keys, floor and bundle). Answers `{ ok, message, load }`.
   */
  let keyText = keys;
  function rekey(keySet, options) {
    if (keyText === undefined) throw new TypeErrorCtor('a native back end is re-keyed by its native side');
    const t = clock(options);
    str(keySet, 'key set');
    const floor = core.floor();
    const names = ownKeys(apiIds);
    const apps = ownKeys(appHandles);
    const created = core.create(keySet);
    const ok = created === 0;
    const message = ok ? '' : `invalid guard key: ${core.message() || `raw ABI error ${created}`}`;
    // Refused: back to the previous guard (its keys were valid), or to none.
    if (ok) keyText = keySet;
    else if (keyText !== null) core.create(keyText);
    generation++;
    apiIds = create(null);
    appHandles = create(null);
    let load = null;
    if (keyText !== null) {
      if (typeof floor === 'string' && floor !== '') core.restoreFloor(floor);
      if (lastGood !== null) {
        const code = core.load(lastGood, t);
        if (code !== 0) lastGood = null;
        load = code < 0 ? LOAD_NAMES[MALFORMED] : (LOAD_NAMES[code] ?? LOAD_NAMES[MALFORMED]);
      }
    }
    // Interned again in the order they first were, before anything else.
    for (let i = 0; i < names.length; i++) apiIdOf(names[i]);
    for (let i = 0; i < apps.length; i++) appHandleOf(apps[i]);
    return freeze({ ok, message, load: ok ? load : null });
  }

  // A setter for `key` of `obj`, captured now: the accessor's setter, or a
  // defineProperty of an own data property. Never an assignment, which could
  // run a setter planted on a prototype with `obj` as `this`.
  function findSetter(obj, key) {
    for (let o = obj; o !== null; o = getPrototypeOf(o)) {
      const d = desc(o, key);
      if (d === undefined) continue;
      if (d.set !== undefined) { const set = d.set; return (v) => { apply(set, obj, [v]); }; }
      if (d.data) return (v) => { own(obj, key, v); };
      return undefined;
    }
    return (v) => { own(obj, key, v); };
  }

  function wrapNamespace(wx, appId, prefix) {
    const out = {};
    const seen = create(null);
    // Own keys first, then methods of a class-based namespace's prototypes.
    for (let o = wx; o !== null && o !== ObjectProto && o !== FunctionProto; o = getPrototypeOf(o)) {
      const keys = ownKeys(o);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (typeof key !== 'string' || seen[key] === true) continue;
        seen[key] = true;
        if (o !== wx && key === 'constructor') continue;
        const d = desc(o, key);
        if (d === undefined) continue;
        const value = d.value;
        let wrapped;
        if (typeof value === 'function') {
          const spec = prefix === '' ? DOORS[key] : undefined;
          wrapped = wrapFunction(wx, value, appId, prefix + key, spec);
        } else if (value !== null && typeof value === 'object' && prefix === '') {
          wrapped = wrapNamespace(value, appId, `${key}.`);
        } else if (value !== null && typeof value === 'object') {
          wrapped = freeze({});
        } else {
          wrapped = value;
        }
        defineProperty(out, key, { __proto__: null, value: wrapped, writable: false, enumerable: true, configurable: false });
      }
    }
    return freeze(out);
  }

  function isSync(name) {
    const n = name.length;
    // Indexing, not String.prototype.endsWith: nothing tamperable.
    return n > 4 && name[n - 4] === 'S' && name[n - 3] === 'y' && name[n - 2] === 'n' && name[n - 1] === 'c';
  }

  function wrapFunction(self, original, appId, name, spec) {
    // Interned now, before any mini program code runs (the table is bounded).
    apiIdOf(name);
    const sync = isSync(name);
    let wrapper;
    if (spec !== undefined && spec !== NO_TARGET && spec.returns !== undefined) {
      // The API returns an object whose setters or methods take targets.
      const returns = spec.returns;
      wrapper = (...args) => {
        const id = apiIdOf(name);
        const v = verdictApi(appId, name, id, now());
        const message = v === 0 ? undefined : apiMessage(v, name, id);
        count(v, appId, name, undefined);
        if (!allows(v)) {
          const opts = args[0];
          return deny(opts !== null && typeof opts === 'object' ? opts : undefined, message, v, false, sync);
        }
        return facade(apply(original, self, args), returns, appId, name);
      };
    } else if (spec !== undefined && spec !== NO_TARGET) {
      // Targets in the options of the first argument.
      const plan = planOf(spec);
      wrapper = (...args) => {
        const t = now();
        const id = apiIdOf(name);
        const apiV = verdictApi(appId, name, id, t);
        const opts = args[0];
        const isObj = opts !== null && typeof opts === 'object';
        if (!allows(apiV)) {
          const message = apiMessage(apiV, name, id);
          count(apiV, appId, name, undefined);
          return deny(isObj ? opts : undefined, message, apiV, isTaskApi(name), sync);
        }
        if (apiV !== 0) count(apiV, appId, name, undefined);
        const vetted = vetOptions(isObj ? opts : undefined, plan, appId, name, t);
        if (vetted.denied !== null) {
          const r = vetted.denied;
          return deny(isObj ? opts : undefined, r.message, r.v, isTaskApi(name), sync);
        }
        setArg0(args, vetted.copy);
        return apply(original, self, args);
      };
    } else {
      const denied = (v, args, id) => {
        const message = allows(v) ? undefined : apiMessage(v, name, id);
        count(v, appId, name, undefined);
        if (message === undefined) return apply(original, self, args);
        const opts = args[0];
        return deny(opts !== null && typeof opts === 'object' ? opts : undefined, message, v, false, sync);
      };
      // The hot path: ids resolved once per guard generation (a re-key
      // makes a new guard with new tables), integers into wasm, and an
      // allowed call goes straight to the original.
      let g = -1;
      let id;
      let handle;
      wrapper = (...args) => {
        if (g !== generation) { id = apiIdOf(name); handle = appHandleOf(appId); g = generation; }
        const t = now();
        const v = verdictOf(handle !== undefined && id !== undefined ? core.checkApi(handle, id, t) : core.checkApiName(appId, name, t));
        if (v !== 0) return denied(v, args, id);
        counters.checks++;
        counters.allowed++;
        return apply(original, self, args);
      };
    }
    defineProperty(wrapper, 'name', { value: name });
    return freeze(wrapper);
  }

  function isTaskApi(name) {
    return name === 'request' || name === 'uploadFile' || name === 'downloadFile' || name === 'connectSocket';
  }

  // A door spec's option paths, grouped by top-level key:
  // [{ key, array, fields: [sub-keys] | null, local, css }]. Also runs at
  // call time (for a returned object's methods), so arrays grow by
  // defineProperty: an index setter planted on Array.prototype never runs.
  function planOf(spec) {
    const plan = [];
    const byKey = create(null);
    const paths = spec.options !== undefined ? spec.options : spec.css;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      let key = '';
      let rest = '';
      let array = false;
      let j = 0;
      for (; j < p.length && p[j] !== '['; j++) key += p[j];
      if (j < p.length) { array = true; j += 2; if (p[j] === '.') j++; for (; j < p.length; j++) rest += p[j]; }
      let entry = byKey[key];
      if (entry === undefined) {
        entry = { __proto__: null, key, array, fields: rest === '' ? null : [], local: spec.local === true, css: spec.css !== undefined, kind: KIND[spec.kind] };
        byKey[key] = entry;
        own(plan, plan.length, entry);
      }
      if (rest !== '') own(entry.fields, entry.fields.length, rest);
    }
    return plan;
  }

  /**
   * Reads each target of `opts` once, checks it, and builds the options the
   * original receives: the caller's own enumerable properties, each target
   * replaced by what was checked (href; a local path as given). Built with
   * defineProperty only. Answers { copy, denied }.
   */
  function vetOptions(opts, plan, appId, name, t) {
    const replaced = create(null);
    let denied = null;
    const vet = (raw, entry, required) => {
      if (raw === undefined || raw === null) {
        if (!required) return raw;
      }
      const s = StringCtor(raw);
      if (entry.local && isLocalPath(s)) return s;
      let target = s;
      let css = null;
      if (entry.css) {
        css = cssUrl(s);
        target = css === null ? '' : css.url;
      }
      const r = urlCheck(appId, entry.kind, target, t, name);
      count(r.v, appId, name, target);
      if (!allows(r.v)) {
        if (denied === null) denied = r;
        return undefined;
      }
      // Report mode lets an unparsable URL through: nothing to serialise.
      const out = r.href === null ? target : r.href;
      return css === null || css.bare ? out : `url("${cssEscape(out)}")`;
    };
    for (let i = 0; i < plan.length; i++) {
      const entry = plan[i];
      const raw = opts === undefined ? undefined : opts[entry.key];
      let value;
      if (!entry.array) {
        value = vet(raw, entry, !entry.local);
      } else if (raw === undefined || raw === null) {
        value = raw;
      } else if (typeof raw !== 'object') {
        value = vet(raw, entry, true);
      } else {
        const len = mathFloor(NumberCtor(raw.length));
        const n = len > 0 ? (len < MAX_TARGETS ? len : MAX_TARGETS) : 0;
        const arr = [];
        for (let k = 0; k < n; k++) {
          const item = raw[k];
          let v2;
          if (entry.fields === null || item === null || typeof item !== 'object') {
            v2 = vet(item, entry, entry.fields !== null);
          } else {
            v2 = copyExcept(item, entry.fields);
            for (let f = 0; f < entry.fields.length; f++) own(v2, entry.fields[f], vet(item[entry.fields[f]], entry, false));
          }
          own(arr, k, v2);
        }
        value = arr;
      }
      replaced[entry.key] = value;
    }
    if (denied !== null) return { copy: undefined, denied };
    // Object spread defines (never assigns) and reads each property once;
    // when a door field is an accessor its getter must not run again, so
    // that case copies key by key without it.
    const copy = opts === undefined ? {} : targetsAreData(opts, plan) ? { ...opts } : copyExcept(opts, plan);
    // Every door field is an own property of the copy, even when absent, so
    // the original never reads one through a prototype. Assigning to an own
    // data property runs no setter.
    for (let i = 0; i < plan.length; i++) {
      const k = plan[i].key;
      if (hasOwn(copy, k)) copy[k] = replaced[k];
      else own(copy, k, replaced[k]);
    }
    return { copy, denied: null };
  }

  function targetsAreData(o, plan) {
    for (let i = 0; i < plan.length; i++) {
      const d = getOwnPropertyDescriptor(o, plan[i].key);
      if (d !== undefined && !hasOwn(d, 'value')) return false;
    }
    return true;
  }

  // The own enumerable properties of `o` except `skip` (names, or plan
  // entries), copied with defineProperty; getters are read once.
  function copyExcept(o, skip) {
    const copy = {};
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let skipped = false;
      for (let s = 0; s < skip.length; s++) {
        const sk = skip[s];
        if (k === (typeof sk === 'string' ? sk : sk.key)) { skipped = true; break; }
      }
      if (skipped) continue;
      const pd = desc(o, k);
      if (pd === undefined || !pd.enumerable) continue;
      own(copy, k, pd.data ? pd.value : o[k]);
    }
    return copy;
  }

  // Facade over an object an API returned (a context, a socket): its methods
  // forward to the original on the original; setters and methods the door
  // spec names are checked and receive what was checked; a method that
  // answers the original answers the facade instead.
  function facade(obj, spec, appId, api) {
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return obj;
    const out = {};
    const seen = create(null);
    const sets = spec.set;
    const methods = spec.methods;
    for (let o = obj; o !== null && o !== ObjectProto && o !== FunctionProto; o = getPrototypeOf(o)) {
      const keys = ownKeys(o);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (typeof key !== 'string' || seen[key] === true || key === 'constructor') continue;
        seen[key] = true;
        const d = desc(o, key);
        if (d === undefined) continue;
        const label = `${api}.${key}`;
        if (d.data && typeof d.value === 'function') {
          const door = methods === undefined ? undefined : methods[key];
          defineProperty(out, key, { __proto__: null, value: freeze(facadeMethod(obj, out, d.value, door, appId, label)), enumerable: true });
          continue;
        }
        let get;
        let setRaw;
        if (d.data) {
          get = () => { const cur = desc(obj, key); return cur === undefined ? undefined : cur.data ? cur.value : cur.get === undefined ? undefined : apply(cur.get, obj, []); };
          setRaw = d.writable ? findSetter(obj, key) : undefined;
        } else {
          const g = d.get;
          const st = d.set;
          get = g === undefined ? undefined : () => apply(g, obj, []);
          setRaw = st === undefined ? undefined : (v) => { apply(st, obj, [v]); };
        }
        let set = setRaw;
        const door = sets === undefined ? undefined : sets[key];
        if (door !== undefined && setRaw !== undefined) {
          const kind = KIND[door.kind];
          set = (v) => {
            const s = StringCtor(v);
            if (door.local === true && isLocalPath(s)) { setRaw(s); return; }
            const r = urlCheck(appId, kind, s, now(), label);
            count(r.v, appId, label, s);
            // Denied: the original never sees it (its src stays as it was).
            if (allows(r.v)) setRaw(r.href === null ? s : r.href);
          };
        }
        defineProperty(out, key, {
          __proto__: null,
          get: get === undefined ? undefined : freeze(get),
          set: set === undefined ? undefined : freeze((v) => { set(v); }),
          enumerable: true,
        });
      }
    }
    return freeze(out);
  }

  function facadeMethod(obj, out, fn, door, appId, label) {
    const answer = (r) => (r === obj ? out : r);
    if (door === undefined) return (...args) => answer(apply(fn, obj, args));
    if (door.returns !== undefined) return (...args) => facade(apply(fn, obj, args), door.returns, appId, label);
    if (door.raw !== undefined) {
      return (...args) => {
        const opts = args[0];
        const isObj = opts !== null && typeof opts === 'object';
        const host = StringCtor(isObj ? opts.address : undefined);
        const port = NumberCtor(isObj ? opts.port : undefined);
        const r = socketCheck(appId, KIND[door.raw], host, port, now());
        count(r.v, appId, label, `${host}:${port}`);
        if (!allows(r.v)) return deny(undefined, r.message, r.v, false, true);
        const copy = isObj ? copyExcept(opts, ['address', 'port']) : {};
        own(copy, 'address', r.href);
        own(copy, 'port', port);
        setArg0(args, copy);
        return answer(apply(fn, obj, args));
      };
    }
    if (door.args !== undefined) {
      const kind = KIND[door.kind];
      return (...args) => {
        const s = StringCtor(args[0]);
        if (!(door.local === true && isLocalPath(s))) {
          const r = urlCheck(appId, kind, s, now(), label);
          count(r.v, appId, label, s);
          if (!allows(r.v)) return deny(undefined, r.message, r.v, false, true);
          setArg0(args, r.href === null ? s : r.href);
        } else {
          setArg0(args, s);
        }
        return answer(apply(fn, obj, args));
      };
    }
    const plan = planOf(door);
    return (...args) => {
      const opts = args[0];
      const isObj = opts !== null && typeof opts === 'object';
      const vetted = vetOptions(isObj ? opts : undefined, plan, appId, label, now());
      if (vetted.denied !== null) return deny(isObj ? opts : undefined, vetted.denied.message, vetted.denied.v, false, !isObj);
      setArg0(args, vetted.copy);
      return answer(apply(fn, obj, args));
    };
  }

  function deny(opts, errMsg, v, task, sync) {
    const n = v & CODE_MASK;
    const errno = ERRNOS[n] ?? 1;
    if (sync) {
      const e = new ErrorCtor(errMsg);
      own(e, 'errMsg', errMsg);
      own(e, 'errno', errno);
      throw e;
    }
    const fail = opts ? opts.fail : undefined;
    const complete = opts ? opts.complete : undefined;
    const success = opts ? opts.success : undefined;
    const callbacks = typeof fail === 'function' || typeof complete === 'function' || typeof success === 'function';
    const res = freeze({ errMsg, errno });
    if (task || callbacks) {
      const args = [res];
      queue(() => {
        if (typeof fail === 'function') { try { apply(fail, undefined, args); } catch { /* mini program's own error */ } }
        if (typeof complete === 'function') { try { apply(complete, undefined, args); } catch { /* as above */ } }
      });
      return task ? inertTask() : undefined;
    }
    return promiseReject(res);
  }

  function inertTask() {
    const t = {};
    for (let i = 0; i < TASK_METHODS.length; i++) own(t, TASK_METHODS[i], freeze(() => undefined));
    return freeze(t);
  }

  return freeze({ guard: freeze(guard), rekey });
}

// ---------------------------------------------------------------------------
// CSS url(...) for loadFontFace's `source`

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
function cssUrl(s) {
  let i = 0;
  const n = s.length;
  while (i < n && isSpace(s[i])) i++;
  if (!(n - i >= 4 && (s[i] === 'u' || s[i] === 'U') && (s[i + 1] === 'r' || s[i + 1] === 'R') && (s[i + 2] === 'l' || s[i + 2] === 'L') && s[i + 3] === '(')) {
    for (let k = 0; k < n; k++) if (s[k] === '(' || s[k] === ')' || s[k] === '\\' || s[k] === '"' || s[k] === '\'') return null;
    let end = n;
    while (end > i && isSpace(s[end - 1])) end--;
    let url = '';
    for (let k = i; k < end; k++) url += s[k];
    return { url, bare: true };
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
  return { url, bare: false };
}

/** An href inside a double-quoted CSS string. */
function cssEscape(h) {
  let out = '';
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    out += c === '\\' || c === '"' ? `\\${c}` : c;
  }
  return out;
}
