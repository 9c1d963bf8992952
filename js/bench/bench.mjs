#!/usr/bin/env node
// `npm run bench`: one process, one policy, the same calls, three checkers:
//  - this guard through the bridge (guard-core in wasm);
//  - a plain-JS checker written the way a base library would by hand
//    (Set lookups and `new URL`), timed twice: as is (it reads no clock), and
//    honouring the policy's `expires_at` the way the guard must (one
//    `Date.now()` per call), so the clock's share of the ratio is visible;
//  - @cedar-policy/cedar-wasm with an equivalent Cedar policy (prepared once
//    with preparsePolicySet, then statefulIsAuthorized per call; Cedar has no
//    URL type, so its URL path runs `new URL` in JS and passes scheme, host
//    and port as context).
// Prints ns per check and ratios. Not a test: nothing here asserts timings.
// GUARD_BENCH_CLOCK=cpu: timed by CPU time, not the wall clock (see time()).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createGuard } from '../src/index.js';
import { signPolicy } from '../bin/guard-vectors.mjs';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

const SECRET = 'k3yK3yk3yK3yk3y1';
const APP = 'mp_shop';
const now = Math.floor(Date.now() / 1000);
// The guard's catalogue: `NAME<TAB>SOURCE` a line (decision 381).
const CATALOGUE = readFileSync(new URL('../../guard-core/data/wx-apis.tsv', import.meta.url), 'utf8')
  .split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split('\t')[0].trim());
const RESTRICTED = ['getLocation', 'chooseImage', 'openWallet'];
const GRANTED = ['getLocation'];
const WHITELIST = ['openWallet'];
const DOMAINS = [['api.shop.example', 443, false], ['cdn.shop.example', 8443, false], ['img.shop.example', 443, true]];

const policy = {
  schema: 1, superapp_id: 'bench', version: 1, issued_at: now - 60, expires_at: now + 86400, mode: 'enforce',
  sensitive_apis: RESTRICTED.map((name) => ({ name, status: 'restricted', scope: 'all', type: CATALOGUE.includes(name) ? 'system' : 'custom' })),
  apps: [{
    app_id: APP, kind: 'mini_program', control: { server_domains: true, apis: true, webview_domains: true },
    server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'https://*.img.shop.example'],
    webview_domains: [], api_whitelist: WHITELIST, granted_apis: GRANTED,
  }],
};

const ALLOWED_APIS = ['getLocation', 'getStorageSync', 'showToast', 'navigateTo', 'getSystemInfo', 'setStorage', 'login', 'scanCode'];
const MIXED_APIS = [...ALLOWED_APIS, 'chooseImage', 'openWallet', 'notAnApi', 'getPhoneNumberX'];
const ALLOWED_URLS = ['https://api.shop.example/v1/items?id=3', 'https://cdn.shop.example:8443/a/b.png', 'https://x.img.shop.example/p.png', 'https://API.shop.example/', 'https://api.shop.example:443/v2'];
const MIXED_URLS = [...ALLOWED_URLS, 'https://evil.example/steal', 'http://api.shop.example/', 'https://api.shop.example:444/', 'https://u:p@api.shop.example/', 'not a url'];

// ---- the guard, through the bridge
const guard = await createGuard({ secret: SECRET });
const loaded = guard.load(signPolicy(policy, SECRET), { now });
if (loaded.code !== 'ok') throw new Error(`load: ${loaded.code} ${loaded.message}`);
const noop = () => undefined;
const baseWx = Object.fromEntries([...ALLOWED_APIS, 'request'].map((n) => [n, noop]));
const guarded = guard.wrap(baseWx, { appId: APP });

