// Application management and mini program review (seed 001) in a real
// browser: the application list with its team filter, create (a refused
// form keeps its input and names the field) and modify, details with the
// configuration file; a developer uploads a version (a non-zip refused at
// the package field), submits it, review staff approve it, the QR code is
// downloaded and decoded, the guard launches exactly the approved bytes,
// then the release is removed and the guard refuses the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  shopWorld, click, postFromPage, screenshot, deviceGuard, decodeQr, zipSync, strToU8,
  assertNoProblems, person, acceptInvite, api, SID,
} from './lib.mjs';

let w;

before(async () => {
  w = await shopWorld();
});

after(async () => {
  await w?.close();
});

test('application management: list with team filter, create, modify, details and the configuration file', async () => {
  const { server } = w;
  // A platform admin creates applications (superapps).
  let r = await api(server, server.token, 'POST', '/api/v1/accounts', { id: 'plat', name: 'Pat Form', role: 'platform_admin' });
  assert.equal(r.status, 201, r.text);
  const inv = await api(server, server.token, 'POST', '/api/v1/accounts/plat/invites');
  const plat = await person(w.chrome.browser, server, 'plat');
  w.people.plat = plat;
  await acceptInvite(plat, inv.json.url);
  const { page } = plat;
  assert.equal(new URL(page.url()).pathname, '/console/applications');
  await click(page, 'text=Create application >> nth=0');
  await page.fill('#create-id', 'travel');
  await page.fill('#create-name', 'Travel app');
  await page.fill('#create-secret_key', 'short');
  await page.fill('#create-backend_domain', 'https://api.travel.example');
  await page.selectOption('#create-team_id', 'shop-team');
  await page.fill('#create-android_package', 'com.example.travel');
  await click(page, 'button:has-text("Create application")');
  // Refused at the SecretKey, which is never echoed; the rest is kept.
  assert.match(await page.textContent('.field-error'), /^SecretKey: /);
  assert.equal(await page.inputValue('#create-secret_key'), '');
  assert.equal(await page.inputValue('#create-id'), 'travel');
  assert.equal(await page.inputValue('#create-android_package'), 'com.example.travel');
  await page.fill('#create-secret_key', 'tRaVeLtRaVeLkey1');
  await click(page, 'button:has-text("Create application")');
  assert.match(await page.textContent('.flash'), /travel/);

  // The team filter.
  await page.goto('/console/applications');
  await screenshot(page, 'applications');
  assert.equal(await page.locator('tbody tr').count(), 2);
  await page.selectOption('#team', 'shop-team');
  await click(page, 'button:has-text("Filter")');
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.textContent('tbody'), /travel/);

  // Details of the new application (its sensitive APIs: the defaults).
  await click(page, 'tr:has-text("travel") >> text=Details');
  assert.match(await page.textContent('main'), /com\.example\.travel/);
  assert.match(await page.textContent('main'), /getLocation/);
  // Only the superapp's own administrator modifies it.
  assert.equal(await page.locator('main >> text=Modify').count(), 0);

  // The superapp administrator: Modify (a bad Android package refused at
  // its field, the input kept), Details, the configuration file.
  const { boss } = w.people;
  await boss.page.goto('/console/applications');
  await click(boss.page, `tr:has-text("${SID}") >> text=Modify`);
  await boss.page.fill('#modify-android_package', 'com.example.1bad');
  await click(boss.page, 'button:has-text("Save")');
  assert.match(await boss.page.textContent('.field-error'), /^Android package name: /);
  assert.equal(await boss.page.inputValue('#modify-android_package'), 'com.example.1bad');
  await boss.page.fill('#modify-android_package', 'com.example.demo');
  await boss.page.fill('#modify-ios_bundle_id', 'com.example.demo-ios');
  await click(boss.page, 'button:has-text("Save")');
  assert.match(await boss.page.textContent('main'), /com\.example\.demo-ios/);
  await screenshot(boss.page, 'application-details');
  const [download] = await Promise.all([boss.page.waitForEvent('download'), boss.page.click('text=Download configuration file')]);
  assert.equal(download.suggestedFilename(), `${SID}-config.json`);
  const { readFile } = await import('node:fs/promises');
  const config = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(config.format, 'guard-superapp-config/1');
  assert.equal(config.android_package, 'com.example.demo');
  assert.equal(config.ios_bundle_id, 'com.example.demo-ios');
  assert.ok(!JSON.stringify(config).includes('k3yK3yk3yK3yk3y1'), 'no SecretKey in the file');

  // Review staff may not download it or modify: no buttons, refused posts.
  const { rev } = w.people;
  await rev.page.goto(`/console/applications/${SID}`);
  assert.equal(await rev.page.locator('text=Download configuration file').count(), 0);
  assert.equal(await rev.page.locator('text=Modify').count(), 0);
  const res = await rev.page.request.get(`/console/applications/${SID}/config.json`);
  assert.equal(res.status(), 403);
  const forged = await postFromPage(rev.page, `/console/applications/${SID}`, { form: 'modify', name: 'pwned', backend_domain: 'https://api.demo.example' });
  assert.equal(forged.status, 403, forged.text);
  assert.equal((await api(server, server.token, 'GET', `/api/v1/superapps/${SID}`)).json.name, 'Demo superapp');
  assertNoProblems(w);
});

