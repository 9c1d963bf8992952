// Issue 21 §7 (and "Build" 2): what a denial looks like, for every API of
// both typings in every call shape, through `guard.wrap` over the mock with
// a policy that refuses every API (control.apis on, an empty builtin list).
// A denial must look like the platform's own failure of that API: callbacks
// get `{ errMsg: '<api>:fail ...', errno }` (fail, then complete, after the
// call returned), a Promise-style call rejects with it, a `*Sync` call
// throws it, a task- or object-returning call answers an inert object of the
// right shape (never a Promise), a listener API answers nothing; nothing
// reaches the base library and nothing escapes as an exception or an
// unhandled rejection. The issue's named cases follow, one test each.
// Run: node --test js/test-real/denials.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, PACKAGES } from './surface.mjs';
import { createMock } from './mock-wx.mjs';
import { members, at, argsFor, CALLBACKS } from './sweep.mjs';
import { APP, AppLog, collectEscapes, flush, guardWith, policy } from './harness.mjs';

const DENY_ALL = { ...policy({ control: { apis: true } }), builtin_apis: [] };
const OTHER_HOSTS = policy({ control: { server_domains: true }, serverDomains: ['https://api.other.example', 'wss://ws.other.example'] });

const surfaces = PACKAGES.map(describe);
const denyAll = await guardWith(DENY_ALL);
const hosts = await guardWith(OTHER_HOSTS);

const NOT_WHITELISTED = (api) => ({ errMsg: `${api}:fail api not in whitelist`, errno: 102 });
const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';

/**
 * Call styles and what a denial must answer in each. A check answers a
 * problem (a string) or null. Each gets a fresh wrapped mock per surface.
 */
const SHAPES = {
  'callback APIs with callbacks': {
    select: (m) => m.style === 'callback',
    async check(mp, mock, s, path, m) {
      const app = new AppLog(mock.registry);
      const args = argsFor(s.types, m, app, CALLBACKS.callbacks);
      if (args.length === 0) args.push(CALLBACKS.callbacks(app));
      const ret = at(mp, path)(...args);
      const early = app.events.length;
      await flush();
      const want = NOT_WHITELISTED(path.at(-1));
      if (early !== 0) return 'callbacks ran before the call returned';
      if (isThenable(ret)) return 'answered a Promise';
      if (m.task && (ret === null || typeof ret !== 'object')) return `answered ${typeof ret}, not a task`;
      if (!m.task && ret !== undefined) return `answered ${typeof ret}`;
      const problem = sameEvents(app.events, [['fail', [want]], ['complete', [want]]]);
      return problem ?? shapeProblem(ret, s, m.task ? m.returns : null);
    },
  },
  'Promise-style calls (no callbacks)': {
    select: (m) => m.style === 'callback' && m.promise && !m.task,
    async check(mp, mock, s, path, m) {
      const app = new AppLog(mock.registry);
      const ret = at(mp, path)(...argsFor(s.types, m, app));
      if (!isThenable(ret)) return `answered ${typeof ret}, not a Promise`;
      try {
        await ret;
        return 'resolved';
      } catch (e) {
        return sameEvents([['rejected', [{ ...e }]]], [['rejected', [NOT_WHITELISTED(path.at(-1))]]]);
      }
    },
  },
  'callback APIs without callbacks that answer no Promise': {
    select: (m) => m.style === 'callback' && !m.promise,
    async check(mp, mock, s, path, m) {
      const app = new AppLog(mock.registry);
      const ret = at(mp, path)(...argsFor(s.types, m, app));
      if (isThenable(ret)) return 'answered a Promise';
      if (m.task) return shapeProblem(ret, s, m.returns);
      return ret === undefined ? null : `answered ${typeof ret}`;
    },
  },
  '*Sync calls': {
    select: (m) => m.style === 'sync',
    async check(mp, mock, s, path, m) {
      const app = new AppLog(mock.registry);
      try {
        at(mp, path)(...argsFor(s.types, m, app));
        return 'did not throw';
      } catch (e) {
        const want = NOT_WHITELISTED(path.at(-1));
        return e instanceof Error && e.errMsg === want.errMsg && e.errno === want.errno ? null : `threw ${e?.message}`;
      }
    },
  },
  'object-returning APIs': {
    select: (m) => m.style === 'object',
    async check(mp, mock, s, path, m) {
      const app = new AppLog(mock.registry);
      const ret = at(mp, path)(...argsFor(s.types, m, app));
      if (isThenable(ret)) return 'answered a Promise';
      return shapeProblem(ret, s, m.returns);
    },
  },
  'listener APIs': {
    select: (m) => m.style === 'listener',
    async check(mp, mock, s, path) {
      const app = new AppLog(mock.registry);
      const ret = at(mp, path)(app.fn('listener'));
      return ret === undefined ? null : `answered ${isThenable(ret) ? 'a Promise' : typeof ret}`;
    },
  },
};

