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
//! - checks return [`Verdict::to_u8`] (`0` allow, a deny code, `|0x80`
//!   when reported); with no guard created they deny `no_policy` (fail closed);
//! - [`guard_load`], [`guard_load_keys`] and [`guard_restore_state`] return
//!   the [`LoadCode`] (`0..=8`);
//! - text out (messages, names, hrefs) is packed `(address << 32) | length`
//!   in an `i64`; a negative `i64` is an `ERR_*` value;
//! - negative values are ABI misuse: [`ERR_NO_GUARD`], [`ERR_BAD_INPUT`],
//!   [`ERR_BUSY`], [`ERR_OOM`].
//! - `now` is unix seconds, a `u64` passed bit-for-bit as `i64`.

// `#[no_mangle]` is what makes these functions wasm exports; rustc counts it
// under the `unsafe_code` lint (a no_mangle symbol could clash with another),
// which the workspace denies. Besides the export attributes, the one `unsafe`
// block is the call of the one host import (`host_idna`, wasm32 only,
// decision 660): inputs are read through safe slices of a module-owned
// buffer instead of host-supplied pointers.
#![allow(unsafe_code)]

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ops::Range;

use guard_core::decision::REPORTED_BIT;
use guard_core::keys::KeySet;
use guard_core::report::{Batch, ReportLog, Subject};
use guard_core::{
    limits, ApiId, AppHandle, CheckKind, DenyCode, Floor, Guard, GuardConfig, LoadCode, LoadError,
    SignedState, UrlVerdict, Verdict,
};

// The ABI's version and error codes, spelled once for both sides of the
// wasm boundary (the native host checks them).
pub use guard_abi::{ABI_VERSION, ERR_BAD_INPUT, ERR_BUSY, ERR_NO_GUARD, ERR_OOM};

/// What the last call produced, kept so [`guard_message`] can render its
/// message on demand (the hot path stores only `Copy` values).
#[derive(Debug, Default)]
enum Last {
    #[default]
    Nothing,
    /// A load (its error message, empty when it loaded), or another call
    /// that answers only a message (a refused floor or report batch).
    Load(String),
    /// An API check by id.
    ApiId(Verdict, ApiId),
    /// An API check by name (the name is in `State::name`).
    ApiName(Verdict),
    /// A URL check: label, host and port of the message.
    Url(Verdict, CheckKind, Option<String>, Option<u16>),
}

thread_local! {
    /// The memo cell (decisions 642 and 643): three `f64`s in linear memory at
    /// the address [`guard_memo_cell`] answers, which the JS bridge reads
    /// through a `Float64Array` on every wrapped API call, with no call into
    /// the module. `[0]` is the state epoch, [`EPOCH_START`] at instantiation
    /// and bumped by every change of the guard's state ([`Held`], the one
    /// place); `[1]` and `[2]` are the span `[from, until)` of the last
    /// [`guard_check_api_span`]. A `const` thread-local, which a wasm module
    /// without threads keeps in a plain static: one address for the life of
    /// the instance (and one cell per test thread natively).
    static MEMO: [Cell<f64>; 3] = const { [Cell::new(EPOCH_START), Cell::new(0.0), Cell::new(0.0)] };
}

/// The epoch a fresh instance starts at: not `0`, so a host that reads
/// anything else before the first call (a big-endian view of the memory)
/// knows it cannot read the cell and never reuses a verdict.
const EPOCH_START: f64 = 1.0;

/// The largest clock every bound of the span is exact at in an `f64` (and
/// in a JS number): bounds are capped to it, which only shrinks the span.
const EXACT: u64 = 1 << 53;

/// Bumps the state epoch: every memo a host kept is void from now on.
fn bump_epoch() {
    MEMO.with(|m| m[0].set(m[0].get() + 1.0));
}

/// Writes the span of [`guard_check_api_span`] into the memo cell, capped to
/// [`EXACT`] (a span starting past it is written empty).
fn write_span(span: Range<u64>) {
    let (from, until) = if span.start < EXACT {
        (span.start, span.end.min(EXACT))
    } else {
        (0, 0)
    };
    // Both at most 2^53, so exact as `f64`s.
    #[allow(clippy::cast_precision_loss)]
    let (from, until) = (from as f64, until as f64);
    MEMO.with(|m| {
        m[1].set(from);
        m[2].set(until);
    });
}

mod held {
    //! The guard behind the only two ways to change it.
    use guard_core::Guard;

    /// The instance's guard. Its field is private to this module, so every
    /// export that may change the guard (create, load, key set, state or
    /// floor restored, a name interned) reaches it through [`Held::get_mut`]
    /// or [`Held::set`], and each bumps the state epoch first (decision
    /// 643): the one place, failing closed (an export that turns out not to
    /// change a verdict only costs the JS memo a miss). Checks read it
    /// through [`Held::get`].
    #[derive(Debug, Default)]
    pub(super) struct Held(Option<Guard>);

    impl Held {
        /// The guard, to check with.
        pub(super) fn get(&self) -> Option<&Guard> {
            self.0.as_ref()
        }

        /// The guard, to change: the epoch is bumped.
        pub(super) fn get_mut(&mut self) -> Option<&mut Guard> {
            super::bump_epoch();
            self.0.as_mut()
        }

        /// Replaces the guard (or drops it): the epoch is bumped.
        pub(super) fn set(&mut self, guard: Option<Guard>) {
            super::bump_epoch();
            self.0 = guard;
        }
    }
}

use held::Held;

#[derive(Debug, Default)]
struct State {
    guard: Held,
    input: Vec<u8>,
    output: String,
    name: String,
    last: Last,
    /// The href of the last URL check, for [`guard_href`]; cleared by every
    /// other call.
    href: Href,
    /// Every denial and report-mode pass, aggregated, for
    /// [`guard_take_reports`]. Outside the guard, so it survives
    /// [`guard_new`] and records `no_policy` denials before any guard exists.
    reports: ReportLog,
    /// What [`guard_take_reports`] handed out last, for
    /// [`guard_requeue_reports`] when the host could not send it.
    taken: Option<Batch>,
}

/// Records what a check answered in the report log: one branch for an
/// allowed call; a denial or report-mode pass is one aggregated report
/// (`guard_core::report`), with the version of the policy that decided.
fn note(
    reports: &mut ReportLog,
    guard: Option<&Guard>,
    app: &str,
    kind: CheckKind,
    subject: Subject<'_>,
    verdict: Verdict,
    now: u64,
) {
    if verdict.code().is_some() {
        record(reports, guard, app, kind, subject, verdict, now);
    }
}

// Out of line and cold: inlined into each of the eight checks, the log's map
// code cost 38 KB of module; a denial pays one call instead.
#[cold]
#[inline(never)]
fn record(
    reports: &mut ReportLog,
    guard: Option<&Guard>,
    app: &str,
    kind: CheckKind,
    subject: Subject<'_>,
    verdict: Verdict,
    now: u64,
) {
    let version = guard.and_then(Guard::highest_version).unwrap_or(0);
    reports.record_verdict(app, kind, subject, verdict, version, now);
}

impl State {
    /// Keeps a raw-socket or redirect check's answer for [`guard_message`] and
    /// [`guard_href`] (the serialised target, owned), and answers its verdict
    /// byte; with no guard, deny `no_policy`.
    fn remember_target(
        &mut self,
        app: &str,
        kind: CheckKind,
        checked: Option<(UrlVerdict, Option<String>)>,
        now: u64,
    ) -> i32 {
        if let Some((v, _)) = &checked {
            let subject = Subject::Host(v.host.as_deref());
            note(
                &mut self.reports,
                self.guard.get(),
                app,
                kind,
                subject,
                v.verdict,
                now,
            );
        } else {
            let subject = Subject::Host(None);
            let deny = Verdict::deny(DenyCode::NoPolicy);
            note(&mut self.reports, None, app, kind, subject, deny, now);
        }
        let (verdict, host, port, href) = match checked {
            Some((v, target)) => (
                v.verdict,
                v.host,
                v.port,
                target.map_or(Href::None, Href::Owned),
            ),
            None => (Verdict::deny(DenyCode::NoPolicy), None, None, Href::None),
        };
        self.last = Last::Url(verdict, kind, host, port);
        self.href = href;
        i32::from(verdict.to_u8())
    }
}

/// Where the href of the last URL check is.
#[derive(Debug, Default)]
enum Href {
    /// No URL check, or its URL did not parse.
    #[default]
    None,
    /// The input already was its own serialisation: `input[start..start + len]`
    /// (guard-core's borrowed fast path; nothing copied).
    Input(usize, usize),
    /// guard-core's serialisation.
    Owned(String),
}

