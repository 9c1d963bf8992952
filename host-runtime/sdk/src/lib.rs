//! # guard-sdk
//!
//! The superapp SDK: what a superapp's native side embeds so that its mini
//! programs stay inside the permissions its console granted. It runs the same
//! guard `.wasm` as the base library's JS (through `guard-wasm-host`, under
//! Cranelift or, on a phone that forbids JIT, the Pulley interpreter from a
//! precompiled artifact), and keeps it in sync with the superapp's server:
//!
//! - boots from the configuration file the server issues
//!   (`guard-superapp-config/1`, [`Config`]);
//! - fetches `keys.json` and the superapp's signed bundle with
//!   `If-None-Match`, long-polls for changes (`Prefer: wait=N`), falls back to
//!   polling on a jittered interval when the server does not hold requests,
//!   backs off exponentially (with jitter, honouring `Retry-After`) on errors;
//! - persists the last good bundle, the key set and the anti-rollback floor
//!   atomically in a state directory, starts offline from it, refuses
//!   anything older after a restart and a tampered or truncated cache;
//! - re-keys the guard when the key set changes;
//! - sends the violation reports the guard records, every 60 s and when the
//!   app goes to the background ([`Sdk::on_background`]);
//! - answers every check from any thread ([`Sdk`]), and the JSON requests of
//!   the JS bridge's native back end ([`native::answer`], the
//!   `guard-sdk-native` binary).
//!
//! See `docs/sdk.md`.
//!
//! # Examples
//!
//! ```no_run
//! use guard_sdk::{Config, Sdk};
//! use guard_wasm_host::{Options, WasmModule};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let module = WasmModule::from_file(guard_wasm_host::default_module_path(), &Options::default())?;
//! let config = Config::from_file("demo-config.json")?;
//! let sdk = Sdk::synced(module, config).state_dir("guard-state").start()?;
//! let d = sdk.check_api("mp_shop", "getLocation");
//! println!("{} {}", d.allow, d.message);
//! sdk.on_background();
//! sdk.shutdown();
//! # Ok(()) }
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

mod backoff;
mod cache;
mod clock;
mod config;
mod enforcer;
mod error;
mod http;
mod mailbox;
pub mod native;
mod reports;
mod sdk;
mod shared;
mod status;
mod sync;
mod timing;

pub use clock::{system_clock, Clock};
pub use config::{Config, DEFAULT_LONG_POLL_SECONDS, FORMAT};
pub use error::SdkError;
pub use reports::Sent;
pub use sdk::{Answer, Builder, Sdk};
pub use status::Status;
pub use sync::Synced;
pub use timing::Timing;

// What the threading model promises: one SDK, checked from any thread.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sdk>();
};
