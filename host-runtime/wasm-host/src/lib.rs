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
//! let mut guard = WasmGuard::new(&module, "k3yK3yk3yK3yk3y1")?;
//! # let bundle = String::new(); let now = 0;
//! guard.load(&bundle, now)?;
//! let d = guard.decide("mp_shop", CheckKind::Api, "getLocation", now);
//! println!("{} {}", d.allow, d.message);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use guard_core::{ApiId, AppHandle, CheckKind, Decision, DenyCode, LoadCode, LoadError, Verdict};
use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits,
    StoreLimitsBuilder, Trap, TypedFunc,
};

/// The raw ABI version this host speaks (`guard_abi_version`).
pub const ABI_VERSION: i32 = 1;

/// How often the epoch ticks; deadlines are whole ticks.
const TICK: Duration = Duration::from_millis(5);

/// Where the module is by default: `$GUARD_WASM`, else the file the JS package
/// ships, `js/pkg/guard_wasm_bg.wasm` in this repository.
pub fn default_module_path() -> PathBuf {
    match std::env::var_os("GUARD_WASM") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join("js/pkg/guard_wasm_bg.wasm"),
    }
}

/// The repository this crate was built from.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why the host could not start.
#[derive(Debug, Error)]
pub enum HostError {
    /// The module file could not be read.
    #[error("cannot read the guard module `{path}`: {source}")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// wasmtime refused the configuration or the module.
    #[error("cannot compile the guard module: {0}")]
    Compile(String),
    /// The module lacks an export of the raw ABI (not a guard module?).
    #[error("the guard module has no raw ABI export `{0}`")]
    MissingExport(String),
    /// The module speaks another raw ABI version.
    #[error("the guard module speaks raw ABI version `{0}`, this host speaks {ABI_VERSION}")]
    AbiVersion(i32),
    /// The SecretKey was refused by the guard.
    #[error("invalid secret: {0}")]
    Secret(String),
    /// The instance could not be created or set up.
    #[error("cannot start a guard instance: {0}")]
    Instance(String),
}

/// Limits and caching for a [`WasmModule`] and the guards made from it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Deadline of one load (a maximal 64 MiB bundle takes seconds).
    pub load_timeout: Duration,
    /// Deadline of one check or id lookup.
    pub check_timeout: Duration,
    /// Cap on the instance's linear memory, in bytes.
    pub memory_limit: usize,
    /// A directory for wasmtime's compiled-module cache; `None` compiles
    /// every time.
    pub cache_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            load_timeout: Duration::from_secs(30),
            check_timeout: Duration::from_millis(250),
            memory_limit: 1 << 30,
            cache_dir: None,
        }
    }
}

fn ticks(d: Duration) -> u64 {
    // Rounded up, so a deadline is never shorter than asked; 0 stays 0.
    let t = TICK.as_nanos().max(1);
    u64::try_from(d.as_nanos().div_ceil(t)).unwrap_or(u64::MAX)
}

struct HostState {
    limits: StoreLimits,
}

/// Stops the epoch ticker when the last [`WasmModule`] clone goes.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct ModuleInner {
    engine: Engine,
    pre: InstancePre<HostState>,
    options: Options,
    /// `options.check_timeout` in ticks, computed once for the hot path.
    check_ticks: u64,
    sha256: [u8; 32],
    size: usize,
    path: Option<PathBuf>,
    _ticker: Ticker,
}

/// The compiled guard module: compile once, make any number of [`WasmGuard`]s
/// from it on any threads. Cheap to clone.
#[derive(Clone)]
pub struct WasmModule(Arc<ModuleInner>);

impl fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmModule")
            .field("path", &self.0.path)
            .field("size", &self.0.size)
            .field("sha256", &self.sha256_hex())
            .finish_non_exhaustive()
    }
}

