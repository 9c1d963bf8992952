// Contract v3 through the bridge's guard object (js/src/guard.js): a guard
// created with roots takes signing keys only from key sets a root signed,
// never comes with a secret or keys, and persists its floors as the signed
// documents that set them; what a hostile caller tries (a key set signed by
// a key that is no root, a floor written in as a number, a bundle loaded as
// a key set) changes nothing. The vectors (tests/vectors-v3) cover the rules
// themselves; this covers the bridge's options and methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createGuard } from '../src/index.js';
import { signKeysetEdDsa, signPolicyEdDsa } from '../src/vectors/sign.mjs';
import { SECRET, NOW } from './fixture.mjs';

const key = (kid) => ({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid });
const pub = ({ kty, crv, kid, x }) => ({ kty, crv, kid, x });
const ROOT = key('root-1');
const SIGNER = key('k1');
const keyset = (version, signer = SIGNER, root = ROOT) => signKeysetEdDsa({ superapp_id: 'demo', version, issued_at: 0, expires_at: NOW + 3600, keys: [pub(signer)] }, root);
const bundle = (version, signer = SIGNER) => signPolicyEdDsa({ schema: 3, superapp_id: 'demo', version, issued_at: 0, apps: [{ app_id: 'mp', kind: 'mini_program', control: { apis: true } }] }, signer);
const rooted = () => createGuard({ roots: [pub(ROOT)], superappId: 'demo' });

test('roots never come with a secret or keys, and go with a superapp id', async () => {
  await assert.rejects(createGuard({ roots: [pub(ROOT)], superappId: 'demo', secret: SECRET }), /never both/);
  await assert.rejects(createGuard({ roots: [pub(ROOT)], superappId: 'demo', keys: [pub(SIGNER)] }), /never both/);
  await assert.rejects(createGuard({ roots: [pub(ROOT)] }), /go together/);
  await assert.rejects(createGuard({ superappId: 'demo' }), /go together/);
  await assert.rejects(createGuard({ roots: pub(ROOT), superappId: 'demo' }), TypeError);
  // What guard-core judges: a private root, no root at all.
  await assert.rejects(createGuard({ roots: [ROOT], superappId: 'demo' }), /invalid guard configuration/);
  await assert.rejects(createGuard({ roots: [], superappId: 'demo' }), /invalid guard configuration/);
});

test('a key set a root signed lets bundles in; one signed by another key, or a bundle as a key set, does not', async () => {
  const guard = await rooted();
  assert.equal(guard.load(await bundle(3), { now: NOW }).code, 'unknown_key', 'no key set yet');
  const fake = await keyset(99, key('k1'), key('root-1'));
  assert.equal(guard.loadKeys(fake, { now: NOW }).code, 'bad_signature');
  // §2.1's order: the root the header names comes before `typ`.
  assert.equal(guard.loadKeys(await bundle(3), { now: NOW }).code, 'unknown_key', 'a bundle is no key set');
  assert.equal(guard.loadKeys(await keyset(1), { now: NOW }).code, 'ok');
  assert.notEqual(guard.load(await keyset(1), { now: NOW }).code, 'ok', 'a key set is no bundle');
  assert.equal(guard.load(await bundle(3), { now: NOW }).code, 'ok');
  assert.equal(guard.load(await bundle(4, key('k1')), { now: NOW }).code, 'bad_signature', 'a key the key set does not carry');
  assert.equal(guard.checkApi('mp', 'myCustomApi', { now: NOW }).code, 'api_not_whitelisted', 'the bundle is in force');
});

test('the signed state restores only what the roots lead to; a guard without roots has none and takes no key set', async () => {
  const guard = await rooted();
  assert.equal(guard.loadKeys(await keyset(2), { now: NOW }).code, 'ok');
  assert.equal(guard.load(await bundle(5), { now: NOW }).code, 'ok');
  const state = guard.signedState();
  assert.equal(typeof state, 'string');
  const again = await rooted();
  assert.deepEqual(again.restoreState(state, { now: NOW }), { code: 'ok', message: '' });
  assert.equal(again.load(await bundle(4), { now: NOW }).code, 'stale_version', 'the floor came back');
  const planted = await rooted();
  assert.equal(planted.restoreState('{"floor":18446744073709551615}', { now: NOW }).code, 'malformed_bundle');
  assert.equal(planted.restoreState(JSON.stringify({ keyset: await keyset(9, SIGNER, key('root-1')) }), { now: NOW }).code, 'bad_signature');
  assert.equal(planted.loadKeys(await keyset(2), { now: NOW }).code, 'ok', 'nothing planted stays');
  assert.equal(planted.load(await bundle(5), { now: NOW }).code, 'ok');
  const keyed = await createGuard({ secret: SECRET });
  assert.equal(keyed.signedState(), null);
  assert.equal(keyed.loadKeys(await keyset(1), { now: NOW }).code, 'unknown_key');
});
