// Where the synced guard's keys come from, and what of them is persisted.
//
// - rootedTrust (contract v3 §2.1, the only trust a sync takes by default):
//   the guard is created with the root public keys the host passes in (from
//   native code, never from the network or storage); key sets come from the
//   key-set URL and are loaded only when a root signed them, bundles only
//   when a key of the key set in force signed them. Storage keeps the
//   guard's signed state, which restoreState verifies against the roots
//   again: so neither the transport nor mini program code answering the
//   realm's fetch (a planted `Object.prototype.then`), nor anything written
//   into storage, can re-key the guard, lower or raise its floors.
// - keysJsonTrust (test-only, TEST_ONLY_NO_ROOTS): keys.json as served,
//   re-keying the guard in place; for tests against a server that serves no
//   key sets. It trusts the transport.
//
// Each answers `{ guard, boot(stored), syncKeys(fresh), saved(), keysText(), keysEtag() }`
// over the sync's shared state `st` (./sync.js).

import { createGuard, createKeyedGuard } from './guard.js';
import { pin, rec, own, parseJson, describe, TypeErrorCtor } from './sync-safe.js';

const { create, freeze } = Object;

/** The stored record of each trust: its format and fields (./sync-store.js). */
export const ROOTED_RECORD = freeze({ __proto__: null, format: 'guard-sync/2', fields: freeze(['superapp_id', 'scope', 'config', 'state']) });
export const KEYS_JSON_RECORD = freeze({ __proto__: null, format: 'guard-sync/1', fields: freeze(['superapp_id', 'scope', 'config', 'keys', 'keys_etag', 'bundle', 'etag', 'floor']) });

const unchanged = rec({ __proto__: null, reached: true, changed: false });
const changedRound = rec({ __proto__: null, reached: true, changed: true });
const missed = (r) => rec({ __proto__: null, reached: false, error: r.error, interrupted: r.interrupted });
const refusedStatus = (what, r) => rec({ __proto__: null, reached: false, error: `${what} answered ${r.status}`, status: r.status, retryAfter: r.retryAfter });

/**
 * GET `url` for a key document: the round's answer when the request did not
 * bring a new document, else `{ text, etag }`.
 */
async function fetchDoc(st, url, etag, what) {
  const headers = create(null);
  if (etag !== null) headers['if-none-match'] = etag;
  const r = await pin(st.http('GET', url, headers, undefined, st.settings.requestTimeoutSeconds, true));
  if (!r.ok) return rec({ __proto__: null, done: missed(r) });
  if (r.status === 304) return rec({ __proto__: null, done: unchanged });
  if (r.status !== 200) return rec({ __proto__: null, done: refusedStatus(what, r) });
  return rec({ __proto__: null, done: null, text: r.text, etag: r.etag });
}

/** The record fields every trust persists besides its own. */
const base = (st) => ({ __proto__: null, superapp_id: st.config.superappId, scope: st.config.bundleUrl, config: st.configText });

/** Contract v3: roots from the host, key sets verified against them, the signed state persisted. */
export async function rootedTrust(st) {
  const { roots } = st.settings.trust;
  const guard = await pin(createGuard({ roots, superappId: st.config.superappId, localPrefixes: st.settings.localPrefixes, wasm: st.settings.wasm }));
  let keysetText = null;
  // In memory only: a stored ETag could make the server answer 304 to a
  // device that lacks the key set (decisions.md 321).
  let keysetEtag = null;

  /** Puts back what `state` (signed state JSON) holds, if the roots still lead to it. */
  function adopt(state) {
    const r = guard.restoreState(state, { now: st.clock() });
    if (r.code !== 'ok') return `${r.code} ${r.message}`;
    const s = parseJson(state);
    const k = own(s, 'keyset');
    const b = own(s, 'bundle');
    keysetText = typeof k === 'string' ? k : null;
    st.bundleText = typeof b === 'string' ? b : null;
    st.savedState = state;
    return null;
  }

  return freeze({
    __proto__: null,
    guard,
    /** Restores the stored signed state (the record's, else the floor key's copy); answers whether a bundle is in force. */
    boot(stored) {
      const candidates = [stored.record === null ? null : stored.record.state, stored.floor];
      let why = null;
      for (let i = 0; i < candidates.length; i++) {
        if (candidates[i] === null || candidates[i] === undefined) continue;
        const refused = adopt(candidates[i]);
        if (refused === null) {
          st.storedOutcome = st.bundleText === null ? 'none' : 'loaded';
          return st.bundleText !== null;
        }
        why = why ?? refused;
      }
      if (why !== null) st.storedOutcome = `refused: stored signed state: ${why}`;
      return false;
    },
    /** The key set: loaded when a root signed it and it is not the one in force. */
    async syncKeys(fresh) {
      const got = await pin(fetchDoc(st, st.config.keysetUrl, fresh || keysetText === null ? null : keysetEtag, 'the key set'));
      if (got.done !== null) return got.done;
      // Already in force: nothing to load or write.
      if (got.text === keysetText) { keysetEtag = got.etag; return unchanged; }
      const out = guard.loadKeys(got.text, { now: st.clock() });
      if (out.code !== 'ok') {
        st.lastRefusal = `key set refused: ${out.code} ${out.message}`;
        return unchanged;
      }
      keysetText = got.text;
      keysetEtag = got.etag;
      st.dirty = true;
      st.emit('keys');
      return changedRound;
    },
    /** What to persist: `{ record, floor }`, or null when storage already holds it. */
    saved() {
      const state = guard.signedState();
      if (state === null || state === st.savedState) return null;
      st.savedState = state;
      const record = base(st);
      record.state = state;
      return rec({ __proto__: null, record, floor: state });
    },
    keysText: () => keysetText,
    keysEtag: () => keysetEtag,
  });
}

