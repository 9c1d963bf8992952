// The confirm step of the risky one-click actions, in a browser with its
// script turned off at 1280 px (the console's CSP allows no inline script,
// so the step must be a page of its own): Allow for every mini program,
// switching the signing algorithm, a whitelist switch turned on over an
// empty list, promoting a key before devices have it. Cancel changes
// nothing; confirming does what was asked; a role that may not act is
// refused before any confirm step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  shopWorld, click, postFromPage, checkAxe, assertNoProblems, api, person, signIn, SID,
} from './lib.mjs';

let w;
let boss;

before(async () => {
  w = await shopWorld();
  // The superapp administrator again, in a browser without script.
  boss = await person(w.chrome.browser, w.server, 'boss-nojs', { script: false });
  await signIn(boss, 'boss');
});

after(async () => {
  await w?.close();
});

/**
 * axe-core on the no-script page's markup: axe needs script, so the page's
 * HTML is checked in the administrator's own browser (script on), on the
 * console's origin so its style sheet applies.
 */
async function checkAxeNoScript(page, label) {
  const html = await page.content();
  const seen = w.people.boss.page;
  await seen.setViewportSize({ width: 1280, height: 860 });
  await seen.goto('/console/');
  await seen.setContent(html);
  await checkAxe(seen, label);
}

async function apiStatus(name) {
  const r = await api(w.server, w.tokens.boss, 'GET', `/api/v1/superapps/${SID}/apis`);
  return r.json.apis.find((a) => a.name === name)?.status;
}

test('Allow for every mini program asks first; Cancel keeps it restricted', async () => {
  const { page } = boss;
  let r = await api(w.server, w.tokens.boss, 'POST', `/api/v1/superapps/${SID}/apis`, { name: 'scanCode', type: 'system' });
  assert.equal(r.status, 201, r.text);
  await page.goto(`/console/superapps/${SID}/apis?q=scanCode`);
  await click(page, '#apis tr:has-text("scanCode") >> button:has-text("Allow")');
  assert.match(await page.textContent('h1'), /Allow “scanCode” for every mini program\?/);
  assert.match(await page.textContent('main'), /Every mini program and mini game of demo may call it without asking/);
  assert.equal(await apiStatus('scanCode'), 'restricted', 'nothing changed yet');
  await checkAxeNoScript(page, 'confirm allow');
  await click(page, 'main a:has-text("Cancel")');
  assert.equal(await apiStatus('scanCode'), 'restricted');
  await click(page, '#apis tr:has-text("scanCode") >> button:has-text("Allow")');
  await click(page, 'button:has-text("Allow for every mini program")');
  assert.match(await page.textContent('.flash'), /is now public/);
  assert.equal(await apiStatus('scanCode'), 'public');
  // Restrict asks nothing (it only narrows).
  await click(page, '#apis tr:has-text("scanCode") >> button:has-text("Restrict")');
  assert.equal(await apiStatus('scanCode'), 'restricted');
  // Review staff: refused for the role, no confirm step offered.
  await w.people.rev.page.goto(`/console/superapps/${SID}/apis`);
  const forged = await postFromPage(w.people.rev.page, `/console/superapps/${SID}/apis/scanCode/status`, { form: 'status', status: 'public' });
  assert.equal(forged.status, 403);
  assert.doesNotMatch(forged.text, /Allow for every mini program/);
  assert.equal(await apiStatus('scanCode'), 'restricted');
});

test('switching the signing algorithm and promoting a key early ask first', async () => {
  const { page } = boss;
  await page.goto(`/console/superapps/${SID}/config`);
  await page.selectOption('#signing-bundle_alg', 'HS256');
  await click(page, 'button:has-text("Save algorithm")');
  assert.match(await page.textContent('h1'), /Sign bundles with HS256 instead of EdDSA\?/);
  let r = await api(w.server, w.tokens.boss, 'GET', `/api/v1/superapps/${SID}`);
  assert.equal(r.json.bundle_alg, 'EdDSA', 'nothing changed yet');
  await checkAxeNoScript(page, 'confirm alg');
  await click(page, 'button:has-text("Switch to HS256")');
  assert.match(await page.textContent('.flash'), /signed with HS256 from now on/);
  r = await api(w.server, w.tokens.boss, 'GET', `/api/v1/superapps/${SID}`);
  assert.equal(r.json.bundle_alg, 'HS256');
  // Saving the same algorithm asks nothing.
  await click(page, 'button:has-text("Save algorithm")');
  assert.match(await page.textContent('.flash'), /HS256/);
  await page.selectOption('#signing-bundle_alg', 'EdDSA');
  await click(page, 'button:has-text("Save algorithm")');
  await click(page, 'button:has-text("Switch to EdDSA")');

  // Rotate asks nothing (the key only gets published); Promote does.
  await click(page, 'button:has-text("Rotate: publish a next key")');
  const next = (await page.textContent('tr:has-text("next") >> code')).trim();
  await click(page, 'button:has-text("Promote the next key")');
  assert.match(await page.textContent('h1'), new RegExp(`Promote ${next} before its time\\?`));
  assert.match(await page.textContent('main'), /has not fetched the key set/);
  await click(page, 'main a:has-text("Cancel")');
  assert.match(await page.textContent(`tr:has-text("${next}")`), /next/);
  await click(page, 'button:has-text("Promote the next key")');
  await click(page, 'button:has-text("Promote now")');
  assert.match(await page.textContent('.flash'), /signs from now on/);
  assert.match(await page.textContent(`tr:has-text("${next}")`), /active/);
});

test('a whitelist switch turned on over an empty list asks first; over a list with entries it does not', async () => {
  const { page } = boss;
  await page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
  await page.check('input[name=apis]');
  await click(page, 'button:has-text("Save switches")');
  assert.match(await page.textContent('h1'), /Turn a switch on over an empty whitelist\?/);
  assert.match(await page.textContent('main'), /The API whitelist is on and empty/);
  await checkAxeNoScript(page, 'confirm empty switch');
  await click(page, 'main a:has-text("Cancel")');
  assert.equal(await page.isChecked('input[name=apis]'), false, 'nothing changed');
  await page.check('input[name=apis]');
  await click(page, 'button:has-text("Save switches")');
  await click(page, 'button:has-text("Turn it on anyway")');
  assert.match(await page.textContent('.flash'), /Saved the permission control switches/);
  assert.equal(await page.isChecked('input[name=apis]'), true);
  // With an entry in the list, the switch goes on at once.
  const r = await api(w.server, w.tokens.boss, 'POST', '/api/v1/apps/mp_shop/whitelists/webview_domains', { value: 'https://h5.shop.example', remark: '' });
  assert.equal(r.status, 201, r.text);
  await page.check('input[name=webview_domains]');
  await click(page, 'button:has-text("Save switches")');
  assert.match(await page.textContent('.flash'), /Saved the permission control switches/);
  assertNoProblems(w);
});
