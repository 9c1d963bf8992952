//! One live instance of the guard module (`guard-wasm/src/raw_abi.rs`,
//! `docs/wasm-host.md`): its store under a memory cap, its typed exports,
//! and the mechanics every call shares: an epoch deadline, inputs copied
//! into the module's input buffer, text read back from its output buffer.
//! What the calls mean is in `abi.rs`; the tables in `tables.rs`.

use std::time::Duration;

use thiserror::Error;
use wasmtime::{InstancePre, Memory, Store, StoreLimits, StoreLimitsBuilder, Trap, TypedFunc};

use crate::error::HostError;

/// How often the epoch ticks; deadlines are whole ticks.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// `d` in epoch ticks.
pub(crate) fn ticks(d: Duration) -> u64 {
    // Rounded up, so a deadline is never shorter than asked; 0 stays 0.
    let t = TICK.as_nanos().max(1);
    u64::try_from(d.as_nanos().div_ceil(t)).unwrap_or(u64::MAX)
}

/// What a store carries: its memory limits.
pub(crate) struct HostState {
    pub(crate) limits: StoreLimits,
}

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
    pub(crate) new_config: TypedFunc<u32, i32>,
    pub(crate) load_keys: TypedFunc<(u32, i64), i32>,
    pub(crate) signed_state: TypedFunc<(), i64>,
    pub(crate) restore_state: TypedFunc<(u32, i64), i32>,
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
    /// A fresh instance of `pre`, its memory capped at `memory_limit` bytes.
    pub(crate) fn new(
        pre: &InstancePre<HostState>,
        memory_limit: usize,
        load_timeout: Duration,
    ) -> Result<Live, HostError> {
        let limits = StoreLimitsBuilder::new().memory_size(memory_limit).build();
        let mut store = Store::new(pre.module().engine(), HostState { limits });
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(ticks(load_timeout));
        let instance = pre
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
            new_config: func!("guard_new_config"),
            load_keys: func!("guard_load_keys"),
            signed_state: func!("guard_signed_state"),
            restore_state: func!("guard_restore_state"),
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
