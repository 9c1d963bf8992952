// The vector runner CLI: the summary line, the exit status, failures printed,
// and the runner semantics of tests/src/lib.rs (shape checks, a moved clock
// stays moved, policies signed with their numbers as written). Then the
// runner core (src/vectors/) on its own, with a recording fake guard, for the
// v2 fields whose guard methods the bridge may not have yet: keys, sign_with,
// launch, tcp, udp; and its signing against node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policy, SECRET, NOW } from './fixture.mjs';
import { runVectorText, parseTarget, tally } from '../src/vectors/runner.mjs';
import { signPolicy, policyJson } from '../src/vectors/sign.mjs';
import { parse as parseLossless } from '../src/vectors/lossless-json.mjs';

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
      { app: 'mp_shop', api: 'chooseImage', expect: 'deny', errno: 102, reported: false },
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

// ---- the runner core, with a fake guard that records what it was asked

function fakeGuardFactory({ without = [] } = {}) {
  const calls = [];
  const decision = Object.freeze({ allow: true, code: null, message: 'ok' });
  const factory = async (options) => {
    calls.push(['createGuard', options]);
    const guard = {
      load: (bundle, opts) => { calls.push(['load', bundle, opts]); return { code: 'ok', message: '' }; },
      checkApi: (...a) => { calls.push(['checkApi', ...a]); return decision; },
      checkRequest: (...a) => { calls.push(['checkRequest', ...a]); return decision; },
      checkLaunch: (...a) => { calls.push(['checkLaunch', ...a]); return decision; },
      checkTcp: (...a) => { calls.push(['checkTcp', ...a]); return decision; },
      checkUdp: (...a) => { calls.push(['checkUdp', ...a]); return decision; },
      checkMedia: (...a) => { calls.push(['checkMedia', ...a]); return decision; },
      loadKeys: (jws, opts) => { calls.push(['loadKeys', jws, opts]); return { code: 'ok', message: '' }; },
    };
    for (const m of without) delete guard[m];
    return guard;
  };
  return { factory, calls };
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

function edKey(kid) {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { ...privateKey.export({ format: 'jwk' }), kid };
}

test('HS256 bundles are byte-identical to node:crypto HMAC, numbers as written', () => {
  const policies = [policy(), policy({ superapp_id: 'bücher-✓-superapp' }), parseLossless('{"version":18446744073709551615,"a":[1.50,-0,2e3]}')];
  for (const secret of [SECRET, 'x', 'K'.repeat(64), 'K'.repeat(65), 'ü-non-ascii']) {
    for (const p of policies) {
      const input = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(policyJson(p)).toString('base64url')}`;
      const want = `${input}.${createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest('base64url')}`;
      assert.equal(signPolicy(p, secret), want);
    }
  }
  assert.match(policyJson(policies[2]), /18446744073709551615/);
});

test('keys: the guard gets secret and the public part of every key; sign_with signs EdDSA with that kid', async () => {
  const k1 = edKey('2026-12');
  const k2 = edKey('2027-03');
  const { factory, calls } = fakeGuardFactory();
  const text = JSON.stringify({ secret: SECRET, now: NOW, keys: [k1, k2], loads: [
    { policy: policy(), expect: 'ok', sign_with: '2027-03' },
    { policy: policy(), expect: 'ok' },
    { policy: policy(), expect: 'ok', sign_with: 'nope' },
    { bundle: 'a.b.c', expect: 'ok', sign_with: '2026-12' },
  ] });
  const out = await runVectorText('k.json', text, { createGuard: factory });
  assert.deepEqual(calls[0], ['createGuard', { secret: SECRET, keys: [k1, k2].map(({ d, ...pub }) => pub) }]);
  assert.ok(calls[0][1].keys.every((k) => !('d' in k)));
  const [header, payload, sig] = calls[1][1].split('.');
  assert.deepEqual(b64json(header), { alg: 'EdDSA', kid: '2027-03' });
  assert.deepEqual(b64json(payload), policy());
  const pub = (k) => createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' });
  assert.equal(verify(null, Buffer.from(`${header}.${payload}`), pub(k2), Buffer.from(sig, 'base64url')), true);
  assert.equal(verify(null, Buffer.from(`${header}.${payload}`), pub(k1), Buffer.from(sig, 'base64url')), false);
  assert.equal(calls[2][1], signPolicy(policy(), SECRET), 'without sign_with: HS256 with the secret');
  assert.deepEqual(out.map((o) => o.failure), [
    null,
    null,
    'sign_with `nope`: no key with that kid in `keys`',
    'a `bundle` or `keyset_jws` load is loaded as given: no `sign_with`',
  ]);
  assert.equal(calls.filter((c) => c[0] === 'load').length, 2, 'a load that cannot be signed is not loaded');
});

test('roots (v3): the guard gets the public roots and superapp id only; keyset loads are signed by the named root with the key-set typ; media cases call checkMedia', async () => {
  const root = edKey('root-1');
  const k1 = edKey('k1');
  const keyset = { superapp_id: 'demo', version: 18446744073709551615n, issued_at: 0, expires_at: NOW + 1, keys: [k1].map(({ d, ...pub }) => pub) };
  // Written by hand so the huge version keeps its digits (the runner signs losslessly).
  const keysetText = JSON.stringify({ ...keyset, version: 0 }).replace('"version":0', '"version":18446744073709551615');
  const text = `{"secret":"${SECRET}","now":${NOW},"roots":${JSON.stringify([root])},"superapp_id":"demo","local_prefixes":["http://tmp/"],"loads":[
    {"keyset":${keysetText},"sign_with":"root-1","expect":"ok"},
    {"keyset_jws":"a.b.c","expect":"invalid_keyset"},
    {"keyset":${keysetText},"expect":"ok"},
    {"keyset":${keysetText},"sign_with":"k1","expect":"ok"}
  ],"cases":[{"app":"mp","media":"/a.png","expect":"allow"}]}`;
  const { factory, calls } = fakeGuardFactory();
  const out = await runVectorText('r.json', text, { createGuard: factory });
  assert.deepEqual(calls[0], ['createGuard', { roots: [root].map(({ d, ...pub }) => pub), superappId: 'demo', localPrefixes: ['http://tmp/'] }]);
  assert.equal(calls[1][0], 'loadKeys');
  const [header, payload, sig] = calls[1][1].split('.');
  assert.deepEqual(b64json(header), { alg: 'EdDSA', kid: 'root-1', typ: 'guard-keyset+jws' });
  assert.ok(Buffer.from(payload, 'base64url').toString().includes('"version":18446744073709551615'), 'the payload keeps its digits');
  const pub = createPublicKey({ key: { kty: root.kty, crv: root.crv, x: root.x }, format: 'jwk' });
  assert.equal(verify(null, Buffer.from(`${header}.${payload}`), pub, Buffer.from(sig, 'base64url')), true);
  assert.deepEqual(calls[2], ['loadKeys', 'a.b.c', { now: NOW }]);
  assert.deepEqual(out.map((o) => o.failure), [
    null,
    'expected load `invalid_keyset`, got `ok` ()',
    'a `keyset` load names its root in `sign_with`',
    'sign_with `k1`: no key with that kid in `roots`',
    null,
  ]);
  assert.deepEqual(calls.at(-1), ['checkMedia', 'mp', '/a.png', { now: NOW }]);
});

test('a v1 file configures the guard with its secret only', async () => {
  const { factory, calls } = fakeGuardFactory();
  await runVectorText('v1.json', JSON.stringify(file()), { createGuard: factory });
  assert.deepEqual(calls[0], ['createGuard', { secret: SECRET }]);
});

test('launch, tcp and udp cases call the v2 guard methods with the parsed target', async () => {
  const { factory, calls } = fakeGuardFactory();
  const sha = 'ab'.repeat(32);
  const out = await runVectorText('v2.json', JSON.stringify(file({ cases: [
    { app: 'mp_shop', launch: { version: '1.4.2', package_sha256: sha }, expect: 'allow' },
    { app: 'mp_shop', tcp: 'printer.lan.example:9100', expect: 'allow', now: NOW + 5 },
    { app: 'mp_shop', udp: '[::1]:53', expect: 'allow' },
    { app: 'mp_shop', tcp: 'evil.example', expect: 'allow' },
    { app: 'mp_shop', tcp: 'evil.example:70000', expect: 'allow' },
    { app: 'mp_shop', udp: '[2001:db8::1]', expect: 'allow' },
  ] })), { createGuard: factory });
  assert.deepEqual(tally(out), { passed: 7, failed: 0 }, JSON.stringify(out));
  assert.deepEqual(calls.filter((c) => c[0].startsWith('check')), [
    ['checkLaunch', 'mp_shop', { version: '1.4.2', packageSha256: sha }, { now: NOW }],
    ['checkTcp', 'mp_shop', 'printer.lan.example', 9100, { now: NOW + 5 }],
    ['checkUdp', 'mp_shop', '[::1]', 53, { now: NOW + 5 }],
    ['checkTcp', 'mp_shop', 'evil.example', 0, { now: NOW + 5 }],
    ['checkTcp', 'mp_shop', 'evil.example', 70000, { now: NOW + 5 }],
    // Split at the last `:` as guard-core does: the guard then refuses the host.
    ['checkUdp', 'mp_shop', '[2001:db8:', 0, { now: NOW + 5 }],
  ]);
});

test('a v2 case whose guard method is missing fails, naming the method', async () => {
  const { factory } = fakeGuardFactory({ without: ['checkLaunch', 'checkTcp', 'checkUdp'] });
  const out = await runVectorText('v2.json', JSON.stringify(file({ cases: [
    { app: 'mp_shop', launch: { version: '1', package_sha256: 'ab'.repeat(32) }, expect: 'allow' },
    { app: 'mp_shop', tcp: 'a.example:1', expect: 'deny' },
    { app: 'mp_shop', udp: 'a.example:1', expect: 'allow' },
  ] })), { createGuard: factory });
  assert.deepEqual(tally(out), { passed: 1, failed: 3 });
  assert.match(out[1].failure, /no checkLaunch\(\).*`launch`/);
  assert.match(out[2].failure, /no checkTcp\(\).*`tcp`/);
  assert.match(out[3].failure, /no checkUdp\(\).*`udp`/);
});

test('tcp/udp targets are read as guard-core reads them; malformed launch objects are a failure of the file', async () => {
  // Hostile targets are cases for the guard to judge (§3.7 invalid_url), read
  // exactly as the Rust runner reads them: split at the last `:`.
  for (const [target, host, port] of [
    ['::1:80', '::1', 80], ['[::1', '[:', 1], ['[::1]80', '[:', 0], ['a.example:', 'a.example', 0],
    ['a.example:8o', 'a.example', 0], ['a.example:-1', 'a.example', 0], ['a.example:4294967296', 'a.example', 4294967295],
    [':80', '', 80], ['[]:80', '[]', 80], ['evil.example', 'evil.example', 0], ['[::1]:53', '[::1]', 53],
  ]) {
    assert.deepEqual(parseTarget(target), { host, port }, target);
  }
  assert.deepEqual(parseTarget('a.example:4294967295'), { host: 'a.example', port: 4294967295 });
  for (const launch of ['1.4.2', { version: '1.4.2' }, { version: 1, package_sha256: 'x' }]) {
    const out = await runVectorText('bad.json', JSON.stringify(file({ cases: [{ app: 'mp_shop', launch, expect: 'deny' }] })), { createGuard: fakeGuardFactory().factory });
    assert.match(out[0].failure, /^not a vector file: a case: `launch`/);
  }
  const { factory: f2, calls: c2 } = fakeGuardFactory();
  const badD = await runVectorText('bad.json', JSON.stringify({ secret: SECRET, now: NOW, keys: [{ ...edKey('k'), d: 'AA' }], loads: [{ policy: policy(), expect: 'ok', sign_with: 'k' }] }), { createGuard: f2 });
  assert.match(badD[0].failure, /^sign_with `k`: cannot sign: /);
  assert.equal(c2.filter((c) => c[0] === 'load').length, 0);
  const keysBad = await runVectorText('bad.json', JSON.stringify(file({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k', x: 'AA' }] })), { createGuard: fakeGuardFactory().factory });
  assert.match(keysBad[0].failure, /^not a vector file: keys\[0\]/);
});

test('a case with two subjects, v2 ones included, is a failure', async () => {
  const out = await runVectorText('two.json', JSON.stringify(file({ cases: [
    { app: 'mp_shop', tcp: 'a.example:1', udp: 'a.example:1', expect: 'allow' },
  ] })), { createGuard: fakeGuardFactory().factory });
  assert.equal(out[1].failure, 'a case needs exactly one of api, request, upload, download, socket, webview, launch, tcp, udp, media');
});

test('a guard that throws fails that case only', async () => {
  const { factory } = fakeGuardFactory();
  const throwing = async (o) => ({ ...(await factory(o)), checkApi: () => { throw new TypeError('boom'); } });
  const out = await runVectorText('t.json', JSON.stringify(file({ cases: [
    { app: 'mp_shop', api: 'x', expect: 'allow' },
    { app: 'mp_shop', request: 'https://a.example/', expect: 'allow' },
  ] })), { createGuard: throwing });
  assert.deepEqual(out.map((o) => o.failure), [null, 'the guard threw TypeError: boom', null]);
});