impl Href {
    /// From guard-core's answer for `url`, which is `input[start..]`. A
    /// borrowed answer is a part of `url` (a media target without the
    /// spaces it was preprocessed out of may start further in), located by
    /// its address; one that is not inside `url` is copied.
    fn of(href: Option<Cow<'_, str>>, url: &str, start: usize) -> Href {
        match href {
            None => Href::None,
            Some(Cow::Borrowed(b)) => {
                let offset = (b.as_ptr() as usize).wrapping_sub(url.as_ptr() as usize);
                if offset
                    .checked_add(b.len())
                    .is_some_and(|end| end <= url.len())
                {
                    Href::Input(start + offset, b.len())
                } else {
                    Href::Owned(b.to_owned())
                }
            }
            Some(Cow::Owned(o)) => Href::Owned(o),
        }
    }
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

/// Packs text in `output` as `(address << 32) | length`.
fn pack(output: &str) -> i64 {
    pack_bytes(output.as_bytes())
}

/// Packs module-owned bytes as `(address << 32) | length`.
fn pack_bytes(bytes: &[u8]) -> i64 {
    let addr = bytes.as_ptr() as usize as u64;
    let len = bytes.len() as u64;
    ((addr << 32) | len) as i64
}

/// A kind from its ABI number, when `accept` takes it.
fn kind_of(kind: u32, accept: impl Fn(CheckKind) -> bool) -> Option<CheckKind> {
    u8::try_from(kind)
        .ok()
        .and_then(CheckKind::from_u8)
        .filter(|k| accept(*k))
}

/// A URL kind from its ABI number: `1..=5`, or `9` (media, contract v3).
fn url_kind(kind: u32) -> Option<CheckKind> {
    kind_of(kind, CheckKind::is_url)
}

/// The `u64` clock a host passed bit-for-bit as `i64`.
const fn clock(now: i64) -> u64 {
    now as u64
}

#[cfg(all(target_arch = "wasm32", not(feature = "facade")))]
mod host_idna {
    //! The module's one import (decision 660): `guard_host.domain_to_ascii`,
    //! the WHATWG URL Standard's domain to ASCII done by the host, for the
    //! hosts that need Unicode data (IDN labels, `xn--` labels): the wasm32
    //! build of the patched `idna` (vendor/idna) links none and calls
    //! [`guard_idna_domain_to_ascii`], defined here. Plain ASCII hosts never
    //! cross. The contract is in docs/wasm-host.md ("The host import").

    // guard_abi::HOST_MODULE and HOST_DOMAIN_TO_ASCII (the attribute takes
    // a literal); a test checks the built module's import against them.
    #[link(wasm_import_module = "guard_host")]
    extern "C" {
        /// Reads `input_len` bytes at `input` (the domain, UTF-8, possibly
        /// ill-formed), and answers `-1` when it is not a valid domain, else
        /// the byte length `n` of its ASCII form, which it wrote at `out`
        /// only when `n <= out_cap`.
        fn domain_to_ascii(input: *const u8, input_len: u32, out: *mut u8, out_cap: u32) -> i32;
    }

    /// The first output buffer: an ASCII answer longer than this makes a
    /// second call with the length the first answered.
    const FIRST_CAP: usize = 256;

    /// Asks the host once with a buffer of `cap` bytes: `Err(())` for "not a
    /// valid domain" (or an answer out of range), `Ok(Err(n))` when `n`
    /// bytes are needed, `Ok(Ok(bytes))` when it wrote the answer.
    fn ask(domain: &[u8], cap: usize) -> Result<Result<Vec<u8>, usize>, ()> {
        let mut out = vec![0u8; cap];
        let (Ok(len), Ok(cap32)) = (u32::try_from(domain.len()), u32::try_from(cap)) else {
            return Err(());
        };
        // SAFETY: the host reads `len` bytes at `domain` and writes at most
        // `cap` bytes at `out`, both live buffers of this module for the
        // call (the import's contract; a host writing elsewhere could
        // corrupt any memory of the instance it already owns anyway).
        let n = unsafe { domain_to_ascii(domain.as_ptr(), len, out.as_mut_ptr(), cap32) };
        let n = usize::try_from(n).map_err(|_| ())?;
        if n > cap {
            return Ok(Err(n));
        }
        out.truncate(n);
        Ok(Ok(out))
    }

    /// The hook the patched `idna` calls on wasm32 for input that needs
    /// Unicode data: `Some(ascii)`, or `None` for "not a valid domain" (and
    /// for an answer that is not UTF-8 or changes its length between the
    /// two calls: fail closed; `idna` then checks it is ASCII outside the
    /// URL deny list).
    #[no_mangle]
    pub fn guard_idna_domain_to_ascii(domain: &[u8]) -> Option<String> {
        let bytes = match ask(domain, FIRST_CAP).ok()? {
            Ok(bytes) => bytes,
            Err(n) => ask(domain, n).ok()?.ok()?,
        };
        String::from_utf8(bytes).ok()
    }
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
        s.href = Href::None;
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

/// Creates the guard for the keys in `input[0..len]`, dropping any previous
/// guard (and its policy): a SecretKey, or (first byte `{`) a key-set JSON
/// `{"secret"?: "...", "keys"?: [Ed25519 public JWKs]}` (see
/// [`KeySet::from_json`]; a JWK with `d` is refused). `0` on success, `1`
/// when the keys are not valid (the message says why), or an `ERR_*` value.
#[no_mangle]
pub extern "C" fn guard_new(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(secret) = text(&s.input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        s.href = Href::None;
        if secret.starts_with('{') {
            return match KeySet::from_json(secret) {
                Ok(keys) => {
                    s.guard.set(Some(Guard::with_keys(keys)));
                    s.last = Last::Nothing;
                    0
                }
                Err(e) => {
                    s.guard.set(None);
                    s.last = Last::Load(e.to_string());
                    1
                }
            };
        }
        match Guard::new(secret) {
            Ok(g) => {
                s.guard.set(Some(g));
                s.last = Last::Nothing;
                0
            }
            Err(e) => {
                s.guard.set(None);
                s.last = Last::Load(e.to_string());
                1
            }
        }
    })
}

/// Creates the guard from the configuration JSON in `input[0..len]`
/// (`guard_core::GuardConfig::from_json`: `{"secret"?, "keys"?, "roots"?,
/// "superapp_id"?, "local_prefixes"?}`; contract v3 §2.1, §3.7), dropping any
/// previous guard: root keys with the superapp they serve, never with a
/// SecretKey or signing keys. `0` on success, `1` when the configuration is
/// refused (the message says why; no guard then), or an `ERR_*` value.
#[no_mangle]
pub extern "C" fn guard_new_config(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(json) = text(&s.input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        s.href = Href::None;
        match GuardConfig::from_json(json) {
            Ok(config) => {
                s.guard.set(Some(Guard::from_config(config)));
                s.last = Last::Nothing;
                0
            }
            Err(e) => {
                s.guard.set(None);
                s.last = Last::Load(e.to_string());
                1
            }
        }
    })
}

