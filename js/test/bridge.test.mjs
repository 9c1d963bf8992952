// Unit tests of the bridge: decisions, loads, wrap() and every hostile trick
// of issue 3. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createGuard } from '../src/index.js';
import { readdirSync } from 'node:fs';
import { WasmGuard, initSync } from '../pkg-tools/guard_wasm.js';

// The wasm-bindgen façade is the oracle: a tools-only module of its own
// (js/pkg-tools, decision 590) that the bridge never loads, so the test
// initialises it.
initSync({ module: readFileSync(new URL('../pkg-tools/guard_wasm_bg.wasm', import.meta.url)) });
import { SECRET, NOW, policy, bundle, fakeWx, tick } from './fixture.mjs';

async function loaded(p = policy()) {
  const guard = await createGuard({ secret: SECRET });
  assert.deepEqual(guard.load(bundle(p), { now: NOW }), { code: 'ok', message: '' });
  return guard;
}

async function wrapped(p) {
  const guard = await loaded(p);
  const wx = fakeWx();
  // The fake's own clock cannot be set, so the policy window covers today too.
  return { guard, wx, mp: guard.wrap(wx, { appId: 'mp_shop' }) };
}

const todayPolicy = (extra = {}) => policy({ issued_at: 0, expires_at: undefined, ...extra });

test('decision objects equal guard-core\'s own Decision, key for key', async () => {
  const guard = await loaded(todayPolicy({ version: 8 }));
  const oracle = new WasmGuard(SECRET);
  assert.equal(oracle.load(bundle(todayPolicy({ version: 8 })), NOW), 0);
  const subjects = [
    ['checkApi', 0, 'getLocation'], ['checkApi', 0, 'chooseImage'], ['checkApi', 0, 'nope'], ['checkApi', 0, 'request'],
    ['checkRequest', 1, 'https://api.shop.example/x'], ['checkRequest', 1, 'https://api.shop.example:8080/'],
    ['checkRequest', 1, 'https://evil.example/'], ['checkRequest', 1, 'http://api.shop.example/'],
    ['checkRequest', 1, 'https://u:p@api.shop.example/'], ['checkRequest', 1, 'not a url'],
    ['checkUpload', 2, 'https://a.img.shop.example/'], ['checkDownload', 3, 'https://cdn.shop.example:8443/f'],
    ['checkSocket', 4, 'wss://ws.shop.example/'], ['checkSocket', 4, 'https://ws.shop.example/'],
    ['checkWebview', 5, 'https://h5.shop.example/'], ['checkWebview', 5, 'javascript:alert(1)'],
  ];
  for (const app of ['mp_shop', 'mp_unknown']) {
    for (const [method, kind, subject] of subjects) {
      const { href, ...got } = guard[method](app, subject, { now: NOW });
      const want = oracle.decide(app, kind, subject, NOW);
      assert.deepEqual(got, want, `${method} ${subject}`);
      assert.deepEqual(Object.keys(got), Object.keys(want), `${method} ${subject} key order`);
      // `href` (the URL as guard-core serialised it) is set whenever the URL parsed and the check allowed, else null.
      if (kind !== 0) assert.equal(href, want.allow ? new URL(subject).href : null, `${method} ${subject} href`);
      else assert.equal(href, undefined);
    }
  }
  assert.deepEqual(guard.checkApi('mp_shop', 'getLocation', { now: NOW }), { allow: true, code: null, message: 'getLocation:ok' });
  assert.deepEqual(guard.checkRequest('mp_shop', 'https://api.shop.example:8080/', { now: NOW }), {
    allow: false, code: 'port_not_allowed', message: 'request:fail url not in domain list:api.shop.example:8080', errno: 600002, href: null,
  });
});