/** Whether the app saw exactly `want`. */
function sameEvents(got, want) {
  return JSON.stringify(got) === JSON.stringify(want) ? null : `saw ${JSON.stringify(got)}`;
}

/** An inert stand-in must have every method of the type the API answers. */
function shapeProblem(obj, s, returns) {
  if (returns === null || returns?.t !== 'ref') return null;
  if (obj === null || typeof obj !== 'object') return `answered ${obj === null ? 'null' : typeof obj}, not an object`;
  const entry = s.types[returns.key];
  const missing = Object.entries(entry.members).filter(([k, mm]) => mm.kind === 'method' && typeof obj[k] !== 'function').map(([k]) => k);
  return missing.length === 0 ? null : `lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`;
}

/** Runs one shape over every top-level API of a surface: `Map(api -> problem)`, with what escaped and what reached the mock. */
async function survey(s, shape) {
  const mock = createMock(s);
  const mp = denyAll.wrap(mock.wx, { appId: APP });
  const problems = new Map();
  for (const { path, member } of members(s.root).filter(({ path: p, member: m }) => p.length === 1 && m.kind === 'method' && shape.select(m))) {
    const before = mock.log.length;
    const { value, errors, rejections } = await collectEscapes(() => shape.check(mp, mock, s, path, member).catch((e) => `threw ${e?.message}`));
    const reached = mock.log.length > before ? 'reached the base library' : null;
    const escaped = errors.length + rejections.length > 0 ? `escaped: ${JSON.stringify([...errors, ...rejections]).slice(0, 160)}` : null;
    const found = [value, reached, escaped].filter((x) => x !== null && x !== undefined);
    if (found.length > 0) problems.set(path.join('.'), found.join('; '));
  }
  return problems;
}

for (const [title, shape] of Object.entries(SHAPES)) {
  for (const s of surfaces) {
    test(`${s.name}: denied ${title} look like the platform's failure`, async () => {
      const found = [...(await survey(s, shape))];
      assert.deepEqual(found, [], `${found.length} APIs:\n${found.slice(0, 10).map(([a, p]) => `  ${a}: ${p}`).join('\n')}`);
    });
  }
}

// ---------------------------------------------------------------------------
// The cases issue 21 names.

/** A wrapped mock of the mini program surface under `guard`. */
function wrapped(guard) {
  const mock = createMock(surfaces[0]);
  return { mock, mp: guard.wrap(mock.wx, { appId: APP }) };
}

test('the harness sees what escapes: an exception in an app callback the mock calls', async () => {
  const mock = createMock(surfaces[0]);
  const { errors } = await collectEscapes(async () => {
    mock.wx.showToast({ title: 't', success() { throw new Error('app bug'); } });
  });
  assert.deepEqual(errors, ['Error: app bug']);
});

test('an exception thrown in the app\'s own fail handler surfaces as on the platform', async () => {
  const { mp } = wrapped(denyAll);
  const { errors } = await collectEscapes(async () => {
    mp.chooseImage({ fail() { throw new Error('app bug in fail'); } });
  });
  assert.deepEqual(errors, ['Error: app bug in fail']);
});

