#!/usr/bin/env node
// The harness's local server, loopback only. It plays five parts:
//  - serves the harness page, the bridge (js/src), the wasm (js/pkg) and the
//    tools' module with its glue (js/pkg-tools: the harness's "Try a call");
//  - starts the superapp's real server, `guard serve` (the guard-server
//    binary; its own data directory, port 0), and seeds it with the demo
//    superapp through its JSON API (seed.mjs); the page's guard syncs from
//    it cross-origin, as a device does, over the device endpoints' CORS
//    (the key set, the bundle's long-poll, the package, reports) with the
//    bridge's `sync`;
//  - /harness-config is the superapp's configuration file, the one its SDK
//    ships with (downloaded from guard serve by the superapp admin);
//  - the base library's native side (what a superapp implements in native
//    code): POST /native/<request|upload|download> performs the network call
//    the page's base library hands it. It has its own guard, synced from
//    guard serve with the same `sync` in Node, checks the URL it is given, and
//    follows redirects itself: before it connects to a `Location` it asks
//    checkRedirect (contract v2 §3.6), so a denied hop is never connected to,
//    and at most 10 hops are followed;
//  - "the internet": /net/<host>/<path> stands for https://<host>/<path>
//    and /web/<host>/<path> for a web-view page. Some paths redirect
//    (INTERNET below). It counts every such request it receives, so tests
//    can prove a denied call never reached its host: GET /stats.
//
//   node js/harness/server.mjs [--port N] [--data-dir DIR]   (default 8377, a temp dir; 0 = any free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize, sep, extname, resolve as resolvePath } from 'node:path';
import { sync } from '../src/index.js';
import { startGuardServer } from './guard-server.mjs';
import { seedDemo, client, SUPERAPP } from './seed.mjs';

