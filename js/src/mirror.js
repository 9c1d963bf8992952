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
    if (d !== undefined) return { __proto__: null, d, holder: o };
  }
  return undefined;
}

/**
 * Builds the mirror of `orig`: `member(key, d)` answers the property
 * descriptor of the guarded member for the original's descriptor `d` (or
 * undefined to leave the key out); every member present now is defined now,
 * later ones on first use. `protoOf` is the prototype of the fall-through
 * object (Object.prototype, or a constructor wrapper's `prototype`).
 * Answers the mirror, extensible.
 */
export function createMirror(orig, member, protoOf) {
  const fallThrough = create(protoOf === undefined ? ObjectProto : protoOf);
  let out = null;
  // Defines the guarded member for `key` if the original has one the
  // mirror lacks; answers whether the mirror has it now.
  const resolve = (key) => {
    if (typeof key !== 'string') return false;
    if (hasOwn(out, key)) return true;
    const found = findMember(orig, key);
    if (found === undefined || (found.holder !== orig && key === 'constructor')) return false;
    const pd = member(key, found.d);
    if (pd === undefined) return false;
    defineProperty(out, key, pd);
    return true;
  };
  const handler = freeze({
    __proto__: null,
    get: (t, key, receiver) => (resolve(key) ? reflectGet(out, key, receiver) : reflectGet(t, key, receiver)),
    set: (t, key, value, receiver) => (resolve(key) ? reflectSet(out, key, value, receiver) : reflectSet(t, key, value, receiver)),
    has: (t, key) => resolve(key) || reflectHas(t, key),
  });
  out = create(new ProxyCtor(fallThrough, handler));
  const seen = create(null);
  for (let o = orig; o !== null && o !== ObjectProto && o !== FunctionProto && o !== ArrayProto; o = getPrototypeOf(o)) {
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (typeof key !== 'string' || seen[key] === true) continue;
      seen[key] = true;
      if (o !== orig && key === 'constructor') continue;
      const d = desc(o, key);
      if (d === undefined) continue;
      const pd = member(key, d);
      if (pd !== undefined) defineProperty(out, key, pd);
    }
  }
  return out;
}

/** A guarded data member: non-writable, non-configurable. */
export function dataMember(value, enumerable) {
  return { __proto__: null, value, writable: false, enumerable, configurable: false };
}

/** A guarded accessor member: non-configurable. */
export function accessorMember(get, set, enumerable) {
  return { __proto__: null, get: get === undefined ? undefined : freeze(get), set: set === undefined ? undefined : freeze(set), enumerable, configurable: false };
}