/// Runs `load` on the guard with the UTF-8 text of `input[0..len]` and
/// answers its [`LoadCode`], keeping the message for [`guard_message`]:
/// what [`guard_load`], [`guard_load_keys`] and [`guard_restore_state`]
/// share. Text that is not UTF-8 is `what` refused as `malformed_bundle`.
fn load_with(
    len: u32,
    what: &str,
    load: impl FnOnce(&mut Guard, &str) -> Result<(), LoadError>,
) -> i32 {
    with_state(ERR_BUSY, |s| {
        s.href = Href::None;
        let State {
            guard, input, last, ..
        } = s;
        let Some(guard) = guard.get_mut() else {
            return ERR_NO_GUARD;
        };
        let Some(doc) = text(input, 0, len) else {
            // Out-of-bounds lengths are the host's bug; invalid UTF-8 is the document's.
            if usize::try_from(len).is_ok_and(|l| l <= input.len()) {
                *last = Last::Load(format!("{what} is not UTF-8"));
                return LoadCode::MalformedBundle as i32;
            }
            return ERR_BAD_INPUT;
        };
        match load(guard, doc) {
            Ok(()) => {
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

/// Loads the key set (a key-set JWS, contract v3 §2.1) in `input[0..len]`
/// at `now` into a guard created with roots; returns the [`LoadCode`]
/// (`0` loaded; `invalid_keyset` and the JWS outcomes otherwise; a guard
/// created without roots refuses every key set as `unknown_key`). The message is then available from
/// [`guard_message`].
#[no_mangle]
pub extern "C" fn guard_load_keys(len: u32, now: i64) -> i32 {
    load_with(len, "key set", |g, jws| {
        g.load_keys(jws, clock(now)).map(drop)
    })
}

/// The signed state of a guard created with roots
/// (`guard_core::SignedState` as JSON: the key set in force, the key set
/// that admitted the bundle, the bundle, each as received) in the output
/// buffer, packed like [`guard_message`]: what a host persists after every
/// successful load, in place of [`guard_floor`]. Empty for a guard created
/// without roots.
#[no_mangle]
pub extern "C" fn guard_signed_state() -> i64 {
    with_state(i64::from(ERR_BUSY), |s| {
        s.href = Href::None;
        let Some(guard) = s.guard.get() else {
            return i64::from(ERR_NO_GUARD);
        };
        s.output.clear();
        if let Some(state) = guard.signed_state() {
            s.output.push_str(&state.to_json());
        }
        pack(&s.output)
    })
}

/// Restores a signed state a host kept (JSON in `input[0..len]`, as
/// [`guard_signed_state`] gave it) at `now`, into a guard created with the
/// same roots that has loaded nothing (`guard_core::Guard::restore_state`):
/// every document is verified against the roots again. Returns the
/// [`LoadCode`] (`0` restored; otherwise nothing changed and
/// [`guard_message`] says why).
#[no_mangle]
pub extern "C" fn guard_restore_state(len: u32, now: i64) -> i32 {
    load_with(len, "signed state", |g, json| {
        let state = SignedState::from_json(json)?;
        g.restore_state(&state, clock(now)).map(drop)
    })
}

/// Loads the bundle in `input[0..len]` at `now`; returns the [`LoadCode`]
/// (`0` loaded). The error message is then available from [`guard_message`].
/// A bundle that is not UTF-8 is `malformed_bundle`, as it is natively.
#[no_mangle]
pub extern "C" fn guard_load(len: u32, now: i64) -> i32 {
    load_with(len, "bundle", |g, bundle| {
        g.load(bundle, clock(now)).map(drop)
    })
}

/// The stable id of the API name in `input[0..len]`, interning it; an
/// `ERR_*` value, or [`ERR_OOM`] when the guard's name table is full.
#[no_mangle]
pub extern "C" fn guard_api_id(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(guard) = s.guard.get_mut() else {
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
        let Some(guard) = s.guard.get_mut() else {
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
        let verdict = match s.guard.get() {
            Some(g) => {
                let verdict = g.check_api_id(AppHandle(app), ApiId(api), clock(now));
                // An id or handle this guard never issued names nothing to report.
                if let (true, Some(a), Some(n)) = (
                    verdict.code().is_some(),
                    g.app_id(AppHandle(app)),
                    g.api_name(ApiId(api)),
                ) {
                    note(
                        &mut s.reports,
                        Some(g),
                        a,
                        CheckKind::Api,
                        Subject::Api(n),
                        verdict,
                        clock(now),
                    );
                }
                verdict
            }
            None => Verdict::deny(DenyCode::NoPolicy),
        };
        s.last = Last::ApiId(verdict, ApiId(api));
        s.href = Href::None;
        i32::from(verdict.to_u8())
    })
}

/// [`guard_check_api`], then, for an allow without code (the verdict byte
/// `0`), the clocks `[from, until)` over which guard-core says that verdict
/// holds while the state epoch is unchanged
/// (`guard_core::Guard::api_verdict_span`) written into the memo cell
/// ([`guard_memo_cell`], `[1]` and `[2]`), capped at 2^53; an empty span for
/// any other verdict. What the JS bridge calls when its memo misses
/// (decision 642). [`guard_check_api`] itself is left as it was: a native
/// host's hot path pays nothing for the span.
#[no_mangle]
pub extern "C" fn guard_check_api_span(app: u32, api: u32, now: i64) -> i32 {
    let verdict = guard_check_api(app, api, now);
    let span = if verdict == 0 {
        with_state(0..0, |s| {
            s.guard.get().map_or(0..0, |g| {
                g.api_verdict_span(AppHandle(app), ApiId(api), clock(now))
            })
        })
    } else {
        0..0
    };
    // Empty for any verdict but an allow without code: nothing else is
    // ever reused.
    write_span(span);
    verdict
}

/// The address of the memo cell: three `f64`s (the state epoch, then the
/// span of the last [`guard_check_api_span`]), 8-byte aligned, at the same
/// address for the life of the instance (decision 642).
#[no_mangle]
pub extern "C" fn guard_memo_cell() -> u32 {
    // wasm32 addresses are 32 bits; the cast is the ABI's pointer type.
    MEMO.with(|m| m.as_ptr() as usize as u32)
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
            reports,
            ..
        } = s;
        let (Some(app), Some(api)) = (text(input, 0, app_len), text(input, app_len, api_len))
        else {
            return ERR_BAD_INPUT;
        };
        let verdict = match guard.get() {
            Some(g) => g.check_api(app, api, clock(now)),
            None => Verdict::deny(DenyCode::NoPolicy),
        };
        note(
            reports,
            guard.get(),
            app,
            CheckKind::Api,
            Subject::Api(api),
            verdict,
            clock(now),
        );
        name.clear();
        name.push_str(api);
        *last = Last::ApiName(verdict);
        s.href = Href::None;
        i32::from(verdict.to_u8())
    })
}

/// A URL check of `kind` ([`CheckKind`] as `u8`, `1..=5`), or a media check
/// (kind `9`, §3.7: the target classified first; [`guard_href`] then gives
/// what the enforcement point hands on, a local target as classified or a
/// network one serialised): the app id is `input[0..app_len]`, the URL the
/// next `url_len` bytes.
#[no_mangle]
pub extern "C" fn guard_check_url(kind: u32, app_len: u32, url_len: u32, now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(kind) = url_kind(kind) else {
            return ERR_BAD_INPUT;
        };
        let (Some(app), Some(url)) = (text(&s.input, 0, app_len), text(&s.input, app_len, url_len))
        else {
            return ERR_BAD_INPUT;
        };
        let (verdict, host, port, href) = match s.guard.get() {
            Some(g) => {
                let (v, href) = if kind == CheckKind::Media {
                    g.check_media(app, url, clock(now))
                } else {
                    g.check_url_href_by_app(app, kind, url, clock(now))
                };
                (v.verdict, v.host, v.port, Href::of(href, url, app.len()))
            }
            None => (Verdict::deny(DenyCode::NoPolicy), None, None, Href::None),
        };
        let subject = Subject::Host(host.as_deref());
        note(
            &mut s.reports,
            s.guard.get(),
            app,
            kind,
            subject,
            verdict,
            clock(now),
        );
        s.last = Last::Url(verdict, kind, host, port);
        s.href = href;
        i32::from(verdict.to_u8())
    })
}

/// [`guard_check_url`] by app handle (from [`guard_app_handle`]): the URL is
/// `input[0..url_len]`. The JS bridge calls it on every URL check, through
/// [`guard_check_url_href`].
#[no_mangle]
pub extern "C" fn guard_check_url_handle(kind: u32, app: u32, url_len: u32, now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(kind) = url_kind(kind) else {
            return ERR_BAD_INPUT;
        };
        let Some(url) = text(&s.input, 0, url_len) else {
            return ERR_BAD_INPUT;
        };
        let (verdict, host, port, href) = match s.guard.get() {
            Some(g) => {
                let (v, href) = if kind == CheckKind::Media {
                    g.check_media_handle(AppHandle(app), url, clock(now))
                } else {
                    g.check_url_href(AppHandle(app), kind, url, clock(now))
                };
                if let (true, Some(a)) = (v.verdict.code().is_some(), g.app_id(AppHandle(app))) {
                    let subject = Subject::Host(v.host.as_deref());
                    note(
                        &mut s.reports,
                        Some(g),
                        a,
                        kind,
                        subject,
                        v.verdict,
                        clock(now),
                    );
                }
                (v.verdict, v.host, v.port, Href::of(href, url, 0))
            }
            None => (Verdict::deny(DenyCode::NoPolicy), None, None, Href::None),
        };
        s.last = Last::Url(verdict, kind, host, port);
        s.href = href;
        i32::from(verdict.to_u8())
    })
}

