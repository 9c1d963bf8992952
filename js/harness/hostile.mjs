// The hostile mini programs of issue 21, shared by the Node tests
// (js/test/hostile.test.mjs, each in a child process: some wreck the realm)
// and the Chromium tests (js/test-browser/hostile.test.mjs). Plain ESM, no
// Node or DOM APIs. Each scenario builds a guard, wraps a base library of
// its own (what the originals record is what "reached the network"), plays
// the attack, restores the realm and answers plain data for the test to
// assert; `evil.example` must never appear in what an original received.

export const SECRET = 'k3yK3yk3yK3yk3y1';
export const EVIL = 'https://evil.example/x';
const define = Object.defineProperty;
const gopd = Object.getOwnPropertyDescriptor;
const stringify = JSON.stringify;
const assign = Object.assign;
const keysOf = Object.keys;
const setTimeoutReal = setTimeout;
/** Resolves after a macrotask: queued callbacks have run. */
export const settle = () => new Promise((r) => { setTimeoutReal(r, 0); });

// The mini game APIs the scenarios use: in the guard's catalogue since
// decision 382; the apps still whitelist them (harmless), so the scenarios
// hold with a catalogue of mini program APIs only.
const GAME_APIS = ['createImage', 'createVideo', 'shareAppMessage', 'createUserInfoButton', 'createSelectorQuery'];

/** A schema-2 policy: mp_shop enforces, mp_report reports, mp_other enforces. */
export function hostilePolicy(now) {
  const app = (id, extra) => ({
    app_id: id,
    kind: 'mini_program',
    control: { server_domains: true, apis: true, webview_domains: true },
    server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'wss://ws.shop.example', 'https://*.img.shop.example'],
    webview_domains: ['https://h5.shop.example'],
    api_whitelist: GAME_APIS,
    granted_apis: [],
    ...extra,
  });
  return {
    schema: 2,
    superapp_id: 'demo-superapp',
    version: 7,
    issued_at: 0,
    expires_at: now + 30 * 86400,
    mode: 'enforce',
    sensitive_apis: [],
    apps: [app('mp_shop'), app('mp_report', { mode: 'report' }), app('mp_other')],
  };
}

async function guardWith({ createGuard, bundle }) {
  const guard = await createGuard({ secret: SECRET });
  const loaded = guard.load(bundle);
  if (loaded.code !== 'ok') throw new Error(`load: ${loaded.code} ${loaded.message}`);
  return guard;
}

/** Everything `calls` holds, as JSON text (what reached "the network"). */
const sent = (calls) => stringify(calls);

/**
 * The options copy rewritten after the check: getters for options the
 * caller omitted (`method`, `timeout`), Object.prototype.toJSON and the
 * array iterator, planted before the call, each trying to put evil.example
 * into what the original holds while it reads it.
 */
