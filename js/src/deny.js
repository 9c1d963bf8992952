// What a denied call looks like to the mini program: the platform's own
// failure of that API, by its call style (./typings.js): `fail` then
// `complete` for callbacks, a rejected Promise where the API answers one,
// a thrown Error for *Sync calls, nothing registered for a listener, and
// for an API that answers an object (a task, a context, a manager) an inert
// object of that interface whose methods fail the same way, one by one. A
// denied socket reports `onError` and `onClose` (on the task and through
// wx.onSocketError/onSocketClose), as a refused connection does. The mini
// program's handlers run in microtasks of their own, outside any try of the
// bridge, so what they throw surfaces as the platform's would.

import { defineProperty, freeze, own, ownKeys, queue, later, shaped, ErrorCtor } from './safe.js';
import { interfaceMethods } from './doors.js';
import { addListener, removeListener } from './scope.js';

const promiseReject = Promise.reject.bind(Promise);

/** `reason` of an errMsg `<api>:fail <reason>` (the text after the first `:fail `). */
export function reasonOf(errMsg) {
  const F = ':fail ';
  for (let i = 0; i + F.length <= errMsg.length; i++) {
    let at = true;
    for (let k = 0; k < F.length && at; k++) if (errMsg[i + k] !== F[k]) at = false;
    if (at) {
      let out = '';
      for (let k = i + F.length; k < errMsg.length; k++) out += errMsg[k];
      return out;
    }
  }
  return errMsg;
}

/** A thrown denial: an Error whose `message` and `errMsg` are the errMsg, with `errno`. */
export function denialError(errMsg, errno) {
  const e = new ErrorCtor(errMsg);
  own(e, 'errMsg', errMsg);
  own(e, 'errno', errno);
  return e;
}

/** Calls the `fail` and `complete` of an options copy (trampolines: `this` undefined), each in its own microtask. */
function failCallbacks(scope, options, res) {
  if (options === null) return false;
  const fail = options.fail;
  const complete = options.complete;
  const success = options.success;
  const args = [res];
  if (typeof fail === 'function') later(fail, args);
  if (typeof complete === 'function') later(complete, args);
  return typeof fail === 'function' || typeof complete === 'function' || typeof success === 'function';
}

/** Denials over `tables` (./verdicts.js): `{ deny, fireError }`. */
export function createDenials(tables) {
  const { errnoOf } = tables;

  /**
   * The denial of a call: `d` = `{ message, v, style, returns, options,
   * scope, socket }`; `style` the typings' call style (undefined for an API
   * they do not know: a Promise unless it has callbacks), `returns` the
   * interface an allowed call would answer, `socket` whether it opens a
   * WebSocket. Answers what the call answers (or throws, for sync).
   */
  function deny(d) {
    const errno = errnoOf(d.v);
    if (d.style === 'sync' || d.style === 'construct') throw denialError(d.message, errno);
    if (d.style === 'listener') return undefined;
    const res = freeze({ errMsg: d.message, errno });
    const hadCallbacks = failCallbacks(d.scope, d.options, res);
    if (d.returns !== null && d.returns !== undefined) {
      const inert = inertObject(d.scope, d.returns, d.message, errno);
      if (d.socket === true) closeSocket(d.scope, inert.events, d.message, errno);
      return inert.object;
    }
    if (hadCallbacks) return undefined;
    if (d.style === 'promise' || d.style === undefined) return promiseReject(res);
    return undefined;
  }

  /** Reports a denial on a mirror's error listeners (a setter, a callback-less method). */
  function fireError(list, errMsg, v) {
    const res = freeze({ errMsg, errno: errnoOf(v) });
    queue(() => { for (let i = 0; i < list.length; i++) later(list[i], [res]); });
  }

  return freeze(shaped({ deny, fireError }));
}

// A refused WebSocket: the task's onError and onClose listeners, and the
// namespace's wx.onSocketError / wx.onSocketClose ones, once the mini
// program had the synchronous rest of its turn to register them.
function closeSocket(scope, events, errMsg, errno) {
  const error = freeze({ errMsg, errno });
  const close = freeze({ code: 1006, reason: errMsg });
  queue(() => {
    const fire = (list, res) => { for (let i = 0; i < list.length; i++) later(list[i], [res]); };
    fire(events.Error ?? [], error);
    fire(scope.socket.error, error);
    fire(events.Close ?? [], close);
    fire(scope.socket.close, close);
  });
}

/**
 * An inert object of interface `iface`, for a denied API that answers one
 * (`errMsg` that API's denial): `{ object, events }`. Its listener methods
 * (`onX`/`offX`) keep and drop listeners; a method with callbacks fails them
 * (`<method>:fail <reason>`), or rejects where it answers a Promise; a
 * *Sync method throws; a method that answers an object answers an inert
 * one; any other method reports the API's denial to the `onError`
 * listeners (what was refused is the API). The object is extensible, like
 * the platform's.
 */
export function inertObject(scope, iface, errMsg, errno) {
  const reason = reasonOf(errMsg);
  const methods = interfaceMethods(iface);
  const object = {};
  const events = { __proto__: null };
  const listOf = (ev) => events[ev] ?? (events[ev] = []);
  if (methods !== undefined) {
    const names = ownKeys(methods);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const shape = methods[name];
      defineProperty(object, name, { __proto__: null, value: freeze(inertMethod(scope, name, shape, errMsg, errno, listOf)), writable: true, enumerable: false, configurable: true });
    }
  }
  return freeze({ __proto__: null, object, events });
}

function inertMethod(scope, name, shape, errMsg, errno, listOf) {
  const reason = reasonOf(errMsg);
  const isOn = name.length > 2 && name[0] === 'o' && name[1] === 'n';
  const isOff = name.length > 3 && name[0] === 'o' && name[1] === 'f' && name[2] === 'f';
  if (shape.style === 'listener' || ((isOn || isOff) && shape.args === 'f')) {
    let ev = '';
    for (let i = isOn ? 2 : 3; i < name.length; i++) ev += name[i];
    return isOn ? (fn) => { if (typeof fn === 'function') addListener(listOf(ev), fn); } : (fn) => { removeListener(listOf(ev), fn); };
  }
  const methodMsg = `${name}:fail ${reason}`;
  if (shape.style === 'sync') return () => { throw denialError(methodMsg, errno); };
  if (shape.returns !== null) return () => inertObject(scope, shape.returns, errMsg, errno).object;
  if (shape.style === 'callback' || shape.style === 'promise') {
    return (opts) => {
      const res = freeze({ errMsg: methodMsg, errno });
      let had = false;
      if (opts !== null && typeof opts === 'object') {
        const fail = opts.fail;
        const complete = opts.complete;
        if (typeof fail === 'function') { later(fail, [res]); had = true; }
        if (typeof complete === 'function') { later(complete, [res]); had = true; }
        if (typeof opts.success === 'function') had = true;
      }
      return had || shape.style === 'callback' ? undefined : promiseReject(res);
    };
  }
  return () => {
    const res = freeze({ errMsg, errno });
    queue(() => { const list = listOf('Error'); for (let i = 0; i < list.length; i++) later(list[i], [res]); });
    return undefined;
  };
}

