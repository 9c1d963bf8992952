// The memo of allowed API verdicts (docs/decisions.md 640-646): a wrapped
// API call reuses an allow the wasm gave only while the clock is inside the
// span guard-core stated for it and the wasm's state epoch and the guard's
// generation are unchanged. Here every wrapped call is compared with an
// uncached check of a guard that went through the same steps, over long
// seeded random sequences of loads, floors, re-keys and clock moves (forward,
// backward, and exactly onto the window's ends); then the named cases; then
// what a mini program sharing the realm may patch between calls.
//
// The realm's clock is replaced before the bridge is evaluated (the bridge
// captures `Date.now` then), so this file moves time itself; static imports
// would evaluate the bridge (through the fixture) first.
import test from 'node:test';
import assert from 'node:assert/strict';

const NOW = 1795305600;
let clock = NOW;
Date.now = () => clock * 1000;
const { tick } = await import('./fixture.mjs');
const { signPolicy } = await import('../bin/guard-vectors.mjs');
const { createKeyedGuard, createGuard } = await import('../src/index.js');

const KEY_A = 'k3yK3yk3yK3yk3y1';
const KEY_B = 'aN0th3rK3yaN0th3';
const SUPERAPP = 'demo-superapp';
// Promise-style system APIs, *Sync system APIs (they throw when denied), and
// custom *Sync names no catalogue knows (whitelisted or restricted by policy).
const APIS = ['getLocation', 'chooseImage', 'getStorageSync', 'getSystemInfoSync', 'openWalletSync', 'payXSync'];
const APPS = ['mp_shop', 'mp_game'];

/** A seeded generator (mulberry32): the same sequence for the same seed. */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (list) => list[int(0, list.length - 1)];
  const some = (list) => list.filter(() => next() < 0.5);
  return { next, int, pick, some };
}

/** A base library's wx of APIS: records which original each call reached. */
function recordingWx() {
  const reached = [];
  const wx = {};
  for (const name of APIS) {
    wx[name] = name.endsWith('Sync')
      ? () => { reached.push(name); return 'v'; }
      : () => { reached.push(name); return Promise.resolve({}); };
  }
  return { wx, reached };
}

/** A random policy of `version` around the clock `t`: its window, mode, restrictions and apps. */
function randomPolicy(r, version, t) {
  const sensitive = [];
  for (const [name, type] of [['getLocation', 'system'], ['chooseImage', 'system'], ['openWalletSync', 'custom']]) {
    if (r.next() < 0.6) sensitive.push({ name, status: 'restricted', scope: r.pick(['all', 'mini_program', 'mini_game']), type });
  }
  const app = (appId, kind) => {
    const a = {
      app_id: appId, kind, control: { apis: r.next() < 0.6 },
      api_whitelist: r.some(['openWalletSync', 'payXSync']),
      granted_apis: r.some(['getLocation', 'chooseImage', 'openWalletSync']),
    };
    if (r.next() < 0.15) a.removed = true;
    if (r.next() < 0.25) a.mode = r.pick(['report', 'enforce']);
    return a;
  };
  const apps = [];
  if (r.next() < 0.9) apps.push(app('mp_shop', 'mini_program'));
  if (r.next() < 0.5) apps.push(app('mp_game', 'mini_game'));
  const p = { schema: 2, superapp_id: SUPERAPP, version, issued_at: t - 5, mode: r.next() < 0.2 ? 'report' : 'enforce', sensitive_apis: sensitive, apps };
  if (r.next() < 0.7) p.expires_at = t + r.int(1, 30);
  if (r.next() < 0.5) p.nbf = t - r.int(0, 10);
  return p;
}

/**
 * Two guards of the same key that go through the same steps: `tested`, whose
 * wrapped namespaces (one per app) use the memo, and `reference`, asked
 * with guard.checkApi (which never uses it).
 */