// ---- plain JS, as a base library would write it by hand
const builtin = new Set(CATALOGUE);
const whitelist = new Set(WHITELIST);
const restricted = new Set(RESTRICTED);
const granted = new Set(GRANTED);
const exact = new Map(DOMAINS.filter((d) => !d[2]).map(([h, p]) => [h, p]));
const wild = DOMAINS.filter((d) => d[2]).map(([h, p]) => [`.${h}`, p]);
function jsApi(name) {
  if (!builtin.has(name) && !whitelist.has(name)) return 'api_not_whitelisted';
  if (restricted.has(name) && !granted.has(name)) return 'permission_not_granted';
  return null;
}
function jsUrl(url) {
  let u;
  try { u = new URL(url); } catch { return 'invalid_url'; }
  if (u.username !== '' || u.password !== '') return 'invalid_url';
  if (u.protocol !== 'https:') return 'insecure_scheme';
  const host = u.hostname.endsWith('.') ? u.hostname.slice(0, -1) : u.hostname;
  const port = u.port === '' ? 443 : Number(u.port);
  let matched = exact.get(host);
  if (matched === undefined) for (const [suffix, p] of wild) if (host.endsWith(suffix)) { matched = p; break; }
  if (matched === undefined) return 'domain_not_whitelisted';
  return matched === port ? null : 'port_not_allowed';
}
// The same checks answering a decision object, as a hand-written one would.
const MSG = { api_not_whitelisted: 'api not in whitelist', permission_not_granted: 'permission not granted', invalid_url: 'invalid url', insecure_scheme: 'url scheme not allowed', domain_not_whitelisted: 'url not in domain list', port_not_allowed: 'url not in domain list' };
function jsApiDecision(name) {
  const code = jsApi(name);
  return code === null ? { allow: true, code, message: `${name}:ok` } : { allow: false, code, message: `${name}:fail ${MSG[code]}` };
}
function jsUrlDecision(url) {
  const code = jsUrl(url);
  return code === null ? { allow: true, code, message: 'request:ok' } : { allow: false, code, message: `request:fail ${MSG[code]}` };
}
const plainWx = {};
for (const n of ALLOWED_APIS) plainWx[n] = (o) => { const c = jsApi(n); if (c !== null) throw new Error(`${n}:fail ${c}`); return baseWx[n](o); };
plainWx.request = (o) => { const url = String(o.url); const c = jsApi('request') ?? jsUrl(url); if (c !== null) throw new Error(`request:fail ${c}`); return baseWx.request({ ...o, url }); };
// The same checker with the expiry the contract requires (§2: no policy in force
// after `expires_at`), reading the clock once per call as the bridge does.
const expired = () => Math.floor(Date.now() / 1000) >= policy.expires_at;
const plainExpWx = {};
for (const n of ALLOWED_APIS) plainExpWx[n] = (o) => { const c = expired() ? 'no_policy' : jsApi(n); if (c !== null) throw new Error(`${n}:fail ${c}`); return baseWx[n](o); };
plainExpWx.request = (o) => { const url = String(o.url); const c = expired() ? 'no_policy' : jsApi('request') ?? jsUrl(url); if (c !== null) throw new Error(`request:fail ${c}`); return baseWx.request({ ...o, url }); };
const jsExpApiDecision = (n) => (expired() ? { allow: false, code: 'no_policy', message: `${n}:fail no policy` } : jsApiDecision(n));
const jsExpUrlDecision = (u) => (expired() ? { allow: false, code: 'no_policy', message: 'request:fail no policy' } : jsUrlDecision(u));

// ---- Cedar
const cedarPolicies = `
permit(principal == App::"${APP}", action == Action::"callApi", resource)
when { resource.builtin || principal.whitelist.contains(resource.name) }
unless { resource.restricted && !principal.granted.contains(resource.name) };
permit(principal == App::"${APP}", action == Action::"request", resource)
when { context.scheme == "https" && context.userinfo == false &&
  ((context.host == "api.shop.example" && context.port == 443) ||
   (context.host == "cdn.shop.example" && context.port == 8443) ||
   (context.host like "*.img.shop.example" && context.port == 443)) };
`;
const pre = cedar.preparsePolicySet('bench', { staticPolicies: cedarPolicies });
if (pre.type !== 'success') throw new Error(`cedar: ${JSON.stringify(pre.errors)}`);
const principal = { uid: { type: 'App', id: APP }, attrs: { whitelist: WHITELIST, granted: GRANTED }, parents: [] };
const apiEntities = new Map(MIXED_APIS.map((n) => [n, [principal, { uid: { type: 'Api', id: n }, attrs: { name: n, builtin: builtin.has(n), restricted: restricted.has(n) }, parents: [] }]]));
const urlEntities = [principal, { uid: { type: 'Url', id: 'u' }, attrs: {}, parents: [] }];
function cedarApi(name) {
  const ans = cedar.statefulIsAuthorized({ principal: { type: 'App', id: APP }, action: { type: 'Action', id: 'callApi' }, resource: { type: 'Api', id: name }, context: {}, preparsedPolicySetId: 'bench', entities: apiEntities.get(name) });
  return ans.type === 'success' && ans.response.decision === 'allow';
}
function cedarUrl(url) {
  let u;
  try { u = new URL(url); } catch { return false; }
  const context = { scheme: u.protocol.slice(0, -1), userinfo: u.username !== '' || u.password !== '', host: u.hostname, port: u.port === '' ? 443 : Number(u.port) };
  const ans = cedar.statefulIsAuthorized({ principal: { type: 'App', id: APP }, action: { type: 'Action', id: 'request' }, resource: { type: 'Url', id: 'u' }, context, preparsedPolicySetId: 'bench', entities: urlEntities });
  return ans.type === 'success' && ans.response.decision === 'allow';
}

