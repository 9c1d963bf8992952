// Wrapping a namespace: the mini program's `wx` is a mirror (./mirror.js) of
// the base library's. Every function in it, at any depth (`request`,
// `cloud.callFunction`, `worklet.Easing.bezier`), and every one the host adds
// later, is a wrapper that checks the API under its dotted name on every
// call, copies the arguments before that (./vet.js), vets the door fields of
// ./doors.js API_DOORS, calls the original on its own namespace, and hands
// back mirrors of the objects it answers (./returned.js). A denial has the
// platform's shape for the call's style (./deny.js). Constructors stay
// constructors. The namespace is extensible; its members cannot be changed.
//
// A late-added API is classified as the typings and the door table say if
// they know its name, and otherwise as unknown: API-checked, and every
// string it is handed that names an authority checked (decision 196).
//
// Sloppy-mode originals are refused (decision 197): a classic-script
// function exposes itself and its `this` (the original `wx`) through
// `arguments.callee.caller` and Error.prepareStackTrace call sites to any
// mini program code that runs while it is on the stack.

import {
  apply, construct, defineProperty, freeze, create, hasOwn, ownKeys, desc, isSloppy, now, shaped, nullObject, TypeErrorCtor, ObjectProto,
} from './safe.js';
import { API_DOORS, OBJECT_RETURNS, apiShape } from './doors.js';
import { createMirror, dataMember, accessorMember } from './mirror.js';
import { createScope, addListener, removeListener } from './scope.js';
import { planOf, optionsOf } from './vet.js';
import { refused } from './returned.js';
import { createApiVerdicts } from './api-verdicts.js';

// How deep below `wx` wrap makes nested namespaces at once.
const EAGER_DEPTH = 6;

/** How many dots `name` has. */
function depthOf(name) {
  let n = 0;
  for (let i = 0; i < name.length; i++) if (name[i] === '.') n++;
  return n;
}

// The global WebSocket events a denied connectSocket reports to.
const SOCKET_EVENTS = { __proto__: null, onSocketError: 'error', offSocketError: 'error', onSocketClose: 'close', offSocketClose: 'close' };

// The call spec of an API, planned once.
const plans = { __proto__: null };
function apiPlan(name) {
  let p = plans[name];
  if (p === undefined) {
    const spec = API_DOORS[name];
    if (spec === undefined) p = null;
    else {
      // Made shaped (see nullObject), not as a `__proto__: null` literal:
      // once frozen, that one's argument indices are a hash table looked
      // up twice on every call (issue 24).
      p = nullObject();
      const idx = ownKeys(spec);
      for (let i = 0; i < idx.length; i++) p[idx[i]] = typeof spec[idx[i]] === 'string' ? spec[idx[i]] : planOf(spec[idx[i]]);
      freeze(p);
    }
    plans[name] = p;
  }
  return p === null ? undefined : p;
}

/**
 * Wrapping over a guard's driver and parts: `wrap(wx, appId)`. `parts`:
 * `{ core, tables, checks, violations, vetting, facades, denials }`.
 */
export function createWrapping(parts) {
  const { inward } = parts.vetting;
  const apiWrapper = createCalls(parts, namespaceOf);

  function wrap(wx, appId) {
    const scope = createScope(appId);
    return namespaceOf(scope, wx, '', true);
  }

  function namespaceOf(scope, ns, prefix, eager, protoOf) {
    const known = scope.mirrorOf(ns);
    if (known !== undefined) return known;
    let building = eager;
    const out = createMirror(ns, (key, d) => member(scope, ns, prefix + key, d, building), true, protoOf, (m) => { scope.pair(ns, m); });
    building = false;
    return out;
  }

  // A guarded member of a namespace: `eager` while wrap runs (a sloppy
  // original then makes wrap throw, before any mini program code runs).
  function member(scope, ns, name, d, eager) {
    const sloppy = (f) => {
      if (f === undefined || !isSloppy(f)) return false;
      if (eager) throw new TypeErrorCtor(`wrap refuses \`${name}\`: sloppy-mode code hands itself and its \`this\` to any caller (arguments.callee.caller, Error.prepareStackTrace); evaluate the base library as strict code`);
      return true;
    };
    if (d.data) {
      const v = d.value;
      if (typeof v === 'function') return dataMember(sloppy(v) ? freeze(refused(name)) : apiWrapper(scope, ns, v, name), d.enumerable);
      if (v !== null && typeof v === 'object') {
        // Deep below `wx` (a base library that hangs a large object graph
        // on it) a nested namespace is made at its first read, not by wrap.
        if (depthOf(name) >= EAGER_DEPTH) return accessorMember(() => namespaceOf(scope, v, `${name}.`, false), undefined, d.enumerable);
        return dataMember(namespaceOf(scope, v, `${name}.`, eager), d.enumerable);
      }
      return dataMember(v, d.enumerable);
    }
    if (sloppy(d.get) || sloppy(d.set)) return accessorMember(refused(name), undefined, d.enumerable);
    const g = d.get;
    const st = d.set;
    const get = g === undefined ? undefined : () => valueOf(scope, apply(g, ns, []), name);
    const ctx = { scope, appId: scope.appId, label: name, msg: name, t: 0, results: undefined };
    const set = st === undefined ? undefined : (v) => { apply(st, ns, [inward(ctx, v)]); };
    return accessorMember(get, set, d.enumerable);
  }

  // What a namespace accessor answers: a function as its wrapper, an object
  // as a nested namespace, made once each.
  function valueOf(scope, v, name) {
    if (typeof v === 'function') {
      const known = scope.mirrorOf(v);
      if (known !== undefined) return known;
      const w = isSloppy(v) ? freeze(refused(name)) : apiWrapper(scope, undefined, v, name);
      scope.pair(v, w);
      return w;
    }
    if (v !== null && typeof v === 'object') return namespaceOf(scope, v, `${name}.`, false);
    return v;
  }

  return wrap;
}