async function pair(key) {
  const tested = await createKeyedGuard(key);
  const reference = await createKeyedGuard(key);
  const wxs = APPS.map(() => recordingWx());
  const wrapped = APPS.map((appId, i) => tested.guard.wrap(wxs[i].wx, { appId }));
  return { tested, reference, wxs, wrapped };
}

/**
 * Calls every API of every app through the wrapped namespaces at the current
 * clock and compares each outcome with the reference's uncached decision:
 * an allow (or a report-mode pass) reaches the original, a denial fails with
 * that decision's errMsg. Answers the mismatches, described.
 */
async function compareAll(p, label) {
  const outcomes = [];
  for (let a = 0; a < APPS.length; a++) {
    for (const name of APIS) {
      const want = p.reference.guard.checkApi(APPS[a], name, { now: clock });
      const { reached } = p.wxs[a];
      const before = reached.length;
      const got = { reached: false, errMsg: undefined };
      try {
        const answer = p.wrapped[a][name]();
        if (answer instanceof Promise) answer.catch((e) => { got.errMsg = e.errMsg; });
      } catch (e) {
        got.errMsg = e.errMsg;
      }
      got.reached = reached.length > before;
      outcomes.push({ app: APPS[a], name, want, got });
    }
  }
  await tick();
  const wrong = [];
  for (const { app, name, want, got } of outcomes) {
    const ok = want.allow ? got.reached && got.errMsg === undefined : !got.reached && got.errMsg === want.message;
    if (!ok) wrong.push(`${label}: ${app} ${name} at ${clock}: want ${want.allow ? 'reached' : want.message}, got ${got.reached ? 'reached' : got.errMsg}`);
  }
  return wrong;
}

/** Both guards load `bundle` at the clock; their outcomes must agree. */
function loadBoth(p, bundle) {
  const a = p.tested.guard.load(bundle, { now: clock });
  const b = p.reference.guard.load(bundle, { now: clock });
  assert.equal(a.code, b.code);
  return a.code;
}

/** One random sequence of `steps` steps; answers the mismatches. */
async function sequence(seed, steps) {
  const r = random(seed);
  clock = NOW;
  let key = KEY_A;
  const p = await pair(key);
  let version = 1;
  let window = null;
  const wrong = [];
  const counts = { load: 0, ok: 0, floor: 0, rekey: 0, back: 0, edge: 0 };
  for (let step = 0; step < steps; step++) {
    const roll = r.next();
    let what;
    if (roll < 0.3) {
      // A load: mostly a newer version; sometimes the same, an older one, another key's, or garbage.
      const kind = r.next();
      let doc;
      let signer = key;
      if (kind < 0.7) { version += r.int(1, 3); doc = randomPolicy(r, version, clock); } else if (kind < 0.8) doc = randomPolicy(r, Math.max(1, version - r.int(1, 2)), clock);
      else if (kind < 0.9) { doc = randomPolicy(r, version + 1, clock); signer = key === KEY_A ? KEY_B : KEY_A; } else doc = null;
      const code = loadBoth(p, doc === null ? 'not.a.bundle' : signPolicy(doc, signer));
      counts.load++;
      if (code === 'ok') { counts.ok++; window = doc; }
      what = `load v${doc === null ? '-' : doc.version} ${code}`;
    } else if (roll < 0.36) {
      // A floor restored: above what was accepted (no policy until a newer
      // bundle loads) or at or below it (nothing changes, but it is a change
      // of the wasm's state all the same).
      const floor = p.tested.guard.floor();
      const base = floor === null ? { superapp_id: SUPERAPP, version: 0, digest: '0'.repeat(64) } : JSON.parse(floor);
      const text = JSON.stringify({ ...base, version: base.version + r.int(-1, 2), digest: r.next() < 0.5 ? base.digest : 'a'.repeat(64) });
      const outcome = (g) => { try { g.restoreFloor(text); return 'ok'; } catch (e) { return e.message; } };
      assert.equal(outcome(p.tested.guard), outcome(p.reference.guard));
      if (JSON.parse(text).version > base.version) version = Math.max(version, JSON.parse(text).version);
      counts.floor++;
      what = `floor v${JSON.parse(text).version}`;
    } else if (roll < 0.42) {
      // A re-key: to the other key (the last bundle then no longer verifies) or the same.
      key = r.next() < 0.6 ? (key === KEY_A ? KEY_B : KEY_A) : key;
      const a = p.tested.rekey(key, { now: clock });
      const b = p.reference.rekey(key, { now: clock });
      assert.deepEqual({ ...a }, { ...b });
      assert.equal(a.ok, true, a.message);
      counts.rekey++;
      what = `rekey ${key === KEY_A ? 'A' : 'B'} ${a.load}`;
    } else if (roll < 0.62 && window !== null) {
      // Exactly onto an end of the last loaded window, or just inside it.
      const edges = [window.issued_at];
      if (window.expires_at !== undefined) edges.push(window.expires_at, window.expires_at - 1);
      if (window.nbf !== undefined) edges.push(window.nbf, window.nbf - 1);
      clock = r.pick(edges);
      counts.edge++;
      what = `clock to ${clock - NOW} (edge)`;
    } else {
      // The clock forward (by a little or a lot) or BACKWARD.
      const move = r.pick([1, 1, 2, r.int(3, 12), r.int(20, 60), -1, -r.int(2, 15), -r.int(20, 60)]);
      if (move < 0) counts.back++;
      clock = Math.max(NOW - 200, clock + move);
      what = `clock ${move > 0 ? '+' : ''}${move}`;
    }
    // Twice at the same clock: the second call of each API is a memo hit
    // whenever the first was allowed.
    for (const w of [...await compareAll(p, `seed ${seed} step ${step} (${what})`), ...await compareAll(p, `seed ${seed} step ${step} again`)]) {
      if (wrong.length < 20) wrong.push(w);
    }
  }
  return { wrong, counts };
}

