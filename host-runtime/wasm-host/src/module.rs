//! The compiled guard module ([`WasmModule`]) and the limits it runs under
//! ([`Options`]): one wasmtime engine with an epoch ticker, the module
//! checked for the raw ABI, instantiated on demand by each guard.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use guard_abi::{ABI_VERSION, EXPORTS};
use sha2::{Digest, Sha256};
use wasmtime::{Cache, CacheConfig, Config, Engine, InstancePre, Linker, Module};

use crate::error::HostError;
use crate::host_idna;
use crate::instance::{ticks, HostState, Live, TICK};
use crate::tables::{check_tables, Tables};

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
    /// How the module's code runs: native code from Cranelift, or Pulley
    /// bytecode in wasmtime's interpreter (what a phone that forbids JIT,
    /// such as iOS, must use).
    pub backend: Backend,
}

/// How the guard module's code runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// Cranelift compiles the module to this machine's code (needs JIT).
    #[default]
    Cranelift,
    /// Cranelift compiles the module to Pulley bytecode, which wasmtime's
    /// portable interpreter runs: no executable memory is ever created.
    Pulley,
}

impl Backend {
    /// The wasmtime compilation target for this back end on this machine
    /// (`None`: the host's own).
    fn target(self) -> Option<&'static str> {
        match self {
            Backend::Cranelift => None,
            // Pulley's word size must match the host's pointers.
            Backend::Pulley if cfg!(target_pointer_width = "32") => Some("pulley32"),
            Backend::Pulley => Some("pulley64"),
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            load_timeout: Duration::from_secs(30),
            check_timeout: Duration::from_millis(250),
            memory_limit: 1 << 30,
            cache_dir: None,
            backend: Backend::Cranelift,
        }
    }
}

pub(crate) fn compile(e: wasmtime::Error) -> HostError {
    HostError::Compile(format!("{e:#}"))
}

/// The engine for `options`: epoch interruption, the back end's target, the
/// compiled-module cache. A precompiled artifact loads only into an engine
/// configured as the one that made it (wasmtime checks that).
pub(crate) fn engine(options: &Options) -> Result<Engine, HostError> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    if let Some(target) = options.backend.target() {
        config.target(target).map_err(compile)?;
    }
    if let Some(dir) = &options.cache_dir {
        let mut cc = CacheConfig::new();
        cc.with_directory(dir);
        config.cache(Some(Cache::new(cc).map_err(compile)?));
    }
    Engine::new(&config).map_err(compile)
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

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) pre: InstancePre<HostState>,
    pub(crate) options: Options,
    /// `options.check_timeout` in ticks, computed once for the hot path.
    pub(crate) check_ticks: u64,
    sha256: [u8; 32],
    pub(crate) size: usize,
    pub(crate) path: Option<PathBuf>,
    /// Made from a precompiled artifact rather than compiled here.
    pub(crate) precompiled: bool,
    pub(crate) tables: Tables,
    _ticker: Ticker,
}

/// The compiled guard module: compile once, make any number of [`WasmGuard`](crate::WasmGuard)s
/// from it on any threads. Cheap to clone.
#[derive(Clone)]
pub struct WasmModule(pub(crate) Arc<ModuleInner>);

impl fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmModule")
            .field("path", &self.0.path)
            .field("size", &self.0.size)
            .field("sha256", &self.sha256_hex())
            .field("precompiled", &self.0.precompiled)
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

    /// Compiles module bytes, provides the module's one import
    /// (`guard_host.domain_to_ascii`, decision 660), stubs every other import
    /// as a trap (the tools' build with the wasm-bindgen façade imports its
    /// JS glue, which the raw ABI never calls) and checks the raw ABI.
    ///
    /// # Errors
    ///
    /// [`HostError::Compile`] for invalid wasm, [`HostError::MissingExport`] or
    /// [`HostError::AbiVersion`] for a module without the raw ABI v2,
    /// [`HostError::Tables`] for one built from another guard-core.
    pub fn from_bytes(bytes: &[u8], options: &Options) -> Result<WasmModule, HostError> {
        WasmModule::build(bytes, options, None)
    }

    fn build(
        bytes: &[u8],
        options: &Options,
        path: Option<PathBuf>,
    ) -> Result<WasmModule, HostError> {
        let engine = engine(options)?;
        let module = Module::new(&engine, bytes).map_err(compile)?;
        let digest = Sha256::digest(bytes).into();
        WasmModule::finish(engine, module, options, (digest, bytes.len()), path, false)
    }

    /// Checks a compiled module for the raw ABI and its tables, and starts
    /// its epoch ticker. `file` is the SHA-256 and size of the bytes it came
    /// from (the `.wasm`, or the precompiled artifact).
    pub(crate) fn finish(
        engine: Engine,
        module: Module,
        options: &Options,
        file: ([u8; 32], usize),
        path: Option<PathBuf>,
        precompiled: bool,
    ) -> Result<WasmModule, HostError> {
        for name in EXPORTS {
            if module.get_export(name).is_none() {
                return Err(HostError::MissingExport(name.to_owned()));
            }
        }
        let mut linker = Linker::new(&engine);
        host_idna::define(&mut linker).map_err(compile)?;
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
        let mut m = WasmModule(Arc::new(ModuleInner {
            engine,
            pre,
            options: options.clone(),
            check_ticks: ticks(options.check_timeout),
            sha256: file.0,
            size: file.1,
            path,
            precompiled,
            tables: Tables::default(),
            _ticker: Ticker { stop },
        }));
        // Instantiate once to check the ABI version now rather than at first use.
        let mut live = m.instance()?;
        let version = live
            .call(&live.f.abi_version.clone(), (), m.0.options.load_timeout)
            .map_err(|e| HostError::Instance(e.to_string()))?;
        if version != ABI_VERSION {
            return Err(HostError::AbiVersion(version));
        }
        let tables =
            check_tables(&mut live, m.0.options.load_timeout).map_err(HostError::Tables)?;
        drop(live);
        match Arc::get_mut(&mut m.0) {
            Some(inner) => inner.tables = tables,
            None => return Err(HostError::Instance("the module is shared too early".into())),
        }
        Ok(m)
    }

    /// A fresh instance under this module's limits.
    pub(crate) fn instance(&self) -> Result<Live, HostError> {
        let o = &self.0.options;
        Live::new(&self.0.pre, o.memory_limit, o.load_timeout)
    }

    /// The tables the module shares with this host through guard-core (deny
    /// and load code names, errnos, kind numbers, the report bit), as the
    /// module answered them when it was checked.
    pub fn tables(&self) -> &Tables {
        &self.0.tables
    }

    /// Whether this module was made from a precompiled artifact
    /// ([`WasmModule::from_precompiled`]).
    pub fn is_precompiled(&self) -> bool {
        self.0.precompiled
    }

    /// Whether the module runs in wasmtime's Pulley interpreter
    /// ([`Backend::Pulley`]) rather than as native code.
    pub fn is_interpreted(&self) -> bool {
        self.0.engine.is_pulley()
    }

    /// The size in bytes of what the module was made from (the `.wasm`, or
    /// the precompiled artifact).
    pub fn size(&self) -> usize {
        self.0.size
    }

    /// The SHA-256 of the bytes the module was made from (the `.wasm`, or the
    /// precompiled artifact), lowercase hex.
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
