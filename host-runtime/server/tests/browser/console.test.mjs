// The web console in a real browser (Debian's Chromium via playwright-core)
// against a real `guard serve` process: each role's workflows end to end,
// their forbidden buttons absent and forbidden posts refused, the guard
// enforcing what the console decided, escaping, axe-core on every screen,
// and screenshots. One server per file run; GUARD_CONSOLE_PG_URL runs it on
// PostgreSQL instead of SQLite.
//
//   GUARD_SERVER_BIN=target/debug/guard-server node --test host-runtime/server/tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  person, acceptInvite, click, postFromPage, screenshot, deviceGuard, world, SID,
} from './lib.mjs';

let w;
let server;
let chrome;
let people;

before(async () => {
  w = await world();
  ({ server, people } = w);
  chrome = w.chrome;
});

after(async () => {
  await w?.close();
});

test('guard serve prints the console address and the bootstrap invite, which signs the admin in', async () => {
  assert.equal(server.console, `${server.url}/console/`);
  assert.match(server.invite, /\/console\/invite#gi_[0-9a-f]{40}$/);
  people.admin = await person(chrome.browser, server, 'admin');
  await acceptInvite(people.admin, server.invite);
  assert.equal(new URL(people.admin.page.url()).pathname, '/console/applications');
  // The invite link is spent.
  const again = await person(chrome.browser, server, 'again');
  await again.page.goto(server.invite);
  await again.page.fill('#password', 'another password here');
  await again.page.fill('#confirm', 'another password here');
  await click(again.page, 'button[type=submit]');
  assert.match(await again.page.textContent('.field-error'), /Invite code: this invite is unknown, already used or expired/);
  await again.context.close();
});

test('permission: a developer requests, review staff approve, the bundle allows; a senior developer revokes, the bundle denies', async () => {
  const { dev, rev, senior, boss } = people;

  // Developer: a mini program, which files its binding request; the app
  // secret is shown once.
  await dev.page.goto('/console/apps');
  assert.match(await dev.page.textContent('main'), /You have no mini program yet/);
  await click(dev.page, 'text=Create a mini program >> nth=-1');
  await dev.page.fill('#create-superapp_id', SID);
  await dev.page.fill('#create-id', 'mp_shop');
  await dev.page.fill('#create-name', 'Shop');
  await click(dev.page, 'button:has-text("Create and request binding")');
  const secret = await dev.page.textContent('#app-secret');
  assert.match(secret, /^[0-9a-f]{32}$/);
  await screenshot(dev.page, 'developer-app-created');

  // Superapp admin: approves the binding.
  await boss.page.goto(`/console/superapps/${SID}/apps`);
  await click(boss.page, 'tr:has-text("mp_shop") >> button:has-text("Approve")');
  assert.match(await boss.page.textContent('.flash'), /Bound “mp_shop”/);

  const device = await deviceGuard(server, SID);
  let guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'getLocation').code, 'permission_not_granted');

  // Developer: Request permission, with a reason.
  await dev.page.goto('/console/apps/mp_shop/permissions');
  await screenshot(dev.page, 'developer-api-permissions');
  await click(dev.page, 'tr:has-text("getLocation") >> text=Request permission');
  await click(dev.page, 'button:has-text("Request permission")');
  assert.match(await dev.page.textContent('.field-error'), /Reason: must not be empty/);
  await dev.page.fill('#request-reason', 'show the nearest store');
  await click(dev.page, 'button:has-text("Request permission")');
  assert.match(await dev.page.textContent('.flash'), /Requested “getLocation”/);
  assert.match(await dev.page.textContent('tr:has-text("getLocation")'), /requested: pending/);

  // Review staff: the pending list, the approval window, approve with a note.
  await rev.page.goto(`/console/superapps/${SID}/approvals`);
  await screenshot(rev.page, 'approvals-pending');
  await click(rev.page, 'tr:has-text("getLocation") >> text=Approve');
  await rev.page.fill('#decide-note', 'ok for the store finder');
  await screenshot(rev.page, 'approval-window');
  await click(rev.page, 'button[value=approve]');
  assert.match(await rev.page.textContent('.flash'), /Approved “getLocation” for “mp_shop”/);
  await click(rev.page, 'a:has-text("Approved (1)")');
  assert.match(await rev.page.textContent('tbody'), /ok for the store finder/);

  // The next bundle allows it.
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'getLocation').allow, true);

  // Senior developer: API details, Revoke authorization.
  await senior.page.goto(`/console/superapps/${SID}/apis`);
  await click(senior.page, 'tr:has-text("getLocation") >> text=Details');
  await screenshot(senior.page, 'api-details');
  // The reason is asked (decision 466): the developer reads it.
  await senior.page.fill('tr:has-text("mp_shop") >> input[name=reason]', 'the store finder moved to the web');
  await click(senior.page, 'tr:has-text("mp_shop") >> button:has-text("Revoke authorization")');
  assert.match(await senior.page.textContent('.flash'), /Revoked “mp_shop”'s authorization for “getLocation”/);
  assert.match(await senior.page.textContent('main'), /No mini program or mini game is authorized/);

  // The next bundle denies it; the developer sees it must request again.
  guard = await device.sync('mp_shop');
  assert.equal(guard.checkApi('mp_shop', 'getLocation').code, 'permission_not_granted');
  await dev.page.goto('/console/apps/mp_shop/permissions');
  const row = await dev.page.textContent('tr:has-text("getLocation")');
  assert.match(row, /revoked: request again/);
  // The developer reads why, and no longer the approval's note.
  assert.match(row, /Note: the store finder moved to the web/);
  assert.doesNotMatch(row, /ok for the store finder/);
  for (const p of Object.values(people)) assert.deepEqual(p.problems, [], p.name);
});

