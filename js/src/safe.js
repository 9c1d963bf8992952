// Captured intrinsics and the few helpers of the bridge built on them alone.
//
// The base library evaluates the bridge before any mini program code
// (docs/threat-model.md), so what this module reads from the realm now is
// the original; mini program code may replace any of it later. Every module
// of the bridge captures what it uses at its own evaluation, through here or
// itself, and nothing is looked up on a built-in at call time.

const R = Reflect;
export const apply = R.apply;
export const construct = R.construct;
export const defineProperty = R.defineProperty;
export const getOwnPropertyDescriptor = R.getOwnPropertyDescriptor;
export const ownKeys = R.ownKeys;
export const getPrototypeOf = R.getPrototypeOf;
export const freeze = Object.freeze;
const setProto = Object.setPrototypeOf;
export const create = Object.create;
export const hasOwn = Object.hasOwn;
export const isArray = Array.isArray;
export const ObjectProto = Object.prototype;
export const FunctionProto = Function.prototype;
export const TypeErrorCtor = TypeError;
export const ErrorCtor = Error;
const dateNow = Date.now;
const mathFloor = Math.floor;
const numberIsFinite = Number.isFinite;
export const floor = mathFloor;

/**
 * `o` (an object literal, whose properties are defined, never assigned)
 * with a null prototype, kept a shaped (fast) object: V8 makes a literal
 * written with `__proto__: null` a hash table from the start, and every
 * read of one on a call's path is a hash lookup (issue 24). A record the
 * hot paths read (a guard's parts, a scope, a wrapper's facts) is made
 * with this; its fields are all own, so no read ever reaches a prototype.
 */
export const shaped = (o) => setProto(o, null);

/**
 * A fresh empty object whose prototype is null, kept shaped as `shaped`'s are:
 * its prototype is null before any property is written, so assigning one
 * never finds a setter.
 */
export const nullObject = () => setProto({}, null);

/** Unix seconds now, from the clock as it was when the bridge was evaluated. */
export const now = () => mathFloor(dateNow() / 1000);

/** The `now` of an options argument (unix seconds), or the clock. */
export function clock(options) {
  if (options === undefined || options === null) return now();
  const t = options.now;
  if (t === undefined) return now();
  if (typeof t !== 'number' || !numberIsFinite(t) || t < 0) {
    throw new TypeErrorCtor('`now` must be unix seconds: a finite number >= 0');
  }
  return t;
}

/**
 * Defines an own, writable, enumerable data property. Descriptors are
 * null-prototype in both directions: a `get`, `set` or `value` planted on
 * Object.prototype must never be read as part of one.
 */
// One descriptor, made once: a descriptor allocated per call would be a
// dictionary-mode object (null prototype) on every hot path. defineProperty
// reads it before it runs any code of the target's, so reuse is safe.
const ownDescriptor = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
export function own(target, key, value) {
  ownDescriptor.value = value;
  defineProperty(target, key, ownDescriptor);
  ownDescriptor.value = undefined;
  return target;
}

/** An own property's descriptor, read through own fields only; or undefined. */
export function desc(o, k) {
  const d = getOwnPropertyDescriptor(o, k);
  if (d === undefined) return undefined;
  const data = hasOwn(d, 'value');
  // Every field is own, so none is ever read through a prototype.
  return {
    data,
    value: data ? d.value : undefined,
    writable: data && hasOwn(d, 'writable') && d.writable === true,
    get: hasOwn(d, 'get') ? d.get : undefined,
    set: hasOwn(d, 'set') ? d.set : undefined,
    enumerable: hasOwn(d, 'enumerable') && d.enumerable === true,
  };
}

/** args[0] = v, for a rest-parameter array: an own index is assigned, a missing one defined. */
export function setArg0(args, v) {
  if (args.length > 0) args[0] = v;
  else own(args, 0, v);
}

/** `x` when it is a string; else a TypeError naming `what`. */
export function str(x, what) {
  if (typeof x !== 'string') throw new TypeErrorCtor(`\`${what}\` must be a string`);
  return x;
}

