// What the console's browser tests share: a real `guard serve` process (the
// guard-server binary, port 0, a temp data directory, SQLite or PostgreSQL),
// Debian's Chromium through playwright-core, one browser context per person
// (each with its own cookies), the guard itself (the JS bridge over the same
// .wasm) to check the bundles the console's decisions produce, axe-core, and
// screenshots.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const ROOT = new URL('../../../../', import.meta.url);
const require = createRequire(new URL('js/package.json', ROOT));
const { chromium } = require('playwright-core');
export const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const jsQR = require('jsqr');
export const { PNG } = require('pngjs');
const { createGuard } = await import(new URL('js/src/index.js', ROOT));
export const { zipSync, strToU8 } = require('fflate');

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const PASSWORD = 'correct horse battery staple';
export const SCREENSHOTS = new URL('docs/console/', ROOT);

/** Starts guard-server; resolves with its URL, admin token and invite link. */
export async function startServer({ pgUrl } = {}) {
  const bin = process.env.GUARD_SERVER_BIN ?? new URL('target/debug/guard-server', ROOT).pathname;
  const data = mkdtempSync(join(tmpdir(), 'guard-console-'));
  const env = { ...process.env, RUST_LOG: 'warn' };
  delete env.GUARD_KEK;
  const args = ['--listen', '127.0.0.1:0', '--data-dir', data];
  if (pgUrl) {
    env.GUARD_DATABASE_URL = pgUrl;
    args.push('--kek-file', join(data, 'kek'));
  } else {
    delete env.GUARD_DATABASE_URL;
  }
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = createInterface({ input: child.stdout });
  const seen = {};
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`guard-server exited (${code}) before listening:\n${stderr}`)));
    lines.on('line', (line) => {
      let m;
      if ((m = line.match(/^bootstrap admin token \(shown once\): (\S+)$/))) seen.token = m[1];
      if ((m = line.match(/^console: (\S+)$/))) seen.console = m[1];
      if ((m = line.match(/^bootstrap admin invite \(one use, expires [^)]*\): (\S+)$/))) seen.invite = m[1];
      if ((m = line.match(/^listening on (\S+)$/))) { seen.addr = m[1]; resolve(); }
    });
  });
  const url = `http://${seen.addr}`;
  return {
    url,
    ...seen,
    stderr: () => stderr,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** The console API with a bearer token (set-up only; people use the pages). */
export async function api(server, token, method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'guard-console-chromium-'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A person: their own browser context (cookies), one page, every console
 * error, CSP violation and failed script recorded so a test can assert none
 * happened.
 */
export async function person(browser, server, name, { width = 1280, height = 860, timezoneId = 'UTC', script = true } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url, timezoneId, locale: 'en-US', javaScriptEnabled: script });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Script errors and CSP refusals ("Refused to …"); a refused form's own
  // 4xx document is expected ("Failed to load resource" is its status).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => d.accept());
  return { name, context, page, problems };
}

/** Opens an invite link (code in the fragment), sets the password. */
export async function acceptInvite(who, link) {
  const { page } = who;
  await page.goto(link);
  // The script moved the code from the fragment into the form, and out of
  // the address bar.
  const code = link.split('#')[1];
  assert.equal(await page.inputValue('#code'), code);
  assert.equal(new URL(page.url()).hash, '');
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(await page.textContent('.flash'), /Your password is set/);
}

