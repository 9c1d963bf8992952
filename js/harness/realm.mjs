// The page's side of a mini program's realm: starts the worker of
// js/harness/realm-worker.js for one app, hands it the code package, and
// answers its `wx` calls by calling the guarded `wx` (`guard.wrap`) the page
// made for that app. The worker is bound to its app here, never by what it
// says; every message from it is untrusted input: an API must be one the
// page listed, arguments are rebuilt as fresh page objects (a data property
// per key, `__proto__` included), and a worker can ask nothing the wrapped
// `wx` would not be asked through a direct call.
//
// Each call is recorded with the outcome the page itself saw (the callback
// the wrapped `wx` called, a `*Sync` call's value or error), so the page
// shows what the guard decided, not what the mini program claims.

const WORKER_URL = '/harness/realm-worker.js';
const STEP_TIMEOUT_MS = 5000;
/** Returned tasks and contexts a realm may keep addressable; beyond it their methods are not forwarded. */
const MAX_HANDLES = 4096;
const MAX_DEPTH = 16;
const encoder = new TextEncoder();

/** What a value the worker sent cannot be: the call fails with the platform's parameter error. */
class NotData extends Error {}

/**
 * A value the worker sent, as a fresh page value; functions call back into
 * the worker. A function is a callback only where the platform takes one
 * (an argument, depth 0, or a member of an options object, depth 1; an
 * array's items count two deeper), as the realm's own encoder sends them:
 * anywhere else (a `url` object with its own `toString`) it is not data,
 * whoever forged the message, and decoding throws NotData.
 */