// Callbacks run in a microtask, queued through a promise of our own: Node's
// queueMicrotask runs JS (async_hooks) that reads built-ins at call time,
// and `then` would look up `constructor` and Symbol.species. This promise has
// its own frozen `constructor` whose species is the captured Promise, so
// PerformPromiseThen reads nothing the realm can change.
const PromiseCtor = Promise;
const promiseThen = Promise.prototype.then;
const resolved = PromiseCtor.resolve();
defineProperty(resolved, 'constructor', { __proto__: null, value: freeze({ __proto__: null, [Symbol.species]: PromiseCtor }) });
/** Runs `fn` in a microtask, reading nothing the realm can change. */
export const queue = (fn) => { apply(promiseThen, resolved, [fn]); };

const WeakMapCtor = WeakMap;
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;
/** A WeakMap used through captured methods: `{ get(k), set(k, v) }`. */
export function weakMap() {
  const m = new WeakMapCtor();
  return freeze({ __proto__: null, get: (k) => apply(weakGet, m, [k]), set: (k, v) => { apply(weakSet, m, [k, v]); } });
}

/** The realm's Proxy constructor, as it was. */
export const ProxyCtor = Proxy;
const stringSlice = String.prototype.slice;
const charCodeAt = String.prototype.charCodeAt;
/** s.slice(a, b) through the captured method. */
export const slice = (s, a, b) => apply(stringSlice, s, [a, b]);
/** s.charCodeAt(i) through the captured method. */
export const codeAt = (s, i) => apply(charCodeAt, s, [i]);

/** Appends to an array by defineProperty (no Array.prototype.push, no index setter). */
export function append(arr, v) {
  own(arr, arr.length, v);
}

// Runs the mini program's own handlers: each in a microtask of its own
// (queued as every callback of the bridge is: Node's queueMicrotask runs
// async_hooks JS that reads %TypedArray%.prototype.length at call time), and
// what one throws is not kept by the bridge: it is thrown again from a task
// of its own, so it surfaces as an uncaught error, as the platform's
// failure callbacks' exceptions do (App.onError), and the next handler
// still runs.
const setTimeoutFn = typeof setTimeout === 'function' ? setTimeout : undefined;
/** Calls `fn(...args)` with `this` undefined in a microtask of its own; what it throws surfaces uncaught. */
export function later(fn, args) {
  queue(() => {
    try {
      apply(fn, undefined, args);
    } catch (e) {
      if (setTimeoutFn !== undefined) apply(setTimeoutFn, undefined, [() => { throw e; }, 0]);
      else throw e;
    }
  });
}

const fnToString = FunctionProto.toString;
// A host function (`[native code]`) has no JS frame to expose, whatever
// own properties its engine gives it (V8's API functions have `caller`).
function isNative(fn) {
  let text;
  try { text = apply(fnToString, fn, []); } catch { return false; }
  const tail = '[native code] }';
  if (text.length < tail.length) return false;
  for (let i = 0; i < tail.length; i++) if (text[text.length - tail.length + i] !== tail[i]) return false;
  return true;
}

const fpCallerGet = (() => {
  const d = getOwnPropertyDescriptor(FunctionProto, 'caller');
  return d !== undefined && hasOwn(d, 'get') ? d.get : undefined;
})();
// Whether this engine gives a sloppy function its own `caller` (V8,
// JavaScriptCore): then that is the whole test, and no exception is thrown
// per function checked. Learnt from a sloppy function made now; a realm
// that forbids Function() falls back to the getter.
const ownCallerTells = (() => {
  try { return hasOwn(Function(''), 'caller'); } catch { return false; }
})();
/**
 * Whether `fn` is sloppy-mode code that exposes itself: a sloppy ordinary
 * function has its own `caller` and `arguments` (V8 in Node, JavaScriptCore),
 * or the realm's Function.prototype.caller answers for it instead of
 * throwing (SpiderMonkey, V8 in current Chromium). Strict functions, arrows, methods, classes, bound and
 * native functions do neither. (A sloppy arrow or method cannot be told
 * apart; the base library must be strict code: docs/threat-model.md.)
 */
export function isSloppy(fn) {
  if (hasOwn(fn, 'caller') || hasOwn(fn, 'arguments')) return !isNative(fn);
  if (ownCallerTells || fpCallerGet === undefined) return false;
  // The getter answers for host functions too (the V8 of Debian's
  // Chromium gives no function an own `caller`, and answers null for
  // WebAssembly.Module), which have no JS frame to expose.
  try { apply(fpCallerGet, fn, []); } catch { return false; }
  return !isNative(fn);
}
