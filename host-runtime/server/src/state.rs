//! What every handler shares: the store, the clock, the limits and the
//! bundle cache.

use std::sync::Arc;

use crate::clock::Clock;
use crate::distribution::cache::BundleCache;
use crate::distribution::sealing::Kek;
use crate::password::Hasher;
use crate::reports::rate::{Rate, RateLimits};
use crate::store::Store;

/// Configurable limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Most server domains per app (the seeds' 30 by default).
    pub max_server_domains: usize,
    /// Most web-view domains per app.
    pub max_webview_domains: usize,
    /// Most API whitelist entries per app.
    pub max_api_whitelist: usize,
    /// Largest code package (a version's zip), in bytes.
    pub max_package_bytes: usize,
    /// How many versions (and bytes of packages) an app and a team may
    /// hold, and upload per hour.
    pub upload_quota: UploadQuota,
    /// Most seconds a bundle request is held (`Prefer: wait`); 0: never.
    pub max_wait_secs: u64,
    /// Most bundle requests held at once; beyond, they are answered at once.
    pub max_waiters: usize,
    /// Violation reports accepted per client address (an IPv6 /64).
    pub reports_per_address: Rate,
    /// Batches of violation reports accepted per app.
    pub reports_per_app: Rate,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 64 * 1024,
            max_server_domains: 30,
            max_webview_domains: 30,
            max_api_whitelist: 200,
            max_package_bytes: DEFAULT_MAX_PACKAGE_BYTES,
            upload_quota: UploadQuota::default(),
            max_wait_secs: DEFAULT_MAX_WAIT_SECS,
            max_waiters: DEFAULT_MAX_WAITERS,
            reports_per_address: DEFAULT_REPORTS_PER_ADDRESS,
            reports_per_app: DEFAULT_REPORTS_PER_APP,
        }
    }
}

/// Reports per client address by default: a burst of 120, then 10 a second
/// (devices behind one carrier-grade NAT share an address; each sends once
/// a minute and when its app goes to the background).
pub const DEFAULT_REPORTS_PER_ADDRESS: Rate = Rate {
    per_minute: 600,
    burst: 120,
};

/// Report batches per app by default: a burst of 1,000, then 100 a second.
pub const DEFAULT_REPORTS_PER_APP: Rate = Rate {
    per_minute: 6000,
    burst: 1000,
};

/// Most seconds a bundle request is held by default (`--max-wait-seconds`;
/// the long-poll is `distribution::longpoll`).
pub const DEFAULT_MAX_WAIT_SECS: u64 = 30;

/// Most bundle requests held at once by default (`--max-waiters`).
pub const DEFAULT_MAX_WAITERS: usize = 100_000;

/// Largest code package by default: 8 MiB (`--max-package-bytes`).
pub const DEFAULT_MAX_PACKAGE_BYTES: usize = 8 * 1024 * 1024;

/// The upload quotas (`guard serve --max-versions-per-app` …): versions are
/// never deleted, so these bound what one team can make the server store
/// (decision 423).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadQuota {
    /// Most versions of one app (429 beyond).
    pub versions_per_app: u64,
    /// Most bytes of packages, all versions of one app together (413).
    pub bytes_per_app: u64,
    /// Most versions of all of a team's apps together (429).
    pub versions_per_team: u64,
    /// Most bytes of packages of all of a team's apps together (413).
    pub bytes_per_team: u64,
    /// Most versions a team uploads in any hour (429 with `Retry-After`).
    pub uploads_per_team_per_hour: u64,
}

impl Default for UploadQuota {
    fn default() -> UploadQuota {
        UploadQuota {
            versions_per_app: 200,
            bytes_per_app: 512 * 1024 * 1024,
            versions_per_team: 1000,
            bytes_per_team: 2 * 1024 * 1024 * 1024,
            uploads_per_team_per_hour: 60,
        }
    }
}

/// How many scopes (superapps, or single apps) the bundle cache keeps.
pub const BUNDLE_CACHE_SCOPES: usize = 4096;

/// How long a server-signed key set stays valid by default: 28 days, four
/// bundle lifetimes, so a device that was offline for a bundle's whole life
/// still finds its key set in force; re-issued after 14 (decision 362).
pub const DEFAULT_KEYSET_LIFETIME: i64 = 28 * 86_400;

/// How long a bundle stays valid by default: 7 days (`--bundle-lifetime-days`).
pub const DEFAULT_BUNDLE_LIFETIME: i64 = 7 * 86_400;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The clock.
    pub clock: Clock,
    /// The limits.
    pub limits: Arc<Limits>,
    /// Signed bundles by scope and version.
    pub bundles: BundleCache,
    /// Seconds from a bundle's `issued_at` to its `expires_at`.
    pub bundle_lifetime: i64,
    /// The server's public base URL (`--public-url`), as the configuration
    /// file names it to SDKs.
    pub public_url: Arc<str>,
    /// The host of this server's login API (`--openserver-host`), blocked in
    /// every bundle: mini programs never call it themselves.
    pub openserver_host: Option<String>,
    /// The key-encryption key sealing the signing keys (never in the store).
    pub kek: Option<Arc<Kek>>,
    /// Seconds a rotated (`next`) signing key is published before it signs.
    pub key_prepublish: i64,
    /// Seconds a retired signing key stays published (≥ the bundle lifetime).
    pub key_grace: i64,
    /// Seconds from a server-signed key set's `issued_at` to its `expires_at`.
    pub keyset_lifetime: i64,
    /// The web console's sessions, invites and sign-in limits.
    pub console: Arc<ConsoleSettings>,
    /// Password hashing (argon2id on the blocking pool, bounded).
    pub hasher: Hasher,
    /// The rate limits of the violation reports endpoint (this process's).
    pub reports: Arc<RateLimits>,
}

