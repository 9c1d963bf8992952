// Issue 21 §7: every API of miniprogram-api-typings and minigame-api-typings,
// in every call style, through `guard.wrap` (allow-all policy) against the
// unwrapped mock: the same calls reach the base library with the same
// arguments, the app observes the same callbacks in the same order, and each
// call answers the same shape (Promise, task, object, undefined).
// Run: node --test js/test-real/sweep.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, PACKAGES } from './surface.mjs';
import { ALLOW_ALL, APP, guardWith, flush, appValue, AppLog } from './harness.mjs';
import { createMock } from './mock-wx.mjs';
import { canon } from './canon.mjs';
import {
  sides, members, at, compare, callMember, listenerRoundTrip, exerciseObject, lastAnswered, answerOf, argsFor, CALLBACKS,
} from './sweep.mjs';

const surfaces = PACKAGES.map(describe);
const guard = await guardWith(ALLOW_ALL);

/** The top-level members of a style (nested namespaces have a test of their own). */
const topLevel = (surface, pred) => members(surface.root).filter(({ path, member }) => path.length === 1 && pred(member));

/** Runs `scenario` for each selected member: every mismatch fails the test. */
function sweep(title, select, scenario) {
  for (const surface of surfaces) {
    test(`${surface.name}: ${title}`, async () => {
      const pair = sides(surface, guard);
      const diffs = [];
      let selected = 0;
      for (const { path, member } of select(surface)) {
        const label = path.join('.');
        selected++;
        diffs.push(...(await compare(pair, label, (side, app) => scenario(side, app, path, member, surface))));
      }
      assert.ok(selected > 0, 'the sweep selected no API');
      assert.deepEqual(diffs, [], `${diffs.length} mismatches:\n${diffs.slice(0, 8).join('\n')}`);
    });
  }
}

for (const style of Object.keys(CALLBACKS)) {
  sweep(`callback APIs called with ${style}: same calls, callbacks, answers`,
    (s) => topLevel(s, (m) => m.kind === 'method' && m.style === 'callback'),
    (side, app, path, m, s) => callMember(side, s.types, path, m, app, style));
}

sweep('*Sync and plain functions: same calls and values',
  (s) => topLevel(s, (m) => m.kind === 'method' && (m.style === 'sync' || m.style === 'plain')),
  (side, app, path, m, s) => callMember(side, s.types, path, m, app));

sweep('listener APIs: on, an event, off, the event again',
  (s) => topLevel(s, (m) => m.kind === 'method' && m.style === 'listener'),
  (side, app, path, m, s) => listenerRoundTrip(side, s.types, path, m, app));

/** An object-returning API: the call, then every member of what it answered. */
async function objectScenario(side, app, path, m, s, style) {
  const start = side.mock.log.length;
  const fn = at(side.wx, path);
  const args = argsFor(s.types, m, app, m.style === 'callback' ? CALLBACKS[style] : undefined);
  const obj = fn(...args);
  const answer = await answerOf(obj, side);
  const original = lastAnswered(side, start);
  if (obj === null || typeof obj !== 'object' || original === undefined) return { answer };
  return { answer, members: await exerciseObject(side, s.types, obj, original, m.returns.key, app) };
}

sweep('object-returning APIs: every method, listener and property of the answer',
  (s) => topLevel(s, (m) => m.kind === 'method' && m.style === 'object'),
  (side, app, path, m, s) => objectScenario(side, app, path, m, s));

sweep('task-returning APIs: the task\'s methods and listeners',
  (s) => topLevel(s, (m) => m.kind === 'method' && m.style === 'callback' && m.task && m.returns?.t === 'ref' && s.types[m.returns.key].methods),
  (side, app, path, m, s) => objectScenario(side, app, path, m, s, 'callbacks'));

