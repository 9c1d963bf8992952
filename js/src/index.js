// @miniprogram-guard/bridge: enforces a superapp's permission policy inside
// the mini program base library, through guard-core compiled to wasm.
//
// This file only converts: every verdict, deny code and errMsg comes from
// guard-core (js/pkg, built from guard-wasm). The per-call path crosses into
// wasm with integers only: API names and app ids are resolved to stable ids
// once; messages are rendered by Rust only when a call is denied (or when a
// full decision object is asked for).
//
// Hardening model: mini program code runs in the same realm after this module
// was evaluated. Everything the bridge needs at call time is captured here,
// at module evaluation, so later tampering with globals, Object.prototype or
// Function.prototype cannot change what a call decides. The wasm-bindgen glue
// also reads a few built-ins at call time (string → UTF-8 → wasm memory); see
// lockIntrinsics() below.

import initWasm, { initSync, WasmGuard, codeName, errno as wasmErrno } from '../pkg/guard_wasm.js';

const { apply, defineProperty, getOwnPropertyDescriptor, ownKeys, getPrototypeOf } = Reflect;
const { freeze, create, isFrozen } = Object;
const StringCtor = String;
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
const queue = typeof queueMicrotask === 'function'
  ? queueMicrotask
  : (fn) => { PromiseCtor.resolve().then(fn); };

/** CheckKind numbers of guard-core (decision.rs); part of the wasm ABI. */
const KIND = freeze({ api: 0, request: 1, upload: 2, download: 3, socket: 4, webview: 5 });

/** The wx functions whose first argument's `url` is checked, and their kind. */
const URL_APIS = freeze({
  __proto__: null,
  request: KIND.request,
  uploadFile: KIND.upload,
  downloadFile: KIND.download,
  connectSocket: KIND.socket,
});

/** Methods of the tasks that request/upload/download/connectSocket return. */
const TASK_METHODS = freeze([
  'abort', 'close', 'send',
  'onHeadersReceived', 'offHeadersReceived', 'onChunkReceived', 'offChunkReceived',
  'onProgressUpdate', 'offProgressUpdate',
  'onOpen', 'onClose', 'onError', 'onMessage',
]);

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

function own(target, key, value) {
  defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  return target;
}

// ---------------------------------------------------------------------------
// wasm initialisation

let ready = null;

async function loadWasm(source) {
  if (source !== undefined) {
    if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
      initSync({ module: source });
    } else {
      await initWasm({ module_or_path: source });
    }
    return;
  }
  const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
  if (isNode) {
    const { readFileSync } = await import('node:fs');
    initSync({ module: readFileSync(new URL('../pkg/guard_wasm_bg.wasm', import.meta.url)) });
  } else {
    await initWasm({ module_or_path: new URL('../pkg/guard_wasm_bg.wasm', import.meta.url) });
  }
}

let CODE_NAMES = null;
let LOAD_NAMES = null;
let ERRNOS = null;

function readTables() {
  // Read once from Rust so the names and errnos are never spelled twice.
  const codes = [null];
  const errnos = [0];
  for (let c = 1; c < 128; c++) {
    const name = codeName(c, false);
    if (name === '') break;
    codes[c] = name;
    errnos[c] = wasmErrno(c);
  }
  const loads = [];
  for (let c = 0; c < 128; c++) {
    const name = codeName(c, true);
    if (name === '') break;
    loads[c] = name;
  }
  CODE_NAMES = freeze(codes);
  ERRNOS = freeze(errnos);
  LOAD_NAMES = freeze(loads);
}

