// A mirror: what the mini program holds in place of an original object (a
// namespace such as `wx` or `wx.cloud`, or an object an API answered). It
// behaves like the platform's object: extensible (the mini program adds and
// reads its own properties), each of the original's members present as a
// guarded member (non-writable, non-configurable: a wrapper, a nested
// mirror, an accessor), and members the original gains later reachable.
//
// Late members: the mirror's prototype is a Proxy whose traps run only for a
// key the mirror does not have as its own. They look the key up in the
// original (its own properties and its class's prototypes, never the
// realm's Object.prototype), define the guarded member on the mirror, and
// answer it; anything else falls through to an ordinary object whose
// prototype is Object.prototype, so `mirror.x = 1` makes an own expando and
// `mirror.hasOwnProperty` is the realm's as usual.
//
// A namespace gets a Proxy of its own (so `'api' in wx` sees a late API
// too). The many objects calls answer share one Proxy per class of the
// originals (one for plain objects), which finds the mirror through the
// access's receiver (a private field on the mirror): one prototype for all
// of a class keeps their hidden classes shared, where a prototype each cost
// the collector more than the call.

import {
  defineProperty, getPrototypeOf, ownKeys, create, freeze, hasOwn, desc, ProxyCtor,
  ObjectProto, FunctionProto,
} from './safe.js';

const reflectGet = Reflect.get;
const reflectSet = Reflect.set;
const reflectHas = Reflect.has;
const ArrayProto = Array.prototype;

/** The first own descriptor of `key` along `orig` and its prototypes (not the realm's), with its holder. */
export function findMember(orig, key) {
  for (let o = orig; o !== null && o !== ObjectProto && o !== FunctionProto && o !== ArrayProto; o = getPrototypeOf(o)) {
    const d = desc(o, key);
    if (d !== undefined) return { d, holder: o };
  }
  return undefined;
}

class Stamp {
  constructor(o) {
    return o;
  }
}

/** On a mirror with the shared Proxy: what it needs to resolve a late member. */
class Late extends Stamp {
  #orig;
  #member;
  constructor(o, orig, member) {
    super(o);
    this.#orig = orig;
    this.#member = member;
  }