test('the sweep covers every API of both typings, in every style', () => {
  const counts = surfaces.map((s) => {
    const all = members(s.root);
    const by = (pred) => all.filter(({ member }) => pred(member)).length;
    return {
      name: s.name,
      callback: by((m) => m.style === 'callback'),
      promise: by((m) => m.style === 'callback' && m.promise),
      task: by((m) => m.style === 'callback' && m.task),
      sync: by((m) => m.style === 'sync'),
      listener: by((m) => m.style === 'listener'),
      object: by((m) => m.style === 'object'),
      namespaces: by((m) => m.kind === 'namespace'),
    };
  });
  // Floors from the pinned typings (5.2.3 and 3.8.20): a generator that
  // stopped seeing a style would sweep nothing and pass. (Minigame has 9
  // task-returning APIs: getTextLineHeight answers a number, no task.)
  const [mp, mg] = counts;
  assert.ok(mp.callback >= 280 && mp.promise >= 190 && mp.task >= 5 && mp.sync >= 15 && mp.listener >= 120 && mp.object >= 40 && mp.namespaces >= 9, JSON.stringify(mp));
  assert.ok(mg.callback >= 170 && mg.promise >= 110 && mg.task >= 9 && mg.sync >= 13 && mg.listener >= 100 && mg.object >= 35, JSON.stringify(mg));
  // The mock implements every member the typings declare.
  for (const s of surfaces) {
    const { wx } = createMock(s);
    const absent = members(s.root).filter(({ path }) => at(wx, path) === undefined).map(({ path }) => path.join('.'));
    assert.deepEqual(absent, [], `${s.name}: the mock lacks ${absent.join(', ')}`);
  }
});

// ---------------------------------------------------------------------------
// What issue 21 names ("Build" 1 and 2): each a test of its own.

/** A member of a nested namespace in the style it has. */
async function nestedScenario(pair, s, path, member) {
  const label = path.join('.');
  if (member.kind === 'namespace') return compare(pair, label, (side) => Object.keys(at(side.wx, path) ?? {}).sort());
  if (member.kind === 'class') return compare(pair, label, async (side) => answerOf(new (at(side.wx, path))('arg'), side));
  if (member.kind === 'value') return compare(pair, label, (side) => at(side.wx, path));
  if (member.style === 'listener') return compare(pair, label, (side, app) => listenerRoundTrip(side, s.types, path, member, app));
  return compare(pair, label, (side, app) => callMember(side, s.types, path, member, app, 'callbacks'));
}

sweep('functions of first-level namespaces (wx.cloud.callFunction, wx.router.addRouteBuilder, ...)',
  (s) => members(s.root).filter(({ path, member }) => path.length === 2 && member.kind === 'method'),
  (side, app, path, m, s) => (m.style === 'listener' ? listenerRoundTrip(side, s.types, path, m, app) : callMember(side, s.types, path, m, app, 'callbacks')));

test('deeper namespaces, constructors and values are reachable and behave as unwrapped', async () => {
  const diffs = [];
  for (const s of surfaces) {
    const pair = sides(s, guard);
    const rest = members(s.root).filter(({ path, member }) => path.length > 1 && !(path.length === 2 && member.kind === 'method'));
    for (const { path, member } of rest) diffs.push(...await nestedScenario(pair, s, path, member));
    // Members base libraries have beyond the typings (the mock adds them).
    for (const path of [['cloud', 'Cloud'], ['worklet', 'Easing', 'bezier']]) {
      if (at(pair.raw.wx, path) === undefined) continue;
      diffs.push(...await compare(pair, path.join('.'), async (side) => {
        const f = at(side.wx, path);
        return answerOf(path[1] === 'Cloud' ? new f({ env: 'e1' }) : f(0.25, 0.1, 0.25, 1), side);
      }));
    }
  }
  assert.deepEqual(diffs, [], `${diffs.length} mismatches:\n${diffs.slice(0, 8).join('\n')}`);
});

test('the wrapped wx is extensible, and members the host adds after wrap are reachable', () => {
  const [s] = surfaces;
  const mock = createMock(s);
  const mp = guard.wrap(mock.wx, { appId: APP });
  // Strict code (this module): a frozen namespace throws here.
  mp.xrScene = { id: 1 };
  assert.deepEqual(mp.xrScene, { id: 1 });
  mock.wx.hostLateApi = function hostLateApi(o) { return ['late', o]; };
  Object.defineProperty(mock.wx, 'hostGetter', { get: () => 'got', configurable: true, enumerable: true });
  assert.equal(typeof mp.hostLateApi, 'function');
  assert.deepEqual(mp.hostLateApi(1), ['late', 1]);
  assert.equal(mp.hostGetter, 'got');
  // Guarded members stay put.
  assert.throws(() => { mp.request = () => 'hijacked'; }, TypeError);
  assert.notEqual(mp.request({ url: 'https://a.sweep.example/' }), 'hijacked');
});

