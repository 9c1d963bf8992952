// The sync takeover of issue 20 replayed inside Chromium (Debian's chromium,
// driven by playwright-core): the page loads the bridge from a loopback
// stand-in for guard serve (js/test/takeover-server.mjs) and runs
// js/test/takeover-scenario.mjs, where mini program code plants
// Object.prototype.then to answer the realm's fetch with its own key set and
// bundle, and then writes them into the sync's storage. The guard keeps the
// superapp's policy and floor, and storage holds only what the roots lead to.
// Then the sync's pacing (issue 21): a server that answers every round at
// once with the same documents gets one round per gap, nothing rewritten.
//
//   node --test js/test-browser/takeover.test.mjs   (CHROMIUM=/path overrides /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTakeoverServer } from '../test/takeover-server.mjs';
import { EXPECTED, checkPacing } from '../test/takeover-scenario.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let server;
let context;
let profile;
let page;

before(async () => {
  server = await startTakeoverServer();
  profile = mkdtempSync(join(tmpdir(), 'guard-takeover-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.origin}/`);
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('in Chromium: a planted Object.prototype.then answering with its own key set and bundle changes nothing enforced or stored', async () => {
  const { facts, userAgent } = await page.evaluate(async () => {
    const { sync } = await import('/src/index.js');
    const { signKeysetEdDsa, signPolicyEdDsa } = await import('/src/vectors/sign.mjs');
    const { replayTakeover } = await import('/test/takeover-scenario.mjs');
    return { facts: await replayTakeover({ sync, signKeysetEdDsa, signPolicyEdDsa, origin: location.origin }), userAgent: navigator.userAgent };
  });
  assert.match(userAgent, /Chrome/);
  assert.match(facts.refusal, /refused: (bad_signature|unknown_key)/, 'the planted documents reached the guard, which refused them');
  assert.match(facts.plantedRestart.stored, /^refused: stored signed state: bad_signature/);
  const { stored, ...restart } = facts.plantedRestart;
  assert.deepEqual({ ...facts, plantedRestart: restart, refusal: undefined }, { ...EXPECTED, refusal: undefined });
  assert.ok(server.hits['/api/v1/superapps/demo/keyset'] > 0);
});

test('in Chromium: pacing: a server that answers every round at once with the same documents gets one round per gap, and nothing is reloaded or rewritten', async () => {
  const facts = await page.evaluate(async () => {
    const { sync } = await import('/src/index.js');
    const { signKeysetEdDsa, signPolicyEdDsa } = await import('/src/vectors/sign.mjs');
    const { replayPacing } = await import('/test/takeover-scenario.mjs');
    return replayPacing({ sync, signKeysetEdDsa, signPolicyEdDsa, origin: location.origin });
  });
  checkPacing(assert, facts);
});
