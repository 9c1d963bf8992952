//! # guard-server
//!
//! `guard serve`: the superapp's server. It keeps the console's state (superapps,
//! teams, mini programs, the sensitive API list, permission requests and
//! approvals, the permission-control switches and whitelists), distributes it
//! as the signed policy bundle that `guard_core::Guard` enforces, and serves the
//! openserver login API, releasing phone numbers and emails only when the app's
//! policy allows it (the same `guard_core` decision as the client's).
//!
//! Store: embedded SQLite (a data directory, WAL) by default, PostgreSQL with
//! `--database-url`; see `docs/server.md`.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = guard_server::store::Store::open_sqlite(std::path::Path::new("./data")).await?;
//! let state = guard_server::AppState::new(store, guard_server::Clock::system(), guard_server::Limits::default());
//! if let Some(token) = guard_server::bootstrap(&state).await? {
//!     println!("admin token: {token}");
//! }
//! let app = guard_server::router(state);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod auth;
pub mod bundle_cache;
pub mod console;
pub mod error;
pub mod login;
pub mod policy;
pub mod serve;
pub mod store;
pub mod util;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Router;
use serde::de::DeserializeOwned;

pub use error::ApiError;
pub use serve::{run, ServeOptions};
use store::Store;

/// The server's clock, injectable so tests can move time (code expiry).
#[derive(Debug, Clone)]
pub struct Clock {
    /// `None`: the system clock; `Some`: a manual clock at this unix second.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A manual clock starting at `now` (unix seconds).
    pub fn manual(now: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(now))),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, secs: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(secs, Ordering::SeqCst);
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }
}

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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 64 * 1024,
            max_server_domains: 30,
            max_webview_domains: 30,
            max_api_whitelist: 200,
        }
    }
}

/// How many scopes (superapps, or single apps) the bundle cache keeps.
pub const BUNDLE_CACHE_SCOPES: usize = 4096;

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
    pub bundles: bundle_cache::BundleCache,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, clock: Clock, limits: Limits) -> AppState {
        AppState {
            store,
            clock,
            limits: Arc::new(limits),
            bundles: bundle_cache::BundleCache::new(BUNDLE_CACHE_SCOPES),
        }
    }
}

/// On first start (no account yet), creates the `admin` super admin and returns
/// its token, to be shown to the operator once; `None` afterwards.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn bootstrap(state: &AppState) -> Result<Option<String>, ApiError> {
    let now = state.clock.now();
    let mut change = store::Change::begin(&state.store, "_platform", now).await?;
    let existing = sqlx::query("SELECT id FROM accounts LIMIT 1")
        .fetch_optional(&mut *change.tx)
        .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let token = auth::insert_account(
        &mut change.tx,
        "admin",
        "admin",
        auth::Role::SuperAdmin,
        None,
        None,
        now,
    )
    .await?;
    let after = serde_json::json!({"id": "admin", "role": "super_admin"});
    change
        .commit(
            "bootstrap",
            "create_account",
            "account:admin",
            None,
            Some(&after),
        )
        .await?;
    Ok(Some(token))
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    Router::new()
        .merge(console::routes())
        .merge(login::routes())
        .route("/openapi.json", axum::routing::get(openapi))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(
            // Only method, path and status are logged: query strings carry
            // `secret`, `js_code` and `access_token` on the login API.
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// The OpenAPI document.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// A JSON body whose errors are 400s naming the offending field (axum's own
/// `Json` answers 422 with a plain text message).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::bad("body", e.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON, naming the offending field on error.
///
/// # Errors
///
/// [`ApiError::BadRequest`] with the JSON path of the problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        let inner = e.into_inner().to_string();
        // serde names a missing field in its message, not in the path.
        let field = match inner.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or(&field).to_owned(),
            None => field,
        };
        ApiError::bad(field, inner)
    })?;
    de.end().map_err(|e| ApiError::bad("body", e.to_string()))?;
    Ok(value)
}
