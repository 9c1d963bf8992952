// The bridge's side of violation reports and of the anti-rollback floor
// (raw ABI 3): reports come from the wasm guard's own log, recorded at every
// check (wrapped calls, direct checks, component attributes), with hosts but
// never paths or queries; the floor a host persisted refuses an older bundle
// after a restart. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuard } from '../src/index.js';
import { SECRET, NOW, policy, bundle, fakeWx, tick } from './fixture.mjs';

const todayPolicy = (extra = {}) => policy({ issued_at: 0, expires_at: undefined, ...extra });

async function loaded(p = policy()) {
  const guard = await createGuard({ secret: SECRET });
  assert.equal(guard.load(bundle(p), { now: NOW }).code, 'ok');
  return guard;
}

test('every denial is reported once per kind and subject, with the host only', async () => {
  const guard = await loaded();
  guard.checkApi('mp_shop', 'chooseImage', { now: NOW });
  guard.checkApi('mp_shop', 'chooseImage', { now: NOW + 1 });
  guard.checkRequest('mp_shop', 'https://evil.example/secret/path?token=abc#frag', { now: NOW + 2 });
  guard.checkRequest('mp_shop', 'https://api.shop.example/allowed', { now: NOW + 2 });
  guard.checkTcp('mp_shop', 'evil.example', 22, { now: NOW + 3 });
  guard.checkAttribute('mp_shop', 'image', 'src', 'https://tracker.example/pixel.gif?uid=42', { now: NOW + 3 });
  const taken = guard.takeReports({ now: NOW + 4 });
  assert.ok(Object.isFrozen(taken));
  assert.equal(taken.dropped, 0);
  for (const leak of ['secret', 'token', 'frag', 'pixel', 'uid', '/path']) assert.ok(!taken.body.includes(leak), `${leak} in ${taken.body}`);
  const { reports } = JSON.parse(taken.body);
  assert.equal(taken.reports, reports.length);
  assert.deepEqual(reports.map((r) => [r.kind, r.api ?? r.host, r.code, r.mode, r.count, r.policy_version]), [
    ['api', 'chooseImage', 'permission_not_granted', 'enforce', 2, 7],
    ['request', 'evil.example', 'domain_not_whitelisted', 'enforce', 1, 7],
    ['tcp', 'evil.example', 'domain_not_whitelisted', 'enforce', 1, 7],
    ['media', 'tracker.example', 'domain_not_whitelisted', 'enforce', 1, 7],
  ]);
  assert.deepEqual(reports[0], {
    app: 'mp_shop', kind: 'api', api: 'chooseImage', code: 'permission_not_granted', mode: 'enforce',
    policy_version: 7, count: 2, first_seen: NOW, last_seen: NOW + 1,
  });
  // Drained; a failed send is put back once.
  assert.equal(guard.takeReports({ now: NOW + 5 }).reports, 0);
  guard.requeueReports({ now: NOW + 5 });
  assert.equal(guard.takeReports({ now: NOW + 5 }).reports, 0, 'the empty take replaced the batch');
});

test('wrapped calls are reported, report mode says report, and a failed send is requeued', async () => {
  const guard = await loaded(todayPolicy({ mode: 'report' }));
  const mp = guard.wrap(fakeWx(), { appId: 'mp_shop' });
  mp.request({ url: 'https://evil.example/a?b=c' });
  mp.chooseImage({});
  await tick();
  const first = guard.takeReports();
  const parsed = JSON.parse(first.body).reports;
  assert.deepEqual(parsed.map((r) => [r.kind, r.api ?? r.host, r.mode]), [
    ['request', 'evil.example', 'report'],
    ['api', 'chooseImage', 'report'],
  ]);
  guard.requeueReports();
  const again = guard.takeReports();
  assert.equal(again.body, first.body);
});

test('a mini program that floods made-up names cannot grow the log past its quota', async () => {
  // What a hostile mini program would try: 5,000 distinct denied hosts to
  // exhaust memory or bloat the report the device sends; one app holds at
  // most 25 reports (decision 199; the log's 100 are guard-core's tests).
  const guard = await loaded();
  for (let i = 0; i < 5000; i++) guard.checkRequest('mp_shop', `https://h${i}.evil.example/`, { now: NOW });
  const taken = guard.takeReports({ now: NOW });
  assert.equal(taken.reports, 25);
  assert.equal(taken.dropped, 4975);
  assert.ok(taken.body.length < 32 * 1024, `${taken.body.length} bytes`);
});

test('reports survive hostile built-ins: JSON.parse and Object.prototype replaced', async () => {
  const guard = await loaded();
  guard.checkApi('mp_shop', 'chooseImage', { now: NOW });
  const realParse = JSON.parse;
  const saved = Object.getOwnPropertyDescriptor(Object.prototype, 'reports');
  try {
    JSON.parse = () => ({ reports: { length: 0 }, dropped: 0 });
    Object.defineProperty(Object.prototype, 'reports', { get() { return []; }, configurable: true });
    const taken = guard.takeReports({ now: NOW });
    assert.equal(taken.reports, 1);
    assert.ok(taken.body.includes('chooseImage'));
  } finally {
    JSON.parse = realParse;
    if (saved) Object.defineProperty(Object.prototype, 'reports', saved);
    else delete Object.prototype.reports;
  }
});

test('a persisted floor refuses an older bundle after a restart, and a tampered one is refused', async () => {
  const before = await loaded(policy({ version: 9 }));
  const floor = before.floor();
  assert.equal(typeof floor, 'string');
  assert.deepEqual(Object.keys(JSON.parse(floor)).sort(), ['digest', 'superapp_id', 'version']);

  const fresh = await createGuard({ secret: SECRET });
  assert.equal(fresh.floor(), null);
  fresh.restoreFloor(floor);
  assert.equal(fresh.checkApi('mp_shop', 'getLocation', { now: NOW }).code, 'no_policy');
  // What a server restored from a database backup would serve: older, or the
  // same version with other content.
  assert.equal(fresh.load(bundle(policy({ version: 8 })), { now: NOW }).code, 'stale_version');
  assert.equal(fresh.load(bundle(policy({ version: 9, mode: 'report' })), { now: NOW }).code, 'stale_version');
  assert.equal(fresh.load(bundle(policy({ version: 9 })), { now: NOW }).code, 'ok');
  assert.equal(fresh.checkApi('mp_shop', 'getLocation', { now: NOW }).allow, true);

  const other = await createGuard({ secret: SECRET });
  for (const bad of ['', '{', '{"superapp_id":"demo","version":1}', '{"superapp_id":"demo","version":1,"digest":"xyz"}', 42]) {
    assert.throws(() => other.restoreFloor(bad), /floor|must be a string/);
  }
  other.load(bundle(policy({ version: 3 })), { now: NOW });
  const foreign = JSON.stringify({ ...JSON.parse(floor), superapp_id: 'evil', version: 10 });
  assert.throws(() => other.restoreFloor(foreign), /floor refused: .*evil/);
  assert.equal(other.checkApi('mp_shop', 'getLocation', { now: NOW }).allow, true, 'a refused floor changes nothing');
});
