// Containment attacks, shared by the Node tests (js/test/containment*.mjs,
// run in child processes because they wreck the realm) and the Chromium
// tests (js/test-browser/containment.test.mjs, served at
// /harness/containment.mjs). Plain ESM, no Node or DOM APIs.
//
// The shape of every run: `prepare()` creates a guard and wraps a fake `wx`
// (what the base library does before any mini program code); then the
// mini program's attack changes the realm; then `exercise()` makes the same
// calls every time and records what each decided and what each original
// received; restore; compare with the run that had no attack.

// Captured before anything is attacked: the recorder must not depend on
// what it measures.
const define = Object.defineProperty;
const gopd = Object.getOwnPropertyDescriptor;
const ownKeysOf = Reflect.ownKeys;
const getProto = Object.getPrototypeOf;
const apply = Reflect.apply;
const U8 = Uint8Array;
const AB = ArrayBuffer;
const ErrorCtor = Error;
const stringify = JSON.stringify;
const encoder = new TextEncoder();
const encode = TextEncoder.prototype.encode;
const setTimeoutReal = globalThis.setTimeout;
const isArray = Array.isArray;
const bufferByteLength = gopd(AB.prototype, 'byteLength').get;
// A microtask queue that reads nothing the attacks replace (Node's timers and
// queueMicrotask run JS that does): a resolved promise whose own constructor
// has the captured Promise as its species, and the captured `then`.
const promiseThen = Promise.prototype.then;
const resolvedPromise = Promise.resolve();
define(resolvedPromise, 'constructor', { value: Object.freeze({ __proto__: null, [Symbol.species]: Promise }) });
const later = (fn) => { apply(promiseThen, resolvedPromise, [fn]); };

export const APP = 'mp_shop';
export const SECRET = 'k3yK3yk3yK3yk3y1';

/** Appends to an array with defineProperty only (no Array.prototype.push). */
export function append(arr, v) {
  define(arr, arr.length, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true });
}

/** The contract-v1 policy of the attacks (same lists as js/test/fixture.mjs). */
export function attackPolicy(now) {
  return {
    schema: 1,
    superapp_id: 'demo-superapp',
    version: 7,
    issued_at: 0,
    expires_at: now + 30 * 86400,
    mode: 'enforce',
    sensitive_apis: [
      { name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' },
      { name: 'chooseImage', status: 'restricted', scope: 'all', type: 'system' },
    ],
    apps: [{
      app_id: APP,
      kind: 'mini_program',
      control: { server_domains: true, apis: true, webview_domains: true },
      server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'wss://ws.shop.example', 'https://*.img.shop.example'],
      webview_domains: ['https://h5.shop.example'],
      api_whitelist: [],
      granted_apis: ['getLocation'],
    }],
  };
}

/**
 * A base library's `wx` with the doors of the issue. Every original records
 * what it received (the options object, or a setter's value) in `calls`.
 */
export function fakeWx() {
  const calls = [];
  const rec = (name, arg) => append(calls, [name, arg]);
  class InnerAudioContext {
    constructor() { this._src = ''; }
    get src() { return this._src; }
    set src(v) { rec('InnerAudioContext.src', v); this._src = v; }
    play() { rec('InnerAudioContext.play', this._src); }
  }
  class BackgroundAudioManager {
    constructor() { this._src = ''; }
    get src() { return this._src; }
    set src(v) { rec('BackgroundAudioManager.src', v); this._src = v; }
  }
  class Image {
    set src(v) { rec('Image.src', v); }
  }
  const task = () => ({ abort() {}, close() {}, onHeadersReceived() {} });
  const wx = {
    calls,
    request(o) { rec('request', o); return task(); },
    uploadFile(o) { rec('uploadFile', o); return task(); },
    downloadFile(o) { rec('downloadFile', o); return task(); },
    connectSocket(o) { rec('connectSocket', o); return task(); },
    getLocation(o) { rec('getLocation', o); },
    chooseImage(o) { rec('chooseImage', o); },
    getStorageSync(k) { rec('getStorageSync', k); return 'v'; },
    getImageInfo(o) { rec('getImageInfo', o); },
    loadFontFace(o) { rec('loadFontFace', o); },
    previewImage(o) { rec('previewImage', o); },
    previewMedia(o) { rec('previewMedia', o); },
    playBackgroundAudio(o) { rec('playBackgroundAudio', o); },
    saveImageToPhotosAlbum(o) { rec('saveImageToPhotosAlbum', o); },
    openOfficialAccountArticle(o) { rec('openOfficialAccountArticle', o); },
    createInnerAudioContext() { return new InnerAudioContext(); },
    getBackgroundAudioManager() { return new BackgroundAudioManager(); },
    createOffscreenCanvas() { return { createImage() { return new Image(); }, width: 1 }; },
    createUDPSocket() {
      const s = {
        bind(p) { rec('UDPSocket.bind', p); return p; },
        send(o) { rec('UDPSocket.send', o); },
        connect(o) { rec('UDPSocket.connect', o); },
        close() {},
      };
      return s;
    },
    createTCPSocket() {
      const s = { connect(o) { rec('TCPSocket.connect', o); }, write(d) { rec('TCPSocket.write', d); }, close() {} };
      return s;
    },
  };
  return wx;
}

