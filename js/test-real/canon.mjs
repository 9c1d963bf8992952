// The canonical form of what crossed between a mini program and a base
// library, for diffing a run through the bridge against a run without it.
//
// Plain objects and arrays are compared by content, read as the base library
// reads them (`o[k]` for every string key down the prototype chain, so an
// inherited `success` counts, a prototype's kind does not); everything else
// is compared by identity: an object the mock made is named by the mock
// (`InnerAudioContext#2`), any other object (an ArrayBuffer, a canvas, an
// app's class instance) by the order it first crossed, so a facade or copy
// handed over in place of the app's own object shows up as a new name.
// Functions are `[function]`: what a callback does is diffed by what the app
// observes, since the bridge may hand over its own function that calls it.

const ObjectProto = Object.prototype;

/** Names objects by identity: the mock's by its own names, others by first appearance. */
export class Registry {
  constructor() {
    this.mockNames = new WeakMap();
    this.others = new WeakMap();
    this.count = 0;
  }

  /** Called by the mock for every object or function it hands out. */
  nameMock(value, name) {
    this.mockNames.set(value, name);
    return value;
  }

  mockName(value) {
    return this.mockNames.get(value);
  }

  otherName(value) {
    let n = this.others.get(value);
    if (n === undefined) {
      n = `obj#${++this.count}`;
      this.others.set(value, n);
    }
    return n;
  }
}

/** Whether `v` is compared by content (plain data, or an array of any prototype). */
export function isPlain(v) {
  if (Array.isArray(v)) return true;
  // Data with inherited fields (Object.create({ success })) is plain; an
  // instance of a class (a prototype with its own `constructor`) is not.
  for (let p = Object.getPrototypeOf(v); p !== null && p !== ObjectProto; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'constructor')) return false;
  }
  return true;
}

/** Every string key `o[k]` reads, own first, then each prototype's, down to (not including) Object.prototype. */
export function keysDown(o) {
  const keys = [];
  const seen = new Set();
  for (let p = o; p !== null && p !== ObjectProto && p !== Array.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Reflect.ownKeys(p)) {
      if (typeof k !== 'string' || seen.has(k)) continue;
      seen.add(k);
      keys.push(k);
    }
  }
  return keys;
}

/** The canonical form of `v` (see the file's head). Reads getters once, as the receiver would. */
export function canon(v, registry, stack = []) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  const named = registry.mockName(v);
  if (named !== undefined) return { $mock: named };
  if (typeof v === 'function') return '[function]';
  if (stack.includes(v)) return { $cycle: stack.length - stack.indexOf(v) };
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return { $bytes: Array.from(bytes), $id: registry.otherName(v) };
  }
  if (typeof v.then === 'function' && v instanceof Promise) return { $promise: registry.otherName(v) };
  if (!isPlain(v)) return { $obj: registry.otherName(v), $class: v.constructor?.name ?? null };
  stack.push(v);
  let out;
  if (Array.isArray(v)) {
    out = [];
    for (let i = 0; i < v.length; i++) out.push(canon(v[i], registry, stack));
  } else {
    out = {};
    for (const k of keysDown(v)) out[k] = canon(v[k], registry, stack);
  }
  stack.pop();
  return out;
}

/** What kind of thing a call answered: for comparing return shapes. */
export function shapeOf(v, registry) {
  if (v === undefined) return 'undefined';
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return typeof v;
  if (v instanceof Promise) return 'promise';
  if (typeof v === 'function') return 'function';
  if (isPlain(v)) return Array.isArray(v) ? 'array' : 'object';
  // A mock instance (or anything standing in for one): its class and methods.
  const name = registry?.mockName(v);
  const cls = name === undefined ? v.constructor?.name ?? '?' : name.replace(/#\d+$/, '');
  return `instance ${cls}`;
}