test('sensitive API management: restrict, allow, add platform and custom APIs; each role sees only its buttons', async () => {
  const { boss, rev, dev, admin } = people;
  await boss.page.goto(`/console/superapps/${SID}/apis`);
  await screenshot(boss.page, 'sensitive-apis');
  await click(boss.page, 'tr:has-text("chooseImage") >> button:has-text("Allow")');
  // Allow for every mini program asks first (confirm.test.mjs walks it).
  await click(boss.page, 'button:has-text("Allow for every mini program")');
  assert.match(await boss.page.textContent('tr:has-text("chooseImage")'), /Public/);
  await click(boss.page, 'tr:has-text("chooseImage") >> button:has-text("Restrict")');
  assert.match(await boss.page.textContent('tr:has-text("chooseImage")'), /Restricted/);

  // Add: a platform API found by search, and a custom API.
  await click(boss.page, 'text=Add sensitive API');
  await boss.page.fill('#q', 'scanCode');
  await click(boss.page, 'button:has-text("Search")');
  await screenshot(boss.page, 'add-sensitive-api');
  await click(boss.page, 'tr:has-text("scanCode") >> button:has-text("Add")');
  assert.match(await boss.page.textContent('.flash'), /Added “scanCode”/);
  await click(boss.page, 'text=Add sensitive API');
  await boss.page.fill('#custom-name', 'getWallet');
  await click(boss.page, 'button:has-text("Add custom API")');
  // Refused: the field named, the input kept.
  assert.match(await boss.page.textContent('.field-error'), /Function: a custom API needs a description/);
  assert.equal(await boss.page.inputValue('#custom-name'), 'getWallet');
  await boss.page.fill('#custom-description', 'pays with the wallet');
  await boss.page.check('input[name=scope][value=mini_program]');
  await click(boss.page, 'button:has-text("Add custom API")');
  assert.match(await boss.page.textContent('tr:has-text("getWallet")'), /pays with the wallet.*Restricted/s);

  // Review staff and the platform admin: read-only (no Add, Restrict, Allow, Delete).
  for (const who of [rev, admin]) {
    await who.page.goto(`/console/superapps/${SID}/apis`);
    assert.equal(await who.page.locator('text=Add sensitive API').count(), 0, who.name);
    assert.equal(await who.page.locator('button:has-text("Restrict"), button:has-text("Allow"), button:has-text("Delete")').count(), 0, who.name);
    // ... and a forged Allow changes nothing.
    const r = await postFromPage(who.page, `/console/superapps/${SID}/apis/getWallet/status`, { form: 'status', status: 'public' });
    assert.equal(r.status, 403, `${who.name}: ${r.text}`);
    assert.match(r.text, /may not “manage_apis”/);
  }
  await boss.page.reload();
  assert.match(await boss.page.textContent('tr:has-text("getWallet")'), /Restricted/);
  // A developer of a bound app reads the list (the API lets it), without
  // any button, and has no superapp navigation.
  await dev.page.goto(`/console/superapps/${SID}/apis`);
  assert.equal(await dev.page.locator('text=Add sensitive API').count(), 0);
  assert.equal(await dev.page.locator('main button').count(), 1, 'the search button only');
  assert.equal(await dev.page.locator('nav.side >> text=Sensitive API call approvals').count(), 0);
});

