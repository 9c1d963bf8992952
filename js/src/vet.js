// What an original receives: the arguments of a call, made ready for it.
//
// An options object is copied once, before any check, into a fresh
// null-prototype object that is frozen before the original sees it: its own
// and inherited properties (up to Object.prototype, which is the realm's and
// not the caller's; enumerable ones, and functions such as a class's
// methods), each read once. Callbacks in it become trampolines
// (./scope.js), mirrors become their originals. The door fields of the call
// spec (./doors.js) are then vetted in that copy (./targets.js) and replaced
// by what was checked, arrays and objects along their paths copied the same
// way. Nothing is invented: a field the caller did not give stays absent.
// So nothing the original reads later (an omitted `method`, `toJSON`, an
// array iterator, a getter) can run mini program code against what it
// holds, and nothing it holds can change after the check. A copy drops an
// own `__proto__`, which a merge by the original would turn into the
// prototype it reads an omitted target from, and every symbol key, which
// no platform API reads and which the platform's JSON bridge drops too.

import {
  apply, getPrototypeOf, ownKeys, freeze, create, hasOwn, own, desc, isArray, append, floor, shaped, nullObject,
  ObjectProto, FunctionProto,
} from './safe.js';

const ArrayProto = Array.prototype;
const setPrototypeOf = Object.setPrototypeOf;
const objectKeys = Object.keys;
const NumberCtor = Number;
const clz32 = Math.clz32;
/** The key no copy carries as its own (see snapshot). */
const PROTO_KEY = '__proto__';
/** Largest array along a door path (urls[], sources[]) one call may carry; the rest is dropped. */
const MAX_TARGETS = 1000;
/**
 * The bit of copyArgs' answer (the sign bit) saying that an argument at
 * index 31 or later needed a copy: the bit set has no room to track it, so
 * the call is refused (decision 630).
 */
const OVERFLOW = 1 << 31;

// Options copies are made by nullObject (./safe.js), not Object.create(null):
// V8 makes the latter a hash table from the start, and freezing one of
// those costs more than the rest of a wrapped request (issue 24).

/** Whether `o` is an options object by its shape alone: its prototype is Object.prototype or null. */
export function isPlain(o) {
  const p = getPrototypeOf(o);
  return p === ObjectProto || p === null;
}

/**
 * The plan of a call spec's option paths for one argument: a tree of
 * `{ key, array, kind, children }` (`kind` at a leaf). Built at wrap time.
 */
export function planOf(paths) {
  const root = [];
  const keys = ownKeys(paths);
  for (let i = 0; i < keys.length; i++) {
    const path = keys[i];
    const kind = paths[path];
    let nodes = root;
    let j = 0;
    while (j < path.length) {
      let key = '';
      while (j < path.length && path[j] !== '.' && path[j] !== '[') key += path[j++];
      let array = false;
      if (path[j] === '[') { array = true; j += 2; }
      if (path[j] === '.') j++;
      let node;
      for (let k = 0; k < nodes.length; k++) if (nodes[k].key === key) node = nodes[k];
      if (node === undefined) {
        node = shaped({ key, array, kind: null, children: [], plain: false });
        append(nodes, node);
      }
      if (j >= path.length) node.kind = kind;
      // A single value checked by `vet` alone (see applyPlan).
      node.plain = !node.array && node.kind !== null && node.kind !== 'tcp' && node.kind !== 'udp';
      nodes = node.children;
    }
  }
  return root;
}

/**
 * Copies over no guard state: `{ inward, snapshot, copyArgs }`, what an
 * original receives before any check.
 */