/// A launch check (§3.5): app id `input[0..app_len]`, then the version
/// (`version_len` bytes), then the package's SHA-256 in hex (`sha_len`).
#[no_mangle]
pub extern "C" fn guard_check_launch(
    app_len: u32,
    version_len: u32,
    sha_len: u32,
    now: i64,
) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(version_at) = app_len.checked_add(version_len) else {
            return ERR_BAD_INPUT;
        };
        let (Some(app), Some(version), Some(sha)) = (
            text(&s.input, 0, app_len),
            text(&s.input, app_len, version_len),
            text(&s.input, version_at, sha_len),
        ) else {
            return ERR_BAD_INPUT;
        };
        let verdict = match s.guard.get() {
            Some(g) => g.check_launch(app, version, sha, clock(now)),
            None => Verdict::deny(DenyCode::NoPolicy),
        };
        let kind = CheckKind::Launch;
        note(
            &mut s.reports,
            s.guard.get(),
            app,
            kind,
            Subject::Nothing,
            verdict,
            clock(now),
        );
        s.last = Last::Url(verdict, CheckKind::Launch, None, None);
        s.href = Href::None;
        i32::from(verdict.to_u8())
    })
}

/// A raw socket check (§3.7) of `kind` (`CheckKind::Tcp` or `Udp`): app id
/// `input[0..app_len]`, then the host (`host_len` bytes; an IPv6 address in
/// brackets), and `port`. [`guard_href`] then gives the host as the WHATWG
/// host parser serialised it: what the enforcement point connects to.
#[no_mangle]
pub extern "C" fn guard_check_socket_target(
    kind: u32,
    app_len: u32,
    host_len: u32,
    port: u32,
    now: i64,
) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(kind) = kind_of(kind, |k| matches!(k, CheckKind::Tcp | CheckKind::Udp)) else {
            return ERR_BAD_INPUT;
        };
        let (Some(app), Some(host)) = (
            text(&s.input, 0, app_len),
            text(&s.input, app_len, host_len),
        ) else {
            return ERR_BAD_INPUT;
        };
        let checked = s
            .guard
            .get()
            .map(|g| g.check_socket_target(app, kind, host, port, clock(now)));
        let app = app.to_owned();
        s.remember_target(&app, kind, checked, clock(now))
    })
}

/// A redirect hop (§3.6) of a `kind` URL check (request, upload, download):
/// app id `input[0..app_len]`, then the href of the URL that answered
/// (`base_len` bytes), then its `Location` (`location_len`), and the hop
/// number counted from 1. [`guard_href`] then gives the absolute target.
#[no_mangle]
pub extern "C" fn guard_check_redirect(
    kind: u32,
    app_len: u32,
    base_len: u32,
    location_len: u32,
    hop: u32,
    now: i64,
) -> i32 {
    with_state(ERR_BUSY, |s| {
        let Some(kind) = url_kind(kind) else {
            return ERR_BAD_INPUT;
        };
        let Some(location_at) = app_len.checked_add(base_len) else {
            return ERR_BAD_INPUT;
        };
        let (Some(app), Some(base), Some(location)) = (
            text(&s.input, 0, app_len),
            text(&s.input, app_len, base_len),
            text(&s.input, location_at, location_len),
        ) else {
            return ERR_BAD_INPUT;
        };
        let checked = s
            .guard
            .get()
            .map(|g| g.check_redirect(app, kind, base, location, hop, clock(now)));
        let app = app.to_owned();
        s.remember_target(&app, kind, checked, clock(now))
    })
}

/// The WHATWG serialisation (`href`) of the URL the last URL check judged,
/// packed like [`guard_message`]: what an enforcement point hands on instead
/// of the caller's string (§3.7). [`ERR_BAD_INPUT`] when the last call was no
/// URL check or its URL does not parse.
#[no_mangle]
pub extern "C" fn guard_href() -> i64 {
    with_state(i64::from(ERR_BUSY), |s| match &s.href {
        Href::None => i64::from(ERR_BAD_INPUT),
        Href::Input(start, len) => match s.input.get(*start..start + len) {
            Some(bytes) => pack_bytes(bytes),
            None => i64::from(ERR_BAD_INPUT),
        },
        Href::Owned(h) => pack(h),
    })
}

/// Whether the href of the last URL check is exactly `input[start..start +
/// len]`: 1 when it is, 0 when not (another string, or none). A JS caller
/// that wrote that URL itself then hands its own string on without reading
/// any text back, and without the `BigInt` that [`guard_href`]'s packed
/// `i64` is in JS (the allowed request's common case). [`ERR_BUSY`] when busy.
#[no_mangle]
pub extern "C" fn guard_href_is_input(start: u32, len: u32) -> i32 {
    with_state(ERR_BUSY, |s| match s.href {
        Href::Input(a, n) => {
            i32::from(usize::try_from(start) == Ok(a) && usize::try_from(len) == Ok(n))
        }
        Href::None | Href::Owned(_) => 0,
    })
}

/// The href field of [`guard_check_url_href`]'s answer, above the verdict
/// byte: bits 8 to 30 (an `i32` that stays positive).
const HREF_SHIFT: u32 = 8;
/// No href (the URL did not parse).
const HREF_NONE: i32 = 0;
/// The href is exactly the URL the call was given, `input[0..url_len]`.
const HREF_INPUT: i32 = 1;
/// The href is another string longer than the field can say: read it with
/// [`guard_href`].
const HREF_ASK: i32 = (1 << (31 - HREF_SHIFT)) - 1;

/// The href field for the href of the last check of `input[0..url_len]`:
/// [`HREF_NONE`], [`HREF_INPUT`], or `2 + len` for another string of
/// `len` bytes ([`HREF_ASK`] when that does not fit).
fn href_field(href: &Href, url_len: u32) -> i32 {
    let other = |len: usize| {
        i32::try_from(len)
            .ok()
            .and_then(|n| n.checked_add(2))
            .filter(|f| *f < HREF_ASK)
            .unwrap_or(HREF_ASK)
    };
    match href {
        Href::None => HREF_NONE,
        Href::Input(0, n) if usize::try_from(url_len) == Ok(*n) => HREF_INPUT,
        Href::Input(_, n) => other(*n),
        Href::Owned(h) => other(h.len()),
    }
}

/// [`guard_check_url_handle`] answering the href with the verdict: what the
/// JS bridge calls on every URL check, one call where it made two (the
/// check, then [`guard_href_is_input`]) and, when guard-core wrote the href
/// (`HTTPS://API.example:443/`), no `BigInt` (the packed `i64` of
/// [`guard_href`]). A negative answer is ABI misuse as there; otherwise
/// `verdict | field << 8`, the verdict byte in the low 8 bits and the
/// href field above it: `0` no href, `1` the href is exactly
/// `input[0..url_len]`, `2 + len` another string of `len` bytes that
/// [`guard_href_at`] locates, and `0x7f_ffff` another string to read with
/// [`guard_href`].
#[no_mangle]
pub extern "C" fn guard_check_url_href(kind: u32, app: u32, url_len: u32, now: i64) -> i32 {
    let verdict = guard_check_url_handle(kind, app, url_len, now);
    if verdict < 0 {
        return verdict;
    }
    with_state(ERR_BUSY, |s| {
        verdict | (href_field(&s.href, url_len) << HREF_SHIFT)
    })
}

/// The address of the href of the last URL check (its length is in
/// [`guard_check_url_href`]'s answer), valid until the next call; `0` when
/// there is none or the state is busy (no allocation is at address 0).
#[no_mangle]
pub extern "C" fn guard_href_at() -> u32 {
    with_state(0, |s| {
        let bytes = match &s.href {
            Href::None => return 0,
            Href::Input(start, len) => match s.input.get(*start..start + len) {
                Some(bytes) => bytes,
                None => return 0,
            },
            Href::Owned(h) => h.as_bytes(),
        };
        // wasm32 addresses are 32 bits; the cast is the ABI's pointer type.
        bytes.as_ptr() as usize as u32
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
                let label = guard.get().and_then(|g| g.api_name(*id)).unwrap_or("");
                output.push_str(&v.message(label, None, None));
            }
            Last::ApiName(v) => output.push_str(&v.message(name, None, None)),
            Last::Url(v, kind, host, port) => {
                let label = kind.url_label().unwrap_or("api");
                output.push_str(&v.message(label, host.as_deref(), *port));
            }
        }
        pack(output)
    })
}

/// [`guard_message`] with the API name in `input[0..label_len]` in place of
/// the check's own label: a URL check made for `getImageInfo` says
/// `getImageInfo:fail ...`, not `downloadFile:fail ...`. A load's message is
/// as [`guard_message`] gives it. [`ERR_BAD_INPUT`] for a bad length.
#[no_mangle]
pub extern "C" fn guard_message_for(label_len: u32) -> i64 {
    with_state(i64::from(ERR_BUSY), |s| {
        let State {
            input,
            output,
            last,
            ..
        } = s;
        let Some(label) = text(input, 0, label_len) else {
            return i64::from(ERR_BAD_INPUT);
        };
        output.clear();
        match last {
            Last::Nothing => {}
            Last::Load(m) => output.push_str(m),
            Last::ApiId(v, _) | Last::ApiName(v) => output.push_str(&v.message(label, None, None)),
            Last::Url(v, _, host, port) => {
                output.push_str(&v.message(label, host.as_deref(), *port))
            }
        }
        pack(output)
    })
}

