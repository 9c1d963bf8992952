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
  | 'port_not_allowed';

/** A load outcome of docs/policy.md §2. */
export type LoadCode =
  | 'ok'
  | 'malformed_bundle'
  | 'unsupported_alg'
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
  /** The wx function (`request`, `getLocation`, ...) or `web-view`. */
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
  /** Vets `url`; when allowed, sets the element's `src` to it. */
  navigate(url: string): Decision;
}

export interface Guard {
  load(bundle: string, options?: ClockOptions): LoadResult;
  checkApi(appId: string, name: string, options?: ClockOptions): Decision;
  checkRequest(appId: string, url: string, options?: ClockOptions): Decision;
  checkUpload(appId: string, url: string, options?: ClockOptions): Decision;
  checkDownload(appId: string, url: string, options?: ClockOptions): Decision;
  checkSocket(appId: string, url: string, options?: ClockOptions): Decision;
  checkWebview(appId: string, url: string, options?: ClockOptions): Decision;
  /**
   * The namespace a mini program gets: a frozen copy of `wx` whose every
   * function is checked on every call.
   */
  wrap<T extends object>(wx: T, options: { appId: string }): Readonly<T>;
  /** Vets a web-view's initial `src` and every navigation. */
  webView(appId: string, options?: { element?: { src: string } }): WebViewGuard;
  /** Calls `listener` on every denial (and report-mode pass); answers an unsubscribe function. */
  onViolation(listener: (violation: Violation) => void): () => void;
  counters(): Counters;
}

export interface CreateGuardOptions {
  /** The superapp's SecretKey (16, 24 or 32 ASCII letters and digits). */
  secret: string;
  /** The module (bytes, compiled module or URL); defaults to ../pkg/guard_wasm_bg.wasm. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
}

export function createGuard(options: CreateGuardOptions): Promise<Guard>;

export declare const KIND: Readonly<{ api: 0; request: 1; upload: 2; download: 3; socket: 4; webview: 5 }>;
