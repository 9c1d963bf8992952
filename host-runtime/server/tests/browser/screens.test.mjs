// Every console screen, for the role that uses it, with data on it: it
// answers 200, axe-core finds no serious or critical violation, it fits a
// laptop (1280 px) and a tablet (768 px) without the page scrolling
// sideways, no script error or CSP refusal happens, and its screenshot goes
// to docs/console/ (UPDATE_SCREENSHOTS=1). Times show in the viewer's own
// time zone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  world, boundApp, api, checkAxe, screenshot, person, signIn, acceptInvite, assertNoProblems,
  zipSync, strToU8, SID,
} from './lib.mjs';

let w;
const ids = {};

async function upload(version) {
  const zip = zipSync({ 'app.js': strToU8(`App({v:'${version}'})`) });
  const res = await fetch(`${w.server.url}/api/v1/apps/mp_shop/versions?app_version=${version}&description=${encodeURIComponent(`release ${version}`)}`, {
    method: 'POST', headers: { authorization: `Bearer ${w.tokens.dev}`, 'content-type': 'application/zip' }, body: zip,
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  w = await world();
  const { server, tokens } = w;
  w.people.admin = await person(w.chrome.browser, server, 'admin');
  await acceptInvite(w.people.admin, server.invite);
  await boundApp(w, 'mp_shop', 'Shop');
  // Data on every screen: a pending and a decided permission request, a
  // released and a pending version, whitelist entries, a waiting binding.
  let r = await api(server, tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'getLocation', reason: 'the nearest store' });
  assert.equal(r.status, 201, r.text);
  ids.request = r.json.id;
  r = await api(server, tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'chooseImage', reason: 'avatars' });
  r = await api(server, tokens.rev, 'POST', `/api/v1/requests/${r.json.id}/decision`, { decision: 'approve', note: 'ok' });
  assert.equal(r.status, 200, r.text);
  await upload('1.0.0');
  r = await api(server, tokens.dev, 'POST', '/api/v1/apps/mp_shop/releases', { app_version: '1.0.0' });
  assert.equal(r.status, 201, r.text);
  r = await api(server, tokens.rev, 'POST', `/api/v1/releases/${r.json.id}/decision`, { decision: 'approve', note: 'fine' });
  assert.equal(r.status, 200, r.text);
  await upload('1.1.0');
  r = await api(server, tokens.dev, 'POST', '/api/v1/apps/mp_shop/releases', { app_version: '1.1.0' });
  ids.release = r.json.id;
  for (const [list, value, remark] of [['server_domains', 'https://api.shop.example', 'the shop backend'], ['api_whitelist', 'getWallet', ''], ['webview_domains', 'https://h5.shop.example', 'help pages']]) {
    r = await api(server, tokens.senior, 'POST', `/api/v1/apps/mp_shop/whitelists/${list}`, { value, remark });
    assert.equal(r.status, 201, r.text);
  }
  r = await api(server, tokens.dev, 'POST', `/api/v1/superapps/${SID}/apps`, { id: 'mg_puzzle', name: 'Puzzle', kind: 'mini_game', team_id: 'shop-team' });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await w?.close();
});