// The wasm-bindgen glue reads these built-ins on every call that passes or
// returns a string. Locking them (non-writable, non-configurable) keeps
// mini program code from changing the bytes a URL check sees. Only these
// properties are locked; Object.prototype and Function.prototype are left
// alone (the bridge itself never relies on them at call time).
function lockIntrinsics() {
  const TypedArrayProto = getPrototypeOf(Uint8Array.prototype);
  const targets = [
    [String.prototype, ['charCodeAt', 'slice', 'length']],
    [TextEncoder.prototype, ['encode', 'encodeInto']],
    [TextDecoder.prototype, ['decode']],
    [TypedArrayProto, ['subarray', 'set', 'byteLength', 'length', 'buffer']],
    [DataView.prototype, ['getInt32', 'buffer']],
    [ArrayBuffer.prototype, ['detached', 'byteLength']],
    [WebAssembly.Memory.prototype, ['buffer']],
    [globalThis, ['Uint8Array', 'DataView', 'TextEncoder', 'TextDecoder', 'Number', 'WebAssembly']],
  ];
  for (const [target, keys] of targets) {
    for (const key of keys) {
      const d = getOwnPropertyDescriptor(target, key);
      if (d === undefined || d.configurable === false) continue;
      const locked = 'value' in d
        ? { value: d.value, writable: false, enumerable: d.enumerable, configurable: false }
        : { get: d.get, set: d.set, enumerable: d.enumerable, configurable: false };
      defineProperty(target, key, locked);
    }
  }
}

function init(source) {
  if (ready === null) {
    ready = loadWasm(source).then(() => {
      readTables();
      lockIntrinsics();
    });
    ready.catch(() => { ready = null; });
  }
  return ready;
}

// ---------------------------------------------------------------------------
// decisions

function allows(v) {
  return v === 0 || (v & 0x80) !== 0;
}

function decodeVerdict(v) {
  // The verdict byte of guard-core's Verdict::to_u8: 0 allow, else the deny
  // code, | 0x80 when report mode let the call through.
  const code = v & 0x7f;
  return { allow: v === 0 || (v & 0x80) !== 0, code: code === 0 ? null : CODE_NAMES[code] ?? 'no_policy', reported: (v & 0x80) !== 0, n: code };
}

/** Builds the contract's decision object (same keys as guard-core's Decision). */
function decisionObject(v, message) {
  const d = decodeVerdict(v);
  const out = { allow: d.allow, code: d.code, message };
  if (d.reported) own(out, 'reported', true);
  if (d.n !== 0) own(out, 'errno', ERRNOS[d.n] ?? 1);
  return out;
}

// ---------------------------------------------------------------------------
// the guard

/**
 * Creates a guard for the superapp whose SecretKey is `secret`.
 * @param {{ secret: string, wasm?: BufferSource | WebAssembly.Module | URL | string }} options
 */