test('wrapped calls match an uncached guard over random loads, floors, re-keys and clock moves (seeded)', async () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const { wrong, counts } = await sequence(seed, 300);
    assert.deepEqual(wrong, [], `seed ${seed}`);
    // The sequence did what it is for.
    assert.ok(counts.ok > 10 && counts.floor > 5 && counts.rekey > 5 && counts.back > 5 && counts.edge > 10, JSON.stringify(counts));
  }
});

/** A guard with `doc` loaded at the clock, a wrapped mini program, and its call record. */
async function loaded(doc) {
  const guard = await createGuard({ secret: KEY_A });
  assert.equal(guard.load(signPolicy(doc, KEY_A), { now: clock }).code, 'ok');
  const { wx, reached } = recordingWx();
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  /** What one call of `name` did: 'reached', or the errMsg it was denied with. */
  const call = (name) => {
    const before = reached.length;
    try { mp[name](); } catch (e) { return e.errMsg; }
    return reached.length > before ? 'reached' : 'nothing';
  };
  return { guard, mp, call };
}

const base = (over = {}) => ({
  schema: 2, superapp_id: SUPERAPP, version: 1, issued_at: NOW - 10, mode: 'enforce',
  sensitive_apis: [{ name: 'openWalletSync', status: 'restricted', scope: 'all', type: 'custom' }],
  apps: [{ app_id: 'mp_shop', kind: 'mini_program', control: { apis: true }, api_whitelist: ['openWalletSync', 'payXSync'], granted_apis: ['openWalletSync'] }],
  ...over,
});

