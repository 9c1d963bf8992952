// Violations in the console: the guard on a "device" (the JS bridge over
// the same .wasm, loaded with the app's real signed bundle) denies calls,
// its report batch goes to the superapp's reports endpoint without
// credentials, and the people who fix or decide see it: the superapp's
// list (totals per app), an app's top denied hosts and APIs, and for a
// report-mode app what enforcing would break. Tried: a developer opening
// the superapp-wide list (spans every team: refused), a developer of
// another team opening the app's (refused), and a report naming an app the
// superapp never bound (counted as refused, shown nowhere).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { world, boundApp, api, checkAxe, screenshot, person, acceptInvite, PASSWORD, assertNoProblems, deviceGuard, SID } from './lib.mjs';

let w;

async function send(body) {
  const res = await fetch(`${w.server.url}/api/v1/superapps/${SID}/reports`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  return JSON.parse(text);
}

before(async () => {
  w = await world();
  const { server, tokens } = w;
  await boundApp(w, 'mp_shop', 'Shop');
  await boundApp(w, 'mp_trial', 'Trial');
  let r = await api(server, tokens.senior, 'POST', '/api/v1/apps/mp_shop/whitelists/server_domains', { value: 'https://api.shop.example', remark: 'backend' });
  assert.equal(r.status, 201, r.text);
  r = await api(server, tokens.senior, 'PUT', '/api/v1/apps/mp_trial/mode', { mode: 'report' });
  assert.equal(r.status, 200, r.text);
  // Permission control on: the whitelists apply.
  for (const app of ['mp_shop', 'mp_trial']) {
    r = await api(server, tokens.senior, 'PUT', `/api/v1/apps/${app}/control`, { server_domains: true, apis: true, webview_domains: true });
    assert.equal(r.status, 200, r.text);
  }

  // The device: each app's bundle, then what its mini program tries.
  const device = await deviceGuard(server, SID);
  let g = await device.sync('mp_shop');
  for (let i = 0; i < 3; i++) assert.equal(g.checkRequest('mp_shop', 'https://tracker.evil.example/pixel?uid=42').allow, false);
  assert.equal(g.checkRequest('mp_shop', 'https://api.shop.example/cart').allow, true);
  assert.equal(g.checkApi('mp_shop', 'getLocation').allow, false);
  let batch = g.takeReports();
  // Never the path or the query: only the host.
  assert.doesNotMatch(batch.body, /pixel|uid=42/);
  let taken = await send(batch.body);
  assert.deepEqual(taken, { accepted: batch.reports, refused: 0 });

  // Another phone, running the trial app (an app's bundle is per app).
  g = await (await deviceGuard(server, SID)).sync('mp_trial');
  assert.equal(g.checkRequest('mp_trial', 'https://cdn.trial.example/a.js').allow, true, 'report mode allows');
  batch = g.takeReports();
  taken = await send(batch.body);
  assert.equal(taken.accepted, 1);

  // An app the superapp never bound: refused, stored nowhere.
  taken = await send(JSON.stringify({ reports: [{ app: 'mp_ghost', kind: 'api', api: 'getWallet', code: 'unknown_app', mode: 'enforce', policy_version: 1, count: 5, first_seen: 1, last_seen: 2 }] }));
  assert.deepEqual(taken, { accepted: 0, refused: 1 });
});

after(async () => {
  await w?.close();
});

test('review staff see each app\'s totals and open an app\'s top denied hosts and APIs', async () => {
  const { page } = w.people.rev;
  const res = await page.goto(`/console/superapps/${SID}/violations`);
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('nav a[aria-current=page]').textContent(), 'Violations');
  const shop = page.locator('#violations tr', { hasText: 'mp_shop' });
  // 3 denied requests + 1 denied API; nothing would break (enforce mode).
  assert.deepEqual((await shop.locator('td').allTextContents()).slice(0, 5), ['mp_shop', 'enforce', '4', '0', '2']);
  const trial = page.locator('#violations tr', { hasText: 'mp_trial' });
  assert.deepEqual((await trial.locator('td').allTextContents()).slice(0, 5), ['mp_trial', 'report', '0', '1', '1']);
  assert.equal(await page.locator('#violations tr', { hasText: 'mp_ghost' }).count(), 0);
  await checkAxe(page, 'superapp violations');
  await screenshot(page, 'violations');

  await Promise.all([page.waitForNavigation(), shop.locator('a', { hasText: 'Details' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/console/apps/mp_shop/violations');
  const host = page.locator('#hosts tbody tr').first();
  const cells = await host.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 5), ['tracker.evil.example', 'request', 'domain_not_whitelisted', 'enforce', '3']);
  const apiRow = await page.locator('#apis tbody tr').first().locator('td').allTextContents();
  assert.deepEqual(apiRow.slice(0, 5), ['getLocation', 'api', 'permission_not_granted', 'enforce', '1']);
  // Enforce mode: no "what enforcing would break" section.
  assert.equal(await page.locator('#would-break').count(), 0);
  await checkAxe(page, 'app violations');
});

test('a report-mode app shows what enforcing would break', async () => {
  const { page } = w.people.senior;
  assert.equal((await page.goto('/console/apps/mp_trial/violations')).status(), 200);
  assert.match(await page.textContent('main'), /report mode/);
  const row = await page.locator('#would-break tbody tr').first().locator('td').allTextContents();
  assert.deepEqual(row.slice(0, 5), ['cdn.trial.example', 'request', 'domain_not_whitelisted', 'report', '1']);
  assert.equal(await page.locator('main a', { hasText: 'Permission control' }).count(), 1);
  // Would-be denials are not listed again as denials.
  assert.equal(await page.locator('#hosts').count(), 0);
  await checkAxe(page, 'report-mode violations');
  await screenshot(page, 'violations-report-mode');
});

test('a developer sees their app\'s violations from its tabs, and never the superapp-wide list', async () => {
  const { page } = w.people.dev;
  await page.goto('/console/apps/mp_shop/permissions');
  await Promise.all([page.waitForNavigation(), page.click('.tabs a:text("Violations")')]);
  assert.equal(new URL(page.url()).pathname, '/console/apps/mp_shop/violations');
  assert.equal(await page.locator('#hosts tbody tr').count(), 1);
  // The crumbs lead to their own list, not the superapp's.
  assert.equal(await page.locator('.crumbs a').getAttribute('href'), '/console/apps');
  assert.equal(await page.locator('nav a', { hasText: 'Violations' }).count(), 0);
  const res = await page.goto(`/console/superapps/${SID}/violations`);
  assert.equal(res.status(), 403);

  // A developer of another team: not their app.
  let r = await api(w.server, w.server.token, 'POST', '/api/v1/teams', { id: 'other-team', name: 'Other team' });
  assert.equal(r.status, 201, r.text);
  r = await api(w.server, w.server.token, 'POST', '/api/v1/accounts', { id: 'dev2', name: 'Other Dev', role: 'developer', team_id: 'other-team' });
  assert.equal(r.status, 201, r.text);
  const inv = await api(w.server, w.server.token, 'POST', '/api/v1/accounts/dev2/invites');
  const other = await person(w.chrome.browser, w.server, 'dev2');
  await acceptInvite(other, inv.json.url);
  const refused = await other.page.goto('/console/apps/mp_shop/violations');
  assert.equal(refused.status(), 403);
  assert.doesNotMatch(await other.page.textContent('main'), /tracker\.evil\.example/);
  await other.context.close();
  assertNoProblems(w);
});

test('signed out, the violations pages go to sign-in', async () => {
  const anon = await person(w.chrome.browser, w.server, 'anon');
  await anon.page.goto('/console/apps/mp_shop/violations');
  assert.equal(new URL(anon.page.url()).pathname, '/console/login');
  // Signing in on that page comes back to where they were going.
  await anon.page.fill('#account', 'rev');
  await anon.page.fill('#password', PASSWORD);
  await Promise.all([anon.page.waitForNavigation(), anon.page.click('button[type=submit]')]);
  assert.equal(new URL(anon.page.url()).pathname, '/console/apps/mp_shop/violations');
  await anon.context.close();
});