const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = { '/harness/': 'harness', '/src/': 'src', '/pkg/': 'pkg', '/pkg-tools/': 'pkg-tools', '/fflate/': 'node_modules/fflate/esm' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.cjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.ts': 'text/plain' };
const NATIVE_KINDS = { request: ['checkRequest', 'request'], upload: ['checkUpload', 'uploadFile'], download: ['checkDownload', 'downloadFile'] };
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/**
 * The harness page is cross-origin isolated, so a mini program's realm (a
 * worker) can block on a SharedArrayBuffer for `*Sync` calls; documents it
 * embeds (the web-view) opt in too.
 */
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
/**
 * The mini program's realm: no fetch of any kind (connect, script, worker,
 * image, ...), eval for the code package only (decision 480).
 */
const REALM_WORKER = '/harness/realm-worker.js';
const REALM_HEADERS = { 'content-security-policy': "default-src 'none'; script-src 'unsafe-eval'", 'cross-origin-embedder-policy': 'require-corp' };
const MAX_HOPS = 10;

/**
 * "The internet"'s redirecting routes, by path on any host: the Location a
 * GET to https://<host><path> answers with, or undefined (a plain 200).
 */
function internetRedirect(host, path) {
  // An allowed host that sends the caller on to another domain.
  if (path === '/redirect/elsewhere') return 'https://evil.example/collect?from=shop';
  // ... or into the superapp's internal network.
  if (path === '/redirect/internal') return 'https://admin.internal.superapp.example/secrets';
  // A loop, by relative Locations: /loop/a -> /loop/b -> /loop/a -> ...
  if (path === '/loop/a') return '/loop/b';
  if (path === '/loop/b') return '/loop/a';
  // A chain of <total> hops: /chain/<total>/<n> -> /chain/<total>/<n-1>, ..., /chain/<total>/0 answers.
  const chain = /^\/chain\/(\d+)\/(\d+)$/.exec(path);
  if (chain && Number(chain[2]) > 0) return `https://${host}/chain/${chain[1]}/${Number(chain[2]) - 1}`;
  return undefined;
}

/**
 * "The internet"'s books: hits per host and path of /net (requests and
 * WebSocket handshakes) and /web (web-view pages), and one trace per call
 * of the native layer.
 */
function createBooks() {
  let net = {};
  let web = {};
  let native = [];
  const bump = (table, key) => { table[key] = (table[key] ?? 0) + 1; };
  /** Hits per host (host[:port]) of "the internet", summed over paths. */
  function hosts() {
    const out = {};
    for (const [k, n] of Object.entries(net)) { const h = k.slice(0, k.indexOf('/')); out[h] = (out[h] ?? 0) + n; }
    return out;
  }
  return {
    /** Counts one /net hit of `key` (host and path); answers the count. */
    hitNet: (key) => { bump(net, key); return net[key]; },
    hitWeb: (key) => bump(web, key),
    trace: (t) => native.push(t),
    stats: () => ({ net: { ...net }, web: { ...web }, hosts: hosts() }),
    /** What the native layer did: one trace per call, with every hop's decision. */
    native: () => native.map((t) => structuredClone(t)),
    reset: () => { net = {}; web = {}; native = []; },
  };
}

/**
 * The base library's native network layer: the call the page's base
 * library handed over (already vetted by the bridge), checked again with
 * `guard` and its redirects followed hop by hop, each hop checked before
 * connecting. `base` is this server's URL ("the internet" is its /net
 * route); redirects are never followed by fetch itself.
 */
async function nativeCall(kind, { appId, url, method = 'GET', data }, { guard, base, books }) {
  const [check, api] = NATIVE_KINDS[kind];
  const trace = { appId, kind, url, hops: [] };
  books.trace(trace);
  const end = (out) => { trace.outcome = out; return out; };
  if (typeof appId !== 'string' || typeof url !== 'string') return end({ ok: false, errMsg: `${api}:fail bad native call`, errno: 1, code: null, hop: 0 });
  const d0 = guard[check](appId, url);
  if (!d0.allow) return end({ ok: false, errMsg: d0.message, errno: d0.errno, code: d0.code, hop: 0, hops: trace.hops });
  const connect = (href, m, body) => {
    const u = new URL(href);
    return fetch(`${base}net/${u.host}${u.pathname}${u.search}`, { method: m, body, redirect: 'manual' });
  };
  let href = d0.href;
  let m = method === 'POST' ? 'POST' : 'GET';
  let body = m === 'POST' ? String(data ?? '') : undefined;
  for (let hop = 1; ; hop++) {
    const res = await connect(href, m, body);
    const location = res.headers.get('location');
    if (!REDIRECT_STATUS.has(res.status) || location === null) {
      const text = await res.text();
      let payload = text;
      try { payload = JSON.parse(text); } catch { /* not JSON */ }
      return end({ ok: true, statusCode: res.status, data: payload, errMsg: `${api}:ok`, hops: trace.hops, href });
    }
    await res.arrayBuffer();
    const d = guard.checkRedirect(appId, kind, href, location, hop);
    trace.hops.push({ hop, from: href, location, allow: d.allow, code: d.code, message: d.message, href: d.href });
    if (!d.allow) return end({ ok: false, errMsg: d.message, errno: d.errno, code: d.code, hop, hops: trace.hops });
    // Belt and braces: the guard answers hop 11 invalid_url; if it ever
    // did not, the native layer still never connects to an 11th hop.
    if (hop > MAX_HOPS) return end({ ok: false, errMsg: `${api}:fail too many redirects (the guard allowed hop ${hop})`, errno: 1, code: null, hop, hops: trace.hops });
    href = d.href;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && m === 'POST')) { m = 'GET'; body = undefined; }
  }
}

/** For the page and demo.sh: where guard serve is, the accounts' tokens, the API calls to try. */
function infoOf({ guardServer, state, nativeSync }) {
  const S = guardServer.url;
  const j = (who, method, p, body) => `curl -sS -X ${method} -H 'authorization: Bearer ${state.tokens[who]}' -H 'content-type: application/json' ${S}${p}${body ? ` -d '${JSON.stringify(body)}'` : ''}`;
  return {
    guard: S,
    console: guardServer.consoleUrl,
    // The bootstrap admin's invite (printed by guard serve on a first
    // start) and the seeded accounts'.
    invites: { ...(guardServer.invite ? { admin: guardServer.invite } : {}), ...state.invites },
    superapp: SUPERAPP,
    tokens: state.tokens,
    native: nativeSync.status(),
    calls: {
      revoke: j('boss', 'DELETE', '/api/v1/apps/mp_shop/grants/getLocation'),
      request: j('dev', 'POST', '/api/v1/apps/mp_shop/requests', { api: 'getLocation', reason: 'store finder' }),
      approve: `${j('reviewer', 'GET', '/api/v1/superapps/demo/requests?status=pending')}   # then: ${j('reviewer', 'POST', '/api/v1/requests/<id>/decision', { decision: 'approve' })}`,
      allowHost: j('boss', 'POST', '/api/v1/apps/mp_shop/whitelists/server_domains', { value: 'https://evil.example', remark: 'demo' }),
      violations: j('boss', 'GET', '/api/v1/apps/mp_shop/violations'),
      // A rotation: the next key is published in a new key set (signed by
      // the root) before it signs; promoting it makes it sign.
      rotate: j('boss', 'POST', `/api/v1/superapps/${SUPERAPP}/signing-keys/rotate`),
      promote: j('boss', 'POST', `/api/v1/superapps/${SUPERAPP}/signing-keys/promote`),
    },
  };
}