export async function createGuard(options) {
  if (options === null || typeof options !== 'object') throw new TypeErrorCtor('createGuard needs `{ secret }`');
  const secret = options.secret;
  if (typeof secret !== 'string') throw new TypeErrorCtor('`secret` must be a string');
  await init(options.wasm);
  const core = new WasmGuard(secret);

  const apiIds = create(null);
  // API errMsgs are a pure function of (verdict byte, name): rendered by Rust
  // once per pair, then reused. Only interned names are cached, so the cache
  // is bounded by guard-core's own name table.
  const apiMessages = create(null);
  function apiMessage(v, name, id) {
    if (id === undefined) return WasmGuard.apiMessage(v, name);
    let perName = apiMessages[name];
    if (perName === undefined) { perName = create(null); apiMessages[name] = perName; }
    let m = perName[v];
    if (m === undefined) { m = WasmGuard.apiMessage(v, name); perName[v] = m; }
    return m;
  }
  const appHandles = create(null);
  const listeners = [];
  const counters = { checks: 0, allowed: 0, denied: 0, reported: 0, byCode: create(null) };

  function apiIdOf(name) {
    let id = apiIds[name];
    if (id === undefined) {
      id = core.apiId(name);
      if (id !== undefined) apiIds[name] = id;
    }
    return id;
  }
  function appHandleOf(appId) {
    let h = appHandles[appId];
    if (h === undefined) {
      h = core.appHandle(appId);
      if (h !== undefined) appHandles[appId] = h;
    }
    return h;
  }

  function verdictApi(appId, handle, name, id, t) {
    if (handle !== undefined && id !== undefined) return core.checkApiId(handle, id, t);
    return core.checkApiName(appId, name, t);
  }
  function verdictUrl(appId, handle, kind, url, t) {
    if (handle !== undefined) return core.checkUrl(handle, kind, url, t);
    return core.checkUrlByApp(appId, kind, url, t);
  }

  function count(v, appId, api, url) {
    counters.checks++;
    if (v === 0) { counters.allowed++; return; }
    const d = decodeVerdict(v);
    if (d.reported) counters.reported++; else counters.denied++;
    counters.byCode[d.code] = (counters.byCode[d.code] ?? 0) + 1;
    if (listeners.length === 0) return;
    const event = freeze({ appId, api, code: d.code, url, reported: d.reported });
    for (let i = 0; i < listeners.length; i++) {
      try { listeners[i](event); } catch { /* a listener cannot change a decision */ }
    }
  }

  function str(x, what) {
    if (typeof x !== 'string') throw new TypeErrorCtor(`\`${what}\` must be a string`);
    return x;
  }

  const checkUrlKind = (kind) => (appId, url, options) => {
    str(appId, 'appId');
    const u = str(url, 'url');
    const t = clock(options);
    const v = verdictUrl(appId, appHandleOf(appId), kind, u, t);
    return decisionObject(v, core.urlMessage(kind));
  };

  const guard = {
    load(bundle, options) {
      const t = clock(options);
      const code = core.load(str(bundle, 'bundle'), t);
      return { code: LOAD_NAMES[code] ?? 'malformed_bundle', message: code === 0 ? '' : core.loadMessage() };
    },
    checkApi(appId, name, options) {
      str(appId, 'appId');
      str(name, 'name');
      const t = clock(options);
      const id = apiIdOf(name);
      const v = verdictApi(appId, appHandleOf(appId), name, id, t);
      return decisionObject(v, apiMessage(v, name, id));
    },
    checkRequest: checkUrlKind(KIND.request),
    checkUpload: checkUrlKind(KIND.upload),
    checkDownload: checkUrlKind(KIND.download),
    checkSocket: checkUrlKind(KIND.socket),
    checkWebview: checkUrlKind(KIND.webview),
    onViolation(listener) {
      if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    counters() {
      const byCode = {};
      for (const k of ownKeys(counters.byCode)) own(byCode, k, counters.byCode[k]);
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
      const handle = appHandleOf(appId);
      const vet = (url) => {
        const u = StringCtor(url);
        const v = verdictUrl(appId, handle, KIND.webview, u, now());
        const message = core.urlMessage(KIND.webview); // before a listener can check anything
        count(v, appId, 'web-view', u);
        return { v, u, message };
      };
      return freeze({
        /** Whether a navigation to `url` may happen (for a native navigation hook). */
        shouldLoad(url) { return allows(vet(url).v); },
        /** Vets `url` and, when allowed, points the element at it. Answers the decision. */
        navigate(url) {
          const { v, u, message } = vet(url);
          const decision = decisionObject(v, message);
          if (decision.allow && setSrc) apply(setSrc, element, [u]);
          return decision;
        },
      });
    },
  };

  function findSetter(obj, key) {
    for (let o = obj; o !== null; o = getPrototypeOf(o)) {
      const d = getOwnPropertyDescriptor(o, key);
      if (d !== undefined && d.set !== undefined) return d.set;
      if (d !== undefined && 'value' in d) return function setOwn(v) { this[key] = v; };
    }
    return undefined;
  }

  function wrapNamespace(wx, appId, prefix) {
    const handle = appHandleOf(appId);
    const out = {};
    const seen = create(null);
    // Own keys first, then methods of a class-based namespace's prototypes.
    for (let o = wx; o !== null && o !== ObjectProto && o !== FunctionProto; o = getPrototypeOf(o)) {
    for (const key of ownKeys(o)) {
      if (typeof key !== 'string' || seen[key] === true) continue;
      seen[key] = true;
      if (o !== wx && key === 'constructor') continue;
      const d = getOwnPropertyDescriptor(o, key);
      if (d === undefined) continue;
      const value = 'value' in d ? d.value : undefined;
      let wrapped;
      if (typeof value === 'function') {
        wrapped = wrapFunction(wx, value, appId, handle, prefix + key, key);
      } else if (value !== null && typeof value === 'object' && prefix === '') {
        wrapped = wrapNamespace(value, appId, key + '.');
      } else if (value !== null && typeof value === 'object') {
        wrapped = freeze({});
      } else {
        wrapped = value;
      }
      defineProperty(out, key, { value: wrapped, writable: false, enumerable: true, configurable: false });
    }
    }
    return freeze(out);
  }

  function wrapFunction(self, original, appId, handle, name, key) {
    const id = apiIdOf(name);
    const urlKind = prefix(name) ? undefined : URL_APIS[key];
    const n = name.length;
    // Indexing, not String.prototype.endsWith: nothing tamperable.
    const sync = n > 4 && name[n - 4] === 'S' && name[n - 3] === 'y' && name[n - 2] === 'n' && name[n - 1] === 'c';
    let wrapper;
    if (urlKind !== undefined) {
      wrapper = (...args) => {
        const t = now();
        const apiV = verdictApi(appId, handle, name, id, t);
        const opts = args[0];
        const isObj = opts !== null && typeof opts === 'object';
        // Read and convert the URL exactly once; the original gets this string.
        const url = StringCtor(isObj ? opts.url : undefined);
        const apiDenied = !allows(apiV);
        const v = apiDenied ? apiV : verdictUrl(appId, handle, urlKind, url, t);
        // The message is taken before any listener runs: a listener that makes
        // its own check must not change which URL the message names.
        const errMsg = allows(v) ? undefined : apiDenied ? apiMessage(v, name, id) : core.urlMessage(urlKind);
        if (apiV !== 0 && !apiDenied) count(apiV, appId, name, url);
        count(v, appId, name, url);
        if (errMsg !== undefined) return deny(isObj ? opts : undefined, errMsg, v, true, false);
        own(args, 0, copyWithUrl(isObj ? opts : undefined, url));
        return apply(original, self, args);
      };
    } else {
      const denied = (v, args) => {
        count(v, appId, name, undefined);
        if (allows(v)) return apply(original, self, args);
        const opts = args[0];
        return deny(opts !== null && typeof opts === 'object' ? opts : undefined, apiMessage(v, name, id), v, false, sync);
      };
      // The hot path: ids resolved at wrap time, integers into wasm, and an
      // allowed call goes straight to the original.
      wrapper = handle !== undefined && id !== undefined
        ? (...args) => {
          const v = core.checkApiId(handle, id, now());
          if (v !== 0) return denied(v, args);
          counters.checks++;
          counters.allowed++;
          return apply(original, self, args);
        }
        : (...args) => {
          const v = core.checkApiName(appId, name, now());
          if (v !== 0) return denied(v, args);
          counters.checks++;
          counters.allowed++;
          return apply(original, self, args);
        };
    }
    defineProperty(wrapper, 'name', { value: name });
    return freeze(wrapper);
  }

  // The options the original receives: the caller's own enumerable
  // properties, with `url` replaced by the string that was checked. Built with
  // object spread or defineProperty, never assignment, so setters planted on
  // Object.prototype are not invoked. When `url` is an accessor, spreading
  // would run its getter again, so that case copies key by key without it.
  function copyWithUrl(opts, url) {
    if (opts === undefined) return { url };
    const d = getOwnPropertyDescriptor(opts, 'url');
    if (d === undefined || 'value' in d) return { ...opts, url };
    const copy = {};
    for (const k of ownKeys(opts)) {
      if (k === 'url') continue;
      const pd = getOwnPropertyDescriptor(opts, k);
      if (pd === undefined || !pd.enumerable) continue;
      own(copy, k, 'value' in pd ? pd.value : opts[k]);
    }
    return own(copy, 'url', url);
  }

  function prefix(name) {
    for (let i = 0; i < name.length; i++) if (name[i] === '.') return true;
    return false;
  }

  function deny(opts, errMsg, v, task, sync) {
    const n = v & 0x7f;
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
    const res = { errMsg, errno };
    if (task || callbacks) {
      queue(() => {
        if (typeof fail === 'function') { try { apply(fail, undefined, [res]); } catch { /* mini program's own error */ } }
        if (typeof complete === 'function') { try { apply(complete, undefined, [res]); } catch { /* as above */ } }
      });
      return task ? inertTask() : undefined;
    }
    return promiseReject(res);
  }

  function inertTask() {
    const t = {};
    for (let i = 0; i < TASK_METHODS.length; i++) own(t, TASK_METHODS[i], () => undefined);
    return freeze(t);
  }

  return freeze(guard);
}

export { KIND };
