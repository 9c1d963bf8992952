// Objects that come back from originals (what an API or method answers, a
// canvas node or context a SelectorQuery callback receives): the mini
// program holds a mirror (./mirror.js) of each, never the original. Its
// methods forward to the original with arguments made ready (./vet.js):
// callbacks through trampolines, options copied, and the door fields of
// ./doors.js OBJECT_DOORS checked (a raw socket's address, a marker's icon);
// its properties read the original's current value and write through door
// checks (`InnerAudioContext.src`). A denial is reported as the platform
// reports that member's failure: through the method's own callbacks
// (`addMarkers:fail …`), or for a setter or a callback-less method to the
// object's `onError` listeners (`InnerAudioContext.src:fail …`); the
// original never sees the refused target. An object of an interface the
// table does not know gets its strings naming an authority checked.

import {
  apply, getPrototypeOf, freeze, own, isArray, ownKeys, desc, isSloppy, now, shaped, TypeErrorCtor,
  ObjectProto, FunctionProto,
} from './safe.js';
import {
  OBJECT_DOORS, OBJECT_RETURNS, CALLBACK_OBJECTS, CALLBACK_RESULTS, interfaceMethods,
} from './doors.js';
import { createMirror, findMember, dataMember, accessorMember } from './mirror.js';
import { planOf, isPlain, optionsOf } from './vet.js';
import { addListener, removeListener } from './scope.js';

// Prototypes whose objects are values, not platform objects: answered as
// they are (a Promise an API answers must stay one).
const VALUE_PROTOS = [
  Promise.prototype, Map.prototype, Set.prototype, WeakMap.prototype, WeakSet.prototype, Date.prototype,
  RegExp.prototype, Error.prototype, ArrayBuffer.prototype, DataView.prototype,
  Object.getPrototypeOf(Uint8Array.prototype), Array.prototype, Boolean.prototype, Number.prototype, String.prototype,
];


/** Whether `o` has a method of its own or of a class that is not a built-in's: a platform object. */
function isPlatformObject(o) {
  for (let p = o; p !== null && p !== ObjectProto && p !== FunctionProto; p = getPrototypeOf(p)) {
    for (let i = 0; i < VALUE_PROTOS.length; i++) if (p === VALUE_PROTOS[i]) return false;
    const keys = ownKeys(p);
    for (let i = 0; i < keys.length; i++) {
      const d = desc(p, keys[i]);
      if (d !== undefined && d.data && typeof d.value === 'function' && keys[i] !== 'constructor') return true;
    }
  }
  return false;
}

/** The interface of an object that arrived through a callback, by a method only it has; or null. */
function structuralInterface(o) {
  for (let i = 0; i < CALLBACK_OBJECTS.length; i++) {
    const found = findMember(o, CALLBACK_OBJECTS[i][0]);
    if (found !== undefined && found.d.data && typeof found.d.value === 'function') return CALLBACK_OBJECTS[i][1];
  }
  return null;
}

// A method's call spec, planned once per interface and method.
const plans = { __proto__: null };
function methodPlan(iface, key) {
  const id = `${iface}.${key}`;
  let p = plans[id];
  if (p === undefined) {
    const doors = OBJECT_DOORS[iface];
    const spec = doors === undefined || doors.methods === undefined ? undefined : doors.methods[key];
    if (spec === undefined) p = null;
    else {
      p = { __proto__: null };
      const idx = ownKeys(spec);
      for (let i = 0; i < idx.length; i++) p[idx[i]] = typeof spec[idx[i]] === 'string' ? spec[idx[i]] : planOf(spec[idx[i]]);
      freeze(p);
    }
    plans[id] = p;
  }
  return p === null ? undefined : p;
}

/**
 * Mirrors of returned objects over a guard's parts: `{ facadeOf, outward,
 * forwarder }`. `parts`: `{ targets, vetting, denials }`.
 */
