//! What every handler shares: the store, the clock, the limits and the
//! bundle cache.

use std::sync::Arc;

use crate::clock::Clock;
use crate::distribution::cache::BundleCache;
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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 64 * 1024,
            max_server_domains: 30,
            max_webview_domains: 30,
            max_api_whitelist: 200,
            max_package_bytes: DEFAULT_MAX_PACKAGE_BYTES,
        }
    }
}

/// Largest code package by default: 8 MiB (`--max-package-bytes`).
pub const DEFAULT_MAX_PACKAGE_BYTES: usize = 8 * 1024 * 1024;

/// How many scopes (superapps, or single apps) the bundle cache keeps.
pub const BUNDLE_CACHE_SCOPES: usize = 4096;

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
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, clock: Clock, limits: Limits) -> AppState {
        AppState {
            store,
            clock,
            limits: Arc::new(limits),
            bundles: BundleCache::new(BUNDLE_CACHE_SCOPES),
            bundle_lifetime: DEFAULT_BUNDLE_LIFETIME,
            public_url: Arc::from("http://127.0.0.1:8080"),
        }
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
}
