// Shared by the real-code tests: signed policies (HS256, as js/test/fixture.mjs
// signs them), a guard over the bridge's public API, an app-side value
// generator mirroring the mock's, and a recorder of what the app observes.
import { signPolicy } from '../bin/guard-vectors.mjs';
import { canon } from './canon.mjs';
import { URLISH } from './mock-wx.mjs';

// GUARD_BRIDGE=<path or file URL of an index.js> runs every real-code test
// against another copy of the bridge (the rewrite's, before it is merged).
const { createGuard } = await import(process.env.GUARD_BRIDGE ?? '../src/index.js');

export const SECRET = 'r3alC0deR3alC0de';
export const APP = 'mp_real';

// Captured now: the component tests install fake timers later.
const realSetImmediate = setImmediate;
/** Resolves after every queued microtask (the mock answers in microtasks). */
export const flush = () => new Promise((resolve) => realSetImmediate(resolve));

/**
 * A policy for APP. Valid from 1970 with no expiry: the bridge reads the
 * device clock when a wrapped function is called.
 * @param {{ mode?: string, control?: object, serverDomains?: string[], webviewDomains?: string[],
 *   sensitive?: string[], granted?: string[], whitelist?: string[], blockedHosts?: string[] }} o
 */
export function policy(o = {}) {
  const p = {
    schema: 1,
    superapp_id: 'real-code',
    version: 1,
    issued_at: 0,
    mode: o.mode ?? 'enforce',
    sensitive_apis: (o.sensitive ?? []).map((name) => ({ name, status: 'restricted', scope: 'all', type: 'system' })),
    apps: [{
      app_id: APP,
      kind: 'mini_program',
      control: o.control ?? {},
      server_domains: o.serverDomains ?? [],
      webview_domains: o.webviewDomains ?? [],
      api_whitelist: o.whitelist ?? [],
      granted_apis: o.granted ?? [],
    }],
  };
  if (o.blockedHosts !== undefined) p.blocked_hosts = o.blockedHosts;
  return p;
}

/** Everything allowed: no switch on, nothing sensitive. */
export const ALLOW_ALL = Object.freeze(policy());

/** A guard (public API) with `doc` loaded. */
export async function guardWith(doc) {
  const guard = await createGuard({ secret: SECRET });
  const loaded = guard.load(signPolicy(doc, SECRET));
  if (loaded.code !== 'ok') throw new Error(`policy refused: ${loaded.code} ${loaded.message}`);
  return guard;
}

const ESCAPES = ['uncaughtException', 'unhandledRejection'];

/**
 * Runs `fn` and collects what escapes it as a base library would (to
 * App.onError / onUnhandledRejection): `{ value, errors, rejections }`,
 * `errors` the exceptions (and Error rejections), `rejections` the plain
 * reasons. The test runner's own listeners, which would fail the test at
 * once, are set aside meanwhile and put back after.
 */
export async function collectEscapes(fn, describeReason = (r) => r) {
  const saved = ESCAPES.map((ev) => [ev, process.listeners(ev)]);
  for (const ev of ESCAPES) process.removeAllListeners(ev);
  const errors = [];
  const rejections = [];
  const onException = (e) => { errors.push(`${e?.name}: ${e?.message}`); };
  const onRejection = (e) => {
    if (e instanceof Error) errors.push(`${e.name}: ${e.message}`);
    else rejections.push(describeReason(e));
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  try {
    const value = await fn(onException);
    return { value, errors, rejections };
  } finally {
    // Rejections are reported after the microtasks that left them unhandled
    // (also when `fn` threw), and the bridge rethrows an app handler's
    // exception from a 0 ms timer (js/src/safe.js): a timer set now fires
    // after that one, so both are collected here, never in the next test.
    await new Promise((r) => setTimeout(r, 0));
    await flush();
    await flush();
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    for (const [ev, listeners] of saved) for (const l of listeners) process.on(ev, l);
  }
}

/** What an app observes: every call of its callbacks, in order, canonicalised with `registry`. */
export class AppLog {
  constructor(registry) {
    this.registry = registry;
    this.events = [];
  }

  fn(label) {
    const log = this;
    return function (...args) { log.events.push([label, canon(args, log.registry)]); };
  }

  note(label, value) {
    this.events.push([label, canon(value, this.registry)]);
  }
}


/**
 * What a mini program would pass for a parameter of type `desc` (surface.mjs):
 * every option filled (so no door field is left for a wrapper to invent),
 * URL-like fields as https URLs already in WHATWG form (so they reach the
 * mock unchanged through a wrapper that serialises them), socket URLs as
 * wss, function-typed fields as recorded app callbacks. success/fail/complete
 * are left out: the call style adds them. `requiredOnly`: only the fields
 * the typings require (what a sparse caller passes).
 */
export function appValue(types, desc, field, app, chain = [], requiredOnly = false) {
  if (desc === null || desc === undefined) return undefined;
  switch (desc.t) {
    case 'string':
      if (desc.lit !== undefined) return desc.lit;
      if (field === 'url' && chain.some((k) => /Socket|WebSocket/.test(k))) return 'wss://ws.sweep.example/socket';
      return URLISH.test(field) ? `https://cdn.sweep.example/${field}.png` : `${field}-arg`;
    case 'number': return desc.lit ?? (field === 'port' ? 8443 : 1);
    case 'boolean': return desc.lit ?? false;
    case 'void': return undefined;
    case 'any': return {};
    case 'buffer': {
      // Named now, when the app makes it: a copy handed on in its place
      // would reach the mock under another name.
      const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
      app.registry.otherName(buffer);
      return buffer;
    }
    case 'array': return [appValue(types, desc.of, field, app, chain, requiredOnly)];
    case 'promise': return Promise.resolve(undefined);
    case 'fn': return app.fn(`${field}()`);
    case 'ref': {
      const entry = types[desc.key];
      if (chain.includes(desc.key) || chain.length > 4) return {};
      const out = {};
      for (const [k, m] of Object.entries(entry.members)) {
        if (k === 'success' || k === 'fail' || k === 'complete') continue;
        if (requiredOnly && (m.kind !== 'prop' || m.optional)) continue;
        out[k] = m.kind === 'prop' ? appValue(types, m.type, k, app, [...chain, desc.key], requiredOnly) : app.fn(`${k}()`);
      }
      return out;
    }
    default: return undefined;
  }
}
