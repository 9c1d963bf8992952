// `sync`: a guard kept in step with the superapp's server (`guard serve`),
// for base libraries that fetch from JS. The same guarantees as the Rust SDK
// (docs/js-bridge.md, "Sync"):
//  - keys.json and the bundle with If-None-Match; the long-poll of
//    PROTOCOLS.md P1 (`Prefer: wait=N`), or a jittered interval when the
//    server does not apply it; exponential backoff with full jitter;
//    `Retry-After` honoured;
//  - the bundle, key set and anti-rollback floor persisted in the injected
//    storage (one record, plus the floor under a key of its own), restored
//    before anything loads after a restart: an offline start enforces the
//    stored bundle, an older bundle is refused (`stale_version`), a tampered
//    or truncated one is refused and fetched again;
//  - while the server is down the last good bundle stays enforced, until it
//    expires (then `no_policy`, guard-core's rule);
//  - a new key set re-keys the guard in place (index.js `rekey`): floor and
//    policy kept, every wrapped namespace keeps working;
//  - violation reports (the wasm guard's own log) are sent every 60 s and
//    when the app goes to the background (`background()`), requeued when a
//    send fails, and held back while a 429's `Retry-After` lasts.
//
// Containment (docs/threat-model.md): mini program code shares the realm and
// may replace any built-in after `sync` started. Every built-in used after
// start-up is captured when this module is evaluated (fetch's Response and
// Headers accessors, JSON, timers, the clock, AbortController, Math.random);
// the injected `fetch` and `storage` functions are captured when `sync` is
// called. Every promise awaited here first gets an own `constructor` (the
// captured Promise), so `await` neither reads `Promise.prototype` nor calls a
// `then`; promises are resolved only with primitives or null-prototype
// objects, so no `then` planted on `Object.prototype` is ever looked up; the
// objects passed to `fetch` are null-prototype. Nothing handed out (the
// controller, its status, events) leads to the sync's state, and all of it is
// frozen. What a hostile realm can still do is make the base library's own
// fetch fail or hang: the guard then keeps the last good bundle until it
// expires, exactly as when the server is down.

import { createKeyedGuard } from './index.js';
import { HAS_WASM } from './raw.js';

const { apply, defineProperty, getOwnPropertyDescriptor, ownKeys } = Reflect;
const { freeze, create, hasOwn } = Object;
const PromiseCtor = Promise;
const promiseResolve = Promise.resolve;
const promiseReject = Promise.reject;
const TypeErrorCtor = TypeError;
const ErrorCtor = Error;
const StringCtor = String;
const stringify = JSON.stringify;
const parse = JSON.parse;
const dateNow = Date.now;
const dateParse = Date.parse;
const mathFloor = Math.floor;
const mathRandom = Math.random;
const numberIsInteger = Number.isInteger;
const isArray = Array.isArray;
const encodeComponent = encodeURIComponent;
const strIndexOf = String.prototype.indexOf;
const strSlice = String.prototype.slice;
const strToLowerCase = String.prototype.toLowerCase;
const strTrim = String.prototype.trim;
const globalRef = globalThis;
const setTimer = globalThis.setTimeout;
const clearTimer = globalThis.clearTimeout;
const globalFetch = typeof globalThis.fetch === 'function' ? globalThis.fetch : undefined;

// WHATWG fetch's accessors, captured: a native Response is read through
// them, never through its (replaceable) prototype.
const getter = (proto, key) => {
  const d = proto === undefined ? undefined : getOwnPropertyDescriptor(proto, key);
  return d === undefined ? undefined : d.get;
};
const ResponseProto = typeof Response === 'function' ? Response.prototype : undefined;
const responseStatus = getter(ResponseProto, 'status');
const responseHeaders = getter(ResponseProto, 'headers');
const responseText = ResponseProto === undefined ? undefined : ResponseProto.text;
const headersGet = typeof Headers === 'function' ? Headers.prototype.get : undefined;
const AbortCtor = typeof AbortController === 'function' ? AbortController : undefined;
const abortSignal = AbortCtor === undefined ? undefined : getter(AbortCtor.prototype, 'signal');
const abortAbort = AbortCtor === undefined ? undefined : AbortCtor.prototype.abort;

