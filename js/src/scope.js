// What one wrapped namespace (one app's `wx`) keeps: which mirror stands for
// which original and back (so an original is never handed to the mini
// program, and a mirror handed back reaches its original as itself), the
// trampolines its callbacks run through, and the error and close listeners
// a denial reports to.
//
// Trampolines: every function the mini program hands an original runs
// through one, with `this` undefined (or the mirror it was set on), never
// whatever the original calls it with: a base library that calls a callback
// with its own `wx` as `this` hands the mini program nothing. The trampoline
// is strict code, so `arguments.callee.caller` from the callback stops at it.
// The same callback gets the same trampoline (so `off*(listener)` finds
// what `on*(listener)` registered), and reading a callback back answers the
// mini program's own function.

import { apply, freeze, weakMap, append, shaped } from './safe.js';
import { originalBehind, fnBehind, frontOf, linkMirror, linkTrampoline } from './links.js';

/** The state of one wrap: `appId` and the maps and listener tables above. */
export function createScope(appId) {
  // Error and close listeners registered through a mirror: only for the
  // few objects a mini program listens on, so a WeakMap.
  const listeners = weakMap();
  let scope = null;
  // wx.onSocketError / wx.onSocketClose, for a denied connectSocket.
  const socket = shaped({ error: [], close: [] });

  /** The trampoline of `fn` (this undefined), made once per function and scope. */
  function trampoline(fn) {
    let t = frontOf(fn, scope);
    if (t === undefined) {
      t = (...args) => apply(fn, undefined, args);
      linkTrampoline(fn, t, scope);
    }
    return t;
  }

  /**
   * A trampoline of `fn` made for one call (an options object's callback):
   * not kept in the maps, whose entries for short-lived keys would cost the
   * collector on every call.
   */
  const trampolineOnce = (fn) => {
    const t = (...args) => apply(fn, undefined, args);
    linkTrampoline(fn, t, undefined);
    return t;
  };

  /** A trampoline calling `fn` with `self` as `this` and its arguments mapped by `map` (not cached). */
  function trampolineWith(fn, self, map) {
    const t = (...args) => apply(fn, self, map === undefined ? args : map(args));
    linkTrampoline(fn, t, undefined);
    return t;
  }

  /** The mini program's function behind a trampoline, or the value itself. */
  const appFnOf = (v) => {
    const f = fnBehind(v);
    return f === undefined ? v : f;
  };

  /** The listeners of `event` (`error`, `close`) registered on `mirror` through it. */
  function listenersOf(mirror, event) {
    let table = listeners.get(mirror);
    if (table === undefined) {
      table = { __proto__: null, error: [], close: [] };
      listeners.set(mirror, table);
    }
    return table[event];
  }

  scope = freeze(shaped({
    appId,
    socket,
    /** The mirror of an original, or undefined. */
    mirrorOf: (o) => frontOf(o, scope),
    /** The original behind a mirror, or undefined. */
    originalOf: (m) => originalBehind(m),
    /** Records that `mirror` stands for `original`. */
    pair(original, mirror) { linkMirror(original, mirror, scope); },
    trampoline,
    trampolineOnce,
    trampolineWith,
    appFnOf,
    listenersOf,
  }));
  return scope;
}

/** Adds `fn` to a listener list (no Array.prototype.push). */
export function addListener(list, fn) {
  for (let i = 0; i < list.length; i++) if (list[i] === fn) return;
  append(list, fn);
}

/** Removes `fn` from a listener list in place; with no `fn`, removes all. */
export function removeListener(list, fn) {
  let w = 0;
  for (let r = 0; r < list.length; r++) {
    if (fn !== undefined && list[r] !== fn) { list[w] = list[r]; w++; }
  }
  list.length = w;
}
