// Types of @miniprogram-guard/bridge. The shipped module has no JS API of its
// own (the raw ABI, docs/wasm-host.md); the tools-only façade's generated
// types are in ../pkg-tools/guard_wasm.d.ts (built by scripts/build-wasm.sh).

/** A deny code of docs/policy.md §3.4. */
export type DenyCode =
  | 'no_policy'
  | 'unknown_app'
  | 'api_not_whitelisted'
  | 'permission_not_granted'
  | 'invalid_url'
  | 'insecure_scheme'
  | 'domain_not_whitelisted'
  | 'port_not_allowed'
  | 'domain_blocked'
  | 'app_removed'
  | 'version_not_released';

/** A load outcome of docs/policy.md §2. */
export type LoadCode =
  | 'ok'
  | 'malformed_bundle'
  | 'unsupported_alg'
  | 'unknown_key'
  | 'bad_signature'
  | 'invalid_policy'
  | 'stale_version'
  | 'expired'
  /** Contract v3: a key set whose header, payload or superapp is not valid (§2.1). */
  | 'invalid_keyset';

/** The decision object of docs/policy.md §3, as guard-core's `Decision` serialises. */
export interface Decision {
  allow: boolean;
  /** `null` when allowed outright; set (with `allow: true`) when report mode let a denial through. */
  code: DenyCode | null;
  /** The `errMsg`: `<api>:ok` or `<api>:fail <reason>`. */
  message: string;
  /** Present (and `true`) only when report mode let a would-be denial through. */
  reported?: true;
  /** Present whenever `code` is set: the runtimes' errno. */
  errno?: number;
}

/**
 * A decision for a URL, raw socket or redirect check. `href` is set when the
 * check allowed (or report mode let it through) and the target parsed: the
 * URL as the WHATWG parser serialised it (for tcp/udp: the host). It is what
 * to hand on; never the caller's string (contract v2 §3.7). Always an own
 * property (`null` otherwise), so a value planted on Object.prototype is
 * never read in its place. (`reported` and `errno`, absent when the contract
 * says so, are read through the prototype when absent: test them with
 * `Object.hasOwn` in a realm mini program code has touched.)
 */
export interface TargetDecision extends Decision {
  href: string | null;
}

export interface LoadResult {
  code: LoadCode;
  /** Why a load was refused; `''` when `code` is `ok`. */
  message: string;
}

/** Unix seconds; defaults to `Math.floor(Date.now() / 1000)`. */
export interface ClockOptions {
  now?: number;
}

export interface Violation {
  appId: string;
  /**
   * The wx function (`request`, `cloud.callFunction`, ...), `web-view`, a
   * component (`image`, ...), or the member of a returned object the mini
   * program used, by its interface (`InnerAudioContext.src`,
   * `UDPSocket.send`, `MapContext.addMarkers`).
   */
  api: string;
  code: DenyCode;
  /** The URL as checked, for URL checks. */
  url: string | undefined;
  /** `true` when report mode let the call through. */
  reported: boolean;
}

export interface Counters {
  checks: number;
  allowed: number;
  denied: number;
  reported: number;
  byCode: Readonly<Partial<Record<DenyCode, number>>>;
}

/** What a denied `fail`/`complete` callback receives, and what a denied promise rejects with. */
export interface FailResult {
  errMsg: string;
  errno: number;
}

/** A rich-text node as the component takes it. */
export interface RichTextNode {
  name?: string;
  type?: 'node' | 'text';
  text?: string;
  attrs?: Readonly<Record<string, string>>;
  children?: readonly RichTextNode[];
}

/** checkAttribute's answer for a rich-text node tree. */
export interface RichTextDecision extends Decision {
  href: readonly RichTextNode[] | null;
}

export interface WebViewGuard {
  /** Whether a navigation to `url` may happen (for a native navigation hook). */
  shouldLoad(url: string): boolean;
  /** Vets `url`; when allowed, sets the element's `src` to its href. */
  navigate(url: string): TargetDecision;
}

