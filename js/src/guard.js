// The guard: its public object (load, the check methods, wrap, webView,
// reports, floor, listeners, counters) over a driver, how one is created
// (wasm instance or native back end), and the sync's re-key.

import { open, HAS_WASM } from './raw.js';
import { openNative } from './native.js';
import { COMPONENTS } from './doors.js';
import { moduleFor, NO_WASM } from './module.js';
import { readTables } from './verdicts.js';
import { createChecks } from './checks.js';
import { createViolations } from './violations.js';
import { createTargets } from './targets.js';
import { createAttributes } from './attributes.js';
import { createVetting } from './vet.js';
import { createDenials } from './deny.js';
import { createFacades } from './returned.js';
import { createWrapping } from './wrap.js';
import {
  apply, getPrototypeOf, freeze, isArray, clock, now, str, floor, own, desc, TypeErrorCtor, ErrorCtor,
} from './safe.js';

const StringCtor = String;
const stringify = JSON.stringify;
const parse = JSON.parse;
const REDIRECT_KINDS = freeze(['request', 'upload', 'download']);
/** guard-core's URL limit, for a driver that does not say (2 MiB, contract v3 §3). */
const DEFAULT_MAX_URL = 2 * 1024 * 1024;

/**
 * Creates a guard. Contract v3: `{ roots, superappId }` (root Ed25519 public
 * JWKs and the superapp they serve) is the recommended configuration: the
 * guard then takes signing keys only from key sets a root signed
 * (`guard.loadKeys`), so whoever controls the transport (or the realm's
 * `fetch`) cannot hand it keys of their own. `roots` never comes together
 * with `secret` or `keys` (a TypeError). v2's `keys` (Ed25519 public JWKs)
 * and v1's `secret` (HS256) stay: with `secret`, reading the guard's memory
 * gives that SecretKey, i.e. the power to forge bundles
 * (docs/threat-model.md).
 *
 * Where the JS engine has no WebAssembly (iOS JavaScriptCore outside a web
 * view), it rejects unless given `native`: the base library's synchronous
 * JS-to-native call `(request: string) => string`, answering the protocol of
 * docs/js-bridge.md ("Native back end") from a guard the native side keeps
 * (and syncs, with its own keys). The bridge then drives it with the same
 * integer verdicts as its wasm instance (./native.js).
 *
 * `localPrefixes`: URLs the host serves local files under (the devtools'
 * `http://tmp/`), each absolute with a path ending in `/`: a media target
 * under one is local (contract v3 §3.7). guard-core vets them and
 * classifies media with them.
 * @param {{ roots?: object[], superappId?: string, secret?: string, keys?: object[], wasm?: BufferSource | WebAssembly.Module | URL | string, native?: (request: string) => string, localPrefixes?: string[] }} options
 */
export async function createGuard(options) {
  if (options === null || typeof options !== 'object') throw new TypeErrorCtor('createGuard needs `{ roots, superappId }`, `{ secret }`, `{ keys }` or `{ native }`');
  const native = options.native;
  if (native !== undefined) {
    if (typeof native !== 'function') throw new TypeErrorCtor('`native` must be a synchronous function (request: string) => string');
    if (options.secret !== undefined || options.keys !== undefined || options.roots !== undefined || options.superappId !== undefined) {
      throw new TypeErrorCtor('with `native` the keys are the native back end\'s: pass no `secret`, `keys`, `roots` or `superappId`');
    }
    if (options.localPrefixes !== undefined) throw new TypeErrorCtor('with `native` the local prefixes are the native back end\'s');
    return guardOver(openNative(native), undefined).guard;
  }
  // No WebAssembly: say so first, whatever the options (nothing else helps).
  if (!HAS_WASM) throw new ErrorCtor(NO_WASM);
  const config = configOf(options);
  const core = await open(await moduleFor(options.wasm));
  // raw.js: a key text starting with `{` is a configuration (guard_new_config, ABI 4).
  const created = core.create(config);
  if (created !== 0) throw new ErrorCtor(`invalid guard configuration: ${core.message() || `raw ABI error ${created}`}`);
  return guardOver(core, config).guard;
}

