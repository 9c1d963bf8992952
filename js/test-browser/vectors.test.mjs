// The decision vectors inside Chromium: Debian's chromium, driven by
// playwright-core, loads the bridge and the vector runner's core
// (src/vectors/, the same modules the Node CLI uses) from a loopback server,
// and runs every vector file of tests/vectors, tests/vectors-v3 and, when
// they exist, of ../shared/vectors, ../shared/vectors-v2 and ../shared/vectors-v3. For each folder: the browser
// runs as many loads and cases as `node js/bin/guard-vectors.mjs` counts and
// fails exactly where it fails (one runner, one wasm, two runtimes), and none
// fails. Nothing is skipped: a folder whose vectors the guard cannot pass yet
// fails here, naming its files.
//
//   node --test js/test-browser/vectors.test.mjs   (CHROMIUM=/path overrides /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { generateKeyPairSync } from 'node:crypto';
import { collectFiles } from '../bin/guard-vectors.mjs';
import { signPolicy, signPolicyEdDsa } from '../src/vectors/sign.mjs';

const REPO = resolve(new URL('../../', import.meta.url).pathname);
const JS_ROOT = join(REPO, 'js');
const CLI = join(JS_ROOT, 'bin', 'guard-vectors.mjs');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Named as the lead's scripts name them (relative to the repository root), so
// the outcome names here and in the CLI's output are the same strings.
const OWN = ['tests/vectors', 'tests/vectors-v3'];
const FOLDERS = [...OWN, '../shared/vectors', '../shared/vectors-v2', '../shared/vectors-v3'].filter((f) => OWN.includes(f) || existsSync(join(REPO, f)));
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

let server;
let origin;
let context;
let profile;
let page;

