// A loopback stand-in for `guard serve`'s v3 endpoints, for the sync
// takeover replay (js/test/takeover.test.mjs, js/test-browser/takeover.test.mjs):
// the configuration file, the key set (`application/jose`, ETag and
// If-None-Match → 304) and the bundle of superapp `demo`, whatever was last
// published with `POST /admin/publish {keyset?, bundle?, ignoreEtag?}`; and, for the
// browser page, the bridge (/src/, /pkg/) and the signing module's one
// dependency. Every request is counted by path.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';

const JS_ROOT = resolve(new URL('..', import.meta.url).pathname);
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const STATIC = {
  src: join(JS_ROOT, 'src'),
  pkg: join(JS_ROOT, 'pkg'),
  test: join(JS_ROOT, 'test'),
  'node_modules/@noble/hashes': join(JS_ROOT, 'node_modules', '@noble', 'hashes'),
};
const PAGE = '<!doctype html><title>takeover</title><script type="importmap">{"imports":{"@noble/hashes/":"/node_modules/@noble/hashes/"}}</script><body>takeover</body>';

/** Starts the server: `{ origin, published, hits, close() }`. */
export async function startTakeoverServer() {
  // `ignoreEtag`: a server (or proxy) that answers every request at once
  // with the whole document, If-None-Match or not.
  const published = { keyset: null, bundle: null, ignoreEtag: false };
  const hits = {};
  const base = '/api/v1/superapps/demo';
  let origin;
  const etag = (text) => `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;
  const serveDoc = (req, res, text, type) => {
    if (text === null) { res.writeHead(404); res.end(); return; }
    const tag = etag(text);
    if (!published.ignoreEtag && req.headers['if-none-match'] === tag) { res.writeHead(304, { etag: tag }); res.end(); return; }
    res.writeHead(200, { 'content-type': type, etag: tag, 'cache-control': 'no-store' });
    res.end(text);
  };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    if (req.method === 'POST' && path === '/admin/publish') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const p = JSON.parse(body);
      if (p.keyset !== undefined) published.keyset = p.keyset;
      if (p.bundle !== undefined) published.bundle = p.bundle;
      if (p.ignoreEtag !== undefined) published.ignoreEtag = p.ignoreEtag === true;
      res.writeHead(204, { 'access-control-allow-origin': '*' });
      res.end();
      return;
    }
    if (path === `${base}/config.json`) {
      const config = {
        format: 'guard-superapp-config/1', superapp_id: 'demo', server_url: origin,
        bundle_url: `${origin}${base}/bundle`, keyset_url: `${origin}${base}/keyset`, long_poll_seconds: 0,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(config));
      return;
    }
    if (path === `${base}/keyset`) return serveDoc(req, res, published.keyset, 'application/jose');
    if (path === `${base}/bundle`) return serveDoc(req, res, published.bundle, 'application/jose');
    if (req.method === 'POST' && path === `${base}/reports`) { res.writeHead(202); res.end(); return; }
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(PAGE); return; }
    const prefix = Object.keys(STATIC).find((k) => path.startsWith(`/${k}/`));
    const type = TYPES[extname(path)];
    if (prefix === undefined || type === undefined) { res.writeHead(404); res.end(); return; }
    const file = resolve(STATIC[prefix], `.${path.slice(prefix.length + 1)}`);
    if (!file.startsWith(STATIC[prefix] + sep)) { res.writeHead(403); res.end(); return; }
    try {
      const bytes = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(bytes);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    published,
    hits,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}