test('no policy denies everything; load outcomes are the contract codes', async () => {
  const guard = await createGuard({ secret: SECRET });
  assert.equal(guard.checkApi('mp_shop', 'getLocation', { now: NOW }).code, 'no_policy');
  assert.equal(guard.load('not.a.bundle!', { now: NOW }).code, 'malformed_bundle');
  const other = (await import('../bin/guard-vectors.mjs')).signPolicy(policy(), 'OtherKeyOtherKey');
  const bad = guard.load(other, { now: NOW });
  assert.equal(bad.code, 'bad_signature');
  assert.ok(bad.message.length > 0);
  assert.equal(guard.load(bundle(), { now: NOW }).code, 'ok');
  assert.equal(guard.load(bundle(policy({ version: 6 })), { now: NOW }).code, 'stale_version');
  assert.equal(guard.load(bundle(policy({ version: 9 })), { now: NOW + 365 * 86400 }).code, 'expired');
  assert.throws(() => guard.load(bundle(), { now: -1 }), TypeError);
  assert.throws(() => guard.checkApi('mp_shop', 'x', { now: NaN }), TypeError);
  await assert.rejects(createGuard({ secret: 'short' }));
  await assert.rejects(createGuard({}), TypeError);
});

test('a wrapped request hands the original a frozen null-prototype copy whose url is the href', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  const options = { url: 'HTTPS://API.SHOP.EXAMPLE/x', method: 'GET' };
  mp.request(options);
  assert.equal(wx.calls.length, 1);
  const got = wx.calls[0][1];
  assert.notEqual(got, options);
  assert.equal(Object.getPrototypeOf(got), null);
  assert.ok(Object.isFrozen(got));
  assert.deepEqual(Object.keys(got), ['url', 'method']);
  assert.equal(got.url, 'https://api.shop.example/x');
  assert.throws(() => { got.url = 'https://evil.example/'; }, TypeError);
  assert.throws(() => { got.extra = 1; }, TypeError);
  assert.equal(got.url, 'https://api.shop.example/x');
});

test('an allowed async call reaches the original with its arguments', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  // The callback reaches the original through a trampoline that calls it
  // with `this` undefined (issue 21: never the original's `this`); the
  // options are a frozen null-prototype copy (nothing inherited to plant).
  const seen = [];
  const success = function (res) { seen.push([this, res]); };
  mp.getLocation({ success, type: 'wgs84' });
  assert.equal(wx.calls.length, 1);
  assert.equal(wx.calls[0][0], 'getLocation');
  const got = wx.calls[0][1];
  assert.equal(typeof got.success, 'function');
  assert.equal(Object.getPrototypeOf(got), null);
  assert.ok(Object.isFrozen(got));
  assert.equal(got.type, 'wgs84');
  assert.deepEqual(seen, [[undefined, { latitude: 1, longitude: 2 }]]);
  got.success.call(wx, 'again');
  assert.equal(seen[1][0], undefined, 'called with the original wx as this, the callback still gets undefined');
  assert.deepEqual(await mp.getLocation(), { latitude: 1, longitude: 2 });
  assert.equal(mp.getStorageSync('k'), 'v');
  assert.equal(mp.version, '3.0.0');
});

test('a denied async call fails with errMsg and errno, completes, never reaches the original', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  const seen = [];
  const ret = mp.chooseImage({ success: () => seen.push('success'), fail: (r) => seen.push(['fail', r]), complete: (r) => seen.push(['complete', r]) });
  assert.equal(ret, undefined);
  await tick();
  const res = { errMsg: 'chooseImage:fail jsapi has no permission', errno: 102 };
  assert.deepEqual(seen, [['fail', res], ['complete', res]]);
  assert.deepEqual(wx.calls, []);
});

test('a denied promise-style call rejects with errMsg and errno', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  await assert.rejects(mp.chooseImage(), (r) => r.errMsg === 'chooseImage:fail jsapi has no permission' && r.errno === 102);
  assert.deepEqual(wx.calls, []);
});

test('a denied *Sync call throws an Error carrying errMsg', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  assert.throws(() => mp.scanIdCardSync(), (e) => e instanceof Error && e.errMsg === 'scanIdCardSync:fail api not in whitelist' && e.message === e.errMsg && e.errno === 102);
  assert.deepEqual(wx.calls, []);
});

