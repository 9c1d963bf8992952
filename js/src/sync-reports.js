// The sync's violation reports (docs/protocols.md P2): the guard's own log sent
// every report interval and when the app goes to the background, requeued
// when a send fails, held back while a 429's or 503's Retry-After lasts, and
// dropped when the server refuses the batch as such.

import { pin, retryAfterSeconds } from './sync-safe.js';

const { create } = Object;

/** The reports of the sync's shared state `st`: `{ send(), run(sleep) }`. */
export function createReports(st) {
  const s = st.settings;
  let busy = false;

  /** Sends the guard's report log. Answers a status word. */
  async function send() {
    if (st.guard === null || busy) return 'busy';
    const t = st.clock();
    if (t < st.reportsRetryAt) return 'retry_later';
    busy = true;
    try {
      const taken = st.guard.takeReports({ now: t });
      if (taken.reports === 0 && taken.dropped === 0) return 'empty';
      const headers = create(null);
      headers['content-type'] = 'application/json';
      const r = await pin(st.http('POST', st.config.reportsUrl, headers, taken.body, s.requestTimeoutSeconds, false));
      if (r.ok && (r.status === 202 || r.status === 200)) { st.reportsSent += taken.reports; return 'sent'; }
      if (r.ok && (r.status === 429 || r.status === 503)) {
        st.guard.requeueReports({ now: t });
        const ra = retryAfterSeconds(r.retryAfter, t);
        st.reportsRetryAt = t + (ra === undefined ? s.reportIntervalSeconds : ra);
        return 'requeued';
      }
      if (r.ok && r.status >= 400 && r.status < 500) {
        // The server refused this batch as such (malformed, too large,
        // unknown superapp): sending it again cannot succeed.
        st.reportsDropped += taken.reports;
        return 'refused';
      }
      st.guard.requeueReports({ now: t });
      return 'requeued';
    } finally {
      busy = false;
    }
  }

  /** Sends on the report interval until the sync stops; `sleep` is a slot's own. */
  async function run(sleep) {
    while (!st.stopped) {
      await pin(sleep(s.reportIntervalSeconds));
      if (st.stopped) break;
      await pin(send());
    }
  }

  return { __proto__: null, send, run };
}
