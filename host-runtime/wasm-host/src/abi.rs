//! One live instance of the module and the raw ABI calls on it
//! (`guard-wasm/src/raw_abi.rs`, `docs/wasm-host.md`): inputs copied into the
//! module's input buffer, integers in and out, messages read back from the
//! module's output buffer. Every call runs under an epoch deadline.

use std::time::Duration;

use guard_core::{CheckKind, DenyCode, Verdict};
use thiserror::Error;
use wasmtime::{Memory, Store, StoreLimitsBuilder, Trap, TypedFunc};

use crate::error::HostError;
use crate::module::{ticks, HostState, WasmModule};

/// The raw ABI version this host speaks (`guard_abi_version`).
pub const ABI_VERSION: i32 = 1;

/// What a check answers when the instance failed: deny, fail closed.
pub(crate) const NO_POLICY: Verdict = Verdict::deny(DenyCode::NoPolicy);

pub(crate) const EXPORTS: [&str; 11] = [
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
];

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
        let packed = self.call(&message, (), timeout)? as u64;
        let (addr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let bytes = self
            .memory
            .data(&self.store)
            .get(addr..addr.saturating_add(len))
            .ok_or_else(|| CallError::Trap("message out of bounds".into()))?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| CallError::Trap("message is not UTF-8".into()))
    }
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

pub(crate) fn decide_in(
    live: &mut Live,
    app: &str,
    kind: CheckKind,
    subject: &str,
    now: u64,
    timeout: Duration,
) -> Result<(Verdict, String), CallError> {
    let v = if kind == CheckKind::Api {
        live.write_input(&[app.as_bytes(), subject.as_bytes()], timeout)?;
        let (app_len, len) = (app.len() as u32, subject.len() as u32);
        let f = live.f.check_api_name.clone();
        let byte = live.call(&f, (app_len, len, now as i64), timeout)?;
        u8::try_from(byte)
            .ok()
            .and_then(Verdict::from_u8)
            .ok_or(CallError::Abi(byte))?
    } else {
        url_verdict_in(live, app, kind, subject, now, timeout)?
    };
    // Without a code the message is `<label>:ok` whatever the subject, which
    // guard-core renders here as it would in the wasm: one call saved on the
    // common path. Anything naming a host or a reason comes from the wasm.
    if v.code().is_none() {
        let label = kind.url_label().unwrap_or(subject);
        return Ok((v, v.message(label, None, None)));
    }
    Ok((v, live.message(timeout)?))
}

pub(crate) fn url_verdict_in(
    live: &mut Live,
    app: &str,
    kind: CheckKind,
    url: &str,
    now: u64,
    timeout: Duration,
) -> Result<Verdict, CallError> {
    live.write_input(&[app.as_bytes(), url.as_bytes()], timeout)?;
    let (app_len, len) = (app.len() as u32, url.len() as u32);
    let f = live.f.check_url.clone();
    let byte = live.call(&f, (kind as u8 as u32, app_len, len, now as i64), timeout)?;
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .ok_or(CallError::Abi(byte))
}