/** What guard serve recorded from the violation reports devices sent (P2's console API), as the superapp admin. */
async function violationsOf({ guardServer, state }, app) {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(app)) return { available: false, error: 'no app' };
  const r = await client(guardServer.url, state.tokens.boss)('GET', `/api/v1/apps/${app}/violations`);
  if (r.status === 404 || r.status === 405) return { available: false, error: `guard serve has no violations API (${r.status})` };
  return { available: r.status === 200, status: r.status, body: r.body };
}

/**
 * The superapp's side behind the harness: guard serve started in `dir`
 * and seeded, its configuration file, and the native side's guard synced
 * from it with the bridge's `sync` in Node.
 */
async function startSuperapp(dir, log) {
  const guardServer = await startGuardServer({ dataDir: join(dir, 'guard-data'), log });
  try {
    const state = await seedDemo({ url: guardServer.url, stateFile: join(dir, 'seed.json'), adminToken: guardServer.token });
    const cfg = await client(guardServer.url, state.tokens.boss)('GET', `/api/v1/superapps/${SUPERAPP}/config.json`);
    if (cfg.status !== 200) throw new Error(`config.json: ${cfg.status}`);
    const config = cfg.body;
    const memory = new Map();
    const nativeSync = await sync({
      config,
      fetch: (u, init) => fetch(u, init),
      storage: { get: async (k) => memory.get(k) ?? null, set: async (k, v) => { memory.set(k, v); } },
      intervalSeconds: 1,
      // The superapp's root public keys, from its configuration file: the
      // native side takes signing keys only from key sets they signed.
      roots: config.roots,
    });
    if (nativeSync.status().version === null) throw new Error(`the native side has no policy: ${JSON.stringify(nativeSync.status())}`);
    return { guardServer, state, config, nativeSync };
  } catch (e) {
    await guardServer.kill();
    throw e;
  }
}

/**
 * The harness's routes. `side()` answers the superapp's side once it is up
 * (startSuperapp), `base()` this server's URL.
 */
function handlerOf({ side, base, books }) {
  return async (req, res) => {
    const send = (status, type, body, headers = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    const readBody = async () => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      return Buffer.concat(chunks).toString('utf8');
    };
    try {
      const url = new URL(req.url, 'http://harness.invalid');
      const path = url.pathname;
      if (path === '/' || path === '/index.html') {
        return send(200, TYPES['.html'], await readFile(join(JS_ROOT, 'harness', 'index.html')), ISOLATED);
      }
      if (path === '/harness-config') return send(200, TYPES['.json'], JSON.stringify(side().config));
      if (path === '/harness-info') return send(200, TYPES['.json'], JSON.stringify(infoOf(side())));
      if (path === '/violations') return send(200, TYPES['.json'], JSON.stringify(await violationsOf(side(), url.searchParams.get('app') ?? '')));
      if (path === '/stats') return send(200, TYPES['.json'], JSON.stringify(books.stats()));
      if (path === '/stats/reset' && req.method === 'POST') { books.reset(); return send(204, 'text/plain', ''); }
      const nat = /^\/native\/(request|upload|download)$/.exec(path);
      if (nat && req.method === 'POST') {
        let call;
        try { call = JSON.parse(await readBody()); } catch { return send(400, 'text/plain', 'bad json'); }
        return send(200, TYPES['.json'], JSON.stringify(await nativeCall(nat[1], call ?? {}, { guard: side().nativeSync.guard, base: base(), books })));
      }
      const m = /^\/(net|web)\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        const p = m[3] ?? '/';
        const key = `${m[2]}${p}`;
        if (m[1] === 'net') {
          const n = books.hitNet(key);
          await readBody();
          const location = internetRedirect(m[2], p);
          if (location !== undefined) return send(302, 'text/plain', `redirect to ${location}`, { location });
          return send(200, TYPES['.json'], JSON.stringify({ ok: true, host: m[2], path: p, method: req.method, n }));
        }
        books.hitWeb(key);
        return send(200, TYPES['.html'], `<!doctype html><body style="font:14px sans-serif;background:#e8f5e9;margin:8px">web-view page <b>https://${m[2]}${p}</b> loaded</body>`, { 'cross-origin-embedder-policy': 'require-corp' });
      }
      for (const [prefix, dir] of Object.entries(STATIC)) {
        if (!path.startsWith(prefix)) continue;
        const rel = normalize(decodeURIComponent(path.slice(prefix.length)));
        if (rel.startsWith('..') || rel.includes(`${sep}..`) || rel.startsWith(sep)) return send(403, 'text/plain', 'forbidden');
        const type = TYPES[extname(rel)];
        if (!type) return send(404, 'text/plain', 'not found');
        return send(200, type, await readFile(join(JS_ROOT, dir, rel)), path === REALM_WORKER ? REALM_HEADERS : {});
      }
      return send(404, 'text/plain', 'not found');
    } catch (e) {
      return send(e.code === 'ENOENT' ? 404 : 500, 'text/plain', e.code === 'ENOENT' ? 'not found' : 'error');
    }
  };
}

