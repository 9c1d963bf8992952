//! The guard's documented safety bounds. A bundle or policy beyond them is
//! refused at load time (`malformed_bundle` or `invalid_policy`), and a URL
//! beyond them is `invalid_url`, so no input can make the guard use unbounded
//! memory or time. The console's own limits are lower (30 server domains per
//! app by default, as the seeds say).

/// Largest bundle accepted, in bytes (a 100,000-app policy fits comfortably).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;
/// Most apps in one policy.
pub const MAX_APPS: usize = 100_000;
/// Most entries in one app's `server_domains` or `webview_domains`.
pub const MAX_DOMAINS_PER_LIST: usize = 1_000;
/// Most names in one app's `api_whitelist` or `granted_apis`.
pub const MAX_APP_API_LIST: usize = 10_000;
/// Most entries in `sensitive_apis`.
pub const MAX_SENSITIVE_APIS: usize = 10_000;
/// Most names in `builtin_apis`.
pub const MAX_BUILTIN_APIS: usize = 10_000;
/// Longest app id, API name or superapp id, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest sensitive API description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 4_096;
/// Longest URL checked, in bytes: Chromium's own limit (`url::kMaxURLChars`).
pub const MAX_URL_BYTES: usize = 2 * 1024 * 1024;
/// Most distinct API names (or app ids) a guard interns over its lifetime;
/// ids stay stable across policy updates, so the table only grows.
pub const MAX_INTERNED: usize = 1 << 20;
/// Most names a guard interns for callers (`api_id`, `app_handle`) that no
/// policy or catalogue mentioned; beyond it a caller gets `None` and checks by
/// name. Separate from [`MAX_INTERNED`], so callers never make a load fail.
pub const MAX_CALLER_NAMES: usize = 4_096;
/// Most patterns in `blocked_hosts`.
pub const MAX_BLOCKED_HOSTS: usize = 10_000;
/// Longest release `version`, in characters (`policy.md` §1).
pub const MAX_VERSION_CHARS: usize = 64;
/// Most redirect hops an enforcement point follows (`policy.md` §3.6): the
/// next one is `invalid_url`.
pub const MAX_REDIRECT_HOPS: u32 = 10;
/// Largest key-set `version` (§2.1): 2^53-1, the largest integer every JSON
/// reader (JavaScript's included) reads exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Most keys in one key set (§2.1).
pub const MAX_KEYSET_KEYS: usize = 16;
/// Most root keys a guard is created with.
pub const MAX_ROOTS: usize = 16;
/// Most local prefixes a guard is created with (§3.7).
pub const MAX_LOCAL_PREFIXES: usize = 64;