/** What the guard is created with and loads in every run. */
export async function prepare({ createGuard, bundle, wasm }) {
  const guard = await createGuard({ secret: SECRET, wasm });
  const loaded = guard.load(bundle);
  if (loaded.code !== 'ok') throw new ErrorCtor(`load: ${loaded.code} ${loaded.message}`);
  const wx = fakeWx();
  const mp = guard.wrap(wx, { appId: APP });
  const events = [];
  guard.onViolation((e) => append(events, e));
  return { guard, wx, mp, events };
}

// Own properties only: a planted Object.prototype getter must not answer for a key a decision lacks.
const ownValue = (o, k) => { const d = gopd(o, k); return d === undefined ? '(absent)' : d.value; };
const pickDecision = (d) => [ownValue(d, 'allow'), ownValue(d, 'code'), ownValue(d, 'message'), ownValue(d, 'href'), ownValue(d, 'errno'), ownValue(d, 'reported')];

/**
 * The calls every run makes, synchronously, after the attack. Records into
 * `out` (with `append` only); denied callbacks land in it later, in their
 * microtask. Nothing here may use a built-in that an attack replaces, except
 * through what the bridge itself does.
 */
export function exercise({ guard, mp }, out, bundle2) {
  const tryCall = (label, fn) => {
    try {
      const r = fn();
      append(out, [label, 'returned', typeof r]);
    } catch (e) {
      append(out, [label, 'threw', e !== null && typeof e === 'object' ? gopd(e, 'errMsg')?.value ?? 'non-guard error' : 'non-guard error']);
    }
  };
  const cb = (label) => ({
    success: () => append(out, [label, 'success']),
    fail: (r) => append(out, [label, 'fail', gopd(r, 'errMsg').value, gopd(r, 'errno').value]),
  });
  // Decisions through the guard's own API.
  append(out, ['checkRequest evil', pickDecision(guard.checkRequest(APP, 'https://evil.example/'))]);
  append(out, ['checkRequest allowed, non-ASCII', pickDecision(guard.checkRequest(APP, 'https://api.shop.example/\u00fc?q=\u00e9'))]);
  append(out, ['checkRequest IDN evil', pickDecision(guard.checkRequest(APP, 'https://\u00e9vil.example/'))]);
  append(out, ['checkRequest backslash userinfo', pickDecision(guard.checkRequest(APP, 'https://api.shop.example\\@evil.example/'))]);
  append(out, ['checkApi chooseImage', pickDecision(guard.checkApi(APP, 'chooseImage'))]);
  append(out, ['checkWebview', pickDecision(guard.checkWebview(APP, 'https://h5.shop.example/p'))]);
  // Wrapped calls.
  tryCall('request allowed', () => mp.request({ url: 'https://api.shop.example/v1', ...cb('request allowed') }));
  tryCall('request evil', () => mp.request({ url: 'https://evil.example/x', ...cb('request evil') }));
  tryCall('request non-ASCII userinfo', () => mp.request({ url: 'https://\u00e9@evil.example/', ...cb('request non-ASCII userinfo') }));
  tryCall('request non-ASCII allowed', () => mp.request({ url: 'https://api.shop.example/\u00fc', ...cb('request non-ASCII allowed') }));
  tryCall('request backslash', () => mp.request({ url: 'https://api.shop.example\\@evil.example/', ...cb('request backslash') }));
  tryCall('getLocation', () => mp.getLocation(cb('getLocation')));
  tryCall('chooseImage', () => mp.chooseImage(cb('chooseImage')));
  tryCall('getStorageSync', () => mp.getStorageSync('k'));
  tryCall('getImageInfo evil', () => mp.getImageInfo({ src: 'https://evil.example/i.png', ...cb('getImageInfo evil') }));
  tryCall('getImageInfo local', () => mp.getImageInfo({ src: 'wxfile://tmp/a.png', ...cb('getImageInfo local') }));
  tryCall('getImageInfo allowed', () => mp.getImageInfo({ src: 'https://a.img.shop.example/i.png', ...cb('getImageInfo allowed') }));
  tryCall('loadFontFace evil', () => mp.loadFontFace({ family: 'f', source: 'url("https://evil.example/f.woff2")', ...cb('loadFontFace evil') }));
  tryCall('loadFontFace allowed', () => mp.loadFontFace({ family: 'f', source: 'url("https://cdn.shop.example:8443/f.woff2")', ...cb('loadFontFace allowed') }));
  tryCall('previewImage evil', () => mp.previewImage({ urls: ['https://a.img.shop.example/1.png', 'https://evil.example/2.png'], ...cb('previewImage evil') }));
  tryCall('previewImage allowed', () => mp.previewImage({ urls: ['https://a.img.shop.example/1.png'], current: 'https://a.img.shop.example/1.png', ...cb('previewImage allowed') }));
  tryCall('playBackgroundAudio evil', () => mp.playBackgroundAudio({ dataUrl: 'https://evil.example/a.mp3', ...cb('playBackgroundAudio evil') }));
  tryCall('openOfficialAccountArticle evil', () => mp.openOfficialAccountArticle({ url: 'https://evil.example/', ...cb('openOfficialAccountArticle evil') }));
  tryCall('saveImageToPhotosAlbum local', () => mp.saveImageToPhotosAlbum({ filePath: 'wxfile://tmp/a.png', ...cb('saveImageToPhotosAlbum local') }));
  tryCall('InnerAudioContext.src', () => {
    const a = mp.createInnerAudioContext();
    a.src = 'https://evil.example/a.mp3';
    a.src = 'https://cdn.shop.example:8443/a.mp3';
    append(out, ['InnerAudioContext.src reads', a.src]);
    a.play();
    return a;
  });
  tryCall('BackgroundAudioManager.src', () => { const m = mp.getBackgroundAudioManager(); m.src = 'https://evil.example/b.mp3'; return m; });
  tryCall('createImage().src', () => { const c = mp.createOffscreenCanvas(); const i = c.createImage(); i.src = 'https://evil.example/c.png'; return i; });
  tryCall('UDPSocket.send', () => { const s = mp.createUDPSocket(); s.bind(0); s.send({ address: 'evil.example', port: 53, message: 'x' }); });
  tryCall('UDPSocket.connect', () => mp.createUDPSocket().connect({ address: 'evil.example', port: 53 }));
  tryCall('TCPSocket.connect', () => mp.createTCPSocket().connect({ address: 'evil.example', port: 80 }));
  // The base library loads a policy update while mini program code runs.
  if (bundle2 !== undefined) {
    const l = guard.load(bundle2);
    append(out, ['load update', l.code, l.message]);
    append(out, ['after update: getLocation', pickDecision(guard.checkApi(APP, 'getLocation'))]);
  }
  append(out, ['counters', guard.counters().checks]);
}