export async function optionsRewrite(base) {
  const guard = await guardWith(base);
  const calls = [];
  const wx = {
    request(o) {
      // What a base library does with the options: read the omitted ones,
      // serialise them for its native side, then read the URL to send.
      const method = o.method;
      const timeout = o.timeout;
      const payload = stringify(o);
      calls.push(['request', o.url, method === undefined ? null : method, timeout === undefined ? null : timeout, payload]);
    },
    previewImage(o) {
      const urls = [];
      try { for (const u of o.urls) urls.push(u); } catch { urls.push('(not iterable)'); }
      for (let i = 0; i < o.urls.length; i++) urls.push(o.urls[i]);
      calls.push(['previewImage', urls, stringify(o)]);
    },
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const saved = [];
  const plant = (obj, key, d) => { saved.push([obj, key, gopd(obj, key)]); define(obj, key, { configurable: true, ...d }); };
  let ran = 0;
  const rewrite = function () { ran++; try { this.url = EVIL; } catch { /* frozen */ } try { if (this.urls) this.urls[0] = EVIL; } catch { /* frozen */ } };
  plant(Object.prototype, 'method', { get() { rewrite.call(this); return 'GET'; } });
  plant(Object.prototype, 'timeout', { get() { rewrite.call(this); return 1; } });
  plant(Object.prototype, 'toJSON', { value() { rewrite.call(this); return this; }, writable: true });
  plant(Array.prototype, Symbol.iterator, { value: function* evilIterator() { ran++; yield EVIL; }, writable: true });
  try {
    mp.request({ url: 'https://api.shop.example/v1' });
    mp.previewImage({ urls: ['https://a.img.shop.example/1.png'] });
  } finally {
    // Indexing, not destructuring: the array iterator is still planted.
    for (let i = saved.length - 1; i >= 0; i--) {
      const obj = saved[i][0];
      const key = saved[i][1];
      const d = saved[i][2];
      if (d === undefined) delete obj[key]; else define(obj, key, d);
    }
  }
  return { calls: JSON.parse(sent(calls)), ran };
}

/**
 * Options with an own `__proto__` key, as JSON.parse makes them: an
 * original that merges the options (`Object.assign({ method: 'GET' }, o)`)
 * would take the key as the merged object's prototype and read an omitted
 * target from it, at the top or along a door path (a marker's icon).
 */
export async function ownProto(base) {
  const guard = await guardWith(base);
  const calls = [];
  const wx = {
    request(o) {
      const merged = assign({ method: 'GET' }, o);
      calls.push(['request', merged.url === undefined ? null : merged.url, keysOf(o)]);
    },
    createMapContext: () => ({
      addMarkers(o) {
        const marker = assign({}, o.markers[0]);
        calls.push(['addMarkers', marker.iconPath === undefined ? null : marker.iconPath, keysOf(o.markers[0])]);
      },
    }),
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  mp.request(JSON.parse(`{"__proto__": {"url": "${EVIL}"}, "data": 1}`));
  mp.request(JSON.parse(`{"url": "https://api.shop.example/v1", "__proto__": {"url": "${EVIL}"}}`));
  mp.createMapContext().addMarkers({ markers: [JSON.parse(`{"id": 1, "__proto__": {"iconPath": "${EVIL}"}}`)] });
  return { calls: JSON.parse(sent(calls)) };
}

/**
 * Values under symbol keys in the options, of a literal and of a class
 * instance, top level and nested: a function (the caller's own, never made
 * a trampoline) and a mirror of a platform object (never unwrapped). A base
 * library that reads a symbol of the options (`Symbol.toPrimitive` when it
 * coerces them, or one of its own) must meet neither: the platform's own
 * bridge serialises options as JSON, which carries no symbol key.
 */
export async function symbolKeys(base) {
  const guard = await guardWith(base);
  const own = Symbol('own');
  const seen = [];
  let ran = 0;
  const probe = () => { ran += 1; return EVIL; };
  const symbolsOf = (o) => Object.getOwnPropertySymbols(o).map((s) => s.description);
  const wx = {
    request(o) {
      const coerce = o[Symbol.toPrimitive];
      seen.push(['request', o.url, symbolsOf(o), typeof coerce === 'function' ? String(coerce.call(o, 'string')) : 'none']);
    },
    createMapContext: () => ({
      addMarkers(o) { seen.push(['addMarkers', o.markers[0].id, symbolsOf(o), symbolsOf(o.markers[0])]); },
    }),
    getStorageInfo() { return { keys: [] }; },
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const mirror = mp.getStorageInfo();
  mp.request({ url: 'https://api.shop.example/v1', [Symbol.toPrimitive]: probe, [own]: mirror });
  class Options {
    constructor() {
      this.url = 'https://api.shop.example/v2';
      this[Symbol.toPrimitive] = probe;
      this[own] = mirror;
    }
  }
  mp.request(new Options());
  mp.createMapContext().addMarkers({ markers: [{ id: 1, [Symbol.toPrimitive]: probe }], [own]: probe });
  return { seen, ran };
}

/** The doors the issue found unwatched, each handed evil.example. */
export async function unwatchedDoors(base) {
  const guard = await guardWith(base);
  const calls = [];
  const rec = (what) => (...a) => { calls.push([what, a]); };
  const errors = [];
  const image = () => ({ set src(v) { calls.push(['Image.src', v]); }, get src() { return ''; }, onerror: null });
  const canvasNode = { createImage: image, getContext: () => ({ drawImage: rec('ctx.drawImage') }), width: 1 };
  const editor = { insertImage: rec('EditorContext.insertImage'), format: rec('EditorContext.format') };
  const query = () => {
    const q = {
      select: () => ({
        fields: (o, cb) => { q.pending.push(() => cb({ node: canvasNode })); return q; },
        context: (cb) => { q.pending.push(() => cb({ context: editor })); return q; },
      }),
      exec: (cb) => { for (const f of q.pending) f(); if (cb) cb([]); },
      pending: [],
    };
    return q;
  };
  const wx = {
    createUDPSocket: () => ({ write: rec('UDPSocket.write'), send: rec('UDPSocket.send'), onError: (f) => { errors.push(f); } }),
    createLivePusherContext: () => ({ playBGM: rec('LivePusherContext.playBGM') }),
    createMapContext: () => ({ getCenterLocation: rec('MapContext.getCenterLocation'), addMarkers: rec('MapContext.addMarkers') }),
    createSelectorQuery: query,
    createImage: image,
    createVideo: (o) => { calls.push(['createVideo', o]); return { set src(v) { calls.push(['Video.src', v]); }, play() {} }; },
    shareAppMessage: rec('shareAppMessage'),
    createUserInfoButton: (o) => { calls.push(['createUserInfoButton', o]); return { set image(v) { calls.push(['UserInfoButton.image', v]); }, show() {} }; },
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const fails = [];
  const fail = (r) => { fails.push(r.errMsg); };
  const udp = mp.createUDPSocket();
  const udpErrors = [];
  udp.onError((e) => { udpErrors.push(e.errMsg); });
  udp.write({ address: 'evil.example', port: 53, message: 'x' });
  mp.createLivePusherContext().playBGM({ url: EVIL, fail });
  mp.createMapContext().getCenterLocation({ iconPath: EVIL, fail });
  mp.createMapContext().addMarkers({ markers: [{ id: 1, iconPath: EVIL }], fail });
  mp.createSelectorQuery().select('#editor').context((res) => { res.context.insertImage({ src: EVIL, fail }); }).exec();
  mp.createSelectorQuery().select('#canvas').fields({ node: true }, (res) => {
    const img = res.node.createImage();
    img.src = EVIL;
  }).exec();
  mp.createImage().src = EVIL;
  mp.createVideo({ src: EVIL, fail });
  mp.shareAppMessage({ title: 't', imageUrl: EVIL, fail });
  mp.createUserInfoButton({ type: 'image', image: EVIL, fail });
  await settle();
  const attrs = [
    ['rich-text', 'nodes', `<img src="${EVIL}">`],
    ['rich-text', 'nodes', [{ name: 'img', attrs: { src: EVIL } }]],
    ['view', 'style', `background-image: url(${EVIL})`],
    ['live-pusher', 'waiting-image', EVIL],
  ].map(([c, a, v]) => [c, a, guard.checkAttribute('mp_shop', c, a, v).code]);
  return { calls: JSON.parse(sent(calls)), fails, udpErrors, attrs };
}

/**
 * A sloppy (classic-script) base library: wrap refuses it. And a strict
 * one whose originals call a sloppy mini program callback synchronously:
 * `arguments.callee.caller` and Error.prepareStackTrace call sites give the
 * mini program no original function and no original `wx`.
 */
export async function sloppyCallers(base) {
  const guard = await guardWith(base);
  const refusals = [];
  const sloppyFn = Function('o', 'return o');
  for (const wx of [{ request: sloppyFn }, { get env() { return 1; } }, { cloud: { callFunction: sloppyFn } }]) {
    try { guard.wrap(wx, { appId: 'mp_shop' }); refusals.push('wrapped'); } catch (e) { refusals.push(e instanceof TypeError ? 'TypeError' : String(e)); }
  }
  // The getter above is a method (strict test code): wrap accepted it; a
  // sloppy one made by Function() is refused.
  const sloppyGetter = {};
  define(sloppyGetter, 'env', { get: Function('return 1'), enumerable: true, configurable: true });
  try { guard.wrap(sloppyGetter, { appId: 'mp_shop' }); refusals.push('wrapped'); } catch (e) { refusals.push(e instanceof TypeError ? 'TypeError' : String(e)); }
  const wx = {
    request(o) { o.success({ statusCode: 200 }); },
    getStorageSync(k) { return k; },
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const originals = new Set([wx.request, wx.getStorageSync]);
  const leak = {};
  // Sloppy mini program code (Function() makes it sloppy even here).
  const probe = Function('leak', `return function (res) {
    leak.caller = arguments.callee.caller;
    try { leak.callerCaller = arguments.callee.caller && arguments.callee.caller.caller; } catch (e) { leak.callerCaller = 'threw'; }
    const prev = Error.prepareStackTrace;
    Error.prepareStackTrace = function (e, sites) { return sites.map(function (s) { return [s.getThis(), s.getFunction()]; }); };
    leak.frames = new Error().stack;
    Error.prepareStackTrace = prev;
    leak.self = this;
  }`)(leak);
  mp.request({ url: 'https://api.shop.example/v1', success: probe });
  const frames = Array.isArray(leak.frames) ? leak.frames : [];
  const handed = (v) => v === wx || originals.has(v);
  return {
    refusals,
    callerIsOriginal: handed(leak.caller),
    callerCallerIsOriginal: handed(leak.callerCaller),
    framesChecked: frames.length,
    frameLeaks: frames.filter(([t, f]) => handed(t) || handed(f)).length,
    selfIsOriginal: handed(leak.self),
  };
}

/** Originals that call callbacks with their own `this` (the original wx) and hand listeners it. */
export async function callbackThis(base) {
  const guard = await guardWith(base);
  const wx = {
    request(o) { o.success.call(this, { statusCode: 200 }); o.complete.call(wx, {}); },
    onThemeChange(fn) { fn.call(wx, { theme: 'dark' }); },
    nextTick(fn) { fn.call(wx); },
  };
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const seen = [];
  const record = function () { seen.push(this === undefined ? 'undefined' : this === wx ? 'original wx' : this === mp ? 'wrapped wx' : typeof this); };
  mp.request({ url: 'https://api.shop.example/v1', success: record, complete: record });
  mp.onThemeChange(record);
  mp.nextTick(record);
  return { seen };
}

/**
 * 100 made-up denials from one app, then another app's denial and a
 * report-mode call that went through: the log keeps both, and the flood
 * takes no more than its own quota.
 */
export async function reportFlood(base) {
  const guard = await guardWith(base);
  const wx = { request() {} };
  const bad = guard.wrap(wx, { appId: 'mp_shop' });
  for (let i = 0; i < 100; i++) bad.request({ url: `https://made-up-${i}.example/` });
  guard.wrap(wx, { appId: 'mp_other' }).request({ url: 'https://other-denied.example/' });
  guard.wrap(wx, { appId: 'mp_report' }).request({ url: 'https://went-through.example/' });
  const taken = guard.takeReports();
  const reports = JSON.parse(taken.body).reports;
  return {
    dropped: taken.dropped,
    shop: reports.filter((r) => r.app === 'mp_shop').length,
    other: reports.filter((r) => r.app === 'mp_other').map((r) => [r.host, r.mode]),
    report: reports.filter((r) => r.app === 'mp_report').map((r) => [r.host, r.mode]),
  };
}

/** loadFontFace with a 32 M-character source: refused without the source being copied (run under a small heap). */
export async function hugeFontFace(base) {
  const guard = await guardWith(base);
  const calls = [];
  const mp = guard.wrap({ loadFontFace(o) { calls.push(o.source.length); } }, { appId: 'mp_shop' });
  const source = `url("https://a.img.shop.example/${'a'.repeat(32 << 20)}")`;
  let errMsg = null;
  for (let i = 0; i < 8; i++) mp.loadFontFace({ family: 'f', source, fail: (r) => { errMsg = r.errMsg; } });
  await settle();
  return { calls: calls.length, errMsg };
}

/** Every scenario, by name. */
export const SCENARIOS = { optionsRewrite, ownProto, symbolKeys, unwatchedDoors, sloppyCallers, callbackThis, reportFlood, hugeFontFace };
