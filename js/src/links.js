// Which mirror stands for which original, and which trampoline for which
// mini program function, kept in private class fields stamped onto the
// objects themselves: unforgeable and untamperable (syntax, not a built-in
// any code could replace), invisible to reflection, and free for the
// collector, where a WeakMap would make every task a request answers an
// ephemeron to trace (that cost more than the check itself). An object that
// refuses a private field (a frozen one, where an engine applies
// non-extensibility to private names) is kept in a WeakMap instead.
//
// A base class whose constructor answers the object it is given lets a
// subclass's field initialisers stamp any object (the "return override").

const setPrototypeOf = Object.setPrototypeOf;
const apply = Reflect.apply;
const WeakMapCtor = WeakMap;
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;

class Stamp {
  constructor(o) {
    return o;
  }
}

/** On a mirror: the original it stands for. */
class Mirrored extends Stamp {
  #original;
  constructor(o, original) {
    super(o);
    this.#original = original;
  }

  static of(o) {
    return #original in o ? o.#original : undefined;
  }
}

/** On a trampoline: the mini program's function it calls. */
class Calling extends Stamp {
  #fn;
  constructor(o, fn) {
    super(o);
    this.#fn = fn;
  }

  static of(o) {
    return #fn in o ? o.#fn : undefined;
  }
}

/** On an original (or a mini program function): what stands for it, per scope: [scope, front, ...]. */
class Fronted extends Stamp {
  #list;
  constructor(o, list) {
    super(o);
    this.#list = list;
  }

  static list(o) {
    return #list in o ? o.#list : undefined;
  }
}

const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
const fallback = new WeakMapCtor();
const fallbackGet = (o) => apply(weakGet, fallback, [o]);

/** Stamps `o` with `Kind`'s field (`value`), or records it in the fallback map. */
function stamp(Kind, o, value, slot) {
  try {
    new Kind(o, value); // eslint-disable-line no-new
  } catch {
    let rec = fallbackGet(o);
    if (rec === undefined) { rec = { original: undefined, fn: undefined, list: undefined }; apply(weakSet, fallback, [o, rec]); }
    rec[slot] = value;
  }
}

function read(Kind, o, slot) {
  const v = slot === 'list' ? Kind.list(o) : Kind.of(o);
  if (v !== undefined) return v;
  const rec = fallbackGet(o);
  return rec === undefined ? undefined : rec[slot];
}

/** The original behind a mirror, or undefined. */
export function originalBehind(o) {
  return isObject(o) ? read(Mirrored, o, 'original') : undefined;
}

/** The mini program function behind a trampoline, or undefined. */
export function fnBehind(o) {
  return typeof o === 'function' ? read(Calling, o, 'fn') : undefined;
}

/** What stands for `o` in `scope` (its mirror, or its trampoline), or undefined. */
export function frontOf(o, scope) {
  if (!isObject(o)) return undefined;
  const list = read(Fronted, o, 'list');
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i += 2) if (list[i] === scope) return list[i + 1];
  return undefined;
}

/** Records that `mirror` stands for `original` in `scope`, both ways. */
export function linkMirror(original, mirror, scope) {
  stamp(Mirrored, mirror, original, 'original');
  addFront(original, mirror, scope);
}

/** Records that `t` calls `fn`; `scope` given: `t` is `fn`'s trampoline there. */
export function linkTrampoline(fn, t, scope) {
  stamp(Calling, t, fn, 'fn');
  if (scope !== undefined) addFront(fn, t, scope);
}

function addFront(o, front, scope) {
  let list = read(Fronted, o, 'list');
  if (list === undefined) {
    // Null-prototype: an index setter planted on Array.prototype never runs.
    list = [];
    setPrototypeOf(list, null);
    stamp(Fronted, o, list, 'list');
  }
  const n = list.length;
  list[n] = scope;
  list[n + 1] = front;
}
