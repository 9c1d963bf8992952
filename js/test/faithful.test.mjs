// Issue 21, parts 1 and 2: an honest mini program sees the platform's `wx`
// through the wrapper. The scenarios (js/harness/faithful.mjs) run here and
// in Chromium (js/test-browser/faithful.test.mjs): the namespace takes
// expandos; nested namespaces, constructors, accessors and members the host
// adds later are reachable and each checked; returned objects keep their
// class behaviour; values reach the original as given, except the checked
// target. And every call style fails as the platform's own failure of that
// API does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createGuard } from '../src/index.js';
import { SECRET, NOW, policy, bundle } from './fixture.mjs';
import { FAITHFUL, faithfulPolicy } from '../harness/faithful.mjs';

const scenarios = new Map(FAITHFUL);
const env = { createGuard, assert, secret: SECRET, bundle: bundle(faithfulPolicy(policy())), now: NOW };

/** The scenarios' titles, written out so each test can be named by its title. */
const TITLES = [
  'nested namespaces at any depth, constructors and accessors are reachable, each checked under its dotted name',
  'members the host adds after wrap are reachable and checked; an unknown one is never an open door',
  'returned objects keep their class behaviour: expandos, late members, chaining, their class methods',
  'values reach the original as given: no String(), no invented fields, inherited callbacks and options kept',
  'denials have the platform\'s shape for every call style',
  'a cycle under wx, a deep object graph and host functions wrap without a fuss',
];

test('the titles here are the shared scenarios\' own, in order', () => {
  assert.deepEqual(TITLES, FAITHFUL.map(([t]) => t));
});

for (const title of TITLES) test(title, () => scenarios.get(title)(env));

test('what the mini program\'s own fail handler throws surfaces uncaught, and its complete still runs', () => {
  const script = `
    import { createGuard } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
    import { SECRET, NOW, policy, bundle } from ${JSON.stringify(new URL('./fixture.mjs', import.meta.url).href)};
    const guard = await createGuard({ secret: SECRET });
    guard.load(bundle(policy({ issued_at: 0, expires_at: undefined })), { now: NOW });
    const mp = guard.wrap({ chooseImage() {} }, { appId: 'mp_shop' });
    const seen = [];
    process.on('uncaughtException', (e) => { seen.push(['uncaught', e.message]); });
    process.on('unhandledRejection', (e) => { seen.push(['unhandled', String(e)]); });
    mp.chooseImage({ fail() { throw new Error('app bug'); }, complete() { seen.push(['complete']); } });
    setTimeout(() => setTimeout(() => console.log(JSON.stringify(seen)), 0), 0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), [['complete'], ['uncaught', 'app bug']]);
});

