// The raw driver's URL check and its href (src/raw.js over
// guard_check_url_href): the href of an already serialised URL is the
// caller's own string, one guard-core wrote is read back from the module,
// and no href outlives the check it belongs to. The single-string input
// buffer is asked in rounded sizes: the URL limit still cuts where it did,
// and the view a URL is written through follows the memory when it grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile, open } from '../src/raw.js';
import { SECRET, NOW, policy, bundle } from './fixture.mjs';

const module = await compile(readFileSync(new URL('../pkg/guard_wasm_bg.wasm', import.meta.url)));

async function loaded() {
  const d = await open(module);
  assert.equal(d.create(SECRET), 0);
  assert.equal(d.load(bundle(policy()), NOW), 0);
  return { d, app: d.appHandle('mp_shop'), kind: d.kind('request') };
}

test('a URL check tells its href: the caller\'s string when it is the serialisation, else what guard-core wrote', async () => {
  const { d, app, kind } = await loaded();
  const url = ['https://api.shop.example/v1/items', '?id=3'].join('');
  assert.equal(d.checkUrl(kind, app, url, NOW), 0);
  assert.equal(d.href(), url);
  for (const [given, href] of [
    ['HTTPS://API.shop.example:443/x', 'https://api.shop.example/x'],
    ['https://api.shop.example', 'https://api.shop.example/'],
    ['https://API.shop.example/\u00fc?q=\u00e9', 'https://api.shop.example/%C3%BC?q=%C3%A9'],
    ['https://cdn.shop.example:8443/a/../b', 'https://cdn.shop.example:8443/b'],
  ]) {
    assert.equal(d.checkUrl(kind, app, given, NOW), 0, given);
    assert.equal(d.href(), href, given);
    assert.equal(d.href(), href, 'asked twice, the same answer');
  }
});

test('no href outlives its check: another check or input in between leaves none', async () => {
  const { d, app, kind } = await loaded();
  const api = d.apiId('showToast');
  for (const url of ['https://api.shop.example/x', 'HTTPS://API.shop.example/x']) {
    assert.equal(d.checkUrl(kind, app, url, NOW), 0);
    assert.equal(d.checkApi(app, api, NOW), 0);
    assert.equal(d.href(), null, `${url} then an API check`);
    assert.equal(d.checkUrl(kind, app, url, NOW), 0);
    assert.equal(d.apiId('getLocation') >= 0, true);
    assert.equal(d.href(), null, `${url} then a new input`);
    assert.equal(d.checkUrl(kind, app, url, NOW), 0);
    assert.equal(d.messageFor('request'), 'request:ok');
    assert.equal(d.href(), null, `${url} then a message`);
    for (const [what, call] of [['the report log taken', () => d.takeReports(NOW)], ['the floor read', () => d.floor()],
      ['the log put back', () => d.requeueReports(NOW)], ['a bundle refused unread', () => d.load('x'.repeat(d.MAX_BUNDLE + 1), NOW)]]) {
      assert.equal(d.checkUrl(kind, app, url, NOW), 0);
      call();
      assert.equal(d.href(), null, `${url} then ${what}`);
    }
  }
  assert.equal(d.codeName(d.checkUrl(kind, app, 'not a url', NOW), false), 'invalid_url');
  assert.equal(d.href(), null);
});

test('the URL limit cuts where it did: a URL of the limit is checked, one byte more is invalid_url', async () => {
  const { d, app, kind } = await loaded();
  const head = 'https://api.shop.example/';
  const at = head + 'a'.repeat(d.MAX_URL - head.length);
  assert.equal(d.checkUrl(kind, app, at, NOW), 0);
  assert.equal(d.href(), at);
  assert.equal(d.codeName(d.checkUrl(kind, app, `${at}a`, NOW), false), 'invalid_url');
  // Three bytes a character: the cut falls inside the string, never past it.
  const wide = head + '\u20ac'.repeat(d.MAX_URL);
  assert.equal(d.codeName(d.checkUrl(kind, app, wide, NOW), false), 'invalid_url');
  assert.equal(d.checkUrl(kind, app, 'https://api.shop.example/\u20ac', NOW), 0);
  assert.equal(d.href(), 'https://api.shop.example/%E2%82%AC');
});

test('the kept view of the URL buffer follows the memory when it grows between two checks', async () => {
  // A copy of the driver whose instance the test can reach: its memory is
  // grown between checks whose input buffer stays at the same address and
  // size, which detaches the buffer the kept view was made over.
  const real = WebAssembly.instantiate;
  let memory;
  WebAssembly.instantiate = async (...args) => {
    const instance = await real(...args);
    memory = instance.exports.memory;
    return instance;
  };
  let raw;
  try {
    raw = await import('../src/raw.js?grown');
  } finally {
    WebAssembly.instantiate = real;
  }
  const d = await raw.open(module);
  assert.equal(d.create(SECRET), 0);
  assert.equal(d.load(bundle(policy()), NOW), 0);
  const app = d.appHandle('mp_shop');
  const kind = d.kind('request');
  // Same length, so the same buffer size: the view is kept between them.
  const ok = 'https://api.shop.example/abc';
  const bad = 'https://evil.example/abcdefg';
  assert.equal(ok.length, bad.length);
  for (let i = 0; i < 4; i++) {
    assert.equal(d.checkUrl(kind, app, ok, NOW), 0);
    assert.equal(d.href(), ok);
    memory.grow(1);
    assert.equal(d.codeName(d.checkUrl(kind, app, bad, NOW), false), 'domain_not_whitelisted', `after growth ${i}`);
    memory.grow(1);
    assert.equal(d.checkUrl(kind, app, ok, NOW), 0, `after growth ${i}`);
    assert.equal(d.href(), ok);
  }
});
