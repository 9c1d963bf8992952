#!/usr/bin/env node
// Seeds a `guard serve` with the demo superapp, through its documented JSON
// API only (docs/server.md), idempotently: every step first reads what is
// there and does only what is missing, and the tokens it was shown once are
// kept in a state file (mode 0600) next to the server's data.
//
//   superapp `demo` (backend https://api.superapp.example, so that host is
//     blocked in every bundle; blocked hosts *.internal.superapp.example);
//   team `shop-team`; one account per role: boss (superapp admin), senior
//     (senior developer), reviewer (review staff), dev (developer, shop-team),
//     platform (platform admin); the bootstrap token is the super admin;
//   mp_shop: bound, server domains api.shop.example, cdn.shop.example:8443,
//     wss://ws.shop.example, *.img.shop.example, web-view h5.shop.example,
//     getLocation requested and approved (chooseImage, restricted by
//     default, is not), version 1.0.0 (the zipped sample mini program)
//     released;
//   mp_open: bound, every permission-control switch off;
//   mp_gone: bound, its own host, released and then removed.
//
//   node js/harness/seed.mjs <server url> <state file> [admin token]
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SUPERAPP = 'demo';
export const TEAM = 'shop-team';
export const SHOP = 'mp_shop';
export const OPEN = 'mp_open';
export const GONE = 'mp_gone';
export const RELEASED_VERSION = '1.0.0';
export const BACKEND = 'https://api.superapp.example';
export const BLOCKED = ['*.internal.superapp.example'];
export const SHOP_DOMAINS = ['https://api.shop.example', 'https://cdn.shop.example:8443', 'wss://ws.shop.example', 'https://*.img.shop.example'];
export const SHOP_WEBVIEW = ['https://h5.shop.example'];
export const ACCOUNTS = [
  { id: 'platform', name: 'Platform admin', role: 'platform_admin' },
  { id: 'boss', name: 'Superapp admin', role: 'superapp_admin', superapp_id: SUPERAPP },
  { id: 'senior', name: 'Senior developer', role: 'superapp_senior_developer', superapp_id: SUPERAPP },
  { id: 'reviewer', name: 'Review staff', role: 'review_staff', superapp_id: SUPERAPP },
  { id: 'dev', name: 'Developer', role: 'developer', team_id: TEAM },
];
/** The sample mini program, the one file of its code package. */
export const PACKAGE_SOURCE = join(HERE, 'mini-program.cjs');
export const PACKAGE_ENTRY = 'mini-program.cjs';

/**
 * The code package of mp_shop 1.0.0: a zip (stored, fixed time stamp, so
 * the same source always gives the same bytes and the same SHA-256).
 */
export async function packageZip() {
  const source = new Uint8Array(await readFile(PACKAGE_SOURCE));
  return zipSync({ [PACKAGE_ENTRY]: [source, { level: 0, mtime: new Date('2026-01-01T00:00:00Z') }] });
}

/** A JSON API client for one bearer token; answers { status, body }. */
export function client(base, token) {
  return async (method, path, body, contentType = 'application/json') => {
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : body });
    const text = await res.text();
    let json = null;
    try { json = text === '' ? null : JSON.parse(text); } catch { json = text; }
    return { status: res.status, body: json };
  };
}

