// The hostile mini programs of issue 21 (js/harness/hostile.mjs), each in a
// child process; js/test-browser/hostile.test.mjs runs the same in Chromium.
// Each test says what the attacker tried; each was seen to fail against the
// bridge before issue 21 (GUARD_BRIDGE=<copy> on the child).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const CHILD = new URL('./hostile-child.mjs', import.meta.url).pathname;

function run(scenario, nodeArgs = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, CHILD, scenario], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `${scenario} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('getters for omitted options, Object.prototype.toJSON and the array iterator cannot rewrite what the original holds', () => {
  // The attacker planted `method` and `timeout` getters and a toJSON on
  // Object.prototype, and an Array iterator, each writing evil.example into
  // its `this`: the options copy the original reads.
  const r = run('optionsRewrite');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.calls[0].slice(0, 4), ['request', 'https://api.shop.example/v1', null, null]);
  assert.deepEqual(r.calls[1][1], ['(not iterable)', 'https://a.img.shop.example/1.png']);
  assert.equal(r.ran, 0, 'no planted getter, toJSON or iterator ran');
});

test('an own __proto__ in the options (JSON.parse makes one) never becomes the prototype of what the original merges', async () => {
  // The original merges the options with Object.assign, as base libraries
  // do: an own `__proto__` the copy kept would become the merged object's
  // prototype, and the URL the caller omitted (or a marker's icon) would be
  // read from it, never checked.
  const r = run('ownProto');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.calls, [
    ['request', null, ['data']],
    ['request', 'https://api.shop.example/v1', ['url']],
    ['addMarkers', null, ['id']],
  ]);
});

test('values under symbol keys in the options reach the original neither unwrapped nor as the caller\'s own function', () => {
  // A literal's symbol keys were copied by Object.assign but skipped by the
  // pass that makes callbacks into trampolines: a base library coercing the
  // options ran the caller's function with the bridge's copy as `this`.
  const r = run('symbolKeys');
  assert.deepEqual(r.seen, [
    ['request', 'https://api.shop.example/v1', [], 'none'],
    ['request', 'https://api.shop.example/v2', [], 'none'],
    ['addMarkers', 1, [], []],
  ]);
  assert.equal(r.ran, 0, 'no function under a symbol key ran');
});

test('the doors nobody watched are watched: raw-socket write, live pusher BGM, map icons, editor images, canvas and mini game images, video, share image, user-info button, component attributes', () => {
  const r = run('unwatchedDoors');
  assert.ok(!JSON.stringify(r.calls).includes('evil.example'), JSON.stringify(r.calls));
  assert.deepEqual(r.udpErrors, ['UDPSocket.write:fail url not in domain list:evil.example']);
  assert.deepEqual(r.fails.sort(), [
    'addMarkers:fail url not in domain list:evil.example',
    'createUserInfoButton:fail url not in domain list:evil.example',
    'createVideo:fail url not in domain list:evil.example',
    'getCenterLocation:fail url not in domain list:evil.example',
    'insertImage:fail url not in domain list:evil.example',
    'playBGM:fail url not in domain list:evil.example',
    'shareAppMessage:fail url not in domain list:evil.example',
  ]);
  assert.deepEqual(r.attrs.map((a) => a[2]), ['domain_not_whitelisted', 'domain_not_whitelisted', 'domain_not_whitelisted', 'domain_not_whitelisted']);
});

test('a sloppy base library is refused; a strict one hands a sloppy callback no original through callee.caller or call sites', () => {
  const r = run('sloppyCallers');
  assert.deepEqual(r.refusals, ['TypeError', 'wrapped', 'TypeError', 'TypeError']);
  assert.equal(r.callerIsOriginal, false);
  assert.equal(r.callerCallerIsOriginal, false);
  assert.ok(r.framesChecked > 2, `${r.framesChecked} frames`);
  assert.equal(r.frameLeaks, 0);
  assert.equal(r.selfIsOriginal, false);
});

test('callbacks run with this undefined, whatever this the original calls them with', () => {
  const r = run('callbackThis');
  assert.deepEqual(r.seen, ['undefined', 'undefined', 'undefined', 'undefined']);
});

test('100 made-up denials of one app drop neither another app\'s denial nor a report-mode pass', () => {
  const r = run('reportFlood');
  assert.deepEqual(r.other, [['other-denied.example', 'enforce']]);
  assert.deepEqual(r.report, [['went-through.example', 'report']]);
  assert.equal(r.shop, 25);
  assert.equal(r.dropped, 75);
  // (Before, the flood filled the shared log first and both were dropped.)
});

test('a 32 M-character loadFontFace source is refused without being copied (under a 160 MB heap)', () => {
  const r = run('hugeFontFace', ['--max-old-space-size=160']);
  assert.equal(r.calls, 0);
  assert.equal(r.errMsg, 'loadFontFace:fail invalid url');
});
