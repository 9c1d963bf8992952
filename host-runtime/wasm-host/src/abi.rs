//! One live instance of the module and the raw ABI calls on it
//! (`guard-wasm/src/raw_abi.rs`, `docs/wasm-host.md`): inputs copied into the
//! module's input buffer, integers in and out, messages read back from the
//! module's output buffer. Every call runs under an epoch deadline.
//!
//! The raw ABI's own numbers and export names ([`ABI_VERSION`], `EXPORTS`)
//! come from `guard-abi`, the crate the module is built with too; the module
//! is asked for its version and must answer it. Everything else the two
//! sides share (kind numbers, deny and load codes, the report bit) comes from
//! guard-core, which both are built from, and [`check_tables`] asks the
//! module for each of them once, so a module built from another guard-core is
//! refused when it is loaded rather than misread later. Negative answers are
//! ABI misuse, whatever their value.

use std::time::Duration;

use guard_core::{Check, CheckKind, DenyCode, LoadCode, Verdict, REPORTED_BIT};
use thiserror::Error;
use wasmtime::{Memory, Store, StoreLimitsBuilder, Trap, TypedFunc};

use crate::error::HostError;
use crate::module::{ticks, HostState, WasmModule};

/// The raw ABI version this host speaks (`guard_abi_version` must answer
/// it), and the exports it needs: from `guard-abi`, shared with the module.
pub use guard_abi::{ABI_VERSION, EXPORTS};

/// What a check answers when the instance failed: deny, fail closed.
pub(crate) const NO_POLICY: Verdict = Verdict::deny(DenyCode::NoPolicy);

#[derive(Clone)]
pub(crate) struct Exports {
    pub(crate) abi_version: TypedFunc<(), i32>,
    pub(crate) input: TypedFunc<u32, u32>,
    pub(crate) new: TypedFunc<u32, i32>,
    pub(crate) load: TypedFunc<(u32, i64), i32>,
    pub(crate) api_id: TypedFunc<u32, i32>,
    pub(crate) app_handle: TypedFunc<u32, i32>,
    pub(crate) check_api: TypedFunc<(u32, u32, i64), i32>,
    pub(crate) check_api_name: TypedFunc<(u32, u32, i64), i32>,
    pub(crate) check_url: TypedFunc<(u32, u32, u32, i64), i32>,
    pub(crate) message: TypedFunc<(), i64>,
    pub(crate) href: TypedFunc<(), i64>,
    pub(crate) check_launch: TypedFunc<(u32, u32, u32, i64), i32>,
    pub(crate) check_socket_target: TypedFunc<(u32, u32, u32, u32, i64), i32>,
    pub(crate) check_redirect: TypedFunc<(u32, u32, u32, u32, u32, i64), i32>,
    pub(crate) code_name: TypedFunc<(u32, u32), i64>,
    pub(crate) errno: TypedFunc<u32, i32>,
    pub(crate) kind: TypedFunc<u32, i32>,
    pub(crate) report_bit: TypedFunc<(), i32>,
    pub(crate) take_reports: TypedFunc<i64, i64>,
    pub(crate) requeue_reports: TypedFunc<i64, i32>,
    pub(crate) floor: TypedFunc<(), i64>,
    pub(crate) restore_floor: TypedFunc<u32, i32>,
}

/// Why a call into the instance failed; the instance is then rebuilt.
#[derive(Debug, Error)]
pub(crate) enum CallError {
    #[error("trap: {0}")]
    Trap(String),
    #[error("timed out")]
    Timeout,
    #[error("raw ABI error `{0}`")]
    Abi(i32),
    #[error("cannot allocate {0} bytes in the instance")]
    Oom(usize),
}

/// One live instance: its store, memory and typed exports.
pub(crate) struct Live {
    pub(crate) store: Store<HostState>,
    pub(crate) memory: Memory,
    pub(crate) f: Exports,
    /// The module's input buffer: address and size (0: none yet).
    pub(crate) input_ptr: u32,
    pub(crate) input_len: usize,
}