// [role, path, screenshot name (docs/console/<name>.png) or null when a walk takes it]
const SCREENS = [
  ['admin', '/console/applications', null],
  ['admin', '/console/applications/new', 'application-create'],
  ['admin', `/console/applications/${SID}`, null],
  ['admin', '/console/platform/teams', null],
  ['admin', '/console/platform/accounts', null],
  ['admin', '/console/platform/audit', 'platform-audit-log'],
  ['admin', '/console/account', 'account'],
  ['boss', `/console/superapps/${SID}/apis`, null],
  ['boss', `/console/superapps/${SID}/apis/new`, null],
  ['boss', `/console/superapps/${SID}/apis/getLocation`, null],
  ['boss', `/console/superapps/${SID}/approvals`, null],
  ['boss', `/console/superapps/${SID}/approvals?status=approved`, 'approvals-approved'],
  ['boss', () => `/console/superapps/${SID}/approvals/${ids.request}`, null],
  ['boss', `/console/superapps/${SID}/apps`, 'superapp-mini-programs'],
  ['boss', `/console/superapps/${SID}/review`, null],
  ['boss', `/console/superapps/${SID}/review?tab=reviewed`, 'review-reviewed'],
  ['boss', `/console/superapps/${SID}/review?tab=released`, null],
  ['boss', () => `/console/superapps/${SID}/review/${ids.release}`, null],
  ['boss', `/console/superapps/${SID}/control`, null],
  ['boss', `/console/superapps/${SID}/config`, null],
  ['boss', `/console/superapps/${SID}/audit`, null],
  ['boss', `/console/superapps/${SID}/violations`, null],
  ['boss', '/console/apps/mp_shop/violations', 'violations-empty'],
  ['boss', `/console/applications/${SID}/edit`, 'application-modify'],
  ['senior', `/console/superapps/${SID}/apis`, 'sensitive-apis-senior-developer'],
  ['senior', `/console/superapps/${SID}/control`, null],
  ['senior', `/console/superapps/${SID}/config`, 'configuration-senior-developer'],
  ['rev', `/console/superapps/${SID}/approvals`, null],
  ['rev', `/console/superapps/${SID}/review`, null],
  ['dev', '/console/apps', 'developer-mini-programs'],
  ['dev', '/console/apps/new', 'developer-create-mini-program'],
  ['dev', '/console/apps/mp_shop/permissions', null],
  ['dev', '/console/apps/mp_shop/permissions/scanCode', 'developer-request-permission'],
  ['dev', '/console/apps/mp_shop/versions', null],
  ['dev', '/console/apps/mp_shop/violations', null],
  ['dev', '/console/apps/mg_puzzle/permissions', 'developer-waiting-for-binding'],
  ['dev', '/console/no-such-page', 'not-found'],
];

test('every screen: 200, no serious or critical axe violation, fits a laptop and a tablet', async () => {
  for (const [role, p, shot] of SCREENS) {
    const path = typeof p === 'function' ? p() : p;
    const { page } = w.people[role];
    for (const [width, height] of [[1280, 860], [768, 1024]]) {
      await page.setViewportSize({ width, height });
      const res = await page.goto(path);
      assert.equal(res.status(), path.includes('no-such-page') ? 404 : 200, `${role} ${path}`);
      await checkAxe(page, `${role} ${path} at ${width}px`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${role} ${path} at ${width}px scrolls sideways by ${overflow}px`);
      if (shot && width === 1280) await screenshot(page, shot);
    }
  }
  assertNoProblems(w);
});

test('the signed-out screens: sign in (a wrong password refused), the invite form, a spent session', async () => {
  const anon = await person(w.chrome.browser, w.server, 'anon');
  for (const path of ['/console/login', '/console/invite']) {
    const res = await anon.page.goto(path);
    assert.equal(res.status(), 200);
    await checkAxe(anon.page, path);
    await screenshot(anon.page, path === '/console/login' ? 'sign-in' : 'invite');
  }
  // Without the fragment the person pastes the code: the field is there.
  assert.equal(await anon.page.inputValue('#code'), '');
  // Any console page signed out goes to sign-in and comes back after it.
  await anon.page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
  assert.equal(new URL(anon.page.url()).pathname, '/console/login');
  await anon.page.fill('#account', 'boss');
  await anon.page.fill('#password', 'not the password');
  await Promise.all([anon.page.waitForNavigation(), anon.page.click('button[type=submit]')]);
  assert.match(await anon.page.textContent('main'), /Wrong account or password/);
  assert.equal(await anon.page.inputValue('#account'), 'boss');
  await checkAxe(anon.page, 'refused sign-in');
  await signIn(anon, 'boss');
  // signIn opened the plain sign-in page, so the role's home follows.
  assert.equal(new URL(anon.page.url()).pathname, `/console/superapps/${SID}/apis`);
  // Their name in the header leads to their account.
  await Promise.all([anon.page.waitForNavigation(), anon.page.click('header a.who')]);
  assert.equal(new URL(anon.page.url()).pathname, '/console/account');
  assert.deepEqual(anon.problems, []);
  await anon.context.close();
});

test('times are shown in the viewer\'s time zone', async () => {
  const tokyo = await person(w.chrome.browser, w.server, 'tokyo', { timezoneId: 'Asia/Tokyo' });
  await signIn(tokyo, 'rev');
  await tokyo.page.goto(`/console/superapps/${SID}/approvals`);
  const t = tokyo.page.locator('tbody time').first();
  const iso = await t.getAttribute('datetime');
  const expected = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(new Date(iso));
  assert.equal((await t.textContent()).trim(), expected);
  assert.notEqual(expected, new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)));
  await tokyo.context.close();
});