function createCopies() {
  /**
   * A value on its way to an original: a callback's trampoline (mapping its
   * arguments by `ctx.results` when the call's results carry objects to
   * mirror), a mirror's original, else itself.
   */
  function inward(ctx, v, once) {
    const scope = ctx.scope;
    if (typeof v === 'function') {
      const o = scope.originalOf(v);
      if (o !== undefined) return o;
      if (ctx.results !== undefined) return scope.trampolineWith(v, undefined, ctx.results);
      return once === true ? scope.trampolineOnce(v) : scope.trampoline(v);
    }
    if (v !== null && typeof v === 'object') {
      const o = scope.originalOf(v);
      if (o !== undefined) return o;
    }
    return v;
  }

  /**
   * The caller's options `o` as a fresh null-prototype object, each value
   * read once and made inward. Left unfrozen for the door fields.
   */
  function snapshot(ctx, o) {
    if (getPrototypeOf(o) === ObjectProto) {
      // A literal (the usual options): its own enumerable string-keyed
      // properties, each read once, into a null-prototype object (where
      // [[Set]] only defines: there is no setter to find). Two kinds of key
      // are never carried:
      // - an own `__proto__` (JSON.parse makes one): an original that merges
      //   the options with Object.assign({}, defaults, o) would take it as
      //   its prototype and read an omitted target from it;
      // - a symbol: no platform API reads one, the platform's JSON bridge
      //   drops them, and a function under one would otherwise reach the
      //   original as the caller's own, a mirror not unwrapped (decision
      //   680), as on the path below.
      const copy = nullObject();
      const keys = objectKeys(o);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (k === PROTO_KEY) continue;
        const v = o[k];
        // A getter read before it may have deleted this key: absent stays
        // absent, as Object.assign would have it.
        if (v === undefined && !hasOwn(o, k)) continue;
        copy[k] = v !== null && (typeof v === 'object' || typeof v === 'function') ? inward(ctx, v, true) : v;
      }
      return copy;
    }
    const copy = nullObject();
    const seen = create(null);
    for (let p = o; p !== null && p !== ObjectProto && p !== ArrayProto && p !== FunctionProto; p = getPrototypeOf(p)) {
      const keys = ownKeys(p);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (typeof k !== 'string' || seen[k] === true || k === PROTO_KEY) continue;
        seen[k] = true;
        const d = desc(p, k);
        if (d === undefined) continue;
        const inherited = p !== o;
        if (inherited && k === 'constructor') continue;
        const fn = d.data && typeof d.value === 'function';
        if (!d.enumerable && !(inherited && fn)) continue;
        const v = d.data ? d.value : d.get === undefined ? undefined : apply(d.get, o, []);
        // A null-prototype object: assignment defines, no setter can run.
        copy[k] = inward(ctx, v, true);
      }
    }
    return copy;
  }

  /**
   * The arguments of a call, copied in place before any check: answers the
   * bit set of the indices holding a copy (see optionsOf), with OVERFLOW
   * set when an argument past index 30 needed one. `ctx`: `{ scope,
   * appId, label, t }`; `spec` the call spec (argument index -> kind, or
   * option paths' plan from planOf) or undefined; `shape` the typings'
   * argument letters (`o`, `f`, `v`), or undefined for a call the typings do
   * not know. Options copies are left unfrozen for vetArgs. No record is
   * made per call (a wrapped API call spends more on its records than on
   * its check, issue 24).
   */
  function copyArgs(ctx, args, spec, shape) {
    // `args` is the wrapper's own rest array: every index is an own data
    // property, so assigning one runs no setter planted on Array.prototype.
    let copied = 0;
    const n = args.length;
    for (let i = 0; i < n; i++) {
      const a = args[i];
      if (typeof a === 'string' || a === null || (typeof a !== 'object' && typeof a !== 'function')) continue;
      const door = spec === undefined ? undefined : spec[i];
      if (typeof door === 'string') continue;
      const letter = shape === undefined ? undefined : shape[i];
      if (typeof a === 'object' && ctx.scope.originalOf(a) === undefined
        && (door !== undefined || letter === 'o' || (letter === undefined && isPlain(a)))) {
        // Past index 30 the bit set has no room: nothing is copied (no
        // getter of it runs) and vetArgs refuses the call.
        if (i >= 31) return copied | OVERFLOW;
        args[i] = snapshot(ctx, a);
        copied |= 1 << i;
      } else {
        args[i] = inward(ctx, a);
      }
    }
    return copied;
  }

  return { inward, snapshot, copyArgs };
}

/**
 * The copy of the first options argument of `args` (whose callbacks a
 * denial calls) by copyArgs' bit set `copied`, or null when there is none.
 */
export function optionsOf(args, copied) {
  const low = copied & ~OVERFLOW;
  return low === 0 ? null : args[31 - clz32(low & -low)];
}

/**
 * Vetting over a guard's targets (./targets.js): the copies' functions and
 * `vetArgs`: `{ copyArgs, vetArgs, snapshot, inward }`.
 */