impl Live {
    pub(crate) fn new(module: &WasmModule) -> Result<Live, HostError> {
        let inner = &module.0;
        let limits = StoreLimitsBuilder::new()
            .memory_size(inner.options.memory_limit)
            .build();
        let mut store = Store::new(&inner.engine, HostState { limits });
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(ticks(inner.options.load_timeout));
        let instance = inner
            .pre
            .instantiate(&mut store)
            .map_err(|e| HostError::Instance(format!("{e:#}")))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| HostError::MissingExport("memory".into()))?;
        macro_rules! func {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|e| HostError::MissingExport(format!("{} ({e:#})", $name)))?
            };
        }
        let f = Exports {
            abi_version: func!("guard_abi_version"),
            input: func!("guard_input"),
            new: func!("guard_new"),
            load: func!("guard_load"),
            api_id: func!("guard_api_id"),
            app_handle: func!("guard_app_handle"),
            check_api: func!("guard_check_api"),
            check_api_name: func!("guard_check_api_name"),
            check_url: func!("guard_check_url"),
            message: func!("guard_message"),
            href: func!("guard_href"),
            check_launch: func!("guard_check_launch"),
            check_socket_target: func!("guard_check_socket_target"),
            check_redirect: func!("guard_check_redirect"),
            code_name: func!("guard_code_name"),
            errno: func!("guard_errno"),
            kind: func!("guard_kind"),
            report_bit: func!("guard_report_bit"),
            take_reports: func!("guard_take_reports"),
            requeue_reports: func!("guard_requeue_reports"),
            floor: func!("guard_floor"),
            restore_floor: func!("guard_restore_floor"),
        };
        Ok(Live {
            store,
            memory,
            f,
            input_ptr: 0,
            input_len: 0,
        })
    }

    /// One call under a deadline.
    #[inline]
    pub(crate) fn call<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        func: &TypedFunc<P, R>,
        params: P,
        timeout: Duration,
    ) -> Result<R, CallError> {
        self.store.set_epoch_deadline(ticks(timeout));
        func.call(&mut self.store, params).map_err(|e| {
            if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                CallError::Timeout
            } else {
                CallError::Trap(format!("{e:#}"))
            }
        })
    }

    /// Copies `parts` back to back into the instance's input buffer, asking
    /// the module for a bigger buffer only when they do not fit (the buffer's
    /// address is stable until the next `guard_input`, and the module reads
    /// only the lengths each call passes, all within the buffer).
    pub(crate) fn write_input(
        &mut self,
        parts: &[&[u8]],
        timeout: Duration,
    ) -> Result<(), CallError> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > self.input_len || self.input_ptr == 0 {
            let len = u32::try_from(total.max(256)).map_err(|_| CallError::Oom(total))?;
            let input = self.f.input.clone();
            let ptr = self.call(&input, len, timeout)?;
            if ptr == 0 {
                self.input_len = 0;
                return Err(CallError::Oom(total));
            }
            self.input_ptr = ptr;
            self.input_len = len as usize;
        }
        let mut at = self.input_ptr as usize;
        for part in parts {
            self.memory
                .write(&mut self.store, at, part)
                .map_err(|e| CallError::Trap(format!("input buffer out of bounds: {e}")))?;
            at += part.len();
        }
        Ok(())
    }

    /// The message of the last call, rendered by the wasm.
    pub(crate) fn message(&mut self, timeout: Duration) -> Result<String, CallError> {
        let message = self.f.message.clone();
        let packed = self.call(&message, (), timeout)?;
        self.packed_text(packed)
    }

    /// The href (or serialised host) of the last URL, socket or redirect
    /// check, `None` when it had none (the module answers a negative value).
    pub(crate) fn href(&mut self, timeout: Duration) -> Result<Option<String>, CallError> {
        let href = self.f.href.clone();
        let packed = self.call(&href, (), timeout)?;
        if packed < 0 {
            return Ok(None);
        }
        self.packed_text(packed).map(Some)
    }

    /// Text the module packed as `(address << 32) | length`.
    pub(crate) fn packed_text(&mut self, packed: i64) -> Result<String, CallError> {
        if packed < 0 {
            return Err(CallError::Abi(i32::try_from(packed).unwrap_or(i32::MIN)));
        }
        let packed = packed as u64;
        let (addr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let bytes = self
            .memory
            .data(&self.store)
            .get(addr..addr.saturating_add(len))
            .ok_or_else(|| CallError::Trap("text out of bounds".into()))?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CallError::Trap("text is not UTF-8".into()))
    }
}