test('approvals: the approval window is the reviewers\'; a developer\'s forged decision is refused', async () => {
  const { dev, senior, rev } = people;
  await dev.page.goto('/console/apps/mp_shop/permissions');
  await click(dev.page, 'tr:has-text("chooseImage") >> text=Request permission');
  await dev.page.fill('#request-reason', 'profile pictures');
  await click(dev.page, 'button:has-text("Request permission")');
  const rid = (await dev.page.textContent('.flash')).match(/req_[0-9a-f]+/)[0];
  // The senior developer sees the request, not the Approve button.
  await senior.page.goto(`/console/superapps/${SID}/approvals`);
  assert.equal(await senior.page.locator('tr:has-text("chooseImage") >> text=Approve').count(), 0);
  await click(senior.page, 'tr:has-text("chooseImage") >> text=Details');
  assert.equal(await senior.page.locator('button[value=approve]').count(), 0);
  // Forged decisions: 403, and the request stays pending.
  for (const who of [dev, senior]) {
    const r = await postFromPage(who.page, `/console/requests/${rid}/decision`, { form: 'decide', decision: 'approve' });
    assert.equal(r.status, 403, `${who.name}: ${r.text}`);
  }
  await rev.page.goto(`/console/superapps/${SID}/approvals`);
  assert.match(await rev.page.textContent('tr:has-text("chooseImage")'), /profile pictures/);
  // Rejected with a note: the developer reads it.
  await click(rev.page, 'tr:has-text("chooseImage") >> text=Approve');
  await rev.page.fill('#decide-note', 'use the avatar API instead');
  await click(rev.page, 'button[value=reject]');
  await dev.page.goto('/console/apps/mp_shop/permissions');
  assert.match(await dev.page.textContent('tr:has-text("chooseImage")'), /rejected.*use the avatar API instead/s);
});

test('a refused binding decision shows the binding\'s own superapp, whatever the form says; an unknown binding is a 404 page', async () => {
  const { boss } = people;
  const r = await fetch(`${server.url}/api/v1/superapps/${SID}/bindings?status=approved`, { headers: { authorization: `Bearer ${w.tokens.boss}` } });
  const [bound] = (await r.json()).bindings;
  assert.ok(bound, 'mp_shop was bound by the walk above');
  await boss.page.goto(`/console/superapps/${SID}/apps`);
  // Tried: deciding it again, with a `sid` field naming another superapp.
  const again = await postFromPage(boss.page, `/console/bindings/${bound.id}/decision`, { form: 'binding', decision: 'reject', sid: 'elsewhere' });
  assert.equal(again.status, 409);
  assert.match(again.text, /already decided/);
  assert.match(again.text, new RegExp(`Binding requests`));
  assert.doesNotMatch(again.text, /elsewhere/);
  const unknown = await postFromPage(boss.page, '/console/bindings/bind_0000000000000000/decision', { form: 'binding', decision: 'approve' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /binding “bind_0000000000000000” not found/);
});
