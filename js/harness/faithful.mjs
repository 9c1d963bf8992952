// The honest mini program of issue 21, parts 1 and 2, as scenarios that run
// in Node (js/test/faithful.test.mjs) and in Chromium
// (js/test-browser/faithful.test.mjs) alike: the wrapped `wx` takes
// expandos; nested namespaces, constructors, accessors and members the host
// adds later are reachable and each checked; returned objects keep their
// class behaviour; values reach the original as given, except the checked
// target; and every call style fails as the platform's own failure of that
// API does.
//
// It imports nothing, so a page can load it: each scenario gets
// `{ createGuard, assert, bundle, now }`, where `bundle` is
// `faithfulPolicy(policy())` of js/test/fixture.mjs signed with its secret
// (the runner signs it: HS256 comes from a package a page cannot import
// bare), and `assert` is node:assert/strict or the page's stand-in
// (js/harness/assert-lite.mjs).

/** The APIs the scenarios restrict or whitelist beyond the fixture's policy. */
export const RESTRICTED = ['getRecorderManager', 'onCompassChange', 'getBatteryInfoSync', 'createInnerAudioContext', 'getImageInfo', 'Cloud'];

/** The scenarios' policy: `base` (the fixture's) with RESTRICTED and the whitelisted names. */
export function faithfulPolicy(base) {
  const p = { ...base, issued_at: 0, expires_at: undefined };
  p.sensitive_apis = [...base.sensitive_apis, ...RESTRICTED.filter((n) => n !== 'createInnerAudioContext' && n !== 'getImageInfo' && n !== 'Cloud')
    .map((name) => ({ name, status: 'restricted', scope: 'all', type: 'system' }))];
  p.apps = [{ ...base.apps[0], api_whitelist: ['openWallet', 'worklet.Easing.bezier', 'cloud.Cloud', 'cloud.callFunction', 'newApi', 'brandNewFetch', 'lateNs.go'] }, ...base.apps.slice(1)];
  return p;
}

/** Resolves after queued microtasks (denied callbacks run in one). */
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A guard from the secret `env.secret` holding the scenarios' bundle. */
async function guarded(env) {
  const guard = await env.createGuard({ secret: env.secret });
  env.assert.equal(guard.load(env.bundle, { now: env.now }).code, 'ok');
  return guard;
}

