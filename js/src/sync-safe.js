// What every part of the sync uses: the built-ins captured when the bridge
// is evaluated, promises the realm cannot intercept, timers, and small pure
// helpers (parsing, Retry-After).
//
// Containment (docs/threat-model.md): mini program code shares the realm and
// may replace any built-in after the sync started. Every promise awaited in
// the sync first gets an own `constructor` (the captured Promise), so `await`
// neither reads `Promise.prototype` nor calls a `then`; promises are
// resolved only with primitives or null-prototype objects, so no `then`
// planted on `Object.prototype` is ever looked up.

const { apply, defineProperty } = Reflect;
const { hasOwn, freeze } = Object;
export const PromiseCtor = Promise;
export const promiseResolve = Promise.resolve;
export const promiseReject = Promise.reject;
export const TypeErrorCtor = TypeError;
export const ErrorCtor = Error;
const StringCtor = String;
const parse = JSON.parse;
const stringifyJson = JSON.stringify;
const dateNow = Date.now;
const dateParse = Date.parse;
const mathFloor = Math.floor;
const mathRandom = Math.random;
const strIndexOf = String.prototype.indexOf;
const strSlice = String.prototype.slice;
const strToLowerCase = String.prototype.toLowerCase;
const strTrim = String.prototype.trim;
const globalRef = globalThis;
const setTimer = globalThis.setTimeout;
const clearTimer = globalThis.clearTimeout;

/** The longest wait a Retry-After may impose (a day): a hostile or broken value cannot park the sync for good. */
const MAX_RETRY_AFTER = 86400;

/** `p`, with an own `constructor` that is the captured Promise: `await p` then reads nothing else. */
export function pin(p) {
  if (p !== null && (typeof p === 'object' || typeof p === 'function')) {
    defineProperty(p, 'constructor', { __proto__: null, value: PromiseCtor, writable: false, configurable: true });
  }
  return p;
}

/** A pinned promise and its settle functions. */
export function deferred() {
  let resolve;
  let reject;
  const promise = pin(new PromiseCtor((res, rej) => { resolve = res; reject = rej; }));
  return { __proto__: null, promise, resolve, reject };
}

/** A pinned promise already resolved with `v` (a primitive or a frozen null-prototype record). */
export const resolved = (v) => pin(apply(promiseResolve, PromiseCtor, [v]));
/** A pinned promise already rejected with `e`. */
export const rejected = (e) => pin(apply(promiseReject, PromiseCtor, [e]));

/** A null-prototype record, the only kind of object a promise here is resolved with. */
export const rec = (o) => freeze(o);

/** Runs `fn` after `seconds` (clamped to what a timer takes). */
export const timer = (fn, seconds) => apply(setTimer, globalRef, [fn, seconds * 1000 > 2147483647 ? 2147483647 : seconds * 1000]);
export const cancelTimer = (id) => { if (id !== undefined) apply(clearTimer, globalRef, [id]); };

/** A random number in [0, 1), from the captured Math.random. */
export const random = () => apply(mathRandom, undefined, []);
/** Milliseconds since the epoch from the captured clock (for pacing). */
export const msNow = () => apply(dateNow, undefined, []);
/** Unix seconds from the captured clock. */
export const systemSeconds = () => mathFloor(msNow() / 1000);
export const floorOf = mathFloor;

export const indexOf = (s, sub, from) => apply(strIndexOf, s, [sub, from ?? 0]);
export const slice = (s, a, b) => apply(strSlice, s, b === undefined ? [a] : [a, b]);
export const lower = (s) => apply(strToLowerCase, s, []);
const trim = (s) => apply(strTrim, s, []);
export const stringify = (v) => apply(stringifyJson, undefined, [v]);

/** A number of seconds from `min` to `max`, or a TypeError naming `what`. */
export function seconds(v, what, min, max) {
  if (typeof v !== 'number' || !(v >= min) || !(v <= max)) throw new TypeErrorCtor(`\`${what}\` must be a number of seconds from ${min} to ${max}`);
  return v;
}

/** An own field of a parsed JSON object, or undefined (never a prototype's). */
export function own(o, key) {
  return o !== null && typeof o === 'object' && hasOwn(o, key) ? o[key] : undefined;
}

/** The parsed JSON of `text`, or undefined. */
export function parseJson(text) {
  try { return apply(parse, undefined, [text]); } catch { return undefined; }
}

/** What an exception says, read through own fields only. */
export function describe(e) {
  try {
    return e !== null && typeof e === 'object' && typeof own(e, 'message') === 'string' ? e.message : StringCtor(e);
  } catch {
    return 'fetch failed';
  }
}

function isDigits(s) {
  for (let i = 0; i < s.length; i++) if (s[i] < '0' || s[i] > '9') return false;
  return s.length > 0 && s.length < 16;
}

/** A Retry-After value in seconds (delta-seconds or an HTTP-date), or undefined. */
export function retryAfterSeconds(value, nowSeconds) {
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

/** A sleeper: `sleep(seconds)` resolves after `seconds`, or when `wake()` ends it early (refresh(), stop()). */
export function createSleeper() {
  let wakeFn = null;
  function sleep(s) {
    const d = deferred();
    let id;
    const end = () => { cancelTimer(id); if (wakeFn === end) wakeFn = null; d.resolve(undefined); };
    wakeFn = end;
    id = timer(end, s);
    return d.promise;
  }
  const wake = () => { if (wakeFn !== null) wakeFn(); };
  return freeze({ __proto__: null, sleep, wake });
}
