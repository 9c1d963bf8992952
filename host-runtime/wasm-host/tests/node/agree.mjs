#!/usr/bin/env node
// The Node leg of the cross-runtime agreement test (tests/agreement.rs): runs
// scenarios through the JS package `@miniprogram-guard/bridge` (js/, which
// loads js/pkg/guard_wasm_bg.wasm) and prints one JSON line per step, in the
// same shape the Rust side compares:
//
//   node agree.mjs SCENARIOS.json > decisions.jsonl
//
// SCENARIOS.json: {"scenarios":[{"keys":"<SecretKey> | {\"secret\"?,\"keys\"?:[JWK]}","steps":[
//   {"op":"load","bundle":"...","now":N} |
//   {"op":"check","app":"...","kind":"api|request|upload|download|socket|webview|tcp|udp","subject":"...","now":N} |
//   {"op":"launch","app":"...","version":"...","package_sha256":"...","now":N}]}]}
// (tcp and udp subjects are `host:port`, split as guard-core's
// Check::from_subject splits them.)
// Output lines: {"load":"<code>","message":"..."} or
//   {"allow":bool,"code":"<code>"|null,"message":"...","reported":bool}
import { readFileSync, writeSync } from 'node:fs';

const pkg = process.env.GUARD_JS_PACKAGE ?? new URL('../../../../js/src/index.js', import.meta.url).href;
const { createGuard } = await import(pkg);

const METHOD = {
  api: 'checkApi',
  request: 'checkRequest',
  upload: 'checkUpload',
  download: 'checkDownload',
  socket: 'checkSocket',
  webview: 'checkWebview',
};

// `host:port` split at the last `:`; the port is 0 (never allowed) when
// missing or not 1 to 10 decimal digits, and saturates past u32.
function splitHostPort(target) {
  const at = target.lastIndexOf(':');
  if (at < 0) return [target, 0];
  const host = target.slice(0, at);
  const port = target.slice(at + 1);
  if (port.length === 0 || port.length > 10 || !/^[0-9]+$/.test(port)) return [host, 0];
  return [host, Math.min(Number(port), 0xffffffff)];
}

// What the Rust side makes an engine from: a SecretKey, or a key-set JSON.
function guardOptions(keys) {
  if (!keys.startsWith('{')) return { secret: keys };
  const set = JSON.parse(keys);
  const options = {};
  if (set.secret !== undefined) options.secret = set.secret;
  if (set.keys !== undefined) options.keys = set.keys;
  return options;
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let out = [];
const flush = () => {
  if (out.length) writeSync(1, out.join('\n') + '\n');
  out = [];
};
for (const scenario of input.scenarios) {
  const guard = await createGuard(guardOptions(scenario.keys));
  for (const step of scenario.steps) {
    let d;
    if (step.op === 'load') {
      const r = guard.load(step.bundle, { now: step.now });
      out.push(JSON.stringify({ load: r.code, message: r.message }));
      continue;
    } else if (step.op === 'launch') {
      d = guard.checkLaunch(step.app, { version: step.version, packageSha256: step.package_sha256 }, { now: step.now });
    } else if (step.kind === 'tcp' || step.kind === 'udp') {
      const [host, port] = splitHostPort(step.subject);
      d = guard[step.kind === 'tcp' ? 'checkTcp' : 'checkUdp'](step.app, host, port, { now: step.now });
    } else {
      d = guard[METHOD[step.kind]](step.app, step.subject, { now: step.now });
    }
    out.push(JSON.stringify({ allow: d.allow, code: d.code ?? null, message: d.message, reported: d.reported === true }));
    if (out.length >= 4096) flush();
  }
}
flush();