/// The web console's settings (`guard serve --session-*`, `--invite-days`).
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// A session unused this many seconds ends.
    pub session_idle: i64,
    /// A session ends this many seconds after sign-in, used or not.
    pub session_max: i64,
    /// An invite expires this many seconds after it was issued.
    pub invite_lifetime: i64,
    /// Whether `--public-url` was given: then it is the only origin a
    /// console form may come from (else also `http://` + the `Host` header).
    pub public_url_explicit: bool,
    /// An address's sign-in attempts are counted in windows of this many
    /// seconds.
    pub throttle_window: i64,
    /// Failed sign-ins of one account that cost no delay; each further one
    /// doubles the wait before the next attempt (`throttle.rs`).
    pub throttle_per_account: i64,
    /// The longest wait between two attempts on one account, in seconds.
    pub throttle_max_delay: i64,
    /// An account's failures are forgotten this many seconds after the
    /// last one.
    pub throttle_forget: i64,
    /// Failed sign-ins (and invite redemptions) from one client address
    /// allowed per window.
    pub throttle_per_address: i64,
}

impl Default for ConsoleSettings {
    fn default() -> ConsoleSettings {
        ConsoleSettings {
            session_idle: 30 * 60,
            session_max: 12 * 3600,
            invite_lifetime: 7 * 86_400,
            public_url_explicit: false,
            throttle_window: 15 * 60,
            throttle_per_account: 5,
            throttle_max_delay: 5 * 60,
            throttle_forget: 86_400,
            throttle_per_address: 30,
        }
    }
}

/// Default pre-publication period of a rotated signing key: 2 days.
pub const DEFAULT_KEY_PREPUBLISH: i64 = 2 * 86_400;
/// Default grace period of a retired signing key: 14 days.
pub const DEFAULT_KEY_GRACE: i64 = 14 * 86_400;

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, clock: Clock, limits: Limits) -> AppState {
        let reports = Arc::new(RateLimits::new(
            limits.reports_per_address,
            limits.reports_per_app,
        ));
        AppState {
            store,
            clock,
            limits: Arc::new(limits),
            bundles: BundleCache::new(BUNDLE_CACHE_SCOPES),
            bundle_lifetime: DEFAULT_BUNDLE_LIFETIME,
            public_url: Arc::from("http://127.0.0.1:8080"),
            openserver_host: None,
            // An ephemeral KEK (tests, embedding); `guard serve` sets the
            // configured one with `with_kek`.
            kek: Kek::random().ok().map(Arc::new),
            key_prepublish: DEFAULT_KEY_PREPUBLISH,
            key_grace: DEFAULT_KEY_GRACE,
            keyset_lifetime: DEFAULT_KEYSET_LIFETIME,
            console: Arc::new(ConsoleSettings::default()),
            hasher: Hasher::default(),
            reports,
        }
    }

    /// The same state with these console settings.
    pub fn with_console(mut self, console: ConsoleSettings) -> AppState {
        self.console = Arc::new(console);
        self
    }

    /// Whether the console is served over TLS (its public URL is `https`):
    /// then cookies are `Secure` and named `__Host-…`.
    pub fn tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The same state with bundles valid for `secs` seconds (at least 2, so
    /// that half of it is a whole second).
    pub fn with_bundle_lifetime(mut self, secs: i64) -> AppState {
        self.bundle_lifetime = secs.max(2);
        self
    }

    /// The same state with `url` as the public base URL.
    pub fn with_public_url(mut self, url: &str) -> AppState {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// The same state with `kek` sealing the signing keys.
    pub fn with_kek(mut self, kek: Kek) -> AppState {
        self.kek = Some(Arc::new(kek));
        self
    }

    /// The same state with these signing-key periods, in seconds.
    pub fn with_key_periods(mut self, prepublish: i64, grace: i64) -> AppState {
        self.key_prepublish = prepublish.max(0);
        self.key_grace = grace.max(0);
        self
    }

    /// The same state with server-signed key sets valid for `secs` seconds
    /// (at least 2, so that half of it is a whole second).
    pub fn with_keyset_lifetime(mut self, secs: i64) -> AppState {
        self.keyset_lifetime = secs.max(2);
        self
    }

    /// The same state with `host` as the openserver host every bundle blocks.
    pub fn with_openserver_host(mut self, host: Option<String>) -> AppState {
        self.openserver_host = host;
        self
    }
}
