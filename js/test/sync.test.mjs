// The JS sync against a real `guard serve` process (built by
// scripts/test.d/30-js.sh; its own data directory, port 0): a revocation
// reaches a running sync (through the long-poll where the server applies it);
// the server killed and restarted changes nothing enforced; an offline start
// enforces what storage holds; a tampered or truncated stored bundle is
// refused and fetched again; an older bundle served after a restore from
// backup is refused; a key rotation re-keys the guard without losing the
// floor or the policy; an expired bundle is no_policy.
// Run: node --test js/test/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sync, TEST_ONLY_NO_ROOTS } from '../src/index.js';
import { fakeWx, tick } from './fixture.mjs';
import { demoServer, memoryStorage, until, CONFIG_URL, PUBLIC, SUPERAPP, SHOP } from './sync-fixture.mjs';

const servers = [];
async function server() {
  const s = await demoServer();
  servers.push(s);
  return s;
}
after(() => Promise.all(servers.map((s) => s.close())));

/** A sync as a base library starts one; small intervals so tests need no long waits. */
const start = (s, storage, extra = {}) => sync({
  configUrl: CONFIG_URL,
  fetch: s.fetch,
  storage,
  intervalSeconds: 0.05,
  backoffSeconds: 0.02,
  maxBackoffSeconds: 0.2,
  minRoundSeconds: 0.01,
  // guard serve (this branch) serves keys.json, no key sets yet.
  [TEST_ONLY_NO_ROOTS]: true,
  ...extra,
});

const allowed = (synced, api = 'getLocation') => synced.guard.checkApi(SHOP, api).allow;

/** Whether this server holds a matching If-None-Match (P1): asked the way a client asks. */
async function serverLongPolls(s) {
  const url = `${s.server.url}/api/v1/superapps/${SUPERAPP}/bundle`;
  const etag = (await fetch(url)).headers.get('etag');
  const res = await fetch(url, { headers: { 'if-none-match': etag, prefer: 'wait=1' } });
  return res.headers.get('preference-applied') !== null;
}

