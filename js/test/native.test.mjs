// The native back end (docs/protocols.md P4): createGuard({ native }) drives a
// guard that lives in another process through a synchronous call, with the
// same integer verdicts as its wasm instance, so every check, wrap, door,
// web-view, report and floor works unchanged; a back end that answers
// anything malformed (or {"error"}) denies no_policy; where the engine has no
// WebAssembly, createGuard without `native` rejects and nothing is allowed.
// Run: node --test js/test/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createGuard } from '../src/index.js';
import { NO_POLICY_REASON } from '../src/native.js';
import { nativeProcess } from './native/sync-call.mjs';
import { SECRET, NOW, policy, bundle, fakeWx, tick } from './fixture.mjs';

const BACKEND = fileURLToPath(new URL('./native/backend.mjs', import.meta.url));
const INDEX = new URL('../src/index.js', import.meta.url).href;
// By default the back end is this project's Node process over P4 (a second
// implementation of the protocol); GUARD_NATIVE=<binary> runs every test
// against the SDK's real `guard-sdk-native` (scripts/test.d/30-js.sh runs
// both), with the fixture's key given as its fixed keys.
const backends = [];
function backend() {
  const b = process.env.GUARD_NATIVE
    ? nativeProcess(process.env.GUARD_NATIVE, ['--keys-text', SECRET])
    : nativeProcess(process.execPath, [BACKEND, SECRET]);
  backends.push(b);
  return b;
}
after(() => Promise.all(backends.map((b) => b.close())));

const t = { now: NOW };
const v2 = () => policy({
  schema: 2,
  blocked_hosts: ['*.internal.example'],
  apps: [
    { ...policy().apps[0], release: { version: '1.0.0', package_sha256: 'ab'.repeat(32) } },
    { app_id: 'mp_report', kind: 'mini_program', mode: 'report', control: { server_domains: true, apis: true, webview_domains: true }, server_domains: ['https://api.report.example'] },
  ],
});

async function pair(p = v2()) {
  const wasm = await createGuard({ secret: SECRET });
  const b = backend();
  const native = await createGuard({ native: b.call });
  assert.deepEqual(wasm.load(bundle(p), t), { code: 'ok', message: '' });
  assert.deepEqual(native.load(bundle(p), t), { code: 'ok', message: '' });
  return { wasm, native, b };
}

test('out of process: every kind of check answers exactly what the wasm guard answers', async () => {
  const { wasm, native, b } = await pair();
  const cases = [
    ['checkApi', 'mp_shop', 'getLocation'], ['checkApi', 'mp_shop', 'chooseImage'], ['checkApi', 'mp_shop', 'openWallet'],
    ['checkApi', 'mp_shop', 'notAnApi'], ['checkApi', 'mp_nobody', 'showToast'], ['checkApi', 'mp_report', 'chooseImage'],
    ['checkRequest', 'mp_shop', 'https://api.shop.example/v1?q=1'], ['checkRequest', 'mp_shop', 'https://evil.example/'],
    ['checkRequest', 'mp_shop', 'http://api.shop.example/'], ['checkRequest', 'mp_shop', 'https://api.shop.example\\@evil.example/'],
    ['checkRequest', 'mp_shop', 'https://x.internal.example/'], ['checkRequest', 'mp_shop', 'not a url'],
    ['checkRequest', 'mp_report', 'https://evil.example/'],
    ['checkUpload', 'mp_shop', 'https://cdn.shop.example:8443/u'], ['checkDownload', 'mp_shop', 'https://a.img.shop.example/p.png'],
    ['checkSocket', 'mp_shop', 'wss://ws.shop.example/live'], ['checkSocket', 'mp_shop', 'ws://ws.shop.example/'],
    ['checkWebview', 'mp_shop', 'https://h5.shop.example/'], ['checkWebview', 'mp_shop', 'javascript:alert(1)'],
    ['checkTcp', 'mp_shop', 'evil.example', 22], ['checkUdp', 'mp_shop', '[::1]', 53],
    ['checkLaunch', 'mp_shop', { version: '1.0.0', packageSha256: 'ab'.repeat(32) }], ['checkLaunch', 'mp_shop', { version: '1.0.0', packageSha256: 'cd'.repeat(32) }],
    ['checkRedirect', 'mp_shop', 'request', 'https://api.shop.example/a', '/b', 1], ['checkRedirect', 'mp_shop', 'download', 'https://api.shop.example/a', 'https://evil.example/', 2],
    ['checkRedirect', 'mp_shop', 'upload', 'https://api.shop.example/a', '/b', 11],
    ['checkAttribute', 'mp_shop', 'image', 'src', 'https://tracker.example/p.gif'], ['checkAttribute', 'mp_shop', 'image', 'src', 'wxfile://tmp/1.png'],
  ];
  for (const [method, ...args] of cases) {
    const a = wasm[method](...args, t);
    const n = native[method](...args, t);
    assert.deepEqual(n, a, `${method} ${JSON.stringify(args)}`);
    assert.deepEqual(Object.keys(n), Object.keys(a), `${method}: key order`);
    assert.ok(Object.isFrozen(n));
  }
  assert.ok(b.calls() >= cases.length, 'every check crossed to the other process');
  // Loads, floors and reports go through the back end too.
  assert.equal(native.load(bundle(policy({ version: 6 })), t).code, 'stale_version');
  assert.equal(native.load('x.y.z', t).code, wasm.load('x.y.z', t).code);
  assert.deepEqual(JSON.parse(native.floor()), JSON.parse(wasm.floor()));
  const reports = JSON.parse(native.takeReports(t).body).reports;
  assert.deepEqual(reports, JSON.parse(wasm.takeReports(t).body).reports);
  assert.ok(reports.length > 5);
  native.requeueReports(t);
  assert.equal(native.takeReports(t).reports, reports.length, 'requeued batch came back');
});

