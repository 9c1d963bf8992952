// The door table (js/src/doors.js) as the bridge applies it: every door of
// every API and of every object an API answers is checked, an evil target
// never reaches the original and an allowed one arrives as its href; every
// interface with doors can be reached; local and inline media forms pass as
// contract v3 §3.7 classifies them. (js/test/door-sites.test.mjs checks the
// table against the typings.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createGuard } from '../src/index.js';
import {
  API_DOORS, OBJECT_DOORS, CALLBACK_OBJECTS, COMPONENTS, KINDS, apiShape, interfaceMethods,
} from '../src/doors.js';
import { isLocalPath, namesAuthority } from '../src/targets.js';
import { SECRET, NOW, policy, bundle, tick, fakeWx } from './fixture.mjs';

const EVIL = { url: 'https://evil.example/x', socket: 'wss://evil.example/x' };
// Allowed under the fixture's lists (schema 1: media is checked as download).
const GOOD = {
  request: ['HTTPS://API.SHOP.EXAMPLE/x', 'https://api.shop.example/x'],
  upload: ['HTTPS://A.IMG.SHOP.EXAMPLE/x', 'https://a.img.shop.example/x'],
  download: ['HTTPS://A.IMG.SHOP.EXAMPLE/x', 'https://a.img.shop.example/x'],
  media: ['HTTPS://A.IMG.SHOP.EXAMPLE/x', 'https://a.img.shop.example/x'],
  file: ['HTTPS://A.IMG.SHOP.EXAMPLE/x', 'https://a.img.shop.example/x'],
  css: ['url("HTTPS://A.IMG.SHOP.EXAMPLE/x")', 'url("https://a.img.shop.example/x")'],
  socket: ['WSS://WS.SHOP.EXAMPLE/x', 'wss://ws.shop.example/x'],
  webview: ['HTTPS://H5.SHOP.EXAMPLE/x', 'https://h5.shop.example/x'],
};
const evilFor = (kind) => (kind === 'socket' ? EVIL.socket : kind === 'css' ? `url("${EVIL.url}")` : EVIL.url);

/** Every [path, kind] of a call spec: `[index, path|null, kind]`. */
function doorsOf(spec) {
  const out = [];
  for (const [i, a] of Object.entries(spec)) {
    if (typeof a === 'string') out.push([Number(i), null, a]);
    else for (const [p, k] of Object.entries(a)) out.push([Number(i), p, k]);
  }
  return out;
}

/** Arguments putting `value` at `path` of argument `index` (and a port beside a raw socket address). */
function argsFor(index, path, value, kind) {
  const args = [];
  for (let i = 0; i < index; i++) args.push(undefined);
  if (path === null) { args.push(value); return args; }
  const o = { fail() {} };
  let at = o;
  const parts = path.split('.');
  for (let j = 0; j < parts.length; j++) {
    const last = j === parts.length - 1;
    const m = /^(\w+)(\[\])?$/.exec(parts[j]);
    const key = m[1];
    if (m[2]) {
      if (last) { at[key] = [value]; break; }
      at[key] = [{}];
      at = at[key][0];
    } else if (last) {
      at[key] = value;
    } else {
      at[key] = {};
      at = at[key];
    }
  }
  if (kind === 'tcp' || kind === 'udp') o.port = 53;
  args.push(o);
  return args;
}

/** The value at `path` of what the original received. */
function valueAt(args, index, path) {
  let v = args[index];
  if (path === null) return v;
  for (const part of path.split('.')) {
    const m = /^(\w+)(\[\])?$/.exec(part);
    v = v?.[m[1]];
    if (m[2]) v = v?.[0];
  }
  return v;
}

// The guard's catalogue: guard-core/data/wx-apis.tsv (name first, tab-
// separated) where it exists, else the older wx-apis.txt (one name a line).
const catalogueFile = ['wx-apis.tsv', 'wx-apis.txt'].map((f) => new URL(`../../guard-core/data/${f}`, import.meta.url)).find((u) => existsSync(u));
const CATALOGUE_LINES = readFileSync(catalogueFile, 'utf8')
  .split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split('\t').map((f) => f.trim()));