  static resolve(out, key) {
    if (typeof key !== 'string' || out === null || typeof out !== 'object' || !(#orig in out)) return false;
    return resolveIn(out, out.#orig, out.#member, key);
  }
}

// Defines the guarded member for `key` on `out` if `orig` has one `out`
// lacks; answers whether `out` has it now.
function resolveIn(out, orig, member, key) {
  if (typeof key !== 'string') return false;
  if (hasOwn(out, key)) return true;
  const found = findMember(orig, key);
  if (found === undefined || (found.holder !== orig && key === 'constructor')) return false;
  const pd = member(key, found.d);
  if (pd === undefined) return false;
  defineMember(out, key, pd);
  return true;
}

const sharedHandler = freeze({
  __proto__: null,
  get: (t, key, receiver) => (Late.resolve(receiver, key) ? reflectGet(receiver, key, receiver) : reflectGet(t, key, receiver)),
  set: (t, key, value, receiver) => (Late.resolve(receiver, key) ? reflectSet(receiver, key, value, receiver) : reflectSet(t, key, value, receiver)),
});
const shared = new ProxyCtor(create(ObjectProto), sharedHandler);

// Mirrors of instances of one class share a Proxy whose fall-through object
// has a `constructor` of its own: a stand-in named as the original class,
// whose `prototype` is that Proxy, so a mirror reads as an instance of its
// class (`task.constructor.name`, `task instanceof task.constructor`) while
// nothing leads to the class itself (its prototype's methods are originals).
// Kept per original prototype: few, and as long-lived as the base library.
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;
const applyFn = Reflect.apply;
const classProxies = new WeakMap();
const TypeErrorCtor = TypeError;

function classProxyOf(orig) {
  const proto = getPrototypeOf(orig);
  if (proto === null || proto === ObjectProto || proto === FunctionProto || proto === ArrayProto) return shared;
  let proxy = applyFn(weakGet, classProxies, [proto]);
  if (proxy !== undefined) return proxy;
  const d = desc(proto, 'constructor');
  const ctor = d !== undefined && d.data && typeof d.value === 'function' ? d.value : undefined;
  const n = ctor === undefined ? undefined : desc(ctor, 'name');
  if (n === undefined || !n.data || typeof n.value !== 'string' || n.value === '') return shared;
  const standIn = function () { throw new TypeErrorCtor('Illegal constructor'); };
  const fall = create(ObjectProto);
  defineProperty(fall, 'constructor', { __proto__: null, value: standIn, writable: true, enumerable: false, configurable: true });
  proxy = new ProxyCtor(fall, sharedHandler);
  defineProperty(standIn, 'name', { __proto__: null, value: n.value });
  defineProperty(standIn, 'prototype', { __proto__: null, value: proxy, writable: false });
  freeze(standIn);
  applyFn(weakSet, classProxies, [proto, proxy]);
  return proxy;
}

/**
 * Builds the mirror of `orig`: `member(key, d)` answers the property
 * descriptor of the guarded member for the original's descriptor `d` (or
 * undefined to leave the key out); every member present now is defined now,
 * later ones on first use. `own`: the mirror gets a Proxy of its own (a
 * namespace), whose fall-through object's prototype is `protoOf`
 * (Object.prototype, or a constructor wrapper's `prototype`); else the
 * shared one. `made(mirror)` runs before the members are made. Answers
 * the mirror, extensible.
 */
export function createMirror(orig, member, own, protoOf, made) {
  let out;
  if (own) {
    const own = create(protoOf === undefined ? ObjectProto : protoOf);
    const resolve = (key) => resolveIn(out, orig, member, key);
    out = create(new ProxyCtor(own, freeze({
      __proto__: null,
      get: (t, key, receiver) => (resolve(key) ? reflectGet(out, key, receiver) : reflectGet(t, key, receiver)),
      set: (t, key, value, receiver) => (resolve(key) ? reflectSet(out, key, value, receiver) : reflectSet(t, key, value, receiver)),
      has: (t, key) => resolve(key) || reflectHas(t, key),
    })));
  } else {
    out = create(classProxyOf(orig));
    new Late(out, orig, member); // eslint-disable-line no-new
  }
  // Known before its members are made, so a cycle back to `orig` finds it.
  if (made !== undefined) made(out);
  for (let o = orig; o !== null && o !== ObjectProto && o !== FunctionProto && o !== ArrayProto; o = getPrototypeOf(o)) {
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      // A key already defined came from nearer the object: it wins.
      if (typeof key !== 'string' || hasOwn(out, key)) continue;
      if (o !== orig && key === 'constructor') continue;
      const d = desc(o, key);
      if (d === undefined) continue;
      const pd = member(key, d);
      if (pd !== undefined) defineMember(out, key, pd);
    }
  }
  return out;
}

// Two descriptors, made once and refilled: a member's descriptor is
// consumed by defineProperty as soon as `member` answers it (a nested
// mirror it builds first has used and released them), and one allocated per
// member would be a dictionary-mode object each.
const dataDescriptor = { __proto__: null, value: undefined, writable: false, enumerable: true, configurable: false };
const accessorDescriptor = { __proto__: null, get: undefined, set: undefined, enumerable: true, configurable: false };

/** A guarded data member: non-writable, non-configurable (a shared descriptor: define it at once). */
export function dataMember(value, enumerable) {
  dataDescriptor.value = value;
  dataDescriptor.enumerable = enumerable;
  return dataDescriptor;
}

/** A guarded accessor member: non-configurable (a shared descriptor: define it at once). */
export function accessorMember(get, set, enumerable) {
  accessorDescriptor.get = get === undefined ? undefined : freeze(get);
  accessorDescriptor.set = set === undefined ? undefined : freeze(set);
  accessorDescriptor.enumerable = enumerable;
  return accessorDescriptor;
}

/** Defines `pd` (a shared descriptor) on `out` and lets go of what it held. */
function defineMember(out, key, pd) {
  defineProperty(out, key, pd);
  if (pd === dataDescriptor) dataDescriptor.value = undefined;
  else { accessorDescriptor.get = undefined; accessorDescriptor.set = undefined; }
}
