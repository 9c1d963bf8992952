// A mini program's attack on a running sync, in a process of its own (the
// realm is ruined afterwards): once the sync runs, every built-in the sync's
// fetch, promises, timers, clock and JSON handling could reach is replaced
// by a version that records whether bridge code (js/src/) called it and
// lies where it can. Then the parent revokes a permission through the server;
// the revocation must still arrive and flip the wrapped call, and no hostile
// version may have been called by the bridge.
//
//   GUARD_URL=<server> GUARD_PUBLIC=<public url> GUARD_TOKEN=<config.json reader> GUARD_INTERVAL=<s> node sync-hostile-child.mjs
// Prints `ready <json>` once attacked, then `done <json>` after the change.
const OrigError = Error;
OrigError.stackTraceLimit = 200;
const write = process.stdout.write.bind(process.stdout);
const realFetch = globalThis.fetch;
const stringify = JSON.stringify;
const { defineProperty, getOwnPropertyDescriptor } = Object;

const { sync, TEST_ONLY_NO_ROOTS } = await import('../src/index.js');
const { fakeWx } = await import('./fixture.mjs');

const base = process.env.GUARD_URL;
const pub = process.env.GUARD_PUBLIC;
const storage = new Map();
const synced = await sync({
  configUrl: `${pub}/api/v1/superapps/demo/config.json`,
  fetch: (url, init) => realFetch(base + url.slice(pub.length), url.endsWith('/config.json') ? { ...init, headers: { authorization: `Bearer ${process.env.GUARD_TOKEN}` } } : init),
  storage: { get: async (k) => storage.get(k) ?? null, set: async (k, v) => { storage.set(k, v); } },
  intervalSeconds: Number(process.env.GUARD_INTERVAL),
  backoffSeconds: 0.02,
  maxBackoffSeconds: 0.2,
  // guard serve (this branch) serves keys.json, no key sets yet.
  [TEST_ONLY_NO_ROOTS]: true,
});
const wx = fakeWx();
const mp = synced.guard.wrap(wx, { appId: 'mp_shop' });
const before = synced.guard.checkApi('mp_shop', 'getLocation').allow;

// ---- the attack -----------------------------------------------------------

const bridgeCalls = [];
const apply = Reflect.apply;
let checking = false;
/** Whether the nearest caller with a file is bridge code. */
function calledByBridge() {
  const lines = new OrigError().stack.split('\n').slice(3);
  for (const l of lines) {
    const m = /\(?(file:\/\/[^):]+|\/[^):]+|node:[^):]+)/.exec(l);
    if (m) return /\/js\/src\//.test(m[1]);
  }
  return false;
}
function hostile(owner, key, make) {
  const d = getOwnPropertyDescriptor(owner, key);
  const orig = d.value ?? d.get;
  const fake = make(orig);
  const wrapped = function (...args) {
    // The check itself uses strings and arrays: not while checking.
    if (!checking) {
      checking = true;
      try { if (calledByBridge()) bridgeCalls.push(String(key)); } finally { checking = false; }
    }
    return apply(fake, this, args);
  };
  if (d.get) defineProperty(owner, key, { get: wrapped, configurable: true });
  else defineProperty(owner, key, { value: wrapped, writable: true, configurable: true });
}
const attacked = [];
const attack = (owner, name, key, make) => { hostile(owner, key, make); attacked.push(`${name}.${String(key)}`); };
// Lies, where a lie would keep a revoked grant in force: a body that is an
// old bundle, an ETag that matches, a 304, JSON that says nothing changed.
attack(Response.prototype, 'Response.prototype', 'text', (orig) => function () { return Reflect.apply(orig, this, []).then(() => 'stale'); });
attack(Response.prototype, 'Response.prototype', 'status', (orig) => function () { return Reflect.apply(orig, this, []) === 200 ? 304 : Reflect.apply(orig, this, []); });
attack(Response.prototype, 'Response.prototype', 'json', (orig) => orig);
attack(Headers.prototype, 'Headers.prototype', 'get', (orig) => function (n) { return n === 'etag' ? '"stale"' : Reflect.apply(orig, this, [n]); });
attack(JSON, 'JSON', 'parse', (orig) => orig);
attack(JSON, 'JSON', 'stringify', (orig) => orig);
attack(Promise.prototype, 'Promise.prototype', 'then', (orig) => orig);
attack(Promise.prototype, 'Promise.prototype', 'catch', (orig) => orig);
attack(Promise.prototype, 'Promise.prototype', 'finally', (orig) => orig);
attack(Promise, 'Promise', 'resolve', (orig) => orig);
attack(Promise, 'Promise', 'reject', (orig) => orig);
// Timers that never fire (with the Timeout shape Node's own code expects).
const never = { unref() { return never; }, ref() { return never; }, refresh() { return never; }, hasRef: () => false, [Symbol.toPrimitive]: () => 0 };
attack(globalThis, 'globalThis', 'setTimeout', () => () => never);
attack(globalThis, 'globalThis', 'clearTimeout', () => () => undefined);
attack(globalThis, 'globalThis', 'queueMicrotask', (orig) => orig);
attack(globalThis, 'globalThis', 'fetch', () => async () => new Response(null, { status: 304 }));
attack(Date, 'Date', 'now', (orig) => () => orig() - 30 * 86400 * 1000);
attack(Math, 'Math', 'random', () => () => 0.999999);
attack(AbortController.prototype, 'AbortController.prototype', 'abort', (orig) => orig);
attack(String.prototype, 'String.prototype', 'indexOf', (orig) => orig);
attack(String.prototype, 'String.prototype', 'slice', (orig) => orig);
attack(String.prototype, 'String.prototype', 'toLowerCase', (orig) => orig);
attack(String.prototype, 'String.prototype', 'trim', (orig) => orig);
attack(Array.prototype, 'Array.prototype', Symbol.iterator, (orig) => orig);
attack(Object, 'Object', 'freeze', (orig) => orig);
attack(Reflect, 'Reflect', 'apply', (orig) => orig);
attack(Reflect, 'Reflect', 'defineProperty', (orig) => orig);
// `await` of a promise looks up its constructor; the sync's never does.
const promiseCtor = Promise;
defineProperty(Promise.prototype, 'constructor', {
  get() {
    if (!checking) {
      checking = true;
      try { if (calledByBridge()) bridgeCalls.push('Promise.prototype.constructor'); } finally { checking = false; }
    }
    return promiseCtor;
  },
  configurable: true,
});
attacked.push('Promise.prototype.constructor');

write(`ready ${stringify({ before, attacked })}\n`);

const change = await new Promise((resolve) => { synced.onChange((e) => { if (e.reason === 'bundle') resolve(e); }); });
let failed = null;
mp.getLocation({ fail: (r) => { failed = r.errMsg; } });
await null;
await null;
const status = synced.status();
write(`done ${stringify({
  version: change.version,
  after: synced.guard.checkApi('mp_shop', 'getLocation').code,
  failed,
  reached: wx.calls.length,
  bridgeCalls,
  lastError: status.lastError,
  stored: JSON.parse(storage.get('miniprogram-guard/sync/floor')).version,
})}\n`);
process.exit(0);