test('a revocation reaches a running sync, and the wrapped call flips', async () => {
  const s = await server();
  assert.equal(await serverLongPolls(s), true, 'guard serve applies Prefer: wait (P1)');
  const storage = memoryStorage();
  // The fallback interval is an hour: only the long-poll can bring the
  // revocation in time.
  const held = s.nextRequest((q) => q.url.endsWith('/bundle') && q.headers.prefer !== undefined);
  const synced = await start(s, storage, { intervalSeconds: 3600 });
  try {
    assert.equal(allowed(synced), true, 'seeded: getLocation approved');
    const wx = fakeWx();
    const mp = synced.guard.wrap(wx, { appId: SHOP });
    mp.getLocation({ success() {} });
    assert.equal(wx.calls.length, 1);
    // The change is made while the sync's request waits at the server.
    assert.equal((await held).headers.prefer, 'wait=25');
    const before = synced.status().version;
    const changed = until(synced, (e) => e.reason === 'bundle' && e.version > before, 'the revocation', 'onChange');
    const r = await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
    assert.equal(r.status, 200);
    const e = await changed;
    assert.equal(e.version, r.body.version);
    let failed;
    mp.getLocation({ fail: (x) => { failed = x; } });
    await tick();
    assert.equal(failed.errMsg, 'getLocation:fail jsapi has no permission');
    assert.equal(wx.calls.length, 1, 'the revoked call never reached the base library');
    assert.equal(synced.status().longPoll, true);
    // Persisted: bundle, keys and floor, under the sync's keys.
    const record = JSON.parse(storage.map.get('miniprogram-guard/sync/state'));
    assert.equal(JSON.parse(record.floor).version, r.body.version);
    assert.equal(storage.map.get('miniprogram-guard/sync/floor'), record.floor);
    assert.match(record.keys, /"keys":\[/);
    // Every bundle request named what the device has; a held one asked to wait.
    const bundleRequests = s.requests.filter((q) => q.url.endsWith('/bundle'));
    assert.ok(bundleRequests.slice(1).every((q) => q.headers['if-none-match']), 'If-None-Match after the first');
  } finally {
    await synced.stop();
  }
});

test('the server killed and restarted changes nothing enforced; the sync backs off and catches up', async () => {
  const s = await server();
  const synced = await start(s, memoryStorage());
  try {
    assert.equal(allowed(synced), true);
    assert.equal(allowed(synced, 'chooseImage'), false);
    await s.kill();
    const down = await until(synced, (st) => st.failures >= 3, 'three failed rounds');
    assert.equal(down.online, false);
    assert.ok(down.lastError);
    // The last good bundle is what is enforced while the server is down.
    assert.equal(allowed(synced), true);
    assert.equal(allowed(synced, 'chooseImage'), false);
    await s.start();
    await until(synced, (st) => st.online, 'the sync back online');
    assert.equal(allowed(synced), true);
    const changed = until(synced, (e) => e.reason === 'bundle', 'the change made after the restart', 'onChange');
    const r = await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
    assert.equal((await changed).version, r.body.version);
    assert.equal(allowed(synced), false);
  } finally {
    await synced.stop();
  }
});

test('offline start: the stored bundle is enforced before any network, and synced once the network is back', async () => {
  const s = await server();
  const storage = memoryStorage();
  const first = await start(s, storage);
  const version = first.status().version;
  await first.stop();
  s.offline();
  const synced = await start(s, storage);
  try {
    const st = synced.status();
    assert.deepEqual([st.stored, st.version, st.online], ['loaded', version, false]);
    assert.equal(allowed(synced), true);
    s.offline(false);
    await until(synced, (x) => x.online, 'online');
  } finally {
    await synced.stop();
  }
});

test('a tampered stored bundle is refused (no_policy) and fetched again', async () => {
  const s = await server();
  const storage = memoryStorage();
  const first = await start(s, storage);
  const version = first.status().version;
  await first.stop();
  const record = JSON.parse(storage.map.get('miniprogram-guard/sync/state'));
  // What a tamperer would try: grant itself chooseImage in the stored
  // policy (the payload rewritten, the signature kept).
  const [head, payload, sig] = record.bundle.split('.');
  const p = JSON.parse(Buffer.from(payload, 'base64url'));
  for (const a of p.apps) if (a.app_id === SHOP) a.granted_apis = [...(a.granted_apis ?? []), 'chooseImage'];
  storage.map.set('miniprogram-guard/sync/state', JSON.stringify({ ...record, bundle: `${head}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${sig}` }));
  s.offline();
  const offline = await start(s, storage);
  try {
    const st = offline.status();
    assert.match(st.stored, /^refused: stored bundle: bad_signature/);
    assert.equal(offline.guard.checkApi(SHOP, 'chooseImage').code, 'no_policy');
    assert.equal(offline.guard.checkApi(SHOP, 'getLocation').code, 'no_policy');
    s.offline(false);
    await until(offline, (x) => x.version === version, 'the bundle fetched again');
    assert.equal(allowed(offline), true);
    assert.equal(allowed(offline, 'chooseImage'), false);
    assert.equal(JSON.parse(storage.map.get('miniprogram-guard/sync/state')).bundle, record.bundle, 'storage repaired');
  } finally {
    await offline.stop();
  }
});

test('a truncated stored record is refused; the floor kept under its own key still refuses an older bundle', async () => {
  const s = await server();
  // The backup: the server's data as it was before the revocation.
  await s.stopServer();
  const backup = s.backup();
  await s.start();
  const storage = memoryStorage();
  const first = await start(s, storage);
  const changed = until(first, (e) => e.reason === 'bundle', 'the revocation', 'onChange');
  const revoked = await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
  await changed;
  assert.equal(allowed(first), false);
  await first.stop();
  // The server restored from that backup serves an older bundle that still
  // grants getLocation; the device's record is cut in half. (Killed: a
  // graceful stop would wait for the long-poll the sync left.)
  await s.kill();
  s.restore(backup);
  await s.start();
  const text = storage.map.get('miniprogram-guard/sync/state');
  storage.map.set('miniprogram-guard/sync/state', text.slice(0, text.length >> 1));
  const synced = await start(s, storage);
  try {
    const st = await until(synced, (x) => x.rounds >= 2 && x.lastRefusal !== null, 'the older bundle refused');
    assert.match(st.stored, /^refused: not a JSON object/);
    assert.match(st.lastRefusal, /stale_version/);
    assert.equal(synced.guard.checkApi(SHOP, 'getLocation').code, 'no_policy', 'the older grant is not enforced');
    assert.equal(JSON.parse(synced.guard.floor()).version, revoked.body.version);
  } finally {
    await synced.stop();
  }
});

test('an older bundle served after a restart is refused; the newer stored one stays enforced', async () => {
  const s = await server();
  await s.stopServer();
  const backup = s.backup();
  await s.start();
  const storage = memoryStorage();
  const first = await start(s, storage);
  const changed = until(first, (e) => e.reason === 'bundle', 'the revocation', 'onChange');
  const revoked = await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
  await changed;
  await first.stop();
  await s.kill();
  s.restore(backup);
  await s.start();
  const synced = await start(s, storage);
  try {
    assert.equal(synced.status().stored, 'loaded');
    const st = await until(synced, (x) => x.lastRefusal !== null, 'the older bundle refused');
    assert.match(st.lastRefusal, /stale_version/);
    assert.equal(st.version, revoked.body.version);
    assert.equal(synced.guard.checkApi(SHOP, 'getLocation').code, 'permission_not_granted');
    // Refused once, then waited on: no refetch loop of the same old bundle.
    const fetchedAfter = s.requests.filter((q) => q.url.endsWith('/bundle')).length;
    await synced.refresh();
    await synced.refresh();
    const bundleGets = s.requests.filter((q) => q.url.endsWith('/bundle')).slice(fetchedAfter);
    assert.ok(bundleGets.every((q) => q.headers['if-none-match']), 'asked with the refused ETag');
  } finally {
    await synced.stop();
  }
});

test('a key rotation re-keys the guard in place: policy, floor and wrapped namespaces kept', async () => {
  const s = await server();
  const storage = memoryStorage();
  const synced = await start(s, storage);
  try {
    const wx = fakeWx();
    const mp = synced.guard.wrap(wx, { appId: SHOP });
    const version = synced.status().version;
    const keysChanged = until(synced, (e) => e.reason === 'keys', 'the new key set', 'onChange');
    const rotated = await s.as('boss')('POST', `/api/v1/superapps/${SUPERAPP}/signing-keys/rotate`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    await synced.refresh();
    await keysChanged;
    // Nothing lost: the same policy, the same floor, the same wrapper.
    assert.equal(allowed(synced), true);
    mp.getLocation({ success() {} });
    assert.equal(wx.calls.length, 1);
    assert.ok(JSON.parse(synced.guard.floor()).version >= version);
    assert.match(synced.current().keys, new RegExp(rotated.body.kid));
    // The new key signs from its promotion on: that bundle loads.
    const promoted = await s.as('boss')('POST', `/api/v1/superapps/${SUPERAPP}/signing-keys/promote`);
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    await until(synced, (x) => x.version === promoted.body.version, 'the bundle signed by the new key');
    const [head] = synced.current().bundle.split('.');
    assert.equal(JSON.parse(Buffer.from(head, 'base64url')).kid, rotated.body.kid);
    assert.equal(allowed(synced), true);
    mp.getLocation({ success() {} });
    assert.equal(wx.calls.length, 2);
    let failed;
    mp.chooseImage({ fail: (x) => { failed = x; } });
    await tick();
    assert.equal(failed.errMsg, 'chooseImage:fail jsapi has no permission');
    // And after a restart, offline, the stored new key set verifies the stored bundle.
    await synced.stop();
    s.offline();
    const again = await start(s, storage);
    assert.equal(again.status().stored, 'loaded');
    assert.equal(allowed(again), true);
    await again.stop();
    s.offline(false);
  } finally {
    await synced.stop();
  }
});

test('while the server is down the last good bundle stays enforced until it expires; then no_policy, also after a restart', async () => {
  const s = await server();
  const storage = memoryStorage();
  let clock = Math.floor(Date.now() / 1000);
  const synced = await start(s, storage, { now: () => clock });
  const expires = JSON.parse(Buffer.from(synced.current().bundle.split('.')[1], 'base64url')).expires_at;
  await synced.stop();
  await s.kill();
  assert.equal(synced.guard.checkApi(SHOP, 'getLocation', { now: expires - 1 }).allow, true);
  assert.equal(synced.guard.checkApi(SHOP, 'getLocation', { now: expires + 1 }).code, 'no_policy');
  clock = expires + 1;
  const later = await start(s, storage, { now: () => clock });
  try {
    assert.match(later.status().stored, /^refused: stored bundle: expired/);
    assert.equal(later.guard.checkApi(SHOP, 'getLocation', { now: clock }).code, 'no_policy');
    assert.equal(later.status().online, false);
  } finally {
    await later.stop();
  }
});

test('`app`: one app\'s bundle (app_bundle_url_template), its own storage record', async () => {
  const s = await server();
  const storage = memoryStorage();
  const synced = await start(s, storage, { app: SHOP });
  try {
    assert.equal(allowed(synced), true);
    assert.match(synced.status().etag, /^"demo\.mp_shop\.\d+"$/);
    assert.equal(JSON.parse(storage.map.get('miniprogram-guard/sync/state')).scope, 'http://guard.test/api/v1/apps/mp_shop/bundle');
    const changed = until(synced, (e) => e.reason === 'bundle', 'the revocation', 'onChange');
    await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
    await changed;
    assert.equal(allowed(synced), false);
  } finally {
    await synced.stop();
  }
  // The superapp-wide sync does not take that record for its own.
  s.offline();
  const other = await start(s, storage);
  try {
    assert.match(other.status().stored, /another superapp or scope/);
    assert.equal(other.guard.checkApi(SHOP, 'showToast').code, 'no_policy');
  } finally {
    await other.stop();
  }
});

test('bad options are refused clearly', async () => {
  const storage = memoryStorage();
  const f = () => { throw new Error('unused'); };
  await assert.rejects(sync(null), /sync needs/);
  await assert.rejects(sync({ fetch: f, storage }), /exactly one of `config` and `configUrl`/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: 'x', storage }), /`fetch` must be a function/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage: {} }), /`storage` must have/);
  await assert.rejects(sync({ config: { format: 'x' }, fetch: f, storage, [TEST_ONLY_NO_ROOTS]: true }), /`format` must be `guard-superapp-config\/1`/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage, [TEST_ONLY_NO_ROOTS]: true }), /could not be fetched .* and none is stored/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage, intervalSeconds: -1, [TEST_ONLY_NO_ROOTS]: true }), /intervalSeconds/);
  // Contract v3: no sync without roots, unless the test-only hatch says so by name.
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage }), /sync needs `roots`/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage, roots: [] }), /non-empty array/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage, roots: [{}], [TEST_ONLY_NO_ROOTS]: true }), /exclude each other/);
  await assert.rejects(sync({ configUrl: CONFIG_URL, fetch: f, storage, [TEST_ONLY_NO_ROOTS]: 'yes' }), /is true or absent/);
});