/**
 * Starts the harness and the guard serve behind it. `dataDir`: where guard
 * serve keeps its data and the seed its tokens (kept across runs; default a
 * temp dir removed by close()).
 */
export async function startServer({ port = 0, host = '127.0.0.1', dataDir, log = false } = {}) {
  const own = dataDir === undefined;
  const dir = own ? mkdtempSync(join(tmpdir(), 'guard-harness-')) : resolvePath(dataDir);
  mkdirSync(dir, { recursive: true });
  const books = createBooks();
  let superapp; // startSuperapp's answer, once up
  let base; // http://host:port/, once listening
  const server = createServer(handlerOf({ side: () => superapp, base: () => base, books }));
  // A WebSocket handshake to "the internet" counts as a request to its host, then is dropped.
  server.on('upgrade', (req, socket) => {
    const m = /^\/net\/([^/?]+)(\/[^?]*)?/.exec(new URL(req.url, 'http://harness.invalid').pathname);
    if (m) books.hitNet(`${m[1]}${m[2] ?? '/'}`);
    socket.destroy();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  base = `http://${addr.address}:${addr.port}/`;
  try {
    superapp = await startSuperapp(dir, log);
  } catch (e) {
    server.close();
    throw e;
  }
  const { guardServer, state, config, nativeSync } = superapp;
  return {
    url: base,
    guardUrl: guardServer.url,
    config,
    tokens: state.tokens,
    info: () => infoOf(superapp),
    nativeSync,
    stats: books.stats,
    /** What the native layer did: one trace per call, with every hop's decision. */
    native: books.native,
    reset: books.reset,
    close: async () => {
      await nativeSync.stop();
      await new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); });
      await guardServer.stop();
      if (own) rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const s = await startServer({ port: Number(arg('--port') ?? 8377), dataDir: arg('--data-dir') });
  const i = s.info();
  const roles = { admin: 'super admin', platform: 'platform admin', boss: 'superapp admin', senior: 'senior developer', reviewer: 'review staff', dev: 'developer' };
  const invites = Object.entries(i.invites).map(([id, link]) => `  ${id} (${roles[id] ?? 'account'}): ${link}`).join('\n');
  console.log(`harness: open ${s.url} (loopback only; Ctrl-C to stop)
console: open ${i.console}${invites ? ` and sign in through a one-time invite (each sets that account's password; open each in its own browser profile or private window to be several people at once):
${invites}` : ' and sign in (every demo account has its password already)'}
guard serve: ${i.guard} (superapp ${i.superapp}; tokens: ${Object.entries(i.tokens).map(([k, v]) => `${k}=${v}`).join(' ')})

The page syncs its guard from guard serve. Change the policy in the console
(or with these API calls) and watch the "Live" rows flip within seconds:
  revoke getLocation (superapp admin):
    ${i.calls.revoke}
  request it again (developer), then approve it (review staff):
    ${i.calls.request}
    ${i.calls.approve}
  let mp_shop reach evil.example (superapp admin):
    ${i.calls.allowHost}
  the violations the page reported (superapp admin):
    ${i.calls.violations}
  rotate the signing key (superapp admin): the page's "Key sets" rows show
  the new key set a root signed, then the bundle signed by its new key:
    ${i.calls.rotate}
    ${i.calls.promote}
"Try a call" on the page checks any API name or URL and explains the decision.`);
  const stop = async () => { await s.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