const CATALOGUE = CATALOGUE_LINES.map(([name]) => name);
// Names the typings do not declare (SOURCE `doc` or `extra`, decision 381).
const UNTYPED = new Set(CATALOGUE_LINES.filter(([, source]) => source === 'doc' || source === 'extra').map(([name]) => name));

/** A guard with the fixture's policy; the APIs the catalogue lacks (mini game ones) whitelisted. */
async function loadedGuard() {
  const guard = await createGuard({ secret: SECRET });
  const p = policy({ issued_at: 0, expires_at: undefined });
  p.apps[0].api_whitelist = [...Object.keys(API_DOORS), 'createImage', 'createVideo', 'createCanvas', 'createSelectorQuery', 'createVKSession', 'createMediaContainer']
    .filter((n) => !CATALOGUE.includes(n));
  assert.equal(guard.load(bundle(p), { now: NOW }).code, 'ok');
  return guard;
}

test('every door spec is well formed: known kinds, paths, null-prototype and frozen', () => {
  const specs = [...Object.entries(API_DOORS)];
  for (const [iface, d] of Object.entries(OBJECT_DOORS)) {
    for (const [k, kind] of Object.entries(d.set ?? {})) assert.ok(KINDS.includes(kind), `${iface}.${k}=`);
    for (const [m, s] of Object.entries(d.methods ?? {})) specs.push([`${iface}.${m}`, s]);
  }
  for (const [where, spec] of specs) {
    assert.equal(Object.getPrototypeOf(spec), null, where);
    assert.ok(Object.isFrozen(spec), where);
    for (const [, path, kind] of doorsOf(spec)) {
      assert.ok(KINDS.includes(kind), `${where}: ${kind}`);
      if (path !== null) assert.match(path, /^\w+(\[\])?(\.\w+(\[\])?)*$/, where);
      if (kind === 'tcp' || kind === 'udp') assert.equal(path, 'address', where);
    }
  }
  for (const [c, attrs] of Object.entries(COMPONENTS)) {
    for (const [a, kind] of Object.entries(attrs)) assert.ok([...KINDS, 'style', 'nodes'].includes(kind), `<${c} ${a}>`);
  }
  // Media targets reach the media check kind through one constant (contract v3).
  assert.equal(API_DOORS.getImageInfo[0].src, 'media');
  assert.equal(OBJECT_DOORS.InnerAudioContext.set.src, 'media');
});

test('every catalogue API is known to the typings or the door table; door APIs and interfaces exist in the typings', () => {
  const catalogue = CATALOGUE;
  // getEmailAddress, cloud.Cloud and worklet.Easing.* are in the catalogue,
  // not in the typings: unknown APIs (their strings naming an authority are
  // checked). Every other name has the typings' call shape.
  assert.deepEqual(catalogue.filter((n) => apiShape(n) === undefined && API_DOORS[n] === undefined && !UNTYPED.has(n)), []);
  assert.deepEqual([...UNTYPED].filter((n) => apiShape(n) !== undefined), []);
  assert.ok(UNTYPED.has('getEmailAddress') && UNTYPED.has('worklet.Easing.bezier'));
  assert.deepEqual(Object.keys(API_DOORS).filter((n) => apiShape(n) === undefined), []);
  for (const [iface, d] of Object.entries(OBJECT_DOORS)) {
    const methods = interfaceMethods(iface);
    assert.ok(methods !== undefined, `${iface} is not an interface of the typings`);
    for (const m of Object.keys(d.methods ?? {})) assert.ok(methods[m] !== undefined, `${iface}.${m} is not a method of the typings`);
  }
  for (const [m, iface] of CALLBACK_OBJECTS) assert.ok(interfaceMethods(iface)?.[m] !== undefined, `${iface}.${m}`);
});

