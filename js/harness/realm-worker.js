// The mini program's realm in the demo: a dedicated worker, as a base
// library's logic layer is, whose only way out is the `wx` it builds here,
// each call a message to the page that runs the guard (js/harness/realm.mjs).
//
// Two layers keep it off the network (decision 480):
//  - the harness server sends this script with
//    `Content-Security-Policy: default-src 'none'; script-src 'unsafe-eval'`,
//    so the browser refuses every fetch the realm starts (fetch, XHR,
//    WebSocket, EventSource, import(), importScripts, nested workers, a
//    service worker's script): `import()` is syntax and cannot be deleted,
//    the policy is what stops it. `'unsafe-eval'` is what evaluates the code
//    package (a CommonJS function body, as base libraries do) and loads
//    nothing;
//  - before any mini program code runs, this script deletes the realm's
//    network and storage APIs from the global object and its prototypes, so
//    a call fails at once with a TypeError instead of an event later.
// A worker has no DOM (no Image, sendBeacon, forms, links) and cannot
// navigate, so nothing leaves by a navigation either; it has no
// localStorage, where the page keeps the sync's state.
//
// What the mini program passes to `wx` crosses as data (structured clone):
// the page checks an immutable copy, so nothing the mini program does to
// this realm's prototypes, getters or `toString`s reaches the check.
// Functions become callback ids; a value that is not data fails the call.
// `*Sync` calls block on a SharedArrayBuffer (the page is cross-origin
// isolated) until the page answers.
'use strict';

const post = self.postMessage.bind(self);
const listen = self.addEventListener.bind(self);
const { wait, load } = Atomics;
const jsonParse = JSON.parse;
const decoder = new TextDecoder();
const Sab = self.SharedArrayBuffer;
const I32 = Int32Array;
const U8 = Uint8Array;
const ProxyCtor = Proxy;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const FunctionCtor = Function;
const { getPrototypeOf, defineProperty, freeze, keys } = Object;
const isArray = Array.isArray;
const objectProto = Object.prototype;

/** What a mini program reaches the network or the origin's storage with. */
const REMOVED = ['fetch', 'XMLHttpRequest', 'XMLHttpRequestEventTarget', 'XMLHttpRequestUpload', 'WebSocket', 'WebSocketStream',
  'EventSource', 'WebTransport', 'importScripts', 'Worker', 'SharedWorker', 'ServiceWorker', 'indexedDB', 'IDBFactory',
  'caches', 'CacheStorage', 'BroadcastChannel', 'FileSystemHandle', 'StorageManager'];
const REMOVED_NAVIGATOR = ['serviceWorker', 'storage', 'sendBeacon'];

/** Deletes `names` from `target` and every prototype above it. */
function strip(target, names) {
  for (let o = target; o !== null && o !== objectProto; o = getPrototypeOf(o)) {
    for (const name of names) {
      if (Object.prototype.hasOwnProperty.call(o, name)) delete o[name];
    }
  }
}
strip(self, REMOVED);
strip(self.navigator, REMOVED_NAVIGATOR);
// Anything left would be a way out this list missed: fail loudly at start.
for (const name of REMOVED) if (name in self) throw new ErrorCtor(`realm: \`${name}\` could not be removed`);

const callbacks = new Map();
const settlers = new Map();
let nextId = 1;

/**
 * A value as it crosses to the page: data. A function is a callback where
 * the platform takes one (an argument, or a member of an options object:
 * depth 0 or 1); anywhere deeper (a `url` object with its own `toString`)
 * it is not data, and the call fails.
 */
function encode(value, depth) {
  if (typeof value === 'function') {
    if (depth > 1) throw new ErrorCtor('a function inside an option is not data');
    const id = nextId++;
    callbacks.set(id, value);
    return { t: 'f', id };
  }
  if (value === null || typeof value !== 'object') return { t: 'p', v: value };
  if (depth > 16) throw new ErrorCtor('nested too deeply');
  if (isArray(value)) return { t: 'a', v: value.map((x) => encode(x, depth + 2)) };
  const proto = getPrototypeOf(value);
  if (proto !== objectProto && proto !== null) return { t: 'p', v: value }; // ArrayBuffer, typed arrays, Date: cloned as they are
  const out = {};
  for (const k of keys(value)) out[k] = encode(value[k], depth + 1);
  return { t: 'o', v: out };
}

/** The error a failed `*Sync` call throws, shaped as the page's: errMsg (and errno) kept. */
function syncError(e) {
  const err = new ErrorCtor(e.message ?? e.errMsg);
  if (e.errMsg !== undefined) err.errMsg = e.errMsg;
  if (e.errno !== undefined) err.errno = e.errno;
  return err;
}