export interface Guard {
  load(bundle: string, options?: ClockOptions): LoadResult;
  checkApi(appId: string, name: string, options?: ClockOptions): Decision;
  checkRequest(appId: string, url: string, options?: ClockOptions): TargetDecision;
  checkUpload(appId: string, url: string, options?: ClockOptions): TargetDecision;
  checkDownload(appId: string, url: string, options?: ClockOptions): TargetDecision;
  checkSocket(appId: string, url: string, options?: ClockOptions): TargetDecision;
  checkWebview(appId: string, url: string, options?: ClockOptions): TargetDecision;
  /**
   * A media source (contract v3 §3.7): classified by guard-core (inline,
   * platform file, package path, local prefix, or network, checked against
   * the media list); `href` is what to hand on when allowed.
   */
  checkMedia(appId: string, url: string, options?: ClockOptions): TargetDecision;
  /**
   * Contract v3 (§2.1): loads a key set (a JWS signed by one of the guard's
   * roots); bundles then verify with its keys only. A guard created without
   * `roots` answers `unknown_key`.
   */
  loadKeys(keyset: string, options?: ClockOptions): LoadResult;
  /**
   * Contract v3: what to persist after every successful load (JSON: the key
   * set in force and the bundle at the floor, as received), or `null` for a
   * guard created without `roots` (which persists `floor()`).
   */
  signedState(): string | null;
  /**
   * Restores a `signedState()` into a guard that has loaded nothing: every
   * document is verified against the roots again, so stored text can
   * neither lower nor raise a floor.
   */
  restoreState(state: string, options?: ClockOptions): LoadResult;
  /** A raw TCP target (§3.7); `href` is the host as serialised. A port that is not an integer 0..2^32-1 is invalid_url. */
  checkTcp(appId: string, host: string, port: number, options?: ClockOptions): TargetDecision;
  /** A raw UDP target (§3.7). */
  checkUdp(appId: string, host: string, port: number, options?: ClockOptions): TargetDecision;
  /** Before a code package runs (§3.5). */
  checkLaunch(appId: string, release: { version: string; packageSha256: string }, options?: ClockOptions): Decision;
  /** A redirect hop (§3.6), `hop` from 1; `href` is the absolute target to connect to. */
  checkRedirect(appId: string, kind: 'request' | 'upload' | 'download', fromHref: string, location: string, hop: number, options?: ClockOptions): TargetDecision;
  /**
   * A component attribute the base library renders (image/cover-image/video/audio
   * src and poster, live-player src, live-pusher url and waiting-image, map
   * marker icons, web-view src, any component's `style` (every `url(...)`),
   * rich-text `nodes`; js/src/doors.js COMPONENTS). Render `href` when
   * allowed: the value with every target replaced by what was checked.
   */
  checkAttribute(appId: string, component: string, attribute: string, value: string, options?: ClockOptions): TargetDecision;
  /** rich-text `nodes` as a node tree: `href` is the tree to render, every src, poster and style url checked. */
  checkAttribute(appId: string, component: 'rich-text', attribute: 'nodes', value: readonly RichTextNode[], options?: ClockOptions): RichTextDecision;
  /**
   * The namespace a mini program gets: a mirror of `wx` that takes the mini
   * program's own properties, whose members cannot be replaced, and whose
   * every function (nested namespaces, constructors, accessors and members
   * added later included) is checked on every call, with every network
   * target of js/src/doors.js checked and handed on as its href. Throws a
   * TypeError for a sloppy-mode (classic-script) function of `wx`.
   */
  wrap<T extends object>(wx: T, options: { appId: string }): Readonly<T>;
  /** Vets a web-view's initial `src` and every navigation. */
  webView(appId: string, options?: { element?: { src: string } }): WebViewGuard;
  /**
   * Calls `listener` on every denial (and report-mode pass) of a wrapped `wx`
   * call, a web-view navigation or a component attribute; answers an
   * unsubscribe function. The direct `check*` methods only answer: a native
   * layer that calls them (redirect hops) records its own denials.
   */
  onViolation(listener: (violation: Violation) => void): () => void;
  /**
   * Drains the violation reports the wasm guard recorded at every check
   * (denials and report-mode passes, aggregated; at most 100, none older than
   * 15 minutes). POST `body` to the superapp's `reports_url`.
   */
  takeReports(options?: ClockOptions): Readonly<{ body: string; reports: number; dropped: number }>;
  /** Puts the batch the last takeReports answered back, when it could not be sent (merged within the bounds). */
  requeueReports(options?: ClockOptions): void;
  /** The anti-rollback floor (JSON) to persist with the bundle; `null` before anything loaded. */
  floor(): string | null;
  /** Restores a persisted floor before anything is loaded after a restart; throws if refused. */
  restoreFloor(floor: string): void;
  counters(): Counters;
}

