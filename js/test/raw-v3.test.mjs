// Contract v3 through the raw ABI driver (src/raw.js, ABI 5) on its own
// instance: a guard created from a configuration with roots, key sets signed
// by a root, media checks and what they hand on, and the signed state into a
// fresh instance; and what a hostile party tries: a key set signed by a key
// that is no root, another superapp's key set, a bundle given as a key set, a
// tampered state, roots with a SecretKey.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';
import { compile, open, ABI_VERSION } from '../src/raw.js';
import { base64url } from '../src/vectors/sign.mjs';
import { SECRET, NOW } from './fixture.mjs';

const bytes = readFileSync(new URL('../pkg/guard_wasm_bg.wasm', import.meta.url));
const module = await compile(bytes);

// RFC 8032's test keys 1 (the root) and 2 (the bundle-signing key).
const ROOT = { kty: 'OKP', crv: 'Ed25519', kid: 'root-1', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' };
const SIGNER = { kty: 'OKP', crv: 'Ed25519', kid: 'k1', x: 'PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw', d: 'TM0Imyj_ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U-4pvs' };
const pub = ({ kty, crv, kid, x }) => ({ kty, crv, kid, x });
const CONFIG = JSON.stringify({ roots: [pub(ROOT)], superapp_id: 'demo', local_prefixes: ['http://tmp/'] });

function jws(header, payload, key) {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign(null, Buffer.from(input), createPrivateKey({ key: key, format: 'jwk' }));
  return `${input}.${base64url(signature)}`;
}
const keyset = (payload, key = ROOT) => jws({ alg: 'EdDSA', kid: key.kid, typ: 'guard-keyset+jws' }, payload, key);
const keysetPayload = (over = {}) => ({ superapp_id: 'demo', version: 2, issued_at: 0, expires_at: NOW + 1000000, keys: [pub(SIGNER)], ...over });
const POLICY = {
  schema: 3, superapp_id: 'demo', version: 5, issued_at: 0,
  apps: [{ app_id: 'mp', kind: 'mini_program', control: { media_domains: true }, domains: { media: ['https://cdn.example'] } }],
};
const bundle = (policy = POLICY) => jws({ alg: 'EdDSA', kid: 'k1' }, policy, SIGNER);

async function driver() {
  const d = await open(module);
  return d;
}
const load = (d, code) => d.codeName(code, true);

test('ABI 4: a guard from roots loads a key set, then a bundle its key signed; media hands on what was checked', async () => {
  assert.equal(ABI_VERSION, 5);
  const d = await driver();
  assert.equal(d.create(CONFIG), 0, d.message());
  assert.equal(d.signedState(), '{}');
  assert.equal(load(d, d.load(bundle(), NOW)), 'unknown_key', 'no key set yet');
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload()), NOW)), 'ok');
  assert.equal(load(d, d.load(bundle(), NOW)), 'ok');
  const app = d.appHandle('mp');
  assert.equal(d.kind('media'), 9);
  assert.equal(d.checkMedia(app, 'https://cdn.example/a.png', NOW), 0);
  assert.equal(d.href(), 'https://cdn.example/a.png');
  assert.equal(d.checkMedia(app, ' HTTP://TMP/a.png', NOW), 0);
  assert.equal(d.href(), 'http://tmp/a.png');
  assert.equal(d.checkMedia(app, 'data:image/png;base64,AAAA', NOW), 0);
  const denied = d.checkMedia(app, 'https://evil.example/a.png', NOW);
  assert.equal(d.codeName(denied, false), 'domain_not_whitelisted');
  assert.equal(d.messageFor('previewImage'), 'previewImage:fail url not in domain list:evil.example');
  for (const other of ['//evil.example/a.png', '\\\\evil.example/a.png', '/\\evil.example/a.png']) {
    assert.equal(d.codeName(d.checkMedia(app, other, NOW), false), 'invalid_url', other);
  }
});

