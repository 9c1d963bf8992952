//! # guard-core
//!
//! The policy model and decision engine that keeps mini programs and mini games
//! inside the permissions their superapp granted: which sensitive APIs they may
//! call, which servers they may reach and which pages their `web-view` may open.
//!
//! Pure Rust, no I/O: every enforcement point (the JS bridge through wasm, the
//! native wasmtime host, the superapp's server) calls this crate, so all of them
//! decide alike. The contract is `docs/policy.md` (contract v2):
//!
//! - [`policy`]: the policy document (§1) and its load-time validation;
//! - [`bundle`] and [`keys`]: signed bundles, JWS compact HS256 or EdDSA (§2);
//! - [`Guard`]: the bundle lifecycle (anti-rollback, expiry, §2) and the
//!   decision rules (§3), with [`Guard::explain_check`] saying which rule and
//!   entry, pattern or release decided;
//! - [`redirect`]: redirect hops (§3.6);
//! - [`decision`]: deny codes and `errMsg`-style messages (§3.4).
//!
//! # Examples
//!
//! ```
//! use guard_core::{bundle, CheckKind, DenyCode, Guard, SecretKey};
//!
//! let secret = "k3yK3yk3yK3yk3y1";
//! let policy = br#"{"schema":1,"superapp_id":"demo","version":7,"issued_at":0,
//!   "apps":[{"app_id":"mp_shop","kind":"mini_program","control":{"server_domains":true},
//!            "server_domains":["https://api.shop.example","https://*.img.shop.example"]}]}"#;
//! let signed = bundle::sign(policy, &SecretKey::new(secret).unwrap());
//!
//! let mut guard = Guard::new(secret).unwrap();
//! guard.load(&signed, 1_795_305_600).unwrap();
//! let now = 1_795_305_600;
//! assert!(guard.check_url("mp_shop", CheckKind::Request, "https://a.img.shop.example/x.png", now).verdict.allow());
//! let denied = guard.check_url("mp_shop", CheckKind::Request, "https://api.shop.example:8080/", now);
//! assert_eq!(denied.verdict.code(), Some(DenyCode::PortNotAllowed));
//! assert_eq!(denied.decision(CheckKind::Request).message,
//!            "request:fail url not in domain list:api.shop.example:8080");
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

pub mod bundle;
pub mod catalogue;
mod compiled;
mod config;
pub mod decision;
pub mod entry;
mod explain;
pub mod groups;
mod guard;
mod host;
mod intern;
mod json_path;
mod json_reader;
mod jws;
pub mod keys;
pub mod keyset;
pub mod limits;
mod load;
mod media;
mod members;
mod names;
pub mod policy;
mod policy_json;
pub mod redirect;
pub mod report;
mod rules;
mod scheme;
mod state;
mod target;

pub use config::{ConfigError, GuardConfig};
pub use decision::{CheckKind, Decision, DenyCode, Verdict, REPORTED_BIT};
pub use entry::{DomainEntry, EntryError, HostPattern, SocketEntry};
pub use explain::Explanation;
pub use guard::{ApiId, AppHandle, Check, Guard, UrlVerdict};
pub use keys::{KeyError, KeySet, SecretError, SecretKey};
pub use keyset::KeysetError;
pub use load::{Floor, FloorError, KeysetStatus, LoadCode, LoadError, PolicyStatus};
pub use policy::{
    ApiStatus, ApiType, App, AppKind, Audience, Control, Domains, Mode, Policy, PolicyError,
    Release, Scope, SensitiveApi,
};
pub use state::{Restored, SignedState};