/** The configuration file's format (docs/server.md). */
const CONFIG_FORMAT = 'guard-superapp-config/1';
/** The stored record's format. */
const RECORD_FORMAT = 'guard-sync/1';
const DEFAULTS = freeze({
  longPollSeconds: 25,
  intervalSeconds: 30,
  backoffSeconds: 1,
  maxBackoffSeconds: 300,
  requestTimeoutSeconds: 15,
  reportIntervalSeconds: 60,
  storagePrefix: 'miniprogram-guard/sync/',
});
/** The longest wait a Retry-After may impose (a day): a hostile or broken value cannot park the sync for good. */
const MAX_RETRY_AFTER = 86400;

// ---------------------------------------------------------------------------
// promises that the realm cannot intercept

/** `p`, with an own `constructor` that is the captured Promise: `await p` then reads nothing else. */
function pin(p) {
  if (p !== null && (typeof p === 'object' || typeof p === 'function')) {
    defineProperty(p, 'constructor', { __proto__: null, value: PromiseCtor, writable: false, configurable: true });
  }
  return p;
}

/** A pinned promise and its settle functions. */
function deferred() {
  let resolve;
  let reject;
  const promise = pin(new PromiseCtor((res, rej) => { resolve = res; reject = rej; }));
  return { __proto__: null, promise, resolve, reject };
}

/** A null-prototype record, the only kind of object a promise here is resolved with. */
const rec = (o) => freeze(o);

const timer = (fn, seconds) => apply(setTimer, globalRef, [fn, seconds * 1000 > 2147483647 ? 2147483647 : seconds * 1000]);
const cancelTimer = (id) => { if (id !== undefined) apply(clearTimer, globalRef, [id]); };

// ---------------------------------------------------------------------------
// small pure helpers (nothing tamperable)

const indexOf = (s, sub, from) => apply(strIndexOf, s, [sub, from ?? 0]);
const slice = (s, a, b) => apply(strSlice, s, b === undefined ? [a] : [a, b]);
const lower = (s) => apply(strToLowerCase, s, []);
const trim = (s) => apply(strTrim, s, []);

function seconds(v, what, min, max) {
  if (typeof v !== 'number' || !(v >= min) || !(v <= max)) throw new TypeErrorCtor(`\`${what}\` must be a number of seconds from ${min} to ${max}`);
  return v;
}

/** An own string field of a parsed JSON object, or undefined. */
function own(o, key) {
  return o !== null && typeof o === 'object' && hasOwn(o, key) ? o[key] : undefined;
}

function parseJson(text) {
  try { return apply(parse, undefined, [text]); } catch { return undefined; }
}

/** A Retry-After value in seconds (delta-seconds or an HTTP-date), or undefined. */
function retryAfterSeconds(value, nowSeconds) {
  if (typeof value !== 'string') return undefined;
  const v = trim(value);
  let n;
  if (v !== '' && isDigits(v)) n = +v;
  else {
    const at = apply(dateParse, undefined, [v]);
    if (at !== at) return undefined; // NaN
    n = mathFloor(at / 1000) - nowSeconds;
  }
  if (n < 0) n = 0;
  return n > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : n;
}

function isDigits(s) {
  for (let i = 0; i < s.length; i++) if (s[i] < '0' || s[i] > '9') return false;
  return s.length > 0 && s.length < 16;
}

/** `{app_id}` in a configuration template, replaced by the percent-encoded app id. */
function fill(template, app) {
  const at = indexOf(template, '{app_id}');
  if (at < 0) throw new TypeErrorCtor('the configuration\'s `app_bundle_url_template` has no `{app_id}`');
  return slice(template, 0, at) + apply(encodeComponent, undefined, [app]) + slice(template, at + 8);
}

/**
 * The configuration file, checked: the fields the sync uses. Throws a
 * TypeError naming the first bad field.
 */
