// The door table (js/src/doors.js): every API of the catalogue is classified,
// and the bridge checks every door the table names, forwarding what it checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createGuard } from '../src/index.js';
import { DOORS, COMPONENTS, NO_TARGET, isLocalPath } from '../src/doors.js';
import { SECRET, NOW, policy, bundle, tick } from './fixture.mjs';

const CATALOGUE = readFileSync(new URL('../../guard-core/data/wx-apis.txt', import.meta.url), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const KINDS = ['request', 'upload', 'download', 'socket', 'webview'];
const EVIL = 'https://evil.example/x';
const GOOD = 'HTTPS://A.IMG.SHOP.EXAMPLE/x';
const GOOD_HREF = 'https://a.img.shop.example/x';

test('every catalogue API is classified, and nothing else is', () => {
  assert.equal(CATALOGUE.length, 496);
  const missing = CATALOGUE.filter((n) => DOORS[n] === undefined);
  assert.deepEqual(missing, [], 'catalogue names the door table does not classify');
  const extra = Object.keys(DOORS).filter((n) => !CATALOGUE.includes(n));
  assert.deepEqual(extra, [], 'door table names outside the catalogue');
  assert.equal(Object.getPrototypeOf(DOORS), null);
  assert.ok(Object.isFrozen(DOORS));
});

/** Every leaf of a spec: [path-of-spec, leaf]. */
function leaves(spec, at) {
  if (spec === NO_TARGET) return [];
  if (spec.returns !== undefined) {
    const out = [];
    for (const [k, s] of Object.entries(spec.returns.set ?? {})) out.push([`${at}.${k}=`, s]);
    for (const [k, s] of Object.entries(spec.returns.methods ?? {})) out.push(...(s.returns !== undefined ? leaves(s, `${at}.${k}()`) : [[`${at}.${k}()`, s]]));
    return out;
  }
  return [[at, spec]];
}

test('every door spec is well formed: a kind, paths, or a raw socket', () => {
  const all = [...Object.entries(DOORS).flatMap(([n, s]) => leaves(s, n)), ...Object.entries(COMPONENTS).flatMap(([c, a]) => Object.entries(a).map(([k, s]) => [`<${c} ${k}>`, s]))];
  assert.ok(all.length > 40);
  for (const [where, s] of all) {
    assert.equal(Object.getPrototypeOf(s), null, where);
    assert.ok(Object.isFrozen(s), where);
    if (s.raw !== undefined) { assert.ok(['tcp', 'udp'].includes(s.raw), where); continue; }
    assert.ok(KINDS.includes(s.kind), `${where}: kind ${s.kind}`);
    const paths = s.options ?? s.css ?? (s.args ? ['<arg 0>'] : ['<value>']);
    for (const p of paths) assert.match(p, /^(<arg 0>|<value>|[A-Za-z]+(\[\](\.[A-Za-z]+)?)?)$/, where);
  }
  // Media and image fetches are downloads (§3.7); the four request APIs keep their kinds.
  assert.equal(DOORS.getImageInfo.kind, 'download');
  assert.equal(DOORS.loadFontFace.kind, 'download');
  assert.deepEqual([DOORS.request.kind, DOORS.uploadFile.kind, DOORS.downloadFile.kind, DOORS.connectSocket.kind], ['request', 'upload', 'download', 'socket']);
  assert.equal(DOORS.createUDPSocket.returns.methods.send.raw, 'udp');
  assert.equal(DOORS.createTCPSocket.returns.methods.connect.raw, 'tcp');
});

test('isLocalPath: local paths pass, anything a parser could read as a host does not', () => {
  for (const p of ['wxfile://tmp/a.png', 'images/a.png', '/images/a.png', 'a b.png']) assert.ok(isLocalPath(p), p);
  for (const p of ['https://evil.example/', 'HTTPS://x', '//evil.example/a', '\\\\evil.example\\a', ' /\t/evil.example', 'data:image/png;base64,AA', 'wxfile:/x', 'javascript:alert(1)']) {
    assert.ok(!isLocalPath(p), p);
  }
});

/** Options that put `url` at every path of `spec`. */
function optionsFor(spec, url) {
  const o = {};
  for (const p of spec.options ?? spec.css) {
    const m = /^([A-Za-z]+)(\[\])?(?:\.([A-Za-z]+))?$/.exec(p);
    const value = spec.css ? `url("${url}")` : url;
    if (!m[2]) o[m[1]] = value;
    else if (!m[3]) o[m[1]] = [value];
    else { o[m[1]] ??= [{}]; o[m[1]][0][m[3]] = value; }
  }
  return o;
}

async function wrappedCatalogue() {
  const guard = await createGuard({ secret: SECRET });
  assert.equal(guard.load(bundle(policy({ issued_at: 0, expires_at: undefined })), { now: NOW }).code, 'ok');
  const got = [];
  const makeReturned = (spec, name) => {
    const o = {};
    for (const k of Object.keys(spec.set ?? {})) {
      Object.defineProperty(o, k, { set(v) { got.push([`${name}.${k}=`, v]); }, get() { return ''; }, enumerable: true });
    }
    for (const [k, s] of Object.entries(spec.methods ?? {})) {
      o[k] = s.returns !== undefined ? () => makeReturned(s.returns, `${name}.${k}()`) : (a) => { got.push([`${name}.${k}()`, a]); };
    }
    return o;
  };
  const wx = {};
  for (const n of CATALOGUE) {
    const spec = DOORS[n];
    wx[n] = spec.returns !== undefined ? () => makeReturned(spec.returns, n) : (o) => { got.push([n, o]); };
  }
  wx.superappCustomApi = (o) => { got.push(['superappCustomApi', o]); };
  return { guard, mp: guard.wrap(wx, { appId: 'mp_shop' }), got };
}

test('every option door: an evil URL never reaches the original; an allowed one arrives as its href', async () => {
  const { mp, got } = await wrappedCatalogue();
  for (const [name, spec] of Object.entries(DOORS)) {
    if (spec === NO_TARGET || spec.returns !== undefined) continue;
    const evilUrl = spec.kind === 'socket' ? 'wss://evil.example/' : EVIL;
    const before = got.length;
    mp[name]({ ...optionsFor(spec, evilUrl), fail() {} });
    assert.equal(got.length, before, `${name} forwarded an evil URL`);
    if (spec.kind === 'socket' || spec.kind === 'webview') continue;
    mp[name]({ ...optionsFor(spec, GOOD), fail() {} });
    assert.equal(got.length, before + 1, `${name} did not forward an allowed URL`);
    const forwarded = JSON.stringify(got[got.length - 1][1]);
    assert.ok(!forwarded.includes(GOOD) && forwarded.includes(GOOD_HREF), `${name} forwarded ${forwarded}`);
  }
  await tick();
});

test('every returned-object door (setters and methods) is checked; raw sockets are denied', async () => {
  const { mp, got } = await wrappedCatalogue();
  for (const [name, spec] of Object.entries(DOORS)) {
    if (spec === NO_TARGET || spec.returns === undefined) continue;
    const visit = (obj, r, label) => {
      for (const k of Object.keys(r.set ?? {})) {
        const before = got.length;
        obj[k] = EVIL;
        assert.equal(got.length, before, `${label}.${k}= forwarded an evil URL`);
        obj[k] = GOOD;
        assert.deepEqual(got[got.length - 1], [`${label}.${k}=`, GOOD_HREF], `${label}.${k}=`);
      }
      for (const [k, s] of Object.entries(r.methods ?? {})) {
        if (s.returns !== undefined) { visit(obj[k](), s.returns, `${label}.${k}()`); continue; }
        const before = got.length;
        if (s.raw !== undefined) {
          assert.throws(() => obj[k]({ address: 'evil.example', port: 53 }), /:fail/, `${label}.${k}()`);
        } else if (s.args !== undefined) {
          assert.throws(() => obj[k](EVIL), /:fail/, `${label}.${k}()`);
        } else {
          obj[k]({ ...optionsFor(s, EVIL), fail() {} });
        }
        assert.equal(got.length, before, `${label}.${k}() forwarded an evil target`);
      }
    };
    visit(mp[name](), spec.returns, name);
  }
  await tick();
});

test('an API outside the catalogue (a custom superapp API) gets the API check only', async () => {
  const { mp, got } = await wrappedCatalogue();
  const fails = [];
  mp.superappCustomApi({ url: EVIL, fail: (r) => fails.push(r.errMsg) });
  await tick();
  assert.deepEqual(fails, ['superappCustomApi:fail api not in whitelist']);
  assert.equal(got.length, 0);
});