const SYNC_BYTES = 1 << 18;
/** A `*Sync` call: blocks until the page wrote its answer (at most 10 s). */
function callSync(message, api) {
  if (typeof Sab !== 'function') throw syncError({ errMsg: `${api}:fail the page is not cross-origin isolated` });
  const sab = new Sab(8 + SYNC_BYTES);
  const state = new I32(sab, 0, 2);
  message.sab = sab;
  post(message);
  if (wait(state, 0, 0, 10000) === 'timed-out' && load(state, 0) === 0) throw syncError({ errMsg: `${api}:fail the base library did not answer` });
  const answer = jsonParse(decoder.decode(new U8(sab, 8, load(state, 1)).slice()));
  if (!answer.ok) throw syncError(answer.error);
  return answer.value;
}

/**
 * What an asynchronous call returns: the task or context the page got back,
 * its methods forwarded; with no callbacks given, also a thenable for the
 * Promise style.
 */
function handle(id, promiseStyle) {
  let promise;
  if (promiseStyle) promise = new PromiseCtor((resolve, reject) => settlers.set(id, { resolve, reject }));
  return new ProxyCtor(freeze({}), {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      if (name === 'then' || name === 'catch' || name === 'finally') return promise === undefined ? undefined : promise[name].bind(promise);
      return (...args) => { post({ op: 'method', handle: id, name, args: args.map((a) => encode(a, 0)) }); };
    },
  });
}

/** Calls the options' `fail` and `complete` later, as the platform answers a parameter error. */
function failLater(options, errMsg) {
  const res = { errMsg };
  PromiseCtor.resolve().then(() => {
    try { if (typeof options?.fail === 'function') options.fail(res); } finally { if (typeof options?.complete === 'function') options.complete(res); }
  });
}

/** One API of the realm's `wx`: a message to the page. */
function api(name) {
  return function wxApi(...args) {
    const id = nextId++;
    const options = args[0];
    const callbackGiven = options !== null && typeof options === 'object'
      && (typeof options.success === 'function' || typeof options.fail === 'function' || typeof options.complete === 'function');
    const message = { op: 'call', id, api: name, args: null };
    try {
      message.args = args.map((a) => encode(a, 0));
      if (name.endsWith('Sync')) return callSync(message, name);
      post(message);
    } catch (e) {
      if (e?.errMsg !== undefined) throw e; // a *Sync call's own failure
      // Not data: the call fails here, as the platform's parameter check does.
      const errMsg = `${name}:fail parameter error: ${e.message}`;
      if (name.endsWith('Sync') || !callbackGiven) throw syncError({ errMsg });
      failLater(options, errMsg);
      return handle(id, false);
    }
    return handle(id, !callbackGiven && typeof args[args.length - 1] !== 'function');
  };
}

/** The realm's `wx`: extensible, each API a non-writable, non-configurable member. */
function makeWx(names) {
  const wx = {};
  for (const name of names) defineProperty(wx, name, { value: api(name), enumerable: true });
  return wx;
}

let program = null;
let wx = null;

listen('message', (event) => {
  const m = event.data;
  if (m === null || typeof m !== 'object') return;
  if (m.op === 'init' && program === null) {
    wx = makeWx(m.apis);
    defineProperty(self, 'wx', { value: wx, enumerable: true });
    const module = { exports: {} };
    // The code package, exactly the bytes the page hashed and launched.
    const body = decoder.decode(m.code);
    new FunctionCtor('module', 'exports', 'wx', body)(module, module.exports, wx);
    program = module.exports;
    // Each exported list without its step functions: labels and web-view URLs, for the page's rows.
    const lists = {};
    for (const k of keys(program)) {
      if (isArray(program[k])) lists[k] = program[k].map((e) => (isArray(e) ? e.filter((x) => typeof x !== 'function') : null));
    }
    post({ op: 'ready', lists });
  } else if (m.op === 'run' && program !== null) {
    // Each list's entries end with the step: [label, step] or [app, label, step].
    const entry = program[m.list]?.[m.index];
    const done = (res) => post({ op: 'done', run: m.run, errMsg: String(res?.errMsg ?? '(no errMsg)') });
    try {
      entry[entry.length - 1](wx, done);
    } catch (e) {
      done({ errMsg: `step threw ${e}` });
    }
  } else if (m.op === 'callback') {
    const f = callbacks.get(m.cb);
    if (f !== undefined) f(...m.args);
  } else if (m.op === 'settle') {
    const s = settlers.get(m.id);
    settlers.delete(m.id);
    if (s !== undefined) (m.ok ? s.resolve : s.reject)(m.value);
  }
});