/**
 * The wrapper of one API (`apiWrapper(scope, self, original, name)`) over
 * a guard's `parts` (see createWrapping); `namespaceOf` makes the
 * namespace of what a wrapped constructor made.
 */
function createCalls(parts, namespaceOf) {
  const { core, tables, checks, violations, vetting, facades, denials } = parts;
  const { allows } = tables;
  const { apiIdOf, apiMessage } = checks;
  const { count, countAllowed } = violations;
  const { copyArgs, vetArgs } = vetting;
  const { outward } = facades;
  const { deny } = denials;
  const verdictFor = createApiVerdicts(core, checks, tables);

  function apiWrapper(scope, self, original, name) {
    // Interned now, before any mini program code runs (the table is bounded).
    apiIdOf(name);
    const shape = apiShape(name);
    const plan = apiPlan(name);
    const info = freeze(shaped({
      name,
      argShape: shape === undefined ? undefined : shape.args,
      style: shape === undefined ? styleByName(name) : shape.style,
      returns: OBJECT_RETURNS[name] ?? (shape === undefined ? null : shape.returns),
      socket: name === 'connectSocket',
      event: SOCKET_EVENTS[name],
      prefix: prefixOf(name),
    }));
    const check = verdictFor(scope.appId, name);
    // What the argument copies read (the scope, no results to map) for an
    // API with no door whose arguments the typings know: nothing of such a
    // call reads or writes the clock through it (vetArgs has no door and
    // no unknown string to check), so one frozen record serves every call,
    // re-entrant ones too. It has no time: reading one from it throws, so
    // a path that came to need the call's clock would fail the call, never
    // decide it at another time.
    const shared = plan === undefined && info.argShape !== undefined
      ? freeze(shaped({ scope, appId: scope.appId, label: name, msg: name, get t() { throw new TypeErrorCtor(`\`${name}\`: a call with no door has no clock in its record`); }, results: undefined }))
      : undefined;
    const run = (args, isNew, wrapper) => call(scope, self, original, info, plan, check, shared, args, isNew, wrapper);
    let wrapper;
    if (hasOwn(original, 'prototype')) {
      // A constructor (a class, or a function with a prototype): `new` works,
      // and what it makes is an instance of the wrapper (its `constructor`).
      wrapper = function (...args) { return run(args, new.target !== undefined, wrapper); };
      const proto = create(ObjectProto);
      defineProperty(proto, 'constructor', { __proto__: null, value: wrapper, writable: true, enumerable: false, configurable: true });
      defineProperty(wrapper, 'prototype', { __proto__: null, value: proto, writable: false });
    } else {
      wrapper = (...args) => run(args, false, undefined);
    }
    // The original's own name (`request`, `Cloud`), as the platform's function has.
    const own = desc(original, 'name');
    defineProperty(wrapper, 'name', { __proto__: null, value: own !== undefined && own.data && typeof own.value === 'string' ? own.value : name });
    return freeze(wrapper);
  }

  // One call of a wrapped API: the arguments copied, the API checked, the
  // door fields vetted, the original called, its answer mirrored. `shared`:
  // the call record of an API whose calls need none of their own (see
  // apiWrapper), else undefined. Kept small enough for the engine to inline
  // it into the wrapper (the rarer steps are functions of their own).
  function call(scope, self, original, info, plan, check, shared, args, isNew, wrapper) {
    // A call without arguments has nothing to copy or vet, so no record.
    const n = args.length;
    const ctx = n === 0 || shared !== undefined ? shared : callRecord(scope, info, 0);
    const copied = n === 0 ? 0 : copyArgs(ctx, args, plan, info.argShape);
    // The clock once, after the copy (whose getters are the caller's code,
    // which must not hold a check back to before an expiry): the API check
    // and every door check of this call decide at the same second.
    const t = now();
    if (ctx !== shared) ctx.t = t;
    const verdict = check(t);
    const v = verdict.v;
    if (v !== 0) {
      const message = allows(v) ? undefined : apiMessage(v, info.name, verdict.id);
      count(v, scope.appId, info.name, undefined);
      if (message !== undefined) return refuse(scope, info, message, v, args, copied, isNew);
    } else if (plan === undefined) {
      // A door API's allowed call is counted by its target checks.
      countAllowed();
    }
    // Without arguments, or with no door, known argument shapes and no
    // copy, vetArgs has nothing to do.
    if (n !== 0 && (shared === undefined || copied !== 0)) {
      // An argument past index 30 that needed a copy (copied < 0) is refused
      // as a target, at this call's clock, which the shared record lacks.
      const denied = vetArgs(copied < 0 && ctx === shared ? callRecord(scope, info, t) : ctx, args, copied, plan, info.argShape);
      if (denied !== null) return refuse(scope, info, denied.message, denied.v, args, copied, isNew);
    }
    if (info.event !== undefined || isNew) return special(scope, self, original, info, args, isNew, wrapper);
    const r = apply(original, self, args);
    // A primitive answer (most APIs answer undefined) is handed back as it
    // is, without the call into outward, which the engine does not inline.
    if (r === null || (typeof r !== 'object' && typeof r !== 'function')) return r;
    return outward(scope, r, info.returns, info.name);
  }

  // The record of one call of the API `info` (what copies and door checks
  // read), with the clock `t`. Every field own: read at call time, never
  // through a prototype.
  function callRecord(scope, info, t) {
    return { scope, appId: scope.appId, label: info.name, msg: info.name, t, results: undefined };
  }

  // A denied call, as the platform fails it in the call's style.
  function refuse(scope, info, message, v, args, copied, isNew) {
    const style = isNew ? 'construct' : info.style;
    return deny({ message, v, style, returns: info.returns, options: optionsOf(args, copied), scope, socket: info.socket });
  }

  // The allowed call of a global socket listener or of a constructor.
  function special(scope, self, original, info, args, isNew, wrapper) {
    if (info.event !== undefined) socketListener(scope, info.name, info.event, args[0]);
    if (isNew) {
      const made = construct(original, args);
      return namespaceOf(scope, made, info.prefix, false, wrapper.prototype);
    }
    return outward(scope, apply(original, self, args), info.returns, info.name);
  }

  return apiWrapper;
}

