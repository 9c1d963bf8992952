// Objects an API returned (a context, a socket, a manager): a facade whose
// methods forward to the original on the original, whose door setters and
// methods (./doors.js `returns`) are checked and receive what was checked.

import {
  apply, defineProperty, getPrototypeOf, ownKeys, freeze, create, own, desc, setArg0, now,
  ObjectProto, FunctionProto,
} from './safe.js';
import { isLocalPath } from './doors.js';
import { copyExcept } from './vet.js';

const StringCtor = String;
const NumberCtor = Number;

/**
 * A setter for `key` of `obj`, captured now: the accessor's setter, or a
 * defineProperty of an own data property. Never an assignment, which could
 * run a setter planted on a prototype with `obj` as `this`.
 */
export function findSetter(obj, key) {
  for (let o = obj; o !== null; o = getPrototypeOf(o)) {
    const d = desc(o, key);
    if (d === undefined) continue;
    if (d.set !== undefined) { const set = d.set; return (v) => { apply(set, obj, [v]); }; }
    if (d.data) return (v) => { own(obj, key, v); };
    return undefined;
  }
  return (v) => { own(obj, key, v); };
}

/**
 * Facades over `tables`, `checks`, `violations`, `vetting` and `deny` of a
 * guard: `facade(obj, spec, appId, api)`.
 */
export function createFacades(tables, checks, violations, vetting, deny) {
  const { KIND, allows } = tables;
  const { urlCheck, socketCheck } = checks;
  const { count } = violations;
  const { planOf, vetOptions } = vetting;

  function facade(obj, spec, appId, api) {
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return obj;
    const out = {};
    const seen = create(null);
    for (let o = obj; o !== null && o !== ObjectProto && o !== FunctionProto; o = getPrototypeOf(o)) {
      const keys = ownKeys(o);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (typeof key !== 'string' || seen[key] === true || key === 'constructor') continue;
        seen[key] = true;
        const d = desc(o, key);
        if (d === undefined) continue;
        if (d.data && typeof d.value === 'function') {
          const door = spec.methods === undefined ? undefined : spec.methods[key];
          defineProperty(out, key, { __proto__: null, value: freeze(facadeMethod(obj, out, d.value, door, appId, `${api}.${key}`)), enumerable: true });
          continue;
        }
        facadeAccessor(obj, out, key, d, spec.set === undefined ? undefined : spec.set[key], appId, `${api}.${key}`);
      }
    }
    return freeze(out);
  }

  // A property of the original as an accessor of the facade: reads the
  // original's current value; writes it, through the door check when the
  // spec names it as a target.
  function facadeAccessor(obj, out, key, d, door, appId, label) {
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

  return facade;
}