test('a bundle that revokes the API: the next call is denied', async () => {
  clock = NOW;
  const { guard, call } = await loaded(base());
  assert.equal(call('openWalletSync'), 'reached');
  assert.equal(call('openWalletSync'), 'reached');
  const revoked = base({ version: 2 });
  revoked.apps[0].granted_apis = [];
  assert.equal(guard.load(signPolicy(revoked, KEY_A), { now: clock }).code, 'ok');
  assert.equal(call('openWalletSync'), 'openWalletSync:fail jsapi has no permission');
  const unlisted = base({ version: 3 });
  unlisted.apps[0].api_whitelist = [];
  assert.equal(guard.load(signPolicy(unlisted, KEY_A), { now: clock }).code, 'ok');
  assert.equal(call('payXSync'), 'payXSync:fail api not in whitelist');
  // And a failed load changes nothing the memo would have to forget wrongly.
  assert.equal(call('getStorageSync'), 'reached');
  assert.equal(guard.load('garbage', { now: clock }).code, 'malformed_bundle');
  assert.equal(call('getStorageSync'), 'reached');
});

test('the clock reaching expires_at exactly: denied no_policy, and allowed again once moved back', async () => {
  clock = NOW;
  const { call } = await loaded(base({ expires_at: NOW + 5 }));
  assert.equal(call('getStorageSync'), 'reached');
  clock = NOW + 4;
  assert.equal(call('getStorageSync'), 'reached');
  clock = NOW + 5;
  assert.equal(call('getStorageSync'), 'getStorageSync:fail no valid permission policy');
  clock = NOW + 4;
  assert.equal(call('getStorageSync'), 'reached');
});

test('the clock set back before the window (nbf): denied no_policy', async () => {
  clock = NOW;
  const { call } = await loaded(base({ nbf: NOW - 2 }));
  assert.equal(call('getSystemInfoSync'), 'reached');
  clock = NOW - 2;
  assert.equal(call('getSystemInfoSync'), 'reached');
  clock = NOW - 3;
  assert.equal(call('getSystemInfoSync'), 'getSystemInfoSync:fail no valid permission policy');
  clock = NOW - 3600;
  assert.equal(call('getSystemInfoSync'), 'getSystemInfoSync:fail no valid permission policy');
});

test('a restored floor above the policy, and a re-key whose keys do not verify the bundle: the next call is denied', async () => {
  clock = NOW;
  const { guard, call } = await loaded(base());
  assert.equal(call('payXSync'), 'reached');
  const floor = JSON.parse(guard.floor());
  guard.restoreFloor(JSON.stringify({ ...floor, version: floor.version + 1 }));
  assert.equal(call('payXSync'), 'payXSync:fail no valid permission policy');

  const keyed = await createKeyedGuard(KEY_A);
  assert.equal(keyed.guard.load(signPolicy(base(), KEY_A), { now: clock }).code, 'ok');
  const { wx, reached } = recordingWx();
  const mp = keyed.guard.wrap(wx, { appId: 'mp_shop' });
  mp.payXSync();
  mp.payXSync();
  assert.equal(reached.length, 2);
  assert.equal(keyed.rekey(KEY_B, { now: clock }).load, 'bad_signature');
  assert.throws(() => mp.payXSync(), (e) => e.errMsg === 'payXSync:fail no valid permission policy');
  assert.equal(reached.length, 2);
});

test('a report-mode pass is never reused: each one is reported by the wasm', async () => {
  clock = NOW;
  const doc = base();
  doc.apps[0].mode = 'report';
  doc.apps[0].api_whitelist = [];
  const { guard, call } = await loaded(doc);
  guard.takeReports({ now: clock });
  for (let i = 0; i < 3; i++) assert.equal(call('payXSync'), 'reached');
  const body = JSON.parse(guard.takeReports({ now: clock }).body);
  assert.deepEqual(body.reports.map((x) => [x.api, x.code, x.count]), [['payXSync', 'api_not_whitelisted', 3]]);
});

