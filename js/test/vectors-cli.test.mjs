// The vector runner CLI: the summary line, the exit status, failures printed,
// and the runner semantics of tests/src/lib.rs (shape checks, a moved clock
// stays moved, policies signed with their numbers as written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policy, SECRET, NOW } from './fixture.mjs';

const CLI = new URL('../bin/guard-vectors.mjs', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

function run(files) {
  const dir = mkdtempSync(join(tmpdir(), 'vectors-'));
  try {
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
    const r = spawnSync(process.execPath, [CLI, dir], { encoding: 'utf8' });
    return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const file = (extra) => ({ description: 't', secret: SECRET, now: NOW, policy: policy(), ...extra });

test('the project vectors pass and the last line is the summary', () => {
  const r = spawnSync(process.execPath, [CLI, join(REPO, 'tests/vectors')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout.trim().split('\n').pop(), /^[1-9][0-9]* passed, 0 failed$/);
});

test('a failing case is printed, counted and exits 1', () => {
  const r = run({ 'a.json': file({ cases: [
    { app: 'mp_shop', api: 'getLocation', expect: 'allow' },
    { app: 'mp_shop', api: 'getLocation', expect: 'deny', note: 'wrong on purpose' },
    { app: 'mp_shop', request: 'https://api.shop.example:8080/', expect: 'deny', code: 'port_not_allowed', message: 'request:fail url not in domain list:api.shop.example:8080' },
    { app: 'mp_shop', request: 'https://evil.example/', expect: 'deny', code: 'port_not_allowed' },
    { app: 'mp_shop', request: 'https://evil.example/', expect: 'deny', message: 'request:fail nope' },
  ] }) });
  assert.equal(r.status, 1);
  assert.equal(r.lines.at(-1), '3 passed, 3 failed');
  assert.match(r.lines[0], /a\.json: cases\[1\]: expected deny; api `getLocation` for `mp_shop`: got allow/);
  assert.match(r.lines[1], /cases\[3\]: expected code port_not_allowed/);
  assert.match(r.lines[2], /cases\[4\]: expected message `request:fail nope`/);
});

test('bad JSON and wrong types are a failure of the file, like serde', () => {
  const r = run({
    'b.json': '{ not json',
    'c.json': file({ cases: [{ app: 'mp_shop', api: 'x', expect: 'deny', reported: 'yes' }] }),
    'd.json': file({ now: 1.5 }),
    'e.json': file({ now: -1 }),
    'f.json': file({ cases: [{ app: 'mp_shop', api: 'x', request: 'https://a/', expect: 'deny' }] }),
    'g.json': file({ cases: [{ app: 'mp_shop', api: 'x', expect: 'deny', errno: -3 }] }),
  });
  assert.equal(r.status, 1);
  assert.equal(r.lines.at(-1), '1 passed, 6 failed');
  assert.equal(r.lines.filter((l) => l.includes('not a vector file')).length, 5);
  assert.ok(r.lines.some((l) => l.includes('exactly one of api, request')));
});

test('unknown fields are ignored with a warning on stderr; errno and reported are checked', () => {
  const r = run({
    'a.json': { ...file({ cases: [
      { app: 'mp_shop', api: 'getLocation', expect: 'allow', id: 'c-1', comment: 'granted' },
      { app: 'mp_shop', api: 'chooseImage', expect: 'deny', errno: 103, reported: false },
      { app: 'mp_shop', request: 'https://evil.example/', expect: 'deny', errno: 600002 },
      { app: 'mp_shop', request: 'https://evil.example/', expect: 'deny', errno: 103, note: 'wrong on purpose' },
      { app: 'mp_shop', api: 'chooseImage', expect: 'deny', reported: true, note: 'wrong on purpose' },
    ] }), extra: 1 },
  });
  assert.equal(r.status, 1);
  assert.equal(r.lines.at(-1), '4 passed, 2 failed', r.lines.join('\n'));
  assert.match(r.lines[0], /cases\[3\]: expected errno 103; .* \(errno 600002\)/);
  assert.match(r.lines[1], /cases\[4\]: expected reported: true/);
  const warnings = r.stderr.trim().split('\n');
  assert.deepEqual(warnings.map((w) => w.replace(/^.*?a\.json: /, '')), [
    'loads[0]: ignored unknown field `file.extra`',
    'cases[0]: ignored unknown fields `comment`, `id`',
  ]);
  assert.ok(warnings.every((w) => w.startsWith('warning: ')));
});

test('a moved clock stays moved; loads can move it too', () => {
  const r = run({ 'a.json': {
    secret: SECRET, now: NOW,
    loads: [{ policy: policy(), expect: 'ok' }, { policy: policy({ version: 8 }), expect: 'expired', now: NOW + 365 * 86400, message: 'expired at' }],
    cases: [
      { app: 'mp_shop', api: 'getLocation', expect: 'deny', code: 'no_policy' },
      { app: 'mp_shop', api: 'getLocation', expect: 'allow', now: NOW },
      { app: 'mp_shop', api: 'getLocation', expect: 'allow' },
    ],
  } });
  assert.equal(r.lines.at(-1), '5 passed, 0 failed', r.lines.join('\n'));
  assert.equal(r.status, 0);
});

test('policy numbers are signed as written, beyond 2^53', () => {
  const big = JSON.stringify({ secret: SECRET, now: NOW, loads: [
    { policy: policy({ version: 1 }), expect: 'ok' },
  ] }).replace('"version":1', '"version":18446744073709551615');
  const bigger = big.replace('"expect":"ok"}', '"expect":"ok"},{"policy":POLICY,"expect":"stale_version"}')
    .replace('POLICY', JSON.stringify(policy({ version: 1 })).replace('"version":1', '"version":18446744073709551614'));
  const r = run({ 'a.json': bigger });
  assert.equal(r.lines.at(-1), '2 passed, 0 failed', r.lines.join('\n'));
});

test('a missing path is an error, not a pass', () => {
  const r = spawnSync(process.execPath, [CLI, '/nonexistent/vectors'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stdout, /0 failed/);
});
