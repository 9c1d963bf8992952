// The sync takeover of issue 20, replayed: runs in Node (js/test/takeover.test.mjs)
// and in a Chromium page (js/test-browser/takeover.test.mjs), against
// js/test/takeover-server.mjs. No Node-only API.
//
// The superapp has a root key (passed to the sync as `roots`, as native code
// would) and a signing key its key set names. Once the sync enforces the
// superapp's bundle, mini program code in the same realm plants a `then`
// getter on Object.prototype: every Response the realm's `fetch` resolves is
// then handed to it, and it answers the key set and bundle requests with its
// own: a key set naming its own Ed25519 key (signed by a key that is no
// root, under the root's kid), and a bundle signed by that key with every
// switch off and the largest version. Then a mini program that can write the
// sync's storage plants the same documents there.
//
// `replayTakeover` answers plain facts; the tests compare them with what
// must hold: the attack was seen (the realm really answered), and the guard
// kept the superapp's policy and floor, and storage holds only what the roots
// lead to.

const HUGE = 9007199254740991;

function publicOf(jwk) {
  return { kty: jwk.kty, crv: jwk.crv, kid: jwk.kid, x: jwk.x };
}

async function newKey(subtle, kid) {
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  return { kty: 'OKP', crv: 'Ed25519', kid, x: jwk.x, d: jwk.d };
}

