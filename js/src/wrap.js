// Wrapping a namespace: every function of `wx` (own properties and
// class-prototype methods; nested objects one level deep, checked under
// their dotted name) replaced by a wrapper that checks on every call, door
// APIs (./doors.js) with their targets vetted (./vet.js) and their returned
// objects faced (./returned.js).

import {
  apply, defineProperty, getPrototypeOf, ownKeys, freeze, create, desc, setArg0, now,
  ObjectProto, FunctionProto,
} from './safe.js';
import { DOORS, NO_TARGET } from './doors.js';
import { isTaskApi } from './deny.js';

function isSync(name) {
  const n = name.length;
  // Indexing, not String.prototype.endsWith: nothing tamperable.
  return n > 4 && name[n - 4] === 'S' && name[n - 3] === 'y' && name[n - 2] === 'n' && name[n - 1] === 'c';
}

/**
 * Wrapping over a guard's driver and parts: `wrapNamespace(wx, appId, prefix)`.
 */
export function createWrapping(core, tables, checks, violations, vetting, facade, deny) {
  const { verdictOf, allows } = tables;
  const { apiIdOf, appHandleOf, verdictApi, apiMessage, generation } = checks;
  const { count, countAllowed } = violations;
  const { planOf, vetOptions } = vetting;

  function wrapNamespace(wx, appId, prefix) {
    const out = {};
    const seen = create(null);
    // Own keys first, then methods of a class-based namespace's prototypes.
    for (let o = wx; o !== null && o !== ObjectProto && o !== FunctionProto; o = getPrototypeOf(o)) {
      const keys = ownKeys(o);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (typeof key !== 'string' || seen[key] === true) continue;
        seen[key] = true;
        if (o !== wx && key === 'constructor') continue;
        const d = desc(o, key);
        if (d === undefined) continue;
        const value = d.value;
        let wrapped;
        if (typeof value === 'function') {
          const spec = prefix === '' ? DOORS[key] : undefined;
          wrapped = wrapFunction(wx, value, appId, prefix + key, spec);
        } else if (value !== null && typeof value === 'object' && prefix === '') {
          wrapped = wrapNamespace(value, appId, `${key}.`);
        } else if (value !== null && typeof value === 'object') {
          wrapped = freeze({});
        } else {
          wrapped = value;
        }
        defineProperty(out, key, { __proto__: null, value: wrapped, writable: false, enumerable: true, configurable: false });
      }
    }
    return freeze(out);
  }

  function wrapFunction(self, original, appId, name, spec) {
    // Interned now, before any mini program code runs (the table is bounded).
    apiIdOf(name);
    const sync = isSync(name);
    let wrapper;
    if (spec !== undefined && spec !== NO_TARGET && spec.returns !== undefined) {
      wrapper = returningWrapper(self, original, appId, name, spec.returns, sync);
    } else if (spec !== undefined && spec !== NO_TARGET) {
      wrapper = doorWrapper(self, original, appId, name, spec, sync);
    } else {
      wrapper = apiWrapper(self, original, appId, name, sync);
    }
    defineProperty(wrapper, 'name', { value: name });
    return freeze(wrapper);
  }

  // The API returns an object whose setters or methods take targets.
  function returningWrapper(self, original, appId, name, returns, sync) {
    return (...args) => {
      const id = apiIdOf(name);
      const v = verdictApi(appId, name, id, now());
      const message = v === 0 ? undefined : apiMessage(v, name, id);
      count(v, appId, name, undefined);
      if (!allows(v)) {
        const opts = args[0];
        return deny(opts !== null && typeof opts === 'object' ? opts : undefined, message, v, false, sync);
      }
      return facade(apply(original, self, args), returns, appId, name);
    };
  }

  // Targets in the options of the first argument.
  function doorWrapper(self, original, appId, name, spec, sync) {
    const plan = planOf(spec);
    return (...args) => {
      const t = now();
      const id = apiIdOf(name);
      const apiV = verdictApi(appId, name, id, t);
      const opts = args[0];
      const isObj = opts !== null && typeof opts === 'object';
      if (!allows(apiV)) {
        const message = apiMessage(apiV, name, id);
        count(apiV, appId, name, undefined);
        return deny(isObj ? opts : undefined, message, apiV, isTaskApi(name), sync);
      }
      if (apiV !== 0) count(apiV, appId, name, undefined);
      const vetted = vetOptions(isObj ? opts : undefined, plan, appId, name, t);
      if (vetted.denied !== null) {
        const r = vetted.denied;
        return deny(isObj ? opts : undefined, r.message, r.v, isTaskApi(name), sync);
      }
      setArg0(args, vetted.copy);
      return apply(original, self, args);
    };
  }

  // The API check alone. The hot path: ids resolved once per guard
  // generation (a re-key makes a new guard with new tables), integers into
  // wasm, and an allowed call goes straight to the original.
  function apiWrapper(self, original, appId, name, sync) {
    const denied = (v, args, id) => {
      const message = allows(v) ? undefined : apiMessage(v, name, id);
      count(v, appId, name, undefined);
      if (message === undefined) return apply(original, self, args);
      const opts = args[0];
      return deny(opts !== null && typeof opts === 'object' ? opts : undefined, message, v, false, sync);
    };
    let g = -1;
    let id;
    let handle;
    return (...args) => {
      const gen = generation();
      if (g !== gen) { id = apiIdOf(name); handle = appHandleOf(appId); g = gen; }
      const t = now();
      const v = verdictOf(handle !== undefined && id !== undefined ? core.checkApi(handle, id, t) : core.checkApiName(appId, name, t));
      if (v !== 0) return denied(v, args, id);
      countAllowed();
      return apply(original, self, args);
    };
  }

  return wrapNamespace;
}