/**
 * The guard configuration JSON guard-core reads (GuardConfig::from_json)
 * from createGuard's options, type-checked here; what the values mean
 * (roots with keys, a bad JWK or prefix) guard-core judges.
 */
function configOf(options) {
  const { secret, keys, roots, superappId, localPrefixes } = options;
  if (secret !== undefined && typeof secret !== 'string') throw new TypeErrorCtor('`secret` must be a string');
  if (keys !== undefined && !isArray(keys)) throw new TypeErrorCtor('`keys` must be an array of JWKs');
  if (roots !== undefined && !isArray(roots)) throw new TypeErrorCtor('`roots` must be an array of root public JWKs');
  if (superappId !== undefined && typeof superappId !== 'string') throw new TypeErrorCtor('`superappId` must be a string');
  if (localPrefixes !== undefined) {
    if (!isArray(localPrefixes)) throw new TypeErrorCtor('`localPrefixes` must be an array of URLs');
    for (let i = 0; i < localPrefixes.length; i++) if (typeof localPrefixes[i] !== 'string') throw new TypeErrorCtor(`local prefix ${i} must be a string URL`);
  }
  const rooted = roots !== undefined || superappId !== undefined;
  if (rooted && (secret !== undefined || keys !== undefined)) {
    throw new TypeErrorCtor('a guard is created with `roots` and `superappId`, or with `secret` and/or `keys`, never both (contract v3 §2.1)');
  }
  if (rooted && (roots === undefined || superappId === undefined)) throw new TypeErrorCtor('`roots` and `superappId` go together');
  if (!rooted && secret === undefined && keys === undefined) throw new TypeErrorCtor('createGuard needs `roots` and `superappId`, `secret` or `keys`');
  const config = rooted ? { roots, superapp_id: superappId } : { secret, keys };
  if (localPrefixes !== undefined) config.local_prefixes = localPrefixes;
  return stringify(config);
}

/**
 * For the test-only sync without roots (./sync-trust.js): a wasm guard for
 * the key set `keySet` (the text of a `keys.json`, `{"keys":[...]}`), or,
 * when it is null, a guard with no keys yet that denies everything
 * `no_policy` until `rekey` gives it some; and `rekey(keySet, { now })`: the
 * same guard object (so every namespace it wrapped keeps working)
 * re-created in its own instance with the new keys, its anti-rollback floor
 * restored and the last bundle it loaded re-loaded (`{ ok, message, load }`:
 * `load` is that reload's code, or null). Handing this out gives nothing
 * over an existing guard: it only makes new ones.
 * @param {string | null} keySet
 * @param {{ wasm?: BufferSource | WebAssembly.Module | URL | string }} [options]
 */
export async function createKeyedGuard(keySet, options) {
  if (!HAS_WASM) throw new ErrorCtor(NO_WASM);
  if (keySet !== null && typeof keySet !== 'string') throw new TypeErrorCtor('the key set must be a string or null');
  const opts = options === undefined || options === null ? {} : options;
  const core = await open(await moduleFor(opts.wasm));
  if (keySet !== null) {
    const created = core.create(keySet);
    if (created !== 0) throw new ErrorCtor(`invalid guard key: ${core.message() || `raw ABI error ${created}`}`);
  }
  return guardOver(core, keySet);
}

/**
 * The guard over a driver (raw.js's `open()` or native.js's `openNative()`,
 * the same interface): `{ guard, rekey }`. `config`: the configuration JSON
 * the wasm instance's guard was created with, null when it has none yet,
 * undefined for a native back end (which keeps its own keys).
 */
