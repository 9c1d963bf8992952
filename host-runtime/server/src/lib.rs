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
//! The crate root only declares and wires the modules; every item lives in
//! the module named after its concept, and modules import from each other,
//! never from here.
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
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod auth;
pub mod change;
pub mod clock;
pub mod console;
pub mod distribution;
pub mod error;
pub mod http;
pub mod login;
pub mod notify;
pub mod password;
pub mod policy;
pub mod reports;
pub mod resources;
pub mod serve;
pub mod state;
pub mod store;
pub mod throttle;
pub mod util;

pub use clock::Clock;
pub use error::ApiError;
pub use http::routes::{router, OPENAPI_JSON};
pub use resources::accounts::bootstrap;
pub use serve::{run, ServeOptions};
pub use state::{AppState, ConsoleSettings, Limits, BUNDLE_CACHE_SCOPES};