/**
 * The call style of an API the typings do not know, by its name: `*Sync`
 * throws, `onX`/`offX` registers; anything else answers a Promise when it
 * has no callbacks (undefined).
 */
function styleByName(name) {
  let at = 0;
  for (let i = 0; i < name.length; i++) if (name[i] === '.') at = i + 1;
  const n = name.length;
  if (n - at > 4 && name[n - 4] === 'S' && name[n - 3] === 'y' && name[n - 2] === 'n' && name[n - 1] === 'c') return 'sync';
  const upper = (c) => c !== undefined && c >= 'A' && c <= 'Z';
  if (name[at] === 'o' && ((name[at + 1] === 'n' && upper(name[at + 2])) || (name[at + 1] === 'f' && name[at + 2] === 'f' && upper(name[at + 3])))) return 'listener';
  return undefined;
}

/** Where a constructed object's methods are checked: `cloud.Cloud` -> `cloud.`, `Foo` -> `Foo.`. */
function prefixOf(name) {
  let at = -1;
  for (let i = 0; i < name.length; i++) if (name[i] === '.') at = i;
  if (at < 0) return `${name}.`;
  let p = '';
  for (let i = 0; i <= at; i++) p += name[i];
  return p;
}

function socketListener(scope, name, event, fn) {
  const list = scope.socket[event];
  if (name[1] === 'n') { if (typeof fn === 'function') addListener(list, fn); } else removeListener(list, typeof fn === 'function' ? fn : undefined);
}