function decoder(post, onCallback, onMade = () => {}) {
  const decode = (enc, depth, key) => {
    if (enc === null || typeof enc !== 'object' || depth > MAX_DEPTH) return undefined;
    if (enc.t === 'p') return enc.v;
    if (enc.t === 'f' && Number.isSafeInteger(enc.id)) {
      if (depth > 1) throw new NotData('a function inside an option is not data');
      onMade(key);
      return (...args) => {
        onCallback(key, args[0]);
        post({ op: 'callback', cb: enc.id, args: args.map((a) => toData(a, 0)) });
      };
    }
    if (enc.t === 'a' && Array.isArray(enc.v)) return enc.v.map((x) => decode(x, depth + 2));
    if (enc.t === 'o' && enc.v !== null && typeof enc.v === 'object') {
      const out = {};
      for (const k of Object.keys(enc.v)) {
        Object.defineProperty(out, k, { value: decode(enc.v[k], depth + 1, k), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return undefined;
  };
  return decode;
}

/** What goes back to the worker: data only (functions dropped; errors as their errMsg, message and errno). */
function toData(v, depth) {
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return typeof v === 'function' ? undefined : v;
  if (v instanceof Error) return { errMsg: v.errMsg, message: v.message, errno: v.errno };
  if (Array.isArray(v)) return v.map((x) => toData(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    try { return structuredClone(v); } catch { return undefined; }
  }
  const out = {};
  for (const k of Object.keys(v)) {
    const x = toData(v[k], depth + 1);
    if (x !== undefined) out[k] = x;
  }
  return out;
}

/** Writes a `*Sync` call's answer where the blocked worker reads it, and wakes it. */
function answerSync(sab, answer) {
  let bytes = encoder.encode(JSON.stringify(answer));
  if (bytes.length > sab.byteLength - 8) bytes = encoder.encode(JSON.stringify({ ok: false, error: { errMsg: 'fail the answer is too large' } }));
  new Uint8Array(sab, 8, bytes.length).set(bytes);
  const state = new Int32Array(sab, 0, 2);
  Atomics.store(state, 1, bytes.length);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
}

/** The URL an API call is about (the first argument's `url` or `src`), for the page's rows. */
const targetOf = (args) => {
  const o = args[0];
  if (o === null || typeof o !== 'object') return undefined;
  const u = o.url ?? o.src;
  return typeof u === 'string' ? u : undefined;
};

/**
 * Starts the realm of `appId`: `code` (bytes) is the CommonJS code package,
 * `wx` the guarded `wx` for that app. Resolves once the package has run,
 * with `{ lists, run(list, index), calls, worker, terminate() }`: `lists`
 * holds each exported list's entries without their step functions (labels,
 * web-view URLs); `run` runs one step and resolves with the calls it made.
 */
export async function startRealm({ appId, wx, code }) {
  const worker = new Worker(WORKER_URL);
  const post = (m) => worker.postMessage(m);
  const apis = Object.keys(wx).filter((k) => typeof wx[k] === 'function');
  const allowed = new Set(apis);
  const handles = new Map();
  const calls = [];
  const runs = new Map();
  let runs0 = 0;
  let ready;
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    worker.addEventListener('error', (e) => reject(new Error(`realm of ${appId}: ${e.message}`)), { once: true });
  });

  // Steps waiting for the outcomes of their calls (see run).
  const waiting = new Set();
  /** Records the outcome the page saw for `entry`, and wakes the steps waiting for it. */
  function settle(entry, ok, errMsg) {
    entry.ok = ok;
    entry.errMsg = errMsg;
    entry.pending = false;
    for (const w of [...waiting]) w();
  }

  function call(m) {
    const sync = m.sab instanceof SharedArrayBuffer && m.sab.byteLength >= 8;
    const entry = { appId, api: String(m.api), sync, ok: null, errMsg: null };
    calls.push(entry);
    const fail = (errMsg) => {
      entry.ok = false;
      entry.errMsg = errMsg;
      if (sync) answerSync(m.sab, { ok: false, error: { errMsg } });
    };
    if (typeof m.api !== 'string' || !allowed.has(m.api) || !Number.isSafeInteger(m.id) || !Array.isArray(m.args)) {
      entry.code = 'not an API';
      return fail(`${entry.api}:fail not an API of this base library`);
    }
    const decode = decoder(post, (key, res) => {
      if (key !== 'success' && key !== 'fail') return;
      settle(entry, key === 'success', res?.errMsg ?? `${m.api}:${key === 'success' ? 'ok' : 'fail'}`);
    }, (key) => { if (key === 'success' || key === 'fail') entry.pending = true; });
    let args;
    try {
      args = m.args.map((a) => decode(a, 0));
    } catch (e) {
      if (!(e instanceof NotData)) throw e;
      const errMsg = `${m.api}:fail parameter error: ${e.message}`;
      entry.code = 'parameter error';
      fail(errMsg);
      if (!sync) post({ op: 'settle', id: m.id, ok: false, value: { errMsg } });
      return undefined;
    }
    entry.url = targetOf(args);
    let result;
    try {
      result = Reflect.apply(wx[m.api], wx, args);
    } catch (e) {
      const errMsg = e?.errMsg ?? `${m.api}:fail ${e?.message ?? e}`;
      fail(errMsg);
      if (sync) return undefined;
      post({ op: 'settle', id: m.id, ok: false, value: toData(e, 0) });
      return undefined;
    }
    if (sync) {
      entry.ok = true;
      entry.errMsg = `${m.api}:ok`;
      answerSync(m.sab, { ok: true, value: toData(result, 0) ?? null });
      return undefined;
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      entry.pending = true;
      result.then((v) => { settle(entry, entry.ok ?? true, entry.errMsg ?? v?.errMsg); post({ op: 'settle', id: m.id, ok: true, value: toData(v, 0) }); },
        (e) => { settle(entry, false, entry.errMsg ?? e?.errMsg); post({ op: 'settle', id: m.id, ok: false, value: toData(e, 0) }); });
      return undefined;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && handles.size < MAX_HANDLES) handles.set(m.id, result);
    post({ op: 'settle', id: m.id, ok: true, value: toData(result, 0) });
    return undefined;
  }

  function method(m) {
    const target = handles.get(m.handle);
    if (target === undefined || typeof m.name !== 'string' || !Array.isArray(m.args)) return;
    const f = target[m.name];
    if (typeof f !== 'function') return;
    const decode = decoder(post, () => {});
    // A value that is not data, or the platform's own failure: as a direct call would see it.
    try { Reflect.apply(f, target, m.args.map((a) => decode(a, 0))); } catch { /* nothing to answer */ }
  }

  worker.addEventListener('message', (event) => {
    const m = event.data;
    if (m === null || typeof m !== 'object') return;
    if (m.op === 'call') call(m);
    else if (m.op === 'method') method(m);
    else if (m.op === 'ready') ready(m.lists);
    else if (m.op === 'done') {
      const r = runs.get(m.run);
      if (r !== undefined) { runs.delete(m.run); r(String(m.errMsg)); }
    }
  });
  post({ op: 'init', apis, code: code.slice() });
  const lists = await readyP;

  /**
   * Runs entry `index` of the exported list `list`; resolves with what the
   * worker said and the calls the step made, once the step said it is done
   * and every outcome the page awaits for its calls (a callback, a Promise)
   * came: what the mini program claims never stands in for one.
   */
  function run(list, index) {
    const id = ++runs0;
    const from = calls.length;
    return new Promise((resolve) => {
      let said;
      const end = (errMsg) => { clearTimeout(timer); runs.delete(id); waiting.delete(check); resolve({ errMsg, calls: calls.slice(from) }); };
      const check = () => { if (said !== undefined && !calls.slice(from).some((c) => c.pending === true)) end(said); };
      const timer = setTimeout(() => end(said ?? '(no callback)'), STEP_TIMEOUT_MS);
      runs.set(id, (errMsg) => { said = errMsg; waiting.add(check); check(); });
      post({ op: 'run', run: id, list, index });
    });
  }
  return { lists, run, calls, worker, terminate: () => worker.terminate() };
}
