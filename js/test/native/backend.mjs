#!/usr/bin/env node
// An out-of-process native back end (docs/protocols.md P4) for the bridge's tests:
// a Node process that runs the wasm guard through raw.js and answers one
// request line with one answer line on stdin/stdout, as `guard-sdk-native`
// does from the SDK's synced guard. Loads whatever bundles it is sent.
//
//   node js/test/native/backend.mjs '<key set JSON>'
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { compile, open } from '../../src/raw.js';

const KINDS = ['api', 'request', 'upload', 'download', 'socket', 'webview', 'launch', 'tcp', 'udp', 'media'];
const core = await open(await compile(readFileSync(new URL('../../pkg/guard_wasm_bg.wasm', import.meta.url))));
if (core.create(process.argv[2] ?? '') !== 0) {
  process.stderr.write(`backend: bad key set: ${core.message()}\n`);
  process.exit(2);
}
const REPORT = core.reportBit();
const codes = [null];
const errnos = [0];
for (let c = 1; c < REPORT && core.codeName(c, false) !== ''; c++) { codes.push(core.codeName(c, false)); errnos.push(core.errno(c)); }
const loads = [];
for (let c = 0; c < REPORT && core.codeName(c, true) !== ''; c++) loads.push(core.codeName(c, true));
const kinds = Object.fromEntries(KINDS.map((k) => [k, core.kind(k)]));
const kindName = Object.fromEntries(KINDS.map((k) => [core.kind(k), k]));

/** guard-core's Decision (key order) plus href, from a verdict byte. */
function decision(v, href) {
  const n = v < 0 ? codes.indexOf('no_policy') : v & (REPORT - 1);
  const reported = v >= 0 && (v & REPORT) !== 0;
  const allow = n === 0 || reported;
  const out = { allow, code: n === 0 ? null : codes[n], message: core.message() };
  if (reported) out.reported = true;
  if (n !== 0) out.errno = errnos[n];
  if (href) out.href = allow ? core.href() : null;
  return out;
}

const num = (x) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
function answer(line) {
  let r;
  try { r = JSON.parse(line); } catch { return { error: 'not JSON' }; }
  if (r === null || typeof r !== 'object') return { error: 'not an object' };
  const now = num(r.now);
  switch (r.op) {
    case 'tables': return { abi: 5, codes, errnos, loads, kinds, report_bit: REPORT };
    case 'check': {
      const k = kinds[r.kind];
      if (k === undefined || typeof r.app !== 'string' || typeof r.subject !== 'string' || now === undefined) return { error: 'bad check' };
      if (r.kind === 'api') return decision(core.checkApiName(r.app, r.subject, now), false);
      if (r.kind === 'launch' || r.kind === 'tcp' || r.kind === 'udp') return { error: `kind ${r.kind} has its own op` };
      return decision(core.checkUrlByApp(k, r.app, r.subject, now), true);
    }
    case 'check_socket': {
      if ((r.kind !== 'tcp' && r.kind !== 'udp') || typeof r.app !== 'string' || typeof r.host !== 'string' || now === undefined) return { error: 'bad check_socket' };
      return decision(core.checkSocket(kinds[r.kind], r.app, r.host, Number.isInteger(r.port) ? r.port : 0, now), true);
    }
    case 'check_launch':
      if (typeof r.app !== 'string' || typeof r.version !== 'string' || typeof r.package_sha256 !== 'string' || now === undefined) return { error: 'bad check_launch' };
      return decision(core.checkLaunch(r.app, r.version, r.package_sha256, now), false);
    case 'check_redirect':
      if (!['request', 'upload', 'download'].includes(r.kind) || typeof r.app !== 'string' || typeof r.from !== 'string' || typeof r.location !== 'string' || now === undefined) return { error: 'bad check_redirect' };
      return decision(core.checkRedirect(kinds[r.kind], r.app, r.from, r.location, Number.isInteger(r.hop) ? r.hop : 0, now), true);
    case 'load': {
      if (typeof r.bundle !== 'string' || now === undefined) return { error: 'bad load' };
      const c = core.load(r.bundle, now);
      return { code: loads[c] ?? 'malformed_bundle', message: c === 0 ? '' : core.message() };
    }
    case 'take_reports': return JSON.parse(core.takeReports(now ?? 0));
    case 'requeue_reports': core.requeueReports(now ?? 0); return {};
    case 'floor': { const f = core.floor(); return f ? JSON.parse(f) : null; }
    case 'restore_floor': {
      const c = core.restoreFloor(JSON.stringify(r.floor));
      return c === 0 ? {} : { error: core.message() || `raw ABI error ${c}` };
    }
    case 'status': return null;
    default: return { error: `unknown op ${JSON.stringify(r.op)}` };
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => { process.stdout.write(`${JSON.stringify(answer(line))}\n`); });
