// The sweep: every member of a typings package's `wx`, in each of its call
// styles, run once against a bare mock and once through `guard.wrap` over a
// second mock built alike. A scenario answers a list of mismatches (empty
// when the two runs agree on what reached the base library, what the app
// observed, and the shape of what each call answered).
import { isDeepStrictEqual } from 'node:util';
import { createMock } from './mock-wx.mjs';
import { shapeOf, canon } from './canon.mjs';
import { AppLog, APP, appValue, flush } from './harness.mjs';

/** Two sides over one surface: `raw` (the mock's own wx) and `wrapped` (through the guard). */
export function sides(surface, guard) {
  const raw = createMock(surface);
  const base = createMock(surface);
  return {
    surface,
    raw: { mock: raw, wx: raw.wx },
    wrapped: { mock: base, wx: guard.wrap(base.wx, { appId: APP }) },
  };
}

/** Every member of the surface as `{ path: ['cloud', 'callFunction'], member }`, nested namespaces included. */
export function members(ns, path = []) {
  const out = [];
  for (const [k, m] of Object.entries(ns.members)) {
    if (m.kind === 'namespace') out.push({ path: [...path, k], member: m }, ...members(m, [...path, k]));
    else out.push({ path: [...path, k], member: m });
  }
  return out;
}

/** Reads `path` from a namespace; undefined when any step is missing. */
export function at(wx, path) {
  let v = wx;
  for (const k of path) {
    if (v === null || v === undefined) return undefined;
    v = v[k];
  }
  return v;
}

/**
 * Runs `scenario(side, app)` on both sides and compares. `scenario` answers
 * a summary of what the calls answered (compared too). Answers the list of
 * differences, each a short string.
 */
export async function compare(pair, label, scenario) {
  const results = {};
  for (const name of ['raw', 'wrapped']) {
    const side = pair[name];
    const start = side.mock.log.length;
    const app = new AppLog(side.mock.registry);
    let summary;
    try {
      summary = await scenario(side, app);
    } catch (e) {
      summary = { threw: `${e?.constructor?.name}: ${e?.message}` };
    }
    await flush();
    const log = side.mock.log.slice(start).map((e) => [e.path, e.seen ?? e.result]);
    results[name] = { log, events: app.events, summary };
  }
  const diffs = [];
  for (const part of ['summary', 'log', 'events']) {
    if (!isDeepStrictEqual(results.raw[part], results.wrapped[part])) {
      diffs.push(`${label}: ${part} differs:\n    raw     ${brief(results.raw[part])}\n    wrapped ${brief(results.wrapped[part])}`);
    }
  }
  return diffs;
}

function brief(v) {
  const s = JSON.stringify(v, (k, x) => (x === undefined ? '<undefined>' : x));
  return s.length > 600 ? `${s.slice(0, 600)}…` : s;
}

/** What a call answered: its shape, and its canonical value for data (awaited for a Promise). */
export async function answerOf(ret, side) {
  const reg = side.mock.registry;
  const shape = shapeOf(ret, reg);
  if (shape === 'promise') {
    try {
      return { shape, resolved: canon(await ret, reg) };
    } catch (e) {
      return { shape, rejected: canon(e, reg) };
    }
  }
  if (shape.startsWith('instance') || shape === 'function') return { shape };
  return { shape, value: canon(ret, reg) };
}

/** The arguments a mini program would pass to a method described by `m`. */
export function argsFor(types, m, app, style) {
  const args = (m.args ?? []).map((d, i) => appValue(types, d, i === 0 ? 'option' : `arg${i}`, app));
  if (style !== undefined && args[0] !== null && typeof args[0] === 'object') Object.assign(args[0], style(app));
  return args;
}

/** The call styles of a callback API: each adds (or leaves out) callbacks. */
export const CALLBACKS = Object.freeze({
  callbacks: (app) => ({ success: app.fn('success'), fail: app.fn('fail'), complete: app.fn('complete') }),
  completeOnly: (app) => ({ complete: app.fn('complete') }),
  none: () => ({}),
});

/**
 * Calls a member of a namespace in one style and answers the summary.
 * `style` names a CALLBACKS entry for callback APIs.
 */
export async function callMember(side, types, path, m, app, style) {
  const fn = at(side.wx, path);
  if (typeof fn !== 'function') return { missing: typeof fn };
  const args = argsFor(types, m, app, m.style === 'callback' ? CALLBACKS[style] : undefined);
  if (m.style === 'callback' && args.length === 0) args.push(CALLBACKS[style](app));
  const ret = fn(...args);
  return answerOf(ret, side);
}

/** onX(listener), an event, offX(listener), the event again: what the app's listener saw. */
export async function listenerRoundTrip(side, types, path, m, app) {
  const on = at(side.wx, path);
  const name = path[path.length - 1];
  if (!name.startsWith('on')) return callMember(side, types, path, m, app);
  const event = name.slice(2);
  const off = at(side.wx, [...path.slice(0, -1), `off${event}`]);
  const listener = app.fn(`${name} listener`);
  const answers = [await answerOf(on(listener), side)];
  side.mock.emit(event, { event, n: 1 });
  if (typeof off === 'function') {
    answers.push(await answerOf(off(listener), side));
    side.mock.emit(event, { event, n: 2 });
  }
  return answers;
}

/**
 * Every member of an object the app got back (a context, a task): methods
 * in their style (listeners fired on the mock's own instance), writable
 * properties written with app values, every property read back.
 */
export async function exerciseObject(side, types, obj, original, key, app) {
  const entry = types[key];
  const out = {};
  for (const [name, m] of Object.entries(entry.members)) {
    try {
      if (m.kind === 'prop') {
        if (!m.readonly) obj[name] = appValue(types, m.type, name, app);
        out[name] = canon(obj[name], side.mock.registry);
        continue;
      }
      if (typeof obj[name] !== 'function') { out[name] = { missing: typeof obj[name] }; continue; }
      if (m.style === 'listener' && name.startsWith('on')) {
        const listener = app.fn(`${name} listener`);
        out[name] = await answerOf(obj[name](listener), side);
        side.mock.emitOn(original, name.slice(2), { event: name, n: 1 });
        continue;
      }
      const args = argsFor(types, m, app, m.style === 'callback' ? CALLBACKS.callbacks : undefined);
      out[name] = await answerOf(obj[name](...args), side);
    } catch (e) {
      out[name] = { threw: `${e?.constructor?.name}: ${e?.message}` };
    }
  }
  return out;
}

/** The mock's instance the last recorded call answered (what a wrapper stands in front of). */
export function lastAnswered(side, start) {
  for (let i = side.mock.log.length - 1; i >= start; i--) {
    const r = side.mock.log[i].ret;
    if (r !== null && typeof r === 'object' && side.mock.registry.mockName(r) !== undefined) return r;
  }
  return undefined;
}
