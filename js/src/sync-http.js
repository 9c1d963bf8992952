// The sync's HTTP: one request through the injected fetch, with a timeout,
// an abort, and the answer read whole (status, ETag, Preference-Applied,
// Retry-After, body) into a frozen null-prototype record.
//
// A native Response is read through WHATWG fetch's accessors captured when
// the bridge was evaluated, never through its (replaceable) prototype; any
// other response object (a base library's own fetch) through its own
// `status`, `headers.get` and `text()`. What a response says is never
// trusted for what it is: with `Object.prototype.then` planted, mini program
// code can answer a realm `fetch` with an object of its own, so every key set
// and bundle is verified by guard-core (against the roots) before it counts.

import { pin, deferred, rec, timer, cancelTimer, describe, ErrorCtor, rejected } from './sync-safe.js';

const { apply, defineProperty, getOwnPropertyDescriptor } = Reflect;
const getter = (proto, key) => {
  const d = proto === undefined ? undefined : getOwnPropertyDescriptor(proto, key);
  return d === undefined ? undefined : d.get;
};
const ResponseProto = typeof Response === 'function' ? Response.prototype : undefined;
const responseStatus = getter(ResponseProto, 'status');
const responseHeaders = getter(ResponseProto, 'headers');
const responseText = ResponseProto === undefined ? undefined : ResponseProto.text;
const headersGet = typeof Headers === 'function' ? Headers.prototype.get : undefined;
const AbortCtor = typeof AbortController === 'function' ? AbortController : undefined;
const abortSignal = AbortCtor === undefined ? undefined : getter(AbortCtor.prototype, 'signal');
const abortAbort = AbortCtor === undefined ? undefined : AbortCtor.prototype.abort;
/** The realm's fetch as it was when the bridge was evaluated. */
export const globalFetch = typeof globalThis.fetch === 'function' ? globalThis.fetch : undefined;

const str0 = (v) => (typeof v === 'string' ? v : null);

/** `{ status, header(name), text() }` of a response: a native one through the captured accessors. */
function reader(res) {
  if (responseStatus !== undefined) {
    let status;
    let native = true;
    try { status = apply(responseStatus, res, []); } catch { native = false; }
    if (native) {
      const h = apply(responseHeaders, res, []);
      return {
        __proto__: null,
        status,
        header: (name) => { try { return apply(headersGet, h, [name]); } catch { return null; } },
        text: () => pin(apply(responseText, res, [])),
      };
    }
  }
  const h = res.headers;
  const get = h !== null && typeof h === 'object' ? h.get : undefined;
  const t = res.text;
  return {
    __proto__: null,
    status: res.status,
    header: (name) => { try { return typeof get === 'function' ? apply(get, h, [name]) : null; } catch { return null; } },
    text: () => pin(typeof t === 'function' ? apply(t, res, []) : rejected(new ErrorCtor('no text()'))),
  };
}

/**
 * The HTTP of one sync over `fetchFn`: `{ http, cut }`. `http(method, url,
 * headers, body, timeoutSeconds, interruptible)` answers `{ ok, status,
 * text, etag, applied, retryAfter }`, or `{ ok: false, status: 0, error,
 * interrupted }` when it failed, timed out or was cut short; `cut(why)` cuts
 * the interruptible request in flight (refresh(), stop()).
 */
export function createHttp(fetchFn) {
  let inflight = null;
  async function http(method, url, headers, body, timeoutSeconds, interruptible) {
    const ctl = AbortCtor === undefined ? undefined : new AbortCtor();
    const signal = ctl === undefined ? undefined : apply(abortSignal, ctl, []);
    const abort = () => { if (ctl !== undefined) { try { apply(abortAbort, ctl, []); } catch { /* already aborted */ } } };
    const done = deferred();
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; done.resolve(r); } };
    const fail = (error, interrupted) => finish(rec({ __proto__: null, ok: false, status: 0, error, interrupted: interrupted === true }));
    const timeout = timer(() => { abort(); fail(`no answer within ${timeoutSeconds} s`); }, timeoutSeconds);
    const mine = { __proto__: null, cut: (why) => { abort(); fail(why, true); } };
    if (interruptible) inflight = mine;
    const init = { __proto__: null, method, headers, signal };
    if (body !== undefined) defineProperty(init, 'body', { __proto__: null, value: body, enumerable: true });
    (async () => {
      try {
        const res = await pin(apply(fetchFn, undefined, [url, init]));
        if (res === null || typeof res !== 'object') { fail('fetch answered no response'); return; }
        const r = reader(res);
        if (typeof r.status !== 'number') { fail('the response has no status'); return; }
        // The body is read here, within the timeout, so a caller gets the
        // whole answer or none.
        let bodyText = '';
        if (r.status === 200 || r.status === 202 || r.status >= 400) {
          bodyText = await pin(r.text());
          if (typeof bodyText !== 'string') { fail('the response body is not text'); return; }
        }
        finish(rec({
          __proto__: null, ok: true, status: r.status, text: bodyText, etag: str0(r.header('etag')),
          applied: str0(r.header('preference-applied')), retryAfter: str0(r.header('retry-after')),
        }));
      } catch (e) {
        fail(settled ? '' : describe(e));
      } finally {
        cancelTimer(timeout);
        if (inflight === mine) inflight = null;
      }
    })();
    return done.promise;
  }
  const cut = (why) => { if (inflight !== null) inflight.cut(why); };
  return { __proto__: null, http, cut };
}

