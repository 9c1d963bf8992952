//! The raw ABI: plain `extern "C"` exports, integers in and out, for native
//! hosts that embed the very same `.wasm` the JS package ships (the wasmtime
//! host in `host-runtime/wasm-host`). The full contract is `docs/wasm-host.md`.
//!
//! Design, in short: the module owns two buffers. The host asks for an *input*
//! buffer of `len` bytes with [`guard_input`], writes its strings there, and
//! passes only *lengths* (and integers) to the calls, which read the buffer
//! through bounds-checked slices. Text going out (messages) is rendered by
//! guard-core into an *output* buffer whose address and length
//! [`guard_message`] returns. So no call ever dereferences a pointer the host
//! made up: a host bug yields an error code, never undefined behaviour or a
//! trap.
//!
//! State lives in one `thread_local!` (a wasm instance is single-threaded).
//!
//! Return conventions (see `docs/wasm-host.md`):
//! - checks return [`Verdict::to_u8`] (`0` allow, deny code `1..=8`, `|0x80`
//!   when reported); with no guard created they deny `no_policy` (fail closed);
//! - [`guard_load`] returns the [`LoadCode`] (`0..=6`);
//! - negative values are ABI misuse: [`ERR_NO_GUARD`], [`ERR_BAD_INPUT`],
//!   [`ERR_BUSY`], [`ERR_OOM`].
//! - `now` is unix seconds, a `u64` passed bit-for-bit as `i64`.

// `#[no_mangle]` is what makes these functions wasm exports; rustc counts it
// under the `unsafe_code` lint (a no_mangle symbol could clash with another),
// which the workspace denies. Only the export attributes need this: the module
// has no `unsafe` block at all, because inputs are read through safe slices of
// a module-owned buffer instead of host-supplied pointers.
#![allow(unsafe_code)]

use std::cell::RefCell;

use guard_core::{ApiId, AppHandle, CheckKind, DenyCode, Guard, LoadCode, Verdict};

/// The version of this ABI; bumped on any incompatible change.
pub const ABI_VERSION: i32 = 1;
/// No guard: [`guard_new`] was not called, or failed.
pub const ERR_NO_GUARD: i32 = -1;
/// A length out of the input buffer, text that is not UTF-8, or a bad kind.
pub const ERR_BAD_INPUT: i32 = -2;
/// Re-entered while a call was running (cannot happen from a sane host).
pub const ERR_BUSY: i32 = -3;
/// The module could not allocate the requested buffer.
pub const ERR_OOM: i32 = -4;

/// What the last call produced, kept so [`guard_message`] can render its
/// message on demand (the hot path stores only `Copy` values).
#[derive(Debug, Default)]
enum Last {
    #[default]
    Nothing,
    /// A load: its error message (empty when it loaded).
    Load(String),
    /// An API check by id.
    ApiId(Verdict, ApiId),
    /// An API check by name (the name is in `State::name`).
    ApiName(Verdict),
    /// A URL check: label, host and port of the message.
    Url(Verdict, CheckKind, Option<String>, Option<u16>),
}

#[derive(Debug, Default)]
struct State {
    guard: Option<Guard>,
    input: Vec<u8>,
    output: String,
    name: String,
    last: Last,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Runs `f` on the state, or answers `busy` if it is already borrowed.
fn with_state<R>(busy: R, f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut state) => f(&mut state),
        Err(_) => busy,
    })
}

/// `input[start..start + len]` as UTF-8, or `None` when out of bounds or invalid.
fn text(input: &[u8], start: u32, len: u32) -> Option<&str> {
    let start = usize::try_from(start).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    std::str::from_utf8(input.get(start..end)?).ok()
}

/// The `u64` clock a host passed bit-for-bit as `i64`.
const fn clock(now: i64) -> u64 {
    now as u64
}

/// The ABI version ([`ABI_VERSION`]), so a host can refuse a module it does
/// not understand.
#[no_mangle]
pub extern "C" fn guard_abi_version() -> i32 {
    ABI_VERSION
}

/// Makes the input buffer exactly `len` bytes (zeroed) and returns its
/// address; `0` when the module cannot allocate it. The address stays valid
/// until the next `guard_input` call.
#[no_mangle]
pub extern "C" fn guard_input(len: u32) -> u32 {
    with_state(0, |s| {
        let Ok(len) = usize::try_from(len) else {
            return 0;
        };
        s.input.clear();
        // `try_reserve` so an over-large request answers 0 instead of aborting.
        if s.input.try_reserve_exact(len).is_err() {
            s.input = Vec::new();
            return 0;
        }
        s.input.resize(len, 0);
        // wasm32 addresses are 32 bits; the cast is the ABI's pointer type.
        s.input.as_mut_ptr() as usize as u32
    })
}

/// Creates the guard for the SecretKey in `input[0..len]`, dropping any
/// previous guard (and its policy). `0` on success, `1` when the key is not
/// valid (see [`Guard::new`]), or an `ERR_*` value.
#[no_mangle]
pub extern "C" fn guard_new(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(secret) = text(&s.input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        match Guard::new(secret) {
            Ok(g) => {
                s.guard = Some(g);
                s.last = Last::Nothing;
                0
            }
            Err(e) => {
                s.guard = None;
                s.last = Last::Load(e.to_string());
                1
            }
        }
    })
}

