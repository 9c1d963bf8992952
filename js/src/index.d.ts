// Types of @miniprogram-guard/bridge. The wasm module's own generated types
// are in ../pkg/guard_wasm.d.ts (built by scripts/build-wasm.sh).

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
  | 'expired';

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
   * The wx function (`request`, `getLocation`, ...), `web-view`, a component
   * (`image`, ...), or a returned object's door (`createInnerAudioContext.src`,
   * `createUDPSocket.send`).
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
   * src and poster, live-player src, live-pusher url, map marker icons, web-view
   * src; js/src/doors.js COMPONENTS). Render `href` when allowed.
   */
  checkAttribute(appId: string, component: string, attribute: string, value: string, options?: ClockOptions): TargetDecision;
  /**
   * The namespace a mini program gets: a frozen copy of `wx` whose every
   * function is checked on every call, and every network target of
   * js/src/doors.js checked and handed on as its href.
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
   * The superapp's SecretKey (HS256; 16, 24 or 32 ASCII letters and digits).
   * Whoever reads the guard's memory can then forge bundles; prefer `keys`.
   */
  secret?: string;
  /** Ed25519 public keys (EdDSA bundles by `kid`): the recommended configuration. At least one of `secret`/`keys`. */
  keys?: Ed25519PublicJwk[];
  /** The module (bytes, compiled module or URL); defaults to ../pkg/guard_wasm_bg.wasm. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
}

export function createGuard(options: CreateGuardOptions): Promise<Guard>;

