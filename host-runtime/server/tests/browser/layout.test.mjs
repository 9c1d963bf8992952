// The console's layout at the widths people use: at 1100, 1280 and 1440 px
// no action of any table is clipped (every button, link button and choice
// lies inside the viewport and inside its table's visible area, measured
// with bounding boxes: the issue saw Add sensitive API's Add buttons and
// Accounts' Disable and New invite out of view).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  world, boundApp, api, person, acceptInvite, assertNoProblems, SID,
} from './lib.mjs';

let w;
let admin;

before(async () => {
  w = await world();
  await boundApp(w, 'mp_shop', 'Shop with a long enough name to take room');
  admin = await person(w.chrome.browser, w.server, 'admin');
  await acceptInvite(admin, w.server.invite);
  w.people.admin = admin;
  // Rows for every table: whitelist entries, a pending request, more
  // accounts (one with a long id and name).
  let r = await api(w.server, w.tokens.senior, 'POST', '/api/v1/apps/mp_shop/whitelists/server_domains', { value: 'https://a-rather-long-backend-host-name.shop.example', remark: 'the shop backend, its cart and its orders' });
  assert.equal(r.status, 201, r.text);
  r = await api(w.server, w.tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'getLocation', reason: 'show the nearest store to the person who asks' });
  assert.equal(r.status, 201, r.text);
  r = await api(w.server, w.server.token, 'POST', '/api/v1/accounts', { id: 'a_very_long_account_identifier_for_layout', name: 'Someone With A Rather Long Display Name', role: 'superapp_senior_developer', superapp_id: SID });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await w?.close();
});

/**
 * Every action in every table of the page lies inside the viewport and
 * inside the visible area of its table (its scrolling wrapper): the boxes
 * that are not, described.
 */
async function clippedActions(page) {
  return page.evaluate(() => {
    const out = [];
    const vw = document.documentElement.clientWidth;
    for (const table of document.querySelectorAll('main table')) {
      const area = (table.closest('.table-wrap') ?? table).getBoundingClientRect();
      const left = Math.max(0, area.left);
      const right = Math.min(vw, area.right);
      for (const el of table.querySelectorAll('button, a.button, select')) {
        const b = el.getBoundingClientRect();
        if (b.width === 0) continue;
        if (b.left < left - 0.5 || b.right > right + 0.5) {
          out.push(`${el.textContent.trim() || el.getAttribute('aria-label')}: ${Math.round(b.left)}–${Math.round(b.right)} outside ${Math.round(left)}–${Math.round(right)}`);
        }
      }
    }
    return out;
  });
}

const SUPERAPP = ['apis', 'apis/new', 'approvals', 'apps', 'review', 'control', 'audit'].map((p) => `/console/superapps/${SID}/${p}`);
const PLATFORM = ['/console/platform/accounts', '/console/platform/teams', '/console/platform/audit', '/console/applications'];

for (const width of [1100, 1280, 1440]) {
  test(`no table action is clipped at ${width} px`, async () => {
    const pages = [[w.people.boss, SUPERAPP], [admin, PLATFORM], [w.people.dev, ['/console/apps', '/console/apps/mp_shop/permissions']]];
    let tables = 0;
    for (const [who, paths] of pages) {
      await who.page.setViewportSize({ width, height: 860 });
      for (const path of paths) {
        await who.page.goto(path);
        tables += await who.page.locator('main table').count();
        assert.deepEqual(await clippedActions(who.page), [], `${path} at ${width} px`);
      }
    }
    // The check saw the tables the issue named.
    assert.ok(tables >= 8, `${tables} tables checked`);
    await w.people.boss.page.goto(`/console/superapps/${SID}/apis/new`);
    assert.ok(await w.people.boss.page.locator('#catalogue button:has-text("Add")').count() > 5);
    await admin.page.goto('/console/platform/accounts');
    assert.ok(await admin.page.locator('button:has-text("Disable")').count() >= 4);
    assert.ok(await admin.page.locator('button:has-text("New invite link")').count() >= 4);
    assertNoProblems(w);
  });
}