test('a hostile key set is refused with its load code, and the guard keeps what it had', async () => {
  const d = await driver();
  assert.equal(d.create(CONFIG), 0);
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload()), NOW)), 'ok');
  assert.equal(load(d, d.load(bundle(), NOW)), 'ok');
  // Signed by the bundle key under its own kid, and under the root's kid.
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload({ version: 3 }), SIGNER), NOW)), 'unknown_key');
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload({ version: 3 }), { ...SIGNER, kid: 'root-1' }), NOW)), 'bad_signature');
  // Another superapp's key set, signed by the very root.
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload({ superapp_id: 'other', version: 3 })), NOW)), 'invalid_keyset');
  assert.match(d.message(), /`other`/);
  // A bundle given as a key set; a key set given as a bundle.
  assert.equal(load(d, d.loadKeys(bundle(), NOW)), 'unknown_key', 'its kid names no root');
  assert.notEqual(load(d, d.load(keyset(keysetPayload()), NOW)), 'ok');
  // A root among the signing keys; `typ` spelled otherwise.
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload({ version: 3, keys: [pub(ROOT)] })), NOW)), 'invalid_keyset');
  const typ = jws({ alg: 'EdDSA', kid: 'root-1', typ: 'JWT' }, keysetPayload({ version: 3 }), ROOT);
  assert.equal(load(d, d.loadKeys(typ, NOW)), 'invalid_keyset');
  // A lower version: below the key-set floor.
  assert.equal(load(d, d.loadKeys(keyset(keysetPayload({ version: 1 })), NOW)), 'stale_version');
  // Still enforcing the superapp's policy.
  assert.equal(d.checkMedia(d.appHandle('mp'), 'https://cdn.example/a.png', NOW), 0);
  // Roots with a SecretKey: no guard.
  const both = JSON.stringify({ secret: SECRET, roots: [pub(ROOT)], superapp_id: 'demo' });
  assert.equal(d.create(both), 1);
  assert.match(d.message(), /never both/);
  assert.ok(d.signedState() === null, 'no guard, no state');
});

test('the signed state restores both floors into a fresh instance; a tampered one is refused', async () => {
  const a = await driver();
  assert.equal(a.create(CONFIG), 0);
  assert.equal(load(a, a.loadKeys(keyset(keysetPayload()), NOW)), 'ok');
  assert.equal(load(a, a.load(bundle(), NOW)), 'ok');
  const state = a.signedState();
  const parsed = JSON.parse(state);
  assert.equal(typeof parsed.keyset, 'string');
  assert.equal(typeof parsed.bundle, 'string');

  const b = await driver();
  assert.equal(b.create(CONFIG), 0);
  const tampered = JSON.stringify({ ...parsed, bundle: bundle({ ...POLICY, version: 99 }).replace(/\.[^.]*$/, '.AAAA') });
  assert.notEqual(load(b, b.restoreState(tampered, NOW)), 'ok');
  assert.equal(load(b, b.restoreState('{"floor":99}', NOW)), 'malformed_bundle');
  assert.equal(load(b, b.restoreState(state, NOW)), 'ok', b.message());
  assert.equal(b.checkMedia(b.appHandle('mp'), 'https://cdn.example/a.png', NOW), 0);
  assert.equal(load(b, b.load(bundle({ ...POLICY, version: 4 }), NOW)), 'stale_version');
  assert.equal(load(b, b.loadKeys(keyset(keysetPayload({ version: 1 })), NOW)), 'stale_version');

  // A v2 guard (a SecretKey) has no signed state and refuses key sets.
  const c = await driver();
  assert.equal(c.create(SECRET), 0);
  assert.equal(c.signedState(), '');
  assert.equal(load(c, c.loadKeys(keyset(keysetPayload()), NOW)), 'unknown_key');
  // A v2 key-set JSON still creates a guard (now through the configuration).
  assert.equal(c.create(JSON.stringify({ keys: [pub(SIGNER)] })), 0);
  assert.equal(c.create(JSON.stringify({ keys: [SIGNER] })), 1);
  assert.match(c.message(), /private part/);
});
