// A simulated mini program base library: the real `wx` functions a superapp
// would implement natively. Its network layer routes https://<host>/<path>
// to the local harness server's /net/<host>/<path> (standing in for the
// internet), so every request that leaves the page is counted there.

const route = (kind, url) => {
  const u = new URL(url);
  return `/${kind}/${u.host}${u.pathname}${u.search}`;
};

export function createBaseLibrary(log) {
  const storage = new Map();
  const finish = (o, ok, res) => {
    try { if (ok) o?.success?.(res); else o?.fail?.(res); } finally { o?.complete?.(res); }
  };
  const promiseOr = (o, run) => {
    if (o && (o.success || o.fail || o.complete)) { run().then((r) => finish(o, true, r), (e) => finish(o, false, e)); return undefined; }
    return run();
  };
  const netTask = (api, o, method) => {
    const ctl = new AbortController();
    fetch(route('net', o.url), { method, signal: ctl.signal, body: method === 'POST' ? String(o.data ?? '') : undefined })
      .then((r) => r.json().then((data) => ({ data, statusCode: r.status, errMsg: `${api}:ok` })))
      .then((res) => finish(o, true, res), (e) => finish(o, false, { errMsg: `${api}:fail ${e.message}` }));
    log(`[base library] ${api} → network: ${o.url}`);
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
