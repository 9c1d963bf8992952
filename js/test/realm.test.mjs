// The page's side of the demo's mini program realm (js/harness/realm.mjs) in
// Node, with a stand-in for the browser's Worker: every message from the
// realm is untrusted input. A forged message asks nothing a `wx` call could
// not: an API the page never listed is refused, arguments are rebuilt as
// data (an own `__proto__` stays a key and never reaches the original),
// callbacks come back as messages, and `*Sync` calls are answered through
// the SharedArrayBuffer, denials included. Chromium runs the realm itself
// (js/test-browser/harness.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuard } from '../src/index.js';
import { SECRET, NOW, policy, bundle, tick } from './fixture.mjs';
import { startRealm } from '../harness/realm.mjs';

/** The browser's Worker as realm.mjs uses it: messages both ways, recorded. */
class FakeWorker {
  static last = null;
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.listeners = [];
    FakeWorker.last = this;
  }
  postMessage(m) { this.sent.push(m); }
  addEventListener(type, f) { if (type === 'message') this.listeners.push(f); }
  terminate() {}
  /** A message from the realm, as structured clone delivers it. */
  emit(m) { for (const f of this.listeners) f({ data: structuredClone(m) }); }
}

async function realmOf(wx) {
  const guard = await createGuard({ secret: SECRET });
  assert.equal(guard.load(bundle(policy({ issued_at: 0, expires_at: undefined })), { now: NOW }).code, 'ok');
  const saved = globalThis.Worker;
  globalThis.Worker = FakeWorker;
  try {
    const started = startRealm({ appId: 'mp_shop', wx: guard.wrap(wx, { appId: 'mp_shop' }), code: new Uint8Array([1]) });
    const worker = FakeWorker.last;
    assert.equal(worker.url, '/harness/realm-worker.js');
    assert.equal(worker.sent[0].op, 'init');
    worker.emit({ op: 'ready', lists: {} });
    return { realm: await started, worker };
  } finally {
    globalThis.Worker = saved;
  }
}

/** A `*Sync` call's answer, as the blocked worker would read it. */
function syncAnswer(sab) {
  const state = new Int32Array(sab, 0, 2);
  assert.equal(Atomics.load(state, 0), 1, 'answered');
  return JSON.parse(new TextDecoder().decode(new Uint8Array(sab, 8, Atomics.load(state, 1)).slice()));
}

test('forged realm messages ask nothing a wx call could not: unlisted APIs refused, an own __proto__ never reaches the original, callbacks and *Sync answered', async () => {
  const reached = [];
  const wx = {
    request(o) {
      reached.push(['request', Object.keys(o), Object.assign({}, o).url ?? null]);
      o.fail?.({ errMsg: 'request:fail no url' });
    },
    getSystemInfoSync: () => ({ platform: 'node' }),
    getSecretTokenSync: () => 'secret',
  };
  const { realm, worker } = await realmOf(wx);
  const EVIL = 'https://evil.example/forged';
  // Names the page never listed: the prototype's, the guard's, a made-up one.
  for (const api of ['constructor', '__proto__', 'toString', 'guard', 'fetch']) worker.emit({ op: 'call', id: 1, api, args: [] });
  // A request whose url sits under an own `__proto__`, its fail a callback id.
  worker.emit({ op: 'call', id: 2, api: 'request', args: [{ t: 'o', v: { ['__proto__']: { t: 'o', v: { url: { t: 'p', v: EVIL } } }, fail: { t: 'f', id: 7 } } }] });
  // A function deeper than an option is no callback: it arrives as nothing.
  worker.emit({ op: 'call', id: 3, api: 'request', args: [{ t: 'o', v: { url: { t: 'o', v: { toString: { t: 'f', id: 8 } } } } }] });
  const allowed = new SharedArrayBuffer(8 + 4096);
  const denied = new SharedArrayBuffer(8 + 4096);
  worker.emit({ op: 'call', id: 4, api: 'getSystemInfoSync', args: [], sab: allowed });
  worker.emit({ op: 'call', id: 5, api: 'getSecretTokenSync', args: [], sab: denied });
  await tick();
  assert.deepEqual(realm.calls.slice(0, 5).map((c) => [c.api, c.ok, c.code, c.errMsg]),
    ['constructor', '__proto__', 'toString', 'guard', 'fetch'].map((api) => [api, false, 'not an API', `${api}:fail not an API of this base library`]));
  // The first request reached the original without the key (and failed there).
  assert.deepEqual(reached, [['request', ['fail'], null]]);
  const forged = realm.calls[5];
  assert.deepEqual([forged.api, forged.ok, forged.url], ['request', false, undefined]);
  // The fail callback went back to the realm as a message.
  assert.ok(worker.sent.some((m) => m.op === 'callback' && m.cb === 7), JSON.stringify(worker.sent));
  assert.ok(!JSON.stringify(realm.calls).includes('evil.example'));
  // The `url` object with its own toString: not data, so the call fails as
  // the platform's parameter check does, and its function is never called.
  const deep = realm.calls[6];
  assert.deepEqual([deep.api, deep.ok, deep.errMsg], ['request', false, 'request:fail parameter error: a function inside an option is not data']);
  assert.ok(worker.sent.some((m) => m.op === 'settle' && m.id === 3 && m.ok === false));
  assert.ok(!worker.sent.some((m) => m.op === 'callback' && m.cb === 8));
  assert.deepEqual(syncAnswer(allowed), { ok: true, value: { platform: 'node' } });
  const answer = syncAnswer(denied);
  assert.equal(answer.ok, false);
  assert.equal(answer.error.errMsg, 'getSecretTokenSync:fail api not in whitelist');
});