test('isLocalPath and namesAuthority classify as contract v3 §3.7 says', () => {
  for (const p of ['wxfile://tmp/a.png', 'images/a.png', '/images/a.png', 'a b.png']) assert.ok(isLocalPath(p), p);
  for (const p of ['https://evil.example/', '//evil.example/a', '\\\\evil.example\\a', ' /\t/evil.example', 'data:image/png;base64,AA']) assert.ok(!isLocalPath(p), p);
  for (const s of ['https://e.example/', ' //e.example/x', '\\\\e', 'ws:\\\\e']) assert.ok(namesAuthority(s), s);
  for (const s of ['hello: world', '// a comment', 'a/b', 'mailto:x@e.example', '']) assert.ok(!namesAuthority(s), s);
});

test('media sources are classified by guard-core (checkMedia and every media door alike), with the host\'s local prefixes', async () => {
  const guard = await createGuard({ secret: SECRET, localPrefixes: ['http://tmp/'] });
  assert.equal(guard.load(bundle(), { now: NOW }).code, 'ok');
  const media = (s) => guard.checkMedia('mp_shop', s, { now: NOW });
  // Local and inline forms pass, handed on as guard-core classified them.
  for (const [s, on] of [['wxfile://tmp/a.png', 'wxfile://tmp/a.png'], ['data:image/png;base64,AA', 'data:image/png;base64,AA'],
    ['/images/a.png', '/images/a.png'], ['a.png', 'a.png'], ['HTTP://TMP/a.png', 'http://tmp/a.png'], ['http://tmp:80/a.png', 'http://tmp/a.png']]) {
    const d = media(s);
    assert.equal(d.allow, true, s);
    assert.equal(d.href, on, s);
  }
  // What only looks local is not: another host to some parsers.
  for (const s of ['//evil.example/a.png', '\\\\evil.example\\a', '/\\evil.example', '\t//evil.example', '', '  ']) {
    assert.equal(media(s).code, 'invalid_url', JSON.stringify(s));
  }
  // Under no local prefix and no list: denied, whatever its spelling.
  for (const s of ['https://a.example/x', 'http://tmp.evil.example/a', 'http://user@tmp/a', 'http://tmp:81/a']) {
    assert.equal(media(s).allow, false, s);
  }
  // The wrapper's media doors ask the same check: the image arrives as handed on.
  const wx = fakeWx();
  wx.previewImage = (o) => { wx.calls.push(['previewImage', o]); };
  const w = guard.wrap(wx, { appId: 'mp_shop' });
  let failed = null;
  w.previewImage({ urls: ['HTTP://TMP/a.png', 'https://evil.example/a.png'], fail(e) { failed = e.errMsg; } });
  await tick();
  assert.equal(failed, 'previewImage:fail url not in domain list:evil.example');
  assert.equal(wx.calls.filter(([n]) => n === 'previewImage').length, 0, 'a list with one evil source is refused whole');
  w.previewImage({ urls: ['HTTP://TMP/a.png', '/images/b.png'], fail() {} });
  await tick();
  const seen = wx.calls.filter(([n]) => n === 'previewImage');
  const urls = seen[0][1].urls; // a null-prototype array: read by index
  assert.deepEqual(Array.from({ length: urls.length }, (_, i) => urls[i]), ['http://tmp/a.png', '/images/b.png']);
  await assert.rejects(createGuard({ secret: SECRET, localPrefixes: ['http://tmp/x'] }), /local prefix/);
  await assert.rejects(createGuard({ secret: SECRET, localPrefixes: [42] }), TypeError);
});

