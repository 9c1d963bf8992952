// The static server the browser tests of the bridge load it from: the
// bridge's sources (`src/`), the built wasm (`pkg/`), the tools' module
// with its glue (`pkg-tools/`) and the harness's scenarios (`harness/`)
// under js/, nothing else, on a loopback port of its
// own; `/` is an empty page titled `title`. No guard serve is needed.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const JS_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVED = ['src', 'pkg', 'pkg-tools', 'harness'];
const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/**
 * Starts the server; answers `{ server, base }` (`base` ends with `/`).
 * A path outside the served folders, or a file that is not there, is 404.
 */
export async function serveJs(title) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${title}</title>`); return; }
    const file = normalize(join(JS_ROOT, path));
    const ok = SERVED.some((d) => file.startsWith(join(JS_ROOT, d) + sep));
    try {
      if (!ok) throw new Error('not served');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}