// Serves the bridge (/src/, /pkg/, laid out as in js/ so the bridge finds its
// wasm at ../pkg/) and the vector folders under /vectors/<n>/. Loopback only;
// the page's origin is http://127.0.0.1, a secure context, so WebCrypto's
// Ed25519 (for `sign_with` loads) is available to the page.
function startStaticServer() {
  const roots = { src: join(JS_ROOT, 'src'), pkg: join(JS_ROOT, 'pkg'), 'node_modules/@noble/hashes': join(JS_ROOT, 'node_modules', '@noble', 'hashes') };
  FOLDERS.forEach((f, i) => { roots[`vectors/${i}`] = resolve(REPO, f); });
  const s = createServer(async (req, res) => {
    const send = (status, type, body) => { res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    const path = decodeURIComponent(new URL(req.url, 'http://vectors.invalid').pathname);
    // The import map resolves the signing module's one npm dependency as Node does.
    if (path === '/') return send(200, 'text/html; charset=utf-8', '<!doctype html><title>guard vectors</title><script type="importmap">{"imports":{"@noble/hashes/":"/node_modules/@noble/hashes/"}}</script><body>vectors</body>');
    const prefix = Object.keys(roots).find((p) => path.startsWith(`/${p}/`));
    const type = TYPES[extname(path)];
    if (prefix === undefined || type === undefined) return send(404, 'text/plain', 'not found');
    const file = resolve(roots[prefix], `.${path.slice(prefix.length + 1)}`);
    if (!file.startsWith(roots[prefix] + sep)) return send(403, 'text/plain', 'forbidden');
    try {
      return send(200, type, await readFile(file));
    } catch (e) {
      // The page reports the status with the file's name, so the cause is not lost.
      return send(e.code === 'ENOENT' ? 404 : 500, 'text/plain', e.message);
    }
  });
  return new Promise((ok, fail) => {
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}

before(async () => {
  server = await startStaticServer();
  origin = `http://127.0.0.1:${server.address().port}`;
  profile = mkdtempSync(join(tmpdir(), 'guard-vectors-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${origin}/`);
});

after(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Every outcome of `folder`'s files, run in the page: [{ file, name, failure }]. */
async function runInChromium(folder, index) {
  const root = resolve(REPO, folder);
  const files = collectFiles([root]).map((abs) => ({
    name: relative(REPO, abs),
    url: `/vectors/${index}/${relative(root, abs).split(sep).map(encodeURIComponent).join('/')}`,
  }));
  return page.evaluate(async (list) => {
    const { createGuard } = await import('/src/index.js');
    const { runVectorText } = await import('/src/vectors/index.mjs');
    // Answer the runtime too, so the test can tell this ran in Chromium.
    const out = { userAgent: navigator.userAgent, outcomes: [] };
    for (const f of list) {
      const res = await fetch(f.url);
      const outcomes = res.ok
        ? await runVectorText(f.name, await res.text(), { createGuard })
        : [{ name: f.name, failure: `cannot fetch ${f.url}: HTTP ${res.status}` }];
      for (const o of outcomes) out.outcomes.push({ file: f.name, name: o.name, failure: o.failure });
    }
    return out;
  }, files);
}

/** The Node CLI's verdict on `folder`: its count and its failure lines. */
function runCli(folder) {
  const r = spawnSync(process.execPath, [CLI, folder], { cwd: REPO, encoding: 'utf8' });
  const lines = r.stdout.trimEnd().split('\n');
  const m = /^([0-9]+) passed, ([0-9]+) failed$/.exec(lines.at(-1));
  assert.ok(m, `the CLI on ${folder} ended without its summary: ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`);
  return { status: r.status, total: Number(m[1]) + Number(m[2]), failed: Number(m[2]), failureText: lines.slice(0, -1).join('\n') };
}

const results = new Map();
async function resultsFor(folder) {
  if (!results.has(folder)) {
    const index = FOLDERS.indexOf(folder);
    results.set(folder, { browser: await runInChromium(folder, index), cli: runCli(folder) });
  }
  return results.get(folder);
}

test('the page signs bundles byte for byte as Node does (HS256 and EdDSA)', async () => {
  // Ed25519 signatures are deterministic (RFC 8032), so equal bytes mean the
  // page's WebCrypto signs what Node's does, and a page-run `sign_with` load
  // hands the guard the bundle the CLI would.
  const jwk = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'k-ü' };
  const policy = { schema: 2, superapp_id: 'bücher-superapp', version: 3, apps: [] };
  const inNode = { hs: signPolicy(policy, 'k3yK3yk3yK3yk3y1'), ed: await signPolicyEdDsa(policy, jwk) };
  const inPage = await page.evaluate(async ({ policy, jwk }) => {
    const m = await import('/src/vectors/sign.mjs');
    return { hs: m.signPolicy(policy, 'k3yK3yk3yK3yk3y1'), ed: await m.signPolicyEdDsa(policy, jwk) };
  }, { policy, jwk });
  assert.equal(inNode.ed.split('.').length, 3);
  assert.deepEqual(inPage, inNode);
});

for (const folder of FOLDERS) {
  test(`${folder}: Chromium runs as many loads and cases as the Node CLI, with the same outcomes`, async () => {
    const { browser, cli } = await resultsFor(folder);
    assert.match(browser.userAgent, /Chrome\//);
    assert.ok(browser.outcomes.length > 0, `no outcomes in ${folder}`);
    assert.equal(browser.outcomes.length, cli.total, `${folder}: Chromium ran ${browser.outcomes.length}, the CLI counted ${cli.total}`);
    const failureText = browser.outcomes.filter((o) => o.failure).map((o) => `${o.name}: ${o.failure}`).join('\n');
    assert.equal(failureText, cli.failureText, `${folder}: Chromium and Node fail differently`);
    assert.equal(cli.status, cli.failed === 0 ? 0 : 1);
  });

  test(`${folder}: every vector passes inside Chromium`, async () => {
    const { browser } = await resultsFor(folder);
    assert.ok(browser.outcomes.length > 0, `no outcomes in ${folder}`);
    const failed = browser.outcomes.filter((o) => o.failure);
    const byFile = new Map();
    for (const o of failed) {
      if (!byFile.has(o.file)) byFile.set(o.file, []);
      byFile.get(o.file).push(o);
    }
    // Up to three per file: a failed load usually hides what the cases would say.
    const report = [...byFile].map(([file, os]) => [`  ${file}: ${os.length} failed`,
      ...os.slice(0, 3).map((o) => `    ${o.name.slice(file.length + 2)}: ${o.failure}`)].join('\n'));
    assert.equal(failed.length, 0, `${folder}: ${failed.length} of ${browser.outcomes.length} failed in Chromium, in ${byFile.size} file(s):\n${report.join('\n')}`);
  });
}