/** An Ed25519 public key as RFC 8037 writes it; a JWK with `d` is refused. */
export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  kid: string;
  x: string;
}

export interface CreateGuardOptions {
  /**
   * Contract v3, the recommended configuration: the superapp's root public
   * keys. Signing keys then arrive only in key sets a root signed
   * (`loadKeys`). Never together with `secret` or `keys` (a TypeError).
   */
  roots?: Ed25519PublicJwk[];
  /** The superapp the roots serve; goes with `roots`. */
  superappId?: string;
  /**
   * The superapp's SecretKey (HS256; 16, 24 or 32 ASCII letters and digits).
   * Whoever reads the guard's memory can then forge bundles; prefer `roots`.
   */
  secret?: string;
  /** Ed25519 public keys (EdDSA bundles by `kid`, contract v2). Without `roots`, at least one of `secret`/`keys`. */
  keys?: Ed25519PublicJwk[];
  /** The module (bytes, compiled module or URL: one served as application/wasm is compiled while it downloads); defaults to ../pkg/guard_wasm_bg.wasm. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
  /**
   * A native back end instead of the wasm module (required where the engine
   * has no WebAssembly): the base library's synchronous JS-to-native call,
   * one JSON request in, one JSON answer out (docs/js-bridge.md, "Native back
   * end"). The keys are then the native side's: give neither `secret` nor
   * `keys`. Malformed answers deny `no_policy`.
   */
  native?: NativeCall;
  /**
   * Where the host serves local files over a URL (the devtools' `http://tmp/`):
   * absolute URLs whose path ends in `/`. A media target under one is local
   * (contract v3 §3.7); guard-core vets the prefixes (createGuard rejects
   * one that is not a folder URL) and classifies media with them.
   */
  localPrefixes?: string[];
}

/** The base library's synchronous JS-to-native call (docs/protocols.md P4). */
export type NativeCall = (request: string) => string;

/**
 * Rejects with an `Error` where the engine has no WebAssembly and no
 * `native` is given, and with a `TypeError` on bad options.
 */
export function createGuard(options: CreateGuardOptions): Promise<Guard>;

/**
 * The superapp's configuration file (`GET /api/v1/superapps/{sid}/config.json`,
 * docs/server.md): the fields the sync reads. Unknown fields are ignored.
 */
export interface SuperappConfig {
  format: 'guard-superapp-config/1';
  superapp_id: string;
  server_url: string;
  bundle_url: string;
  app_bundle_url_template?: string;
  /** keys.json (contract v2); read only by the test-only sync without roots. */
  keys_url?: string;
  /** The key set (contract v3, a JWS signed by a root); derived from `server_url` when absent. */
  keyset_url?: string;
  /** docs/protocols.md P2; derived from `server_url` when absent. */
  reports_url?: string;
  /** What to put in `Prefer: wait=` (P1, P5); 25 when absent. */
  long_poll_seconds?: number;
  [field: string]: unknown;
}

/** What the sync needs of an HTTP response: a WHATWG `Response`, or a base library's own with the same members. */
export interface SyncResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The injected fetch: WHATWG `fetch`, or the base library's own network call with its shape. */
export type SyncFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<SyncResponse>;

/**
 * Where the sync keeps the bundle, key set and anti-rollback floor across
 * restarts: an async key/value store of strings, private to the base library
 * (never one mini programs reach through `wx.setStorage`). `set` must
 * replace a value all or nothing. Synchronous implementations may return
 * plain values.
 */
export interface SyncStorage {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  set(key: string, value: string): Promise<void> | void;
}

/** The name of the option that runs a sync without roots: for tests only. */
export const TEST_ONLY_NO_ROOTS: 'insecureTestOnlyKeysJsonWithoutRoots';