/// The tables the host shares with the module through guard-core, as the
/// module answered them (and found equal to this host's guard-core): what a
/// bridge that drives a native back end needs to read integer verdicts
/// without spelling a name (`docs/sdk.md`, P4 `tables`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tables {
    /// The raw ABI version the module speaks.
    pub abi: i32,
    /// Deny-code names by number: `codes[0]` is `None` (no code: allow),
    /// then every number the module names, in order.
    pub codes: Vec<Option<String>>,
    /// The errno of each deny code, by the same numbers (`errnos[0]` is 0).
    pub errnos: Vec<i32>,
    /// Load-outcome names by number, from `ok` (0).
    pub loads: Vec<String>,
    /// The number of every check kind, by name, in guard-core's order.
    pub kinds: Vec<(String, u8)>,
    /// The report-mode bit of verdict bytes.
    pub report_bit: u8,
}

/// Asks the module for every table the host shares with it through
/// guard-core (kind numbers, the report bit, deny-code names and errnos,
/// load-code names), says the first that differs, and answers them.
pub(crate) fn check_tables(live: &mut Live, timeout: Duration) -> Result<Tables, String> {
    let e = |e: CallError| e.to_string();
    let mut kinds = Vec::with_capacity(CheckKind::ALL.len());
    for kind in CheckKind::ALL {
        let name = kind.as_str();
        live.write_input(&[name.as_bytes()], timeout).map_err(e)?;
        let f = live.f.kind.clone();
        let n = live.call(&f, name.len() as u32, timeout).map_err(e)?;
        if n != i32::from(kind as u8) {
            return Err(format!(
                "kind `{name}` is {n} in the module, {} here",
                kind as u8
            ));
        }
        kinds.push((name.to_owned(), kind as u8));
    }
    let f = live.f.report_bit.clone();
    let bit = live.call(&f, (), timeout).map_err(e)?;
    if bit != i32::from(REPORTED_BIT) {
        return Err(format!(
            "the report bit is {bit} in the module, {REPORTED_BIT} here"
        ));
    }
    let (mut codes, mut errnos, mut loads) = (vec![None], vec![0], Vec::new());
    for n in 0..=u8::MAX {
        let deny = DenyCode::from_u8(n);
        let f = live.f.code_name.clone();
        let packed = live.call(&f, (u32::from(n), 0), timeout).map_err(e)?;
        let name = live.packed_text(packed).map_err(e)?;
        let f = live.f.errno.clone();
        let errno = live.call(&f, u32::from(n), timeout).map_err(e)?;
        let (want_name, want_errno) = deny.map_or(("", 0), |c| (c.as_str(), c.errno()));
        if name != want_name || i64::from(errno) != i64::from(want_errno) {
            return Err(format!(
                "deny code {n} is `{name}` (errno {errno}) in the module, `{want_name}` (errno {want_errno}) here"
            ));
        }
        if n > 0 && !name.is_empty() && codes.len() == usize::from(n) {
            codes.push(Some(name));
            errnos.push(errno);
        }
        let f = live.f.code_name.clone();
        let packed = live.call(&f, (u32::from(n), 1), timeout).map_err(e)?;
        let name = live.packed_text(packed).map_err(e)?;
        let want = LoadCode::from_u8(n).map_or("", LoadCode::as_str);
        if name != want {
            return Err(format!(
                "load code {n} is `{name}` in the module, `{want}` here"
            ));
        }
        if !name.is_empty() && loads.len() == usize::from(n) {
            loads.push(name);
        }
    }
    Ok(Tables {
        abi: ABI_VERSION,
        codes,
        errnos,
        loads,
        kinds,
        report_bit: REPORTED_BIT,
    })
}

pub(crate) fn verdict(byte: i32) -> Verdict {
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .unwrap_or(NO_POLICY)
}

pub(crate) fn load_in(
    live: &mut Live,
    bundle: &str,
    now: u64,
    timeout: Duration,
) -> Result<i32, CallError> {
    live.write_input(&[bundle.as_bytes()], timeout)?;
    let load = live.f.load.clone();
    let code = live.call(&load, (bundle.len() as u32, now as i64), timeout)?;
    if code < 0 {
        return Err(CallError::Abi(code));
    }
    Ok(code)
}

/// The verdict byte a check answered; a negative one is ABI misuse.
fn verdict_of(byte: i32) -> Result<Verdict, CallError> {
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .ok_or(CallError::Abi(byte))
}