test('request/upload/download/socket: allowed URLs pass as the checked string, denied ones never leave', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  mp.request({ url: 'https://api.shop.example/v1', method: 'POST' });
  mp.uploadFile({ url: 'https://a.img.shop.example/u' });
  mp.downloadFile({ url: 'https://cdn.shop.example:8443/f' });
  mp.connectSocket({ url: 'wss://ws.shop.example/' });
  assert.deepEqual(wx.calls.map(([n, o]) => [n, o.url]), [
    ['request', 'https://api.shop.example/v1'], ['uploadFile', 'https://a.img.shop.example/u'],
    ['downloadFile', 'https://cdn.shop.example:8443/f'], ['connectSocket', 'wss://ws.shop.example/'],
  ]);
  assert.equal(wx.calls[0][1].method, 'POST');
  const fails = [];
  const want = [];
  for (const [fn, url, msg] of [
    ['request', 'https://evil.example/', 'request:fail url not in domain list:evil.example'],
    ['uploadFile', 'http://api.shop.example/', 'uploadFile:fail url scheme not allowed'],
    ['downloadFile', 'https://api.shop.example:444/', 'downloadFile:fail url not in domain list:api.shop.example:444'],
    ['connectSocket', 'ws://ws.shop.example/', 'connectSocket:fail url scheme not allowed'],
  ]) {
    mp[fn]({ url, fail: (r) => fails.push(r.errMsg) });
    want.push(msg);
  }
  await tick();
  assert.equal(wx.calls.length, 4);
  assert.deepEqual(fails, want);
});

test('a URL getter or toString that changes its answer cannot slip past', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  let reads = 0;
  mp.request({ get url() { reads++; return reads === 1 ? 'https://api.shop.example/' : 'https://evil.example/'; } });
  assert.equal(reads, 1);
  let conversions = 0;
  const sneaky = { toString() { conversions++; return conversions === 1 ? 'https://api.shop.example/' : 'https://evil.example/'; } };
  mp.request({ url: sneaky });
  assert.equal(conversions, 1);
  assert.deepEqual(wx.calls.map(([, o]) => o.url), ['https://api.shop.example/', 'https://api.shop.example/']);
  for (const [, o] of wx.calls) assert.equal(typeof o.url, 'string');
  // And the other way round: denied first, allowed later, still denied.
  let n = 0;
  const t = mp.request({ get url() { n++; return n === 1 ? 'https://evil.example/' : 'https://api.shop.example/'; } });
  assert.equal(wx.calls.length, 2);
  assert.equal(typeof t.abort, 'function');
});

test('an options literal reaches the original with its own string keys only, each read once, a key a getter deleted left absent', async () => {
  // The copy is made key by key (decision 680): what it keeps must be what
  // Object.assign kept, without the symbols.
  const { wx, mp } = await wrapped(todayPolicy());
  let reads = 0;
  const o = {
    get url() { reads++; delete o.data; return 'https://api.shop.example/'; },
    data: 'gone before it was read',
    header: undefined,
    [Symbol('meta')]: 'never carried',
  };
  Object.defineProperty(o, 'hidden', { value: 'not enumerable', enumerable: false });
  mp.request(o);
  assert.equal(reads, 1);
  const [, got] = wx.calls[0];
  assert.deepEqual(Reflect.ownKeys(got), ['url', 'header']);
  assert.equal(got.url, 'https://api.shop.example/');
  assert.ok(Object.isFrozen(got));
});

test('a denied call returns an inert task of its own interface whose methods do nothing', async () => {
  // Issue 21: the task has the shape of the API's own (RequestTask has
  // abort, SocketTask send and close), not one generic shape.
  const { wx, mp } = await wrapped(todayPolicy());
  const shapes = {
    request: ['abort', 'onHeadersReceived', 'offHeadersReceived', 'onChunkReceived', 'offChunkReceived'],
    uploadFile: ['abort', 'onProgressUpdate', 'offProgressUpdate', 'onHeadersReceived'],
    downloadFile: ['abort', 'onProgressUpdate', 'offProgressUpdate', 'onHeadersReceived'],
    connectSocket: ['send', 'close', 'onOpen', 'onClose', 'onError', 'onMessage'],
  };
  for (const [fn, methods] of Object.entries(shapes)) {
    const task = mp[fn]({ url: 'https://evil.example/' });
    assert.equal(typeof task, 'object');
    for (const m of methods) {
      assert.equal(typeof task[m], 'function', `${fn} task.${m}`);
      assert.equal(m.startsWith('on') || m.startsWith('off') ? task[m](() => {}) : task[m](), undefined, `${fn} task.${m}()`);
    }
  }
  await tick();
  assert.deepEqual(wx.calls, []);
  // No options, no target: nothing to check, so the platform's own
  // parameter error answers (issue 21: no invented `{ url: undefined }`).
  mp.request();
  assert.deepEqual(wx.calls, [['request', undefined]]);
});