test('out of process: wrap, doors, web-view and the floor work unchanged', async () => {
  const { native } = await pair();
  const wx = fakeWx();
  const mp = native.wrap(wx, { appId: 'mp_shop' });
  mp.request({ url: 'https://api.shop.example/v1/x' });
  assert.equal(wx.calls.at(-1)[1].url, 'https://api.shop.example/v1/x');
  let failed;
  const task = mp.request({ url: 'https://evil.example/steal', fail: (r) => { failed = r; } });
  await tick();
  assert.deepEqual(failed, { errMsg: 'request:fail url not in domain list:evil.example', errno: 600002 });
  assert.equal(typeof task.abort, 'function');
  assert.equal(wx.calls.filter((c) => c[0] === 'request').length, 1, 'the denied call never reached the base library');
  assert.throws(() => mp.scanIdCardSync(), /scanIdCardSync:fail/);
  mp.getLocation({ success() {} });
  assert.equal(wx.calls.at(-1)[0], 'getLocation');
  const element = { src: '' };
  const view = native.webView('mp_shop', { element });
  assert.equal(view.navigate('https://evil.example/').allow, false);
  assert.equal(element.src, '');
  assert.equal(view.navigate('https://h5.shop.example/a').allow, true);
  assert.equal(element.src, 'https://h5.shop.example/a');

  const floor = native.floor();
  const fresh = await createGuard({ native: backend().call });
  fresh.restoreFloor(floor);
  assert.equal(fresh.checkApi('mp_shop', 'getLocation', t).code, 'no_policy');
  assert.equal(fresh.load(bundle(policy({ version: 6 })), t).code, 'stale_version');
  assert.throws(() => fresh.restoreFloor('{"superapp_id":"x"'), /floor refused/);
});

test('a native back end has no API verdict memo: every wrapped call asks it, a revocation applies from the next call', async () => {
  const b = backend();
  let asked = 0;
  // Planted where a driver without its own `memo` would find one (decision 645).
  Object.prototype.memo = { epoch: () => 0, from: () => 0, until: () => Infinity, check: () => 0 };
  let native;
  try {
    native = await createGuard({ native: (request) => { asked++; return b.call(request); } });
  } finally {
    delete Object.prototype.memo;
  }
  assert.equal(native.load(bundle(), t).code, 'ok');
  const wx = fakeWx();
  const mp = native.wrap(wx, { appId: 'mp_shop' });
  mp.getStorageSync('k');
  const before = asked;
  for (let i = 0; i < 3; i++) mp.getStorageSync('k');
  assert.ok(asked >= before + 3, `${asked - before} requests for 3 calls`);
  assert.equal(wx.calls.filter((c) => c[0] === 'getStorageSync').length, 4);
  const revoked = policy({ version: 8 });
  revoked.apps[0].granted_apis = [];
  assert.equal(native.load(bundle(revoked), t).code, 'ok');
  mp.getLocation({ success() {} });
  mp.getLocation({ success() {} });
  assert.equal(wx.calls.filter((c) => c[0] === 'getLocation').length, 0);
});

