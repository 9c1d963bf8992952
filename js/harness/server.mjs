#!/usr/bin/env node
// The harness's local server, loopback only. It plays three parts:
//  - serves the harness page, the bridge (js/src) and the wasm (js/pkg);
//  - the superapp backend: GET /bundle answers the demo policy, signed;
//  - "the internet": /net/<host>/<path> stands for https://<host>/<path>
//    (the simulated base library routes wx.request there) and /web/<host>/<path>
//    for a web-view page. It counts every such request it receives, so tests
//    can prove a denied call never left the page: GET /stats.
//
//   node js/harness/server.mjs [--port N]     (default 8377; 0 = any free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize, sep, extname } from 'node:path';
import { signPolicy } from '../bin/guard-vectors.mjs';
import { DEMO_SECRET, demoPolicy } from './policy.mjs';

const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = { '/harness/': 'harness', '/src/': 'src', '/pkg/': 'pkg' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.ts': 'text/plain' };

export async function startServer({ port = 0, host = '127.0.0.1' } = {}) {
  let net = {};
  let web = {};
  let version = 1;
  const bump = (table, key) => { table[key] = (table[key] ?? 0) + 1; };

  const server = createServer(async (req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      const url = new URL(req.url, 'http://harness.invalid');
      const path = url.pathname;
      if (path === '/' || path === '/index.html') {
        return send(200, TYPES['.html'], await readFile(join(JS_ROOT, 'harness', 'index.html')));
      }
      if (path === '/bundle') {
        if (url.searchParams.get('version')) version = Number(url.searchParams.get('version')) || version;
        return send(200, 'text/plain', signPolicy(demoPolicy(undefined, version), DEMO_SECRET));
      }
      if (path === '/stats') return send(200, TYPES['.json'], JSON.stringify({ net, web }));
      if (path === '/stats/reset' && req.method === 'POST') { net = {}; web = {}; return send(204, 'text/plain', ''); }
      const m = /^\/(net|web)\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        const key = `${m[2]}${m[3] ?? '/'}`;
        if (m[1] === 'net') {
          bump(net, key);
          for await (const _ of req) { /* drain the body */ }
          return send(200, TYPES['.json'], JSON.stringify({ ok: true, host: m[2], path: m[3] ?? '/', method: req.method, n: net[key] }));
        }
        bump(web, key);
        return send(200, TYPES['.html'], `<!doctype html><body style="font:14px sans-serif;background:#e8f5e9;margin:8px">web-view page <b>https://${m[2]}${m[3] ?? '/'}</b> loaded</body>`);
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
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  return {
    url: `http://${addr.address}:${addr.port}/`,
    stats: () => ({ net: { ...net }, web: { ...web } }),
    reset: () => { net = {}; web = {}; },
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
