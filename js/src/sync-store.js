// Where the sync keeps what it needs across restarts, in the injected
// storage: one record (`<prefix>state`), plus a second copy of what sets the
// floor under a key of its own (`<prefix>floor`), written after it, so a
// record lost to corruption still leaves the floor.
//
// What the record holds depends on the trust (./sync-trust.js): with roots,
// the guard's signed state (the key set and bundle as received, verified
// against the roots again at restore, so storage can neither lower nor raise
// a floor); for the test-only sync without roots, keys.json, the bundle and
// the floor as JSON. Nothing read back is trusted for more than guard-core
// makes of it.

import { pin, rec, own, parseJson, describe, stringify } from './sync-safe.js';

const { apply, ownKeys } = Reflect;
const { freeze } = Object;
const isArray = Array.isArray;

/**
 * The store over the options' `storage`: `{ read(), write(record, floor),
 * STATE_KEY, FLOOR_KEY }`. `format` is the record's format string, `fields`
 * the names of its string-or-null fields (besides `format`).
 */
export function createStore(settings, format, fields) {
  const { storage, storageGet, storageSet, prefix } = settings;
  const STATE_KEY = `${prefix}state`;
  const FLOOR_KEY = `${prefix}floor`;

  async function get(key) {
    try {
      const v = await pin(apply(storageGet, storage, [key]));
      return typeof v === 'string' ? v : null;
    } catch {
      return null;
    }
  }
  async function set(key, value) {
    try {
      await pin(apply(storageSet, storage, [key, value]));
      return null;
    } catch (e) {
      return describe(e);
    }
  }

  /** The stored record, checked: `{ record, refused, floor }`; `refused` says why a record was not usable. */
  async function read() {
    const text = await pin(get(STATE_KEY));
    const floor = await pin(get(FLOOR_KEY));
    const bad = (why) => rec({ __proto__: null, record: null, refused: why, floor });
    if (text === null) return bad(null);
    const r = parseJson(text);
    if (r === undefined || r === null || typeof r !== 'object' || isArray(r)) return bad('not a JSON object (truncated or tampered)');
    if (own(r, 'format') !== format) return bad('unknown format');
    const out = { __proto__: null };
    for (let i = 0; i < fields.length; i++) {
      const v = own(r, fields[i]);
      if (v !== null && typeof v !== 'string') return bad(`field \`${fields[i]}\` missing or of the wrong type`);
      out[fields[i]] = v;
    }
    return rec({ __proto__: null, record: freeze(out), refused: null, floor });
  }

  /** Writes `record` (its fields as given) and then `floor` when not null; answers the storage error or null. */
  async function write(record, floor) {
    const o = { __proto__: null, format };
    const ks = ownKeys(record);
    for (let i = 0; i < ks.length; i++) o[ks[i]] = record[ks[i]];
    let err = await pin(set(STATE_KEY, stringify(o)));
    if (err === null && floor !== null) err = await pin(set(FLOOR_KEY, floor));
    return err;
  }

  return freeze({ __proto__: null, read, write, STATE_KEY, FLOOR_KEY });
}