test('every API door: an evil target never reaches the original; an allowed one arrives as its href', async () => {
  const guard = await loadedGuard();
  const got = [];
  const wx = {};
  for (const name of Object.keys(API_DOORS)) {
    let at = wx;
    const parts = name.split('.');
    for (const p of parts.slice(0, -1)) at = at[p] ??= {};
    at[parts.at(-1)] = (...args) => { got.push([name, args]); };
  }
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const fnOf = (name) => name.split('.').reduce((o, p) => o[p], mp);
  for (const [name, spec] of Object.entries(API_DOORS)) {
    for (const [index, path, kind] of doorsOf(spec)) {
      const before = got.length;
      fnOf(name)(...argsFor(index, path, evilFor(kind), kind));
      assert.equal(got.length, before, `${name} ${path} forwarded an evil target`);
      if (kind === 'tcp' || kind === 'udp') continue;
      fnOf(name)(...argsFor(index, path, GOOD[kind][0], kind));
      assert.equal(got.length, before + 1, `${name} ${path} did not forward an allowed target`);
      assert.equal(valueAt(got.at(-1)[1], index, path), GOOD[kind][1], `${name} ${path}`);
    }
  }
  await tick();
});

/** An object of `iface` for the test: setters and methods that record, plus `marker` to be told apart. */
function platformObject(iface, got, marker) {
  const d = OBJECT_DOORS[iface];
  const o = {};
  for (const k of Object.keys(d.set ?? {})) {
    Object.defineProperty(o, k, { set(v) { got.push([`${iface}.${k}=`, v]); }, get() { return ''; }, enumerable: true });
  }
  for (const m of Object.keys(d.methods ?? {})) o[m] = (...args) => { got.push([`${iface}.${m}()`, args]); };
  if (marker !== undefined && o[marker] === undefined) o[marker] = () => {};
  o.onError = () => {};
  return o;
}

test('every object door (setters and methods) is checked on the mirror of the object, however it is reached', async () => {
  const guard = await loadedGuard();
  const got = [];
  const wx = {};
  const reach = {};
  for (const iface of Object.keys(OBJECT_DOORS)) {
    const api = ['createInnerAudioContext', 'getBackgroundAudioManager', 'createAudioContext', 'createImage', 'createVideo', 'createUserInfoButton',
      'createOpenSettingButton', 'createFeedbackButton', 'createGameClubButton', 'createGameRecorderShareButton', 'createVideoDecoder',
      'createMediaContainer', 'createVKSession', 'createMapContext', 'createLivePusherContext', 'createCanvasContext', 'createUDPSocket',
      'createTCPSocket'].find((n) => apiShape(n)?.returns === iface);
    if (api !== undefined) {
      wx[api] = () => platformObject(iface, got);
      reach[iface] = (mp) => mp[api]();
      continue;
    }
    // Reached untyped: through a SelectorQuery callback, told apart by its marker method.
    const marker = CALLBACK_OBJECTS.find(([, i]) => i === iface)?.[0];
    assert.ok(marker !== undefined, `${iface} has doors but no way to reach it`);
    reach[iface] = (mp) => {
      let node;
      mp.createSelectorQuery().select('#x').fields({ node: true }, (res) => { node = res.node; }).exec();
      return node;
    };
    wx.createSelectorQuery ??= () => {
      const q = {
        select: () => ({ fields: (o, cb) => { cb({ node: wx.__next() }); return q; } }),
        exec: () => {},
      };
      return q;
    };
    const pending = wx.__pending ??= [];
    pending.push(() => platformObject(iface, got, marker));
    wx.__next = () => pending.shift()();
  }
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  for (const [iface, d] of Object.entries(OBJECT_DOORS)) {
    const obj = reach[iface](mp);
    assert.ok(obj !== undefined && obj !== null, iface);
    const errors = [];
    obj.onError((e) => errors.push(e.errMsg));
    for (const [k, kind] of Object.entries(d.set ?? {})) {
      const before = got.length;
      obj[k] = evilFor(kind);
      assert.equal(got.length, before, `${iface}.${k}= forwarded an evil URL`);
      obj[k] = GOOD[kind][0];
      assert.deepEqual(got.at(-1), [`${iface}.${k}=`, GOOD[kind][1]], `${iface}.${k}=`);
    }
    for (const [m, spec] of Object.entries(d.methods ?? {})) {
      for (const [index, path, kind] of doorsOf(spec)) {
        const before = got.length;
        obj[m](...argsFor(index, path, evilFor(kind), kind));
        assert.equal(got.length, before, `${iface}.${m} ${path} forwarded an evil target`);
        if (kind === 'tcp' || kind === 'udp') continue;
        obj[m](...argsFor(index, path, GOOD[kind][0], kind));
        assert.equal(got.length, before + 1, `${iface}.${m} ${path} did not forward an allowed target`);
        assert.equal(valueAt(got.at(-1)[1], index, path), GOOD[kind][1], `${iface}.${m} ${path}`);
      }
    }
    await tick();
    if (d.set !== undefined) assert.ok(errors.some((e) => e.startsWith(`${iface}.`) && e.includes(':fail ')), `${iface}: ${errors}`);
  }
});

