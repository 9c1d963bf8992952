// The wrapped request's fast paths (issue 24, round 4): the href guard-core
// wrote for a URL it rewrote is decoded once per URL and remembered by the
// driver (decision 650), and the options' one URL door is vetted straight.
// What the original receives must stay the guard's serialisation of what
// the caller handed over, read once, whatever the mini program does to
// its options or to the realm's built-ins before and after each call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuard } from '../src/index.js';
import { SECRET, NOW, policy, bundle, fakeWx } from './fixture.mjs';

// Rewritten by serialisation: host case, default port, empty path, dot
// segments, a tab, non-ASCII and a lone surrogate (which UTF-8 makes U+FFFD).
const REWRITTEN = [
  'https://API.shop.example/', 'https://api.shop.example:443/v2', 'https://api.shop.example', 'HTTPS://x.IMG.shop.example/p.png',
  'https://cdn.shop.example:8443/a/../b', 'https://api.shop.example/a\tb', 'https://API.shop.example/\u00fc?q=\u00e9',
  'https://api.shop.example/\ud800x', 'https://api.shop.example/caf\u00e9/\ud83d\ude00',
];
// Computed before any test touches a built-in.
const HREF = Object.fromEntries(REWRITTEN.map((u) => [u, new URL(u).href]));

async function wrapped() {
  const guard = await createGuard({ secret: SECRET });
  assert.equal(guard.load(bundle(policy({ issued_at: 0, expires_at: undefined })), { now: NOW }).code, 'ok');
  const wx = fakeWx();
  return { guard, wx, mp: guard.wrap(wx, { appId: 'mp_shop' }) };
}

/** The `url` the original received in the last request it saw. */
const lastUrl = (wx) => wx.calls[wx.calls.length - 1][1].url;

test('a rewritten URL hands on the guard\'s serialisation on every call, the first (decoded) and the later (remembered) alike', async () => {
  const { wx, mp } = await wrapped();
  for (let round = 0; round < 3; round++) {
    for (const u of REWRITTEN) {
      const before = wx.calls.length;
      mp.request({ url: u });
      assert.equal(wx.calls.length, before + 1, u);
      const o = wx.calls[before][1];
      assert.equal(o.url, HREF[u], `${JSON.stringify(u)}, round ${round}`);
      assert.equal(Object.getPrototypeOf(o), null);
      assert.ok(Object.isFrozen(o));
    }
  }
  // A URL already serialised is handed on as given, remembered or not.
  for (const u of ['https://api.shop.example/v1/items?id=3', 'https://cdn.shop.example:8443/a/b.png']) {
    mp.request({ url: u });
    assert.equal(lastUrl(wx), u);
  }
});

test('more rewritten URLs than the driver remembers, and one longer than it keeps: each hands on its own serialisation', async () => {
  const { wx, mp } = await wrapped();
  const many = Array.from({ length: 600 }, (_, i) => `HTTPS://API.shop.example/p${i}?q=${'x'.repeat(i % 7)}`);
  for (let round = 0; round < 2; round++) {
    for (const u of many) {
      mp.request({ url: u });
      assert.equal(lastUrl(wx), new URL(u).href, u);
    }
  }
  const long = `HTTPS://API.shop.example/${'a'.repeat(700)}`;
  for (let i = 0; i < 3; i++) {
    mp.request({ url: long });
    assert.equal(lastUrl(wx), new URL(long).href);
  }
});

test('a getter on url is read once per call: what it answers on a second read never reaches the original', async () => {
  const { wx, mp } = await wrapped();
  let reads = 0;
  const options = {
    get url() {
      reads++;
      return reads % 2 === 1 ? 'https://API.shop.example/' : 'https://evil.example/';
    },
  };
  for (let i = 0; i < 4; i++) {
    const before = reads;
    const calls = wx.calls.length;
    mp.request(options);
    assert.equal(reads, before + 1, 'one read per call');
    // Odd reads name the shop, even ones evil.example: a call whose one read
    // was even is refused, never handed on.
    if (reads % 2 === 1) assert.equal(lastUrl(wx), 'https://api.shop.example/');
    else assert.equal(wx.calls.length, calls, 'the evil read was refused');
  }
  assert.ok(!JSON.stringify(wx.calls).includes('evil.example'));
});

