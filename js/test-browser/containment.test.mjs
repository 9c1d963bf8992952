// The containment attacks of js/test/containment.test.mjs, inside Debian's
// Chromium (playwright-core), one fresh page per attack: the same scenarios
// (js/harness/containment.mjs) against the bridge as the browser loads it.
// Each test says what the attacker tried.
//
//   node --test js/test-browser/     (CHROMIUM=/path overrides /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../harness/server.mjs';
import { signPolicy } from '../src/vectors/sign.mjs';
import { SECRET, attackPolicy } from '../harness/containment.mjs';

// GUARD_BRIDGE_URL=/src/<file> runs the attacks against another copy of the
// bridge served from js/src (how each was checked to fail before the fix).
const BRIDGE = process.env.GUARD_BRIDGE_URL ?? '/src/index.js';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let context;
let profile;
const now = Math.floor(Date.now() / 1000);
const bundle = signPolicy(attackPolicy(now), SECRET);
const p2 = attackPolicy(now);
p2.version = 8;
p2.apps[0].granted_apis = [];
const bundle2 = signPolicy(p2, SECRET);

before(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'guard-chromium-containment-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Runs one attack of js/harness/containment.mjs in a fresh page. */
async function inPage(attack) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${server.url}harness/containment.html`);
    const r = await page.evaluate(async ({ attack, bundle, bundle2, bridgeUrl }) => {
      const bridge = await import(bridgeUrl);
      // The shipped package has no glue any more (decision 590): the
      // attacker looks for it, then takes the tools' glue.
      let shippedGlue = true;
      try { await import('/pkg/guard_wasm.js'); } catch { shippedGlue = false; }
      const glue = await import('/pkg-tools/guard_wasm.js');
      const h = await import('/harness/containment.mjs');
      const base = { createGuard: bridge.createGuard, bundle, bundle2 };
      const same = (a, b) => JSON.stringify([a.error, a.out, a.received, a.events]) === JSON.stringify([b.error, b.out, b.received, b.events]);
      const baseline = await h.run(base);
      if (attack === 'none') return { baseline };
      if (attack === 'systematic-one' || attack === 'systematic-all') {
        const targets = h.tamperTargets();
        const groups = attack === 'systematic-one' ? targets.map((t) => [t]) : [targets];
        const mismatches = [];
        const hitsSeen = {};
        for (const group of groups) {
          const r = await h.run({ ...base, attack: () => h.tamper(group) });
          for (const k of Object.keys(r.attack?.hits ?? {})) hitsSeen[k] = (hitsSeen[k] ?? 0) + r.attack.hits[k];
          if (!same(r, baseline)) mismatches.push(group.length === 1 ? group[0].label : `all ${group.length}`);
        }
        return { targets: targets.length, mismatches, hitsSeen };
      }
      const attacks = { species: h.speciesAttack, 'glue-prototype': () => h.gluePrototypeAttack(glue, shippedGlue), push: h.pushAttack, planted: h.plantedAttack };
      const r = await h.run({ ...base, attack: attacks[attack] });
      return { same: same(r, baseline), attack: r.attack, error: r.error, baselineEvents: baseline.events.length };
    }, { attack, bundle, bundle2, bridgeUrl: BRIDGE });
    assert.deepEqual(errors, []);
    return r;
  } finally {
    await page.close();
  }
}

test('Chromium baseline: hrefs forwarded, every door checked, no evil host reached an original', async () => {
  const { baseline: b } = await inPage('none');
  assert.equal(b.error, null);
  const requests = b.received.filter((r) => r[0] === 'request').map((r) => r[1].url);
  assert.deepEqual(requests, ['https://api.shop.example/v1', 'https://api.shop.example/%C3%BC', 'https://api.shop.example/@evil.example/']);
  assert.ok(!JSON.stringify(b.received).includes('evil.example/x'));
  // A denied raw-socket method reports to the socket's onError, as the
  // platform's does; it no longer throws (issue 21).
  assert.deepEqual(b.out.filter((r) => r[1] === 'threw').map((r) => r[0]), []);
  assert.equal(b.events.length, 14);
});

test('Chromium: Symbol.species via Uint8Array.prototype.constructor gets no buffer, no key, no chosen bytes', async () => {
  // The attacker's species constructor keeps any buffer it is built over,
  // searches it for the SecretKey, and writes bytes of its choosing where a
  // URL's non-ASCII tail was about to be encoded.
  const r = await inPage('species');
  assert.deepEqual(r.attack, { speciesCalls: 0, buffersCaptured: 0, secretFound: false });
  assert.equal(r.same, true);
});

test('Chromium: no glue ships at /pkg/guard_wasm.js, and replacing the tools glue\'s WasmGuard.prototype changes nothing', async () => {
  // The attacker looked for the glue next to the shipped module, then
  // imported the tools' glue and replaced its check methods with allow-all
  // ones: they are replaced, and no decision moves (the bridge calls no glue).
  const r = await inPage('glue-prototype');
  assert.equal(r.attack.shippedGlue, false);
  assert.deepEqual(r.attack.replaced, ['checkUrl', 'checkUrlByApp', 'checkApiId', 'checkApiName', 'load']);
  assert.equal(r.same, true);
});

test('Chromium: a listener registered after Array.prototype.push was broken still hears every violation', async () => {
  const r = await inPage('push');
  assert.equal(r.attack.lateListenerEvents, r.baselineEvents);
  assert.equal(r.same, true);
});

test('Chromium: getters and setters planted on Object.prototype and Array.prototype decide nothing', async () => {
  // `url`, `src`, `local`, `kind`, `get`, `set`, `0`..`3`, `then`, ... planted as getters/setters.
  const r = await inPage('planted');
  assert.ok(r.attack.planted > 60);
  assert.equal(r.error, null);
  assert.equal(r.same, true);
});

for (const mode of ['one', 'all']) {
  test(`Chromium systematic: every method and accessor of the built-ins replaced (${mode === 'one' ? 'one at a time' : 'all together'})`, async () => {
    // As in Node: hostile versions of every method and accessor of the
    // built-ins the bridge or glue could touch; decisions, hrefs, what the
    // originals received and the events must not change, and no hostile
    // version may be called.
    const r = await inPage(`systematic-${mode}`);
    assert.ok(r.targets > 350, `${r.targets} targets`);
    assert.deepEqual(r.mismatches, []);
    assert.deepEqual(r.hitsSeen, {});
  });
}
