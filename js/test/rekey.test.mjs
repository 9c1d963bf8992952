// The bridge's internal re-key (docs/protocols.md P6), which the sync uses on a
// key rotation: the same guard object, a new guard inside its wasm instance
// with the new keys, the floor restored, the last good bundle loaded again,
// the report log kept; every namespace it wrapped keeps working. Refused keys
// put the previous guard back exactly. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { createKeyedGuard } from '../src/index.js';
import { signPolicyEdDsa } from '../src/vectors/sign.mjs';
import { NOW, policy, fakeWx, tick } from './fixture.mjs';

const t = { now: NOW };

async function keyPair(kid) {
  const kp = await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const jwk = await webcrypto.subtle.exportKey('jwk', kp.privateKey);
  return { priv: { kty: 'OKP', crv: 'Ed25519', kid, x: jwk.x, d: jwk.d }, pub: { kty: 'OKP', crv: 'Ed25519', kid, x: jwk.x } };
}
const set = (...keys) => JSON.stringify({ keys: keys.map((k) => k.pub) });
const signed = (p, k) => signPolicyEdDsa(p, k.priv, webcrypto.subtle);

test('a rotation re-keys in place: decisions, floor, wrapped namespaces and recorded reports all kept', async () => {
  const a = await keyPair('a');
  const b = await keyPair('b');
  const { guard, rekey } = await createKeyedGuard(set(a));
  assert.equal(guard.load(await signed(policy({ version: 9 }), a), t).code, 'ok');
  const wx = fakeWx();
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  mp.getLocation({ success() {} });
  guard.checkRequest('mp_shop', 'https://evil.example/', t);
  const floor = guard.floor();

  const r = rekey(set(a, b), t);
  assert.deepEqual({ ...r }, { ok: true, message: '', load: 'ok' });
  assert.ok(Object.isFrozen(r));
  assert.equal(guard.floor(), floor);
  assert.equal(guard.checkApi('mp_shop', 'getLocation', t).allow, true);
  assert.equal(guard.checkApi('mp_shop', 'chooseImage', t).code, 'permission_not_granted');
  mp.getLocation({ success() {} });
  let failed;
  mp.chooseImage({ fail: (x) => { failed = x; } });
  await tick();
  assert.equal(failed.errMsg, 'chooseImage:fail jsapi has no permission');
  assert.deepEqual(wx.calls.map((c) => c[0]), ['getLocation', 'getLocation']);
  // The new key verifies what it signs; the floor still refuses older.
  assert.equal(guard.load(await signed(policy({ version: 8 }), b), t).code, 'stale_version');
  assert.equal(guard.load(await signed(policy({ version: 10 }), b), t).code, 'ok');
  // The report recorded before the re-key is still there.
  const reports = JSON.parse(guard.takeReports(t).body).reports;
  assert.ok(reports.some((x) => x.host === 'evil.example'), JSON.stringify(reports));
});

test('a key set the guard refuses leaves the previous one in force, exactly', async () => {
  const a = await keyPair('a');
  const { guard, rekey } = await createKeyedGuard(set(a));
  assert.equal(guard.load(await signed(policy(), a), t).code, 'ok');
  const mp = guard.wrap(fakeWx(), { appId: 'mp_shop' });
  for (const bad of ['{"keys":[]}', '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"x","x":"AAAA","d":"AAAA"}]}', 'not json']) {
    const r = rekey(bad, t);
    assert.equal(r.ok, false, bad);
    assert.match(r.message, /^invalid guard key: /);
    assert.equal(guard.checkApi('mp_shop', 'getLocation', t).allow, true, bad);
    assert.equal(guard.checkRequest('mp_shop', 'https://evil.example/', t).code, 'domain_not_whitelisted');
  }
  let ok = false;
  mp.getLocation({ success: () => { ok = true; } });
  assert.equal(ok, true);
  assert.throws(() => rekey(42, t), TypeError);
});

test('a new set that no longer verifies the bundle in force takes it out of force', async () => {
  const a = await keyPair('a');
  const b = await keyPair('b');
  const { guard, rekey } = await createKeyedGuard(set(a));
  guard.load(await signed(policy(), a), t);
  const r = rekey(set(b), t);
  assert.deepEqual([r.ok, r.load], [true, 'unknown_key']);
  assert.equal(guard.checkApi('mp_shop', 'getLocation', t).code, 'no_policy');
  assert.equal(guard.load(await signed(policy({ version: 8 }), b), t).code, 'ok');
});

test('a guard with no keys yet denies everything until its first key set', async () => {
  const a = await keyPair('a');
  const { guard, rekey } = await createKeyedGuard(null);
  const mp = guard.wrap(fakeWx(), { appId: 'mp_shop' });
  assert.equal(guard.checkApi('mp_shop', 'showToast', t).code, 'no_policy');
  assert.equal(guard.floor(), null);
  let failed;
  mp.getLocation({ fail: (x) => { failed = x; } });
  await tick();
  assert.equal(failed.errMsg, 'getLocation:fail no valid permission policy');
  assert.deepEqual({ ...rekey(set(a), t) }, { ok: true, message: '', load: null });
  assert.equal(guard.load(await signed(policy(), a), t).code, 'ok');
  assert.equal(guard.checkApi('mp_shop', 'getLocation', t).allow, true);
  let ok = false;
  mp.getLocation({ success: () => { ok = true; } });
  assert.equal(ok, true, 'the namespace wrapped before any key now works');
});

test('wrappers made before a re-key check their own API after it', async () => {
  // A name interned before the first load (a custom API of the mini
  // program's wx) and one the policy whitelists, both wrapped before the
  // bundle loaded: after the re-key (the policy loaded first in the new
  // guard) each wrapper still checks its own name.
  const a = await keyPair('a');
  const { guard, rekey } = await createKeyedGuard(set(a));
  const calls = [];
  const mp = guard.wrap({ myCustomApiSync: () => calls.push('myCustomApiSync'), payLaterSync: () => calls.push('payLaterSync') }, { appId: 'mp_shop' });
  const p = policy();
  p.sensitive_apis.push({ name: 'payLaterSync', status: 'public', scope: 'all', type: 'custom' });
  p.apps[0].api_whitelist = ['payLaterSync'];
  assert.equal(guard.load(await signed(p, a), t).code, 'ok');
  assert.throws(() => mp.myCustomApiSync(), /myCustomApiSync:fail api not in whitelist/);
  mp.payLaterSync();
  assert.equal(rekey(set(a), t).ok, true);
  assert.throws(() => mp.myCustomApiSync(), /myCustomApiSync:fail api not in whitelist/);
  mp.payLaterSync();
  assert.deepEqual(calls, ['payLaterSync', 'payLaterSync']);
});