async function must(p, ok, what) {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`seed: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * Seeds `base`. `adminToken` is needed on the first run (the bootstrap
 * token the server printed); it is kept in `stateFile` with the other
 * tokens. Answers the state: `{ url, superapp, tokens: { admin, boss, ... },
 * invites: { boss: <link>, ... } }`, `invites` holding a fresh one-time
 * console invite for each demo account that has no console password yet
 * (a new one each run supersedes the last; never written to `stateFile`).
 */
export async function seedDemo({ url: base, stateFile, adminToken }) {
  let state = { superapp: SUPERAPP, tokens: {} };
  if (existsSync(stateFile)) state = JSON.parse(await readFile(stateFile, 'utf8'));
  if (adminToken) state.tokens.admin = adminToken;
  if (!state.tokens.admin) throw new Error(`seed: no admin token (none given, none in ${stateFile}): start from an empty data directory`);
  const save = () => writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await save();
  const admin = client(base, state.tokens.admin);

  if ((await admin('GET', `/api/v1/superapps/${SUPERAPP}`)).status === 404) {
    // The SecretKey authenticates the superapp's backend only; the demo never uses it.
    const secret = randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(32, 'x').slice(0, 32);
    await must(admin('POST', '/api/v1/superapps', { id: SUPERAPP, name: 'Demo superapp', secret_key: secret, backend_domain: BACKEND }), [201, 200], 'create the superapp');
  }
  const teams = await must(admin('GET', '/api/v1/teams'), [200], 'list teams');
  const teamList = teams.body.teams ?? teams.body;
  if (!JSON.stringify(teamList).includes(`"${TEAM}"`)) await must(admin('POST', '/api/v1/teams', { id: TEAM, name: 'Shop team' }), [201, 200, 409], 'create the team');
  for (const a of ACCOUNTS) {
    if (state.tokens[a.id]) continue;
    const r = await must(admin('POST', '/api/v1/accounts', a), [201, 200, 409], `create account ${a.id}`);
    if (r.status === 409) throw new Error(`seed: account ${a.id} exists but its token is not in ${stateFile}: start from an empty data directory`);
    state.tokens[a.id] = r.body.token;
    await save();
  }
  // Console invites for the people who have not set a password yet.
  const invites = {};
  const accounts = await must(admin('GET', '/api/v1/accounts'), [200], 'list accounts');
  for (const a of accounts.body.accounts ?? []) {
    if (a.has_password || !ACCOUNTS.some((d) => d.id === a.id)) continue;
    const r = await must(admin('POST', `/api/v1/accounts/${a.id}/invites`), [201], `invite ${a.id}`);
    invites[a.id] = r.body.url;
  }
  const boss = client(base, state.tokens.boss);
  const reviewer = client(base, state.tokens.reviewer);
  const dev = client(base, state.tokens.dev);

  await must(boss('PUT', `/api/v1/superapps/${SUPERAPP}/blocked-hosts`, { blocked_hosts: BLOCKED }), [200], 'blocked hosts');

  for (const app of [SHOP, OPEN, GONE]) {
    if ((await dev('GET', `/api/v1/apps/${app}`)).status === 404) {
      const name = { [SHOP]: 'Shop', [OPEN]: 'Open app', [GONE]: 'Removed app' }[app];
      await must(dev('POST', `/api/v1/superapps/${SUPERAPP}/apps`, { id: app, name, kind: 'mini_program', team_id: TEAM }), [201, 200], `create ${app}`);
    }
  }
  const pending = await must(boss('GET', `/api/v1/superapps/${SUPERAPP}/bindings?status=pending`), [200], 'pending bindings');
  for (const b of pending.body.bindings ?? []) {
    await must(boss('POST', `/api/v1/bindings/${b.id}/decision`, { decision: 'approve', note: 'demo' }), [200, 409], `approve binding ${b.id}`);
  }

  const entry = (app, list, value) => must(boss('POST', `/api/v1/apps/${app}/whitelists/${list}`, { value, remark: 'demo' }), [201, 200, 409], `${app} ${list} ${value}`);
  for (const d of SHOP_DOMAINS) await entry(SHOP, 'server_domains', d);
  for (const d of SHOP_WEBVIEW) await entry(SHOP, 'webview_domains', d);
  await entry(GONE, 'server_domains', 'https://api.gone.example');
  // Permission control: on for mp_shop and mp_gone (their lists apply), off for mp_open.
  for (const [app, on] of [[SHOP, true], [GONE, true], [OPEN, false]]) {
    await must(boss('PUT', `/api/v1/apps/${app}/control`, { server_domains: on, apis: on, webview_domains: on }), [200], `${app} switches`);
  }

  // getLocation: requested once by the developer and approved by review
  // staff; a later run leaves whatever people decided since alone.
  const reqs = await must(dev('GET', `/api/v1/apps/${SHOP}/requests`), [200], 'requests');
  if (!(reqs.body.requests ?? []).some((r) => r.api === 'getLocation')) {
    const r = await must(dev('POST', `/api/v1/apps/${SHOP}/requests`, { api: 'getLocation', reason: 'show the nearest store' }), [201, 200], 'request getLocation');
    await must(reviewer('POST', `/api/v1/requests/${r.body.id}/decision`, { decision: 'approve', note: 'store finder' }), [200], 'approve getLocation');
  }

  const zip = await packageZip();
  for (const app of [SHOP, GONE]) {
    const versions = await must(dev('GET', `/api/v1/apps/${app}/versions`), [200], `${app} versions`);
    if (!(versions.body.versions ?? []).some((v) => v.app_version === RELEASED_VERSION)) {
      await must(dev('POST', `/api/v1/apps/${app}/versions?app_version=${RELEASED_VERSION}&description=demo`, zip, 'application/zip'), [201, 200], `${app} upload`);
    }
    const releases = await must(dev('GET', `/api/v1/apps/${app}/releases`), [200], `${app} releases`);
    if ((releases.body.releases ?? []).length === 0) {
      const r = await must(dev('POST', `/api/v1/apps/${app}/releases`, { app_version: RELEASED_VERSION }), [201, 200], `${app} submit`);
      await must(reviewer('POST', `/api/v1/releases/${r.body.id}/decision`, { decision: 'approve', note: 'demo' }), [200], `${app} approve release`);
      if (app === GONE) await must(reviewer('DELETE', `/api/v1/apps/${GONE}/release`), [200], 'remove mp_gone');
    }
  }
  return { url: base, ...state, invites };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [url, stateFile, token] = process.argv.slice(2);
  if (!url || !stateFile) {
    console.error('usage: seed.mjs <server url> <state file> [admin token]');
    process.exit(2);
  }
  try {
    await seedDemo({ url, stateFile, adminToken: token });
    console.log(`seed: ${SUPERAPP} ready on ${url} (tokens in ${stateFile})`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
