#!/usr/bin/env node
// Contract v3's loads through the bridge, each against its contract v2
// baseline measured in the same run (issue 20, "measure and record"):
//
// - a key-set load (`loadKeys`: Ed25519 verification against a root, the
//   payload parsed, the key-set floor) against a bundle load (`load`:
//   Ed25519 verification with a key of the key set, the policy parsed and
//   compiled), in one warm Node process;
// - the cold start of a guard created with roots (compile, instantiate,
//   `createGuard({ roots, superappId })`, `loadKeys`, `load`, the first
//   decision) against contract v2's (the same, created with `{ keys }` and no
//   key set), each run a fresh Node process, the two kinds interleaved.
//
//   node js/bench/keysets.mjs [runs]     (default 15)
//
// Prints Markdown rows for docs/benchmarks.md. Not a test: nothing asserts
// timings.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGuard } from '../src/index.js';
import { signKeysetEdDsa, signPolicyEdDsa, publicJwk } from '../src/vectors/sign.mjs';

const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
const NOW = Math.floor(Date.now() / 1000);
const WARM = 2000;

const key = (kid) => ({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid });
const ROOT = key('root-1');
const SIGNER = key('k1');
const policy = (version) => ({
  schema: 3, superapp_id: 'demo', version, issued_at: NOW - 60, expires_at: NOW + 86400,
  blocked_hosts: ['*.internal.demo.example'],
  sensitive_apis: [{ name: 'scope.userLocation', status: 'restricted', scope: 'all', type: 'system' }],
  apps: [{ app_id: 'mp_shop', kind: 'mini_program', control: { server_domains: true }, domains: { request: ['https://api.shop.example'] } }],
});
const keysetPayload = (version) => ({ superapp_id: 'demo', version, issued_at: NOW - 60, expires_at: NOW + 86400, keys: [publicJwk(SIGNER)] });

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s.at(-1) };
}

// ---- Warm: one process, each load with a higher version than the last,
// so every one is accepted and moves its floor as a device's would.
const keysets = [];
const bundles = [];
for (let v = 1; v <= WARM; v++) {
  keysets.push(await signKeysetEdDsa(keysetPayload(v), ROOT));
  bundles.push(await signPolicyEdDsa(policy(v), SIGNER));
}
const guard = await createGuard({ roots: [publicJwk(ROOT)], superappId: 'demo' });
function timeEach(docs, load) {
  const t0 = process.hrtime.bigint();
  for (const doc of docs) {
    const r = load(doc);
    if (r.code !== 'ok') throw new Error(`load: ${r.code} ${r.message}`);
  }
  return Number(process.hrtime.bigint() - t0) / docs.length / 1000;
}
// Half to warm up, half measured, alternating so both see the same machine.
const half = WARM / 2;
timeEach(keysets.slice(0, half / 2), (d) => guard.loadKeys(d, { now: NOW }));
timeEach(bundles.slice(0, half / 2), (d) => guard.load(d, { now: NOW }));
const ksUs = [];
const bUs = [];
for (let i = half / 2; i < WARM; i += 100) {
  ksUs.push(timeEach(keysets.slice(i, i + 100), (d) => guard.loadKeys(d, { now: NOW })));
  bUs.push(timeEach(bundles.slice(i, i + 100), (d) => guard.load(d, { now: NOW })));
}
const ks = stats(ksUs);
const b = stats(bUs);

// ---- Cold: fresh processes, v2 and v3 interleaved.
const child = `
  import { readFileSync } from 'node:fs';
  import { createGuard } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
  const { kind, roots, keys, keyset, bundle, now } = JSON.parse(process.argv[1]);
  const bytes = readFileSync(${JSON.stringify(join(JS_ROOT, 'pkg', 'guard_wasm_bg.wasm'))});
  const t0 = performance.now();
  const guard = kind === 'v3'
    ? await createGuard({ roots, superappId: 'demo', wasm: bytes })
    : await createGuard({ keys, wasm: bytes });
  if (kind === 'v3') {
    const k = guard.loadKeys(keyset, { now });
    if (k.code !== 'ok') throw new Error('loadKeys: ' + k.code);
  }
  const loaded = guard.load(bundle, { now });
  if (loaded.code !== 'ok') throw new Error('load: ' + loaded.code + ' ' + loaded.message);
  const d = guard.checkApi('mp_shop', 'getLocation', { now });
  if (d.allow) throw new Error('the first decision should deny');
  console.log(performance.now() - t0);
`;
const v2Bundle = await signPolicyEdDsa({ ...policy(1), schema: 2, sensitive_apis: [{ name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' }], apps: [{ app_id: 'mp_shop', kind: 'mini_program', control: { server_domains: true }, server_domains: ['https://api.shop.example'] }] }, SIGNER);
const v3Args = { kind: 'v3', roots: [publicJwk(ROOT)], keyset: keysets[0], bundle: bundles[0], now: NOW };
const v2Args = { kind: 'v2', keys: [publicJwk(SIGNER)], bundle: v2Bundle, now: NOW };
const cold = { v2: [], v3: [] };
for (let i = 0; i < RUNS; i++) {
  for (const args of [v2Args, v3Args]) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, JSON.stringify(args)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.kind} run failed: ${r.stderr}`);
    cold[args.kind].push(Number(r.stdout.trim()));
  }
}
const c2 = stats(cold.v2);
const c3 = stats(cold.v3);

const wasm = readFileSync(join(JS_ROOT, 'pkg', 'guard_wasm_bg.wasm'));
console.log(`${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cpus), node ${process.version}, .wasm ${wasm.length} bytes`);
console.log(`\n| load (warm, ${WARM / 2 + half / 2} of each, medians of batches of 100) | per load | ratio, same run |`);
console.log('|---|---:|---:|');
console.log(`| bundle (\`load\`, EdDSA, schema 3) | ${b.median.toFixed(1)} µs | 1 (baseline) |`);
console.log(`| key set (\`loadKeys\`) | ${ks.median.toFixed(1)} µs | ${(ks.median / b.median).toFixed(2)}× |`);
console.log(`\n| cold start, fresh Node process (${RUNS} runs each, interleaved) | median | min | max | ratio of medians |`);
console.log('|---|---:|---:|---:|---:|');
console.log(`| contract v2: \`{ keys }\`, bundle, first decision | ${c2.median.toFixed(2)} ms | ${c2.min.toFixed(2)} | ${c2.max.toFixed(2)} | 1 (baseline) |`);
console.log(`| contract v3: \`{ roots, superappId }\`, key set, bundle, first decision | ${c3.median.toFixed(2)} ms | ${c3.min.toFixed(2)} | ${c3.max.toFixed(2)} | ${(c3.median / c2.median).toFixed(2)}× |`);
