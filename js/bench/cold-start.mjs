#!/usr/bin/env node
// Cold start, from the module's bytes to the first decision: compile the
// .wasm, instantiate it, create a guard with an Ed25519 key set, load an
// EdDSA bundle (contract v2), answer one API check. Each run is a fresh Node
// process, or a fresh Chromium page in a fresh browser context, so nothing
// is warm but the operating system's file cache. The wasmtime figure comes
// from `cargo bench -p guard-wasm-host --bench checks -- startup`.
//
//   node js/bench/cold-start.mjs [runs]     (default 15)
//   GUARD_WASM=/tmp/other_bg.wasm node js/bench/cold-start.mjs   (another build)
//   GUARD_JS=/tmp/old/js node js/bench/cold-start.mjs   (another bridge: its src/ and pkg/)
//
// Two more rows, outside the bytes-to-decision clock: importing the bridge
// (its module graph evaluated; in Node the first read of a lazily loaded
// built-in such as `fetch` counts here), and, in Chromium, a start from the
// module's URL (`createGuard({ wasm: url })`: the bridge fetches and
// compiles it, in a fresh context of its own).
//
// Prints the median and the spread per runtime and phase, and the ratio of
// Chromium to Node measured in the same run. Not a test: nothing asserts timings.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { chromium } from 'playwright-core';
import { signPolicyEdDsa, publicJwk } from '../src/vectors/sign.mjs';

const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
const BRIDGE_ROOT = process.env.GUARD_JS ?? JS_ROOT;
const WASM = process.env.GUARD_WASM ?? join(JS_ROOT, 'pkg', 'guard_wasm_bg.wasm');
const NOW = Math.floor(Date.now() / 1000);

// One measured start, as the body of an async function in either runtime:
// `bytes` (the .wasm), `keys` and `bundle` given; answers milliseconds per
// phase: [total, compile, create (instantiate + guard_new + the key set),
// load (verify + parse + compile the bundle), first check, and a second
// guard on the same compiled module (create + load + check: what every
// further mini program of the process pays)].
const MEASURE = `
  const t0 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t1 = performance.now();
  const guard = await createGuard({ keys, wasm: module });
  const t2 = performance.now();
  const loaded = guard.load(bundle, { now });
  if (loaded.code !== 'ok') throw new Error('load: ' + loaded.code + ' ' + loaded.message);
  const t3 = performance.now();
  const d = guard.checkApi('mp_shop', 'getLocation', { now });
  if (d.allow) throw new Error('the first decision should deny');
  const t4 = performance.now();
  const again = await createGuard({ keys, wasm: module });
  if (again.load(bundle, { now }).code !== 'ok' || again.checkApi('mp_shop', 'getLocation', { now }).allow) throw new Error('second guard');
  const t5 = performance.now();
  return [t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4];
`;

const jwk = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'cold-1' };
const policy = {
  schema: 2, superapp_id: 'cold', version: 1, issued_at: NOW - 60, expires_at: NOW + 86400,
  blocked_hosts: ['*.internal.cold.example'],
  sensitive_apis: [{ name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' }],
  apps: [{ app_id: 'mp_shop', kind: 'mini_program', control: { server_domains: true }, server_domains: ['https://api.shop.example'] }],
};
const bundle = await signPolicyEdDsa(policy, jwk);
const keys = [publicJwk(jwk)];

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s.at(-1) };
}

// ---- Node: a fresh process per run.
const child = `
  import { readFileSync } from 'node:fs';
  const ti = performance.now();
  const { createGuard } = await import(${JSON.stringify(pathToFileURL(join(BRIDGE_ROOT, 'src', 'index.js')).href)});
  const imported = performance.now() - ti;
  const { keys, bundle, now } = JSON.parse(process.argv[1]);
  const bytes = readFileSync(${JSON.stringify(WASM)});
  const ms = await (async () => { ${MEASURE} })();
  console.log(JSON.stringify([...ms, imported]));
`;
const node = [];
for (let i = 0; i < RUNS; i++) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, JSON.stringify({ keys, bundle, now: NOW })], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node run failed: ${r.stderr}`);
  node.push(JSON.parse(r.stdout.trim()));
}

// ---- Chromium: a fresh context (no caches) and page per run, loopback server.
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://cold.invalid').pathname;
  if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><body>cold start</body>'); return; }
  if (path === '/guard.wasm') { res.writeHead(200, { 'content-type': TYPES['.wasm'], 'cache-control': 'no-store' }); res.end(await readFile(WASM)); return; }
  const rel = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
  if (rel.startsWith('..') || rel.includes(`${sep}..`) || !(rel.startsWith('src') || rel.startsWith('pkg'))) { res.writeHead(404); res.end(); return; }
  try {
    const body = await readFile(join(BRIDGE_ROOT, rel));
    res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch { res.writeHead(404); res.end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const chromeVersion = `Chromium ${browser.version()}`;
const chrome = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    // The bytes are fetched before the clock starts, as Node reads its file first.
    chrome.push(await page.evaluate(async ({ keys, bundle, now, measure }) => {
      const ti = performance.now();
      const { createGuard } = await import('/src/index.js');
      const imported = performance.now() - ti;
      const bytes = new Uint8Array(await (await fetch('/guard.wasm')).arrayBuffer());
      const run = new Function('createGuard', 'keys', 'bundle', 'now', 'bytes', `return (async () => { ${measure} })();`);
      return [...await run(createGuard, keys, bundle, now, bytes), imported];
    }, { keys, bundle, now: NOW, measure: MEASURE }));
    await context.close();
    // From the URL: the bridge fetches and compiles the module itself.
    const urlContext = await browser.newContext();
    const urlPage = await urlContext.newPage();
    await urlPage.goto(`${origin}/`);
    chrome.at(-1).push(await urlPage.evaluate(async ({ keys, bundle, now }) => {
      const { createGuard } = await import('/src/index.js');
      const t0 = performance.now();
      const guard = await createGuard({ keys, wasm: '/guard.wasm' });
      if (guard.load(bundle, { now }).code !== 'ok' || guard.checkApi('mp_shop', 'getLocation', { now }).allow) throw new Error('url start');
      return performance.now() - t0;
    }, { keys, bundle, now: NOW }));
    await urlContext.close();
  }
} finally {
  await browser.close();
  server.close();
}

const PHASES = ['from bytes to the first decision', 'compile', 'create (instantiate, key set)', 'load (verify, parse)', 'first check', 'another guard, same module (create, load, check)',
  'import the bridge (outside the clock)', 'from the URL to the first decision (Chromium, fresh context)'];
const n = PHASES.map((_, i) => stats(node.map((r) => r[i])));
const c = PHASES.map((_, i) => stats(chrome.map((r) => r[i])));
const ms = (x) => (x === undefined ? '–' : x.toFixed(2));
const cell = (x) => (x.median === undefined ? '–' : `${ms(x.median)} (${ms(x.min)}–${ms(x.max)})`);
console.log(`${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cpus), node ${process.version}, ${chromeVersion}, ${RUNS} runs each, ${WASM}, bridge ${BRIDGE_ROOT}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| phase | Node median ms (min–max) | Chromium median ms (min–max) |');
console.log('|---|---:|---:|');
PHASES.forEach((p, i) => console.log(`| ${p} | ${cell(n[i])} | ${cell(c[i])} |`));
console.log(`Chromium / Node (medians of the total, same run): ${(c[0].median / n[0].median).toFixed(2)}×`);
