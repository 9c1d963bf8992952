// The platform screens and the console's own security in a real browser:
// the super admin signs in with the invite `guard serve` printed, creates a
// team and an account (refused forms name their field), the new person
// signs in with the invite link shown once; a platform admin has no
// account form and its forged post is refused; the audit logs filter;
// names holding markup are shown as text; every response carries the CSP
// and no token or code ever appears in a URL the browser went to; signing
// out ends the session on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, person, acceptInvite, click, postFromPage, screenshot, api, signIn,
  boundApp, SID, PASSWORD,
} from './lib.mjs';

let server;
let chrome;
let admin;
const visited = [];

before(async () => {
  server = await startServer({ pgUrl: process.env.GUARD_CONSOLE_PG_URL });
  chrome = await launch();
  admin = await person(chrome.browser, server, 'admin');
  // Every URL the browser sent (fragments never leave the browser).
  admin.page.on('request', (r) => visited.push(r.url()));
  await acceptInvite(admin, server.invite);
});

after(async () => {
  await chrome?.close();
  await server?.close();
});

const MARKUP = '<img src=x onerror="window.pwned=1">';

test('platform: teams, accounts with an invite shown once, the invited person signs in', async () => {
  const { page } = admin;
  await page.goto('/console/platform/teams');
  assert.match(await page.textContent('main'), /There is no team yet/);
  await page.fill('#team-id', 'bad id!');
  await page.fill('#team-name', MARKUP);
  await click(page, 'button:has-text("Create team")');
  assert.match(await page.textContent('.field-error'), /^Team id: /);
  assert.equal(await page.inputValue('#team-name'), MARKUP);
  await page.fill('#team-id', 'shop-team');
  await click(page, 'button:has-text("Create team")');
  assert.match(await page.textContent('.flash'), /Created team “shop-team”/);
  // The markup is text: shown, not run, no element made of it.
  assert.match(await page.textContent('tbody'), /<img src=x onerror="window\.pwned=1">/);
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await screenshot(page, 'platform-teams');

  // A superapp through the API, so an account can be scoped to it.
  let r = await api(server, server.token, 'POST', '/api/v1/superapps', { id: SID, name: MARKUP, secret_key: 'k3yK3yk3yK3yk3y1', backend_domain: 'https://api.demo.example', team_id: 'shop-team' });
  assert.equal(r.status, 201, r.text);

  await page.goto('/console/platform/accounts');
  await page.fill('#account-id', 'boss');
  await page.fill('#account-name', 'Sam Admin');
  await page.check('input[name=role][value=superapp_admin]');
  await click(page, 'button:has-text("Create account and invite")');
  assert.match(await page.textContent('.field-error'), /^Superapp: is required for role “superapp_admin”/);
  assert.equal(await page.inputValue('#account-id'), 'boss');
  assert.equal(await page.isChecked('input[name=role][value=superapp_admin]'), true);
  await page.selectOption('#account-superapp_id', SID);
  await click(page, 'button:has-text("Create account and invite")');
  const link = (await page.textContent('#invite-link')).trim();
  const token = (await page.textContent('#account-token')).trim();
  assert.match(link, /\/console\/invite#gi_[0-9a-f]+$/);
  assert.match(token, /^gt_/);
  await screenshot(page, 'platform-invite');
  // Shown once: the accounts page has neither.
  await page.goto('/console/platform/accounts');
  assert.ok(!(await page.content()).includes(token));
  assert.ok(!(await page.content()).includes(link.split('#')[1]));
  assert.match(await page.textContent('tr:has-text("boss")'), /invited/);
  await screenshot(page, 'platform-accounts');

  // The person opens the link in their own browser.
  const boss = await person(chrome.browser, server, 'boss');
  await acceptInvite(boss, link);
  assert.equal(new URL(boss.page.url()).pathname, `/console/superapps/${SID}/apis`);
  await page.reload();
  assert.match(await page.textContent('tr:has-text("boss")'), /set/);
  // The token works for automation.
  r = await api(server, token, 'GET', `/api/v1/superapps/${SID}/apis`);
  assert.equal(r.status, 200, r.text);

  // A new invite for boss: the password stays until it is used.
  await click(page, 'tr:has-text("boss") >> button:has-text("New invite link")');
  assert.match(await page.textContent('#invite-link'), /#gi_/);
  assert.equal(await page.locator('#account-token').count(), 0, 'no token for a new invite');

  // Disable boss: their open session ends at once, their token and password
  // stop working; enabled, the token works again. Nobody disables themselves.
  await page.goto('/console/platform/accounts');
  const adminRow = page.locator('tr', { has: page.locator('td:first-child code', { hasText: /^admin$/ }) });
  assert.equal(await adminRow.count(), 1);
  assert.equal(await adminRow.locator('button:has-text("Disable")').count(), 0);
  assert.equal(await adminRow.locator('button:has-text("New invite link")').count(), 1);
  await click(page, 'tr:has-text("boss") >> button:has-text("Disable")');
  assert.match(await page.textContent('.flash'), /Disabled “boss”/);
  assert.match(await page.textContent('tr:has-text("boss")'), /disabled/);
  await boss.page.goto(`/console/superapps/${SID}/apis`);
  assert.equal(new URL(boss.page.url()).pathname, '/console/login');
  r = await api(server, token, 'GET', `/api/v1/superapps/${SID}/apis`);
  assert.equal(r.status, 401, r.text);
  await signIn(boss, 'boss');
  assert.match(await boss.page.textContent('main'), /Wrong account or password/);
  // Tried: a forged self-disable by the admin is refused.
  const self = await postFromPage(page, '/console/platform/accounts/admin/disable', { form: 'status' });
  assert.equal(self.status, 409, self.text);
  await page.goto('/console/platform/accounts');
  await click(page, 'tr:has-text("boss") >> button:has-text("Enable")');
  assert.match(await page.textContent('.flash'), /Enabled “boss”/);
  r = await api(server, token, 'GET', `/api/v1/superapps/${SID}/apis`);
  assert.equal(r.status, 200, r.text);
  await boss.context.close();
});

test('a platform admin creates teams but no account; forged account and invite posts are refused', async () => {
  let r = await api(server, server.token, 'POST', '/api/v1/accounts', { id: 'plat', name: 'Pat Form', role: 'platform_admin' });
  assert.equal(r.status, 201, r.text);
  const inv = await api(server, server.token, 'POST', '/api/v1/accounts/plat/invites');
  const plat = await person(chrome.browser, server, 'plat');
  await acceptInvite(plat, inv.json.url);
  await plat.page.goto('/console/platform/accounts');
  assert.equal(await plat.page.locator('text=Create account').count(), 0);
  assert.equal(await plat.page.locator('button:has-text("New invite link")').count(), 0);
  assert.equal(await plat.page.locator('button:has-text("Disable")').count(), 0);
  const before = (await api(server, server.token, 'GET', '/api/v1/accounts')).json;
  for (const [path, fields] of [
    ['/console/platform/accounts', { form: 'account', id: 'mole', name: 'Mole', role: 'super_admin' }],
    ['/console/platform/accounts/admin/invite', { form: 'invite' }],
    ['/console/platform/accounts/admin/disable', { form: 'status' }],
  ]) {
    const f = await postFromPage(plat.page, path, fields);
    assert.equal(f.status, 403, `${path}: ${f.text}`);
    assert.ok(!f.text.includes('#gi_'), 'no invite link in a refusal');
  }
  assert.deepEqual((await api(server, server.token, 'GET', '/api/v1/accounts')).json, before);
  await plat.page.goto('/console/platform/teams');
  assert.equal(await plat.page.locator('button:has-text("Create team")').count(), 1);
  await plat.context.close();
});

test('audit logs with filters, for the platform and for a superapp', async () => {
  const { page } = admin;
  await page.goto('/console/platform/audit');
  assert.match(await page.textContent('tbody'), /create_team/);
  assert.match(await page.textContent('tbody'), /create_account/);
  await page.selectOption('#f-action', 'create_team');
  await click(page, 'button:has-text("Filter")');
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.textContent('tbody'), /team:shop-team|shop-team/);
  await page.fill('#f-target', 'no-such-target');
  await click(page, 'button:has-text("Filter")');
  assert.match(await page.textContent('main'), /No change matches this filter/);
  // The superapp's log: its creation and changes, filtered by who.
  const tokens = {};
  for (const [id, role, extra] of [['dev', 'developer', { team_id: 'shop-team' }], ['senior', 'superapp_senior_developer', { superapp_id: SID }]]) {
    const r = await api(server, server.token, 'POST', '/api/v1/accounts', { id, name: id, role, ...extra });
    tokens[id] = r.json.token;
  }
  const boss = (await api(server, server.token, 'POST', '/api/v1/accounts', { id: 'boss2', name: 'b', role: 'superapp_admin', superapp_id: SID })).json.token;
  await boundApp({ server, tokens: { dev: tokens.dev, boss } }, 'mp_shop', MARKUP);
  const r = await api(server, tokens.senior, 'POST', `/api/v1/superapps/${SID}/apis/getLocation/allow`);
  assert.equal(r.status, 200, r.text);
  await page.goto(`/console/superapps/${SID}/audit`);
  await screenshot(page, 'audit-log');
  assert.ok((await page.locator('tbody tr').count()) >= 3);
  await page.selectOption('#f-actor', 'senior');
  await click(page, 'button:has-text("Filter")');
  const rows = await page.locator('tbody tr').allTextContents();
  assert.ok(rows.length >= 1 && rows.every((t) => t.includes('senior')), rows.join('\n'));
  // The filter is in the address (shareable), and the page still escapes.
  assert.match(page.url(), /actor=senior/);
  // A page past the last (an old or hand-typed link) goes to the last one.
  await page.goto(`/console/superapps/${SID}/audit?actor=senior&page=999`);
  assert.match(page.url(), /actor=senior&action=&target=&page=1$/);
  assert.ok((await page.locator('tbody tr').count()) >= 1);
  await page.goto(`/console/superapps/${SID}/apps`);
  assert.match(await page.textContent('tbody'), /<img src=x/);
  assert.equal(await page.locator('main img').count(), 0);
});

test('the console itself: CSP on every response, no secret in any URL, sign-out ends the session', async () => {
  const res = await admin.page.goto('/console/platform/accounts');
  const h = res.headers();
  assert.match(h['content-security-policy'], /script-src 'self'/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.ok(!/unsafe-inline/.test(h['content-security-policy']));
  assert.equal(h['x-frame-options'], 'DENY');
  assert.equal(h['cache-control'], 'no-store');
  // No inline script or style on any page: every <script> has a src, no
  // style attribute or element.
  assert.equal(await admin.page.locator('script:not([src]), style, [style]').count(), 0);
  // No token, invite code or form field in any URL the server was sent
  // (the invite link's code is in its fragment, which is never sent).
  assert.ok(visited.length > 5);
  for (const u of visited) assert.ok(!u.includes('#') && !/gt_|gi_|csrf=|password=|secret/.test(u), u);
  // Cookies: HttpOnly, SameSite=Strict.
  const [cookie] = await admin.context.cookies();
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  // Sign out: the session row is gone, so the old cookie opens nothing.
  await click(admin.page, 'button:has-text("Sign out")');
  assert.match(admin.page.url(), /\/console\/login\?signed_out=1$/);
  await admin.context.addCookies([cookie]);
  await admin.page.goto('/console/platform/accounts');
  assert.match(new URL(admin.page.url()).pathname, /\/console\/login$/);
  // Signs in again with the password set through the invite.
  await signIn(admin, 'admin', PASSWORD);
  assert.equal(new URL(admin.page.url()).pathname, '/console/applications');
  assert.deepEqual(admin.problems, []);
});
