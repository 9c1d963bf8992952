// The honest mini program of issue 21 (parts 1 and 2) inside Debian's
// Chromium (playwright-core): the scenarios of js/harness/faithful.mjs, the
// same ones js/test/faithful.test.mjs runs in Node, each in a fresh page
// served by a static server of its own (no guard serve needed), against the
// bridge as the browser loads it, with js/harness/assert-lite.mjs standing
// in for node:assert. Also: an exception the app's own `fail` handler throws
// surfaces in the page as an uncaught error, and its `complete` still runs.
//
//   node --test js/test-browser/faithful.test.mjs   (CHROMIUM=/path overrides /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serveJs } from './serve-js.mjs';
import { SECRET, NOW, policy, bundle } from '../test/fixture.mjs';
import { FAITHFUL, faithfulPolicy } from '../harness/faithful.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BUNDLE = bundle(faithfulPolicy(policy()));

let server;
let base;
let context;
let profile;

before(async () => {
  ({ server, base } = await serveJs('faithful'));
  profile = mkdtempSync(join(tmpdir(), 'guard-chromium-faithful-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await new Promise((r) => server?.close(r));
});

/** Runs `fn(arg)` in a fresh page; answers what it answered, and the page's uncaught errors. */
async function inPage(fn, arg) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(base);
    const value = await page.evaluate(fn, arg);
    return { value, errors };
  } finally {
    await page.close();
  }
}

/** Runs the shared scenario `title` in a page: `null` when it passed, else its failure. */
async function scenario(title) {
  const { value, errors } = await inPage(async ({ title, bundle, secret, now }) => {
    const { createGuard } = await import('/src/index.js');
    const { FAITHFUL } = await import('/harness/faithful.mjs');
    const { default: assert } = await import('/harness/assert-lite.mjs');
    const run = new Map(FAITHFUL).get(title);
    try {
      await run({ createGuard, assert, bundle, secret, now });
      return null;
    } catch (e) {
      return String(e?.stack ?? e);
    }
  }, { title, bundle: BUNDLE, secret: SECRET, now: NOW });
  assert.deepEqual(errors, []);
  return value;
}

test('Chromium: the page\'s assert stand-in fails where node:assert/strict does', async () => {
  const { value } = await inPage(async () => {
    const { default: assert } = await import('/harness/assert-lite.mjs');
    const throwsNot = (f) => { try { f(); return false; } catch { return true; } };
    const rejectsNot = async (f) => { try { await f(); return false; } catch { return true; } };
    return {
      equal: throwsNot(() => assert.equal(1, '1')),
      deepValue: throwsNot(() => assert.deepEqual({ a: [1, 2] }, { a: [1, 3] })),
      deepProto: throwsNot(() => assert.deepEqual(Object.create(null), {})),
      deepKeys: throwsNot(() => assert.deepEqual({ a: 1 }, { a: 1, b: undefined })),
      ok: throwsNot(() => assert.ok(0)),
      throwsNone: throwsNot(() => assert.throws(() => {})),
      throwsClass: throwsNot(() => assert.throws(() => { throw new RangeError('x'); }, TypeError)),
      throwsPredicate: throwsNot(() => assert.throws(() => { throw new Error('x'); }, (e) => e.message === 'y')),
      rejectsNone: await rejectsNot(() => assert.rejects(Promise.resolve(1), { errMsg: 'x' })),
      rejectsObject: await rejectsNot(() => assert.rejects(Promise.reject(Object.assign(new Error('e'), { errMsg: 'a' })), { errMsg: 'b' })),
      passes: !throwsNot(() => {
        assert.deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] });
        assert.throws(() => { throw new TypeError('t'); }, TypeError);
      }),
    };
  });
  for (const [what, failed] of Object.entries(value)) assert.equal(failed, true, what);
});

for (const [title] of FAITHFUL) {
  test(`Chromium: ${title}`, async () => {
    assert.equal(await scenario(title), null);
  });
}

test('Chromium: what the mini program\'s own fail handler throws surfaces uncaught, and its complete still runs', async () => {
  const { value, errors } = await inPage(async ({ bundle, secret, now }) => {
    const { createGuard } = await import('/src/index.js');
    const guard = await createGuard({ secret });
    guard.load(bundle, { now });
    const mp = guard.wrap({ chooseImage() {} }, { appId: 'mp_shop' });
    const seen = [];
    addEventListener('error', (e) => { seen.push(['uncaught', e.message]); });
    addEventListener('unhandledrejection', (e) => { seen.push(['unhandled', String(e.reason)]); });
    mp.chooseImage({ fail() { throw new Error('app bug'); }, complete() { seen.push(['complete']); } });
    await new Promise((r) => setTimeout(() => setTimeout(r, 0), 0));
    return seen;
  }, { bundle: BUNDLE, secret: SECRET, now: NOW });
  assert.deepEqual(value, [['complete'], ['uncaught', 'Uncaught Error: app bug']]);
  assert.deepEqual(errors, ['app bug']);
});
