// The sync takeover of issue 20 replayed in Node (js/test/takeover-scenario.mjs):
// mini program code plants Object.prototype.then, sees every Response the
// realm's fetch resolves, and answers with its own key set and bundle; then
// writes them into the sync's storage. The guard keeps the superapp's policy
// and floor, and storage holds only what the roots lead to.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { sync } from '../src/index.js';
import { signKeysetEdDsa, signPolicyEdDsa } from '../src/vectors/sign.mjs';
import { startTakeoverServer } from './takeover-server.mjs';
import { replayTakeover, EXPECTED } from './takeover-scenario.mjs';

const server = await startTakeoverServer();
after(() => server.close());

test('a planted Object.prototype.then answering with its own key set and bundle changes nothing enforced or stored', async () => {
  const facts = await replayTakeover({ sync, signKeysetEdDsa, signPolicyEdDsa, origin: server.origin });
  assert.match(facts.refusal, /refused: (bad_signature|unknown_key)/, 'the planted documents reached the guard, which refused them');
  assert.match(facts.plantedRestart.stored, /^refused: stored signed state: bad_signature/);
  const { stored, ...restart } = facts.plantedRestart;
  assert.deepEqual({ ...facts, plantedRestart: restart, refusal: undefined }, { ...EXPECTED, refusal: undefined });
  assert.ok(server.hits['/api/v1/superapps/demo/keyset'] > 0);
});

test('pacing: a server that answers every round at once with the same documents gets one round per gap, and nothing is reloaded or rewritten', async () => {
  const subtle = globalThis.crypto.subtle;
  const key = async (kid) => {
    const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    const jwk = await subtle.exportKey('jwk', pair.privateKey);
    return { kty: 'OKP', crv: 'Ed25519', kid, x: jwk.x, d: jwk.d };
  };
  const pub = ({ kty, crv, kid, x }) => ({ kty, crv, kid, x });
  const root = await key('root-1');
  const signer = await key('k1');
  const now = Math.floor(Date.now() / 1000);
  const keyset = await signKeysetEdDsa({ superapp_id: 'demo', version: 1, issued_at: now - 60, expires_at: now + 3600, keys: [pub(signer)] }, root);
  const bundle = await signPolicyEdDsa({ schema: 3, superapp_id: 'demo', version: 3, issued_at: now - 60, apps: [{ app_id: 'mp_shop', kind: 'mini_program' }] }, signer);
  server.published.keyset = keyset;
  server.published.bundle = bundle;
  server.published.ignoreEtag = true;
  const writes = [];
  const map = new Map();
  const storage = { get: async (k) => map.get(k) ?? null, set: async (k, v) => { writes.push(k); map.set(k, v); } };
  const started = Date.now();
  const synced = await sync({ roots: [pub(root)], configUrl: `${server.origin}/api/v1/superapps/demo/config.json`, storage, minRoundSeconds: 0.2, reportIntervalSeconds: 3600 });
  try {
    assert.equal(synced.status().version, 3);
    const written = writes.length;
    assert.ok(written >= 1, 'the first bundle was written');
    const changes = [];
    synced.onChange((e) => changes.push(e));
    while (synced.status().rounds < 6) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (Date.now() - started) / 1000;
    const { rounds } = synced.status();
    // An upper bound only (a slow machine makes fewer rounds, never more).
    assert.ok(rounds <= Math.floor(elapsed / 0.2) + 1, `${rounds} rounds in ${elapsed} s with a 0.2 s gap`);
    assert.equal(writes.length, written, 'the same documents again are not written');
    assert.deepEqual(changes, [], 'nor loaded again (a load would announce a bundle)');
    assert.equal(synced.status().lastRefusal, null);
  } finally {
    await synced.stop();
    server.published.ignoreEtag = false;
  }
});