// What a broken or hostile native side might answer, and what the bridge
// must make of it: a denial (no_policy), never an allow.
const MALFORMED = [
  ['throws', () => { throw new Error('bridge down'); }],
  ['answers a number', () => 42],
  ['answers not JSON', () => '{"allow":true'],
  ['answers an array', () => '[true]'],
  ['answers null', () => 'null'],
  ['answers {"error"}', () => '{"error":"no guard yet"}'],
  ['allow is a string', () => '{"allow":"true","code":null,"message":"x:ok"}'],
  ['allow with a code and no reported', () => '{"allow":true,"code":"domain_not_whitelisted","message":"x:fail"}'],
  ['an unknown code', () => '{"allow":false,"code":"all_good","message":"x:fail"}'],
  ['allowed with an errno', () => '{"allow":true,"code":null,"message":"x:ok","errno":0}'],
  ['allowed and reported without a code', () => '{"allow":true,"code":null,"message":"x:ok","reported":true}'],
  ['denied with an href', () => '{"allow":false,"code":"domain_not_whitelisted","message":"x:fail","errno":600002,"href":"https://evil.example/"}'],
  ['an errno that is not the code\'s', () => '{"allow":false,"code":"domain_not_whitelisted","message":"x:fail","errno":0}'],
  ['no message', () => '{"allow":true,"code":null}'],
  ['an href that is not a string', () => '{"allow":true,"code":null,"message":"x:ok","href":{"toString":"evil"}}'],
  ['allow planted on Object.prototype, nothing own', () => '{}'],
];

test('a back end that answers anything malformed denies no_policy, and the original is never called', async () => {
  const b = backend();
  for (const [what, answer] of MALFORMED) {
    let broken = false;
    const native = await createGuard({ native: (req) => (broken && JSON.parse(req).op !== 'tables' ? answer(req) : b.call(req)) });
    assert.equal(native.load(bundle(), t).code, 'ok');
    broken = true;
    const saved = Object.getOwnPropertyDescriptor(Object.prototype, 'allow');
    Object.defineProperty(Object.prototype, 'allow', { value: true, configurable: true, writable: true });
    try {
      const api = native.checkApi('mp_shop', 'getLocation', t);
      assert.deepEqual([api.allow, api.code, api.message], [false, 'no_policy', `getLocation:fail ${NO_POLICY_REASON}`], what);
      const req = native.checkRequest('mp_shop', 'https://api.shop.example/', t);
      assert.deepEqual([req.allow, req.code, req.href], [false, 'no_policy', null], what);
      assert.equal(native.checkTcp('mp_shop', 'printer.example', 9100, t).allow, false, what);
      assert.equal(native.checkLaunch('mp_shop', { version: '1.0.0', packageSha256: 'ab'.repeat(32) }, t).allow, false, what);
      const wx = fakeWx();
      const mp = native.wrap(wx, { appId: 'mp_shop' });
      let failed;
      mp.request({ url: 'https://api.shop.example/', fail: (r) => { failed = r; } });
      mp.getLocation({ fail() {} });
      await tick();
      assert.equal(failed.errMsg, `request:fail ${NO_POLICY_REASON}`, what);
      assert.deepEqual(wx.calls, [], `${what}: nothing reached the base library`);
    } finally {
      if (saved) Object.defineProperty(Object.prototype, 'allow', saved);
      else delete Object.prototype.allow;
    }
  }
});

test('the no_policy message spelled for a silent back end is guard-core\'s own', async () => {
  const g = await createGuard({ secret: SECRET });
  assert.equal(g.checkApi('mp_shop', 'getLocation', t).message, `getLocation:fail ${NO_POLICY_REASON}`);
});

test('tables a bridge cannot drive make createGuard reject', async () => {
  const b = backend();
  const good = JSON.parse(b.call('{"op":"tables"}'));
  const variants = [
    ['no answer', () => { throw new Error('x'); }],
    ['an error', () => '{"error":"not ready"}'],
    ['another ABI', () => JSON.stringify({ ...good, abi: 2 })],
    ['codes not starting with null', () => JSON.stringify({ ...good, codes: ['no_policy'] })],
    ['no no_policy', () => JSON.stringify({ ...good, codes: [null, 'unknown_app'], errnos: [0, 1] })],
    ['errnos of another length', () => JSON.stringify({ ...good, errnos: [0] })],
    ['no report bit', () => JSON.stringify({ ...good, report_bit: undefined })],
    ['no kinds', () => JSON.stringify({ ...good, kinds: null })],
  ];
  for (const [what, answer] of variants) {
    await assert.rejects(createGuard({ native: answer }), /native back end/, what);
  }
  await assert.rejects(createGuard({ native: 'not a function' }), TypeError);
  await assert.rejects(createGuard({ native: b.call, keys: [] }), /pass no `secret`, `keys`, `roots` or `superappId`/);
  await assert.rejects(createGuard({ native: b.call, roots: [] }), /pass no `secret`, `keys`, `roots` or `superappId`/);
});