// ---- agreement first: the checkers must decide alike on every subject
for (const n of MIXED_APIS) {
  const g = guard.checkApi(APP, n, { now }).allow;
  if (g !== (jsApi(n) === null) || g !== jsExpApiDecision(n).allow || g !== cedarApi(n)) throw new Error(`checkers disagree on API ${n}`);
}
for (const u of MIXED_URLS) {
  const g = guard.checkRequest(APP, u, { now }).allow;
  if (g !== (jsUrl(u) === null) || g !== jsExpUrlDecision(u).allow || g !== cedarUrl(u)) throw new Error(`checkers disagree on URL ${u}`);
}

// ---- timing
// GUARD_BENCH_CLOCK=cpu times by the process's CPU time (process.cpuUsage,
// user + system, in microseconds) instead of the wall clock: on a shared
// machine whose load is above its core count, the time a process waits
// descheduled lands in wall-clock rounds at random and swamps the
// differences measured; CPU time leaves it out (it does include the
// engine's own helper threads, for every checker alike).
const CPU_CLOCK = process.env.GUARD_BENCH_CLOCK === 'cpu';
const clockNs = CPU_CLOCK
  ? () => { const u = process.cpuUsage(); return BigInt(u.user + u.system) * 1000n; }
  : () => process.hrtime.bigint();
let sink = 0;
function time(fn, list, minMs = 400) {
  const n = list.length;
  for (let i = 0; i < 20000; i++) fn(list[i % n]); // warm-up (JIT, caches)
  let iters = 0;
  const start = clockNs();
  let elapsed = 0n;
  const budget = BigInt(minMs) * 1000000n;
  while (elapsed < budget) {
    for (let i = 0; i < 10000; i++) { const r = fn(list[i % n]); if (r) sink++; }
    iters += 10000;
    elapsed = clockNs() - start;
  }
  return Number(elapsed) / iters;
}
const best = (fn, list, runs = 3) => Math.min(...Array.from({ length: runs }, () => time(fn, list)));

const rows = [
  ['API check, wrapped wx call (allowed)', ALLOWED_APIS,
    (n) => guarded[n](), (n) => plainWx[n](), (n) => plainExpWx[n](), (n) => cedarApi(n) && baseWx[n]()],
  ['URL check, wrapped wx.request (allowed)', ALLOWED_URLS,
    (u) => guarded.request({ url: u }), (u) => plainWx.request({ url: u }), (u) => plainExpWx.request({ url: u }), (u) => cedarUrl(u) && baseWx.request({ url: u })],
  ['API decision, guard.checkApi (mixed allow/deny)', MIXED_APIS,
    (n) => guard.checkApi(APP, n).allow, (n) => jsApiDecision(n).allow, (n) => jsExpApiDecision(n).allow, (n) => cedarApi(n)],
  ['URL decision, guard.checkRequest (mixed allow/deny)', MIXED_URLS,
    (u) => guard.checkRequest(APP, u).allow, (u) => jsUrlDecision(u).allow, (u) => jsExpUrlDecision(u).allow, (u) => cedarUrl(u)],
];