test('a version is uploaded, submitted, approved, its QR code downloaded and decoded, launched by the guard, then removed', async () => {
  const { dev, rev, senior, boss } = w.people;
  const { server } = w;
  await dev.page.goto('/console/apps/mp_shop/versions');
  assert.match(await dev.page.textContent('main'), /No version yet/);

  // Not a zip: refused at the package field, the version typed is kept.
  await dev.page.fill('#upload-app_version', '1.0.0');
  await dev.page.fill('#upload-description', 'first release');
  await dev.page.setInputFiles('#upload-package', { name: 'app.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') });
  await click(dev.page, 'button:has-text("Upload")');
  assert.match(await dev.page.textContent('.field-error'), /^Code package: /);
  assert.equal(await dev.page.inputValue('#upload-app_version'), '1.0.0');

  // The zip.
  const zip = Buffer.from(zipSync({ 'app.js': strToU8('App({})'), 'app.json': strToU8('{"pages":["index"]}') }));
  const sha = createHash('sha256').update(zip).digest('hex');
  await dev.page.setInputFiles('#upload-package', { name: 'shop-1.0.0.zip', mimeType: 'application/zip', buffer: zip });
  await click(dev.page, 'button:has-text("Upload")');
  assert.match(await dev.page.textContent('.flash'), /Uploaded version “1\.0\.0” \(2 files\)/);
  assert.match(await dev.page.textContent('tr:has-text("1.0.0")'), new RegExp(sha.slice(0, 12)));
  await click(dev.page, 'tr:has-text("1.0.0") >> button:has-text("Submit for review")');
  assert.match(await dev.page.textContent('.flash'), /Submitted version “1\.0\.0”/);
  assert.match(await dev.page.textContent('tr:has-text("1.0.0")'), /pending/);
  assert.equal(await dev.page.locator('button:has-text("Submit for review")').count(), 0, 'pending: no second submit');
  await screenshot(dev.page, 'developer-versions');

  // The senior developer reads the review list, without Review or Remove.
  await senior.page.goto(`/console/superapps/${SID}/review`);
  assert.match(await senior.page.textContent('tbody'), /mp_shop/);
  assert.equal(await senior.page.locator('tbody a:text-is("Review")').count(), 0);
  assert.equal(await senior.page.locator('tbody a:text-is("Details")').count(), 1);

  // Review staff: pending list (filtered by team and app), Review, Approve.
  await rev.page.goto(`/console/superapps/${SID}/review`);
  await rev.page.selectOption('#f-team', 'shop-team');
  await rev.page.selectOption('#f-app', 'mp_shop');
  await click(rev.page, 'button:has-text("Filter")');
  await screenshot(rev.page, 'review-pending');
  await click(rev.page, 'tr:has-text("mp_shop") >> a:text-is("Review")');
  assert.match(await rev.page.textContent('main'), new RegExp(sha));
  await screenshot(rev.page, 'review-detail');
  const rid = new URL(rev.page.url()).pathname.split('/').pop();
  // The reviewer reads the package's files (names, sizes unpacked) and
  // downloads exactly the bytes submitted; the senior developer may not.
  const files = await rev.page.$$eval('#package-files tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  assert.deepEqual(files, [['app.js', '7'], ['app.json', '19']]);
  const [pkg] = await Promise.all([rev.page.waitForEvent('download'), rev.page.click('text=Download the package')]);
  assert.equal(pkg.suggestedFilename(), 'mp_shop-1.0.0.zip');
  const { readFile: readPkg } = await import('node:fs/promises');
  assert.equal(createHash('sha256').update(await readPkg(await pkg.path())).digest('hex'), sha);
  assert.equal((await senior.page.request.get(`/console/releases/${rid}/package`)).status(), 403);
  await senior.page.goto(`/console/superapps/${SID}/review/${rid}`);
  assert.equal(await senior.page.locator('#package-files').count(), 0);
  // The senior developer's forged approval is refused and changes nothing.
  const forged = await postFromPage(senior.page, `/console/releases/${rid}/decision`, { form: 'decide', decision: 'approve' });
  assert.equal(forged.status, 403, forged.text);
  await rev.page.fill('#decide-note', 'looks good');
  await click(rev.page, 'button[value=approve]');
  assert.match(await rev.page.textContent('.flash'), /Released “mp_shop” version “1\.0\.0”/);
  await screenshot(rev.page, 'review-released');

  // The QR code, downloaded from the released list and decoded.
  const [download] = await Promise.all([rev.page.waitForEvent('download'), rev.page.click('tr:has-text("mp_shop") >> text=Download QR code')]);
  assert.equal(download.suggestedFilename(), 'mp_shop-1.0.0-qrcode.png');
  const { readFile } = await import('node:fs/promises');
  assert.equal(decodeQr(await readFile(await download.path())), `guardmp://open?superapp=${SID}&app=mp_shop&version=1.0.0`);

  // The guard launches the approved bytes and nothing else.
  const device = await deviceGuard(server, SID);
  let guard = await device.sync('mp_shop');
  assert.equal(guard.checkLaunch('mp_shop', { version: '1.0.0', packageSha256: sha }).allow, true);
  assert.equal(guard.checkLaunch('mp_shop', { version: '1.0.0', packageSha256: '0'.repeat(64) }).allow, false);
  await dev.page.goto('/console/apps/mp_shop/versions');
  assert.match(await dev.page.textContent('tr:has-text("1.0.0")'), /released/);

  // The developer may not remove it; the superapp admin does.
  const notYours = await postFromPage(dev.page, '/console/apps/mp_shop/release/remove', { form: 'remove' });
  assert.equal(notYours.status, 403, notYours.text);
  await boss.page.goto(`/console/superapps/${SID}/review?tab=released`);
  // The reason is asked (decision 466) and the developer reads it.
  await boss.page.fill('tr:has-text("mp_shop") >> input[name=reason]', 'sells counterfeit goods');
  await click(boss.page, 'tr:has-text("mp_shop") >> button:has-text("Remove")');
  assert.match(await boss.page.textContent('.flash'), /Removed “mp_shop”/);
  await dev.page.goto('/console/apps/mp_shop/versions');
  assert.match(await dev.page.textContent('tr:has-text("1.0.0")'), /Note: Removed: sells counterfeit goods/);
  assert.match(await boss.page.textContent('main'), /Nothing is released/);
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkLaunch('mp_shop', { version: '1.0.0', packageSha256: sha }).code, 'app_removed');
  assert.equal(guard.checkApi('mp_shop', 'getStorage').code, 'app_removed');
  assertNoProblems(w);
});
