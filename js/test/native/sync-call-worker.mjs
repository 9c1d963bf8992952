// The worker of sync-call.mjs: owns the back end's stdio, hands each request
// line over and puts the answer line into the shared buffer.
import { workerData } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const { sab, command, args } = workerData;
const ctrl = new Int32Array(sab, 0, 2);
const data = new Uint8Array(sab, 8);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
let dead = false;
let waiting = false;

function answer(line) {
  const { written } = encoder.encodeInto(line, data);
  Atomics.store(ctrl, 1, written);
  Atomics.store(ctrl, 0, 2);
  Atomics.notify(ctrl, 0);
  waiting = false;
}
createInterface({ input: child.stdout }).on('line', (line) => { if (waiting) answer(line); });
child.on('exit', () => { dead = true; if (waiting) answer('{"error":"the native back end exited"}'); });

for (;;) {
  const state = Atomics.load(ctrl, 0);
  if (state === 1 && !waiting) {
    waiting = true;
    if (dead) answer('{"error":"the native back end exited"}');
    else child.stdin.write(`${decoder.decode(data.slice(0, Atomics.load(ctrl, 1)))}\n`);
  }
  // Wait on the state just read, never on a fresh load: if the caller moved
  // IDLE -> REQUEST between the two loads, a wait on the fresh value (REQUEST)
  // would sleep through the request the caller is blocked on (a lost wake-up:
  // it failed CI once as a 20 s `no answer`).
  const r = Atomics.waitAsync(ctrl, 0, state);
  if (r.async) await r.value;
}