export function createFacades(parts) {
  const { targets, vetting, denials } = parts;
  const { copyArgs, vetArgs } = vetting;

  /**
   * The mirror of `obj` for `scope`, as interface `iface` (null: told by
   * its methods, else unknown); `via` names it where no interface does.
   */
  function facadeOf(scope, obj, iface, via) {
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return obj;
    const known = scope.mirrorOf(obj);
    if (known !== undefined) return known;
    const name = iface !== null ? iface : structuralInterface(obj);
    let out = null;
    const member = (key, d) => memberOf(scope, obj, () => out, name, via, key, d);
    out = createMirror(obj, member, false, undefined, (m) => { scope.pair(obj, m); });
    return out;
  }

  function memberOf(scope, obj, outOf, iface, via, key, d) {
    const label = `${iface === null ? via : iface}.${key}`;
    if (d.data && typeof d.value === 'function') {
      const fn = d.value;
      const method = isSloppy(fn) ? refused(label) : methodOf(scope, obj, outOf, fn, iface, via, key, label);
      return dataMember(freeze(method), d.enumerable);
    }
    const doors = iface === null ? undefined : OBJECT_DOORS[iface];
    const door = doors === undefined || doors.set === undefined ? undefined : doors.set[key];
    const get = () => outward(scope, currentValue(obj, key), null, label);
    const writable = d.data ? d.writable : d.set !== undefined;
    const set = writable ? (v) => { setThrough(scope, obj, outOf(), key, d, door, iface === null, label, v); } : undefined;
    return accessorMember(get, set, d.enumerable);
  }

  // Writes `v` to the original's `key`, a door checked first: refused, the
  // original keeps what it had and the object's error listeners hear why.
  function setThrough(scope, obj, out, key, d, door, unknown, label, v) {
    const ctx = { scope, appId: scope.appId, label, msg: label, t: now(), results: undefined };
    let value;
    if (door !== undefined || (unknown && typeof v === 'string')) {
      const r = door !== undefined ? targets.vet(ctx, door, v) : targets.vetUnknown(ctx, v);
      if (!r.ok) { denials.fireError(scope.listenersOf(out, 'error'), r.r.message, r.r.v); return; }
      value = r.value;
    } else if (typeof v === 'function') {
      const o = scope.originalOf(v);
      value = o !== undefined ? o : scope.trampolineWith(v, out, undefined);
    } else {
      value = vetting.inward(ctx, v);
    }
    if (d.data) own(obj, key, value);
    else apply(d.set, obj, [value]);
  }

  function methodOf(scope, obj, outOf, fn, iface, via, key, label) {
    const shape = iface === null ? undefined : interfaceMethods(iface)?.[key];
    const spec = iface === null ? undefined : methodPlan(iface, key);
    const argShape = shape === undefined ? undefined : shape.args;
    const style = shape === undefined ? undefined : shape.style;
    const returns = iface === null ? null : OBJECT_RETURNS[`${iface}.${key}`] ?? (shape === undefined ? null : shape.returns);
    const withCallbacks = style === 'callback' || style === 'promise';
    const results = iface !== null && CALLBACK_RESULTS[iface]?.[key] === true ? (args) => mapResults(scope, args) : undefined;
    const listens = listenerEvent(key);
    return (...args) => {
      const out = outOf();
      const ctx = { scope, appId: scope.appId, label, msg: withCallbacks ? key : label, t: now(), results };
      const copied = copyArgs(ctx, args, spec, argShape);
      if (listens !== null) record(scope, out, listens, args[0]);
      const denied = vetArgs(ctx, args, copied, spec, argShape);
      if (denied !== null) {
        if (withCallbacks) return denials.deny({ message: denied.message, v: denied.v, style, returns: null, options: optionsOf(args, copied), scope, socket: false });
        denials.fireError(scope.listenersOf(out, 'error'), denied.message, denied.v);
        return undefined;
      }
      const r = apply(fn, obj, args);
      return r === obj ? out : outward(scope, r, returns, label);
    };
  }

  /**
   * A value an original answered or holds, as the mini program gets it: a
   * trampoline as the mini program's own function, an original object or
   * function as its mirror (interface `iface` when known), a value as it is.
   */
  function outward(scope, v, iface, via) {
    if (typeof v === 'function') {
      const app = scope.appFnOf(v);
      if (app !== v) return app;
      return forwarder(scope, v, via);
    }
    if (v === null || typeof v !== 'object') return v;
    const known = scope.mirrorOf(v);
    if (known !== undefined) return known;
    const named = iface !== null && iface !== undefined && (OBJECT_DOORS[iface] !== undefined || hasMethods(interfaceMethods(iface)));
    if (named) return facadeOf(scope, v, iface, via);
    return isPlatformObject(v) ? facadeOf(scope, v, null, via) : v;
  }

  /** An original function reached through a value (not a member): called with `this` undefined, its strings checked. */
  function forwarder(scope, fn, via) {
    const known = scope.mirrorOf(fn);
    if (known !== undefined) return known;
    const f = isSloppy(fn) ? refused(via) : (...args) => {
      const ctx = { scope, appId: scope.appId, label: via, msg: via, t: now(), results: undefined };
      const copied = copyArgs(ctx, args, undefined, undefined);
      const denied = vetArgs(ctx, args, copied, undefined, undefined);
      if (denied !== null) return denials.deny({ message: denied.message, v: denied.v, style: undefined, returns: null, options: optionsOf(args, copied), scope, socket: false });
      return outward(scope, apply(fn, undefined, args), null, via);
    };
    freeze(f);
    scope.pair(fn, f);
    return f;
  }

  // What a SelectorQuery or NodesRef callback receives: canvas nodes and
  // contexts (and any platform object) in it as mirrors; arrays and plain
  // records copied around them.
  function mapResults(scope, args) {
    const out = [];
    for (let i = 0; i < args.length; i++) own(out, i, mapResult(scope, args[i], 0));
    return out;
  }

  function mapResult(scope, v, depth) {
    if (typeof v === 'function') return outward(scope, v, null, 'node');
    if (v === null || typeof v !== 'object' || depth > 4) return v;
    const known = scope.mirrorOf(v);
    if (known !== undefined) return known;
    if (isArray(v)) {
      const arr = [];
      for (let i = 0; i < v.length; i++) own(arr, i, mapResult(scope, v[i], depth + 1));
      return arr;
    }
    if (isPlatformObject(v)) return facadeOf(scope, v, null, 'node');
    if (isPlain(v)) {
      const rec = {};
      const keys = ownKeys(v);
      for (let i = 0; i < keys.length; i++) {
        const d = desc(v, keys[i]);
        if (d !== undefined && d.data) own(rec, keys[i], mapResult(scope, d.value, depth + 1));
      }
      return rec;
    }
    return v;
  }

  return freeze(shaped({ facadeOf, outward, forwarder }));
}