/** What the originals received, as plain data: read after the realm is restored. */
export function received(wx) {
  const rows = [];
  const calls = wx.calls;
  for (let i = 0; i < calls.length; i++) {
    const [name, arg] = calls[i];
    if (arg === null || typeof arg !== 'object') { rows.push([name, arg]); continue; }
    const fields = {};
    for (const k of ['url', 'src', 'source', 'urls', 'current', 'dataUrl', 'filePath', 'address', 'port']) {
      const d = gopd(arg, k);
      // Arrays handed to originals have no prototype (no iterator to plant): read by index.
      if (d !== undefined) fields[k] = isArray(d.value) ? Array.from({ length: d.value.length }, (_, i) => d.value[i]) : d.value;
      else if (k in arg) fields[k] = `inherited:${String(arg[k])}`;
    }
    rows.push([name, fields]);
  }
  return rows;
}

/** Events the listener got, as plain data. */
export function eventsOf(events) {
  return events.map((e) => [e.api, e.code, e.url, e.reported]);
}

// ---------------------------------------------------------------------------
// The attacks

/**
 * Symbol.species through Uint8Array.prototype.constructor (and its
 * %TypedArray% and ArrayBuffer siblings): the wasm-bindgen glue's
 * `subarray` on a non-ASCII string constructs the attacker's class with the
 * wasm instance's memory buffer. The attacker (a) keeps every buffer it is
 * handed and searches it for the SecretKey, and (b) writes bytes of its
 * choosing where the glue was about to encode the URL's non-ASCII tail, so
 * the guard checks `https://api.shop.example` while the original gets
 * `https://é@evil.example/`.
 */
