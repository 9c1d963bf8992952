//! # guard-wasm
//!
//! guard-core compiled to `.wasm`, with two faces:
//!
//! - a raw C-like ABI (module `raw_abi`): integers in and out, and one
//!   import, `guard_host.domain_to_ascii`, the host's domain to ASCII of
//!   IDN hosts (the shipped build links no Unicode data, decision 660).
//!   It is all the **shipped** module has (`js/pkg/guard_wasm_bg.wasm`),
//!   and what both the JS bridge (`js/src/raw.js`) and the native wasmtime
//!   host (`host-runtime/wasm-host`) call;
//! - behind the cargo feature `facade`, a wasm-bindgen class, `WasmGuard`,
//!   with `decide` and `explain`, for trusted tools only (the JS tests'
//!   oracle, the harness). It is built into a second module with its glue,
//!   `js/pkg-tools/`, and never shipped (decision 590).
//!
//! Neither face decides anything itself: every verdict, code and message comes
//! from guard-core. Verdict bytes are guard-core's `Verdict::to_u8`: `0`
//! allow, else the deny code `1..=8`, plus `0x80` when `report` mode let a
//! would-be denial through.
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod raw_abi;

#[cfg(feature = "facade")]
mod facade;

#[cfg(feature = "facade")]
pub use facade::{code_name, errno, WasmGuard};