function guardOver(core, config) {
  const tables = readTables(core);
  const checks = createChecks(core, tables);
  const violations = createViolations(tables);
  const maxUrl = typeof core.MAX_URL === 'number' ? core.MAX_URL : DEFAULT_MAX_URL;
  const targets = createTargets(tables, checks, violations, freeze({ __proto__: null, maxUrl }));
  const vetting = createVetting(targets);
  const denials = createDenials(tables);
  const facades = createFacades(freeze({ __proto__: null, targets, vetting, denials }));
  const wrapNamespace = createWrapping(freeze({ __proto__: null, core, tables, checks, violations, vetting, facades, denials }));
  // The last bundle this guard loaded, for a re-key to load again.
  const state = { __proto__: null, lastGood: null, keyText: config };
  const guard = {
    load(bundle, options) {
      const t = clock(options);
      const b = str(bundle, 'bundle');
      const code = core.load(b, t);
      if (code < 0) return freeze({ code: tables.loadName(code), message: `guard module error ${code}` });
      if (code === 0) state.lastGood = b;
      return freeze({ code: tables.loadName(code), message: code === 0 ? '' : core.message() });
    },
    ...keySets(core, tables),
    ...directChecks(core, tables, checks, createAttributes(targets)),
    ...reportsAndFloor(core),
    onViolation: violations.onViolation,
    counters: violations.counters,
    wrap(wx, wrapOptions) {
      if (wx === null || (typeof wx !== 'object' && typeof wx !== 'function')) throw new TypeErrorCtor('wrap needs the wx namespace');
      const appId = str(wrapOptions && wrapOptions.appId, 'appId');
      return wrapNamespace(wx, appId);
    },
    webView: webViews(tables, checks, violations),
  };
  return freeze({ guard: freeze(guard), rekey: rekeyOf(core, tables, checks, state) });
}

/** The guard's check methods: a decision object for each kind of target. */
function directChecks(core, tables, checks, attributes) {
  const { KIND, allows, verdictOf, decisionObject } = tables;
  const { urlCheck, socketCheck } = checks;
  const checkUrlKind = (kindName) => (appId, url, options) => {
    str(appId, 'appId');
    const u = str(url, 'url');
    const t = clock(options);
    const r = urlCheck(appId, KIND[kindName], u, t, undefined, true);
    return decisionObject(r.v, r.message, r.href);
  };
  const checkRaw = (kindName) => (appId, host, port, options) => {
    str(appId, 'appId');
    str(host, 'host');
    const r = socketCheck(appId, KIND[kindName], host, port, clock(options));
    return decisionObject(r.v, r.message, r.href);
  };
  return {
    checkApi(appId, name, options) {
      str(appId, 'appId');
      str(name, 'name');
      const t = clock(options);
      const id = checks.apiIdOf(name);
      const v = checks.verdictApi(appId, name, id, t);
      return decisionObject(v, checks.apiMessage(v, name, id));
    },
    checkRequest: checkUrlKind('request'),
    checkUpload: checkUrlKind('upload'),
    checkDownload: checkUrlKind('download'),
    checkSocket: checkUrlKind('socket'),
    checkWebview: checkUrlKind('webview'),
    /**
     * A media source (contract v3 §3.7, kind `media`): guard-core
     * classifies it (inline, platform file, package path, local prefix,
     * network) and answers the decision, with `href` what to hand on.
     */
    checkMedia: checkUrlKind('media'),
    checkTcp: checkRaw('tcp'),
    checkUdp: checkRaw('udp'),
    /** Before a code package runs (§3.5): its version and SHA-256 (hex). */
    checkLaunch(appId, release, options) {
      str(appId, 'appId');
      if (release === null || typeof release !== 'object') throw new TypeErrorCtor('checkLaunch needs `{ version, packageSha256 }`');
      const version = str(release.version, 'version');
      const sha = str(release.packageSha256, 'packageSha256');
      const v = verdictOf(core.checkLaunch(appId, version, sha, clock(options)));
      return decisionObject(v, core.message());
    },
    /**
     * A redirect hop (§3.6) of a request/upload/download that was allowed
     * for `fromHref`: the decision for the absolute target, and its `href`
     * (what to connect to). `hop` counts from 1; the 11th is invalid_url.
     */
    checkRedirect(appId, kind, fromHref, location, hop, options) {
      str(appId, 'appId');
      let k;
      for (let i = 0; i < REDIRECT_KINDS.length; i++) if (REDIRECT_KINDS[i] === kind) k = KIND[kind];
      if (k === undefined) throw new TypeErrorCtor('`kind` must be request, upload or download');
      const h = typeof hop === 'number' && hop >= 0 && hop <= 0xffffffff && floor(hop) === hop ? hop : 0;
      const v = verdictOf(core.checkRedirect(k, appId, str(fromHref, 'fromHref'), str(location, 'location'), h, clock(options)));
      const href = allows(v) ? core.href() : null;
      return decisionObject(v, core.message(), href);
    },
    /**
     * Vets a component attribute the base library is about to render
     * (doors.js COMPONENTS): the decision, with `href` to use when allowed.
     * A local path is allowed as it is, with no check.
     */
    checkAttribute(appId, component, attribute, value, options) {
      str(appId, 'appId');
      const spec = COMPONENTS[str(component, 'component')];
      const kind = spec === undefined ? undefined : spec[str(attribute, 'attribute')];
      if (kind === undefined) throw new TypeErrorCtor(`no such component attribute: ${component} ${attribute}`);
      if (kind !== 'nodes') str(value, 'value');
      const ctx = { __proto__: null, appId, label: component, msg: component, t: clock(options) };
      const r = attributes.vetAttribute(ctx, kind, value);
      if (!r.ok) return decisionObject(r.r.v, r.r.message, null);
      if (r.r === null || r.r.v === 0) return decisionObject(0, `${component}:ok`, r.value);
      return decisionObject(r.r.v, r.r.message, r.value);
    },
  };
}

