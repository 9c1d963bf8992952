// The API verdict of a wrapped call: the check of an API for an app at the
// call's clock, by ids into the wasm, and the memo of decision 644 that
// lets an allow the wasm gave be reused for the span guard-core stated for
// it (./wrap.js asks, once per call).

import { hasOwn, shaped } from './safe.js';

/**
 * `verdictFor(appId, name)` over a guard's driver: answers the check of
 * `name` for `appId`, `(t) => ({ v, id })`, one per wrapped API. `core` the
 * driver (./raw.js or ./native.js), `checks` its `{ apiIdOf, appHandleOf,
 * generation }`, `tables` its `{ verdictOf }`.
 */
export function createApiVerdicts(core, checks, tables) {
  const { verdictOf } = tables;
  const { apiIdOf, appHandleOf, generation } = checks;
  // The memo's reads (decision 644): a wasm driver's only (a native back
  // end has no memory to share), looked up as an own property.
  const memo = hasOwn(core, 'memo') ? core.memo : undefined;
  const memoEpoch = memo === undefined ? undefined : memo.epoch;
  const memoFrom = memo === undefined ? undefined : memo.from;
  const memoUntil = memo === undefined ? undefined : memo.until;
  const memoCheck = memo === undefined ? undefined : memo.check;

  // The API check of `name` for `appId` at `t` (the call's one clock
  // reading, which costs more than the check itself): ids resolved once per guard
  // generation (a re-key makes a new guard with new tables), integers into
  // wasm. Answers `{ v, id }`.
  //
  // The memo (decision 644): an allow without code the wasm gave is reused
  // while the clock is inside the span guard-core stated for it
  // (`[from, until)`, the policy's window today), the wasm's state epoch is
  // the one read right after that check, and the guard generation is the
  // same; anything else crosses into the wasm as before (a denial or a
  // report-mode pass always does: it is reported there). The four values
  // live in this closure only, so no code of the realm's can read or set
  // them; the epoch is read from the module's memory, not asked of it.
  return function verdictFor(appId, name) {
    let g = -1;
    let id;
    let handle;
    let from = 0;
    let until = 0;
    let epoch = -1;
    let memoGen = -1;
    const out = shaped({ v: 0, id: undefined });
    // The crossing, a function of its own so that the reuse stays small
    // enough for the engine to inline into every wrapped call.
    const cross = (t) => {
      const gen = generation();
      until = 0;
      if (g !== gen) { id = apiIdOf(name); handle = appHandleOf(appId); g = gen; }
      let v;
      if (handle === undefined || id === undefined) v = verdictOf(core.checkApiName(appId, name, t));
      else if (memoCheck === undefined) v = verdictOf(core.checkApi(handle, id, t));
      else {
        v = verdictOf(memoCheck(handle, id, t));
        if (v === 0) {
          from = memoFrom();
          until = memoUntil();
          epoch = memoEpoch();
          memoGen = gen;
        }
      }
      out.v = v;
      out.id = id;
      return out;
    };
    return (t) => {
      if (t >= from && t < until && generation() === memoGen && memoEpoch() === epoch) {
        out.v = 0;
        out.id = id;
        return out;
      }
      return cross(t);
    };
  }
}