test('an API the table does not know: API-checked, and every string naming an authority checked as request', async () => {
  const guard = await loadedGuard();
  const got = [];
  const wx = { superappCustomApi: (...a) => { got.push(a); } };
  const p = policy({ issued_at: 0, expires_at: undefined });
  p.apps[0].api_whitelist = ['superappCustomApi'];
  assert.equal(guard.load(bundle({ ...p, version: 8 }), { now: NOW }).code, 'ok');
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const fails = [];
  mp.superappCustomApi({ target: 'https://evil.example/', fail: (r) => fails.push(r.errMsg) });
  mp.superappCustomApi('//evil.example/x', { fail: (r) => fails.push(r.errMsg) });
  mp.superappCustomApi({ list: ['ok', 'wss://evil.example/'], fail: (r) => fails.push(r.errMsg) });
  assert.equal(got.length, 0);
  mp.superappCustomApi({ target: 'HTTPS://API.SHOP.EXAMPLE/a', note: '// a comment', n: 1 });
  assert.deepEqual(got.map((a) => ({ ...a[0] })), [{ target: 'https://api.shop.example/a', note: '// a comment', n: 1 }]);
  await tick();
  assert.deepEqual(fails, [
    'superappCustomApi:fail url not in domain list:evil.example',
    'superappCustomApi:fail invalid url',
    'superappCustomApi:fail url scheme not allowed',
  ]);
});

// Decision 630: copies are tracked for the first 31 arguments only; an
// options object past them could be neither copied nor vetted, so the call
// is refused (invalid_url) and nothing of that object is read.
test('an options object past index 30 is never passed on unvetted: the call is refused, its getters never run', async () => {
  const guard = await loadedGuard();
  const got = [];
  const wx = { superappCustomApi: (...a) => { got.push(a); }, showToast: (...a) => { got.push(a); } };
  const p = policy({ issued_at: 0, expires_at: undefined });
  p.apps[0].api_whitelist = ['superappCustomApi'];
  assert.equal(guard.load(bundle({ ...p, version: 8 }), { now: NOW }).code, 'ok');
  const mp = guard.wrap(wx, { appId: 'mp_shop' });
  const fails = [];
  let read = 0;
  const hidden = { get target() { read++; return 'https://evil.example/'; } };
  const filler = (k) => Array.from({ length: k }, (_, i) => i);
  // An API the typings do not know, and one they know without a door (its
  // calls share one record without a clock).
  mp.superappCustomApi({ fail: (r) => fails.push(r.errMsg) }, ...filler(30), hidden);
  mp.superappCustomApi({ fail: (r) => fails.push(r.errMsg) }, ...filler(40), { target: 'https://api.shop.example/' });
  mp.showToast({ title: 'hi', fail: (r) => fails.push(r.errMsg) }, ...filler(35), hidden);
  assert.equal(got.length, 0, 'no call reached the base library');
  assert.equal(read, 0, 'the object past index 30 was never read');
  // At index 30 it is still copied and vetted: denied when evil, passed
  // (as a copy) when allowed.
  mp.superappCustomApi({ fail: (r) => fails.push(r.errMsg) }, ...filler(29), hidden);
  assert.equal(read, 1);
  assert.equal(got.length, 0);
  const last = { target: 'HTTPS://API.SHOP.EXAMPLE/a' };
  mp.superappCustomApi({}, ...filler(29), last);
  assert.equal(got.length, 1);
  assert.notEqual(got[0][30], last);
  assert.equal(got[0][30].target, 'https://api.shop.example/a');
  // Past index 30 a value that needs no copy (a string naming no authority,
  // a number) is passed as given.
  mp.superappCustomApi(...filler(40), 'plain text');
  assert.equal(got.length, 2);
  assert.equal(got[1][40], 'plain text');
  await tick();
  assert.deepEqual(fails, [
    'superappCustomApi:fail invalid url',
    'superappCustomApi:fail invalid url',
    'showToast:fail invalid url',
    'superappCustomApi:fail url not in domain list:evil.example',
  ]);
});