test('the wrapped namespace\'s members cannot be changed, it takes expandos, and the originals are unreachable', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  // Issue 21: extensible like the platform's (wx.xrScene = … works), every
  // guarded member non-writable and non-configurable.
  assert.ok(!Object.isFrozen(mp));
  assert.ok(Object.isExtensible(mp));
  mp.xrScene = { mine: true };
  assert.deepEqual(mp.xrScene, { mine: true });
  assert.throws(() => { 'use strict'; mp.request = () => 'mine'; }, TypeError);
  assert.throws(() => Object.defineProperty(mp, 'chooseImage', { value: wx.chooseImage }), TypeError);
  assert.throws(() => { delete mp.chooseImage; }, TypeError);
  const d = Object.getOwnPropertyDescriptor(mp, 'request');
  assert.deepEqual([d.writable, d.configurable], [false, false]);
  assert.ok(mp instanceof Object);
  assert.equal(typeof mp.hasOwnProperty, 'function');
  const originals = new Set(Object.values(wx).filter((v) => typeof v === 'function'));
  originals.add(wx.cloud.callFunction);
  const seen = new Set();
  const walk = (v, depth) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v) || depth > 4) return;
    seen.add(v);
    assert.ok(!originals.has(v), 'an original is reachable');
    assert.notEqual(v, wx);
    for (const k of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if ('value' in d) walk(d.value, depth + 1);
    }
  };
  walk(mp, 0);
  for (const f of Object.values(mp)) {
    if (typeof f !== 'function') continue;
    assert.ok(Object.isFrozen(f));
    assert.equal(f.prototype, undefined);
    assert.ok(!String(f).includes('calls.push'));
  }
  // `this` tricks: calling a wrapper on another object still calls wx's original on wx.
  mp.getStorageSync.call({ getStorageSync: () => 'x' }, 'k');
  assert.deepEqual(wx.calls, [['getStorageSync', 'k']]);
});

test('nested namespaces are wrapped under their dotted name', async () => {
  const { wx, mp } = await wrapped(todayPolicy());
  // A member the host adds to `wx.cloud` later is checked as `cloud.myFunction`:
  // not in the catalogue, not whitelisted, so denied with control.apis on.
  wx.cloud.myFunction = function myFunction(o) { wx.calls.push(['cloud.myFunction', o]); };
  await assert.rejects(mp.cloud.myFunction({ name: 'f' }), { errMsg: 'cloud.myFunction:fail api not in whitelist', errno: 102 });
  assert.deepEqual([Object.getOwnPropertyDescriptor(mp.cloud, 'callFunction').writable, Object.getOwnPropertyDescriptor(mp, 'cloud').configurable], [false, false]);
  await tick();
  assert.deepEqual(wx.calls, [], 'cloud.myFunction is not in the catalogue nor whitelisted');
  // `cloud.callFunction` is in the catalogue (decision 380): a platform API.
  mp.cloud.callFunction({ name: 'f' });
  assert.deepEqual(wx.calls.map((c) => c[0]), ['cloud.callFunction']);
});

test('tampering with Object.prototype, Function.prototype, Array.prototype and the clock does not change a decision', () => {
  // Tampering breaks Node's own test runner, so it happens in a child process
  // (test/hostile-tamper.mjs), which prints what the mini program saw.
  const out = execFileSync(process.execPath, [new URL('./hostile-tamper.mjs', import.meta.url).pathname], { encoding: 'utf8' });
  const seen = JSON.parse(out.trim().split('\n').pop());
  assert.deepEqual(seen, {
    decisionAllow: false,
    decisionCode: 'domain_not_whitelisted',
    fails: ['request:fail url not in domain list:evil.example', 'chooseImage:fail jsapi has no permission'],
    storage: 'v',
    reached: ['getStorageSync'],
    apiAfter: 'permission_not_granted',
  });
});

