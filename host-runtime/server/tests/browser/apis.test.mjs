// Sensitive API management with contract v3's permission groups, in a real
// browser at a laptop's 1100 px: a group is one row with its APIs (in the
// list, in the catalogue and in the details), adding, restricting, allowing
// and revoking act on the group, and the catalogue marks utilities such as
// `canIUse` as not restrictable with the reason (no Add button; a forged
// post refused by the service all the same).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  shopWorld, click, postFromPage, checkAxe, deviceGuard, assertNoProblems, api, SID,
} from './lib.mjs';

let w;
let boss;

before(async () => {
  w = await shopWorld();
  // The superapp administrator at 1100 px (where the issue saw the console).
  boss = w.people.boss;
  await boss.page.setViewportSize({ width: 1100, height: 860 });
});

after(async () => {
  await w?.close();
});

test('the catalogue shows a permission group as one row and marks canIUse not restrictable, with the reason', async () => {
  const { page } = boss;
  await page.goto(`/console/superapps/${SID}/apis/new?q=canIUse`);
  const row = page.locator('#catalogue tbody tr', { hasText: 'canIUse' });
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /Not restrictable: feature detection/);
  assert.equal(await row.locator('button').count(), 0, 'no Add button for canIUse');
  await checkAxe(page, 'catalogue, canIUse');

  // off… and stop… only end what the mini program started.
  await page.goto(`/console/superapps/${SID}/apis/new?q=offLocationChange`);
  assert.match(await page.textContent('#catalogue'), /Not restrictable: it only ends what the mini program started/);

  // A hostile or stale form: the service refuses it, naming the API.
  const forged = await postFromPage(page, `/console/superapps/${SID}/apis`, { form: 'system', type: 'system', name: 'canIUse', scope: 'all' });
  assert.equal(forged.status, 400);
  assert.match(forged.text, /canIUse/);
  assert.match(forged.text, /cannot be restricted/);
  const viaApi = await api(w.server, w.tokens.boss, 'POST', `/api/v1/superapps/${SID}/apis`, { name: 'stopLocationUpdate', type: 'system' });
  assert.equal(viaApi.status, 400, viaApi.text);
  assert.match(viaApi.text, /cannot be restricted/);
  // A custom API may be called stop… (only platform utilities are exempt).
  const custom = await api(w.server, w.tokens.boss, 'POST', `/api/v1/superapps/${SID}/apis`, { name: 'stopWallet', type: 'custom', description: 'freezes the wallet' });
  assert.equal(custom.status, 201, custom.text);

  // A group (not in a new superapp's list): one row, every API of it
  // named; one Add.
  await page.goto(`/console/superapps/${SID}/apis/new?q=addPhoneRepeat`);
  const group = page.locator('#catalogue tbody tr', { hasText: 'scope.addPhoneCalendar' });
  assert.equal(await group.count(), 1);
  assert.match(await group.textContent(), /addPhoneCalendar.*addPhoneRepeatCalendar/s);
  assert.equal(await page.locator('#catalogue tbody tr').count(), 1, 'the group, not one row per API');
  await click(page, '#catalogue tr:has-text("scope.addPhoneCalendar") >> button:has-text("Add")');
  assert.match(await page.textContent('.flash'), /Added/);
  // In the list: one row for the group, restricted.
  const listed = page.locator('#apis tbody tr', { hasText: 'scope.addPhoneCalendar' });
  assert.equal(await listed.count(), 1);
  assert.match(await listed.textContent(), /Restricted/);
  assert.equal(await page.locator('#apis tbody tr', { hasText: 'addPhoneRepeatCalendar' }).count(), 1);
  // The catalogue no longer offers any API of the group.
  await page.goto(`/console/superapps/${SID}/apis/new?q=PhoneRepeatCalendar`);
  assert.equal(await page.locator('#catalogue tbody tr').count(), 0);
  await checkAxe(page, 'catalogue after adding a group');
  assertNoProblems(w);
});

test('a group is restricted, allowed, granted and revoked as one from its row', async () => {
  const { page } = boss;
  // Two APIs of scope.userLocation listed (as a list from before v3 has them).
  let r = await api(w.server, w.tokens.boss, 'POST', `/api/v1/superapps/${SID}/apis`, { name: 'startLocationUpdate', type: 'system' });
  assert.ok(r.status === 201 || r.status === 409, r.text);
  // A per-kind list in use makes the bundle a schema 3 document, where a
  // group's unlisted APIs (onLocationChange) follow the group (decision 366).
  r = await api(w.server, w.tokens.boss, 'POST', '/api/v1/apps/mp_shop/whitelists/upload_domains', { value: 'https://upload.shop.example', remark: 'receipts' });
  assert.equal(r.status, 201, r.text);
  await page.goto(`/console/superapps/${SID}/apis?q=location`);
  const row = page.locator('#apis tbody tr', { hasText: 'scope.userLocation' });
  assert.equal(await row.count(), 1, 'getLocation and startLocationUpdate are one row');
  assert.match(await row.textContent(), /getLocation.*startLocationUpdate.*onLocationChange/s);
  await checkAxe(page, 'list with groups');

  // Allow on the row allows the group: the bundle lets every API of it through.
  await click(page, '#apis tr:has-text("scope.userLocation") >> button:has-text("Allow")');
  assert.match(await page.textContent('main'), /the permission group “scope\.userLocation”/);
  await click(page, 'button:has-text("Allow for every mini program")');
  assert.match(await page.textContent('#apis tr:has-text("scope.userLocation")'), /Public/);
  const device = await deviceGuard(w.server, SID);
  let guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'startLocationUpdate').allow, true);
  assert.equal(guard.checkApi('mp_shop', 'getLocation').allow, true);
  await click(page, '#apis tr:has-text("scope.userLocation") >> button:has-text("Restrict")');
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'onLocationChange').code, 'permission_not_granted');

  // Granted for getLocation, the grant covers the group; revoked from the
  // group's details, none of it is left.
  r = await api(w.server, w.tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'getLocation', reason: 'the nearest store' });
  assert.equal(r.status, 201, r.text);
  r = await api(w.server, w.tokens.boss, 'POST', `/api/v1/requests/${r.json.id}/decision`, { decision: 'approve', note: 'ok' });
  assert.equal(r.status, 200, r.text);
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'startLocationUpdate').allow, true);
  await click(page, '#apis tr:has-text("scope.userLocation") >> text=Details');
  assert.match(await page.textContent('dl.facts'), /Permission group\s*scope\.userLocation: getLocation, startLocationUpdate/);
  await page.fill('tr:has-text("mp_shop") >> input[name=reason]', 'location is no longer needed');
  await click(page, 'tr:has-text("mp_shop") >> button:has-text("Revoke authorization")');
  assert.match(await page.textContent('.flash'), /Revoked/);
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'startLocationUpdate').code, 'permission_not_granted');
  assert.equal(guard.checkApi('mp_shop', 'getLocation').code, 'permission_not_granted');
  assertNoProblems(w);
});