function hasMethods(methods) {
  if (methods === undefined) return false;
  return ownKeys(methods).length > 0;
}

/** The current value of `key` of `obj`, through its own or inherited descriptor. */
function currentValue(obj, key) {
  const found = findMember(obj, key);
  if (found === undefined) return undefined;
  const d = found.d;
  return d.data ? d.value : d.get === undefined ? undefined : apply(d.get, obj, []);
}

/** For onError/offError/onClose/offClose: `{ on, event }`; else null. */
function listenerEvent(key) {
  if (key === 'onError') return { __proto__: null, on: true, event: 'error' };
  if (key === 'offError') return { __proto__: null, on: false, event: 'error' };
  if (key === 'onClose') return { __proto__: null, on: true, event: 'close' };
  if (key === 'offClose') return { __proto__: null, on: false, event: 'close' };
  return null;
}

function record(scope, out, listens, fn) {
  const list = scope.listenersOf(out, listens.event);
  if (listens.on) { if (typeof fn === 'function') addListener(list, fn); } else removeListener(list, typeof fn === 'function' ? fn : undefined);
}

/** What stands for a sloppy-mode original: it refuses to run (docs/threat-model.md). */
export function refused(label) {
  return () => {
    throw new TypeErrorCtor(`\`${label}\` is sloppy-mode code, which hands itself and its \`this\` to any caller; the bridge does not call it`);
  };
}