test('component attributes: media, web-view, style url(...) and rich-text nodes', async () => {
  const guard = await loadedGuard();
  const img = guard.checkAttribute('mp_shop', 'image', 'src', 'HTTPS://A.IMG.SHOP.EXAMPLE/x.png');
  assert.deepEqual([img.allow, img.href], [true, 'https://a.img.shop.example/x.png']);
  assert.equal(guard.checkAttribute('mp_shop', 'image', 'src', 'wxfile://tmp/1.png').href, 'wxfile://tmp/1.png');
  assert.equal(guard.checkAttribute('mp_shop', 'image', 'src', '//evil.example/x.png').code, 'invalid_url');
  assert.equal(guard.checkAttribute('mp_shop', 'live-pusher', 'waiting-image', 'https://evil.example/w.png').code, 'domain_not_whitelisted');
  const style = guard.checkAttribute('mp_shop', 'view', 'style', 'color: red; background: url(HTTPS://A.IMG.SHOP.EXAMPLE/b.png) no-repeat');
  assert.equal(style.href, 'color: red; background: url("https://a.img.shop.example/b.png") no-repeat');
  assert.equal(guard.checkAttribute('mp_shop', 'view', 'style', 'background: url("https://evil.example/b.png")').code, 'domain_not_whitelisted');
  for (const hidden of ['background: u\\72l(https://evil.example/b.png)', 'background-image: image-set("https://evil.example/b.png" 1x)']) {
    assert.equal(guard.checkAttribute('mp_shop', 'view', 'style', hidden).code, 'invalid_url', hidden);
  }
  const html = guard.checkAttribute('mp_shop', 'rich-text', 'nodes', '<p style="x"><img src=\'HTTPS://A.IMG.SHOP.EXAMPLE/1.png\'></p>');
  assert.equal(html.href, '<p style="x"><img src="https://a.img.shop.example/1.png"></p>');
  assert.equal(guard.checkAttribute('mp_shop', 'rich-text', 'nodes', '<img src="https://evil.example/1.png">').code, 'domain_not_whitelisted');
  assert.equal(guard.checkAttribute('mp_shop', 'rich-text', 'nodes', '<img src="&#104;ttps://evil.example/1.png">').code, 'invalid_url');
  const tree = guard.checkAttribute('mp_shop', 'rich-text', 'nodes', [{ name: 'div', attrs: { style: 'background:url(https://evil.example/a.png)' }, children: [] }]);
  assert.equal(tree.code, 'domain_not_whitelisted');
  const ok = guard.checkAttribute('mp_shop', 'rich-text', 'nodes', [{ name: 'img', attrs: { src: 'images/a.png', class: 'c' } }]);
  assert.deepEqual(ok.href, [{ name: 'img', attrs: { src: 'images/a.png', class: 'c' } }]);
  assert.throws(() => guard.checkAttribute('mp_shop', 'image', 'onerror', 'x'), TypeError);
});