/**
 * Contract v3 (§2.1): key sets and the signed state, as guard methods. Only
 * a guard created with `roots` takes key sets (any other answers
 * `unknown_key`) and has a signed state.
 */
function keySets(core, tables) {
  const outcome = (code) => {
    if (code < 0) return freeze({ code: tables.loadName(code), message: `guard module error ${code}` });
    return freeze({ code: tables.loadName(code), message: code === 0 ? '' : core.message() });
  };
  // A native back end keeps (and syncs) its own key sets and state.
  const nativeSide = () => {
    if (typeof core.loadKeys !== 'function') throw new TypeErrorCtor('a native back end loads its key sets and keeps its state on its native side');
  };
  return {
    /** Loads a key-set JWS signed by one of the roots: `{ code, message }` as `load`. */
    loadKeys(jws, options) {
      nativeSide();
      const t = clock(options);
      return outcome(core.loadKeys(str(jws, 'key set'), t));
    },
    /**
     * What to persist after every successful load (JSON: the key set in
     * force and the bundle at the floor, as received), or null for a guard
     * created without roots. Storage can neither lower nor raise a floor
     * kept this way: restoreState verifies every document again.
     */
    signedState() {
      nativeSide();
      const s = core.signedState();
      return typeof s === 'string' && s !== '' ? s : null;
    },
    /** Restores a signedState() into a guard that has loaded nothing: `{ code, message }`. */
    restoreState(text, options) {
      nativeSide();
      const t = clock(options);
      return outcome(core.restoreState(str(text, 'signed state'), t));
    },
  };
}