impl WasmModule {
    /// Reads and compiles the module at `path`.
    ///
    /// # Errors
    ///
    /// [`HostError::Read`] when the file cannot be read, else as
    /// [`WasmModule::from_bytes`].
    pub fn from_file(path: impl AsRef<Path>, options: &Options) -> Result<WasmModule, HostError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })?;
        WasmModule::build(&bytes, options, Some(path.to_owned()))
    }

    /// Compiles module bytes, stubs every import as a trap (the JS glue that
    /// wasm-bindgen expects; the raw ABI never calls it) and checks the raw ABI.
    ///
    /// # Errors
    ///
    /// [`HostError::Compile`] for invalid wasm, [`HostError::MissingExport`] or
    /// [`HostError::AbiVersion`] for a module without the raw ABI v1.
    pub fn from_bytes(bytes: &[u8], options: &Options) -> Result<WasmModule, HostError> {
        WasmModule::build(bytes, options, None)
    }

    fn build(
        bytes: &[u8],
        options: &Options,
        path: Option<PathBuf>,
    ) -> Result<WasmModule, HostError> {
        let compile = |e: wasmtime::Error| HostError::Compile(format!("{e:#}"));
        let mut config = Config::new();
        config.epoch_interruption(true);
        if let Some(dir) = &options.cache_dir {
            let mut cc = CacheConfig::new();
            cc.with_directory(dir);
            config.cache(Some(Cache::new(cc).map_err(compile)?));
        }
        let engine = Engine::new(&config).map_err(compile)?;
        let module = Module::new(&engine, bytes).map_err(compile)?;
        for name in EXPORTS {
            if module.get_export(name).is_none() {
                return Err(HostError::MissingExport(name.to_owned()));
            }
        }
        let mut linker = Linker::new(&engine);
        linker
            .define_unknown_imports_as_traps(&module)
            .map_err(compile)?;
        let pre = linker.instantiate_pre(&module).map_err(compile)?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            // The ticker holds only a weak engine, and stops with the module.
            let weak = engine.weak();
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("guard-wasm-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        match weak.upgrade() {
                            Some(e) => e.increment_epoch(),
                            None => break,
                        }
                    }
                })
                .map_err(|e| HostError::Instance(format!("cannot start the epoch ticker: {e}")))?;
        }
        let m = WasmModule(Arc::new(ModuleInner {
            engine,
            pre,
            options: options.clone(),
            check_ticks: ticks(options.check_timeout),
            sha256: Sha256::digest(bytes).into(),
            size: bytes.len(),
            path,
            _ticker: Ticker { stop },
        }));
        // Instantiate once to check the ABI version now rather than at first use.
        let mut live = Live::new(&m)?;
        let version = live
            .call(&live.f.abi_version.clone(), (), m.0.options.load_timeout)
            .map_err(|e| HostError::Instance(e.to_string()))?;
        if version != ABI_VERSION {
            return Err(HostError::AbiVersion(version));
        }
        Ok(m)
    }

    /// The module's size in bytes.
    pub fn size(&self) -> usize {
        self.0.size
    }

    /// The SHA-256 of the module's bytes, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.0.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The file it was read from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The options it was built with.
    pub fn options(&self) -> &Options {
        &self.0.options
    }
}

