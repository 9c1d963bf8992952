// What a sync is configured with: its options (checked when `sync` is
// called, the injected functions captured then) and the superapp's
// configuration file (docs/server.md), with the URLs it derives.

import { seconds, own, indexOf, slice, TypeErrorCtor, ErrorCtor } from './sync-safe.js';
import { globalFetch } from './sync-http.js';

const { freeze } = Object;
const { apply } = Reflect;
const isArray = Array.isArray;
const numberIsInteger = Number.isInteger;
const encodeComponent = encodeURIComponent;

/** The configuration file's format (docs/server.md). */
export const CONFIG_FORMAT = 'guard-superapp-config/1';
const DEFAULTS = freeze({
  longPollSeconds: 25,
  intervalSeconds: 30,
  backoffSeconds: 1,
  maxBackoffSeconds: 300,
  requestTimeoutSeconds: 15,
  reportIntervalSeconds: 60,
  // The Rust SDK's pacing (SyncTiming::min_round_interval): a server or proxy
  // that answers a long-poll at once cannot drive more than one round a second.
  minRoundSeconds: 1,
  storagePrefix: 'miniprogram-guard/sync/',
});
export const DEFAULT_LONG_POLL = DEFAULTS.longPollSeconds;

/**
 * The name of the one way to run a sync without roots: for tests against a
 * server that serves only keys.json. Such a sync trusts whatever the
 * transport (or mini program code in the realm) answers as keys.json.
 */
export const TEST_ONLY_NO_ROOTS = 'insecureTestOnlyKeysJsonWithoutRoots';

/** The sync's options, checked, with defaults: a frozen record. Throws a TypeError naming the first bad one. */
export function readOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeErrorCtor('sync needs `{ roots, config | configUrl, fetch, storage }`');
  const fetchFn = options.fetch === undefined ? globalFetch : options.fetch;
  if (typeof fetchFn !== 'function') throw new TypeErrorCtor('`fetch` must be a function (url, init) => Promise<Response>');
  const storage = options.storage;
  if (storage === null || (typeof storage !== 'object' && typeof storage !== 'function')) throw new TypeErrorCtor('`storage` must be an object with async `get(key)` and `set(key, value)`');
  const storageGet = storage.get;
  const storageSet = storage.set;
  if (typeof storageGet !== 'function' || typeof storageSet !== 'function') throw new TypeErrorCtor('`storage` must have `get(key)` and `set(key, value)` functions');
  const app = options.app;
  if (app !== undefined && (typeof app !== 'string' || app === '')) throw new TypeErrorCtor('`app` must be a non-empty string');
  const config = options.config;
  const configUrl = options.configUrl;
  if ((config === undefined) === (configUrl === undefined)) throw new TypeErrorCtor('sync needs exactly one of `config` and `configUrl`');
  if (configUrl !== undefined && typeof configUrl !== 'string') throw new TypeErrorCtor('`configUrl` must be a string');
  const trust = trustOf(options);
  const keysetUrl = options.keysetUrl;
  if (keysetUrl !== undefined && (typeof keysetUrl !== 'string' || keysetUrl === '')) throw new TypeErrorCtor('`keysetUrl` must be a non-empty string');
  const nowFn = options.now;
  if (nowFn !== undefined && typeof nowFn !== 'function') throw new TypeErrorCtor('`now` must be a function answering unix seconds');
  const opt = (k, min, max) => (options[k] === undefined ? DEFAULTS[k] : seconds(options[k], k, min, max));
  const prefix = options.storagePrefix === undefined ? DEFAULTS.storagePrefix : options.storagePrefix;
  if (typeof prefix !== 'string') throw new TypeErrorCtor('`storagePrefix` must be a string');
  const localPrefixes = options.localPrefixes;
  if (localPrefixes !== undefined && !isArray(localPrefixes)) throw new TypeErrorCtor('`localPrefixes` must be an array of URLs');
  return freeze({
    __proto__: null,
    fetchFn, storage, storageGet, storageSet, app, trust, config, configUrl, keysetUrl, nowFn, prefix,
    localPrefixes: localPrefixes === undefined ? undefined : freeze([...localPrefixes]),
    wasm: options.wasm,
    intervalSeconds: opt('intervalSeconds', 0.01, 86400),
    backoffSeconds: opt('backoffSeconds', 0.01, 3600),
    maxBackoffSeconds: opt('maxBackoffSeconds', 0.01, 86400),
    requestTimeoutSeconds: opt('requestTimeoutSeconds', 0.1, 3600),
    reportIntervalSeconds: opt('reportIntervalSeconds', 0.01, 86400),
    minRoundSeconds: opt('minRoundSeconds', 0.01, 3600),
    longPollOverride: options.longPollSeconds === undefined ? undefined : seconds(options.longPollSeconds, 'longPollSeconds', 0, 300),
  });
}