test('a URL object whose string form changes: each call checks its own string once, and only a checked one is handed on', async () => {
  const { wx, mp } = await wrapped();
  let n = 0;
  const url = { toString: () => (n++ % 2 === 0 ? 'HTTPS://API.shop.example/x' : 'https://evil.example/x') };
  const failed = [];
  for (let i = 0; i < 6; i++) mp.request({ url, fail: (e) => failed.push(e.errMsg) });
  await new Promise((resolve) => { setTimeout(resolve, 10); });
  assert.equal(n, 6, 'the string form taken once per call');
  const handed = wx.calls.filter((c) => c[0] === 'request').map((c) => c[1].url);
  assert.deepEqual(handed, ['https://api.shop.example/x', 'https://api.shop.example/x', 'https://api.shop.example/x']);
  assert.equal(failed.length, 3);
  for (const m of failed) assert.match(m, /^request:fail /);
});

test('the text codecs, Map and the prototypes replaced after wrap time change no URL handed on, remembered or new', async () => {
  const { wx, mp } = await wrapped();
  const EVIL = 'https://evil.example/';
  // Remembered before the tampering.
  for (const u of REWRITTEN) mp.request({ url: u });
  const saved = [];
  const replace = (obj, key, d) => {
    saved.push([obj, key, Object.getOwnPropertyDescriptor(obj, key)]);
    Object.defineProperty(obj, key, { configurable: true, ...d });
  };
  // A table a mini program would like the driver to read: every URL below,
  // remembered as evil.example at its true href's length.
  const evilMap = new Map();
  const fresh = ['HTTPS://API.shop.example/fresh', 'https://api.shop.example:443/fresh?\u00e9', 'HTTPS://API.shop.example/f.zip'];
  for (const u of [...REWRITTEN, ...fresh]) evilMap.set(u, { href: EVIL, len: Buffer.byteLength(new URL(u).href) });
  try {
    replace(TextDecoder.prototype, 'decode', { value: () => EVIL, writable: true });
    replace(TextEncoder.prototype, 'encodeInto', { value: (s, view) => { for (let i = 0; i < view.length; i++) view[i] = 0x61; return { read: s.length, written: view.length }; }, writable: true });
    replace(Map.prototype, 'get', { value: () => ({ href: EVIL, len: 21 }), writable: true });
    replace(Map.prototype, 'set', { value: () => evilMap, writable: true });
    replace(Map.prototype, 'clear', { value: () => undefined, writable: true });
    // A Map planted where a table indexed by kind would find one.
    for (let k = 0; k < 16; k++) {
      replace(Object.prototype, String(k), { get: () => evilMap, set: () => {} });
      replace(Array.prototype, String(k), { get: () => evilMap, set: () => {} });
    }
    replace(String.prototype, 'toString', { value: () => EVIL, writable: true });
    replace(String.prototype, 'charCodeAt', { value: () => 0x61, writable: true });
    replace(Uint8Array.prototype, 'subarray', { value: () => new Uint8Array(3), writable: true });
    for (const u of [...REWRITTEN, fresh[0], fresh[1]]) {
      mp.request({ url: u });
      assert.equal(lastUrl(wx), HREF[u] ?? (u.endsWith('fresh') ? 'https://api.shop.example/fresh' : 'https://api.shop.example/fresh?%C3%A9'), JSON.stringify(u));
    }
    // A kind checked for the first time now: its table is made under the planted getters.
    for (let i = 0; i < 2; i++) {
      mp.downloadFile({ url: 'HTTPS://API.shop.example/f.zip' });
      assert.deepEqual(wx.calls[wx.calls.length - 1].slice(0, 1), ['downloadFile']);
      assert.equal(lastUrl(wx), 'https://api.shop.example/f.zip');
    }
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [obj, key, d] = saved[i];
      if (d === undefined) delete obj[key];
      else Object.defineProperty(obj, key, d);
    }
  }
  assert.ok(!JSON.stringify(wx.calls).includes('evil.example'));
});
