#!/usr/bin/env node
// The Node leg of the cross-runtime agreement test (tests/agreement.rs): runs
// scenarios through the JS package `@miniprogram-guard/bridge` (js/, which
// loads js/pkg/guard_wasm_bg.wasm) and prints one JSON line per step, in the
// same shape the Rust side compares:
//
//   node agree.mjs SCENARIOS.json > decisions.jsonl
//
// SCENARIOS.json: {"scenarios":[{"keys":"<SecretKey> | <configuration JSON>","steps":[
//   {"op":"load","bundle":"...","now":N} |
//   {"op":"load_keys","keyset":"...","now":N} |
//   {"op":"check","app":"...","kind":"api|request|upload|download|socket|webview|tcp|udp|media","subject":"...","now":N} |
//   {"op":"launch","app":"...","version":"...","package_sha256":"...","now":N}]}]}
// (tcp and udp subjects are `host:port`, split as guard-core's
// Check::from_subject splits them.) The configuration JSON is the one
// guard_conformance::engine_keys writes: `{"secret"?, "keys"?, "roots"?,
// "superapp_id"?, "local_prefixes"?}`; contract v3's key sets go to
// `loadKeys`, media checks to `checkMedia`.
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
  media: 'checkMedia',
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

// What the Rust side makes an engine from: a SecretKey, or a guard
// configuration JSON, in the bridge's spelling of each field. A field this
// leg does not know fails the run, so a new one cannot be dropped unseen.
const CONFIG_FIELDS = { secret: 'secret', keys: 'keys', roots: 'roots', superapp_id: 'superappId', local_prefixes: 'localPrefixes' };
function guardOptions(keys) {
  if (!keys.startsWith('{')) return { secret: keys };
  const config = JSON.parse(keys);
  const options = {};
  for (const [field, value] of Object.entries(config)) {
    if (!Object.hasOwn(CONFIG_FIELDS, field)) throw new Error(`agree.mjs: unknown configuration field \`${field}\``);
    options[CONFIG_FIELDS[field]] = value;
  }
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
    if (step.op === 'load' || step.op === 'load_keys') {
      const r = step.op === 'load' ? guard.load(step.bundle, { now: step.now }) : guard.loadKeys(step.keyset, { now: step.now });
      out.push(JSON.stringify({ load: r.code, message: r.message }));
      continue;
    } else if (step.op === 'launch') {
      d = guard.checkLaunch(step.app, { version: step.version, packageSha256: step.package_sha256 }, { now: step.now });
    } else if (step.kind === 'tcp' || step.kind === 'udp') {
      const [host, port] = splitHostPort(step.subject);
      d = guard[step.kind === 'tcp' ? 'checkTcp' : 'checkUdp'](step.app, host, port, { now: step.now });
    } else {
      if (!Object.hasOwn(METHOD, step.kind)) throw new Error(`agree.mjs: unknown check kind \`${step.kind}\``);
      d = guard[METHOD[step.kind]](step.app, step.subject, { now: step.now });
    }
    out.push(JSON.stringify({ allow: d.allow, code: d.code ?? null, message: d.message, reported: d.reported === true }));
    if (out.length >= 4096) flush();
  }
}
flush();