function checkConfig(c, app) {
  if (c === null || typeof c !== 'object' || isArray(c)) throw new TypeErrorCtor('the configuration must be a JSON object');
  const str = (k, optional) => {
    const v = own(c, k);
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') throw new TypeErrorCtor(`the configuration's \`${k}\` must be a non-empty string`);
    return v;
  };
  if (own(c, 'format') !== CONFIG_FORMAT) throw new TypeErrorCtor(`the configuration's \`format\` must be \`${CONFIG_FORMAT}\``);
  const superappId = str('superapp_id');
  const serverUrl = str('server_url');
  const bundleUrl = app === undefined ? str('bundle_url') : fill(str('app_bundle_url_template'), app);
  const keysUrl = str('keys_url');
  let reportsUrl = str('reports_url', true);
  if (reportsUrl === undefined) {
    // PROTOCOLS.md P2: the path is fixed; older configuration files lack the field.
    const base = serverUrl[serverUrl.length - 1] === '/' ? slice(serverUrl, 0, serverUrl.length - 1) : serverUrl;
    reportsUrl = `${base}/api/v1/superapps/${apply(encodeComponent, undefined, [superappId])}/reports`;
  }
  const lp = own(c, 'long_poll_seconds');
  if (lp !== undefined && (!numberIsInteger(lp) || lp < 0 || lp > 300)) throw new TypeErrorCtor('the configuration\'s `long_poll_seconds` must be an integer from 0 to 300');
  return freeze({ __proto__: null, superappId, bundleUrl, keysUrl, reportsUrl, longPollSeconds: lp });
}

// ---------------------------------------------------------------------------
// the sync

/**
 * Starts syncing: creates the guard (from the stored key set and bundle
 * when there are any: an offline start), restores the stored floor before
 * anything loads, then keeps it in step with the server. Resolves once the
 * guard enforces what storage held, or (nothing usable stored) once the first
 * round with the server ended either way: from then on `controller.guard` is
 * the guard to wrap with. Rejects (TypeError) on bad options, or when neither
 * the configuration can be fetched nor one is stored.
 *
 * A module function, not a guard method: the sync owns what a guard is
 * created with (the key set from keys.json, replaced on rotation) and what it
 * loads, in order (the floor before the first bundle), so it creates the
 * guard itself; docs/decisions.md 140.
 *
 * @param {object} options see index.d.ts `SyncOptions`
 */
