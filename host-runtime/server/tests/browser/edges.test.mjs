// The console's edges, from a phone and from outside: at 390 and 768 px a
// page opens on its content, not on the menu (one tap away); a query the
// page cannot parse (`?page=abc`) answers the console's error page, not
// plain text; a `next` that would resolve out of the console after sign-in
// (`/console/..//x`) is refused; every API response says `nosniff`; an
// over-long address gets a 414 that says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  shopWorld, person, acceptInvite, api, click, checkAxe, assertNoProblems, PASSWORD, SID,
} from './lib.mjs';

let w;

before(async () => {
  w = await shopWorld();
});

after(async () => {
  await w?.close();
});

for (const width of [390, 768]) {
  test(`at ${width} px a page opens on its content, the menu one tap away`, async () => {
    const inv = await api(w.server, w.server.token, 'POST', '/api/v1/accounts/senior/invites');
    assert.equal(inv.status, 201, inv.text);
    const phone = await person(w.chrome.browser, w.server, `senior-${width}`, { width, height: 800 });
    await acceptInvite(phone, inv.json.url);
    const { page } = phone;
    for (const path of [`/console/superapps/${SID}/control`, `/console/superapps/${SID}/apis`, '/console/applications']) {
      await page.goto(path);
      const h1 = await page.locator('main h1').boundingBox();
      const nav = await page.locator('nav.side').boundingBox();
      assert.ok(h1 && nav, path);
      assert.ok(h1.y + h1.height <= 800, `${path}: the heading is in the first screen (${h1.y})`);
      assert.ok(h1.y < nav.y, `${path}: the content comes before the menu`);
      // Nothing wider than the phone.
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= width, `${path}: ${scroll} px wide at ${width}`);
    }
    // The Menu link leads to the navigation.
    await page.click('a.menu-link');
    assert.equal(new URL(page.url()).hash, '#console-nav');
    const nav = await page.locator('nav.side').boundingBox();
    assert.ok(nav.y < 800 && nav.y >= -1, 'the menu is in view');
    await checkAxe(page, `control at ${width} px`);
    assert.deepEqual(phone.problems, []);
    await phone.context.close();
  });
}

test('?page=abc answers the console error page; an unparsable path too', async () => {
  const { page } = w.people.boss;
  for (const path of [`/console/superapps/${SID}/apis?page=abc`, `/console/superapps/${SID}/audit?page=-1`]) {
    const res = await page.goto(path);
    assert.equal(res.status(), 400, path);
    assert.match(res.headers()['content-type'], /^text\/html/);
    assert.ok(res.headers()['content-security-policy'], 'the console CSP');
    assert.match(await page.textContent('h1'), /Bad Request/);
    assert.match(await page.textContent('.alert'), /This address holds a value the page does not take/);
    await checkAxe(page, path);
  }
  assertNoProblems(w);
});

test('a next that would resolve out of the console is refused at sign-in', async () => {
  const inv = await api(w.server, w.server.token, 'POST', '/api/v1/accounts/rev/invites');
  assert.equal(inv.status, 201, inv.text);
  const who = await person(w.chrome.browser, w.server, 'rev-next');
  await acceptInvite(who, inv.json.url);
  await click(who.page, 'header button:has-text("Sign out")');
  for (const next of ['/console/..//x', '/console/%2e%2e/x', '/console/./..//evil.example']) {
    await who.page.goto(`/console/login?next=${encodeURIComponent(next)}`);
    await who.page.fill('#account', 'rev');
    await who.page.fill('#password', PASSWORD);
    await Promise.all([who.page.waitForNavigation(), who.page.click('button[type=submit]')]);
    const url = new URL(who.page.url());
    assert.equal(url.origin, w.server.url);
    assert.ok(url.pathname.startsWith('/console/'), `${next} went to ${url.pathname}`);
    assert.notEqual(url.pathname, '/x');
    await click(who.page, 'header button:has-text("Sign out")');
  }
  // A plain next still works.
  await who.page.goto(`/console/login?next=${encodeURIComponent(`/console/superapps/${SID}/review`)}`);
  await who.page.fill('#account', 'rev');
  await who.page.fill('#password', PASSWORD);
  await Promise.all([who.page.waitForNavigation(), who.page.click('button[type=submit]')]);
  assert.equal(new URL(who.page.url()).pathname, `/console/superapps/${SID}/review`);
  await who.context.close();
});

test('API responses carry nosniff; an over-long address gets a 414 with a body', async () => {
  const get = (path, token) => fetch(w.server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  for (const [path, token] of [
    [`/api/v1/superapps/${SID}/apis`, w.tokens.boss],
    ['/api/v1/apps/mp_shop/bundle', null],
    [`/api/v1/superapps/${SID}/keys.json`, null],
    ['/api/v1/superapps/nope/apis', w.tokens.boss],
    ['/api/v1/no-such-route', null],
    ['/openapi.json', null],
    ['/healthz', null],
  ]) {
    const res = await get(path, token);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
  }
  const long = 'a'.repeat(9000);
  let res = await get(`/api/v1/superapps/${long}`, w.tokens.boss);
  assert.equal(res.status, 414);
  const body = await res.json();
  assert.equal(body.error.code, 'uri_too_long');
  assert.match(body.error.message, /at most 8192/);
  res = await get(`/console/superapps?q=${long}`);
  assert.equal(res.status, 414);
  assert.match(await res.text(), /The address is too long/);
  // At the limit, the request is read as usual.
  res = await get(`/api/v1/superapps/${'a'.repeat(100)}`, w.tokens.boss);
  assert.notEqual(res.status, 414);
});