/// Loads the bundle in `input[0..len]` at `now`; returns the [`LoadCode`]
/// (`0` loaded). The error message is then available from [`guard_message`].
/// A bundle that is not UTF-8 is `malformed_bundle`, as it is natively.
#[no_mangle]
pub extern "C" fn guard_load(len: u32, now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        let State {
            guard, input, last, ..
        } = s;
        let Some(guard) = guard.as_mut() else {
            return ERR_NO_GUARD;
        };
        let Some(bundle) = text(input, 0, len) else {
            // Out-of-bounds lengths are the host's bug; invalid UTF-8 is a bundle's.
            if usize::try_from(len).is_ok_and(|l| l <= input.len()) {
                *last = Last::Load("bundle is not UTF-8".into());
                return LoadCode::MalformedBundle as i32;
            }
            return ERR_BAD_INPUT;
        };
        match guard.load(bundle, clock(now)) {
            Ok(_) => {
                *last = Last::Load(String::new());
                LoadCode::Ok as i32
            }
            Err(e) => {
                *last = Last::Load(e.message);
                e.code as i32
            }
        }
    })
}

/// The stable id of the API name in `input[0..len]`, interning it; an
/// `ERR_*` value, or [`ERR_OOM`] when the guard's name table is full.
#[no_mangle]
pub extern "C" fn guard_api_id(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(guard) = s.guard.as_mut() else {
            return ERR_NO_GUARD;
        };
        let Some(name) = text(&s.input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        guard
            .api_id(name)
            .and_then(|id| i32::try_from(id.0).ok())
            .unwrap_or(ERR_OOM)
    })
}

/// The stable handle of the app id in `input[0..len]`, interning it; as
/// [`guard_api_id`].
#[no_mangle]
pub extern "C" fn guard_app_handle(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(guard) = s.guard.as_mut() else {
            return ERR_NO_GUARD;
        };
        let Some(app) = text(&s.input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        guard
            .app_handle(app)
            .and_then(|h| i32::try_from(h.0).ok())
            .unwrap_or(ERR_OOM)
    })
}

/// The hot path: an API check by handle and id. Allocates nothing. An id or
/// handle this guard never issued is simply unknown (`unknown_app`, or an
/// API that is not whitelisted), as guard-core answers it.
#[no_mangle]
pub extern "C" fn guard_check_api(app: u32, api: u32, now: i64) -> i32 {
    with_state(i32::from(Verdict::deny(DenyCode::NoPolicy).to_u8()), |s| {
        let verdict = match &s.guard {
            Some(g) => g.check_api_id(AppHandle(app), ApiId(api), clock(now)),
            None => Verdict::deny(DenyCode::NoPolicy),
        };
        s.last = Last::ApiId(verdict, ApiId(api));
        i32::from(verdict.to_u8())
    })
}

/// An API check by name: the app id is `input[0..app_len]`, the API name the
/// next `api_len` bytes. Interns nothing, so hostile names cannot fill the
/// guard's name table.
#[no_mangle]
pub extern "C" fn guard_check_api_name(app_len: u32, api_len: u32, now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        let State {
            guard,
            input,
            name,
            last,
            ..
        } = s;
        let (Some(app), Some(api)) = (text(input, 0, app_len), text(input, app_len, api_len))
        else {
            return ERR_BAD_INPUT;
        };
        let verdict = match guard {
            Some(g) => g.check_api(app, api, clock(now)),
            None => Verdict::deny(DenyCode::NoPolicy),
        };
        name.clear();
        name.push_str(api);
        *last = Last::ApiName(verdict);
        i32::from(verdict.to_u8())
    })
}

/// A URL check of `kind` ([`CheckKind`] as `u8`, `1..=5`): the app id is
/// `input[0..app_len]`, the URL the next `url_len` bytes.
#[no_mangle]
pub extern "C" fn guard_check_url(kind: u32, app_len: u32, url_len: u32, now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(kind) = u8::try_from(kind)
            .ok()
            .and_then(CheckKind::from_u8)
            .filter(|k| *k != CheckKind::Api)
        else {
            return ERR_BAD_INPUT;
        };
        let (Some(app), Some(url)) = (text(&s.input, 0, app_len), text(&s.input, app_len, url_len))
        else {
            return ERR_BAD_INPUT;
        };
        let (verdict, host, port) = match &s.guard {
            Some(g) => {
                let v = g.check_url_terse(app, kind, url, clock(now));
                (v.verdict, v.host, v.port)
            }
            None => (Verdict::deny(DenyCode::NoPolicy), None, None),
        };
        s.last = Last::Url(verdict, kind, host, port);
        i32::from(verdict.to_u8())
    })
}