test('the bridge locks nothing in the realm', async () => {
  const guard = await loaded(todayPolicy());
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  for (const [obj, key] of [[String.prototype, 'charCodeAt'], [TextEncoder.prototype, 'encodeInto'], [TypedArrayProto, 'subarray'], [globalThis, 'Uint8Array'], [WebAssembly.Memory.prototype, 'buffer']]) {
    assert.equal(Object.getOwnPropertyDescriptor(obj, key).configurable, true, `${String(key)} is left as the realm had it`);
  }
  assert.equal(guard.checkRequest('mp_shop', 'https://evil.example/', { now: NOW }).code, 'domain_not_whitelisted');
});

test('the shipped module is the raw ABI alone: one host import, no wasm-bindgen exports, no glue next to it', () => {
  const shipped = new WebAssembly.Module(readFileSync(new URL('../pkg/guard_wasm_bg.wasm', import.meta.url)));
  // Its one import is the host's domain to ASCII (decision 660), no glue's.
  assert.deepEqual(WebAssembly.Module.imports(shipped), [{ module: 'guard_host', name: 'domain_to_ascii', kind: 'function' }]);
  const names = WebAssembly.Module.exports(shipped).map((e) => e.name);
  assert.deepEqual(names.filter((n) => n !== 'memory' && !n.startsWith('guard_')), [], 'only the raw ABI is exported');
  assert.ok(names.includes('guard_check_url'));
  assert.deepEqual(WebAssembly.Module.customSections(shipped, '__wasm_bindgen_unstable'), []);
  // Only the .wasm (and the build's stamp) ship in js/pkg: no glue to import or tamper with.
  assert.deepEqual(readdirSync(new URL('../pkg/', import.meta.url)).filter((f) => !f.startsWith('.')), ['guard_wasm_bg.wasm']);
  // The tools' module is the one with the façade, so the checks above can tell the two apart.
  const tools = new WebAssembly.Module(readFileSync(new URL('../pkg-tools/guard_wasm_bg.wasm', import.meta.url)));
  const toolNames = WebAssembly.Module.exports(tools).map((e) => e.name);
  assert.ok(toolNames.includes('wasmguard_decide') && toolNames.includes('wasmguard_explain'));
  assert.ok(WebAssembly.Module.imports(tools).length > 0);
  // The tools' build links the Unicode data instead of asking a host (decision 660).
  assert.ok(WebAssembly.Module.imports(tools).every((i) => i.module !== 'guard_host'));
});

test('a policy update or revocation applies from the next call', async () => {
  const { guard, wx, mp } = await wrapped(todayPolicy());
  mp.getLocation({ success() {} });
  assert.equal(wx.calls.length, 1);
  const revoked = todayPolicy({ version: 8 });
  revoked.apps[0].granted_apis = [];
  revoked.apps[0].server_domains = [];
  assert.equal(guard.load(bundle(revoked), { now: NOW }).code, 'ok');
  const fails = [];
  mp.getLocation({ fail: (r) => fails.push(r.errMsg) });
  mp.request({ url: 'https://api.shop.example/', fail: (r) => fails.push(r.errMsg) });
  await tick();
  assert.deepEqual(fails, ['getLocation:fail jsapi has no permission', 'request:fail url not in domain list:api.shop.example']);
  assert.equal(wx.calls.length, 1);
  // A rejected update changes nothing.
  assert.equal(guard.load(bundle(todayPolicy({ version: 7 })), { now: NOW }).code, 'stale_version');
  assert.equal(guard.checkApi('mp_shop', 'getLocation', { now: NOW }).code, 'permission_not_granted');
});

