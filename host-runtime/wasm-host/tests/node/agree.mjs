#!/usr/bin/env node
// The Node leg of the cross-runtime agreement test (tests/agreement.rs): runs
// scenarios through the JS package `@miniprogram-guard/bridge` (js/, which
// loads js/pkg/guard_wasm_bg.wasm) and prints one JSON line per step, in the
// same shape the Rust side compares:
//
//   node agree.mjs SCENARIOS.json > decisions.jsonl
//
// SCENARIOS.json: {"scenarios":[{"secret":"...","steps":[
//   {"op":"load","bundle":"...","now":N} |
//   {"op":"check","app":"...","kind":"api|request|upload|download|socket|webview","subject":"...","now":N}]}]}
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

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let out = [];
const flush = () => {
  if (out.length) writeSync(1, out.join('\n') + '\n');
  out = [];
};
for (const scenario of input.scenarios) {
  const guard = await createGuard({ secret: scenario.secret });
  for (const step of scenario.steps) {
    if (step.op === 'load') {
      const r = guard.load(step.bundle, { now: step.now });
      out.push(JSON.stringify({ load: r.code, message: r.message }));
    } else {
      const d = guard[METHOD[step.kind]](step.app, step.subject, { now: step.now });
      out.push(JSON.stringify({ allow: d.allow, code: d.code ?? null, message: d.message, reported: d.reported === true }));
    }
    if (out.length >= 4096) flush();
  }
}
flush();
