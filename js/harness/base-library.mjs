// A simulated mini program base library: the real `wx` functions a superapp
// would implement natively. request, uploadFile and downloadFile are handed
// to the base library's native side, which lives in the harness server
// process (POST /native/<kind>), as a superapp's native network code would:
// it checks the URL again with its own guard, connects, and follows
// redirects itself, checking every hop before it connects (contract v2
// §3.6). "The internet" is the server's /net/<host>/<path> (standing for
// https://<host>/<path>), which counts every request it receives.

const route = (kind, url) => {
  const u = new URL(url);
  return `/${kind}/${u.host}${u.pathname}${u.search}`;
};

/**
 * The base library one mini program runs on. `appId` is the app the native
 * side checks for; `onNative` receives the native layer's answer to each
 * network call (with every redirect hop's decision), for the harness to show.
 */
export function createBaseLibrary(log, { appId, onNative = () => {} } = {}) {
  const storage = new Map();
  const finish = (o, ok, res) => {
    try { if (ok) o?.success?.(res); else o?.fail?.(res); } finally { o?.complete?.(res); }
  };
  const promiseOr = (o, run) => {
    if (o && (o.success || o.fail || o.complete)) { run().then((r) => finish(o, true, r), (e) => finish(o, false, e)); return undefined; }
    return run();
  };
  const NATIVE_KIND = { request: 'request', uploadFile: 'upload', downloadFile: 'download' };
  const netTask = (api, o, method) => {
    const ctl = new AbortController();
    const call = { appId, url: String(o.url), method, data: method === 'POST' ? String(o.data ?? '') : undefined };
    fetch(`/native/${NATIVE_KIND[api]}`, { method: 'POST', signal: ctl.signal, body: JSON.stringify(call) })
      .then((r) => r.json())
      .then((out) => {
        onNative({ api, ...call, ...out });
        const res = out.ok ? { data: out.data, statusCode: out.statusCode, errMsg: out.errMsg } : { errMsg: out.errMsg, errno: out.errno };
        finish(o, out.ok, res);
      }, (e) => finish(o, false, { errMsg: `${api}:fail ${e.message}` }));
    log(`[base library] ${api} → native network layer: ${o.url}`);
    return { abort: () => ctl.abort(), onHeadersReceived() {}, offHeadersReceived() {}, onProgressUpdate() {}, offProgressUpdate() {} };
  };
  return {
    request: (o) => netTask('request', o, o.method === 'POST' ? 'POST' : 'GET'),
    uploadFile: (o) => netTask('uploadFile', o, 'POST'),
    downloadFile: (o) => netTask('downloadFile', o, 'GET'),
    connectSocket(o) {
      // No real socket server: the handshake is a counted GET to the same route.
      fetch(route('net', o.url.replace(/^wss:/, 'https:'))).then(() => finish(o, true, { errMsg: 'connectSocket:ok' }));
      log(`[base library] connectSocket → network: ${o.url}`);
      return { send() {}, close() {}, onOpen() {}, onClose() {}, onError() {}, onMessage() {} };
    },
    getLocation: (o) => promiseOr(o, async () => ({ latitude: 22.54, longitude: 114.06, errMsg: 'getLocation:ok' })),
    chooseImage: (o) => promiseOr(o, async () => ({ tempFilePaths: ['wxfile://tmp/1.png'], errMsg: 'chooseImage:ok' })),
    showToast: (o) => promiseOr(o, async () => ({ errMsg: 'showToast:ok' })),
    setStorageSync: (k, v) => { storage.set(k, v); },
    getStorageSync: (k) => storage.get(k) ?? '',
    getSystemInfoSync: () => ({ platform: 'harness', SDKVersion: '3.0.0' }),
    // A superapp-private API no mini program is whitelisted for.
    getSecretTokenSync: () => 'superapp-session-token',
  };
}

/** The web-view component: an iframe whose src goes through the same routing. */
export function webViewElement(iframe) {
  return {
    get src() { return iframe.dataset.src ?? ''; },
    set src(url) { iframe.dataset.src = url; iframe.src = route('web', url); },
  };
}
