// The browser test: Debian's Chromium driven by playwright-core, against the
// harness served on loopback. Proves that allowed calls reach the server and
// denied ones never leave the page (the server's own counts), that a denied
// web-view never loads, takes a screenshot, and runs the URL differential
// (guard vs the browser's own URL parser) on > 500 inputs.
//
//   node --test js/test-browser/     (CHROMIUM=/path overrides /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../harness/server.mjs';
import { signPolicy } from '../bin/guard-vectors.mjs';
import { DIFF_APP, ENTRIES, ENTRY_SCHEMES, HOSTILE, SOCKET_HOSTILE, diffPolicy, oracle, whatwgInputs } from '../harness/differential.mjs';

const HERE = new URL('.', import.meta.url);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let context;
let profile;
let page;

before(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'guard-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 760 },
  });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url);
  await page.waitForSelector('body[data-done="true"]', { timeout: 30000 });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('allowed calls reach the server, denied ones never leave the page', async () => {
  const h = await page.evaluate(() => window.__harness);
  assert.equal(h.error, undefined, h.error);
  const stats = server.stats();
  // The server's own count: exactly the allowed calls, once each.
  assert.deepEqual(stats.net, {
    'api.shop.example/v1/items': 1,
    'cdn.shop.example:8443/logo.png': 1,
    'a.img.shop.example/pic.png': 1,
    'ws.shop.example/live': 1,
    'api.shop.example/v1/flip': 1,
  });
  const byLabel = Object.fromEntries(h.results.map((r) => [r.label, r]));
  assert.equal(byLabel['exfiltrate to another domain'].errMsg, 'request:fail url not in domain list:evil.example');
  assert.equal(byLabel['plain http'].errMsg, 'request:fail url scheme not allowed');
  assert.equal(byLabel['wrong port'].errMsg, 'request:fail url not in domain list:api.shop.example:8443');
  assert.equal(byLabel['userinfo in the URL'].errMsg, 'request:fail invalid url');
  assert.equal(byLabel['look-alike host'].errMsg, 'uploadFile:fail url not in domain list:api.shop.example.evil.example');
  assert.equal(byLabel['tampered Object.prototype'].errMsg, 'request:fail url not in domain list:evil.example');
  assert.equal(byLabel['sensitive API not granted'].errMsg, 'chooseImage:fail permission not granted');
  assert.equal(byLabel['API outside the whitelist (sync)'].errMsg, 'getSecretTokenSync:fail api not in whitelist');
  assert.equal(byLabel['granted sensitive API'].ok, true);
  assert.equal(byLabel['built-in API (sync)'].ok, true);
  assert.equal(h.violations.length, 10);
  assert.ok(h.violations.every((v) => v.appId === 'mp_demo' && typeof v.code === 'string'));
});

test('a denied web-view never loads; the allowed one does', async () => {
  assert.deepEqual(server.stats().web, { 'h5.shop.example/welcome': 1 });
  const src = await page.evaluate(() => document.getElementById('webview').getAttribute('src'));
  assert.equal(src, '/web/h5.shop.example/welcome');
  const h = await page.evaluate(() => window.__harness);
  const byLabel = Object.fromEntries(h.results.map((r) => [r.label, r]));
  assert.equal(byLabel['web-view to another domain'].errMsg, 'web-view:fail url not in domain list:evil.example');
  assert.equal(byLabel['web-view javascript:'].errMsg, 'web-view:fail url scheme not allowed');
});

test('screenshot of the harness', async () => {
  const path = new URL('../harness/screenshots/harness.png', HERE).pathname;
  await page.screenshot({ path, fullPage: false });
  assert.ok(readFileSync(path).length > 1000);
});

test('differential: the guard agrees with Chromium\'s URL parser on scheme, host and port', async () => {
  const urltestdata = JSON.parse(readFileSync(new URL('../../tests/data/whatwg/urltestdata.json', HERE), 'utf8'));
  const requests = [...new Set([...whatwgInputs(urltestdata), ...HOSTILE])];
  const sockets = [...new Set([...SOCKET_HOSTILE, ...requests.filter((u) => /^\s*https:\/\//i.test(u)).map((u) => u.replace(/^(\s*)https:/i, '$1wss:'))])];
  assert.ok(requests.length + sockets.length >= 500, `${requests.length + sockets.length} inputs`);
  const now = Math.floor(Date.now() / 1000);
  const bundle = signPolicy(diffPolicy(now), 'DiffTestKey00016');
  const result = await page.evaluate(async ({ bundle, requests, sockets, oracleSrc, entries, entrySchemes, app }) => {
    const { createGuard } = await import('/src/index.js');
    const oracle = (0, eval)(`(${oracleSrc})`);
    const guard = await createGuard({ secret: 'DiffTestKey00016' });
    const load = guard.load(bundle);
    if (load.code !== 'ok') return { error: `load ${load.code}: ${load.message}` };
    const mismatches = [];
    let checked = 0;
    const run = (kind, scheme, method, label, list) => {
      for (const input of list) {
        checked++;
        const want = oracle(input, scheme, entries, entrySchemes);
        const got = guard[method](app, input);
        let expectMsg = null;
        if (want.code === 'domain_not_whitelisted') expectMsg = `${label}:fail url not in domain list:${want.host}`;
        if (want.code === 'port_not_allowed') expectMsg = `${label}:fail url not in domain list:${want.host}:${want.port}`;
        const allowOk = got.allow === (want.code === null);
        if (!allowOk || got.code !== want.code || (expectMsg !== null && got.message !== expectMsg)) {
          let browser = null;
          try { const u = new URL(input); browser = { href: u.href, protocol: u.protocol, hostname: u.hostname, port: u.port, username: u.username }; } catch { /* not a URL */ }
          mismatches.push({ kind, input, guard: { allow: got.allow, code: got.code, message: got.message }, oracle: want.code, browser });
        }
      }
    };
    run('request', 'https', 'checkRequest', 'request', requests);
    run('socket', 'wss', 'checkSocket', 'connectSocket', sockets);
    return { checked, mismatches };
  }, { bundle, requests, sockets, oracleSrc: oracle.toString(), entries: ENTRIES, entrySchemes: ENTRY_SCHEMES, app: DIFF_APP });
  assert.equal(result.error, undefined, result.error);
  assert.ok(result.checked >= 500);
  // Whatever the list says: no input may be allowed by one side and denied by the other.
  const oneSided = result.mismatches.filter((m) => m.guard.allow || m.oracle === null);
  assert.deepEqual(oneSided, [], 'the guard and the browser disagree on allow');
  const expected = JSON.parse(readFileSync(new URL('../harness/expected-differences.json', HERE), 'utf8')).differences;
  const key = (m) => `${m.kind} ${JSON.stringify(m.input)}`;
  const known = new Map(expected.map((d) => [key(d), d]));
  const unexpected = result.mismatches.filter((m) => {
    const d = known.get(key(m));
    return d === undefined || d.guard !== m.guard.code || d.browser !== m.oracle;
  });
  if (process.env.DIFF_DUMP) writeFileSync(process.env.DIFF_DUMP, JSON.stringify(result.mismatches, null, 1));
  assert.deepEqual(unexpected, [], `${unexpected.length} unexpected disagreements of ${result.checked} inputs`);
  const seen = new Set(result.mismatches.map(key));
  const stale = expected.filter((d) => !seen.has(key(d)));
  assert.deepEqual(stale, [], 'expected differences that no longer happen');
});
