// What the sync tests share: a real `guard serve` (its own temp data
// directory, loopback, port 0) seeded with the demo superapp through its
// JSON API; an in-memory storage; a fetch that reaches whatever address the
// server has now (configuration files name `--public-url http://guard.test`,
// so the server can be killed and restarted on another port), and can be
// switched off to play a device without network.
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGuardServer } from '../harness/guard-server.mjs';
import { seedDemo, client, SUPERAPP, SHOP } from '../harness/seed.mjs';

export const PUBLIC = 'http://guard.test';
export const CONFIG_URL = `${PUBLIC}/api/v1/superapps/${SUPERAPP}/config.json`;
export { SUPERAPP, SHOP };

/** A storage the sync can be given: async get/set over a Map, counting writes. */
export function memoryStorage(map = new Map()) {
  const s = {
    map,
    writes: 0,
    async get(key) { return map.has(key) ? map.get(key) : null; },
    async set(key, value) { s.writes++; map.set(key, value); },
  };
  return s;
}

/** A started, seeded server: `{ server, dir, state, as(role), restart(), kill(), fetch, stop() }`. */
export async function demoServer({ args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'guard-sync-'));
  const dataDir = join(dir, 'data');
  const serverArgs = ['--public-url', PUBLIC, ...args];
  let server = await startGuardServer({ dataDir, args: serverArgs });
  const state = await seedDemo({ url: server.url, stateFile: join(dir, 'seed.json'), adminToken: server.token });
  let online = true;
  const requests = [];
  const requestWaiters = [];
  /** The device's fetch: guard.test → the server's address now. */
  const fetchFn = async (url, init) => {
    const seen = { url, method: init?.method ?? 'GET', headers: { ...(init?.headers ?? {}) } };
    requests.push(seen);
    for (const w of requestWaiters.splice(0)) if (!w(seen)) requestWaiters.push(w);
    if (!online) throw new TypeError('fetch failed: the device is offline');
    if (!url.startsWith(PUBLIC)) throw new TypeError(`fetch failed: no route to ${url}`);
    // config.json is a console download (superapp admin): this base library
    // fetches it with credentials of its own, as its backend would.
    if (url.endsWith('/config.json')) init = { ...init, headers: { ...init.headers, authorization: `Bearer ${state.tokens.boss}` } };
    return fetch(server.url + url.slice(PUBLIC.length), init);
  };
  const h = {
    dir,
    dataDir,
    state,
    requests,
    get server() { return server; },
    fetch: fetchFn,
    /** Resolves with the next request the device makes for which `pred` holds. */
    nextRequest(pred) {
      return new Promise((resolve) => { requestWaiters.push((q) => { if (!pred(q)) return false; resolve(q); return true; }); });
    },
    offline(v = true) { online = !v; },
    /** A JSON API client as one of the seeded accounts (`boss`, `reviewer`, `dev`, ...). */
    as(who) {
      const token = state.tokens[who];
      return (method, path, body) => client(server.url, token)(method, path, body);
    },
    async kill() { await server.kill(); },
    async stopServer() { await server.stop(); },
    async start() { server = await startGuardServer({ dataDir, args: serverArgs }); },
    /** A copy of the data directory as it is now (the server stopped first), to restore as a backup. */
    backup() { const to = join(dir, `backup-${Date.now()}`); cpSync(dataDir, to, { recursive: true }); return to; },
    restore(from) { rmSync(dataDir, { recursive: true, force: true }); cpSync(from, dataDir, { recursive: true }); },
    async close() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Resolves with the first status (after a round) or change event for which `pred` holds. */
export function until(synced, pred, what = 'the awaited state', on = 'onStatus') {
  return new Promise((resolve, reject) => {
    const now = synced.status();
    if (pred(now)) { resolve(now); return; }
    const timer = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(synced.status())}`)); }, 30000);
    const off = synced[on]((e) => {
      if (pred(e)) { clearTimeout(timer); off(); resolve(e); }
    });
  });
}