/// A length as the ABI passes it.
fn len32(text: &str) -> Result<u32, CallError> {
    u32::try_from(text.len()).map_err(|_| CallError::Oom(text.len()))
}

/// Any check, in the wasm: its verdict, and the href (URL, redirect) or
/// serialised host (tcp, udp) the module kept when `want_href` (one more call).
/// A check of a kind the module's call does not take (a redirect of an API,
/// a socket check of a URL kind) is answered `invalid_url` here, as
/// guard-core answers it, without asking the module.
pub(crate) fn check_in(
    live: &mut Live,
    app: &str,
    check: &Check<'_>,
    now: u64,
    want_href: bool,
    timeout: Duration,
) -> Result<(Verdict, Option<String>), CallError> {
    let now = now as i64;
    let app_len = len32(app)?;
    let (byte, has_href) = match *check {
        Check::Api(name) => {
            live.write_input(&[app.as_bytes(), name.as_bytes()], timeout)?;
            let f = live.f.check_api_name.clone();
            (live.call(&f, (app_len, len32(name)?, now), timeout)?, false)
        }
        Check::Url(kind, url) => {
            if !kind.is_url() {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            live.write_input(&[app.as_bytes(), url.as_bytes()], timeout)?;
            let f = live.f.check_url.clone();
            let args = (u32::from(kind as u8), app_len, len32(url)?, now);
            (live.call(&f, args, timeout)?, true)
        }
        Check::Launch {
            version,
            package_sha256,
        } => {
            let parts = [
                app.as_bytes(),
                version.as_bytes(),
                package_sha256.as_bytes(),
            ];
            live.write_input(&parts, timeout)?;
            let f = live.f.check_launch.clone();
            let args = (app_len, len32(version)?, len32(package_sha256)?, now);
            (live.call(&f, args, timeout)?, false)
        }
        Check::Socket(kind, host, port) => {
            if !matches!(kind, CheckKind::Tcp | CheckKind::Udp) {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            live.write_input(&[app.as_bytes(), host.as_bytes()], timeout)?;
            let f = live.f.check_socket_target.clone();
            let args = (u32::from(kind as u8), app_len, len32(host)?, port, now);
            (live.call(&f, args, timeout)?, true)
        }
        Check::Redirect {
            kind,
            base_href,
            location,
            hop,
        } => {
            if !kind.is_url() {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            let parts = [app.as_bytes(), base_href.as_bytes(), location.as_bytes()];
            live.write_input(&parts, timeout)?;
            let f = live.f.check_redirect.clone();
            let args = (
                u32::from(kind as u8),
                app_len,
                len32(base_href)?,
                len32(location)?,
                hop,
                now,
            );
            (live.call(&f, args, timeout)?, true)
        }
    };
    let v = verdict_of(byte)?;
    let href = if want_href && has_href {
        live.href(timeout)?
    } else {
        None
    };
    Ok((v, href))
}

/// Any check as the contract's decision: verdict and message, and the href
/// the module kept when `want_href` (read before the message, which does not
/// disturb it). The message
/// comes from the wasm whenever it names a code (a host, a reason); an
/// allow without a code is `<label>:ok` whatever the subject, which
/// guard-core renders here exactly as the wasm would: one call saved on the
/// common path.
pub(crate) fn decide_in(
    live: &mut Live,
    app: &str,
    check: &Check<'_>,
    now: u64,
    want_href: bool,
    timeout: Duration,
) -> Result<(Verdict, String, Option<String>), CallError> {
    let (v, href) = check_in(live, app, check, now, want_href, timeout)?;
    let label = match *check {
        Check::Api(name) => name,
        _ => check.kind().url_label().unwrap_or("api"),
    };
    if v.code().is_none() {
        return Ok((v, v.message(label, None, None), href));
    }
    // A kind the module was not asked about (answered above): guard-core's
    // message, as the module would render it with no host.
    let asked = match *check {
        Check::Url(kind, _) | Check::Redirect { kind, .. } => kind.is_url(),
        Check::Socket(kind, ..) => matches!(kind, CheckKind::Tcp | CheckKind::Udp),
        _ => true,
    };
    if !asked {
        return Ok((v, v.message(label, None, None), href));
    }
    Ok((v, live.message(timeout)?, href))
}
