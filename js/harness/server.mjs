#!/usr/bin/env node
// The harness's local server, loopback only. It plays four parts:
//  - serves the harness page, the bridge (js/src) and the wasm (js/pkg);
//  - the superapp backend: it generates an Ed25519 key pair at start;
//    GET /bundle answers the demo policy (contract v2, schema 2) signed with
//    EdDSA, GET /keys the public JWK (all a guard needs: no secret anywhere);
//  - the base library's native side (what a superapp implements in native
//    code): POST /native/<request|upload|download> performs the network call
//    the page's base library hands it. It has its own guard (the bridge's
//    createGuard in Node, the same wasm, the same bundle the page loads),
//    checks the URL it is given, and follows redirects itself: before it
//    connects to a `Location` it asks checkRedirect (contract v2 §3.6), so a
//    denied hop is never connected to, and at most 10 hops are followed;
//  - "the internet": /net/<host>/<path> stands for https://<host>/<path>
//    and /web/<host>/<path> for a web-view page. Some paths redirect
//    (INTERNET below). It counts every such request it receives, so tests
//    can prove a denied call never reached its host: GET /stats.
//
//   node js/harness/server.mjs [--port N]     (default 8377; 0 = any free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createHash, webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize, sep, extname } from 'node:path';
import { createGuard } from '../src/index.js';
import { signPolicyEdDsa } from '../src/vectors/sign.mjs';
import { demoPolicy } from './policy.mjs';