export async function signIn(who, account, password = PASSWORD) {
  const { page } = who;
  await page.goto('/console/login');
  await page.fill('#account', account);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

/** Submits the form holding `selector`'s button and waits for the next page. */
export async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/**
 * Posts a form from inside the page, as a forged or tampered form would
 * (same origin, the session's cookie and token): what the server says.
 */
export async function postFromPage(page, path, fields) {
  return page.evaluate(async ({ path, fields }) => {
    const csrf = document.querySelector('input[name=csrf]')?.value ?? '';
    const body = new URLSearchParams({ csrf, ...fields });
    const res = await fetch(path, { method: 'POST', body, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
  }, { path, fields });
}

/** axe-core on the page: no serious or critical violation. */
export async function checkAxe(page, label) {
  // Evaluated through the DevTools protocol, which the page's CSP does not
  // govern: the console itself still runs no inline script.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${label}: axe found ${JSON.stringify(bad, null, 1)}`);
  return result;
}

/** A screenshot of the page (into docs/console/ when UPDATE_SCREENSHOTS=1). */
export async function screenshot(page, name) {
  const bytes = await page.screenshot({ fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(new URL(`${name}.png`, SCREENSHOTS), bytes);
  }
  assert.ok(bytes.length > 1000, `${name}: a screenshot`);
}

/** A device's guard: the superapp's public keys, then each bundle in turn. */
export async function deviceGuard(server, sid) {
  const keys = await (await fetch(`${server.url}/api/v1/superapps/${sid}/keys.json`)).json();
  const guard = await createGuard({ keys: keys.keys });
  return {
    async sync(app) {
      const res = await fetch(`${server.url}/api/v1/apps/${app}/bundle`);
      assert.equal(res.status, 200);
      const loaded = guard.load(await res.text());
      assert.equal(loaded.code, 'ok', loaded.message);
      return guard;
    },
  };
}

/** Decodes a QR code PNG. */
export function decodeQr(bytes) {
  const png = PNG.sync.read(Buffer.from(bytes));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(code, 'the PNG holds a QR code');
  return code.data;
}

/** The text of the table row holding `text`. */
export async function rowOf(page, text) {
  return page.locator('tr', { hasText: text }).first();
}

/**
 * The cast of the walks: a superapp, a team, and one person of each role
 * (their own browser context, signed in through their invite). The
 * platform's set-up goes through the API with the bootstrap token; the
 * platform screens are walked by their own test.
 */
export const SID = 'demo';
export async function world() {
  const server = await startServer({ pgUrl: process.env.GUARD_CONSOLE_PG_URL });
  const chrome = await launch();
  const admin = server.token;
  let r = await api(server, admin, 'POST', '/api/v1/superapps', { id: SID, name: 'Demo superapp', secret_key: 'k3yK3yk3yK3yk3y1', backend_domain: 'https://api.demo.example' });
  assert.equal(r.status, 201, r.text);
  r = await api(server, admin, 'POST', '/api/v1/teams', { id: 'shop-team', name: 'Shop team' });
  assert.equal(r.status, 201, r.text);
  const people = {};
  const tokens = {};
  const accounts = [
    ['boss', 'Sam Admin', 'superapp_admin', SID, null],
    ['senior', 'Sen Ior', 'superapp_senior_developer', SID, null],
    ['rev', 'Rae Viewer', 'review_staff', SID, null],
    ['dev', 'Dee Veloper', 'developer', null, 'shop-team'],
  ];
  for (const [id, name, role, superapp_id, team_id] of accounts) {
    r = await api(server, admin, 'POST', '/api/v1/accounts', { id, name, role, superapp_id, team_id });
    assert.equal(r.status, 201, r.text);
    tokens[id] = r.json.token;
    const inv = await api(server, admin, 'POST', `/api/v1/accounts/${id}/invites`);
    assert.equal(inv.status, 201, inv.text);
    people[id] = await person(chrome.browser, server, id);
    await acceptInvite(people[id], inv.json.url);
  }
  return {
    server,
    chrome,
    people,
    tokens,
    async close() {
      await chrome.close();
      await server.close();
    },
  };
}

/**
 * Through the API (set-up only): the developer's mini program `app`,
 * bound to the superapp by its admin.
 */
export async function boundApp(w, app, name = app) {
  let r = await api(w.server, w.tokens.dev, 'POST', `/api/v1/superapps/${SID}/apps`, { id: app, name, kind: 'mini_program', team_id: 'shop-team' });
  assert.equal(r.status, 201, r.text);
  r = await api(w.server, w.tokens.boss, 'POST', `/api/v1/bindings/${r.json.binding.id}/decision`, { decision: 'approve' });
  assert.equal(r.status, 200, r.text);
}

/**
 * The set-up most walks begin with: [world] with the developer's mini
 * program `mp_shop` ("Shop") bound to the superapp.
 */
export async function shopWorld() {
  const w = await world();
  await boundApp(w, 'mp_shop', 'Shop');
  return w;
}

/** No page error, console error or CSP refusal in anyone's browser. */
export function assertNoProblems(w) {
  for (const p of Object.values(w.people)) assert.deepEqual(p.problems, [], p.name);
}
