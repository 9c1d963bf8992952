// The door table against the typings: every site of miniprogram-api-typings
// and minigame-api-typings (a parameter or member whose name or doc says
// URL, host, path, src, icon or image; js/scripts/typings-surface.mjs) is
// either a door of js/src/doors.js or a non-target of js/src/not-targets.js,
// so a typings update that adds one fails here until someone classifies it;
// and js/src/typings.js is what js/scripts/gen-typings.mjs makes of the
// installed typings. (Reading the typings takes a few seconds.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { surface } from '../scripts/typings-surface.mjs';
import { render, OUT } from '../scripts/gen-typings.mjs';
import { API_DOORS, OBJECT_DOORS, INTERFACE_PARTS } from '../src/doors.js';
import { NOT_TARGETS } from '../src/not-targets.js';

const { versions, sites } = surface();

/** The sites the door table covers, in the typings' naming. */
function doorSites() {
  const out = new Set();
  const call = (at, spec) => {
    for (const [i, a] of Object.entries(spec)) {
      if (typeof a === 'string') { out.add(`${at}(${i})`); continue; }
      // `urls[]` is the array option `urls` of the typings.
      for (const p of Object.keys(a)) out.add(`${at}(${i}).${p.replace(/\[\]$/, '')}`);
    }
  };
  for (const [n, s] of Object.entries(API_DOORS)) call(n, s);
  const partsOf = (iface) => [iface, ...Object.entries(INTERFACE_PARTS).filter(([, w]) => w === iface).map(([p]) => p)];
  for (const [iface, d] of Object.entries(OBJECT_DOORS)) {
    for (const name of partsOf(iface)) {
      for (const p of Object.keys(d.set ?? {})) out.add(`${name}.${p}`);
      for (const [m, s] of Object.entries(d.methods ?? {})) call(`${name}.${m}`, s);
    }
  }
  return out;
}

/** The sites of `all` that neither the doors nor the non-targets classify. */
function unclassified(all) {
  const doors = doorSites();
  const none = new Set(Object.values(NOT_TARGETS).flat());
  return [...all].filter((s) => !doors.has(s) && !none.has(s)).sort();
}

test('the typings are the pinned versions', () => {
  assert.deepEqual(versions, { 'miniprogram-api-typings': '5.2.3', 'minigame-api-typings': '3.8.20' });
  assert.ok(sites.size > 250, `${sites.size} sites`);
});

test('every site of the typings is classified: a door, or not a target and why', () => {
  assert.deepEqual(unclassified(sites.keys()), [], 'sites js/src/doors.js and js/src/not-targets.js do not classify');
  // What a typings update adding a door looks like: caught.
  assert.deepEqual(unclassified([...sites.keys(), 'createLiveSticker(0).imageUrl']), ['createLiveSticker(0).imageUrl']);
});

test('no site is classified twice, and no non-target names a site the typings lack', () => {
  const doors = doorSites();
  const all = Object.values(NOT_TARGETS).flat();
  assert.deepEqual(all.filter((s, i) => all.indexOf(s) !== i), [], 'listed twice');
  assert.deepEqual(all.filter((s) => doors.has(s)), [], 'both a door and not a target');
  assert.deepEqual(all.filter((s) => !sites.has(s)), [], 'stale non-targets');
});

test('the issue\'s unwatched doors are doors', () => {
  const doors = doorSites();
  for (const s of ['UDPSocket.write(0).address', 'LivePusherContext.playBGM(0).url', 'MapContext.getCenterLocation(0).iconPath', 'EditorContext.insertImage(0).src',
    'Image.src', 'createVideo(0).src', 'Video.src', 'shareAppMessage(0).imageUrl', 'createUserInfoButton(0).image', 'UserInfoButton.image']) {
    assert.ok(doors.has(s), s);
    assert.ok(sites.has(s), `${s} is in the typings`);
  }
});

test('js/src/typings.js is what the generator makes of the installed typings', () => {
  assert.equal(readFileSync(OUT, 'utf8'), render(), 'run node js/scripts/gen-typings.mjs');
});