test('the native call and the built-ins it needs are captured at creation: later replacements change nothing', async () => {
  // What a mini program would try after start-up: swap the base library's
  // bridge function, JSON.parse and JSON.stringify, plant toJSON.
  const b = backend();
  const holder = { native: b.call };
  const native = await createGuard({ native: (req) => holder.native(req) === undefined ? '' : b.call(req) });
  const direct = await createGuard({ native: b.call });
  assert.equal(direct.load(bundle(), t).code, 'ok');
  native.load(bundle(), t);
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  try {
    JSON.parse = () => ({ allow: true, code: null, message: 'x:ok', href: 'https://evil.example/' });
    JSON.stringify = () => '{"op":"check","app":"mp_open_everything","kind":"api","subject":"showToast","now":0}';
    Object.prototype.toJSON = function () { return { op: 'tables' }; }; // eslint-disable-line no-extend-native
    const d = direct.checkRequest('mp_shop', 'https://evil.example/', t);
    assert.deepEqual([d.allow, d.code, d.href], [false, 'domain_not_whitelisted', null]);
    assert.equal(direct.checkApi('mp_shop', 'chooseImage', t).code, 'permission_not_granted');
  } finally {
    JSON.parse = parse;
    JSON.stringify = stringify;
    delete Object.prototype.toJSON;
  }
});

// A realm with no WebAssembly (iOS JavaScriptCore outside a web view), in a
// child process: WebAssembly, TextEncoder, TextDecoder and fetch gone before the
// bridge is evaluated. `before` runs first (with them still there).
const SYNC_CALL = new URL('./native/sync-call.mjs', import.meta.url).href;
function noWasm(before, body) {
  const src = `
    const { nativeProcess } = await import(${JSON.stringify(SYNC_CALL)});
    const NOW = ${NOW};
    const calls = [];
    const fakeWx = () => ({ request: (o) => { calls.push('request'); }, scanIdCardSync: () => { calls.push('scanIdCardSync'); } });
    ${before}
    delete globalThis.WebAssembly; delete globalThis.TextEncoder; delete globalThis.TextDecoder;
    const { createGuard, sync } = await import(${JSON.stringify(INDEX)});
    const out = { wasm: typeof WebAssembly };
    ${body}
    console.log(JSON.stringify(out));
    process.exit(0);`;
  // No fetch either (Node's is undici, which needs WebAssembly): a bare
  // JavaScriptCore has none of them.
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', '--input-type=module', '-e', src], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  assert.equal(out.wasm, 'undefined');
  return out;
}

test('no WebAssembly: createGuard without `native` rejects clearly, and nothing is allowed', () => {
  const out = noWasm('', `
    for (const [k, o] of [['keys', { keys: [] }], ['secret', { secret: ${JSON.stringify(SECRET)} }], ['nothing', {}]]) {
      try { await createGuard(o); out[k] = 'created'; } catch (e) { out[k] = e.message; }
    }
    try { await sync({ config: {}, fetch: () => {}, storage: { get() {}, set() {} } }); out.sync = 'started'; } catch (e) { out.sync = e.message; }
  `);
  for (const k of ['keys', 'secret', 'nothing']) assert.match(out[k], /no WebAssembly: createGuard needs `native`/, k);
  assert.match(out.sync, /no WebAssembly/);
});

test('no WebAssembly: with `native` (a back end in another process), the same bridge code enforces', () => {
  const out = noWasm(`
    const backend = ${process.env.GUARD_NATIVE
    ? `nativeProcess(${JSON.stringify(process.env.GUARD_NATIVE)}, ['--keys-text', ${JSON.stringify(SECRET)}])`
    : `nativeProcess(process.execPath, [${JSON.stringify(BACKEND)}, ${JSON.stringify(SECRET)}])`};
    const signed = ${JSON.stringify(bundle())};
  `, `
    const guard = await createGuard({ native: backend.call });
    out.load = guard.load(signed, { now: NOW }).code;
    out.api = guard.checkApi('mp_shop', 'getLocation', { now: NOW }).allow;
    out.denied = guard.checkRequest('mp_shop', 'https://evil.example/', { now: NOW }).message;
    const wx = fakeWx();
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    mp.request({ url: 'https://api.shop.example/ok' });
    try { mp.scanIdCardSync(); } catch (e) { out.sync = e.errMsg; }
    out.reached = calls;
  `);
  assert.deepEqual(out, {
    wasm: 'undefined',
    load: 'ok',
    api: true,
    denied: 'request:fail url not in domain list:evil.example',
    sync: 'scanIdCardSync:fail api not in whitelist',
    reached: ['request'],
  });
});
