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
export function own(target, key, value) {
  defineProperty(target, key, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
  return target;
}

/** An own property's descriptor, read through own fields only; or undefined. */
export function desc(o, k) {
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
