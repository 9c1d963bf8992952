// The wasm side of a URL check alone, without the wrapping: the raw driver's
// `checkUrl` then `href()` (what a wrapped request asks of the module), over
// one of four URL sets, for each .wasm named on the command line, best of
// four 250 ms rounds. Modules instantiated in one process share this file's
// call sites (the first one gets the JIT's attention), so compare builds
// one process per module, alternating, e.g.
//
//   for i in 1 2 3; do for w in main.wasm js/pkg/guard_wasm_bg.wasm; do
//     SET=bench node js/bench/raw-url.mjs $w; done; done
//
// SET: `bench` (bench.mjs's allowed URLs), `serialised` (those already in
// their serialised form), `rewritten` (upper case or `:443`: the href
// differs from the input), `wasmtime` (the URL of the wasmtime host's
// criterion bench). Not a test: nothing here asserts timings.
import { readFileSync } from 'node:fs';
import { compile, open } from '../src/raw.js';
import { signPolicy } from '../bin/guard-vectors.mjs';

const SECRET = 'k3yK3yk3yK3yk3y1';
const now = Math.floor(Date.now() / 1000);
const policy = {
  schema: 1, superapp_id: 'bench', version: 1, issued_at: now - 60, expires_at: now + 86400, mode: 'enforce', sensitive_apis: [],
  apps: [{
    app_id: 'mp_shop', kind: 'mini_program', control: { server_domains: true, apis: true, webview_domains: true },
    server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'https://*.img.shop.example'],
    webview_domains: [], api_whitelist: [], granted_apis: [],
  }],
};
const SERIALISED = ['https://api.shop.example/v1/items?id=3', 'https://cdn.shop.example:8443/a/b.png', 'https://x.img.shop.example/p.png'];
const REWRITTEN = ['https://API.shop.example/', 'https://api.shop.example:443/v2'];
const SETS = { bench: [...SERIALISED, ...REWRITTEN], serialised: SERIALISED, rewritten: REWRITTEN, wasmtime: ['https://a.img.shop.example/i/p.png?w=100'] };
const urls = SETS[process.env.SET ?? 'bench'];
if (urls === undefined) throw new Error(`SET must be one of ${Object.keys(SETS).join(', ')}`);

let sink = 0;
function time(fn, ms) {
  for (let i = 0; i < 20000; i++) sink += fn(urls[i % urls.length]);
  let iters = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(ms) * 1000000n) {
    for (let i = 0; i < 10000; i++) sink += fn(urls[i % urls.length]);
    iters += 10000;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / iters;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : [new URL('../pkg/guard_wasm_bg.wasm', import.meta.url)];
const runs = [];
for (const f of files) {
  const d = await open(await compile(readFileSync(f)));
  if (d.create(SECRET) !== 0) throw new Error('create');
  if (d.load(signPolicy(policy, SECRET), now) !== 0) throw new Error('load');
  const handle = d.appHandle('mp_shop');
  const kind = d.kind('request');
  runs.push({ f, best: Infinity, run: (u) => d.checkUrl(kind, handle, u, now) + (d.href() === null ? 1 : 0) });
}
for (let r = 0; r < 4; r++) for (const x of runs) x.best = Math.min(x.best, time(x.run, 250));
for (const x of runs) console.log(`${x.f} ${x.best.toFixed(1)} ns`);
if (sink < 0) console.log(sink);
