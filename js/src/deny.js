// What a denied call looks like to the mini program: the platform's own
// failure shapes (fail/complete callbacks in a microtask, a rejected
// promise, an inert task, a thrown Error for *Sync calls).

import { apply, freeze, own, queue, ErrorCtor } from './safe.js';

const promiseReject = Promise.reject.bind(Promise);

const TASK_METHODS = freeze([
  'abort', 'close', 'send',
  'onHeadersReceived', 'offHeadersReceived', 'onChunkReceived', 'offChunkReceived',
  'onProgressUpdate', 'offProgressUpdate',
  'onOpen', 'onClose', 'onError', 'onMessage',
]);

/** A task that does nothing, for a denied request, upload, download or socket. */
export function inertTask() {
  const t = {};
  for (let i = 0; i < TASK_METHODS.length; i++) own(t, TASK_METHODS[i], freeze(() => undefined));
  return freeze(t);
}

/** The request APIs that answer a task. */
export function isTaskApi(name) {
  return name === 'request' || name === 'uploadFile' || name === 'downloadFile' || name === 'connectSocket';
}

/** Denials over `tables` (./verdicts.js): `deny(opts, errMsg, v, task, sync)`. */
export function createDenials(tables) {
  const { errnoOf } = tables;
  return function deny(opts, errMsg, v, task, sync) {
    const errno = errnoOf(v);
    if (sync) {
      const e = new ErrorCtor(errMsg);
      own(e, 'errMsg', errMsg);
      own(e, 'errno', errno);
      throw e;
    }
    const fail = opts ? opts.fail : undefined;
    const complete = opts ? opts.complete : undefined;
    const success = opts ? opts.success : undefined;
    const callbacks = typeof fail === 'function' || typeof complete === 'function' || typeof success === 'function';
    const res = freeze({ errMsg, errno });
    if (task || callbacks) {
      const args = [res];
      queue(() => {
        if (typeof fail === 'function') { try { apply(fail, undefined, args); } catch { /* mini program's own error */ } }
        if (typeof complete === 'function') { try { apply(complete, undefined, args); } catch { /* as above */ } }
      });
      return task ? inertTask() : undefined;
    }
    return promiseReject(res);
  };
}
