// Run by hostile.test.mjs in a child process (the attacks plant on the
// realm's prototypes; one runs under a small heap): one scenario of
// js/harness/hostile.mjs against the bridge; prints one JSON line.
//
//   node hostile-child.mjs <scenario>
// GUARD_BRIDGE=<path> runs it against another copy of the bridge (how each
// test was seen to fail on the bridge before issue 21).
import { signPolicy } from '../src/vectors/sign.mjs';
import { SCENARIOS, SECRET, hostilePolicy } from '../harness/hostile.mjs';

const { createGuard } = await import(process.env.GUARD_BRIDGE ?? new URL('../src/index.js', import.meta.url).href);
const bundle = signPolicy(hostilePolicy(Math.floor(Date.now() / 1000)), SECRET);
const out = await SCENARIOS[process.argv[2]]({ createGuard, bundle });
process.stdout.write(`${JSON.stringify(out)}\n`);