test('onViolation reports { appId, api, code, url }; a throwing listener changes nothing; counters count', async () => {
  const { guard, wx, mp } = await wrapped(todayPolicy());
  const events = [];
  guard.onViolation(() => { throw new Error('listener bug'); });
  const off = guard.onViolation((e) => events.push(e));
  mp.request({ url: 'https://evil.example/x' });
  mp.chooseImage({ fail() {} });
  mp.getStorageSync('k');
  assert.deepEqual(events.map((e) => ({ ...e })), [
    { appId: 'mp_shop', api: 'request', code: 'domain_not_whitelisted', url: 'https://evil.example/x', reported: false },
    { appId: 'mp_shop', api: 'chooseImage', code: 'permission_not_granted', url: undefined, reported: false },
  ]);
  off();
  mp.chooseImage({ fail() {} });
  // A listener that makes its own checks does not change the message a call gets.
  const off2 = guard.onViolation(() => guard.checkRequest('mp_shop', 'https://other.example:9/'));
  let msg;
  mp.request({ url: 'https://evil.example/y', fail: (r) => { msg = r.errMsg; } });
  await tick();
  assert.equal(msg, 'request:fail url not in domain list:evil.example');
  off2();
  assert.equal(events.length, 2);
  const c = guard.counters();
  assert.equal(c.denied, 4);
  assert.equal(c.byCode.permission_not_granted, 2);
  assert.equal(c.byCode.domain_not_whitelisted, 2);
  assert.equal(c.allowed, 1);
  assert.equal(c.checks, 5);
  assert.equal(wx.calls.length, 1);
});

test('report mode lets calls through, flags them reported and tells the listener', async () => {
  const { guard, wx, mp } = await wrapped(todayPolicy({ mode: 'report' }));
  const events = [];
  guard.onViolation((e) => events.push(e));
  mp.chooseImage({ success() {} });
  mp.request({ url: 'https://evil.example/' });
  assert.deepEqual(wx.calls.map(([n]) => n), ['chooseImage', 'request']);
  assert.deepEqual(events.map((e) => [e.api, e.code, e.reported]), [['chooseImage', 'permission_not_granted', true], ['request', 'domain_not_whitelisted', true]]);
  const d = guard.checkApi('mp_shop', 'chooseImage', { now: NOW });
  assert.equal(d.allow, true);
  assert.equal(d.reported, true);
  assert.equal(d.code, 'permission_not_granted');
  assert.equal(guard.counters().reported, 2);
});

test('the web-view helper vets the initial src and every navigation', async () => {
  const guard = await loaded(todayPolicy());
  const element = { src: 'about:blank' };
  const view = guard.webView('mp_shop', { element });
  assert.equal(view.navigate('https://evil.example/').code, 'domain_not_whitelisted');
  assert.equal(element.src, 'about:blank');
  assert.equal(view.navigate('javascript:alert(1)').code, 'insecure_scheme');
  assert.equal(element.src, 'about:blank');
  assert.equal(view.navigate('https://h5.shop.example/page').allow, true);
  assert.equal(element.src, 'https://h5.shop.example/page');
  assert.equal(view.shouldLoad('https://h5.shop.example/next'), true);
  assert.equal(view.shouldLoad('https://h5.shop.example.evil.example/'), false);
  assert.ok(Object.isFrozen(view));
});

test('guard methods are frozen and cannot be replaced', async () => {
  const guard = await loaded();
  assert.ok(Object.isFrozen(guard));
  assert.throws(() => { 'use strict'; guard.checkApi = () => ({ allow: true }); }, TypeError);
});

test('a wrapped call reads the clock after copying its arguments: a getter that outlasts the expiry cannot carry the call past it', () => {
  // clock-child.mjs moves the realm's clock (captured by the bridge) from
  // an options getter; one reading decides the API check and every door.
  const out = JSON.parse(execFileSync(process.execPath, [new URL('./clock-child.mjs', import.meta.url).pathname], { encoding: 'utf8' }).trim());
  assert.equal(out.load, 'ok');
  assert.equal(out.before, 1, 'before the expiry the call reaches the original');
  assert.equal(out.after, 1, 'the call whose copy outlasted the expiry never reaches it');
  assert.deepEqual(out.failed, ['request:fail no valid permission policy']);
});

