// `sync`: a guard kept in step with the superapp's server (`guard serve`),
// for base libraries that fetch from JS. The same guarantees as the Rust SDK
// (docs/js-bridge.md, "Sync"):
//  - contract v3: the guard is created with the superapp's root public keys
//    the host passes in (`roots`); key sets (`GET <base>/api/v1/superapps/
//    {sid}/keyset`, a JWS) and bundles count only when the roots lead to
//    them, whoever answers the fetch; a sync without roots is refused, but
//    for the one test-only escape hatch (./sync-config.js
//    TEST_ONLY_NO_ROOTS);
//  - the key set and bundle with If-None-Match, the long-poll of P1, a
//    minimum gap between rounds, backoff with full jitter, Retry-After
//    (./sync-loop.js); a document the guard already holds is neither
//    reloaded nor written again;
//  - persisted in the injected storage as the guard's signed state
//    (./sync-store.js, ./sync-trust.js): restored before anything loads
//    after a restart, verified against the roots again, so storage can
//    neither lower nor raise a floor;
//  - while the server is down the last good bundle stays enforced, until it
//    expires (then `no_policy`, guard-core's rule);
//  - violation reports sent every 60 s and on `background()`
//    (./sync-reports.js).
//
// Containment (docs/threat-model.md): every built-in used after start-up is
// captured when these modules are evaluated (./sync-safe.js,
// ./sync-http.js); the injected `fetch` and `storage` functions when `sync`
// is called. Nothing handed out (the controller, its status, events) leads
// to the sync's state, and all of it is frozen. What a hostile realm can
// still do is make the base library's fetch fail, hang, or answer with
// documents of its own: the guard refuses those it cannot verify and keeps
// the last good bundle until it expires, exactly as when the server is down.

import { HAS_WASM } from './raw.js';
import { readOptions, checkConfig, noConfig, TEST_ONLY_NO_ROOTS } from './sync-config.js';
import { createHttp } from './sync-http.js';
import { createStore } from './sync-store.js';
import { rootedTrust, keysJsonTrust, ROOTED_RECORD, KEYS_JSON_RECORD } from './sync-trust.js';
import { createLoop } from './sync-loop.js';
import { createReports } from './sync-reports.js';
import {
  pin, deferred, resolved, own, parseJson, stringify, systemSeconds, floorOf, createSleeper, msNow, TypeErrorCtor, ErrorCtor,
} from './sync-safe.js';

const { apply } = Reflect;
const { freeze, create } = Object;

export { TEST_ONLY_NO_ROOTS };

/**
 * Starts syncing: creates the guard (from the stored signed state when there
 * is one: an offline start), then keeps it in step with the server.
 * Resolves once the guard enforces what storage held, or (nothing usable
 * stored) once the first round with the server ended either way: from then
 * on `controller.guard` is the guard to wrap with. Rejects (TypeError) on
 * bad options (a missing `roots` included), or when neither the
 * configuration can be fetched nor one is stored.
 *
 * A module function, not a guard method: the sync owns what a guard is
 * created with and what it loads, in order; docs/decisions.md 140.
 *
 * @param {object} options see index.d.ts `SyncOptions`
 */
export async function sync(options) {
  if (!HAS_WASM) throw new ErrorCtor('this JS engine has no WebAssembly: sync keeps a wasm guard; with a native back end (createGuard({ native })) the native side syncs');
  const settings = readOptions(options);
  const st = sharedState(settings);
  const rooted = settings.trust.roots !== null;
  const layout = rooted ? ROOTED_RECORD : KEYS_JSON_RECORD;
  const store = createStore(settings, layout.format, layout.fields);
  const stored = await pin(store.read());
  if (stored.refused !== null) st.storedOutcome = `refused: ${stored.refused}`;
  await pin(configure(st, stored.record));
  const record = sameScope(st, stored.record);
  const usable = freeze({ __proto__: null, record, floor: stored.floor });
  const trust = rooted ? await pin(rootedTrust(st)) : await pin(keysJsonTrust(st, usable));
  st.guard = trust.guard;
  st.keysText = trust.keysText;
  st.keysEtag = trust.keysEtag;
  const bootLoaded = trust.boot(usable);

  async function persist() {
    const saved = trust.saved();
    if (saved === null) { st.dirty = false; return; }
    const err = await pin(store.write(saved.record, saved.floor));
    st.storageError = err;
    st.dirty = err !== null;
  }
  const loop = createLoop(st, trust, persist);
  const reports = createReports(st);
  const reportSleeper = createSleeper();
  const controller = controllerOf(st, loop, reports, reportSleeper);

  if (bootLoaded) {
    st.loopDone = pin(loop.run(false));
  } else {
    // Nothing usable stored: the first round decides what the guard starts with.
    const startedMs = msNow();
    const first = await pin(loop.round(false));
    if (st.dirty) await pin(persist());
    st.loopDone = pin(loop.afterFirst(first, startedMs));
  }
  pin(reports.run(reportSleeper.sleep));
  return controller;
}

