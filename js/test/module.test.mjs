// The guard module's loading (js/src/module.js): a module given by URL is
// compiled while it downloads when the server says `application/wasm`
// (decision 591), from its whole body otherwise, and a failed fetch or a
// body that is no guard module fails closed with a clear error.
// Run: node --test js/test/module.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

// Counts the bridge's streaming compiles: raw.js captures
// WebAssembly.compileStreaming when it is evaluated, so the counter goes in
// before the bridge is imported, and so before the fixture, which imports
// it too (each test file runs in its own process).
let streamed = 0;
const realStreaming = WebAssembly.compileStreaming;
WebAssembly.compileStreaming = function (response) {
  streamed += 1;
  return realStreaming.call(this, response);
};
const { createGuard } = await import('../src/index.js');
const { SECRET, NOW, policy, bundle } = await import('./fixture.mjs');

const WASM = readFileSync(new URL('../pkg/guard_wasm_bg.wasm', import.meta.url));
const server = createServer((req, res) => {
  if (req.url === '/guard.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(WASM);
  else if (req.url === '/params.wasm') res.writeHead(200, { 'content-type': 'Application/WASM; charset=binary' }).end(WASM);
  else if (req.url === '/octet.wasm') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(WASM);
  else if (req.url === '/html.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end('<!doctype html>not a module');
  else res.writeHead(404).end();
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;
after(() => server.close());

async function decides(wasm) {
  const guard = await createGuard({ secret: SECRET, wasm });
  assert.deepEqual(guard.load(bundle(policy()), { now: NOW }), { code: 'ok', message: '' });
  assert.equal(guard.checkRequest('mp_shop', 'https://evil.example/', { now: NOW }).code, 'domain_not_whitelisted');
}

test('a module given by URL as application/wasm is compiled while it downloads, and decides', async () => {
  const before = streamed;
  await decides(`${origin}/guard.wasm`);
  await decides(new URL(`${origin}/guard.wasm`));
  assert.equal(streamed - before, 2);
});

test('a module served with another Content-Type is compiled from its body, and decides', async () => {
  // compileStreaming would refuse these (a parameter, upper case, another type).
  const before = streamed;
  await decides(`${origin}/octet.wasm`);
  await decides(`${origin}/params.wasm`);
  assert.equal(streamed - before, 0);
});

test('a module that cannot be fetched, or is no module, creates no guard', async () => {
  await assert.rejects(createGuard({ secret: SECRET, wasm: `${origin}/missing.wasm` }), /cannot fetch the guard module: 404/);
  await assert.rejects(createGuard({ secret: SECRET, wasm: `${origin}/html.wasm` }), WebAssembly.CompileError);
});