test('wrapped calls read the real clock on every call: past expires_at they are no_policy', async () => {
  // Loaded while still valid (an explicit `now`), then used after expiry: the
  // wrapped hot path must not reuse the load's time or any cached reading.
  const real = Math.floor(Date.now() / 1000);
  const guard = await createGuard({ secret: SECRET });
  const p = policy({ issued_at: 0, expires_at: real - 10 });
  assert.equal(guard.load(bundle(p), { now: real - 100 }).code, 'ok');
  assert.equal(guard.checkApi('mp_shop', 'getLocation', { now: real - 100 }).allow, true);
  const wx = fakeWx();
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  await assert.rejects(mp.getLocation(), (r) => r.errMsg.startsWith('getLocation:fail') && r.errno === 1);
  const failed = [];
  mp.request({ url: 'https://api.shop.example/x', fail: (r) => failed.push(r.errMsg) });
  await tick();
  assert.equal(failed.length, 1);
  assert.match(failed[0], /^request:fail/);
  assert.equal(guard.checkApi('mp_shop', 'getLocation').code, 'no_policy');
  assert.deepEqual(wx.calls, []);
});

test('a wrapped call re-entered from its own options getter keeps each call\'s copy, check and count apart', async () => {
  // API calls without a door share one call record (issue 24); a getter of
  // the mini program runs while the outer call copies its options, and
  // calls the same API, one with a door, a denied one and a door API in the
  // middle of it.
  const { guard, wx } = await wrapped(todayPolicy());
  wx.showModal = function showModal(o) { wx.calls.push(['showModal', o]); };
  wx.showToast = function showToast(o) { wx.calls.push(['showToast', o]); };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const failed = [];
  let depth = 0;
  const before = guard.counters();
  mp.showModal({
    get title() {
      depth++;
      if (depth === 1) {
        mp.showModal({ title: 'inner', content: 'c' });
        mp.showToast({ title: 't', image: 'https://evil.example/i.png', fail: (r) => failed.push(r.errMsg) });
        mp.chooseImage({ fail: (r) => failed.push(r.errMsg) });
        mp.request({ url: 'https://evil.example/x', fail: (r) => failed.push(r.errMsg) });
        mp.request({ url: 'https://API.shop.example:443/in' });
      }
      return 'outer';
    },
    showCancel: false,
  });
  await tick();
  assert.deepEqual(wx.calls.map((c) => c[0]), ['showModal', 'request', 'showModal']);
  const [inner, req, outer] = wx.calls.map((c) => c[1]);
  assert.deepEqual({ ...inner }, { title: 'inner', content: 'c' });
  assert.deepEqual({ ...outer }, { title: 'outer', showCancel: false });
  assert.equal(req.url, 'https://api.shop.example/in');
  for (const o of [inner, req, outer]) {
    assert.equal(Object.getPrototypeOf(o), null);
    assert.ok(Object.isFrozen(o));
  }
  assert.equal(failed.length, 3);
  assert.match(failed[0], /^showToast:fail/);
  assert.match(failed[1], /^chooseImage:fail/);
  assert.match(failed[2], /^request:fail/);
  const after = guard.counters();
  assert.equal(after.allowed - before.allowed, 3, 'two showModal calls and one request allowed');
  assert.equal(after.denied - before.denied, 3, 'the toast\'s image, chooseImage and the evil request denied');
});

test('a wrapped request re-entered from its url getter checks each URL on its own', async () => {
  const { guard, wx } = await wrapped(todayPolicy());
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const failed = [];
  let depth = 0;
  mp.request({
    get url() {
      depth++;
      if (depth === 1) mp.request({ url: 'https://evil.example/inner', fail: (r) => failed.push(r.errMsg) });
      if (depth === 1) mp.request({ url: 'HTTPS://CDN.shop.example:8443/inner' });
      return 'https://api.shop.example:443/outer';
    },
  });
  await tick();
  assert.deepEqual(wx.calls.map((c) => c[1].url), ['https://cdn.shop.example:8443/inner', 'https://api.shop.example/outer']);
  assert.equal(failed.length, 1);
  assert.match(failed[0], /^request:fail/);
});
