// The hostile mini programs of issue 21 (js/harness/hostile.mjs) inside
// Debian's Chromium (playwright-core), each in a fresh page served by a
// static server of its own (no guard serve needed): the same scenarios and
// expectations as js/test/hostile.test.mjs, against the bridge as the
// browser loads it.
//
//   node --test js/test-browser/hostile.test.mjs   (CHROMIUM=/path overrides /usr/bin/chromium)
// GUARD_BRIDGE_URL=/src/<file> runs them against another copy of the bridge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serveJs } from './serve-js.mjs';
import { signPolicy } from '../src/vectors/sign.mjs';
import { SECRET, hostilePolicy } from '../harness/hostile.mjs';

const BRIDGE = process.env.GUARD_BRIDGE_URL ?? '/src/index.js';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let base;
const contexts = [];
const bundle = signPolicy(hostilePolicy(Math.floor(Date.now() / 1000)), SECRET);

before(async () => {
  ({ server, base } = await serveJs('hostile'));
});

after(async () => {
  for (const { context, profile } of contexts) { await context.close(); rmSync(profile, { recursive: true, force: true }); }
  await new Promise((r) => server?.close(r));
});

async function browser(extraArgs = []) {
  const profile = mkdtempSync(join(tmpdir(), 'guard-chromium-hostile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: [...ARGS, ...extraArgs] });
  contexts.push({ context, profile });
  return context;
}

let shared;
/** Runs one scenario in a fresh page; answers what it answered. */
async function inPage(scenario, context) {
  context ??= shared ??= await browser();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(base);
    const r = await page.evaluate(async ({ scenario, bundle, bridgeUrl }) => {
      const { createGuard } = await import(bridgeUrl);
      const h = await import('/harness/hostile.mjs');
      return h.SCENARIOS[scenario]({ createGuard, bundle });
    }, { scenario, bundle, bridgeUrl: BRIDGE });
    assert.deepEqual(errors, []);
    return r;
  } finally {
    await page.close();
  }
}

test('Chromium: planted getters, toJSON and the array iterator cannot rewrite what the original holds', async () => {
  const r = await inPage('optionsRewrite');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.calls[0].slice(0, 4), ['request', 'https://api.shop.example/v1', null, null]);
  assert.equal(r.ran, 0);
});

test('Chromium: an own __proto__ in the options never becomes the prototype of what the original merges', async () => {
  // The original merges the options with Object.assign, as base libraries
  // do: an own `__proto__` the copy kept would become the merged object's
  // prototype, and the URL the caller omitted (or a marker's icon) would be
  // read from it, never checked.
  const r = await inPage('ownProto');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.calls, [
    ['request', null, ['data']],
    ['request', 'https://api.shop.example/v1', ['url']],
    ['addMarkers', null, ['id']],
  ]);
});

test('Chromium: values under symbol keys in the options never reach the original', async () => {
  const r = await inPage('symbolKeys');
  assert.deepEqual(r.seen, [
    ['request', 'https://api.shop.example/v1', [], 'none'],
    ['request', 'https://api.shop.example/v2', [], 'none'],
    ['addMarkers', 1, [], []],
  ]);
  assert.equal(r.ran, 0);
});

test('Chromium: the doors nobody watched are watched', async () => {
  const r = await inPage('unwatchedDoors');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.udpErrors, ['UDPSocket.write:fail url not in domain list:evil.example']);
  assert.equal(r.fails.length, 7);
  assert.deepEqual(r.attrs.map((a) => a[2]), ['domain_not_whitelisted', 'domain_not_whitelisted', 'domain_not_whitelisted', 'domain_not_whitelisted']);
});

test('Chromium: a sloppy base library is refused; no original reaches a sloppy callback', async () => {
  const r = await inPage('sloppyCallers');
  assert.deepEqual(r.refusals, ['TypeError', 'wrapped', 'TypeError', 'TypeError']);
  assert.deepEqual([r.callerIsOriginal, r.callerCallerIsOriginal, r.frameLeaks, r.selfIsOriginal], [false, false, 0, false]);
  assert.ok(r.framesChecked > 2);
});

test('Chromium: callbacks run with this undefined', async () => {
  const r = await inPage('callbackThis');
  assert.deepEqual(r.seen, ['undefined', 'undefined', 'undefined', 'undefined']);
});

test('Chromium: a flood of made-up denials drops neither another app\'s denial nor a report-mode pass', async () => {
  const r = await inPage('reportFlood');
  assert.deepEqual(r.other, [['other-denied.example', 'enforce']]);
  assert.deepEqual(r.report, [['went-through.example', 'report']]);
  assert.equal(r.shop, 25);
});

test('Chromium: a 32 M-character loadFontFace source is refused without being copied (160 MB heap)', async () => {
  const r = await inPage('hugeFontFace', await browser(['--js-flags=--max-old-space-size=160']));
  assert.deepEqual(r, { calls: 0, errMsg: 'loadFontFace:fail invalid url' });
});