export function speciesAttack() {
  const state = { buffers: [], secretFound: false, calls: 0 };
  const payload = apply(encode, encoder, ['api.shop.example']);
  function Hostile(buf, off, len) {
    state.calls++;
    if (buf instanceof AB) {
      append(state.buffers, buf);
      if (typeof off === 'number' && typeof len === 'number' && len >= payload.length && apply(bufferByteLength, buf, []) > 65536) {
        // (b): choose the bytes the guard will read, hand the glue a scratch view.
        const mem = new U8(buf);
        for (let i = 0; i < payload.length; i++) mem[off + i] = payload[i];
        return new U8(new AB(len));
      }
      return new U8(buf, off, len);
    }
    return new U8(buf);
  }
  const ctor = { [Symbol.species]: Hostile };
  const TA = getProto(U8.prototype);
  const saved = [
    [U8.prototype, 'constructor', gopd(U8.prototype, 'constructor')],
    [TA, 'constructor', gopd(TA, 'constructor')],
    [AB.prototype, 'constructor', gopd(AB.prototype, 'constructor')],
  ];
  define(U8.prototype, 'constructor', { value: ctor, writable: true, configurable: true });
  define(TA, 'constructor', { value: ctor, writable: true, configurable: true });
  define(AB.prototype, 'constructor', { value: ctor, writable: true, configurable: true });
  const secret = apply(encode, encoder, [SECRET]);
  return {
    restore() { for (const [o, k, d] of saved) define(o, k, d); },
    report() {
      // (a): what reading the captured memory gives.
      for (const buf of state.buffers) {
        const mem = new U8(buf);
        outer: for (let i = 0; i + secret.length <= mem.length; i++) {
          for (let j = 0; j < secret.length; j++) if (mem[i + j] !== secret[j]) continue outer;
          state.secretFound = true;
          break;
        }
      }
      return { speciesCalls: state.calls, buffersCaptured: state.buffers.length, secretFound: state.secretFound };
    },
  };
}

/**
 * Replaces WasmGuard.prototype methods of a wasm-bindgen glue module with
 * ones that allow everything. The bridge once imported such a glue next to
 * the shipped module (and froze it); now the shipped package has none
 * (`shippedGlue` says whether the attacker found one), so the attacker
 * takes the tools' glue, which nothing freezes and the bridge never calls.
 */
export function gluePrototypeAttack(glue, shippedGlue) {
  const replaced = [];
  const proto = glue.WasmGuard.prototype;
  for (const k of ['checkUrl', 'checkUrlByApp', 'checkApiId', 'checkApiName', 'load']) {
    try {
      proto[k] = () => 0;
      if (proto[k]() === 0) replaced.push(k);
    } catch { /* frozen */ }
  }
  try { glue.WasmGuard.apiMessage = () => 'ok'; } catch { /* frozen */ }
  return { restore() {}, report: () => ({ replaced, shippedGlue }) };
}

