//! `--engine wasm` (the guard `.wasm` in wasmtime, through `guard-wasm-host`)
//! and `guard wasm-info`.
//!
//! The module is the very file the JS package ships,
//! `js/pkg/guard_wasm_bg.wasm` in this repository, unless `--module PATH` or
//! `GUARD_WASM` names another. It is compiled once per process, whatever the
//! number of vector files (each file gets its own instance).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Context as _, Result};
use clap::Args;
use guard_conformance::Engine;
use guard_wasm_host::{default_module_path, Backend, Options, WasmEngine, WasmModule};

/// Which guard `.wasm` to load.
#[derive(Debug, Clone, Args)]
pub struct ModuleArgs {
    /// The guard .wasm for `--engine wasm` [default: js/pkg/guard_wasm_bg.wasm
    /// of this repository, the file the npm package ships].
    #[arg(long = "module", env = "GUARD_WASM", value_name = "PATH")]
    pub module: Option<PathBuf>,
}

impl ModuleArgs {
    /// The path the module is read from.
    pub fn path(&self) -> PathBuf {
        self.module.clone().unwrap_or_else(default_module_path)
    }
}

/// The module at `args`' path for `backend`, compiled once per process.
///
/// # Errors
///
/// When the file cannot be read or is not a guard module with the raw ABI.
pub fn module(args: &ModuleArgs, backend: Backend) -> Result<WasmModule> {
    static CACHE: OnceLock<Mutex<Vec<(PathBuf, Backend, WasmModule)>>> = OnceLock::new();
    let path = args.path();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache
        .lock()
        .map_err(|_| anyhow!("the module cache is poisoned"))?;
    if let Some((_, _, m)) = cache.iter().find(|(p, b, _)| *p == path && *b == backend) {
        return Ok(m.clone());
    }
    let options = Options {
        backend,
        ..Options::default()
    };
    let m = WasmModule::from_file(&path, &options)?;
    cache.push((path, backend, m.clone()));
    Ok(m)
}

/// A wasm engine on `backend` for `keys` (a SecretKey or a key-set JSON), as
/// `make_engine` wants.
///
/// # Errors
///
/// As [`module`] and [`WasmEngine::new`], as text.
pub fn make_engine(
    args: &ModuleArgs,
    backend: Backend,
    keys: &str,
) -> Result<Box<dyn Engine>, String> {
    let m = module(args, backend).map_err(|e| format!("{e:#}"))?;
    Ok(Box::new(WasmEngine::new(&m, keys)?))
}

/// `guard wasm-info`: the module's path, size and sha256, one per line.
///
/// # Errors
///
/// As [`module`]: the file must be a loadable guard module.
pub fn wasm_info(args: &ModuleArgs) -> Result<ExitCode> {
    let m = module(args, Backend::Cranelift)?;
    crate::out!("path {}", args.path().display())?;
    crate::out!("size {}", m.size())?;
    crate::out!("sha256 {}", m.sha256_hex())?;
    Ok(ExitCode::SUCCESS)
}