/// Renders the message of the last load or check (guard-core's `errMsg`, or
/// the load error; empty after a successful load) into the output buffer and
/// returns `(address << 32) | length`. The text stays valid until the next
/// call. `0` when there is nothing to say or the state is busy.
#[no_mangle]
pub extern "C" fn guard_message() -> i64 {
    with_state(0, |s| {
        let State {
            guard,
            output,
            name,
            last,
            ..
        } = s;
        output.clear();
        match last {
            Last::Nothing => {}
            Last::Load(m) => output.push_str(m),
            Last::ApiId(v, id) => {
                let label = guard.as_ref().and_then(|g| g.api_name(*id)).unwrap_or("");
                output.push_str(&v.message(label, None, None));
            }
            Last::ApiName(v) => output.push_str(&v.message(name, None, None)),
            Last::Url(v, kind, host, port) => {
                let label = kind.url_label().unwrap_or("api");
                output.push_str(&v.message(label, host.as_deref(), *port));
            }
        }
        let addr = output.as_ptr() as usize as u64;
        let len = output.len() as u64;
        ((addr << 32) | len) as i64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a host does with `guard_input` + a memory write, natively.
    fn put(bytes: &[u8]) -> u32 {
        assert_ne!(guard_input(bytes.len() as u32), 0);
        STATE.with(|s| s.borrow_mut().input.copy_from_slice(bytes));
        bytes.len() as u32
    }

    fn message() -> String {
        let packed = guard_message() as u64;
        let len = (packed & 0xffff_ffff) as usize;
        STATE
            .with(|s| s.borrow().output.clone())
            .get(..len)
            .unwrap()
            .to_owned()
    }

    const SECRET: &str = "k3yK3yk3yK3yk3y1";

    #[test]
    fn misuse_answers_error_codes_and_checks_fail_closed() {
        assert_eq!(guard_abi_version(), ABI_VERSION);
        // No guard yet: loads refuse, checks deny no_policy.
        let n = put(b"x.y.z");
        assert_eq!(guard_load(n, 0), ERR_NO_GUARD);
        assert_eq!(
            guard_check_api(0, 0, 0),
            i32::from(DenyCode::NoPolicy as u8)
        );
        // Lengths beyond the buffer are bad input, not a panic.
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n + 1), ERR_BAD_INPUT);
        assert_eq!(guard_new(n), 0);
        assert_eq!(guard_load(u32::MAX, 0), ERR_BAD_INPUT);
        assert_eq!(guard_check_url(1, u32::MAX, u32::MAX, 0), ERR_BAD_INPUT);
        assert_eq!(guard_check_api_name(3, n, 0), ERR_BAD_INPUT);
        // A bad kind, or the API kind, is not a URL check.
        let n = put(b"appurl");
        assert_eq!(guard_check_url(0, 3, 3, 0), ERR_BAD_INPUT);
        assert_eq!(guard_check_url(6, 3, 3, 0), ERR_BAD_INPUT);
        assert_eq!(guard_check_url(1, 3, n - 3, 0), 1);
        assert_eq!(message(), "request:fail no valid permission policy");
        // Invalid UTF-8: a name is bad input, a bundle is malformed.
        let n = put(&[0xff, 0xfe]);
        assert_eq!(guard_api_id(n), ERR_BAD_INPUT);
        assert_eq!(guard_load(n, 0), LoadCode::MalformedBundle as i32);
        assert_eq!(message(), "bundle is not UTF-8");
        // A bad secret.
        let n = put(b"short");
        assert_eq!(guard_new(n), 1);
        assert!(!message().is_empty());
    }

    #[test]
    fn a_loaded_guard_answers_with_guard_core_messages() {
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        let policy = br#"{"schema":1,"superapp_id":"d","version":1,"issued_at":0,
          "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
                   "server_domains":["https://api.example"]}]}"#;
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let n = put(guard_core::bundle::sign(policy, &key).as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        assert_eq!(message(), "");
        let n = put(b"mp");
        let app = guard_app_handle(n);
        let n = put(b"getLocation");
        let api = guard_api_id(n);
        assert!(app >= 0 && api >= 0);
        assert_eq!(guard_check_api(app as u32, api as u32, 100), 0);
        assert_eq!(message(), "getLocation:ok");
        let n = put(b"mphttps://api.example:8443/");
        assert_eq!(
            guard_check_url(1, 2, n - 2, 100),
            DenyCode::PortNotAllowed as i32
        );
        assert_eq!(
            message(),
            "request:fail url not in domain list:api.example:8443"
        );
        // Clocks pass bit-for-bit: u64::MAX arrives as u64::MAX, not as a
        // negative clock, and is answered exactly as guard-core answers it.
        let mut native = guard_core::Guard::new(SECRET).unwrap();
        native
            .load(&guard_core::bundle::sign(policy, &key), 100)
            .unwrap();
        let want = native.check_url(
            "mp",
            CheckKind::Request,
            "https://api.example:8443/",
            u64::MAX,
        );
        assert_eq!(
            guard_check_url(1, 2, n - 2, u64::MAX as i64),
            i32::from(want.verdict.to_u8())
        );
    }
}