const fmt = (x) => x.toFixed(x < 10 ? 1 : 0);
const lines = [];
lines.push('| check | guard (bridge) ns | plain JS ns | plain JS + expiry ns | Cedar ns | guard / plain JS | guard / plain JS + expiry | Cedar / guard |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [label, list, g, js, jsExp, c] of rows) {
  // Interleaved rounds, best of each: the machine is shared, so the minimum is
  // the least disturbed estimate, and interleaving spreads any disturbance.
  let tg = Infinity;
  let tj = Infinity;
  let te = Infinity;
  for (let r = 0; r < 5; r++) {
    tg = Math.min(tg, time(g, list, 250));
    tj = Math.min(tj, time(js, list, 250));
    te = Math.min(te, time(jsExp, list, 250));
  }
  const tc = best(c, list, 1);
  lines.push(`| ${label} | ${fmt(tg)} | ${fmt(tj)} | ${fmt(te)} | ${fmt(tc)} | ${(tg / tj).toFixed(2)}× | ${(tg / te).toFixed(2)}× | ${(tc / tg).toFixed(0)}× |`);
}
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cpus), ${new Date().toISOString().slice(0, 10)}, ${CPU_CLOCK ? 'CPU time' : 'wall clock'}`);
const dateNs = time(() => Math.floor(Date.now() / 1000), [0], 250);
console.log(lines.join('\n'));
console.log(`\`Math.floor(Date.now() / 1000)\` alone: ${fmt(dateNs)} ns`);

// ---- before/after, same run: another copy of the bridge (for the containment
// work, the one that drove the wasm-bindgen glue) or another build of the
// .wasm (for the size work: another opt-level, wasm-opt, a cut) against this
// one. Opt-in, so no old code lives in the repository:
//   git show 00713e8:js/src/index.js > js/bench/before.js   (gitignored)
//   GUARD_BRIDGE_BEFORE=./before.js node js/bench/bench.mjs
//   GUARD_WASM_BEFORE=/tmp/old_bg.wasm node js/bench/bench.mjs
// (both together: that bridge over that .wasm, e.g. main's as it was).
if (process.env.GUARD_BRIDGE_BEFORE || process.env.GUARD_WASM_BEFORE) {
const createBefore = process.env.GUARD_BRIDGE_BEFORE
  ? (await import(new URL(process.env.GUARD_BRIDGE_BEFORE, import.meta.url))).createGuard
  : createGuard;
const before = await createBefore(process.env.GUARD_WASM_BEFORE
  ? { secret: SECRET, wasm: readFileSync(process.env.GUARD_WASM_BEFORE) }
  : { secret: SECRET });
if (before.load(signPolicy(policy, SECRET), { now }).code !== 'ok') throw new Error('load (before)');
const guardedBefore = before.wrap(baseWx, { appId: APP });
const NON_ASCII_URLS = ['https://api.shop.example/\u00fc', 'https://x.img.shop.example/caf\u00e9.png', 'https://evil.example/\u00e9'];
// IDN hosts: the module without Unicode data asks its host (decision 660).
const IDN_URLS = ['https://b\u00fccher.example/', 'https://\u4f8b\u3048.\u30c6\u30b9\u30c8/', 'https://xn--bcher-kva.example/'];
const pairs = [
  ['wrapped wx call, API check (allowed)', ALLOWED_APIS, (n) => guardedBefore[n](), (n) => guarded[n]()],
  ['wrapped wx.request (allowed)', ALLOWED_URLS, (u) => guardedBefore.request({ url: u }), (u) => guarded.request({ url: u })],
  ['guard.checkApi (mixed)', MIXED_APIS, (n) => before.checkApi(APP, n).allow, (n) => guard.checkApi(APP, n).allow],
  ['guard.checkRequest (mixed)', MIXED_URLS, (u) => before.checkRequest(APP, u).allow, (u) => guard.checkRequest(APP, u).allow],
  ['guard.checkRequest (non-ASCII)', NON_ASCII_URLS, (u) => before.checkRequest(APP, u).allow, (u) => guard.checkRequest(APP, u).allow],
  ['guard.checkRequest (IDN host)', IDN_URLS, (u) => before.checkRequest(APP, u).allow, (u) => guard.checkRequest(APP, u).allow],
  ['wrapped wx.request (IDN host, denied)', IDN_URLS, (u) => guardedBefore.request({ url: u }), (u) => guarded.request({ url: u })],
];
const cmp = ['', '| call | before ns | after ns | after / before |', '|---|---:|---:|---:|'];
for (const [label, list, b, a] of pairs) {
  let tb = Infinity;
  let ta = Infinity;
  for (let r = 0; r < 5; r++) {
    tb = Math.min(tb, time(b, list, 250));
    ta = Math.min(ta, time(a, list, 250));
  }
  cmp.push(`| ${label} | ${fmt(tb)} | ${fmt(ta)} | ${(ta / tb).toFixed(2)}× |`);
}
console.log(cmp.join('\n'));
}
if (sink < 0) console.log(sink);
