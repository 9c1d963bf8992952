// Refused forms at 1280 px (where the issue saw Permission control reload
// at its top with the error 3,400 px below): the page comes back focused on
// the first error, in view, with every error listed at its field at once,
// in people's words (no backticks, no document paths such as
// `apps[2].server_domains[0]`); what a role may not do is still refused
// before any field is looked at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  shopWorld, click, postFromPage, checkAxe, assertNoProblems, SID,
} from './lib.mjs';

let w;

before(async () => {
  w = await shopWorld();
});

after(async () => {
  await w?.close();
});

/** The focused element's id and whether it lies in the viewport. */
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const b = el.getBoundingClientRect();
    return { id: el.id, inView: b.top >= 0 && b.bottom <= window.innerHeight };
  });
}

test('a refused whitelist entry far down Permission control comes back focused on its first error, every error listed', async () => {
  const { page } = w.people.senior;
  await page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height > 3000, `a long page (${height} px)`);
  // The socket list, near the bottom: a bad value and a remark too long.
  await page.fill('#add-socket_domains-value', 'https://not-a-socket.example');
  await page.fill('#add-socket_domains-remark', 'r'.repeat(201));
  await click(page, '#socket_domains ~ form >> button:has-text("Add")');
  const value = await page.textContent('#add-socket_domains-value-error');
  const remark = await page.textContent('#add-socket_domains-remark-error');
  assert.match(value, /^Domain name: .*wss/);
  assert.match(remark, /^Remark: /);
  assert.deepEqual(await focused(page), { id: 'add-socket_domains-value', inView: true });
  assert.equal(await page.inputValue('#add-socket_domains-value'), 'https://not-a-socket.example');
  const main = await page.textContent('main');
  assert.ok(!main.includes('`'), 'no backticks on the page');
  assert.doesNotMatch(main, /apps\[\d+\]/);
  await checkAxe(page, 'refused socket entry');

  // Only the remark wrong: it is the one focused.
  await page.fill('#add-socket_domains-value', 'wss://ws.shop.example');
  await click(page, '#socket_domains ~ form >> button:has-text("Add")');
  assert.deepEqual(await focused(page), { id: 'add-socket_domains-remark', inView: true });
  assert.equal(await page.locator('#add-socket_domains-value-error').count(), 0);
  await page.fill('#add-socket_domains-remark', 'the chat socket');
  await click(page, '#socket_domains ~ form >> button:has-text("Add")');
  const flash = await page.textContent('.flash');
  assert.match(flash, /Added “wss:\/\/ws\.shop\.example” to the socket legal domain names/);

  // A reviewer's forged post is refused for the role, whatever its fields.
  await w.people.rev.page.goto(`/console/superapps/${SID}/control?app=mp_shop`);
  const forged = await postFromPage(w.people.rev.page, '/console/apps/mp_shop/whitelists/socket_domains', { form: 'add-socket_domains', value: 'nope', remark: 'r'.repeat(300) });
  assert.equal(forged.status, 403);
  assertNoProblems(w);
});

test('a refused custom API lists every error at its field, the first focused', async () => {
  const { page } = w.people.boss;
  await page.goto(`/console/superapps/${SID}/apis/new`);
  await page.fill('#custom-name', '9wallet');
  await click(page, 'button:has-text("Add custom API")');
  assert.match(await page.textContent('#custom-name-error'), /^API name: .*not an API name/);
  assert.match(await page.textContent('#custom-description-error'), /^Function: .*description/);
  assert.deepEqual(await focused(page), { id: 'custom-name', inView: true });
  assert.ok(!(await page.textContent('main')).includes('`'));
  await checkAxe(page, 'refused custom API');
  assertNoProblems(w);
});