/** Test-only: keys.json as the server (or whoever answers the fetch) serves it. */
export async function keysJsonTrust(st, stored) {
  if (st.config.keysUrl === undefined) throw new TypeErrorCtor('the configuration has no `keys_url`, which a sync without roots needs');
  let record = stored.record;
  let made;
  try {
    made = await pin(createKeyedGuard(record === null ? null : record.keys, { wasm: st.settings.wasm }));
  } catch (e) {
    if (record === null || record.keys === null) throw e;
    st.storedOutcome = `refused: stored key set: ${describe(e)}`;
    made = await pin(createKeyedGuard(null, { wasm: st.settings.wasm }));
    record = null;
  }
  const { guard, rekey } = made;
  let keysText = record === null ? null : record.keys;
  let keysEtag = record === null ? null : record.keys_etag;
  // The floors before anything loads (P3): the record's and the floor key's,
  // each only raising it. With no key set yet there is no guard to hold
  // them: they wait for the first one.
  let pending = [record === null ? null : record.floor, stored.floor];
  const restoreFloors = () => {
    const floors = pending;
    pending = null;
    if (floors === null) return;
    for (let i = 0; i < floors.length; i++) {
      if (floors[i] === null) continue;
      try { guard.restoreFloor(floors[i]); } catch (e) { st.storedOutcome = `floor refused: ${describe(e)}`; }
    }
  };
  if (keysText !== null) restoreFloors();

  return freeze({
    __proto__: null,
    guard,
    boot() {
      if (record === null || record.bundle === null || keysText === null) return false;
      const r = guard.load(record.bundle, { now: st.clock() });
      if (r.code !== 'ok') { st.storedOutcome = `refused: stored bundle: ${r.code} ${r.message}`; return false; }
      st.bundleText = record.bundle;
      st.bundleEtag = record.etag;
      st.seenEtag = record.etag;
      st.storedOutcome = 'loaded';
      return true;
    },
    async syncKeys(fresh) {
      const got = await pin(fetchDoc(st, st.config.keysUrl, fresh || keysText === null ? null : keysEtag, 'keys.json'));
      if (got.done !== null) return got.done;
      if (got.text === keysText) { keysEtag = got.etag; return unchanged; }
      const out = rekey(got.text, { now: st.clock() });
      if (!out.ok) { st.lastRefusal = `keys.json refused: ${out.message}`; return unchanged; }
      keysText = got.text;
      keysEtag = got.etag;
      restoreFloors();
      // The bundle in force did not verify under the new set: no longer enforced.
      if (out.load !== null && out.load !== 'ok') { st.bundleText = null; st.bundleEtag = null; st.seenEtag = null; }
      st.dirty = true;
      st.emit('keys');
      return changedRound;
    },
    saved() {
      const floor = guard.floor();
      const r = base(st);
      r.keys = keysText;
      r.keys_etag = keysEtag;
      r.bundle = st.bundleText;
      r.etag = st.bundleEtag;
      r.floor = floor;
      return rec({ __proto__: null, record: r, floor });
    },
    keysText: () => keysText,
    keysEtag: () => keysEtag,
  });
}