/// The contract name of deny code `code`, or of load outcome `code` when
/// `load` is not `0`, packed like [`guard_message`]; empty for a number with
/// no name. Hosts read their tables from here, so no code is spelled twice.
#[no_mangle]
pub extern "C" fn guard_code_name(code: u32, load: u32) -> i64 {
    with_state(i64::from(ERR_BUSY), |s| {
        let code = u8::try_from(code).ok();
        let name = if load != 0 {
            code.and_then(LoadCode::from_u8).map(LoadCode::as_str)
        } else {
            code.and_then(DenyCode::from_u8).map(DenyCode::as_str)
        };
        s.output.clear();
        s.output.push_str(name.unwrap_or_default());
        pack(&s.output)
    })
}

/// The `errno` of deny code `code` (`0` for a number that is no deny code).
#[no_mangle]
pub extern "C" fn guard_errno(code: u32) -> i32 {
    u8::try_from(code)
        .ok()
        .and_then(DenyCode::from_u8)
        .map_or(0, |c| i32::try_from(c.errno()).unwrap_or(i32::MAX))
}

/// The number of the [`CheckKind`] named in `input[0..len]` (`"api"`,
/// `"request"`, ...); [`ERR_BAD_INPUT`] for a name that is no kind.
#[no_mangle]
pub extern "C" fn guard_kind(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        text(&s.input, 0, len)
            .and_then(CheckKind::parse)
            .map_or(ERR_BAD_INPUT, |k| i32::from(k as u8))
    })
}

/// The bit a verdict byte carries when report mode let a denial through.
#[no_mangle]
pub extern "C" fn guard_report_bit() -> i32 {
    i32::from(REPORTED_BIT)
}

/// The largest bundle (UTF-8 bytes) guard-core loads: a host refuses larger
/// ones with [`guard_load_too_large`] before copying them in.
#[no_mangle]
pub extern "C" fn guard_max_bundle_bytes() -> i32 {
    i32::try_from(limits::MAX_BUNDLE_BYTES).unwrap_or(i32::MAX)
}

/// The longest URL (UTF-8 bytes) guard-core parses; longer ones are
/// `invalid_url`.
#[no_mangle]
pub extern "C" fn guard_max_url_bytes() -> i32 {
    i32::try_from(limits::MAX_URL_BYTES).unwrap_or(i32::MAX)
}

/// Refuses a bundle the host measured at `size` (its own unit: UTF-16 code
/// units for JS, each at least one UTF-8 byte) as larger than
/// [`guard_max_bundle_bytes`], without it ever entering the module: the load
/// outcome `malformed_bundle`, with the message for [`guard_message`]. A
/// failed load, so the guard keeps enforcing what it enforced.
#[no_mangle]
pub extern "C" fn guard_load_too_large(size: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        if s.guard.get().is_none() {
            return ERR_NO_GUARD;
        }
        s.href = Href::None;
        s.last = Last::Load(format!(
            "{size} units, more than the limit of {} bytes; not copied into the guard",
            limits::MAX_BUNDLE_BYTES
        ));
        LoadCode::MalformedBundle as i32
    })
}

/// Drains the report log at `now` (`guard_core::report::ReportLog::take`:
/// reports older than 15 minutes dropped) into the output buffer as the JSON
/// a device sends, `{"reports":[...],"dropped":N}`, packed like
/// [`guard_message`]. Works with no guard: `no_policy` denials are reports too.
/// A host that cannot send it calls [`guard_requeue_reports`].
#[no_mangle]
pub extern "C" fn guard_take_reports(now: i64) -> i64 {
    with_state(i64::from(ERR_BUSY), |s| {
        s.href = Href::None;
        let batch = s.reports.take(clock(now));
        s.output.clear();
        s.output.push_str(&batch.to_json());
        s.taken = Some(batch);
        pack(&s.output)
    })
}

/// Puts the batch the last [`guard_take_reports`] handed out back into the
/// log, for a host whose send failed: it merges with what was recorded
/// since, within the log's bounds (too old: gone; no room: counted as
/// dropped). A second call, or one after nothing was taken, does nothing.
/// The batch is kept as the module made it, so nothing the host says is
/// parsed. Answers `0`.
#[no_mangle]
pub extern "C" fn guard_requeue_reports(now: i64) -> i32 {
    with_state(ERR_BUSY, |s| {
        s.href = Href::None;
        if let Some(batch) = s.taken.take() {
            s.reports.restore(batch, clock(now));
        }
        0
    })
}

/// The guard's anti-rollback floor (`guard_core::Floor`) as JSON in the
/// output buffer, packed like [`guard_message`]; empty when it has accepted
/// nothing. What a host persists with the bundle.
#[no_mangle]
pub extern "C" fn guard_floor() -> i64 {
    with_state(i64::from(ERR_BUSY), |s| {
        s.href = Href::None;
        let Some(guard) = s.guard.get() else {
            return i64::from(ERR_NO_GUARD);
        };
        s.output.clear();
        if let Some(floor) = guard.floor() {
            s.output.push_str(&floor.to_json());
        }
        pack(&s.output)
    })
}

