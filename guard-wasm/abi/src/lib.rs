//! # guard-abi
//!
//! The numbers and names of the raw wasm ABI (`guard-wasm/src/raw_abi.rs`,
//! `docs/wasm-host.md`) that both sides of the wasm boundary need: the module
//! (guard-wasm) answers with them and a native host (guard-wasm-host) checks
//! them, so each is spelled once, here. Everything else the two sides share
//! (check kinds, deny and load codes, the report bit) comes from guard-core,
//! and a host asks the module for those at load time.
//!
//! # Examples
//!
//! ```
//! assert!(guard_abi::EXPORTS.contains(&"guard_abi_version"));
//! assert!(guard_abi::ERR_BAD_INPUT < 0);
//! ```
#![no_std]
#![forbid(unsafe_code)]

/// The version of the raw ABI; bumped on any incompatible change (5: the
/// module imports [`HOST_MODULE`].[`HOST_DOMAIN_TO_ASCII`], decision 660).
pub const ABI_VERSION: i32 = 5;
/// The import module of the module's one import (decision 660).
pub const HOST_MODULE: &str = "guard_host";
/// The module's one import: `(input, input_len, out, out_cap) -> i32`, the
/// WHATWG URL Standard's domain to ASCII of the `input_len` bytes at
/// `input`, answering [`HOST_INVALID`] for "not a valid domain", else the
/// byte length `n` of the ASCII answer, written at `out` only when
/// `n <= out_cap` (the module asks again with `n` bytes otherwise). All
/// four arguments are addresses and lengths in the module's memory.
pub const HOST_DOMAIN_TO_ASCII: &str = "domain_to_ascii";
/// [`HOST_DOMAIN_TO_ASCII`]'s answer for "not a valid domain".
pub const HOST_INVALID: i32 = -1;
/// No guard: neither `guard_new` nor `guard_new_config` was called, or it failed.
pub const ERR_NO_GUARD: i32 = -1;
/// A length out of the input buffer, text that is not UTF-8, or a bad kind.
pub const ERR_BAD_INPUT: i32 = -2;
/// Re-entered while a call was running (cannot happen from a sane host).
pub const ERR_BUSY: i32 = -3;
/// The module could not allocate the requested buffer.
pub const ERR_OOM: i32 = -4;

/// The exports a native host needs from the module (besides `memory`, the
/// module's linear memory); a module without any of them is not a guard
/// module of this ABI.
pub const EXPORTS: [&str; 27] = [
    "memory",
    "guard_abi_version",
    "guard_input",
    "guard_new",
    "guard_load",
    "guard_api_id",
    "guard_app_handle",
    "guard_check_api",
    "guard_check_api_name",
    "guard_check_url",
    "guard_message",
    "guard_href",
    "guard_check_launch",
    "guard_check_socket_target",
    "guard_check_redirect",
    "guard_code_name",
    "guard_errno",
    "guard_kind",
    "guard_report_bit",
    // ABI 3: violation reports and the anti-rollback floor across restarts.
    "guard_take_reports",
    "guard_requeue_reports",
    "guard_floor",
    "guard_restore_floor",
    // ABI 4 (contract v3): a guard from a configuration (roots, superapp id,
    // local prefixes), key sets, and the signed state that keeps both floors.
    // Media checks are kind 9 of `guard_check_url`.
    "guard_new_config",
    "guard_load_keys",
    "guard_signed_state",
    "guard_restore_state",
];
