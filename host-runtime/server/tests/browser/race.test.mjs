// A decision that lost a race, at 768 px: two people open the same
// approval window (and the same release review); one approves; the other's
// Reject is not recorded, and the page says so at its top, focused, with
// who decided first and the note they wrote kept to copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { shopWorld, click, checkAxe, postFromPage, assertNoProblems, api, SID } from './lib.mjs';

let w;

before(async () => {
  w = await shopWorld();
  for (const p of Object.values(w.people)) await p.page.setViewportSize({ width: 768, height: 900 });
});

after(async () => {
  await w?.close();
});

test("a Reject that lost the race says so and keeps the note", async () => {
  const { rev, boss } = w.people;
  const r = await api(w.server, w.tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'getLocation', reason: 'the nearest store' });
  assert.equal(r.status, 201, r.text);
  const path = `/console/superapps/${SID}/approvals/${r.json.id}`;
  await rev.page.goto(path);
  await boss.page.goto(path);
  await boss.page.fill('#decide-note', 'fine by me');
  await click(boss.page, 'button[value=approve]');
  assert.match(await boss.page.textContent('.flash'), /Approved/);

  const note = 'no: the store finder does not need the precise location';
  await rev.page.fill('#decide-note', note);
  const [res] = await Promise.all([rev.page.waitForNavigation(), rev.page.click('button[value=reject]')]);
  assert.equal(res.status(), 409);
  assert.match(await rev.page.textContent('#lost'), /Your decision was not recorded/);
  assert.match(await rev.page.textContent('#lost'), /this is now approved \(by boss\)/);
  assert.equal(await rev.page.inputValue('#lost-note'), note);
  assert.equal(await rev.page.evaluate(() => document.activeElement.id), 'lost');
  const box = await rev.page.locator('#lost').boundingBox();
  assert.ok(box.y >= 0 && box.y < 900, 'in view');
  await checkAxe(rev.page, 'lost race');
  // The request stays approved with the first decision's note.
  await rev.page.goto(path);
  const facts = await rev.page.textContent('dl.facts');
  assert.match(facts, /Status\s*approved/);
  assert.match(facts, /Note\s*fine by me/);
  assert.equal(await rev.page.locator('#lost').count(), 0);
  assertNoProblems(w);
});

test('a rejection asks for its reason, and the developer reads it', async () => {
  const { rev, dev } = w.people;
  const r = await api(w.server, w.tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'chooseImage', reason: 'avatars' });
  assert.equal(r.status, 201, r.text);
  await rev.page.goto(`/console/superapps/${SID}/approvals/${r.json.id}`);
  await click(rev.page, 'button[value=reject]');
  assert.match(await rev.page.textContent('#decide-note-error'), /^Note: say why you reject it: the developer reads it/);
  assert.equal(await rev.page.evaluate(() => document.activeElement.id), 'decide-note');
  await rev.page.fill('#decide-note', 'avatars come from the profile');
  await click(rev.page, 'button[value=reject]');
  assert.match(await rev.page.textContent('.flash'), /Rejected/);
  await dev.page.goto('/console/apps/mp_shop/permissions');
  assert.match(await dev.page.textContent('tr:has-text("chooseImage")'), /Note: avatars come from the profile/);
  // A role that may not decide is refused for the role, not asked for a reason.
  const r2 = await api(w.server, w.tokens.dev, 'POST', '/api/v1/apps/mp_shop/requests', { api: 'chooseImage', reason: 'avatars, really' });
  assert.equal(r2.status, 201, r2.text);
  const forged = await postFromPage(w.people.senior.page, `/console/requests/${r2.json.id}/decision`, { form: 'decide', decision: 'reject' });
  assert.equal(forged.status, 403);
  assertNoProblems(w);
});