export interface SyncOptions {
  /**
   * Contract v3: the superapp's root public keys, from the host's native
   * code (never from the network or storage). Key sets and bundles count
   * only when these lead to them. Required: a sync without roots is refused.
   */
  roots?: Ed25519PublicJwk[];
  /**
   * Test-only: a sync without roots that trusts keys.json as served, i.e.
   * whoever answers the fetch (a proxy, or mini program code in the realm).
   */
  insecureTestOnlyKeysJsonWithoutRoots?: true;
  /** The key set's URL; defaults to the configuration's `keyset_url`, else `<server_url>/api/v1/superapps/{sid}/keyset`. */
  keysetUrl?: string;
  /** As createGuard's. */
  localPrefixes?: string[];
  /** The configuration file's URL (fetched at start; the copy in storage is used when offline). */
  configUrl?: string;
  /** Or the configuration itself. Exactly one of the two. */
  config?: SuperappConfig;
  /** Defaults to the realm's `fetch` as it was when the bridge was evaluated. */
  fetch?: SyncFetch;
  storage: SyncStorage;
  /** Sync one app's bundle (`app_bundle_url_template`) instead of the superapp's. */
  app?: string;
  /** Unix seconds; defaults to `Date.now()`. Used for loads, reports and Retry-After. */
  now?: () => number;
  /** `Prefer: wait=` seconds; defaults to the configuration's `long_poll_seconds`, else 25; 0 never asks. */
  longPollSeconds?: number;
  /** Between rounds when the server does not hold requests (jittered ±20 %); 30. */
  intervalSeconds?: number;
  /** First backoff cap after a failure (doubling, full jitter); 1. */
  backoffSeconds?: number;
  /** Largest backoff; 300. */
  maxBackoffSeconds?: number;
  /** The least time between the starts of two rounds (a server answering at once cannot drive more); 1. */
  minRoundSeconds?: number;
  /** Per request (a held one gets the wait on top); 15. */
  requestTimeoutSeconds?: number;
  /** Between report sends; 60. */
  reportIntervalSeconds?: number;
  /** Storage keys are `<prefix>state` and `<prefix>floor`; `miniprogram-guard/sync/`. */
  storagePrefix?: string;
  /** The wasm module, as for createGuard. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
}

export interface SyncStatus {
  superappId: string;
  /** The policy version in force, null when none is. */
  version: number | null;
  /** The ETag of the bundle in force. */
  etag: string | null;
  keysEtag: string | null;
  /** What the start made of storage: `none`, `loaded`, or `refused: <why>` (then fetched again). */
  stored: string;
  /** The last round reached the server. */
  online: boolean;
  /** The server held the last request (P1); false: the sync polls on its interval. */
  longPoll: boolean;
  /** Rounds failed in a row. */
  failures: number;
  rounds: number;
  /** Unix seconds of the last round that reached the server. */
  lastSuccess: number | null;
  lastError: string | null;
  /** Why the last bundle or key set the server sent was not put in force (e.g. `stale_version`). */
  lastRefusal: string | null;
  storageError: string | null;
  reports: Readonly<{ sent: number; refused: number; retryAt: number | null }>;
  stopped: boolean;
}

export interface SyncChange {
  reason: 'bundle' | 'keys';
  version: number | null;
  etag: string | null;
}

/** What `background()` did with the queued reports. */
export type ReportOutcome = 'sent' | 'empty' | 'requeued' | 'refused' | 'retry_later' | 'busy';

export interface Synced {
  /** The guard the sync keeps in force: wrap with it. */
  readonly guard: Guard;
  status(): Readonly<SyncStatus>;
  /** The bundle and key set (JWS; keys.json without roots) in force: signed, public data. */
  current(): Readonly<{ bundle: string | null; etag: string | null; keys: string | null }>;
  /** A round now (a long-poll cut short); resolves with the status after it. */
  refresh(): Promise<Readonly<SyncStatus>>;
  /** Call when the app goes to the background: sends the queued violation reports now. */
  background(): Promise<ReportOutcome>;
  onChange(listener: (change: Readonly<SyncChange>) => void): () => void;
  onStatus(listener: (status: Readonly<SyncStatus>) => void): () => void;
  /** Stops syncing; what is in force stays in force. */
  stop(): Promise<void>;
}

/**
 * Creates a guard with `roots` and keeps it in step with the superapp's
 * server (docs/js-bridge.md, "Sync"): key sets and bundles verified against
 * the roots, the signed state persisted. Resolves once the guard enforces
 * what storage held or, with nothing usable stored, after the first round
 * with the server. Rejects without `roots` (TypeError). Needs WebAssembly (a
 * native back end is synced by its native side).
 */
export function sync(options: SyncOptions): Promise<Synced>;