/** The state every part of one sync shares (null-prototype; never handed out). */
function sharedState(settings) {
  const { http, cut } = createHttp(settings.fetchFn);
  const st = {
    __proto__: null,
    settings, http, cut,
    config: null, configText: null, guard: null, keysText: null, keysEtag: null,
    bundleText: null, bundleEtag: null, seenEtag: null, savedState: null, dirty: false, stopped: false,
    failures: 0, longPoll: false, lastSuccess: null, lastError: null, lastRefusal: null,
    storedOutcome: 'none', storageError: null, rounds: 0,
    reportsSent: 0, reportsDropped: 0, reportsRetryAt: 0, loopDone: null,
    listeners: create(null), statusListeners: create(null), listenerSeq: 0,
  };
  st.clock = () => {
    const t = settings.nowFn === undefined ? systemSeconds() : apply(settings.nowFn, undefined, []);
    if (typeof t !== 'number' || !(t >= 0)) throw new TypeErrorCtor('`now` must answer unix seconds');
    return floorOf(t);
  };
  const call = (table, event) => {
    const args = [event];
    for (let i = 0; i < st.listenerSeq; i++) {
      const l = table[i];
      if (l === undefined) continue;
      try { apply(l, undefined, args); } catch { /* a listener cannot change what is enforced */ }
    }
  };
  st.emit = (reason) => call(st.listeners, freeze({ reason, version: version(st), etag: st.bundleEtag }));
  st.emitStatus = () => call(st.statusListeners, status(st));
  return st;
}

/** The configuration: given, fetched, or (offline) the stored copy. */
async function configure(st, record) {
  const s = st.settings;
  if (s.config !== undefined) {
    st.config = checkConfig(s.config, s.app, s.keysetUrl);
    st.configText = stringify(s.config);
    return;
  }
  const r = await pin(st.http('GET', s.configUrl, create(null), undefined, s.requestTimeoutSeconds, false));
  let text = r.ok && r.status === 200 ? r.text : null;
  if (text === null && record !== null && record.config !== null) text = record.config;
  if (text === null) throw noConfig(s.configUrl, r.ok ? `status ${r.status}` : r.error);
  st.config = checkConfig(parseJson(text) ?? null, s.app, s.keysetUrl);
  st.configText = text;
}

/** The stored record when it is this superapp's and scope's, else null (and why). */
function sameScope(st, record) {
  if (record === null) return null;
  if (record.superapp_id === st.config.superappId && record.scope === st.config.bundleUrl) return record;
  st.storedOutcome = `refused: stored for another superapp or scope (${record.superapp_id} ${record.scope})`;
  return null;
}

/** The version in force: the floor's, when a bundle is loaded. */
function version(st) {
  if (st.guard === null || st.bundleText === null) return null;
  const v = own(parseJson(st.guard.floor() ?? 'null'), 'version');
  return typeof v === 'number' ? v : null;
}

function status(st) {
  return freeze({
    superappId: st.config.superappId,
    version: version(st),
    etag: st.bundleEtag,
    keysEtag: st.keysEtag === null ? null : st.keysEtag(),
    stored: st.storedOutcome,
    online: st.failures === 0 && st.lastSuccess !== null,
    longPoll: st.longPoll,
    failures: st.failures,
    rounds: st.rounds,
    lastSuccess: st.lastSuccess,
    lastError: st.lastError,
    lastRefusal: st.lastRefusal,
    storageError: st.storageError,
    reports: freeze({ sent: st.reportsSent, refused: st.reportsDropped, retryAt: st.reportsRetryAt > 0 ? st.reportsRetryAt : null }),
    stopped: st.stopped,
  });
}

/** What the host holds: a frozen controller whose methods lead nowhere near `st`. */
function controllerOf(st, loop, reports, reportSleeper) {
  const listen = (table) => (listener) => {
    if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
    const id = st.listenerSeq++;
    table[id] = listener;
    return freeze(() => { delete table[id]; });
  };
  return freeze({
    /** The synced guard: wrap mini programs' `wx` with it. */
    guard: st.guard,
    /** A frozen snapshot of the sync's state. */
    status: () => status(st),
    /** The bundle and key set in force (public, signed data), e.g. for a native side. */
    current() {
      return freeze({ bundle: st.bundleText, etag: st.bundleEtag, keys: st.keysText === null ? null : st.keysText() });
    },
    /** Runs a round now (cutting a long-poll short); resolves with the status after it. */
    refresh() {
      if (st.stopped) return resolved(status(st));
      const d = deferred();
      loop.refresh(() => d.resolve(status(st)));
      return d.promise;
    },
    /** The app went to the background: sends the reports now. Resolves with what happened (`sent`, `empty`, `requeued`, `refused`, `retry_later`, `busy`). */
    background() {
      return pin(reports.send());
    },
    /** Calls `listener({ reason: 'bundle' | 'keys', version, etag })` after a new bundle or key set is in force; answers an unsubscribe function. */
    onChange: listen(st.listeners),
    /** Calls `listener(status)` after every round with the server; answers an unsubscribe function. */
    onStatus: listen(st.statusListeners),
    /** Stops syncing and sending (what is in force stays in force); resolves once the loop ended. */
    stop() {
      st.stopped = true;
      st.cut('stop');
      loop.wake();
      reportSleeper.wake();
      return st.loopDone;
    },
  });
}
