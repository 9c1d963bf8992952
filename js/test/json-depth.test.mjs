// The module's JSON reader (guard-core/src/json_reader.rs, decisions 670-673)
// in the shipped `.wasm`: documents nested as deep as a hostile bundle can
// make them are refused at the depth limit without overflowing the module's
// stack, and the guard goes on deciding after each refusal.
// Run: node --test js/test/json-depth.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuard } from '../src/index.js';
import { base64url, hmacSha256 } from '../src/vectors/sign.mjs';
import { SECRET, NOW, policy, bundle } from './fixture.mjs';

/** An HS256 bundle of a header and payload given as JSON text. */
function signed(header, payload) {
  const input = `${base64url(header)}.${base64url(payload)}`;
  const sig = hmacSha256(new TextEncoder().encode(SECRET), new TextEncoder().encode(input));
  return `${input}.${base64url(sig)}`;
}

const nested = (n) => '['.repeat(n) + ']'.repeat(n);
const body = JSON.stringify(policy());

async function stillDecides(guard) {
  // A newer version than any a test loaded.
  assert.deepEqual(guard.load(bundle(policy({ version: 9 })), { now: NOW }), { code: 'ok', message: '' });
  assert.equal(guard.checkRequest('mp_shop', 'https://evil.example/', { now: NOW }).code, 'domain_not_whitelisted');
}

test('a header member nested to the limit is skipped, one level more is malformed_bundle', async () => {
  const guard = await createGuard({ secret: SECRET });
  // The header is the first container: a member in it may nest 126 deep.
  const ok = guard.load(signed(`{"alg":"HS256","x":${nested(126)}}`, body), { now: NOW });
  assert.deepEqual(ok, { code: 'ok', message: '' });
  const deep = guard.load(signed(`{"alg":"HS256","x":${nested(127)}}`, body), { now: NOW });
  assert.equal(deep.code, 'malformed_bundle');
  assert.match(deep.message, /recursion limit exceeded/);
  await stillDecides(guard);
});

test('a million open brackets in the header, the alg or the policy are refused and the guard goes on', async () => {
  const guard = await createGuard({ secret: SECRET });
  const open = '['.repeat(1 << 20);
  for (const [header, payload, code] of [
    [`{"alg":"HS256","x":${open}`, body, 'malformed_bundle'],
    [`{"alg":${open}`, body, 'malformed_bundle'],
    ['{"alg":"HS256"}', `{"schema":1,"aud":${open}`, 'invalid_policy'],
    ['{"alg":"HS256"}', `{"schema":1,"x":${'{"a":'.repeat(1 << 18)}`, 'invalid_policy'],
  ]) {
    const got = guard.load(signed(header, payload), { now: NOW });
    assert.equal(got.code, code, got.message);
  }
  await stillDecides(guard);
});

test('numbers the contract reads as integers: -0, 1e2 and 2^64 are invalid_policy, quoted as written', async () => {
  const guard = await createGuard({ secret: SECRET });
  for (const n of ['-0', '1e2', '1.0', '18446744073709551616', '1e400']) {
    const got = guard.load(signed('{"alg":"HS256"}', body.replace('"version":7', `"version":${n}`)), { now: NOW });
    assert.equal(got.code, 'invalid_policy', n);
    assert.ok(got.message.includes(`number \`${n}\``), got.message);
  }
  await stillDecides(guard);
});