test('a denied getRecorderManager answers an inert RecorderManager, whose start fails through onError', async () => {
  const { mp } = wrapped(denyAll);
  const { value: seen, errors, rejections } = await collectEscapes(async () => {
    const rm = mp.getRecorderManager();
    assert.ok(!isThenable(rm), 'answered a Promise');
    const got = [];
    rm.onStop(() => got.push('stop'));
    rm.onError((res) => got.push(res));
    rm.start({ duration: 1000 });
    await flush();
    return got;
  });
  assert.deepEqual([errors, rejections], [[], []]);
  assert.equal(seen.length, 1);
  assert.match(seen[0].errMsg, /^(getRecorderManager|start):fail /);
  assert.equal(seen[0].errno, 102);
});

test('a denied connectSocket without callbacks fires the task\'s onError and onClose, and wx.onSocketClose', async () => {
  const { mock, mp } = wrapped(hosts);
  const { value: seen, errors, rejections } = await collectEscapes(async () => {
    const got = [];
    mp.onSocketClose((res) => got.push(['wx.onSocketClose', res.errMsg]));
    const task = mp.connectSocket({ url: 'wss://ws.evil.example/live' });
    assert.ok(task !== undefined && !isThenable(task), 'no SocketTask');
    task.onError((res) => got.push(['onError', res.errMsg, res.errno]));
    task.onClose((res) => got.push(['onClose', res.errMsg]));
    await flush();
    return got;
  });
  assert.deepEqual([errors, rejections], [[], []]);
  assert.deepEqual(mock.log.filter((e) => e.path === 'wx.connectSocket'), []);
  const fail = 'connectSocket:fail url not in domain list:ws.evil.example';
  assert.deepEqual(seen.find((e) => e[0] === 'onError'), ['onError', fail, 600002]);
  assert.ok(seen.some((e) => e[0] === 'onClose'), 'the task never closed');
  assert.ok(seen.some((e) => e[0] === 'wx.onSocketClose'), 'wx.onSocketClose never fired');
});

test('a denied udp.send fails through onError instead of throwing', async () => {
  const { mock, mp } = wrapped(hosts);
  const { value: seen, errors, rejections } = await collectEscapes(async () => {
    const udp = mp.createUDPSocket();
    const got = [];
    udp.onError((res) => got.push(res));
    udp.send({ address: 'evil.example', port: 9000, message: 'hi' });
    await flush();
    return got;
  });
  assert.deepEqual([errors, rejections], [[], []]);
  assert.deepEqual(mock.log.filter((e) => /\.send$/.test(e.path)), []);
  assert.equal(seen.length, 1);
  // The errMsg names the method the app called, as the platform's does.
  assert.match(seen[0].errMsg, /^UDPSocket\.send:fail /);
  assert.equal(seen[0].errno, 600002);
});

test('a denied setter fails through the object\'s error listener, and the original keeps its value', async () => {
  const { mock, mp } = wrapped(hosts);
  const { value: seen, errors, rejections } = await collectEscapes(async () => {
    const audio = mp.createInnerAudioContext();
    const got = [];
    audio.onError((res) => got.push(res));
    audio.src = 'https://media.evil.example/a.mp3';
    await flush();
    return got;
  });
  assert.deepEqual([errors, rejections], [[], []]);
  assert.deepEqual(mock.log.filter((e) => e.path.endsWith('.src=')), []);
  assert.equal(seen.length, 1);
  assert.match(seen[0].errMsg, /:fail url not in domain list:media\.evil\.example$/);
  assert.equal(seen[0].errno, 600002);
});

test('a denied marker fails with the method\'s own name: addMarkers:fail', async () => {
  const { mock, mp } = wrapped(hosts);
  const map = mp.createMapContext('map');
  const got = [];
  map.addMarkers({ markers: [{ id: 1, latitude: 1, longitude: 2, iconPath: 'https://icons.evil.example/pin.png' }], fail: (r) => got.push(r) });
  await flush();
  assert.deepEqual(mock.log.filter((e) => e.path.endsWith('.addMarkers')), []);
  assert.deepEqual(got, [{ errMsg: 'addMarkers:fail url not in domain list:icons.evil.example', errno: 600002 }]);
});
