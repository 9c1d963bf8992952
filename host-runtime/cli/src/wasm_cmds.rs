//! `--engine wasm` (the guard `.wasm` in wasmtime, through `guard-wasm-host`),
//! `--engine pulley` (the same in wasmtime's interpreter, from the `.wasm` or
//! from a precompiled artifact), `guard precompile` and `guard wasm-info`.
//!
//! The module is the very file the JS package ships,
//! `js/pkg/guard_wasm_bg.wasm` in this repository, unless `--module PATH` or
//! `GUARD_WASM` names another. It is compiled once per process, whatever the
//! number of vector files (each file gets its own instance).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Context as _, Result};
use clap::Args;
use guard_conformance::Engine;
use guard_wasm_host::{default_module_path, Backend, Options, WasmEngine, WasmModule};
use sha2::{Digest, Sha256};

/// Which guard `.wasm` to load.
#[derive(Debug, Clone, Args)]
pub struct ModuleArgs {
    /// The guard .wasm for `--engine wasm` [default: js/pkg/guard_wasm_bg.wasm
    /// of this repository, the file the npm package ships].
    #[arg(long = "module", env = "GUARD_WASM", value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// Run a precompiled artifact (`guard precompile`) instead of compiling
    /// the .wasm; it must have been made for the `--engine` given.
    #[arg(long, value_name = "FILE", conflicts_with = "module")]
    pub precompiled: Option<PathBuf>,
    /// The SHA-256 the artifact must have [default: the first word of
    /// `FILE.sha256`, which `guard precompile` writes; an app pins it in its
    /// binary instead].
    #[arg(long, value_name = "HEX", requires = "precompiled")]
    pub precompiled_sha256: Option<String>,
}

impl ModuleArgs {
    /// The path the module is read from.
    pub fn path(&self) -> PathBuf {
        self.precompiled
            .clone()
            .or_else(|| self.module.clone())
            .unwrap_or_else(default_module_path)
    }

    /// The pin of `--precompiled`: `--precompiled-sha256`, else its sidecar.
    fn pin(&self, artifact: &Path) -> Result<String> {
        if let Some(pin) = &self.precompiled_sha256 {
            return Ok(pin.clone());
        }
        let sidecar = sidecar(artifact);
        let text = std::fs::read_to_string(&sidecar).with_context(|| {
            format!(
                "no --precompiled-sha256 and cannot read `{}`",
                sidecar.display()
            )
        })?;
        text.split_whitespace()
            .next()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("`{}` is empty", sidecar.display()))
    }
}

/// `FILE.sha256`, next to an artifact.
fn sidecar(artifact: &Path) -> PathBuf {
    let mut name = artifact.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
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
    let m = match &args.precompiled {
        Some(artifact) => {
            WasmModule::from_precompiled_file(artifact, &args.pin(artifact)?, &options)?
        }
        None => WasmModule::from_file(&path, &options)?,
    };
    cache.push((path, backend, m.clone()));
    Ok(m)
}

/// `guard precompile`: the module compiled for `backend`, written to `out`
/// with its SHA-256 in `out.sha256` (`sha256sum` format), and printed.
///
/// # Errors
///
/// When the .wasm is not a guard module, or a file cannot be written.
pub fn precompile(args: &ModuleArgs, backend: Backend, out: &Path) -> Result<ExitCode> {
    let m = module(args, backend)?;
    let artifact = m.precompile()?;
    let digest: String = Sha256::digest(&artifact)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(out, &artifact).with_context(|| format!("cannot write `{}`", out.display()))?;
    let name = out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    std::fs::write(sidecar(out), format!("{digest}  {name}\n"))
        .with_context(|| format!("cannot write `{}`", sidecar(out).display()))?;
    crate::out!("path {}", out.display())?;
    crate::out!("size {}", artifact.len())?;
    crate::out!("sha256 {digest}")?;
    Ok(ExitCode::SUCCESS)
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