const EXPORTS: [&str; 11] = [
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
struct Exports {
    abi_version: TypedFunc<(), i32>,
    input: TypedFunc<u32, u32>,
    new: TypedFunc<u32, i32>,
    load: TypedFunc<(u32, i64), i32>,
    api_id: TypedFunc<u32, i32>,
    app_handle: TypedFunc<u32, i32>,
    check_api: TypedFunc<(u32, u32, i64), i32>,
    check_api_name: TypedFunc<(u32, u32, i64), i32>,
    check_url: TypedFunc<(u32, u32, u32, i64), i32>,
    message: TypedFunc<(), i64>,
}

/// Why a call into the instance failed; the instance is then rebuilt.
#[derive(Debug, Error)]
enum CallError {
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
struct Live {
    store: Store<HostState>,
    memory: Memory,
    f: Exports,
    /// The module's input buffer: address and size (0: none yet).
    input_ptr: u32,
    input_len: usize,
}

impl Live {
    fn new(module: &WasmModule) -> Result<Live, HostError> {
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
    fn call<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
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
    fn write_input(&mut self, parts: &[&[u8]], timeout: Duration) -> Result<(), CallError> {
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
    fn message(&mut self, timeout: Duration) -> Result<String, CallError> {
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

/// The names a caller interned, with their ids in the current instance, so
/// the ids handed out stay valid across rebuilds.
#[derive(Debug, Default)]
struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// `wasm[host id]` = the id in the live instance.
    wasm: Vec<u32>,
}

/// A guard running in its own wasmtime instance.
///
/// Not `Sync`: a store runs one call at a time. Share the [`WasmModule`] and
/// give each thread its own `WasmGuard` (and its own loads).
pub struct WasmGuard {
    module: WasmModule,
    secret: String,
    live: Option<Live>,
    /// The last bundle accepted and the clock it was accepted at.
    last_good: Option<(String, u64)>,
    apis: Names,
    apps: Names,
    rebuilds: u64,
}

impl fmt::Debug for WasmGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmGuard")
            .field("module", &self.module)
            .field("loaded", &self.last_good.is_some())
            .field("rebuilds", &self.rebuilds)
            .finish_non_exhaustive()
    }
}

const NO_POLICY: Verdict = Verdict::deny(DenyCode::NoPolicy);

impl WasmGuard {
    /// A guard with no policy for the superapp whose SecretKey is `secret`.
    ///
    /// # Errors
    ///
    /// [`HostError::Secret`] when the wasm guard refuses the key,
    /// [`HostError::Instance`] when the instance cannot be created.
    pub fn new(module: &WasmModule, secret: &str) -> Result<WasmGuard, HostError> {
        let mut g = WasmGuard {
            module: module.clone(),
            secret: secret.to_owned(),
            live: None,
            last_good: None,
            apis: Names::default(),
            apps: Names::default(),
            rebuilds: 0,
        };
        let live = g.start()?;
        g.live = Some(live);
        Ok(g)
    }

    /// How many times the instance was rebuilt after a trap, timeout or OOM.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// The module this guard runs.
    pub fn module(&self) -> &WasmModule {
        &self.module
    }

    /// A fresh instance with the guard created, the last good bundle re-loaded
    /// and every interned name re-interned.
    fn start(&mut self) -> Result<Live, HostError> {
        let load_timeout = self.module.0.options.load_timeout;
        let fail = |what: &str, e: CallError| HostError::Instance(format!("{what}: {e}"));
        let mut live = Live::new(&self.module)?;
        live.write_input(&[self.secret.as_bytes()], load_timeout)
            .map_err(|e| fail("writing the secret", e))?;
        let new = live.f.new.clone();
        match live.call(&new, self.secret.len() as u32, load_timeout) {
            Ok(0) => {}
            Ok(1) => {
                let m = live.message(load_timeout).unwrap_or_default();
                return Err(HostError::Secret(m));
            }
            Ok(code) => return Err(fail("guard_new", CallError::Abi(code))),
            Err(e) => return Err(fail("guard_new", e)),
        }
        if let Some((bundle, at)) = &self.last_good {
            // Re-loaded at the clock it was first accepted at, so it is accepted
            // again (and keeps its anti-rollback floor) even if it has expired
            // since; checks still judge the validity window at their own clock.
            let code = load_in(&mut live, bundle, *at, load_timeout)
                .map_err(|e| fail("re-loading the last good bundle", e))?;
            if code != 0 {
                return Err(fail(
                    "re-loading the last good bundle",
                    CallError::Abi(code),
                ));
            }
        }
        for (names, func) in [
            (&mut self.apis, live.f.api_id.clone()),
            (&mut self.apps, live.f.app_handle.clone()),
        ] {
            names.wasm.clear();
            for name in &names.names {
                live.write_input(&[name.as_bytes()], load_timeout)
                    .map_err(|e| fail("re-interning a name", e))?;
                let id = live
                    .call(&func, name.len() as u32, load_timeout)
                    .map_err(|e| fail("re-interning a name", e))?;
                names.wasm.push(u32::try_from(id).unwrap_or(u32::MAX));
            }
        }
        Ok(live)
    }

    /// Logs a failed call and rebuilds the instance. A failed rebuild leaves
    /// no instance: every check then denies `no_policy` and the next call
    /// tries again.
    #[cold]
    fn recover(&mut self, during: &str, error: &CallError) {
        tracing::error!(%error, during, "guard wasm instance failed; rebuilding it");
        self.live = None;
        self.rebuilds += 1;
        match self.start() {
            Ok(live) => self.live = Some(live),
            Err(e) => tracing::error!(error = %e, "cannot rebuild the guard wasm instance"),
        }
    }

    fn live(&mut self) -> Option<&mut Live> {
        if self.live.is_none() {
            match self.start() {
                Ok(live) => self.live = Some(live),
                Err(e) => {
                    tracing::error!(error = %e, "cannot rebuild the guard wasm instance");
                    return None;
                }
            }
        }
        self.live.as_mut()
    }

    /// Verifies and loads a bundle at `now` (unix seconds), in the wasm.
    ///
    /// # Errors
    ///
    /// The wasm guard's [`LoadError`]. A load that traps, times out or runs the
    /// instance out of memory is refused as `invalid_policy` (the guard's limits
    /// refuse it), and the guard goes on with the last good bundle.
    pub fn load(&mut self, bundle: &str, now: u64) -> Result<(), LoadError> {
        let timeout = self.module.0.options.load_timeout;
        let outcome = match self.live() {
            None => Err(CallError::Abi(-1)),
            Some(live) => load_in(live, bundle, now, timeout).and_then(|code| {
                let message = live.message(timeout)?;
                Ok((code, message))
            }),
        };
        match outcome {
            Ok((0, _)) => {
                self.last_good = Some((bundle.to_owned(), now));
                Ok(())
            }
            Ok((code, message)) => match u8::try_from(code).ok().and_then(LoadCode::from_u8) {
                Some(code) => Err(LoadError { code, message }),
                None => Err(LoadError {
                    code: LoadCode::InvalidPolicy,
                    message: format!("the guard instance answered `{code}`"),
                }),
            },
            Err(e) => {
                if self.live.is_some() {
                    self.recover("load", &e);
                }
                Err(LoadError {
                    code: LoadCode::InvalidPolicy,
                    message: format!("the guard could not load the bundle within its limits: {e}"),
                })
            }
        }
    }

    fn intern(&mut self, name: &str, app: bool) -> Option<u32> {
        let names = if app { &self.apps } else { &self.apis };
        if let Some(id) = names.index.get(name) {
            return Some(*id);
        }
        let timeout = self.module.0.options.check_timeout;
        let live = self.live()?;
        let func = if app {
            live.f.app_handle.clone()
        } else {
            live.f.api_id.clone()
        };
        let result = live
            .write_input(&[name.as_bytes()], timeout)
            .and_then(|()| live.call(&func, name.len() as u32, timeout));
        match result {
            Ok(id) if id >= 0 => {
                let names = if app { &mut self.apps } else { &mut self.apis };
                let host = u32::try_from(names.names.len()).ok()?;
                names.names.push(name.to_owned());
                names.index.insert(name.to_owned(), host);
                names.wasm.push(id as u32);
                Some(host)
            }
            Ok(_) => None,
            Err(e) => {
                self.recover("intern", &e);
                None
            }
        }
    }

    /// The stable id of an API name (interning it). `None` when the guard's
    /// name table is full or the instance is down; check by name then.
    pub fn api_id(&mut self, name: &str) -> Option<ApiId> {
        self.intern(name, false).map(ApiId)
    }

    /// The stable handle of an app id (interning it); as [`WasmGuard::api_id`].
    pub fn app_handle(&mut self, app: &str) -> Option<AppHandle> {
        self.intern(app, true).map(AppHandle)
    }

    /// The hot path: an API check by handle and id, in the wasm. An id not
    /// from this guard is unknown to it.
    #[inline]
    pub fn check_api_id(&mut self, app: AppHandle, api: ApiId, now: u64) -> Verdict {
        let wa = self
            .apps
            .wasm
            .get(app.0 as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let wi = self
            .apis
            .wasm
            .get(api.0 as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let deadline = self.module.0.check_ticks;
        let Some(live) = self.live.as_mut() else {
            return self.down();
        };
        let func = &live.f.check_api;
        live.store.set_epoch_deadline(deadline);
        match func.call(&mut live.store, (wa, wi, now as i64)) {
            Ok(byte) => verdict(byte),
            Err(e) => {
                let e = if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    CallError::Timeout
                } else {
                    CallError::Trap(format!("{e:#}"))
                };
                self.recover("check_api", &e);
                NO_POLICY
            }
        }
    }

    #[cold]
    fn down(&mut self) -> Verdict {
        // Try to come back for the next call; this one fails closed.
        let _ = self.live();
        NO_POLICY
    }

    /// A URL check of `kind` by app id, verdict only: one call into the wasm,
    /// no message. For a host that needs the `errMsg` only on denial (and then
    /// asks [`WasmGuard::decide`]). A [`CheckKind::Api`] here answers
    /// `invalid_url`, as in guard-core. Fails closed: deny `no_policy`.
    pub fn check_url(&mut self, app: &str, kind: CheckKind, url: &str, now: u64) -> Verdict {
        if kind == CheckKind::Api {
            return Verdict::deny(DenyCode::InvalidUrl);
        }
        let timeout = self.module.0.options.check_timeout;
        let outcome = match self.live() {
            None => return NO_POLICY,
            Some(live) => url_verdict_in(live, app, kind, url, now, timeout),
        };
        outcome.unwrap_or_else(|e| {
            self.recover("check_url", &e);
            NO_POLICY
        })
    }

    /// Any check, answered as the contract's decision object, with the message
    /// rendered by the wasm. For [`CheckKind::Api`] `subject` is the API name
    /// (not interned), else the URL. Fails closed: deny `no_policy`.
    pub fn decide(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        let timeout = self.module.0.options.check_timeout;
        let label = if kind == CheckKind::Api {
            subject
        } else {
            kind.url_label().unwrap_or("api")
        };
        let outcome = match self.live() {
            None => return Decision::new(NO_POLICY, label, None, None),
            Some(live) => decide_in(live, app, kind, subject, now, timeout),
        };
        match outcome {
            Ok((v, message)) => Decision {
                allow: v.allow(),
                code: v.code(),
                message,
                reported: v.reported(),
                errno: v.code().map(DenyCode::errno),
            },
            Err(e) => {
                self.recover("check", &e);
                Decision::new(NO_POLICY, label, None, None)
            }
        }
    }
}

fn verdict(byte: i32) -> Verdict {
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .unwrap_or(NO_POLICY)
}

fn load_in(live: &mut Live, bundle: &str, now: u64, timeout: Duration) -> Result<i32, CallError> {
    live.write_input(&[bundle.as_bytes()], timeout)?;
    let load = live.f.load.clone();
    let code = live.call(&load, (bundle.len() as u32, now as i64), timeout)?;
    if code < 0 {
        return Err(CallError::Abi(code));
    }
    Ok(code)
}

fn decide_in(
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

fn url_verdict_in(
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

/// A [`guard_conformance::Engine`] over a [`WasmGuard`], for the vector
/// runner and the cross-runtime agreement test.
#[derive(Debug)]
pub struct WasmEngine(pub WasmGuard);

impl WasmEngine {
    /// A guard for `secret` on `module`, as the runner's engine factory wants.
    ///
    /// # Errors
    ///
    /// As [`WasmGuard::new`], as text.
    pub fn new(module: &WasmModule, secret: &str) -> Result<WasmEngine, String> {
        WasmGuard::new(module, secret)
            .map(WasmEngine)
            .map_err(|e| e.to_string())
    }
}

impl guard_conformance::Engine for WasmEngine {
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0.load(bundle, now).map_err(|e| (e.code, e.message))
    }

    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        self.0.decide(app, kind, subject, now)
    }
}

// The threading model of `docs/wasm-host.md`, checked at compile time: the
// module is shared by threads, a guard moves between threads but is not shared.
const _: fn() = || {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<WasmGuard>();
    send_sync::<WasmModule>();
};
