// The guard's JS-side record of what it decided for wrapped calls, web-views
// and component attributes: the violation listeners (onViolation) and the
// counters. (The report log the sync sends is guard-core's, kept in the wasm
// instance at every check: guard.takeReports.)

import { apply, freeze, create, ownKeys, own, shaped, TypeErrorCtor } from './safe.js';

/**
 * A per-guard record over `tables` (./verdicts.js): `{ count, onViolation,
 * counters, countAllowed }`.
 */
export function createViolations(tables) {
  const { REPORT, codeOf } = tables;
  // Listeners: a null-prototype table written by key, never Array.prototype.push.
  const listeners = create(null);
  let listenerSeq = 0;
  const counters = shaped({ checks: 0, allowed: 0, denied: 0, reported: 0, byCode: create(null) });

  /** Counts verdict `v` of `api` for `appId` and tells the listeners of a denial or report. */
  function count(v, appId, api, url) {
    counters.checks++;
    if (v === 0) { counters.allowed++; return; }
    const reported = (v & REPORT) !== 0;
    if (reported) counters.reported++; else counters.denied++;
    const code = codeOf(v);
    counters.byCode[code] = (counters.byCode[code] ?? 0) + 1;
    if (listenerSeq === 0) return;
    const event = freeze({ appId, api, code, url, reported });
    const args = [event];
    for (let i = 0; i < listenerSeq; i++) {
      const l = listeners[i];
      if (l === undefined) continue;
      try { apply(l, undefined, args); } catch { /* a listener cannot change a decision */ }
    }
  }

  /** The hot path's count of an allowed API call. */
  function countAllowed() {
    counters.checks++;
    counters.allowed++;
  }

  function onViolation(listener) {
    if (typeof listener !== 'function') throw new TypeErrorCtor('listener must be a function');
    const id = listenerSeq++;
    listeners[id] = listener;
    return freeze(() => { delete listeners[id]; });
  }

  function snapshot() {
    const byCode = {};
    const keys = ownKeys(counters.byCode);
    for (let i = 0; i < keys.length; i++) own(byCode, keys[i], counters.byCode[keys[i]]);
    return freeze({ checks: counters.checks, allowed: counters.allowed, denied: counters.denied, reported: counters.reported, byCode: freeze(byCode) });
  }

  return freeze(shaped({ count, countAllowed, onViolation, counters: snapshot }));
}
