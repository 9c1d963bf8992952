// Root keys and key sets (contract v3) in Configuration management at
// 1280 px: the roots devices pin and the key set in force, read-only for
// every role that reads the page; once the superapp registers offline
// roots, its administrator uploads a key set signed elsewhere (a bad one
// refused at its field, a good one in force and served to devices); a
// senior developer's forged upload is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  world, click, postFromPage, checkAxe, screenshot, assertNoProblems, api, SID,
} from './lib.mjs';

let w;

before(async () => {
  w = await world();
});

after(async () => {
  await w?.close();
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A key set of `keys` at `version`, signed by `root` (a node KeyObject). */
function keyset(root, rootKid, version, keys) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: rootKid, typ: 'guard-keyset+jws' }));
  const payload = b64url(JSON.stringify({ superapp_id: SID, version, issued_at: now, expires_at: now + 30 * 86400, keys }));
  const sig = sign(null, Buffer.from(`${header}.${payload}`), root);
  return `${header}.${payload}.${b64url(sig)}`;
}

test('the roots and the key set in force are shown; an offline-signed key set is uploaded from the page', async () => {
  const { boss, senior } = w.people;
  const { page } = boss;
  await page.goto(`/console/superapps/${SID}/config`);
  let facts = await page.textContent('#keyset-facts');
  assert.match(facts, /Key set version\s*\d+/);
  assert.match(facts, /Signed by\s*the server's root/);
  const active = (await (await fetch(`${w.server.url}/api/v1/superapps/${SID}/keys.json`)).json()).keys[0];
  assert.match(facts, new RegExp(active.kid));
  assert.equal(await page.locator('#roots-table tbody tr').count(), 1, "the server's root");
  assert.equal(await page.locator('textarea[name=keyset]').count(), 0, 'no upload without offline roots');
  await checkAxe(page, 'roots and key set');
  // Every role that reads the page sees it, read-only.
  await senior.page.goto(`/console/superapps/${SID}/config`);
  assert.match(await senior.page.textContent('#keyset-facts'), /Key set version/);

  // Offline roots registered through the API (the superapp admin's own).
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const root = { kty: 'OKP', crv: 'Ed25519', kid: 'root-2026', x: jwk.x };
  let r = await api(w.server, w.tokens.boss, 'PUT', `/api/v1/superapps/${SID}/roots`, { roots: [root] });
  assert.equal(r.status, 200, r.text);
  const floor = r.json.keyset?.version ?? 0;
  await page.goto(`/console/superapps/${SID}/config`);
  assert.match(await page.textContent('#roots-table'), /root-2026/);
  assert.match(await page.textContent('#roots-table caption'), /Offline roots/);

  // A key set signed by another key: refused at the field, focused.
  const { privateKey: stranger } = generateKeyPairSync('ed25519');
  await page.fill('#roots-keyset', keyset(stranger, 'root-2026', floor + 1, [{ kty: 'OKP', crv: 'Ed25519', kid: active.kid, x: active.x }]));
  await click(page, 'button:has-text("Upload key set")');
  assert.match(await page.textContent('#roots-keyset-error'), /^Upload a key set: refused: /);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'roots-keyset');
  await checkAxe(page, 'refused key set');

  // A senior developer may not upload: refused for the role.
  const forged = await postFromPage(senior.page, `/console/superapps/${SID}/keyset`, { form: 'roots', keyset: keyset(privateKey, 'root-2026', floor + 1, [{ kty: 'OKP', crv: 'Ed25519', kid: active.kid, x: active.x }]) });
  assert.equal(forged.status, 403);

  // The root's own key set: in force, and what devices fetch.
  const good = keyset(privateKey, 'root-2026', floor + 1, [{ kty: 'OKP', crv: 'Ed25519', kid: active.kid, x: active.x }]);
  await page.fill('#roots-keyset', good);
  await click(page, 'button:has-text("Upload key set")');
  assert.match(await page.textContent('.flash'), new RegExp(`Key set version ${floor + 1} is in force`));
  facts = await page.textContent('#keyset-facts');
  assert.match(facts, /Signed by\s*an offline root \(uploaded\)/);
  const served = await (await fetch(`${w.server.url}/api/v1/superapps/${SID}/keyset`)).text();
  assert.equal(served.trim(), good);
  await screenshot(page, 'configuration-roots');
  assertNoProblems(w);
});
