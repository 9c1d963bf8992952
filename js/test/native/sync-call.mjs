// A synchronous call into another process, as a base library's JS-to-native
// bridge is synchronous: a Worker owns the child's stdio (one request line,
// one answer line) and the calling thread blocks on Atomics.wait over a
// SharedArrayBuffer until the answer is there.
//
//   const native = nativeProcess(command, args); native.call(line) -> line; await native.close()
import { Worker } from 'node:worker_threads';

const SIZE = 16 * 1024 * 1024;
const IDLE = 0;
const REQUEST = 1;
const ANSWER = 2;

export function nativeProcess(command, args = [], { timeoutMs = 20000 } = {}) {
  const sab = new SharedArrayBuffer(8 + SIZE);
  const ctrl = new Int32Array(sab, 0, 2);
  const data = new Uint8Array(sab, 8);
  const worker = new Worker(new URL('./sync-call-worker.mjs', import.meta.url), { workerData: { sab, command, args }, execArgv: [] });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let calls = 0;
  function call(request) {
    if (typeof request !== 'string') throw new TypeError('a request is a string');
    const { written } = encoder.encodeInto(request, data);
    if (written >= SIZE - 4) throw new Error('request too large for the test channel');
    Atomics.store(ctrl, 1, written);
    Atomics.store(ctrl, 0, REQUEST);
    Atomics.notify(ctrl, 0);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(ctrl, 0) !== ANSWER) {
      if (Atomics.wait(ctrl, 0, REQUEST, Math.max(1, deadline - Date.now())) === 'timed-out') throw new Error('native back end: no answer');
    }
    const answer = decoder.decode(data.slice(0, Atomics.load(ctrl, 1)));
    Atomics.store(ctrl, 0, IDLE);
    Atomics.notify(ctrl, 0);
    calls++;
    return answer;
  }
  return { call, calls: () => calls, close: () => worker.terminate() };
}