export async function sync(options) {
  if (!HAS_WASM) throw new ErrorCtor('this JS engine has no WebAssembly: sync keeps a wasm guard; with a native back end (createGuard({ native })) the native side syncs');
  if (options === null || typeof options !== 'object') throw new TypeErrorCtor('sync needs `{ config | configUrl, fetch, storage }`');
  const fetchFn = options.fetch === undefined ? globalFetch : options.fetch;
  if (typeof fetchFn !== 'function') throw new TypeErrorCtor('`fetch` must be a function (url, init) => Promise<Response>');
  const storage = options.storage;
  if (storage === null || typeof storage !== 'object' && typeof storage !== 'function') throw new TypeErrorCtor('`storage` must be an object with async `get(key)` and `set(key, value)`');
  const storageGet = storage.get;
  const storageSet = storage.set;
  if (typeof storageGet !== 'function' || typeof storageSet !== 'function') throw new TypeErrorCtor('`storage` must have `get(key)` and `set(key, value)` functions');
  const app = options.app;
  if (app !== undefined && (typeof app !== 'string' || app === '')) throw new TypeErrorCtor('`app` must be a non-empty string');
  const configGiven = options.config;
  const configUrl = options.configUrl;
  if ((configGiven === undefined) === (configUrl === undefined)) throw new TypeErrorCtor('sync needs exactly one of `config` and `configUrl`');
  if (configUrl !== undefined && typeof configUrl !== 'string') throw new TypeErrorCtor('`configUrl` must be a string');
  const nowFn = options.now;
  if (nowFn !== undefined && typeof nowFn !== 'function') throw new TypeErrorCtor('`now` must be a function answering unix seconds');
  const opt = (k, min, max) => (options[k] === undefined ? DEFAULTS[k] : seconds(options[k], k, min, max));
  const intervalSeconds = opt('intervalSeconds', 0.01, 86400);
  const backoffSeconds = opt('backoffSeconds', 0.01, 3600);
  const maxBackoffSeconds = opt('maxBackoffSeconds', 0.01, 86400);
  const requestTimeoutSeconds = opt('requestTimeoutSeconds', 0.1, 3600);
  const reportIntervalSeconds = opt('reportIntervalSeconds', 0.01, 86400);
  const longPollOverride = options.longPollSeconds === undefined ? undefined : seconds(options.longPollSeconds, 'longPollSeconds', 0, 300);
  const prefix = options.storagePrefix === undefined ? DEFAULTS.storagePrefix : options.storagePrefix;
  if (typeof prefix !== 'string') throw new TypeErrorCtor('`storagePrefix` must be a string');
  const wasm = options.wasm;
  const STATE_KEY = `${prefix}state`;
  const FLOOR_KEY = `${prefix}floor`;

  const clock = () => {
    const t = nowFn === undefined ? mathFloor(apply(dateNow, undefined, []) / 1000) : apply(nowFn, undefined, []);
    if (typeof t !== 'number' || !(t >= 0)) throw new TypeErrorCtor('`now` must answer unix seconds');
    return mathFloor(t);
  };

  // ---- HTTP through the injected fetch ------------------------------------

  /**
   * One request: `{ ok, status, header(name), text }` (null-prototype), or
   * `{ ok: false, status: 0, error }` when it failed, timed out or was
   * aborted. A native Response is read through the captured accessors; any
   * other response object (a base library's own fetch) through its own
   * `status`, `headers.get` and `text()`.
   */
  let inflight = null; // { abort, refresh } of the request a refresh() or stop() may cut short
  async function http(method, url, headers, body, timeoutSeconds, interruptible) {
    const ctl = AbortCtor === undefined ? undefined : new AbortCtor();
    const signal = ctl === undefined ? undefined : apply(abortSignal, ctl, []);
    const abort = () => { if (ctl !== undefined) { try { apply(abortAbort, ctl, []); } catch { /* already aborted */ } } };
    const done = deferred();
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; done.resolve(r); } };
    const fail = (error, interrupted) => finish(rec({ __proto__: null, ok: false, status: 0, error, interrupted: interrupted === true }));
    const timeout = timer(() => { abort(); fail(`no answer within ${timeoutSeconds} s`); }, timeoutSeconds);
    const mine = { __proto__: null, cut: (why) => { abort(); fail(why, true); } };
    if (interruptible) inflight = mine;
    const init = { __proto__: null, method, headers, signal };
    if (body !== undefined) defineProperty(init, 'body', { __proto__: null, value: body, enumerable: true });
    (async () => {
      try {
        const res = await pin(apply(fetchFn, undefined, [url, init]));
        if (res === null || typeof res !== 'object') { fail('fetch answered no response'); return; }
        let status;
        let header;
        let text;
        let native = false;
        if (responseStatus !== undefined) {
          try { status = apply(responseStatus, res, []); native = true; } catch { native = false; }
        }
        if (native) {
          const h = apply(responseHeaders, res, []);
          header = (name) => { try { return apply(headersGet, h, [name]); } catch { return null; } };
          text = () => pin(apply(responseText, res, []));
        } else {
          status = res.status;
          const h = res.headers;
          const get = h !== null && typeof h === 'object' ? h.get : undefined;
          header = (name) => { try { return typeof get === 'function' ? apply(get, h, [name]) : null; } catch { return null; } };
          const t = res.text;
          text = () => pin(typeof t === 'function' ? apply(t, res, []) : apply(promiseReject, PromiseCtor, [new ErrorCtor('no text()')]));
        }
        if (typeof status !== 'number') { fail('the response has no status'); return; }
        // The body is read here, within the timeout, so a caller gets the
        // whole answer or none.
        let bodyText = '';
        if (status === 200 || status === 202 || status >= 400) {
          bodyText = await pin(text());
          if (typeof bodyText !== 'string') { fail('the response body is not text'); return; }
        }
        finish(rec({ __proto__: null, ok: true, status, text: bodyText, etag: str0(header('etag')), applied: str0(header('preference-applied')), retryAfter: str0(header('retry-after')) }));
      } catch (e) {
        fail(settled ? '' : describe(e));
      } finally {
        cancelTimer(timeout);
        if (inflight === mine) inflight = null;
      }
    })();
    return done.promise;
  }
  const str0 = (v) => (typeof v === 'string' ? v : null);
  const describe = (e) => {
    try { return e !== null && typeof e === 'object' && typeof own(e, 'message') === 'string' ? e.message : StringCtor(e); } catch { return 'fetch failed'; }
  };

  // ---- storage ------------------------------------------------------------

  async function storageRead(key) {
    try {
      const v = await pin(apply(storageGet, storage, [key]));
      return typeof v === 'string' ? v : null;
    } catch {
      return null;
    }
  }
  async function storageWrite(key, value) {
    try {
      await pin(apply(storageSet, storage, [key, value]));
      return null;
    } catch (e) {
      return describe(e);
    }
  }

  /** The stored record, checked; null when absent. `refused` says why one was not usable. */
  function readRecord(text) {
    if (text === null) return rec({ __proto__: null, record: null, refused: null });
    const r = parseJson(text);
    const bad = (why) => rec({ __proto__: null, record: null, refused: why });
    if (r === undefined || r === null || typeof r !== 'object' || isArray(r)) return bad('not a JSON object (truncated or tampered)');
    if (own(r, 'format') !== RECORD_FORMAT) return bad('unknown format');
    const field = (k, type) => {
      const v = own(r, k);
      return v === null || typeof v === type ? v : undefined;
    };
    const out = {
      __proto__: null,
      superappId: field('superapp_id', 'string'),
      scope: field('scope', 'string'),
      config: field('config', 'string'),
      keys: field('keys', 'string'),
      keysEtag: field('keys_etag', 'string'),
      bundle: field('bundle', 'string'),
      etag: field('etag', 'string'),
      floor: field('floor', 'string'),
    };
    const ks = ownKeys(out);
    for (let i = 0; i < ks.length; i++) if (out[ks[i]] === undefined) return bad(`field \`${ks[i]}\` missing or of the wrong type`);
    return rec({ __proto__: null, record: freeze(out), refused: null });
  }

  // ---- state ----------------------------------------------------------------

  let config = null;
  let configText = null;
  let guard = null;
  let rekey = null;
  let keysText = null;
  let keysEtag = null;
  let bundleText = null; // the bundle in force, as loaded
  let bundleEtag = null;
  let seenEtag = null; // the ETag of the last bundle the server sent, accepted or not: what If-None-Match says
  let dirty = false;
  let pendingFloors = null;
  let stopped = false;
  let failures = 0;
  let longPoll = false;
  let lastSuccess = null;
  let lastError = null;
  let lastRefusal = null;
  let storedOutcome = 'none';
  let storageError = null;
  let rounds = 0;
  let reportsSent = 0;
  let reportsDropped = 0;
  let reportsRetryAt = 0;
  let reportsBusy = false;
  // Listeners: null-prototype tables written by key (no Array.prototype.push).
  const listeners = create(null);
  const statusListeners = create(null);
  let listenerSeq = 0;

  function call(table, event) {
    const args = [event];
    for (let i = 0; i < listenerSeq; i++) {
      const l = table[i];
      if (l === undefined) continue;
      try { apply(l, undefined, args); } catch { /* a listener cannot change what is enforced */ }
    }
  }
  const emit = (reason) => call(listeners, freeze({ reason, version: version(), etag: bundleEtag }));
  const emitStatus = () => call(statusListeners, status());

  /** The version in force: the floor's, when a bundle is loaded. */
  function version() {
    if (guard === null || bundleText === null) return null;
    const f = parseJson(guard.floor() ?? 'null');
    const v = own(f, 'version');
    return typeof v === 'number' ? v : null;
  }

  async function persist() {
    const floor = guard === null ? null : guard.floor();
    const record = {
      __proto__: null,
      format: RECORD_FORMAT,
      superapp_id: config.superappId,
      scope: config.bundleUrl,
      config: configText,
      keys: keysText,
      keys_etag: keysEtag,
      bundle: bundleText,
      etag: bundleEtag,
      floor,
    };
    // One record: storage must replace a value all or nothing. The floor
    // also goes under a key of its own, after it, so a record lost to
    // corruption still leaves the floor to refuse an older bundle.
    let err = await pin(storageWrite(STATE_KEY, apply(stringify, undefined, [record])));
    if (err === null && floor !== null) err = await pin(storageWrite(FLOOR_KEY, floor));
    storageError = err;
    dirty = err !== null;
  }

  function restoreFloors() {
    const floors = pendingFloors;
    pendingFloors = null;
    if (floors === null) return;
    for (let i = 0; i < floors.length; i++) {
      if (floors[i] === null) continue;
      try { guard.restoreFloor(floors[i]); } catch (e) { storedOutcome = `floor refused: ${describe(e)}`; }
    }
  }

  // ---- keys and bundle --------------------------------------------------------

  /** keys.json: re-keys the guard when the set changed. Answers whether the request reached the server. */
  async function syncKeys(fresh) {
    const headers = create(null);
    if (!fresh && keysEtag !== null && keysText !== null) headers['if-none-match'] = keysEtag;
    const r = await pin(http('GET', config.keysUrl, headers, undefined, requestTimeoutSeconds, true));
    if (!r.ok) return rec({ __proto__: null, reached: false, error: r.error, interrupted: r.interrupted });
    if (r.status === 304) return rec({ __proto__: null, reached: true, changed: false });
    if (r.status !== 200) return rec({ __proto__: null, reached: false, error: `keys.json answered ${r.status}`, status: r.status, retryAfter: r.retryAfter });
    if (r.text === keysText) { keysEtag = r.etag; return rec({ __proto__: null, reached: true, changed: false }); }
    const out = rekey(r.text, { now: clock() });
    if (!out.ok) {
      lastRefusal = `keys.json refused: ${out.message}`;
      return rec({ __proto__: null, reached: true, changed: false });
    }
    keysText = r.text;
    keysEtag = r.etag;
    restoreFloors();
    // The bundle in force did not verify under the new set: the server no
    // longer trusts the key that signed it, so it is no longer enforced.
    if (out.load !== null && out.load !== 'ok') { bundleText = null; bundleEtag = null; seenEtag = null; }
    dirty = true;
    emit('keys');
    return rec({ __proto__: null, reached: true, changed: true });
  }

  /**
   * One round: keys.json, then the bundle (held by the server when `wait`).
   * Answers what the loop does next: `{ next: 'now' | 'interval' | 'backoff' | 'retry', retryAfter }`.
   */
  async function round(wait) {
    rounds++;
    const k = await pin(syncKeys(false));
    if (k.interrupted) return rec({ __proto__: null, next: 'now' });
    if (!k.reached) return failed(k.error, k.retryAfter, k.status);
    // The server answered: online, even while the bundle request is held.
    if (failures !== 0 || lastSuccess === null) {
      succeeded('now');
      emitStatus();
    }
    const headers = create(null);
    const inm = seenEtag;
    if (inm !== null) headers['if-none-match'] = inm;
    const lp = longPollOverride ?? config.longPollSeconds ?? DEFAULTS.longPollSeconds;
    const held = wait && inm !== null && lp > 0;
    if (held) headers.prefer = `wait=${lp}`;
    const r = await pin(http('GET', config.bundleUrl, headers, undefined, requestTimeoutSeconds + (held ? lp : 0), true));
    if (!r.ok) return r.interrupted ? rec({ __proto__: null, next: 'now' }) : failed(r.error);
    if (r.status === 304) {
      longPoll = held && r.applied !== null;
      return succeeded(longPoll ? 'now' : 'interval');
    }
    if (r.status !== 200) return failed(`the bundle answered ${r.status}`, r.retryAfter, r.status);
    const t = clock();
    let loaded = guard.load(r.text, { now: t });
    if (loaded.code === 'unknown_key') {
      // P6: a bundle signed by a key we do not know yet: keys.json again.
      const again = await pin(syncKeys(true));
      if (again.changed) loaded = guard.load(r.text, { now: t });
    }
    seenEtag = r.etag;
    // A change that ended a held request says so too (P1).
    longPoll = held && r.applied !== null;
    if (loaded.code !== 'ok') {
      // Kept: what is in force. The server's ETag goes into If-None-Match,
      // so the next round waits for a change instead of refetching this.
      lastRefusal = `bundle ${r.etag ?? ''} refused: ${loaded.code} ${loaded.message}`;
      return succeeded('now');
    }
    lastRefusal = null;
    bundleText = r.text;
    bundleEtag = r.etag;
    await pin(persist());
    emit('bundle');
    return succeeded('now');
  }

  function succeeded(next) {
    failures = 0;
    lastSuccess = clock();
    lastError = null;
    return rec({ __proto__: null, next });
  }
  function failed(error, retryAfter, status) {
    failures++;
    lastError = error;
    const ra = status === 429 || status === 503 ? retryAfterSeconds(retryAfter, clock()) : undefined;
    return rec({ __proto__: null, next: 'backoff', retryAfter: ra });
  }

  /** Exponential backoff with full jitter: a random delay up to base·2^(failures−1), at most the maximum. */
  function backoff() {
    let cap = backoffSeconds;
    for (let i = 1; i < failures && cap < maxBackoffSeconds; i++) cap *= 2;
    if (cap > maxBackoffSeconds) cap = maxBackoffSeconds;
    return apply(mathRandom, undefined, []) * cap;
  }

  /** Sleeps `s` seconds, or until `slot.wake()` (refresh(), stop()) ends it early. */
  function sleep(s, slot) {
    const d = deferred();
    let id;
    const end = () => { cancelTimer(id); if (slot.wake === end) slot.wake = null; d.resolve(undefined); };
    slot.wake = end;
    id = timer(end, s);
    return d.promise;
  }
  const loopSleep = { __proto__: null, wake: null };
  const reportSleep = { __proto__: null, wake: null };

  let loopDone = null;
  const refreshWaiters = create(null);
  let refreshSeq = 0;
  let refreshFirst = 0;
  let urgent = false;
  async function loop(firstWait) {
    let wait = firstWait;
    while (!stopped) {
      // The refresh() calls made before this round began are answered after it.
      const upTo = refreshSeq;
      // A refresh() asks for an answer now: that round is not held.
      const held = wait && !urgent;
      urgent = false;
      const out = await pin(round(held));
      if (dirty) await pin(persist());
      for (let i = refreshFirst; i < upTo; i++) {
        const r = refreshWaiters[i];
        delete refreshWaiters[i];
        if (r !== undefined) r();
      }
      refreshFirst = upTo;
      emitStatus();
      if (stopped) break;
      wait = true;
      let delay = 0;
      if (out.next === 'interval') delay = intervalSeconds * (0.8 + 0.4 * apply(mathRandom, undefined, []));
      else if (out.next === 'backoff') {
        delay = backoff();
        if (out.retryAfter !== undefined && out.retryAfter > delay) delay = out.retryAfter;
      }
      if (delay > 0) await pin(sleep(delay, loopSleep));
    }
    // Stopped: nobody is left waiting for a round.
    for (let i = refreshFirst; i < refreshSeq; i++) {
      const r = refreshWaiters[i];
      delete refreshWaiters[i];
      if (r !== undefined) r();
    }
  }

  // ---- reports ----------------------------------------------------------------

  /** Sends the guard's report log (P2). Answers a status word. */
  async function sendReports() {
    if (guard === null || reportsBusy) return 'busy';
    const t = clock();
    if (t < reportsRetryAt) return 'retry_later';
    reportsBusy = true;
    try {
      const taken = guard.takeReports({ now: t });
      if (taken.reports === 0 && taken.dropped === 0) return 'empty';
      const headers = create(null);
      headers['content-type'] = 'application/json';
      const r = await pin(http('POST', config.reportsUrl, headers, taken.body, requestTimeoutSeconds, false));
      if (r.ok && (r.status === 202 || r.status === 200)) { reportsSent += taken.reports; return 'sent'; }
      if (r.ok && (r.status === 429 || r.status === 503)) {
        guard.requeueReports({ now: t });
        const ra = retryAfterSeconds(r.retryAfter, t);
        reportsRetryAt = t + (ra === undefined ? reportIntervalSeconds : ra);
        return 'requeued';
      }
      if (r.ok && r.status >= 400 && r.status < 500) {
        // The server refused this batch as such (malformed, too large,
        // unknown superapp): sending it again cannot succeed.
        reportsDropped += taken.reports;
        return 'refused';
      }
      guard.requeueReports({ now: t });
      return 'requeued';
    } finally {
      reportsBusy = false;
    }
  }
  async function reportLoop() {
    while (!stopped) {
      await pin(sleep(reportIntervalSeconds, reportSleep));
      if (stopped) break;
      await pin(sendReports());
    }
  }

  // ---- boot -------------------------------------------------------------------

  const stored = readRecord(await pin(storageRead(STATE_KEY)));
  let record = stored.record;
  if (stored.refused !== null) storedOutcome = `refused: ${stored.refused}`;
  const floorText = await pin(storageRead(FLOOR_KEY));

  if (configGiven !== undefined) {
    config = checkConfig(configGiven, app);
    configText = apply(stringify, undefined, [configGiven]);
  } else {
    const r = await pin(http('GET', configUrl, create(null), undefined, requestTimeoutSeconds, false));
    let text = r.ok && r.status === 200 ? r.text : null;
    if (text === null && record !== null && record.config !== null) text = record.config;
    if (text === null) throw new ErrorCtor(`cannot start: the configuration ${configUrl} could not be fetched (${r.ok ? `status ${r.status}` : r.error}) and none is stored`);
    config = checkConfig(parseJson(text) ?? null, app);
    configText = text;
  }
  if (record !== null && (record.superappId !== config.superappId || record.scope !== config.bundleUrl)) {
    storedOutcome = `refused: stored for another superapp or scope (${record.superappId} ${record.scope})`;
    record = null;
  }

  let made;
  try {
    made = await pin(createKeyedGuard(record === null ? null : record.keys, { wasm }));
  } catch (e) {
    if (record === null || record.keys === null) throw e;
    storedOutcome = `refused: stored key set: ${describe(e)}`;
    made = await pin(createKeyedGuard(null, { wasm }));
    record = null;
  }
  guard = made.guard;
  rekey = made.rekey;
  if (record !== null) { keysText = record.keys; keysEtag = record.keysEtag; }
  // The floors before anything loads (P3): the record's and the floor key's,
  // each only raising it. A floor that does not parse counts as absent.
  // With no key set yet there is no guard to hold them: they wait for the
  // first one (syncKeys), before anything can load.
  pendingFloors = [record === null ? null : record.floor, floorText];
  if (keysText !== null) restoreFloors();
  let bootLoaded = false;
  if (record !== null && record.bundle !== null && keysText !== null) {
    const r = guard.load(record.bundle, { now: clock() });
    if (r.code === 'ok') {
      bundleText = record.bundle;
      bundleEtag = record.etag;
      seenEtag = record.etag;
      bootLoaded = true;
      storedOutcome = 'loaded';
    } else {
      storedOutcome = `refused: stored bundle: ${r.code} ${r.message}`;
    }
  }

  function status() {
    return freeze({
      superappId: config.superappId,
      version: version(),
      etag: bundleEtag,
      keysEtag,
      stored: storedOutcome,
      online: failures === 0 && lastSuccess !== null,
      longPoll,
      failures,
      rounds,
      lastSuccess,
      lastError,
      lastRefusal,
      storageError,
      reports: freeze({ sent: reportsSent, refused: reportsDropped, retryAt: reportsRetryAt > 0 ? reportsRetryAt : null }),
      stopped,
    });
  }

  const controller = freeze({
    /** The synced guard: wrap mini programs' `wx` with it. */
    guard,
    /** A frozen snapshot of the sync's state. */
    status,
    /** The bundle and key set in force (public, signed data), e.g. for a native side. */
    current() {
      return freeze({ bundle: bundleText, etag: bundleEtag, keys: keysText });
    },
    /** Runs a round now (cutting a long-poll short); resolves with the status after it. */
    refresh() {
      if (stopped) return pin(apply(promiseResolve, PromiseCtor, [status()]));
      const d = deferred();
      refreshWaiters[refreshSeq++] = () => d.resolve(status());
      urgent = true;
      if (inflight !== null) inflight.cut('refresh');
      if (loopSleep.wake !== null) loopSleep.wake();
      return d.promise;
    },
    /** The app went to the background: sends the reports now. Resolves with what happened (`sent`, `empty`, `requeued`, `refused`, `retry_later`, `busy`). */
    background() {
      return pin(sendReports());
    },
    /** Calls `listener({ reason: 'bundle' | 'keys', version, etag })` after a new bundle or key set is in force; answers an unsubscribe function. */
    onChange(listener) {
      if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
      const id = listenerSeq++;
      listeners[id] = listener;
      return freeze(() => { delete listeners[id]; });
    },
    /** Calls `listener(status)` after every round with the server; answers an unsubscribe function. */
    onStatus(listener) {
      if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
      const id = listenerSeq++;
      statusListeners[id] = listener;
      return freeze(() => { delete statusListeners[id]; });
    },
    /** Stops syncing and sending (what is in force stays in force); resolves once the loop ended. */
    stop() {
      stopped = true;
      if (inflight !== null) inflight.cut('stop');
      if (loopSleep.wake !== null) loopSleep.wake();
      if (reportSleep.wake !== null) reportSleep.wake();
      return loopDone;
    },
  });

  if (bootLoaded) {
    loopDone = pin(loop(false));
  } else {
    // Nothing usable stored: the first round decides what the guard starts with.
    const first = await pin(round(false));
    if (dirty) await pin(persist());
    loopDone = pin((async () => {
      if (first.next === 'backoff') {
        let delay = backoff();
        if (first.retryAfter !== undefined && first.retryAfter > delay) delay = first.retryAfter;
        await pin(sleep(delay, loopSleep));
      } else if (first.next === 'interval') {
        await pin(sleep(intervalSeconds * (0.8 + 0.4 * apply(mathRandom, undefined, [])), loopSleep));
      }
      await pin(loop(true));
    })());
  }
  pin(reportLoop());
  return controller;
}