/** The report log and the anti-rollback floor, as guard methods. */
function reportsAndFloor(core) {
  return {
    /**
     * Drains the violation reports the wasm guard recorded at every check
     * (guard-core report.rs: denials and report-mode passes, aggregated, at
     * most 100, none older than 15 minutes): `body` is the JSON to POST to
     * the superapp's reports URL, `reports` how many it holds, `dropped` how
     * many denials did not fit.
     */
    takeReports(options) {
      const body = core.takeReports(clock(options));
      const b = parse(body);
      return freeze({ body, reports: b.reports.length, dropped: b.dropped });
    },
    /** Puts the last taken batch back when it could not be sent (merged within the bounds). */
    requeueReports(options) {
      core.requeueReports(clock(options));
    },
    /** The anti-rollback floor to persist with the bundle (JSON), or null before any load. */
    floor() {
      const f = core.floor();
      return f === null || f === '' ? null : f;
    },
    /** Restores a persisted floor before anything is loaded after a restart. */
    restoreFloor(floorText) {
      const code = core.restoreFloor(str(floorText, 'floor'));
      if (code !== 0) throw new ErrorCtor(`floor refused: ${code === 1 ? core.message() : `raw ABI error ${code}`}`);
    },
  };
}

/**
 * A setter for `key` of `obj`, captured now: the accessor's setter, or a
 * defineProperty of an own data property. Never an assignment, which could
 * run a setter planted on a prototype with `obj` as `this`.
 */
function findSetter(obj, key) {
  for (let o = obj; o !== null; o = getPrototypeOf(o)) {
    const d = desc(o, key);
    if (d === undefined) continue;
    if (d.set !== undefined) { const set = d.set; return (v) => { apply(set, obj, [v]); }; }
    if (d.data) return (v) => { own(obj, key, v); };
    return undefined;
  }
  return (v) => { own(obj, key, v); };
}

/** `guard.webView(appId, { element })`: vets a web-view's src and every navigation. */
function webViews(tables, checks, violations) {
  const { KIND, allows, decisionObject } = tables;
  return function webView(appId, webOptions) {
    str(appId, 'appId');
    const element = webOptions ? webOptions.element : undefined;
    const setSrc = element ? findSetter(element, 'src') : undefined;
    const vet = (url) => {
      const u = StringCtor(url);
      const r = checks.urlCheck(appId, KIND.webview, u, now(), undefined, true);
      violations.count(r.v, appId, 'web-view', u);
      return r;
    };
    return freeze({
      /** Whether a navigation to `url` may happen (for a native navigation hook). */
      shouldLoad(url) { return allows(vet(url).v); },
      /** Vets `url` and, when allowed, points the element at its href. Answers the decision. */
      navigate(url) {
        const r = vet(url);
        const decision = decisionObject(r.v, r.message, r.href);
        if (decision.allow && setSrc && r.href !== null) setSrc(r.href);
        return decision;
      },
    });
  };
}

/**
 * Re-keys the guard (P6): a new guard with `keySet` in the same instance
 * (the report log is the instance's, so nothing recorded is lost), the
 * floor restored, the last good bundle loaded again. Synchronous, so no
 * check runs in between. Refused keys put the previous guard back exactly
 * (same keys, floor and bundle). Answers `{ ok, message, load }`.
 */
function rekeyOf(core, tables, checks, state) {
  return function rekey(keySet, options) {
    if (state.keyText === undefined) throw new TypeErrorCtor('a native back end is re-keyed by its native side');
    const t = clock(options);
    str(keySet, 'key set');
    const floorText = core.floor();
    const created = core.create(keySet);
    const ok = created === 0;
    const message = ok ? '' : `invalid guard key: ${core.message() || `raw ABI error ${created}`}`;
    // Refused: back to the previous guard (its keys were valid), or to none.
    if (ok) state.keyText = keySet;
    else if (state.keyText !== null) core.create(state.keyText);
    const reintern = checks.reset();
    let load = null;
    if (state.keyText !== null) {
      if (typeof floorText === 'string' && floorText !== '') core.restoreFloor(floorText);
      if (state.lastGood !== null) {
        const code = core.load(state.lastGood, t);
        if (code !== 0) state.lastGood = null;
        load = tables.loadName(code);
      }
    }
    reintern();
    return freeze({ ok, message, load: ok ? load : null });
  };
}