test('returned objects keep expandos and late members', async () => {
  const diffs = [];
  for (const s of surfaces) {
    const mock = createMock(s);
    const mp = guard.wrap(mock.wx, { appId: APP });
    for (const { path, member } of topLevel(s, (m) => m.kind === 'method' && m.style === 'object')) {
      const app = new AppLog(mock.registry);
      const start = mock.log.length;
      const obj = at(mp, path)(...argsFor(s.types, member, app));
      const original = lastAnswered({ mock }, start);
      if (obj === null || typeof obj !== 'object' || original === undefined) continue;
      try {
        obj.appExpando = 7;
        Object.getPrototypeOf(original).lateMethod = function lateMethod() { return 'late'; };
        original.lateField = 'field';
        if (obj.appExpando !== 7) diffs.push(`${path}: expando lost`);
        if (typeof obj.lateMethod !== 'function' || obj.lateMethod() !== 'late') diffs.push(`${path}: late method missing`);
        if (obj.lateField !== 'field') diffs.push(`${path}: late field missing`);
      } catch (e) {
        diffs.push(`${path}: ${e.message}`);
      } finally {
        delete Object.getPrototypeOf(original).lateMethod;
      }
    }
  }
  assert.deepEqual(diffs, []);
});

test('options reach the base library as given: inherited callbacks and fields kept, nothing invented, no String()', async () => {
  const diffs = [];
  for (const s of surfaces) {
    const pair = sides(s, guard);
    for (const { path, member } of topLevel(s, (m) => m.kind === 'method' && m.style === 'callback')) {
      diffs.push(...await compare(pair, `${path} inherited`, async (side, app) => {
        const [own] = argsFor(s.types, member, app);
        const opts = Object.create({ ...CALLBACKS.callbacks(app), header: { inherited: 'yes' } });
        Object.assign(opts, own);
        return answerOf(at(side.wx, path)(opts), side);
      }));
      // Only the fields the typings require: a wrapper must not invent the others.
      diffs.push(...await compare(pair, `${path} sparse`, async (side, app) => {
        const opts = appValue(s.types, member.args[0] ?? null, 'option', app, [], true) ?? {};
        return answerOf(at(side.wx, path)({ ...opts, ...CALLBACKS.callbacks(app) }), side);
      }));
    }
    // Values that are not strings reach the base library as they are.
    diffs.push(...await compare(pair, 'previewImage current 0', async (side, app) => answerOf(side.wx.previewImage({ urls: ['https://cdn.sweep.example/a.png'], current: 0, ...CALLBACKS.callbacks(app) }), side)));
    diffs.push(...await compare(pair, 'audio.src = undefined', async (side) => {
      const audio = side.wx.createInnerAudioContext?.();
      if (audio === undefined) return null;
      audio.src = undefined;
      return canon(audio.src, side.mock.registry);
    }));
  }
  assert.deepEqual(diffs, [], `${diffs.length} mismatches:\n${diffs.slice(0, 8).join('\n')}`);
});

// ---------------------------------------------------------------------------
// Network targets: the one argument that reaches the base library changed.

test('network targets reach the base library as the guard serialised them', async () => {
  const [s] = surfaces;
  const mock = createMock(s);
  const mp = guard.wrap(mock.wx, { appId: APP });
  const given = 'HTTPS://API.Sweep.Example:443/a/../b?q=1#f';
  const want = new URL(given).href;
  const cases = [
    ['request', { url: given }, 'url'],
    ['uploadFile', { url: given, filePath: 'wxfile://tmp/a.png', name: 'f' }, 'url'],
    ['downloadFile', { url: given }, 'url'],
    ['connectSocket', { url: 'WSS://WS.Sweep.Example/s' }, 'url'],
    ['previewImage', { urls: [given], current: given }, 'current'],
  ];
  for (const [api, opts, field] of cases) {
    const start = mock.log.length;
    mp[api]({ ...opts, success() {} });
    await flush();
    const got = mock.log[start].args[0][field];
    const expected = api === 'connectSocket' ? new URL(opts.url).href : want;
    assert.equal(got, expected, `${api}.${field}`);
  }
  // Everything else in the options is untouched.
  const start = mock.log.length;
  const header = { 'X-Trace': '1' };
  mp.request({ url: given, method: 'POST', header, data: { a: 1 }, timeout: 5 });
  assert.deepEqual(mock.log[start].seen, [{ url: want, method: 'POST', header: { 'X-Trace': '1' }, data: { a: 1 }, timeout: 5 }]);
  assert.equal(mock.log[start].args[0].header, header);
});
