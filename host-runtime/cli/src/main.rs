//! `guard`: run decision vectors, sign and verify bundles, and answer or
//! explain one check, from the command line.
//!
//! Errors are one line on stderr (`error: ...`), never a backtrace. Exit codes:
//! `check` and `explain` exit 0 for allow, 1 for deny and 2 for an error;
//! `vectors` exits 1 when any vector fails; everything else exits 0 or 2.

#![forbid(unsafe_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use guard_conformance::{run_paths, Engine, NativeEngine, Outcome};
use guard_core::{bundle, CheckKind, Guard, Policy, SecretKey};

mod serve;
mod wasm_cmds;

#[derive(Debug, Parser)]
#[command(
    name = "guard",
    version,
    about = "Permission guard for superapp mini programs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run decision-vector files or folders; ends with `N passed, N failed`.
    Vectors {
        #[command(flatten)]
        engine: EngineArgs,
        /// Vector files or folders (searched recursively for `*.json`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print every vector, not only failures.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Validate a policy document and sign it into a bundle (printed on stdout).
    Sign {
        #[command(flatten)]
        secret: SecretArgs,
        /// The policy JSON file (`-` for stdin).
        policy: PathBuf,
    },
    /// Verify and load a bundle as a guard would; prints what it puts in force.
    Verify {
        #[command(flatten)]
        secret: SecretArgs,
        /// The bundle file (`-` for stdin).
        bundle: PathBuf,
        /// Unix seconds to load at (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
    /// Answer one check as the decision JSON; exit 0 allow, 1 deny, 2 error.
    Check(CheckArgs),
    /// Like `check`, plus the rule and the entry that decided.
    Explain(CheckArgs),
    /// Run the superapp server: console API, signed policy bundles, login API.
    Serve(serve::ServeArgs),
    /// Print the path, size and sha256 of the guard .wasm `--engine wasm` loads.
    WasmInfo(wasm_cmds::ModuleArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineKind {
    /// guard-core called directly.
    Native,
    /// The guard .wasm the npm package ships, in wasmtime (`guard-wasm-host`).
    Wasm,
}

#[derive(Debug, Args)]
struct EngineArgs {
    /// Which enforcement point decides.
    #[arg(long, value_enum, default_value_t = EngineKind::Native)]
    engine: EngineKind,
    #[command(flatten)]
    module: wasm_cmds::ModuleArgs,
}

#[derive(Debug, Args)]
struct SecretArgs {
    /// The superapp SecretKey. Prefer the `GUARD_SECRET` environment variable
    /// or `--secret-file`: command lines are visible to other users.
    #[arg(
        long,
        env = "GUARD_SECRET",
        hide_env_values = true,
        conflicts_with = "secret_file"
    )]
    secret: Option<String>,
    /// A file holding the SecretKey (surrounding whitespace ignored).
    #[arg(long)]
    secret_file: Option<PathBuf>,
}

impl SecretArgs {
    fn get(&self) -> Result<String> {
        let secret = match (&self.secret, &self.secret_file) {
            (Some(s), _) => s.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read secret file `{}`", path.display()))?
                .trim()
                .to_owned(),
            (None, None) => bail!("no secret: pass --secret-file or set GUARD_SECRET"),
        };
        SecretKey::new(&secret)?;
        Ok(secret)
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    secret: SecretArgs,
    /// The bundle to enforce (`-` for stdin).
    #[arg(long)]
    bundle: PathBuf,
    /// The app making the call.
    #[arg(long)]
    app: String,
    /// Unix seconds to decide at (default: now).
    #[arg(long)]
    now: Option<u64>,
    #[command(flatten)]
    subject: Subject,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Subject {
    /// An API name (`getLocation`).
    #[arg(long)]
    api: Option<String>,
    /// A `wx.request` URL.
    #[arg(long)]
    request: Option<String>,
    /// A `wx.uploadFile` URL.
    #[arg(long)]
    upload: Option<String>,
    /// A `wx.downloadFile` URL.
    #[arg(long)]
    download: Option<String>,
    /// A `wx.connectSocket` URL.
    #[arg(long)]
    socket: Option<String>,
    /// A web-view URL.
    #[arg(long)]
    webview: Option<String>,
}

impl Subject {
    fn get(&self) -> Result<(CheckKind, &str)> {
        guard_conformance::single_check([
            self.api.as_deref(),
            self.request.as_deref(),
            self.upload.as_deref(),
            self.download.as_deref(),
            self.socket.as_deref(),
            self.webview.as_deref(),
        ])
        .map_err(|e| anyhow!(e))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Vectors {
            engine,
            paths,
            verbose,
        } => vectors(&engine, &paths, verbose),
        Command::Sign { secret, policy } => {
            let key = SecretKey::new(&secret.get()?)?;
            let bytes = read_input(&policy)?;
            Policy::from_json(&bytes).map_err(|e| anyhow!("invalid policy: {e}"))?;
            println!("{}", bundle::sign(&bytes, &key));
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            secret,
            bundle,
            now,
        } => {
            let mut guard = Guard::new(&secret.get()?)?;
            let text = read_text(&bundle)?;
            let status = guard.load(text.trim(), now.unwrap_or_else(unix_now))?;
            println!("{}", serde_json::to_string_pretty(&status)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(&args, false),
        Command::Explain(args) => check(&args, true),
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::WasmInfo(module) => wasm_cmds::wasm_info(&module),
    }
}

fn make_engine(engine: &EngineArgs, secret: &str) -> Result<Box<dyn Engine>, String> {
    match engine.engine {
        EngineKind::Native => Ok(Box::new(NativeEngine::new(secret)?)),
        EngineKind::Wasm => wasm_cmds::make_engine(&engine.module, secret),
    }
}

fn vectors(engine: &EngineArgs, paths: &[PathBuf], verbose: bool) -> Result<ExitCode> {
    let summary = run_paths(
        paths,
        &mut |secret: &str| make_engine(engine, secret),
        &mut |o: &Outcome| {
            if let Some(w) = o.warning() {
                eprintln!("warning: {w}");
            }
            match &o.failure {
                Some(f) => println!("FAIL {}: {f}", o.name),
                None if verbose => println!("ok   {}", o.name),
                None => {}
            }
        },
    )
    .map_err(|e| anyhow!(e))?;
    println!("{summary}");
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(args: &CheckArgs, explain: bool) -> Result<ExitCode> {
    let secret = args.secret.get()?;
    let text = read_text(&args.bundle)?;
    let now = args.now.unwrap_or_else(unix_now);
    let (kind, subject) = args.subject.get()?;
    let allow = if explain {
        // `explain` needs the rule trace, which only guard-core has.
        let mut guard = Guard::new(&secret)?;
        guard.load(text.trim(), now)?;
        let explanation = guard.explain(&args.app, kind, subject, now);
        println!("{}", serde_json::to_string_pretty(&explanation)?);
        explanation.decision.allow
    } else {
        let mut engine = make_engine(&args.engine, &secret).map_err(|e| anyhow!(e))?;
        engine
            .load(text.trim(), now)
            .map_err(|(code, message)| anyhow!("{code}: {message}"))?;
        let decision = engine.check(&args.app, kind, subject, now);
        println!("{}", serde_json::to_string(&decision)?);
        decision.allow
    };
    Ok(if allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Inputs are bounded: a bundle or policy larger than the guard accepts is
/// refused before it is read whole.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    let limit = guard_core::limits::MAX_BUNDLE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot open `{}`", path.display()))?
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
    }
    if bytes.len() as u64 >= limit {
        bail!(
            "`{}` is larger than {} bytes",
            path.display(),
            guard_core::limits::MAX_BUNDLE_BYTES
        );
    }
    Ok(bytes)
}

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_input(path)?)
        .map_err(|_| anyhow!("`{}` is not UTF-8 text", path.display()))
}