const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = { '/harness/': 'harness', '/src/': 'src', '/pkg/': 'pkg' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.ts': 'text/plain' };
/** The mini program's code package: the bytes whose SHA-256 the policy releases. */
export const PACKAGE_PATH = join(JS_ROOT, 'harness', 'mini-program.mjs');
const KID = 'harness-demo-ed25519';
const NATIVE_KINDS = { request: ['checkRequest', 'request'], upload: ['checkUpload', 'uploadFile'], download: ['checkDownload', 'downloadFile'] };
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
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

async function keyPair() {
  const kp = await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const jwk = await webcrypto.subtle.exportKey('jwk', kp.privateKey);
  const priv = { kty: 'OKP', crv: 'Ed25519', kid: KID, x: jwk.x, d: jwk.d };
  // Exactly the members the guard takes: a WebCrypto export also carries
  // key_ops, ext and alg, which createGuard refuses.
  const pub = { kty: 'OKP', crv: 'Ed25519', kid: KID, x: jwk.x };
  return { priv, pub };
}

export async function startServer({ port = 0, host = '127.0.0.1' } = {}) {
  let net = {};
  let web = {};
  let native = [];
  let version = 1;
  const bump = (table, key) => { table[key] = (table[key] ?? 0) + 1; };

  // The superapp backend's signing key and what it signs.
  const { priv, pub } = await keyPair();
  const packageSha256 = createHash('sha256').update(await readFile(PACKAGE_PATH)).digest('hex');
  const now = Math.floor(Date.now() / 1000);
  const bundles = new Map(); // version -> Promise<bundle>: one set of bytes per version
  const bundleFor = (v) => {
    if (!bundles.has(v)) bundles.set(v, signPolicyEdDsa(demoPolicy({ now, version: v, packageSha256 }), priv, webcrypto.subtle));
    return bundles.get(v);
  };

  // The native side's own guard: public key only, the same bundle the page loads.
  const nativeGuard = await createGuard({ keys: [pub] });
  const nativeLoads = [];
  const nativeLoad = async (v) => {
    const r = nativeGuard.load(await bundleFor(v));
    nativeLoads.push({ version: v, code: r.code, message: r.message });
    return r;
  };
  const first = await nativeLoad(version);
  if (first.code !== 'ok') throw new Error(`the native guard refused the demo bundle: ${first.code} ${first.message}`);

  let base; // http://host:port/, once listening
  /** Connects to https://<host>/<path> of "the internet" (this server's /net route); redirects are not followed. */
  const connect = (href, method, body) => {
    const u = new URL(href);
    return fetch(`${base}net/${u.host}${u.pathname}${u.search}`, { method, body, redirect: 'manual' });
  };

  /**
   * The base library's native network layer: the call the page's base
   * library handed over (already vetted by the bridge), checked again here
   * and its redirects followed hop by hop, each hop checked before connecting.
   */
  async function nativeCall(kind, { appId, url, method = 'GET', data }) {
    const [check, api] = NATIVE_KINDS[kind];
    const trace = { appId, kind, url, hops: [] };
    native.push(trace);
    const end = (out) => { trace.outcome = out; return out; };
    if (typeof appId !== 'string' || typeof url !== 'string') return end({ ok: false, errMsg: `${api}:fail bad native call`, errno: 1, code: null, hop: 0 });
    const d0 = nativeGuard[check](appId, url);
    if (!d0.allow) return end({ ok: false, errMsg: d0.message, errno: d0.errno, code: d0.code, hop: 0, hops: trace.hops });
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
      const d = nativeGuard.checkRedirect(appId, kind, href, location, hop);
      trace.hops.push({ hop, from: href, location, allow: d.allow, code: d.code, message: d.message, href: d.href });
      if (!d.allow) return end({ ok: false, errMsg: d.message, errno: d.errno, code: d.code, hop, hops: trace.hops });
      // Belt and braces: the guard answers hop 11 invalid_url; if it ever
      // did not, the native layer still never connects to an 11th hop.
      if (hop > MAX_HOPS) return end({ ok: false, errMsg: `${api}:fail too many redirects (the guard allowed hop ${hop})`, errno: 1, code: null, hop, hops: trace.hops });
      href = d.href;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && m === 'POST')) { m = 'GET'; body = undefined; }
    }
  }

  const server = createServer(async (req, res) => {
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
        return send(200, TYPES['.html'], await readFile(join(JS_ROOT, 'harness', 'index.html')));
      }
      if (path === '/bundle') {
        const asked = Number(url.searchParams.get('version'));
        if (Number.isSafeInteger(asked) && asked > 0 && asked !== version) { version = asked; await nativeLoad(version); }
        return send(200, 'application/jose', await bundleFor(version));
      }
      if (path === '/keys') return send(200, TYPES['.json'], JSON.stringify({ keys: [pub] }));
      if (path === '/stats') return send(200, TYPES['.json'], JSON.stringify(stats()));
      if (path === '/stats/reset' && req.method === 'POST') { reset(); return send(204, 'text/plain', ''); }
      const nat = /^\/native\/(request|upload|download)$/.exec(path);
      if (nat && req.method === 'POST') {
        let call;
        try { call = JSON.parse(await readBody()); } catch { return send(400, 'text/plain', 'bad json'); }
        return send(200, TYPES['.json'], JSON.stringify(await nativeCall(nat[1], call ?? {})));
      }
      const m = /^\/(net|web)\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        const p = m[3] ?? '/';
        const key = `${m[2]}${p}`;
        if (m[1] === 'net') {
          bump(net, key);
          await readBody();
          const location = internetRedirect(m[2], p);
          if (location !== undefined) return send(302, 'text/plain', `redirect to ${location}`, { location });
          return send(200, TYPES['.json'], JSON.stringify({ ok: true, host: m[2], path: p, method: req.method, n: net[key] }));
        }
        bump(web, key);
        return send(200, TYPES['.html'], `<!doctype html><body style="font:14px sans-serif;background:#e8f5e9;margin:8px">web-view page <b>https://${m[2]}${p}</b> loaded</body>`);
      }
      for (const [prefix, dir] of Object.entries(STATIC)) {
        if (!path.startsWith(prefix)) continue;
        const rel = normalize(decodeURIComponent(path.slice(prefix.length)));
        if (rel.startsWith('..') || rel.includes(`${sep}..`) || rel.startsWith(sep)) return send(403, 'text/plain', 'forbidden');
        const type = TYPES[extname(rel)];
        if (!type) return send(404, 'text/plain', 'not found');
        return send(200, type, await readFile(join(JS_ROOT, dir, rel)));
      }
      return send(404, 'text/plain', 'not found');
    } catch (e) {
      return send(e.code === 'ENOENT' ? 404 : 500, 'text/plain', e.code === 'ENOENT' ? 'not found' : 'error');
    }
  });

  /** Hits per host (host[:port]) of "the internet", summed over paths. */
  function hosts() {
    const out = {};
    for (const [k, n] of Object.entries(net)) { const h = k.slice(0, k.indexOf('/')); out[h] = (out[h] ?? 0) + n; }
    return out;
  }
  function stats() { return { net: { ...net }, web: { ...web }, hosts: hosts() }; }
  function reset() { net = {}; web = {}; native = []; }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  base = `http://${addr.address}:${addr.port}/`;
  return {
    url: base,
    publicKey: pub,
    packageSha256,
    stats,
    /** What the native layer did: one trace per call, with every hop's decision. */
    native: () => native.map((t) => structuredClone(t)),
    nativeLoads: () => nativeLoads.map((l) => ({ ...l })),
    reset,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8377;
  const s = await startServer({ port });
  console.log(`harness: open ${s.url} (loopback only; Ctrl-C to stop)`);
  const stop = async () => { await s.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