/// Restores a floor a host kept (JSON in `input[0..len]`, as [`guard_floor`]
/// gave it) before anything is loaded after a restart
/// (`guard_core::Guard::restore_floor`). `0` restored, `1` refused
/// ([`guard_message`] says why; nothing changed), or an `ERR_*` value.
#[no_mangle]
pub extern "C" fn guard_restore_floor(len: u32) -> i32 {
    with_state(ERR_BUSY, |s| {
        s.href = Href::None;
        let State {
            guard, input, last, ..
        } = s;
        let Some(guard) = guard.get_mut() else {
            return ERR_NO_GUARD;
        };
        let Some(json) = text(input, 0, len) else {
            return ERR_BAD_INPUT;
        };
        match Floor::from_json(json).and_then(|f| guard.restore_floor(&f)) {
            Ok(()) => {
                *last = Last::Nothing;
                0
            }
            Err(e) => {
                *last = Last::Load(e.to_string());
                1
            }
        }
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

    fn packed(p: i64) -> String {
        // Natively addresses are 64 bits, so only the length half is sound.
        assert!(!(-4..=-1).contains(&p), "an ERR_* value: {p}");
        let len = (p as u64 & 0xffff_ffff) as usize;
        STATE
            .with(|s| s.borrow().output.clone())
            .get(..len)
            .unwrap()
            .to_owned()
    }

    /// What `guard_href` points at (natively the packed address is useless).
    fn href() -> String {
        let p = guard_href();
        assert!(!(-4..=-1).contains(&p), "an ERR_* value: {p}");
        STATE.with(|s| {
            let s = s.borrow();
            let text = match &s.href {
                Href::None => panic!("no href"),
                Href::Input(start, len) => std::str::from_utf8(&s.input[*start..start + len])
                    .unwrap()
                    .to_owned(),
                Href::Owned(h) => h.clone(),
            };
            assert_eq!(text.len() as u64, p as u64 & 0xffff_ffff);
            text
        })
    }

    #[test]
    fn abi_v2_tables_kinds_limits_and_hrefs() {
        assert_eq!(guard_abi_version(), 5);
        assert_eq!(packed(guard_code_name(7, 0)), "domain_not_whitelisted");
        assert_eq!(packed(guard_code_name(1, 1)), "malformed_bundle");
        assert_eq!(packed(guard_code_name(0, 0)), "");
        assert_eq!(packed(guard_code_name(300, 0)), "");
        assert_eq!(guard_errno(7), 600_002);
        assert_eq!(guard_errno(0), 0);
        assert_eq!(guard_report_bit(), 0x80);
        for k in CheckKind::ALL {
            let n = put(k.as_str().as_bytes());
            assert_eq!(guard_kind(n), i32::from(k as u8));
        }
        let n = put(b"nope");
        assert_eq!(guard_kind(n), ERR_BAD_INPUT);
        assert_eq!(guard_max_bundle_bytes() as usize, limits::MAX_BUNDLE_BYTES);
        assert_eq!(guard_max_url_bytes() as usize, limits::MAX_URL_BYTES);

        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        assert_eq!(guard_href(), i64::from(ERR_BAD_INPUT));
        assert_eq!(
            guard_load_too_large(u32::MAX),
            LoadCode::MalformedBundle as i32
        );
        assert!(message().contains("not copied"));
        let policy = br#"{"schema":1,"superapp_id":"d","version":1,"issued_at":0,
          "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
                   "server_domains":["https://api.example"]}]}"#;
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let n = put(guard_core::bundle::sign(policy, &key).as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        let n = put(b"mp");
        let app = guard_app_handle(n) as u32;
        // The href is the WHATWG serialisation, not the string as written.
        let n = put(br"HTTPS://API.example:443\a\..\b?q#f");
        assert_eq!(guard_check_url_handle(1, app, n, 100), 0);
        assert_eq!(href(), "https://api.example/b?q#f");
        let n = put(br"https://api.example\@evil.example/");
        let v = guard_check_url_handle(3, app, n, 100);
        assert_eq!(v, 0, "WHATWG reads api.example as the host");
        assert_eq!(href(), "https://api.example/@evil.example/");
        let n = put(b"getImageInfo");
        assert_eq!(packed(guard_message_for(n)), "getImageInfo:ok");
        let n = put(b"https://evil.example/");
        assert_eq!(
            guard_check_url_handle(3, app, n, 100),
            DenyCode::DomainNotWhitelisted as i32
        );
        let n = put(b"getImageInfo");
        assert_eq!(
            packed(guard_message_for(n)),
            "getImageInfo:fail url not in domain list:evil.example"
        );
        let n = put(b"not a url");
        assert_eq!(
            guard_check_url_handle(1, app, n, 100),
            DenyCode::InvalidUrl as i32
        );
        assert_eq!(guard_href(), i64::from(ERR_BAD_INPUT));
        assert_eq!(guard_check_url_handle(0, app, n, 100), ERR_BAD_INPUT);
        // By app id too; a new input buffer forgets the href.
        let n = put(b"mphttps://api.example/x");
        assert_eq!(guard_check_url(1, 2, n - 2, 100), 0);
        assert_eq!(href(), "https://api.example/x");
        assert!(
            STATE.with(|s| matches!(s.borrow().href, Href::Input(2, 21))),
            "an href that is its input is not copied"
        );
        assert_eq!(guard_href_is_input(2, 21), 1);
        for (start, len) in [(0, 23), (2, 20), (3, 21), (2, 22)] {
            assert_eq!(guard_href_is_input(start, len), 0, "{start}..+{len}");
        }
        // An href that is not the input (lower-cased here) is never claimed to be.
        let n = put(b"mpHTTPS://api.example/x");
        assert_eq!(guard_check_url(1, 2, n - 2, 100), 0);
        assert_eq!(href(), "https://api.example/x");
        assert_eq!(guard_href_is_input(2, 21), 0);
        put(b"x");
        assert_eq!(guard_href(), i64::from(ERR_BAD_INPUT));
        assert_eq!(guard_href_is_input(0, 1), 0);
    }

    /// The text `guard_href_at` locates, `len` bytes.
    fn href_at(len: usize) -> String {
        let at = guard_href_at() as usize;
        assert_ne!(at, 0);
        STATE.with(|s| {
            let s = s.borrow();
            let bytes = match &s.href {
                Href::Input(start, n) => &s.input[*start..start + n],
                Href::Owned(h) => h.as_bytes(),
                Href::None => panic!("no href"),
            };
            // The ABI's address is 32 bits (this test runs natively too).
            assert_eq!(bytes.as_ptr() as usize as u32 as usize, at);
            String::from_utf8(bytes[..len].to_vec()).unwrap()
        })
    }

    #[test]
    fn check_url_href_answers_the_verdict_and_the_href_in_one_call() {
        let policy = br#"{"schema":1,"superapp_id":"d","version":1,"issued_at":0,
          "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
                   "server_domains":["https://api.example"]}]}"#;
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        let n = put(guard_core::bundle::sign(policy, &key).as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        let n = put(b"mp");
        let app = guard_app_handle(n) as u32;
        // Already its own serialisation: the href is the input.
        let n = put(b"https://api.example/x");
        assert_eq!(guard_check_url_href(1, app, n, 100), HREF_INPUT << 8);
        // Written by guard-core: its length, and where it is.
        let n = put(b"HTTPS://API.example:443/x");
        let a = guard_check_url_href(1, app, n, 100);
        assert_eq!(a & 0xff, 0);
        assert_eq!(a >> 8, 2 + 21);
        assert_eq!(href_at(21), "https://api.example/x");
        assert_eq!(href(), "https://api.example/x", "guard_href agrees");
        // The same length as the input, and still not the input.
        let n = put(b"HTTPS://api.example/x");
        let a = guard_check_url_href(1, app, n, 100);
        assert_eq!(a >> 8, 2 + 21, "never claimed to be the input");
        assert_eq!(href_at(21), "https://api.example/x");
        // Denied: the verdict byte (the href of a URL that parsed is told
        // as guard_href tells it, and handed on by no one).
        let n = put(b"https://evil.example/");
        let a = guard_check_url_href(1, app, n, 100);
        assert_eq!(a & 0xff, DenyCode::DomainNotWhitelisted as i32);
        assert_eq!(a >> 8, HREF_INPUT);
        // Not parsed: no href at all.
        let n = put(b"not a url");
        assert_eq!(
            guard_check_url_href(1, app, n, 100),
            DenyCode::InvalidUrl as i32
        );
        assert_eq!(guard_href_at(), 0);
        // Misuse is answered as guard_check_url_handle answers it.
        assert_eq!(guard_check_url_href(0, app, n, 100), ERR_BAD_INPUT);
        assert_eq!(guard_check_url_href(1, app, n + 1, 100), ERR_BAD_INPUT);
        // An href the field cannot hold is read with guard_href.
        assert_eq!(href_field(&Href::Owned("x".repeat(1 << 23)), 1), HREF_ASK);
        assert_eq!(href_field(&Href::Input(0, 5), 5), HREF_INPUT);
        assert_eq!(href_field(&Href::Input(0, 5), 6), 2 + 5);
        assert_eq!(href_field(&Href::Input(1, 5), 6), 2 + 5);
        assert_eq!(href_field(&Href::None, 0), HREF_NONE);
    }

    #[test]
    fn abi_v2_keys_launch_sockets_and_redirects() {
        // A key set: a JWK with its private part is refused, as is an empty set.
        let n = put(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#);
        assert_eq!(guard_new(n), 1);
        assert!(message().contains("private part"));
        let n = put(br#"{}"#);
        assert_eq!(guard_new(n), 1);
        let n = put(br#"{"secret":"k3yK3yk3yK3yk3y1","keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#);
        assert_eq!(guard_new(n), 0);
        let sha = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
        let policy = format!(
            r#"{{"schema":2,"superapp_id":"d","version":1,"issued_at":0,
              "apps":[{{"app_id":"mp","kind":"mini_program","control":{{"server_domains":true}},
                       "server_domains":["https://api.example"],
                       "release":{{"version":"1.0","package_sha256":"{sha}"}}}},
                      {{"app_id":"open","kind":"mini_program"}}]}}"#
        );
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let n = put(guard_core::bundle::sign(policy.as_bytes(), &key).as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        // Launch.
        let n = put(format!("mp1.0{sha}").as_bytes());
        assert_eq!(guard_check_launch(2, 3, n - 5, 100), 0);
        let n = put(format!("mp1.1{sha}").as_bytes());
        assert_eq!(
            guard_check_launch(2, 3, n - 5, 100),
            DenyCode::VersionNotReleased as i32
        );
        assert_eq!(message(), "launch:fail version not released");
        assert_eq!(guard_check_launch(2, u32::MAX, 1, 100), ERR_BAD_INPUT);
        // Raw sockets: denied while server_domains is on, allowed when off;
        // the href is the serialised host.
        let n = put(b"mpevil.example");
        assert_eq!(
            guard_check_socket_target(7, 2, n - 2, 80, 100),
            DenyCode::DomainNotWhitelisted as i32
        );
        let n = put(b"openPrinter.LAN.example");
        assert_eq!(guard_check_socket_target(8, 4, n - 4, 9100, 100), 0);
        assert_eq!(href(), "printer.lan.example");
        assert_eq!(
            guard_check_socket_target(1, 4, n - 4, 9100, 100),
            ERR_BAD_INPUT
        );
        assert_eq!(
            guard_check_socket_target(7, 4, n - 4, 0, 100),
            DenyCode::InvalidUrl as i32
        );
        // Redirects: the absolute target, checked as a URL of the same kind.
        let n = put(b"mphttps://api.example/a/b../c");
        assert_eq!(guard_check_redirect(1, 2, 23, n - 25, 1, 100), 0);
        assert_eq!(href(), "https://api.example/c");
        let n = put(b"mphttps://api.example/a/bhttps://evil.example/");
        assert_eq!(
            guard_check_redirect(1, 2, 23, n - 25, 2, 100),
            DenyCode::DomainNotWhitelisted as i32
        );
        assert_eq!(
            message(),
            "request:fail url not in domain list:evil.example"
        );
        let n = put(b"mphttps://api.example/a/b../c");
        assert_eq!(
            guard_check_redirect(1, 2, 23, n - 25, 11, 100),
            DenyCode::InvalidUrl as i32
        );
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

    /// Every kind of check reports its denials at the decision point, with
    /// the host and never the path or query; allowed calls report nothing;
    /// the floor crosses the ABI as JSON and a restored one refuses an older
    /// bundle; a hostile batch given back is refused.
    #[test]
    fn abi_v3_reports_and_floor() {
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        let _ = guard_take_reports(0);
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let policy = |v: u32| {
            format!(
                r#"{{"schema":1,"superapp_id":"d","version":{v},"issued_at":0,
              "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
              "apps":[{{"app_id":"mp","kind":"mini_program","control":{{"server_domains":true}},
                       "server_domains":["https://api.example"]}}]}}"#
            )
        };
        let n = put(guard_core::bundle::sign(policy(4).as_bytes(), &key).as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        let n = put(b"mp");
        let app = guard_app_handle(n) as u32;
        let n = put(b"getLocation");
        let api = guard_api_id(n) as u32;
        assert_eq!(
            guard_check_api(app, api, 100),
            DenyCode::PermissionNotGranted as i32
        );
        assert_eq!(
            guard_check_api(app, api, 101),
            DenyCode::PermissionNotGranted as i32
        );
        let n = put(b"https://evil.example/secret/path?token=abc");
        assert_eq!(
            guard_check_url_handle(1, app, n, 102),
            DenyCode::DomainNotWhitelisted as i32
        );
        let n = put(b"https://api.example/ok");
        assert_eq!(guard_check_url_handle(1, app, n, 102), 0);
        let n = put(b"mpevil.example");
        assert_eq!(
            guard_check_socket_target(7, 2, n - 2, 80, 103),
            DenyCode::DomainNotWhitelisted as i32
        );
        let json = packed(guard_take_reports(104));
        assert!(
            !json.contains("secret") && !json.contains("token"),
            "{json}"
        );
        let batch = Batch::from_json(json.as_bytes()).unwrap();
        let summary: Vec<_> = batch
            .reports
            .iter()
            .map(|r| {
                (
                    r.kind.as_str(),
                    r.api.clone().or(r.host.clone()),
                    r.count,
                    r.policy_version,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("api", Some("getLocation".into()), 2, 4),
                ("request", Some("evil.example".into()), 1, 4),
                ("tcp", Some("evil.example".into()), 1, 4),
            ]
        );
        assert_eq!(
            packed(guard_take_reports(104)),
            r#"{"reports":[],"dropped":0}"#
        );
        // Put back after a failed send, once: the empty batch taken above
        // replaced it, so a requeue now adds nothing.
        assert_eq!(guard_requeue_reports(105), 0);
        assert_eq!(
            packed(guard_take_reports(105)),
            r#"{"reports":[],"dropped":0}"#
        );
        let n = put(b"mpgetLocation");
        assert_eq!(
            guard_check_api_name(2, n - 2, 105),
            DenyCode::PermissionNotGranted as i32
        );
        let first = Batch::from_json(packed(guard_take_reports(105)).as_bytes()).unwrap();
        assert_eq!(first.reports.len(), 1);
        assert_eq!(guard_requeue_reports(106), 0);
        assert_eq!(
            guard_requeue_reports(106),
            0,
            "a second requeue adds nothing"
        );
        let again = Batch::from_json(packed(guard_take_reports(106)).as_bytes()).unwrap();
        assert_eq!(again, first);

        // The floor: out as JSON, into a fresh guard, and an older bundle is stale.
        let floor = packed(guard_floor());
        assert!(floor.contains(r#""version":4"#), "{floor}");
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        assert_eq!(packed(guard_floor()), "");
        let n = put(floor.as_bytes());
        assert_eq!(guard_restore_floor(n), 0);
        let n = put(guard_core::bundle::sign(policy(3).as_bytes(), &key).as_bytes());
        assert_eq!(guard_load(n, 100), LoadCode::StaleVersion as i32);
        let n = put(b"{not json");
        assert_eq!(guard_restore_floor(n), 1);
        assert!(message().starts_with("malformed floor"), "{}", message());
        // No guard: reports still drain (the no_policy denials are reports too).
        STATE.with(|s| s.borrow_mut().guard.set(None));
        assert_eq!(guard_floor(), i64::from(ERR_NO_GUARD));
        let n = put(b"mpgetLocation");
        assert_eq!(
            guard_check_api_name(2, n - 2, 200),
            DenyCode::NoPolicy as i32
        );
        let b = Batch::from_json(packed(guard_take_reports(200)).as_bytes()).unwrap();
        assert_eq!(
            (b.reports[0].code, b.reports[0].policy_version),
            (DenyCode::NoPolicy, 0)
        );
    }

    /// Contract v3 through the raw ABI: a guard from a configuration with
    /// roots, a key set signed by a root, a bundle signed by a key it
    /// carries, media as kind 9 (href: what is handed on), the signed state
    /// into a fresh guard; and what a hostile host or document tries: a key
    /// set signed by a non-root, another superapp's, a bundle given as a key
    /// set, a tampered state, roots with a SecretKey.
    #[test]
    fn abi_v4_config_keysets_media_and_signed_state() {
        use guard_core::keyset;
        // RFC 8032's test keys 1 (the root) and 2 (the signing key).
        let root = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let signer = hex32("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
        let x = |n: u8| match n {
            1 => "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            _ => "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
        };
        let jwk = |kid: &str, n: u8| {
            format!(
                r#"{{"kty":"OKP","crv":"Ed25519","kid":"{kid}","x":"{}"}}"#,
                x(n)
            )
        };
        let config = format!(
            r#"{{"roots":[{}],"superapp_id":"demo","local_prefixes":["http://tmp/"]}}"#,
            jwk("root-1", 1)
        );
        // Roots never come with a SecretKey: no guard then.
        let both = format!(
            r#"{{"secret":"{SECRET}","roots":[{}],"superapp_id":"demo"}}"#,
            jwk("r", 1)
        );
        let n = put(both.as_bytes());
        assert_eq!(guard_new_config(n), 1);
        assert!(message().contains("never both"), "{}", message());
        assert_eq!(guard_signed_state(), i64::from(ERR_NO_GUARD));
        let n = put(config.as_bytes());
        assert_eq!(guard_new_config(n + 1), ERR_BAD_INPUT);
        assert_eq!(guard_new_config(n), 0);
        assert_eq!(packed(guard_signed_state()), r#"{}"#);

        let payload = |superapp: &str, version: u32| {
            format!(
                r#"{{"superapp_id":"{superapp}","version":{version},"issued_at":0,"expires_at":100000,"keys":[{}]}}"#,
                jwk("k1", 2)
            )
        };
        let good = keyset::sign(payload("demo", 2).as_bytes(), "root-1", &root);
        // Signed by a key that is no root, another superapp's, a bundle.
        let n = put(keyset::sign(payload("demo", 3).as_bytes(), "root-1", &[9u8; 32]).as_bytes());
        assert_eq!(guard_load_keys(n, 100), LoadCode::BadSignature as i32);
        let n = put(keyset::sign(payload("other", 3).as_bytes(), "root-1", &root).as_bytes());
        assert_eq!(guard_load_keys(n, 100), LoadCode::InvalidKeyset as i32);
        assert!(message().contains("`other`"), "{}", message());
        let policy = br#"{"schema":3,"superapp_id":"demo","version":5,"issued_at":0,
          "apps":[{"app_id":"mp","kind":"mini_program","control":{"media_domains":true},
                   "domains":{"media":["https://cdn.example"]}}]}"#;
        let bundle = guard_core::bundle::sign_ed25519(policy, "k1", &signer);
        // A bundle given as a key set: its kid names no root.
        let n = put(bundle.as_bytes());
        assert_eq!(guard_load_keys(n, 100), LoadCode::UnknownKey as i32);
        // No key set yet: the bundle's key is unknown.
        assert_eq!(guard_load(n, 100), LoadCode::UnknownKey as i32);
        let n = put(good.as_bytes());
        assert_eq!(guard_load_keys(n, 100), 0);
        assert_eq!(message(), "");
        // A key set given as a bundle is refused.
        assert_ne!(guard_load(n, 100), 0);
        let n = put(bundle.as_bytes());
        assert_eq!(guard_load(n, 100), 0);

        // Media: kind 9 by app id and by handle; the href is what goes on.
        let n = put(b"mp HTTP://TMP/a.png");
        assert_eq!(guard_check_url(9, 2, n - 2, 100), 0);
        assert_eq!(href(), "http://tmp/a.png");
        let n = put(b"mp  /images/a.png ");
        assert_eq!(guard_check_url(9, 2, n - 2, 100), 0);
        assert_eq!(
            href(),
            "/images/a.png",
            "the preprocessed target, located in the input"
        );
        let n = put(b"mp//evil.example/a.png");
        assert_eq!(
            guard_check_url(9, 2, n - 2, 100),
            DenyCode::InvalidUrl as i32
        );
        let n = put(b"mp");
        let app = guard_app_handle(n) as u32;
        let n = put(b"https://evil.example/a.png");
        assert_eq!(
            guard_check_url_handle(9, app, n, 100),
            DenyCode::DomainNotWhitelisted as i32
        );
        assert_eq!(message(), "media:fail url not in domain list:evil.example");
        let n = put(b"https://cdn.example/a.png");
        assert_eq!(guard_check_url_handle(9, app, n, 100), 0);
        assert_eq!(href(), "https://cdn.example/a.png");

        // The signed state, into a fresh guard with the same roots.
        let state = packed(guard_signed_state());
        assert!(state.contains(&good) && state.contains(&bundle), "{state}");
        let n = put(config.as_bytes());
        assert_eq!(guard_new_config(n), 0);
        let tampered = state.replace(&bundle[bundle.len() - 8..], "AAAAAAAA");
        let n = put(tampered.as_bytes());
        assert_ne!(guard_restore_state(n, 200), 0);
        let n = put(br#"{"floor":99}"#);
        assert_eq!(
            guard_restore_state(n, 200),
            LoadCode::MalformedBundle as i32
        );
        assert!(
            message().contains("malformed signed state"),
            "{}",
            message()
        );
        let n = put(state.as_bytes());
        assert_eq!(guard_restore_state(n, 200), 0);
        let n = put(b"mphttps://cdn.example/a.png");
        assert_eq!(guard_check_url(9, 2, n - 2, 200), 0);
        // Both floors came back: the same version with other bytes is stale.
        let older = keyset::sign(payload("demo", 1).as_bytes(), "root-1", &root);
        let n = put(older.as_bytes());
        assert_eq!(guard_load_keys(n, 200), LoadCode::StaleVersion as i32);
        // A guard without roots: no signed state, and key sets are unknown.
        let n = put(SECRET.as_bytes());
        assert_eq!(guard_new(n), 0);
        assert_eq!(packed(guard_signed_state()), "");
        let n = put(good.as_bytes());
        assert_eq!(guard_load_keys(n, 100), LoadCode::UnknownKey as i32);
        let n = put(&[0xff]);
        assert_eq!(guard_load_keys(n, 100), LoadCode::MalformedBundle as i32);
        assert_eq!(message(), "key set is not UTF-8");
        // The tables name the new load code and kind.
        assert_eq!(packed(guard_code_name(8, 1)), "invalid_keyset");
        let n = put(b"media");
        assert_eq!(guard_kind(n), 9);
    }

    /// The memo cell (decisions 642, 643): one 8-byte aligned address; every
    /// export that changes the guard bumps the epoch, and no check does;
    /// the span is guard-core's for an allow without code, capped at 2^53,
    /// and empty for a denial, a report-mode pass, no policy or no guard.
    #[test]
    fn the_memo_cell_tells_the_state_epoch_and_the_span_of_an_allowed_api_verdict() {
        let epoch = || MEMO.with(|m| m[0].get());
        let span = || MEMO.with(|m| (m[1].get(), m[2].get()));
        let bumps = |f: &mut dyn FnMut()| {
            let before = epoch();
            f();
            epoch() > before
        };
        assert_eq!(guard_memo_cell(), guard_memo_cell());
        assert_eq!(guard_memo_cell() % 8, 0);
        // No guard: denied, an empty span, nothing bumped.
        STATE.with(|s| s.borrow_mut().guard.set(None));
        assert!(!bumps(&mut || {
            assert_eq!(guard_check_api_span(0, 0, 100), DenyCode::NoPolicy as i32);
        }));
        assert_eq!(span(), (0.0, 0.0));
        let key = guard_core::SecretKey::new(SECRET).unwrap();
        let policy = |version: u32, window: &str| {
            let doc = format!(
                r#"{{"schema":2,"superapp_id":"d","version":{version},"issued_at":0{window},
                  "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
                  "apps":[{{"app_id":"mp","kind":"mini_program","control":{{"apis":true}},"api_whitelist":["payX"]}},
                          {{"app_id":"rp","kind":"mini_program","mode":"report","control":{{"apis":true}}}}]}}"#
            );
            guard_core::bundle::sign(doc.as_bytes(), &key)
        };
        // Every export that changes the guard bumps, failing or not.
        assert!(bumps(&mut || {
            let n = put(SECRET.as_bytes());
            assert_eq!(guard_new(n), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(b"short");
            assert_eq!(guard_new(n), 1);
        }));
        assert!(bumps(&mut || {
            let n = put(br#"{"secret":"k3yK3yk3yK3yk3y1"}"#);
            assert_eq!(guard_new_config(n), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(policy(1, r#","nbf":50,"expires_at":1000"#).as_bytes());
            assert_eq!(guard_load(n, 100), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(b"not a bundle");
            assert_ne!(guard_load(n, 100), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(b"not a key set");
            assert_ne!(guard_load_keys(n, 100), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(b"{}");
            assert_ne!(guard_restore_state(n, 100), 0);
        }));
        assert!(bumps(&mut || {
            let n = put(br#"{"superapp_id":"d","version":0,"digest":"00"}"#);
            let _ = guard_restore_floor(n);
        }));
        let (mut mp, mut rp, mut toast, mut pay, mut location) = (0, 0, 0, 0, 0);
        assert!(bumps(&mut || {
            let n = put(b"mp");
            mp = guard_app_handle(n) as u32;
        }));
        assert!(bumps(&mut || {
            let n = put(b"showToast");
            toast = guard_api_id(n) as u32;
        }));
        for (name, id) in [
            ("rp", &mut rp),
            ("payX", &mut pay),
            ("getLocation", &mut location),
        ] {
            let n = put(name.as_bytes());
            *id = if name == "rp" {
                guard_app_handle(n) as u32
            } else {
                guard_api_id(n) as u32
            };
        }
        // Checks change nothing; an allow states the policy's window.
        assert!(!bumps(&mut || {
            assert_eq!(guard_check_api_span(mp, toast, 100), 0);
            assert_eq!(span(), (50.0, 1000.0));
            assert_eq!(guard_check_api_span(mp, pay, 999), 0);
            assert_eq!(span(), (50.0, 1000.0));
            assert_eq!(
                guard_check_api_span(mp, location, 100),
                DenyCode::PermissionNotGranted as i32
            );
            assert_eq!(span(), (0.0, 0.0));
            assert_eq!(
                guard_check_api_span(rp, pay, 100),
                DenyCode::ApiNotWhitelisted as i32 | 0x80,
                "a report-mode pass"
            );
            assert_eq!(span(), (0.0, 0.0));
            assert_eq!(
                guard_check_api_span(mp, toast, 1000),
                DenyCode::NoPolicy as i32
            );
            assert_eq!(span(), (0.0, 0.0));
            assert_eq!(
                guard_check_api_span(mp, toast, 49),
                DenyCode::NoPolicy as i32
            );
            assert_eq!(guard_check_api(mp, toast, 100), 0);
            let n = put(b"mphttps://api.example/");
            let _ = guard_check_url(1, 2, n - 2, 100);
            let _ = guard_message();
            let _ = guard_floor();
            let _ = guard_signed_state();
            let _ = guard_take_reports(100);
            let _ = guard_requeue_reports(100);
        }));
        // The span's bounds are capped at 2^53 (exact in an f64).
        let n = put(policy(2, "").as_bytes());
        assert_eq!(guard_load(n, 100), 0);
        assert_eq!(guard_check_api_span(mp, toast, 100), 0);
        assert_eq!(span(), (0.0, EXACT as f64));
        assert_eq!(guard_check_api_span(mp, toast, EXACT as i64), 0);
        let (from, until) = span();
        let t = EXACT as f64;
        assert!(
            !(t >= from && t < until),
            "a clock from 2^53 is never inside"
        );
    }

    fn hex32(hex: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