function policy(version, now, open) {
  const control = open ? { server_domains: false, apis: false, webview_domains: false, media_domains: false }
    : { server_domains: true, apis: true, webview_domains: true, media_domains: true };
  return {
    schema: 3, superapp_id: 'demo', version, issued_at: now - 60, expires_at: now + 86400, mode: 'enforce',
    sensitive_apis: open ? [] : [{ name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' }],
    apps: [{
      app_id: 'mp_shop', kind: 'mini_program', control,
      server_domains: ['https://api.shop.example'],
      granted_apis: version >= 6 && !open ? ['getLocation'] : [],
    }],
  };
}

async function until(pred, what, seconds = 20) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Replays the takeover. `deps`: `{ sync, signKeysetEdDsa, signPolicyEdDsa,
 * origin, subtle? }`. Answers the facts observed.
 */
export async function replayTakeover({ sync, signKeysetEdDsa, signPolicyEdDsa, origin, subtle = globalThis.crypto.subtle }) {
  const now = Math.floor(Date.now() / 1000);
  const root = await newKey(subtle, 'root-1');
  const signer = await newKey(subtle, 'k1');
  // The attacker's keys, under the kids the superapp uses.
  const fakeRoot = await newKey(subtle, 'root-1');
  const fakeSigner = await newKey(subtle, 'k1');
  const keyset = (version, key) => ({ superapp_id: 'demo', version, issued_at: now - 60, expires_at: now + 86400, keys: [publicOf(key)] });
  const genuineKeyset = await signKeysetEdDsa(keyset(1, signer), root, subtle);
  const evilKeyset = await signKeysetEdDsa(keyset(HUGE, fakeSigner), fakeRoot, subtle);
  const evilBundle = await signPolicyEdDsa(policy(HUGE, now, true), fakeSigner, subtle);
  const publish = (docs) => fetch(`${origin}/admin/publish`, { method: 'POST', body: JSON.stringify(docs) });
  await publish({ keyset: genuineKeyset, bundle: await signPolicyEdDsa(policy(5, now, false), signer, subtle) });

  const map = new Map();
  const storage = { get: async (k) => map.get(k) ?? null, set: async (k, v) => { map.set(k, v); } };
  const options = {
    roots: [publicOf(root)], configUrl: `${origin}/api/v1/superapps/demo/config.json`, storage,
    intervalSeconds: 0.05, minRoundSeconds: 0.05, backoffSeconds: 0.02, maxBackoffSeconds: 0.1, reportIntervalSeconds: 3600,
  };
  const facts = {};
  const synced = await sync(options);
  const g = synced.guard;
  const view = (s) => ({
    version: s.status().version,
    evil: s.guard.checkRequest('mp_shop', 'https://evil.example/').code,
    getLocation: s.guard.checkApi('mp_shop', 'getLocation').code,
  });
  facts.before = view(synced);
  const storedBefore = map.get('miniprogram-guard/sync/state');
  const stateBefore = g.signedState();

  // The mini program's code: a `then` that sees every Response.
  const ResponseCtor = Response;
  let seen = 0;
  Object.defineProperty(Object.prototype, 'then', {
    configurable: true,
    get() {
      if (!(this instanceof ResponseCtor)) return undefined;
      const url = this.url;
      const body = url.endsWith('/keyset') ? evilKeyset : url.endsWith('/bundle') ? evilBundle : null;
      if (body === null) return undefined;
      seen++;
      return (resolve) => resolve({ status: 200, url, headers: { get: (n) => (n.toLowerCase() === 'etag' ? '"evil"' : null) }, text: () => Promise.resolve(body) });
    },
  });
  try {
    const rounds = synced.status().rounds;
    await until(() => seen >= 6 && synced.status().rounds >= rounds + 3, 'the planted then to answer three rounds');
    facts.seen = seen > 0;
    facts.refusal = synced.status().lastRefusal;
    facts.during = view(synced);
  } finally {
    delete Object.prototype.then;
  }
  facts.signedStateKept = g.signedState() === stateBefore;
  facts.storageKept = map.get('miniprogram-guard/sync/state') === storedBefore;

  // The superapp's next bundle still goes in: the floor was not raised.
  await publish({ bundle: await signPolicyEdDsa(policy(6, now, false), signer, subtle) });
  await until(() => synced.status().version === 6, 'version 6');
  facts.after = view(synced);
  await synced.stop();

  // Storage written by the mini program: its documents in the record, and
  // the highest version it can name. A restart, offline, refuses them.
  const record = JSON.parse(map.get('miniprogram-guard/sync/state'));
  const planted = JSON.stringify({ keyset: evilKeyset, bundle: evilBundle });
  map.set('miniprogram-guard/sync/state', JSON.stringify({ ...record, state: planted }));
  map.set('miniprogram-guard/sync/floor', planted);
  const offline = await sync({ ...options, fetch: () => Promise.reject(new TypeError('offline')) });
  facts.plantedRestart = { stored: offline.status().stored, evil: offline.guard.checkRequest('mp_shop', 'https://evil.example/').code };
  await offline.stop();
  // Online again: the superapp's documents, not the planted floor, decide.
  const online = await sync(options);
  await until(() => online.status().version === 6, 'version 6 after the planted restart');
  facts.plantedOnline = view(online);
  facts.repaired = !map.get('miniprogram-guard/sync/state').includes(evilBundle);
  await online.stop();
  return facts;
}

/** What the facts must be. */
export const EXPECTED = {
  before: { version: 5, evil: 'domain_not_whitelisted', getLocation: 'permission_not_granted' },
  seen: true,
  during: { version: 5, evil: 'domain_not_whitelisted', getLocation: 'permission_not_granted' },
  signedStateKept: true,
  storageKept: true,
  after: { version: 6, evil: 'domain_not_whitelisted', getLocation: null },
  plantedRestart: { evil: 'no_policy' },
  plantedOnline: { version: 6, evil: 'domain_not_whitelisted', getLocation: null },
  repaired: true,
};

/**
 * The sync's pacing (issue 21, "no minimum gap between rounds"): a server
 * (or a proxy) that answers every long-poll at once, ETag ignored, with the
 * same key set and bundle. Runs the sync with a 0.2 s gap until it made 6
 * rounds and answers plain facts: the rounds and the seconds they took,
 * storage writes before and after the first round, the loads announced
 * after it, and the last refusal.
 */
export async function replayPacing({ sync, signKeysetEdDsa, signPolicyEdDsa, origin, subtle = globalThis.crypto.subtle }) {
  const root = await newKey(subtle, 'root-1');
  const signer = await newKey(subtle, 'k1');
  const now = Math.floor(Date.now() / 1000);
  const keyset = await signKeysetEdDsa({ superapp_id: 'demo', version: 1, issued_at: now - 60, expires_at: now + 3600, keys: [publicOf(signer)] }, root, subtle);
  const bundle = await signPolicyEdDsa({ schema: 3, superapp_id: 'demo', version: 3, issued_at: now - 60, apps: [{ app_id: 'mp_shop', kind: 'mini_program' }] }, signer, subtle);
  const publish = (docs) => fetch(`${origin}/admin/publish`, { method: 'POST', body: JSON.stringify(docs) });
  await publish({ keyset, bundle, ignoreEtag: true });
  const writes = [];
  const map = new Map();
  const storage = { get: async (k) => map.get(k) ?? null, set: async (k, v) => { writes.push(k); map.set(k, v); } };
  const started = Date.now();
  const synced = await sync({ roots: [publicOf(root)], configUrl: `${origin}/api/v1/superapps/demo/config.json`, storage, minRoundSeconds: 0.2, reportIntervalSeconds: 3600 });
  try {
    const version = synced.status().version;
    const written = writes.length;
    const changes = [];
    synced.onChange((e) => changes.push(e));
    while (synced.status().rounds < 6) await new Promise((r) => setTimeout(r, 20));
    return {
      version,
      written,
      rounds: synced.status().rounds,
      elapsed: (Date.now() - started) / 1000,
      writtenAfter: writes.length,
      changes: changes.length,
      lastRefusal: synced.status().lastRefusal,
    };
  } finally {
    await synced.stop();
    await publish({ ignoreEtag: false });
  }
}

/** What `replayPacing`'s facts must show (asserted by the Node and the Chromium test alike). */
export function checkPacing(assert, facts) {
  assert.equal(facts.version, 3);
  assert.ok(facts.written >= 1, 'the first bundle was written');
  // An upper bound only (a slow machine makes fewer rounds, never more).
  assert.ok(facts.rounds <= Math.floor(facts.elapsed / 0.2) + 1, `${facts.rounds} rounds in ${facts.elapsed} s with a 0.2 s gap`);
  assert.equal(facts.writtenAfter, facts.written, 'the same documents again are not written');
  assert.equal(facts.changes, 0, 'nor loaded again (a load would announce a bundle)');
  assert.equal(facts.lastRefusal, null);
}