/** [title, scenario] in the order the runners list them. */
export const FAITHFUL = [
  ['nested namespaces at any depth, constructors and accessors are reachable, each checked under its dotted name', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    const calls = [];
    class Cloud {
      constructor(o) { this.env = o.env; }
      callFunction(o) { calls.push(['Cloud.callFunction', this.env, o.name]); return 'called'; }
      myFunction() { calls.push(['Cloud.myFunction']); }
    }
    const bezier = (...a) => { calls.push(['bezier', a]); return 'curve'; };
    const wx = {
      worklet: { Easing: { bezier } },
      cloud: { Cloud, callFunction(o) { calls.push(['cloud.callFunction', o.name]); } },
      get env() { return { USER_DATA_PATH: 'wxfile://usr' }; },
      get getTheme() { return () => 'dark'; },
    };
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    assert.equal(mp.worklet.Easing.bezier(0.1, 0.2, 0.3, 0.4), 'curve');
    assert.deepEqual(calls.pop(), ['bezier', [0.1, 0.2, 0.3, 0.4]]);
    const cloud = new mp.cloud.Cloud({ env: 'e1' });
    assert.ok(cloud instanceof mp.cloud.Cloud);
    assert.equal(cloud.callFunction({ name: 'f' }), 'called');
    assert.deepEqual(calls.pop(), ['Cloud.callFunction', 'e1', 'f']);
    // An instance's methods are checked as the constructor's namespace's:
    // cloud.myFunction is neither in the catalogue nor whitelisted.
    await assert.rejects(cloud.myFunction(), { errMsg: 'cloud.myFunction:fail api not in whitelist' });
    assert.equal(mp.env.USER_DATA_PATH, 'wxfile://usr');
    await assert.rejects(mp.getTheme(), { errMsg: 'getTheme:fail api not in whitelist' });
    assert.equal(calls.length, 0);
  }],
  ['members the host adds after wrap are reachable and checked; an unknown one is never an open door', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    const calls = [];
    const wx = {};
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    assert.equal(mp.newApi, undefined);
    wx.newApi = (o) => { calls.push(['newApi', o]); return 7; };
    wx.getImageInfo = (o) => { calls.push(['getImageInfo', o.src]); };
    wx.brandNewFetch = (o) => { calls.push(['brandNewFetch', o.url]); };
    wx.lateNs = { go: () => 'went' };
    assert.equal('newApi' in mp, true);
    assert.equal(mp.newApi({ a: 1 }), 7);
    assert.deepEqual(Object.getOwnPropertyDescriptor(mp, 'newApi').writable, false);
    assert.equal(mp.lateNs.go(), 'went');
    const fails = [];
    // A late catalogue API gets its doors; a late unknown one its authority-naming strings checked.
    mp.getImageInfo({ src: 'https://evil.example/i.png', fail: (r) => fails.push(r.errMsg) });
    mp.brandNewFetch({ url: 'https://evil.example/', fail: (r) => fails.push(r.errMsg) });
    mp.getImageInfo({ src: 'HTTPS://A.IMG.SHOP.EXAMPLE/i.png' });
    await tick();
    assert.deepEqual(fails, ['getImageInfo:fail url not in domain list:evil.example', 'brandNewFetch:fail url not in domain list:evil.example']);
    assert.deepEqual(calls.slice(1), [['getImageInfo', 'https://a.img.shop.example/i.png']]);
    // An expando of the mini program's own is its own; assigning a guarded member fails.
    mp.xrScene = 3;
    assert.equal(mp.xrScene, 3);
    wx.later = () => 1;
    assert.throws(() => { mp.later = 2; }, TypeError);
  }],
  ['returned objects keep their class behaviour: expandos, late members, chaining, their class methods', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    class InnerAudioContext {
      constructor() { this._src = ''; this.volume = 1; }
      get src() { return this._src; }
      set src(v) { this._src = v; }
      play() { return this; }
    }
    const made = [];
    const wx = { createInnerAudioContext: () => { const a = new InnerAudioContext(); made.push(a); return a; } };
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    const a = mp.createInnerAudioContext();
    a.myTag = 'x';
    assert.equal(a.myTag, 'x');
    assert.equal(a.play(), a);
    a.volume = 0.5;
    assert.equal(made[0].volume, 0.5);
    made[0].later = () => 'late';
    assert.equal(a.later(), 'late');
    a.src = 'HTTPS://CDN.SHOP.EXAMPLE:8443/a.mp3';
    assert.equal(a.src, 'https://cdn.shop.example:8443/a.mp3');
    // Values reach the original as given: undefined stays undefined (it never plays "undefined").
    a.src = undefined;
    assert.equal(made[0]._src, undefined);
  }],
  ['values reach the original as given: no String(), no invented fields, inherited callbacks and options kept', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    const calls = [];
    const wx = {
      previewImage(o) { calls.push(['previewImage', o]); },
      getImageInfo(o) { calls.push(['getImageInfo', o]); o.success?.({ width: 1 }); },
      request(o) { calls.push(['request', o]); },
    };
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    mp.previewImage({ urls: ['wxfile://a.png'], current: 0 });
    assert.equal(calls[0][1].current, 0);
    mp.getImageInfo({});
    assert.deepEqual(Object.keys(calls[1][1]), [], 'no invented src');
    let got = null;
    const defaults = { success(res) { got = res; }, header: { 'x-app': '1' } };
    mp.getImageInfo(Object.assign(Object.create(defaults), { src: 'images/a.png' }));
    assert.deepEqual(got, { width: 1 });
    class Options { constructor() { this.url = 'https://api.shop.example/x'; } success() {} }
    mp.request(Object.assign(Object.create(defaults), { url: 'https://api.shop.example/y' }));
    mp.request(new Options());
    assert.deepEqual(calls[3][1].header, { 'x-app': '1' });
    assert.equal(typeof calls[4][1].success, 'function', 'a class method of the options is kept');
    for (const [, o] of calls) assert.equal(Object.getPrototypeOf(o), null);
  }],
  ['denials have the platform\'s shape for every call style', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    const reached = [];
    const wx = {
      getRecorderManager: () => { reached.push('getRecorderManager'); return {}; },
      onCompassChange: () => { reached.push('onCompassChange'); },
      getBatteryInfoSync: () => { reached.push('getBatteryInfoSync'); },
      chooseImage: () => { reached.push('chooseImage'); },
      connectSocket: () => { reached.push('connectSocket'); },
      onSocketError: () => {},
      onSocketClose: () => {},
      createMapContext: () => ({ addMarkers: () => { reached.push('addMarkers'); } }),
      createInnerAudioContext: () => ({ set src(v) { reached.push(['src', v]); }, onError() {} }),
      createUDPSocket: () => ({ send: () => { reached.push('udp.send'); }, onError() {} }),
    };
    const mp = guard.wrap(wx, { appId: 'mp_shop' });
    const seen = [];
    // Object-returning: an inert object of its interface, whose methods fail through their callbacks.
    const rec = mp.getRecorderManager();
    assert.equal(typeof rec.onStop, 'function');
    rec.onStop(() => seen.push('stopped'));
    rec.onError((e) => seen.push(['onError', e.errMsg]));
    rec.start({ duration: 1 });
    // Listener: nothing registered, nothing thrown.
    assert.equal(mp.onCompassChange(() => seen.push('compass')), undefined);
    // *Sync: throws the errMsg.
    assert.throws(() => mp.getBatteryInfoSync(), (e) => e instanceof Error && e.errMsg === 'getBatteryInfoSync:fail jsapi has no permission' && e.errno === 102);
    // Promise.
    await assert.rejects(mp.chooseImage(), { errMsg: 'chooseImage:fail jsapi has no permission' });
    // A socket without callbacks: onError and onClose, on the task and through wx.onSocket*.
    mp.onSocketError((e) => seen.push(['wx.onSocketError', e.errMsg]));
    mp.onSocketClose((e) => seen.push(['wx.onSocketClose', e.code]));
    const task = mp.connectSocket({ url: 'wss://evil.example/' });
    task.onError((e) => seen.push(['task.onError', e.errMsg]));
    task.onClose((e) => seen.push(['task.onClose', e.code, e.reason]));
    // A method of a returned object names the method; a setter reports to onError.
    mp.createMapContext().addMarkers({ markers: [{ iconPath: 'https://evil.example/i.png' }], fail: (r) => seen.push(['fail', r.errMsg]) });
    const audio = mp.createInnerAudioContext();
    audio.onError((e) => seen.push(['audio.onError', e.errMsg]));
    audio.src = 'https://evil.example/a.mp3';
    // A raw socket's method fails through the socket's error listener, never by throwing.
    const udp = mp.createUDPSocket();
    udp.onError((e) => seen.push(['udp.onError', e.errMsg]));
    assert.equal(udp.send({ address: 'evil.example', port: 9000, message: 'hi' }), undefined);
    await tick();
    const msg = 'url not in domain list:evil.example';
    const order = (a) => [...a].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    assert.deepEqual(order(seen), order([
      ['onError', 'getRecorderManager:fail jsapi has no permission'],
      ['task.onError', `connectSocket:fail ${msg}`],
      ['wx.onSocketError', `connectSocket:fail ${msg}`],
      ['task.onClose', 1006, `connectSocket:fail ${msg}`],
      ['wx.onSocketClose', 1006],
      ['fail', `addMarkers:fail ${msg}`],
      ['audio.onError', `InnerAudioContext.src:fail ${msg}`],
      ['udp.onError', `UDPSocket.send:fail ${msg}`],
    ]));
    // Each socket listener heard the error before the close.
    assert.ok(seen.findIndex((e) => e[0] === 'task.onError') < seen.findIndex((e) => e[0] === 'task.onClose'));
    assert.deepEqual(reached, []);
  }],
  ['a cycle under wx, a deep object graph and host functions wrap without a fuss', async (env) => {
    const { assert } = env;
    const guard = await guarded(env);
    const deep = { a: { b: { c: { d: { e: { f: { g: { fn() { return 'deep'; } } } } } } } } };
    deep.self = deep;
    // A host (native) function is no sloppy code, whatever own `caller` its engine gives it.
    const mp = guard.wrap({ deep, WebAssembly: { Module: WebAssembly.Module } }, { appId: 'mp_shop' });
    assert.equal(mp.deep.self, mp.deep);
    assert.equal(typeof mp.WebAssembly.Module, 'function');
    await assert.rejects(mp.deep.a.b.c.d.e.f.g.fn(), { errMsg: 'deep.a.b.c.d.e.f.g.fn:fail api not in whitelist' });
  }],
];
