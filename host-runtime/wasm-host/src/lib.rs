//! # guard-wasm-host
//!
//! The native wasmtime host: it runs the byte-identical `guard_wasm_bg.wasm`
//! that the JS package `@miniprogram-guard/bridge` ships, through the module's
//! raw ABI (`guard-wasm/src/raw_abi.rs`, documented in `docs/wasm-host.md`), so
//! a superapp server or SDK embedding the guard natively enforces with the very
//! same build as the base library. Every verdict and every message comes from
//! the wasm; this crate only moves bytes and integers.
//!
//! - [`WasmModule`]: the compiled module, shared by every thread (`Clone`,
//!   `Send`, `Sync`); it also says which file it is ([`WasmModule::sha256_hex`]).
//! - [`WasmGuard`]: one instance (one wasmtime `Store`) with its guard; owned
//!   by one thread at a time. A multi-threaded host gives each thread its own
//!   `WasmGuard` from the same `WasmModule` (see `docs/wasm-host.md`).
//!
//! Each call into the wasm runs under an epoch deadline, and the instance's
//! memory under a cap ([`Options`]). A trap, a timeout or running out of memory
//! answers deny `no_policy`, is logged (`tracing`), and the instance is rebuilt
//! from the module and the last bundle it accepted.
//!
//! # Examples
//!
//! ```no_run
//! use guard_core::CheckKind;
//! use guard_wasm_host::{Options, WasmGuard, WasmModule};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let module = WasmModule::from_file(guard_wasm_host::default_module_path(), &Options::default())?;
//! // A SecretKey, or a key-set JSON `{"secret"?, "keys"?: [Ed25519 public JWKs]}`.
//! let mut guard = WasmGuard::new(&module, "k3yK3yk3yK3yk3y1")?;
//! # let bundle = String::new(); let now = 0;
//! guard.load(&bundle, now)?;
//! let d = guard.decide("mp_shop", CheckKind::Api, "getLocation", now);
//! println!("{} {}", d.allow, d.message);
//! // Contract v2: launch, raw sockets (with the host to connect to), redirects.
//! let launch = guard.check_launch("mp_shop", "1.4.2", "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a", now);
//! let (tcp, host) = guard.check_socket_target("mp_shop", CheckKind::Tcp, "printer.lan.example", 9100, now);
//! # let _ = (launch, tcp, host);
//! # Ok(()) }
//! ```
// `deny`, not `forbid`: the one audited module `precompiled` allows the
// `unsafe` call wasmtime's deserialisation needs (its documentation says why
// it is sound).
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

// Imports go downward only: error ← instance ← {tables, abi, host_idna} ← module ←
// {precompiled, guard} ← engine.
mod abi;
#[cfg(feature = "conformance")]
mod engine;
mod error;
mod guard;
mod host_idna;
mod instance;
mod module;
mod precompiled;
mod tables;

#[cfg(feature = "conformance")]
pub use engine::WasmEngine;
pub use error::HostError;
pub use guard::{Rekeyed, WasmGuard};
/// The raw ABI version this host speaks (`guard_abi_version` must answer it).
pub use guard_abi::ABI_VERSION;
pub use module::{default_module_path, repo_root, Backend, Options, WasmModule};
pub use tables::Tables;

// The threading model of `docs/wasm-host.md`, checked at compile time: the
// module is shared by threads, a guard moves between threads but is not shared.
const _: fn() = || {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<WasmGuard>();
    send_sync::<WasmModule>();
};
