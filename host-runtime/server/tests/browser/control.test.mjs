// Permission control (seed 002) and configuration management (seeds 001,
// 003) in a real browser: the switches and the three whitelists with
// remarks (add, edit, delete), an entry refused with its field named and
// the input kept, the 30-entry limit, report mode; the SecretKey write-only,
// the backend domain, signing-key rotation and promotion, blocked hosts
// (a bad line named); what each role may not do absent and refused; and the
// guard enforcing each decision in the next bundle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  shopWorld, click, postFromPage, screenshot, deviceGuard, assertNoProblems, api, SID,
} from './lib.mjs';

let w;

before(async () => {
  w = await shopWorld();
});

after(async () => {
  await w?.close();
});

test('permission control: switches, whitelists with remarks, a refused entry named, the 30-entry limit, enforced by the guard', async () => {
  const { senior, rev, dev } = w.people;
  const { page } = senior;
  const device = await deviceGuard(w.server, SID);
  await page.goto(`/console/superapps/${SID}/control`);
  assert.match(await page.textContent('main'), /AppId mp_shop/);
  assert.match(await page.textContent('main'), /The server domain name whitelist is empty/);

  // Refused: http, named at the Domain name field, input and remark kept.
  await page.fill('#add-server_domains-value', 'http://api.shop.example');
  await page.fill('#add-server_domains-remark', 'the shop backend');
  await click(page, '#server_domains ~ form >> button:has-text("Add")');
  const err = await page.textContent('#add-server_domains-value-error');
  assert.match(err, /^Domain name: /);
  assert.match(err, /https/);
  assert.equal(await page.getAttribute('#add-server_domains-value', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#add-server_domains-value'), 'http://api.shop.example');
  assert.equal(await page.inputValue('#add-server_domains-remark'), 'the shop backend');
  // A remark over 200 characters is named at the Remark field.
  await page.fill('#add-server_domains-value', 'https://api.shop.example');
  await page.fill('#add-server_domains-remark', 'x'.repeat(201));
  await click(page, '#server_domains ~ form >> button:has-text("Add")');
  assert.match(await page.textContent('#add-server_domains-remark-error'), /^Remark: /);
  await page.fill('#add-server_domains-remark', 'the shop backend');
  await click(page, '#server_domains ~ form >> button:has-text("Add")');
  assert.match(await page.textContent('.flash'), /Added “https:\/\/api\.shop\.example” to the Server domain name whitelist/);

  // Off: the whitelist is not enforced yet.
  let guard = await device.sync('mp_shop');
  assert.equal(guard.checkRequest('mp_shop', 'https://elsewhere.example/x').allow, true);
  // Switch on the server domain whitelist.
  await page.check('input[name=server_domains]');
  await click(page, 'button:has-text("Save switches")');
  assert.match(await page.textContent('.flash'), /Saved the permission control switches/);
  assert.equal(await page.isChecked('input[name=server_domains]'), true);
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkRequest('mp_shop', 'https://api.shop.example/cart').allow, true);
  assert.equal(guard.checkRequest('mp_shop', 'https://elsewhere.example/x').code, 'domain_not_whitelisted');

  // Edit: change the remark; a duplicate of the same entry spelled
  // differently is refused.
  await click(page, 'tr:has-text("api.shop.example") >> text=Edit');
  await page.fill('#edit-server_domains-remark', 'cart and orders');
  await click(page, 'tr >> button:has-text("Save")');
  assert.match(await page.textContent('tr:has-text("api.shop.example")'), /cart and orders/);
  await page.fill('#add-server_domains-value', 'https://API.shop.example.');
  await click(page, '#server_domains ~ form >> button:has-text("Add")');
  assert.match(await page.textContent('.alert'), /the same entry as “https:\/\/api\.shop\.example”/);
  await screenshot(page, 'permission-control');

  // The 30-entry limit: 29 more through the API, the 31st refused here.
  for (let i = 2; i <= 30; i++) {
    const r = await api(w.server, w.tokens.senior, 'POST', '/api/v1/apps/mp_shop/whitelists/server_domains', { value: `https://s${i}.shop.example`, remark: '' });
    assert.equal(r.status, 201, r.text);
  }
  await page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
  assert.match(await page.textContent('main'), /30 of at most 30 entries/);
  await page.fill('#add-server_domains-value', 'https://s31.shop.example');
  await click(page, '#server_domains ~ form >> button:has-text("Add")');
  assert.match(await page.textContent('.alert'), /maximum of 30 entries/);
  assert.equal(await page.inputValue('#add-server_domains-value'), 'https://s31.shop.example');

  // Delete (confirmed in the dialog).
  await click(page, 'tr:has-text("s30.shop.example") >> button:has-text("Delete")');
  assert.match(await page.textContent('.flash'), /Deleted the entry/);
  assert.equal(await page.locator('tr:has-text("s30.shop.example")').count(), 0);

  // API whitelist and report mode.
  await page.fill('#add-api_whitelist-value', 'getWallet');
  await click(page, '#api_whitelist ~ form >> button:has-text("Add")');
  assert.match(await page.textContent('tr:has-text("getWallet")'), /getWallet/);
  await page.check('input[name=mode][value=report]');
  await click(page, 'button:has-text("Save mode")');
  assert.match(await page.textContent('.flash'), /“mp_shop” is now in report mode/);
  guard = await device.sync('mp_shop');
  const d = guard.checkRequest('mp_shop', 'https://elsewhere.example/x');
  assert.equal(d.allow, true);
  assert.equal(d.code, 'domain_not_whitelisted');

  // Review staff and the developer: read-only, no buttons, refused posts.
  for (const who of [rev]) {
    await who.page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
    assert.equal(await who.page.locator('main button:has-text("Add"), main button:has-text("Delete"), main button:has-text("Save")').count(), 0, who.name);
    assert.equal(await who.page.isDisabled('input[name=server_domains]'), true);
  }
  for (const who of [rev, dev]) {
    if (who === dev) await dev.page.goto('/console/apps/mp_shop/permissions');
    const r = await postFromPage(who.page, '/console/apps/mp_shop/whitelists/server_domains', { form: 'add-server_domains', value: 'https://evil.example', remark: '' });
    assert.equal(r.status, 403, `${who.name}: ${r.text}`);
    const c = await postFromPage(who.page, '/console/apps/mp_shop/control', { form: 'control' });
    assert.equal(c.status, 403, `${who.name}: ${c.text}`);
  }
  const app = (await api(w.server, w.tokens.boss, 'GET', '/api/v1/apps/mp_shop')).json;
  assert.ok(!JSON.stringify(app).includes('evil.example'));
  assert.equal(app.control.server_domains, true);
  assertNoProblems(w);
});

test('configuration management: SecretKey write-only, backend domain, key rotation, blocked hosts enforced', async () => {
  const { boss, senior, rev } = w.people;
  const { page } = boss;
  await page.goto(`/console/superapps/${SID}/config`);
  // The SecretKey is never on the page.
  assert.ok(!(await page.content()).includes('k3yK3yk3yK3yk3y1'));
  await page.fill('#login-secret_key', 'too-short');
  await page.fill('#login-backend_domain', 'http://api.demo.example');
  await click(page, 'form[action$="/config"] >> button:has-text("Save")');
  // One error at a time, named; the refused SecretKey is not echoed.
  assert.match(await page.textContent('.field-error'), /^(New SecretKey|Backend service domain): /);
  assert.equal(await page.inputValue('#login-secret_key'), '');
  assert.equal(await page.inputValue('#login-backend_domain'), 'http://api.demo.example');
  await page.fill('#login-secret_key', 'n3wK3yn3wK3yn3wK');
  await page.fill('#login-backend_domain', 'https://api2.demo.example');
  await click(page, 'form[action$="/config"] >> button:has-text("Save")');
  assert.match(await page.textContent('.flash'), /the new SecretKey is in force/);
  assert.ok(!(await page.content()).includes('n3wK3yn3wK3yn3wK'));
  assert.equal(await page.inputValue('#login-backend_domain'), 'https://api2.demo.example');

  // Rotation: publish a next key, then promote it.
  const before = await page.locator('#signing tbody tr, #signing ~ .table-wrap tbody tr').count();
  await click(page, 'button:has-text("Rotate: publish a next key")');
  assert.match(await page.textContent('.flash'), /Published the next key/);
  assert.match(await page.textContent('main'), /next/);
  await click(page, 'button:has-text("Promote the next key")');
  // Promoting before devices may have the key asks first (confirm.test.mjs).
  await click(page, 'button:has-text("Promote now")');
  assert.match(await page.textContent('.flash'), /signs from now on/);
  assert.ok((await page.locator('.table-wrap tbody tr').count()) > before);
  const keys = await (await fetch(`${w.server.url}/api/v1/superapps/${SID}/keys.json`)).json();
  assert.equal(keys.keys.length, 2, 'the old key stays published for its grace period');

  // Blocked hosts: a bad line is named by its number; a good list is enforced.
  // Blank lines count: the bad pattern is on line 4 of what was typed.
  await page.fill('#blocked-blocked_hosts', 'tracker.example\n\n\nhttps://bad.example/path');
  await click(page, 'button:has-text("Save blocked hosts")');
  assert.match(await page.textContent('.field-error'), /^Blocked host patterns: line 4: /);
  assert.match(await page.inputValue('#blocked-blocked_hosts'), /https:\/\/bad\.example\/path/);
  await page.fill('#blocked-blocked_hosts', 'tracker.example\n*.ads.example');
  await click(page, 'button:has-text("Save blocked hosts")');
  assert.match(await page.textContent('.flash'), /Saved 2 blocked host pattern/);
  await screenshot(page, 'configuration');
  // The mode is enforce for this walk.
  let r = await api(w.server, w.tokens.boss, 'PUT', '/api/v1/apps/mp_shop/mode', { mode: 'enforce' });
  assert.equal(r.status, 200, r.text);
  r = await api(w.server, w.tokens.boss, 'POST', '/api/v1/apps/mp_shop/whitelists/server_domains', { value: 'https://x.ads.example', remark: 'whitelisted yet blocked' });
  assert.equal(r.status, 201, r.text);
  const guard = await (await deviceGuard(w.server, SID)).sync('mp_shop');
  assert.equal(guard.checkRequest('mp_shop', 'https://x.ads.example/').code, 'domain_blocked');

  // The senior developer edits blocked hosts but not the SecretKey or keys;
  // review staff edit nothing.
  await senior.page.goto(`/console/superapps/${SID}/config`);
  assert.equal(await senior.page.isDisabled('#login-secret_key'), true);
  assert.equal(await senior.page.locator('button:has-text("Rotate")').count(), 0);
  assert.equal(await senior.page.locator('button:has-text("Save blocked hosts")').count(), 1);
  const forged = await postFromPage(senior.page, `/console/superapps/${SID}/config`, { form: 'login', secret_key: 'pWn3dpWn3dpWn3dX', backend_domain: 'https://evil.example' });
  assert.equal(forged.status, 403, forged.text);
  await rev.page.goto(`/console/superapps/${SID}/config`);
  assert.equal(await rev.page.locator('main button').count(), 0);
  for (const path of ['signing-keys/rotate', 'blocked-hosts']) {
    const f = await postFromPage(rev.page, `/console/superapps/${SID}/${path}`, { form: 'x', blocked_hosts: '' });
    assert.equal(f.status, 403, `${path}: ${f.text}`);
  }
  const sa = (await api(w.server, w.tokens.boss, 'GET', `/api/v1/superapps/${SID}`)).json;
  assert.equal(sa.backend_domain, 'https://api2.demo.example');
  const bh = (await api(w.server, w.tokens.boss, 'GET', `/api/v1/superapps/${SID}/blocked-hosts`)).json;
  assert.deepEqual([...bh.blocked_hosts].sort(), ['*.ads.example', 'tracker.example']);
  assertNoProblems(w);
});
