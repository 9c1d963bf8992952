// The sync's rounds with the server and their pacing: each round asks for
// the key set, then the bundle (held by the server when it applies the
// long-poll of docs/protocols.md P1, `Prefer: wait=N`); between rounds at least
// the minimum gap (the Rust SDK's `min_round_interval`), the jittered
// interval when the server does not hold requests, or exponential backoff
// with full jitter after a failure (`Retry-After` honoured). A bundle or key
// set the guard already holds is neither loaded nor written again.

import { pin, rec, random, retryAfterSeconds, msNow, createSleeper } from './sync-safe.js';
import { DEFAULT_LONG_POLL } from './sync-config.js';

const { create } = Object;

/**
 * The loop over the sync's shared state `st` and its `trust`
 * (./sync-trust.js); `persist()` writes what changed. Answers `{ round,
 * run, afterFirst, wake, refresh }`.
 */
export function createLoop(st, trust, persist) {
  const s = st.settings;

  function succeeded(next) {
    st.failures = 0;
    st.lastSuccess = st.clock();
    st.lastError = null;
    return rec({ __proto__: null, next });
  }
  function failed(error, retryAfter, status) {
    st.failures++;
    st.lastError = error;
    const ra = status === 429 || status === 503 ? retryAfterSeconds(retryAfter, st.clock()) : undefined;
    return rec({ __proto__: null, next: 'backoff', retryAfter: ra });
  }

  /** A bundle the server sent: loaded unless it is the one in force. */
  async function take(r) {
    st.seenEtag = r.etag;
    if (r.text === st.bundleText) { st.bundleEtag = r.etag; return; }
    const t = st.clock();
    let loaded = st.guard.load(r.text, { now: t });
    if (loaded.code === 'unknown_key') {
      // P6: a bundle signed by a key we do not know yet: the keys again.
      const again = await pin(trust.syncKeys(true));
      if (again.changed) loaded = st.guard.load(r.text, { now: t });
    }
    if (loaded.code !== 'ok') {
      // Kept: what is in force. The server's ETag goes into If-None-Match,
      // so the next round waits for a change instead of refetching this.
      st.lastRefusal = `bundle ${r.etag ?? ''} refused: ${loaded.code} ${loaded.message}`;
      return;
    }
    st.lastRefusal = null;
    st.bundleText = r.text;
    st.bundleEtag = r.etag;
    await pin(persist());
    st.emit('bundle');
  }

  /**
   * One round: the keys, then the bundle (held by the server when `wait`).
   * Answers what the loop does next: `{ next: 'now' | 'interval' | 'backoff', retryAfter }`.
   */
  async function round(wait) {
    st.rounds++;
    const k = await pin(trust.syncKeys(false));
    if (k.interrupted) return rec({ __proto__: null, next: 'now' });
    if (!k.reached) return failed(k.error, k.retryAfter, k.status);
    // The server answered: online, even while the bundle request is held.
    if (st.failures !== 0 || st.lastSuccess === null) {
      succeeded('now');
      st.emitStatus();
    }
    const headers = create(null);
    const inm = st.seenEtag;
    if (inm !== null) headers['if-none-match'] = inm;
    const lp = s.longPollOverride ?? st.config.longPollSeconds ?? DEFAULT_LONG_POLL;
    const held = wait && inm !== null && lp > 0;
    if (held) headers.prefer = `wait=${lp}`;
    const r = await pin(st.http('GET', st.config.bundleUrl, headers, undefined, s.requestTimeoutSeconds + (held ? lp : 0), true));
    if (!r.ok) return r.interrupted ? rec({ __proto__: null, next: 'now' }) : failed(r.error);
    // A change that ended a held request says so too (P1).
    st.longPoll = held && r.applied !== null;
    if (r.status === 304) return succeeded(st.longPoll ? 'now' : 'interval');
    if (r.status !== 200) return failed(`the bundle answered ${r.status}`, r.retryAfter, r.status);
    await pin(take(r));
    return succeeded('now');
  }

  /** Exponential backoff with full jitter: a random delay up to base·2^(failures−1), at most the maximum. */
  function backoff() {
    let cap = s.backoffSeconds;
    for (let i = 1; i < st.failures && cap < s.maxBackoffSeconds; i++) cap *= 2;
    if (cap > s.maxBackoffSeconds) cap = s.maxBackoffSeconds;
    return random() * cap;
  }

  const { sleep, wake } = createSleeper();

  /** How long to wait after a round that began at `startedMs` and answered `out`. */
  function delayAfter(out, startedMs) {
    if (out.next === 'interval') return s.intervalSeconds * (0.8 + 0.4 * random());
    if (out.next === 'backoff') {
      const d = backoff();
      return out.retryAfter !== undefined && out.retryAfter > d ? out.retryAfter : d;
    }
    // 'now': a server (or proxy) that answers at once gets one round per gap.
    const left = s.minRoundSeconds - (msNow() - startedMs) / 1000;
    return left > 0 ? left : 0;
  }

  // refresh(): the calls made before a round began are answered after it.
  const waiters = create(null);
  let seq = 0;
  let first = 0;
  let urgent = false;
  function answer(upTo) {
    for (let i = first; i < upTo; i++) {
      const w = waiters[i];
      delete waiters[i];
      if (w !== undefined) w();
    }
    first = upTo;
  }
  function refresh(resolve) {
    waiters[seq++] = resolve;
    urgent = true;
    st.cut('refresh');
    wake();
  }

  async function run(firstWait) {
    let wait = firstWait;
    while (!st.stopped) {
      const upTo = seq;
      // A refresh() asks for an answer now: that round is not held.
      const held = wait && !urgent;
      urgent = false;
      const startedMs = msNow();
      const out = await pin(round(held));
      if (st.dirty) await pin(persist());
      answer(upTo);
      st.emitStatus();
      if (st.stopped) break;
      wait = true;
      const delay = delayAfter(out, startedMs);
      if (delay > 0) await pin(sleep(delay));
    }
    // Stopped: nobody is left waiting for a round.
    answer(seq);
  }

  /** After a first round at start-up: waits as the loop would, then runs it. */
  async function afterFirst(out, startedMs) {
    const delay = delayAfter(out, startedMs);
    if (delay > 0) await pin(sleep(delay));
    await pin(run(true));
  }

  return { __proto__: null, round, run, afterFirst, wake, refresh };
}