export function createVetting(targets) {
  const { vet, vetSocket, vetUnknown, invalid } = targets;
  const { copyArgs, snapshot, inward } = createCopies();

  /** A fresh frozen null-prototype array of the first MAX_TARGETS items of `raw`, each mapped by `each`. */
  function arrayOf(raw, each) {
    const len = floor(NumberCtor(raw.length));
    const n = len > 0 ? (len < MAX_TARGETS ? len : MAX_TARGETS) : 0;
    const arr = [];
    for (let k = 0; k < n; k++) {
      const r = each(raw[k]);
      if (r.denied !== null) return r;
      own(arr, k, r.value);
    }
    setPrototypeOf(arr, null);
    return { value: freeze(arr), denied: null };
  }

  // Records whose fields are all own (never read through a prototype).
  const done = (value) => ({ value, denied: null });
  const refused = (r) => ({ value: undefined, denied: r });

  // One value at a leaf of kind `kind`: vetted. `holder` is the copy it
  // sits in (a raw socket's port is beside its address).
  function leaf(ctx, kind, raw, holder) {
    if (kind === 'tcp' || kind === 'udp') {
      const r = vetSocket(ctx, kind, raw, holder === undefined ? undefined : holder.port);
      return r.ok ? done(r.value) : refused(r.r);
    }
    const r = vet(ctx, kind, raw);
    return r.ok ? done(r.value) : refused(r.r);
  }

  // The door fields of `copy` (a snapshot) along the plan's nodes, in place.
  function applyPlan(ctx, copy, nodes) {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (!hasOwn(copy, node.key)) continue;
      const raw = copy[node.key];
      if (node.plain) {
        // A leaf of one URL (the usual door, `url`): vetted straight, no
        // record of its own on the way.
        const r = vet(ctx, node.kind, raw);
        if (!r.ok) return r.r;
        copy[node.key] = r.value;
        continue;
      }
      const r = node.array && raw !== null && typeof raw === 'object'
        ? arrayOf(raw, (item) => step(ctx, node, item, copy))
        : step(ctx, node, raw, copy);
      if (r.denied !== null) return r.denied;
      copy[node.key] = r.value;
    }
    return null;
  }

  // One node's value (or one item of an array node's value).
  function step(ctx, node, raw, holder) {
    if (node.kind !== null) return leaf(ctx, node.kind, raw, holder);
    if (raw === null || typeof raw !== 'object' || ctx.scope.originalOf(raw) !== undefined) return done(raw);
    const sub = snapshot(ctx, raw);
    const denied = applyPlan(ctx, sub, node.children);
    return denied === null ? done(freeze(sub)) : refused(denied);
  }

  // A string where no door is known: checked when it names an authority.
  function unknownString(ctx, s) {
    const r = vetUnknown(ctx, s);
    return r.ok ? done(r.value) : refused(r.r);
  }

  // An options object of a call the table does not know: its strings, and
  // the strings of its arrays, checked when they name an authority.
  function unknownOptions(ctx, copy) {
    const keys = ownKeys(copy);
    for (let i = 0; i < keys.length; i++) {
      const v = copy[keys[i]];
      let r = null;
      if (typeof v === 'string') r = unknownString(ctx, v);
      else if (isArray(v)) r = arrayOf(v, (item) => (typeof item === 'string' ? unknownString(ctx, item) : done(inward(ctx, item))));
      if (r === null) continue;
      if (r.denied !== null) return r.denied;
      copy[keys[i]] = r.value;
    }
    return null;
  }

  /**
   * Vets the door fields of arguments copied by copyArgs (`copied` its
   * answer) in place (and, for a call the typings do not know, every string
   * naming an authority), then freezes the copies: the first denial, or null.
   * An argument past index 30 that needed a copy (OVERFLOW) could be neither
   * copied nor vetted: the call is refused as an unreadable target,
   * invalid_url (decision 630).
   */
  function vetArgs(ctx, args, copied, spec, shape) {
    if (copied < 0) return invalid(ctx, '').r;
    let denied = null;
    for (let i = 0; i < args.length && denied === null; i++) {
      const a = args[i];
      const door = spec === undefined ? undefined : spec[i];
      if (typeof door === 'string') {
        const r = leaf(ctx, door, a, undefined);
        denied = r.denied;
        args[i] = r.value;
      } else if (i < 31 && (copied & (1 << i)) !== 0) {
        if (door !== undefined) denied = applyPlan(ctx, a, door);
        else if (shape === undefined) denied = unknownOptions(ctx, a);
        freeze(a);
      } else if (typeof a === 'string' && shape === undefined) {
        const r = unknownString(ctx, a);
        denied = r.denied;
        args[i] = r.value;
      }
    }
    return denied;
  }

  return freeze(shaped({ copyArgs, vetArgs, snapshot, inward }));
}