/**
 * Array.prototype.push made a no-op (and splice/indexOf broken) before the
 * base library registers one more listener: the old bridge kept listeners
 * in an array it pushed to, so this listener was silently dropped.
 */
export function pushAttack(p) {
  const saved = [];
  for (const k of ['push', 'splice', 'indexOf']) {
    saved[saved.length] = [k, gopd(Array.prototype, k)];
    define(Array.prototype, k, { value: function hostile() { return 0; }, writable: true, configurable: true });
  }
  const late = [];
  p.guard.onViolation((e) => append(late, e));
  return {
    restore() { for (let i = 0; i < saved.length; i++) define(Array.prototype, saved[i][0], saved[i][1]); },
    report: () => ({ lateListenerEvents: late.length }),
  };
}

/**
 * Properties planted on Object.prototype and Array.prototype: index
 * getters/setters (`0`..`3`), the field names of door specs, descriptors and
 * options (`url`, `src`, `local`, `kind`, `raw`, `args`, `options`, `get`,
 * `set`, `value`, ...). A getter answers an allowed URL or `true`; a setter
 * swallows the value. Reading one through a prototype, or assigning where a
 * property is not own, would let the planted value decide. (A door field the
 * exercise leaves out, like previewImage's `current`, is not planted: the
 * bridge reads the caller's options as the native layer would, inherited
 * properties included, and checks what it reads.)
 */
export function plantedAttack() {
  const names = ['0', '1', '2', '3', 'url', 'src', 'source', 'urls', 'address', 'port', 'local', 'kind', 'raw', 'args',
    'options', 'css', 'returns', 'set', 'methods', 'fields', 'key', 'array', 'allow', 'code', 'href', 'message', 'fail', 'complete',
    'success', 'errMsg', 'written', 'read', 'constructor', 'then'];
  const saved = [];
  for (const target of [Object.prototype, Array.prototype]) {
    for (let i = 0; i < names.length; i++) {
      const k = names[i];
      const d = gopd(target, k);
      if (d !== undefined && !d.configurable) continue;
      // Null-prototype copies: restoring must not read the planted get/set.
      append(saved, [target, k, d === undefined ? undefined : { __proto__: null, ...d }]);
      const value = k === 'local' || k === 'allow' ? true : k === 'port' ? 443 : 'https://api.shop.example/';
      define(target, k, { get: () => value, set() {}, configurable: true });
    }
  }
  // With `get` and `set` planted, every descriptor object lacking its own
  // `get`/`set` reads them from Object.prototype.
  return {
    restore() {
      for (let i = saved.length - 1; i >= 0; i--) {
        const [t, k, d] = saved[i];
        if (d === undefined) delete t[k]; else define(t, k, d);
      }
    },
    report: () => ({ planted: saved.length }),
  };
}

// ---------------------------------------------------------------------------
// The systematic attack: every method and accessor of the built-ins the
// bridge or the glue could touch, replaced by a hostile version that records
// the hit and throws (a method) or throws (an accessor). One at a time, then
// all together.