test('hostile built-ins replaced after the sync started cannot keep a revoked grant in force', async () => {
  // Attack in a child process (js/test/sync-hostile-child.mjs lists what is
  // replaced: Response.prototype.text/status, Headers.prototype.get, JSON,
  // Promise.prototype.then/constructor, timers, Date.now, Math.random,
  // fetch, String and Array methods, Reflect...).
  const s = await server();
  assert.equal(await serverLongPolls(s), true, 'guard serve applies Prefer: wait (P1)');
  const child = spawn(process.execPath, [fileURLToPath(new URL('./sync-hostile-child.mjs', import.meta.url))], {
    env: { ...process.env, GUARD_URL: s.server.url, GUARD_PUBLIC: PUBLIC, GUARD_TOKEN: s.state.tokens.boss, GUARD_INTERVAL: '3600' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const next = (prefix) => new Promise((resolve, reject) => {
    lines.on('line', (l) => { if (l.startsWith(`${prefix} `)) resolve(JSON.parse(l.slice(prefix.length + 1))); });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before ${prefix}`)));
  });
  const ready = await next('ready');
  assert.equal(ready.before, true);
  assert.ok(ready.attacked.length > 20);
  const done = next('done');
  const r = await s.as('boss')('DELETE', `/api/v1/apps/${SHOP}/grants/getLocation`);
  const out = await done;
  assert.deepEqual(out, {
    version: r.body.version,
    after: 'permission_not_granted',
    failed: 'getLocation:fail jsapi has no permission',
    reached: 0,
    bridgeCalls: [],
    lastError: null,
    stored: r.body.version,
  });
});