/**
 * What the sync trusts for keys: `{ roots }` (contract v3: the root public
 * JWKs the host passes in, from native code), or, only when the option named
 * TEST_ONLY_NO_ROOTS is `true`, `{ roots: null }` (keys.json as served).
 * A sync with neither is refused: the bridge is safe by default.
 */
function trustOf(options) {
  const roots = options.roots;
  const testOnly = options[TEST_ONLY_NO_ROOTS];
  if (testOnly !== undefined && testOnly !== true) throw new TypeErrorCtor(`\`${TEST_ONLY_NO_ROOTS}\` is true or absent`);
  if (testOnly === true) {
    if (roots !== undefined) throw new TypeErrorCtor(`\`roots\` and \`${TEST_ONLY_NO_ROOTS}\` exclude each other`);
    return freeze({ __proto__: null, roots: null });
  }
  if (roots === undefined) {
    throw new TypeErrorCtor('sync needs `roots`: the superapp\'s root public keys, passed in by the host (contract v3 §2.1); '
      + 'without them whoever answers the fetch (a proxy, or mini program code in this realm) chooses the keys');
  }
  if (!isArray(roots) || roots.length === 0) throw new TypeErrorCtor('`roots` must be a non-empty array of root public JWKs');
  return freeze({ __proto__: null, roots: freeze([...roots]) });
}

/** `{app_id}` in a configuration template, replaced by the percent-encoded app id. */
function fill(template, app) {
  const at = indexOf(template, '{app_id}');
  if (at < 0) throw new TypeErrorCtor('the configuration\'s `app_bundle_url_template` has no `{app_id}`');
  return slice(template, 0, at) + apply(encodeComponent, undefined, [app]) + slice(template, at + 8);
}

/**
 * The configuration file, checked: the fields the sync uses. Throws a
 * TypeError naming the first bad field. `keysetUrl` (an option) overrides
 * the file's `keyset_url`; without either, the key-set URL is derived from
 * `server_url` (`<base>/api/v1/superapps/{sid}/keyset`), as the reports URL.
 */
export function checkConfig(c, app, keysetUrl) {
  if (c === null || typeof c !== 'object' || isArray(c)) throw new TypeErrorCtor('the configuration must be a JSON object');
  const str = (k, optional) => {
    const v = own(c, k);
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') throw new TypeErrorCtor(`the configuration's \`${k}\` must be a non-empty string`);
    return v;
  };
  if (own(c, 'format') !== CONFIG_FORMAT) throw new TypeErrorCtor(`the configuration's \`format\` must be \`${CONFIG_FORMAT}\``);
  const superappId = str('superapp_id');
  const serverUrl = str('server_url');
  const bundleUrl = app === undefined ? str('bundle_url') : fill(str('app_bundle_url_template'), app);
  const keysUrl = str('keys_url', true);
  const base = `${serverUrl[serverUrl.length - 1] === '/' ? slice(serverUrl, 0, serverUrl.length - 1) : serverUrl}/api/v1/superapps/${apply(encodeComponent, undefined, [superappId])}`;
  // docs/protocols.md P2: the path is fixed; older configuration files lack the field.
  const reportsUrl = str('reports_url', true) ?? `${base}/reports`;
  const keyset = keysetUrl ?? str('keyset_url', true) ?? `${base}/keyset`;
  const lp = own(c, 'long_poll_seconds');
  if (lp !== undefined && (!numberIsInteger(lp) || lp < 0 || lp > 300)) throw new TypeErrorCtor('the configuration\'s `long_poll_seconds` must be an integer from 0 to 300');
  return freeze({ __proto__: null, superappId, bundleUrl, keysUrl, keysetUrl: keyset, reportsUrl, longPollSeconds: lp });
}

/** Why a sync cannot start without a configuration. */
export const noConfig = (url, why) => new ErrorCtor(`cannot start: the configuration ${url} could not be fetched (${why}) and none is stored`);