export function tamperTargets() {
  const TA = getProto(U8.prototype);
  const W = globalThis.WebAssembly;
  const arrayIter = getProto([][Symbol.iterator]());
  const stringIter = getProto(''[Symbol.iterator]());
  const list = [
    ['Uint8Array', U8], ['Uint8Array.prototype', U8.prototype], ['%TypedArray%', getProto(U8)], ['%TypedArray%.prototype', TA],
    ['ArrayBuffer', AB], ['ArrayBuffer.prototype', AB.prototype], ['DataView', DataView], ['DataView.prototype', DataView.prototype],
    ['TextEncoder.prototype', TextEncoder.prototype], ['TextDecoder.prototype', TextDecoder.prototype],
    ['String', String], ['String.prototype', String.prototype], ['%StringIteratorPrototype%', stringIter],
    ['Array', Array], ['Array.prototype', Array.prototype], ['%ArrayIteratorPrototype%', arrayIter],
    ['Object', Object], ['Object.prototype', Object.prototype], ['Function.prototype', Function.prototype],
    ['Reflect', Reflect], ['WebAssembly', W], ['WebAssembly.Module', W.Module], ['WebAssembly.Instance.prototype', W.Instance.prototype],
    ['WebAssembly.Memory.prototype', W.Memory.prototype], ['WebAssembly.Table.prototype', W.Table.prototype], ['WebAssembly.Global.prototype', W.Global.prototype],
    ['Promise', Promise], ['Promise.prototype', Promise.prototype], ['JSON', JSON], ['Date', Date], ['Date.prototype', Date.prototype],
    ['Math', Math], ['Number', Number], ['Number.prototype', Number.prototype], ['BigInt', BigInt], ['BigInt.prototype', BigInt.prototype],
    ['Symbol', Symbol], ['Symbol.prototype', Symbol.prototype], ['Error', Error], ['Error.prototype', Error.prototype],
  ];
  const targets = [];
  for (const [name, obj] of list) {
    const keys = ownKeysOf(obj);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const d = gopd(obj, key);
      if (!d.configurable) continue;
      if ('value' in d && typeof d.value !== 'function') continue;
      if (key === 'constructor' && name.endsWith('prototype')) {
        targets.push({ obj, key, d, label: `${name}.constructor (species)`, species: true });
        continue;
      }
      targets.push({ obj, key, d, label: `${name}.${typeof key === 'symbol' ? `[${key.description}]` : key}` });
    }
  }
  // The globals themselves.
  for (const g of ['Uint8Array', 'ArrayBuffer', 'DataView', 'TextEncoder', 'TextDecoder', 'String', 'Array', 'Object', 'Function', 'Reflect', 'WebAssembly', 'Promise', 'JSON', 'Date', 'Math', 'Number', 'BigInt', 'Symbol', 'Error', 'queueMicrotask']) {
    const d = gopd(globalThis, g);
    if (d !== undefined && d.configurable) targets.push({ obj: globalThis, key: g, d, label: `globalThis.${g}` });
  }
  return targets;
}

/** Installs hostile versions of `targets`; answers { restore, hits }. */
export function tamper(targets) {
  const hits = { __proto__: null };
  const hostileFor = (label) => {
    const f = function hostile() {
      hits[label] = (hits[label] ?? 0) + 1;
      throw new ErrorCtor(`hostile ${label}`);
    };
    return f;
  };
  const HostileSpecies = { [Symbol.species]: hostileFor('species') };
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if ('value' in t.d) {
      const value = t.species === true ? HostileSpecies : hostileFor(t.label);
      define(t.obj, t.key, { value, writable: true, configurable: true, enumerable: t.d.enumerable });
    } else {
      define(t.obj, t.key, { get: hostileFor(t.label), set: t.d.set === undefined ? undefined : hostileFor(t.label), configurable: true, enumerable: t.d.enumerable });
    }
  }
  return {
    hits,
    restore() { for (let i = targets.length - 1; i >= 0; i--) define(targets[i].obj, targets[i].key, targets[i].d); },
  };
}

/** Resolves after a macrotask, so queued denial callbacks have run. */
export function afterCallbacks() {
  return new Promise((resolve) => { setTimeoutReal(resolve, 0); });
}

/** One run: prepare, attack, exercise, let callbacks run, restore, observe. */
export async function run({ createGuard, bundle, bundle2, wasm, attack }) {
  const p = await prepare({ createGuard, bundle, wasm });
  const out = [];
  let a = null;
  let error = null;
  // The attack and the calls run in a microtask queued after `await done`
  // registered (an await while the realm is attacked would itself read
  // Promise.prototype.then); the restore is queued after the bridge's denied
  // callbacks, so they run attacked.
  const done = new Promise((resolve) => {
    later(() => {
      try {
        a = attack === undefined ? null : attack(p);
        exercise(p, out, bundle2);
      } catch (e) {
        error = e;
      }
      later(() => {
        if (a !== null) a.restore();
        resolve();
      });
    });
  });
  await done;
  const result = {
    error: error === null ? null : String(error && error.message),
    out: JSON.parse(stringify(out)),
    received: received(p.wx),
    events: eventsOf(p.events),
    attack: a !== null && a.report !== undefined ? a.report() : a !== null && a.hits !== undefined ? { hits: { ...a.hits } } : null,
  };
  return result;
}