test('a mini program patching Date.now, Math, typed arrays, Atomics and Reflect between calls cannot make a denied API pass', async () => {
  clock = NOW;
  const { guard, call } = await loaded(base({ expires_at: NOW + 10 }));
  // Allowed and memoised first; chooseImage-like denials for the rest.
  assert.equal(call('payXSync'), 'reached');
  assert.equal(call('openWalletSync'), 'reached');
  const TA = Object.getPrototypeOf(Float64Array.prototype);
  const saved = {
    now: Date.now, floor: Math.floor, apply: Reflect.apply, get: Reflect.get, load: Atomics.load,
    f64: Object.getOwnPropertyDescriptors(Float64Array.prototype), ta: Object.getOwnPropertyDescriptors(TA),
  };
  const outcomes = [];
  const patch = () => {
    // Everything a memo read through the realm's built-ins could be told.
    Date.now = () => NOW * 1000;
    Math.floor = () => NOW;
    Reflect.apply = () => 0;
    Reflect.get = () => 0;
    Atomics.load = () => 0;
    for (const proto of [Float64Array.prototype, TA]) {
      for (const k of ['0', '1', '2', 0, 1, 2]) Object.defineProperty(proto, k, { get: () => (k === '2' || k === 2 ? Infinity : 0), configurable: true });
      Object.defineProperty(proto, 'length', { get: () => 3, configurable: true });
    }
    Object.defineProperty(TA, 'buffer', { get: () => new ArrayBuffer(24), configurable: true });
  };
  const unpatch = () => {
    Date.now = saved.now; Math.floor = saved.floor; Reflect.apply = saved.apply; Reflect.get = saved.get; Atomics.load = saved.load;
    for (const [proto, d] of [[Float64Array.prototype, saved.f64], [TA, saved.ta]]) {
      for (const k of Reflect.ownKeys(proto)) if (!(k in d)) delete proto[k];
      for (const [k, v] of Object.entries(d)) Object.defineProperty(proto, k, v);
    }
  };
  const revoked = base({ version: 2, expires_at: NOW + 10 });
  revoked.apps[0].api_whitelist = ['openWalletSync'];
  const revoking = signPolicy(revoked, KEY_A);
  try {
    patch();
    // A revoking load by the base library, then the expiry, while patched.
    outcomes.push(guard.load(revoking, { now: clock }).code);
    outcomes.push(call('payXSync'));
    outcomes.push(call('openWalletSync'));
    clock = NOW + 10;
    outcomes.push(call('openWalletSync'));
    patch();
    outcomes.push(call('openWalletSync'));
    outcomes.push(call('getStorageSync'));
  } finally {
    unpatch();
  }
  assert.deepEqual(outcomes, [
    'ok',
    'payXSync:fail api not in whitelist',
    'reached',
    'openWalletSync:fail no valid permission policy',
    'openWalletSync:fail no valid permission policy',
    'getStorageSync:fail no valid permission policy',
  ]);
  // Nothing the guard hands out leads to the memo.
  assert.equal(Object.keys(guard).includes('memo'), false);
});

test('the module\'s memory growing under a kept allow: the next calls still decide as the wasm does', async () => {
  clock = NOW;
  const { guard, call } = await loaded(base());
  assert.equal(call('payXSync'), 'reached');
  // A URL of 2 MiB makes the module grow its memory (the input buffer),
  // which detaches the buffer the memo's view was made over.
  const huge = `https://api.shop.example/${'a'.repeat(2 * 1024 * 1024)}`;
  assert.equal(guard.checkRequest('mp_shop', huge, { now: clock }).code, 'invalid_url');
  assert.equal(call('payXSync'), 'reached');
  assert.equal(call('payXSync'), 'reached');
  const revoked = base({ version: 2 });
  revoked.apps[0].api_whitelist = [];
  assert.equal(guard.load(signPolicy(revoked, KEY_A), { now: clock }).code, 'ok');
  assert.equal(call('payXSync'), 'payXSync:fail api not in whitelist');
  assert.equal(guard.checkRequest('mp_shop', `${huge}b`, { now: clock }).code, 'invalid_url');
  clock = NOW + 1;
  assert.equal(call('payXSync'), 'payXSync:fail api not in whitelist');
  assert.equal(call('getStorageSync'), 'reached');
});
