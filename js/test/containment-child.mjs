// Run by containment*.test.mjs in a child process (the attacks wreck the
// realm, and node:test's own runner with it): one attack scenario of
// js/harness/containment.mjs against the bridge; prints one JSON line.
//
//   node containment-child.mjs <attack>
// GUARD_BRIDGE=<path> runs the scenarios against another copy of the bridge
// (how each test was checked to fail on the code before the fix).
// Not through ../bin/guard-vectors.mjs, which imports (and so runs) the bridge.
import { signPolicy } from '../src/vectors/sign.mjs';
import {
  SECRET, attackPolicy, run, speciesAttack, gluePrototypeAttack, pushAttack, plantedAttack, tamperTargets, tamper,
} from '../harness/containment.mjs';

const bridgePath = process.env.GUARD_BRIDGE ?? new URL('../src/index.js', import.meta.url).href;
const { createGuard } = await import(bridgePath);
const now = Math.floor(Date.now() / 1000);
const bundle = signPolicy(attackPolicy(now), SECRET);
const p2 = attackPolicy(now);
p2.version = 8;
p2.apps[0].granted_apis = [];
const bundle2 = signPolicy(p2, SECRET);
const base = { createGuard, bundle, bundle2 };
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const attack = process.argv[2];
if (attack === 'none') {
  print(await run(base));
} else if (attack === 'species') {
  print(await run({ ...base, attack: speciesAttack }));
} else if (attack === 'glue-prototype') {
  // The glue a bridge once imported next to the shipped module is gone
  // (decision 590); the attacker takes the tools' glue instead.
  let shippedGlue = true;
  try { await import('../pkg/guard_wasm.js'); } catch { shippedGlue = false; }
  const glue = await import('../pkg-tools/guard_wasm.js');
  print(await run({ ...base, attack: () => gluePrototypeAttack(glue, shippedGlue) }));
} else if (attack === 'planted') {
  print(await run({ ...base, attack: plantedAttack }));
} else if (attack === 'push') {
  // The listener is registered (by prepare) after nothing; here the base
  // library registers one more after the mini program broke push.
  const r = await run({ ...base, attack: pushAttack });
  print(r);
} else if (attack === 'systematic-one' || attack === 'systematic-all') {
  const baseline = await run(base);
  const targets = tamperTargets();
  const mismatches = [];
  const hitsSeen = {};
  const same = (a, b) => JSON.stringify([a.error, a.out, a.received, a.events]) === JSON.stringify([b.error, b.out, b.received, b.events]);
  const groups = attack === 'systematic-one' ? targets.map((t) => [t]) : [targets];
  for (const group of groups) {
    let t = null;
    const r = await run({ ...base, attack: () => { t = tamper(group); return t; } });
    for (const k of Object.keys(r.attack?.hits ?? {})) hitsSeen[k] = (hitsSeen[k] ?? 0) + r.attack.hits[k];
    if (!same(r, baseline)) mismatches.push({ tampered: group.length === 1 ? group[0].label : `all ${group.length}`, got: r, want: baseline });
  }
  print({ targets: targets.length, runs: groups.length, mismatches, hitsSeen, baseline });
} else {
  throw new Error(`unknown attack ${attack}`);
}
