//! `guard`: run decision vectors, make Ed25519 keys, sign and verify bundles,
//! and answer or explain one check (API, URL, launch, raw socket, redirect),
//! from the command line.
//!
//! Errors are one line on stderr (`error: ...`), never a backtrace. Exit codes:
//! `check` and `explain` exit 0 for allow, 1 for deny and 2 for an error;
//! `vectors` exits 1 when any vector fails; everything else (`keygen`, `sign`,
//! `verify`, `serve`, `wasm-info`, `precompile`) exits 0 or 2.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use guard_conformance::{run_paths, Engine, NativeEngine, Outcome};
use guard_core::{bundle, Check, CheckKind, Guard, KeySet, Policy, SecretKey};
use guard_wasm_host::Backend;
use sha2::{Digest, Sha256};

/// `println!` that returns an error instead of panicking when stdout is
/// closed (`guard check ... | head -c0`): errors stay one line on stderr.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).context("cannot write to stdout")
    }};
}
pub(crate) use out;

mod keys;
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
    /// Make an Ed25519 key pair: `DIR/ID.private.jwk` (mode 0600, for `sign
    /// --key`) and `DIR/ID.public.jwk` (for `--keys` and the server's keys.json).
    Keygen {
        /// The key id (`kid`) bundles signed with it name.
        #[arg(long)]
        kid: String,
        /// Where to write the two files (created if missing; existing key
        /// files are never overwritten).
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
    /// Validate a policy document and sign it into a bundle (printed on
    /// stdout): EdDSA with `--key`, else HS256 with the SecretKey.
    Sign {
        #[command(flatten)]
        secret: SecretArgs,
        /// A private Ed25519 JWK (from `guard keygen`): sign EdDSA with it,
        /// under its `kid`, instead of HS256.
        #[arg(long, value_name = "PRIVATE.jwk")]
        key: Option<PathBuf>,
        /// The policy JSON file (`-` for stdin).
        policy: PathBuf,
    },
    /// Verify and load a bundle as a guard would; prints what it puts in force.
    Verify {
        #[command(flatten)]
        secret: KeysArgs,
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
    /// Compile the guard .wasm ahead of time for an engine (`pulley`: what
    /// an iOS app ships, run without JIT), write it to `--out` and its
    /// SHA-256 to `--out`.sha256, and print that SHA-256 (the app pins it).
    Precompile {
        /// The engine the artifact is for (`wasm`: Cranelift for this machine).
        #[arg(long, value_enum, default_value_t = EngineKind::Pulley)]
        engine: EngineKind,
        #[command(flatten)]
        module: wasm_cmds::ModuleArgs,
        /// Where to write the artifact.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineKind {
    /// guard-core called directly.
    Native,
    /// The guard .wasm the npm package ships, in wasmtime (`guard-wasm-host`).
    Wasm,
    /// The same .wasm in wasmtime's Pulley interpreter, as on a phone
    /// without JIT (iOS).
    Pulley,
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
        self.get_opt()?
            .ok_or_else(|| anyhow!("no secret: pass --secret-file or set GUARD_SECRET"))
    }

    fn get_opt(&self) -> Result<Option<String>> {
        let secret = match (&self.secret, &self.secret_file) {
            (Some(s), _) => s.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read secret file `{}`", path.display()))?
                .trim()
                .to_owned(),
            (None, None) => return Ok(None),
        };
        SecretKey::new(&secret)?;
        Ok(Some(secret))
    }
}

/// The keys a guard verifies with: the SecretKey (HS256), public Ed25519
/// keys (EdDSA), or both.
#[derive(Debug, Args)]
struct KeysArgs {
    #[command(flatten)]
    secret: SecretArgs,
    /// Public Ed25519 keys: a JWK, a JWK array, or a key set `{"keys":[...]}`
    /// (what the server's keys.json serves). With or without the SecretKey.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
}

impl KeysArgs {
    /// What an engine is made from: the SecretKey alone, or a key-set JSON
    /// (`{"secret"?, "keys"}`) when `--keys` is given.
    fn engine_keys(&self) -> Result<String> {
        let Some(path) = &self.keys else {
            return self.secret.get_opt()?.ok_or_else(|| {
                anyhow!("no keys: pass --keys FILE, --secret-file or set GUARD_SECRET")
            });
        };
        let public = keys::read_public(path)?;
        let secret = self.secret.get_opt()?;
        let json = keys::key_set_json(secret.as_deref(), public);
        // Checked here, so a bad key is named with its file.
        KeySet::from_json(&json).with_context(|| format!("`{}`", path.display()))?;
        Ok(json)
    }

    /// A native guard with these keys.
    fn guard(&self) -> Result<Guard> {
        let keys = self.engine_keys()?;
        if keys.starts_with('{') {
            return Ok(Guard::with_keys(KeySet::from_json(&keys)?));
        }
        Ok(Guard::new(&keys)?)
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    secret: KeysArgs,
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
    /// With `--launch`: the code package file, hashed (SHA-256) for the check.
    #[arg(long, value_name = "FILE", requires = "launch")]
    package: Option<PathBuf>,
    /// With `--redirect-from`: the `Location` the server answered.
    #[arg(long, value_name = "LOC", requires = "redirect_from")]
    location: Option<String>,
    /// With `--redirect-from`: which hop this is, counted from 1.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "redirect_from"
    )]
    hop: u32,
    /// With `--redirect-from`: the kind of the call redirected.
    #[arg(
        long,
        value_name = "KIND",
        default_value = "request",
        requires = "redirect_from"
    )]
    redirect_kind: String,
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
    /// A launch of this code package version (with `--package FILE`).
    #[arg(long, value_name = "VERSION", requires = "package")]
    launch: Option<String>,
    /// A raw TCP connection, `HOST:PORT` (an IPv6 host in brackets).
    #[arg(long, value_name = "HOST:PORT")]
    tcp: Option<String>,
    /// A raw UDP socket target, `HOST:PORT` (an IPv6 host in brackets).
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<String>,
    /// A redirect hop from this href (with `--location`).
    #[arg(long, value_name = "URL", requires = "location")]
    redirect_from: Option<String>,
}

/// The strings a [`Check`] borrows, owned: the package's hash is computed.
struct CheckInput {
    kind: CheckKind,
    subject: String,
    /// Launch: the package's SHA-256, hex.
    sha256: String,
}

impl CheckArgs {
    fn input(&self) -> Result<CheckInput> {
        let s = &self.subject;
        if let Some(version) = &s.launch {
            let path = self
                .package
                .as_deref()
                .context("--launch needs --package FILE")?;
            return Ok(CheckInput {
                kind: CheckKind::Launch,
                subject: version.clone(),
                sha256: sha256_file(path)?,
            });
        }
        if let Some(from) = &s.redirect_from {
            let kind = CheckKind::parse(&self.redirect_kind)
                .filter(|k| k.is_url())
                .ok_or_else(|| {
                    anyhow!(
                        "--redirect-kind `{}`: use request, upload, download, socket or webview",
                        self.redirect_kind
                    )
                })?;
            return Ok(CheckInput {
                kind,
                subject: from.clone(),
                sha256: String::new(),
            });
        }
        let (kind, subject) = match (&s.tcp, &s.udp) {
            (Some(t), _) => (CheckKind::Tcp, t.as_str()),
            (_, Some(u)) => (CheckKind::Udp, u.as_str()),
            _ => guard_conformance::single_check([
                s.api.as_deref(),
                s.request.as_deref(),
                s.upload.as_deref(),
                s.download.as_deref(),
                s.socket.as_deref(),
                s.webview.as_deref(),
            ])
            .map_err(|e| anyhow!(e))?,
        };
        Ok(CheckInput {
            kind,
            subject: subject.to_owned(),
            sha256: String::new(),
        })
    }
}

impl CheckInput {
    fn check<'a>(&'a self, args: &'a CheckArgs) -> Result<Check<'a>> {
        if self.kind == CheckKind::Launch {
            return Ok(Check::Launch {
                version: &self.subject,
                package_sha256: &self.sha256,
            });
        }
        if args.subject.redirect_from.is_some() {
            return Ok(Check::Redirect {
                kind: self.kind,
                base_href: &self.subject,
                location: args
                    .location
                    .as_deref()
                    .context("--redirect-from needs --location")?,
                hop: args.hop,
            });
        }
        Check::from_subject(self.kind, &self.subject)
            .ok_or_else(|| anyhow!("no {} check takes one string", self.kind))
    }
}

/// The SHA-256 of a file's bytes, lowercase hex, read in chunks.
fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
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
        Command::Keygen { kid, out_dir } => {
            let (private, public) = keys::keygen(&kid, &out_dir)?;
            out!("private {}", private.display())?;
            out!("public {}", public.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign {
            secret,
            key,
            policy,
        } => {
            // The key first, so a bad key file is reported before the policy.
            let private = key.as_deref().map(keys::read_private).transpose()?;
            let hs256 = match &private {
                Some(_) => None,
                None => Some(SecretKey::new(&secret.get()?)?),
            };
            let bytes = read_input(&policy)?;
            Policy::from_json(&bytes).map_err(|e| anyhow!("invalid policy: {e}"))?;
            match (&private, &hs256) {
                (Some(k), _) => out!("{}", bundle::sign_ed25519(&bytes, &k.kid, &k.seed))?,
                (None, Some(secret)) => out!("{}", bundle::sign(&bytes, secret))?,
                (None, None) => bail!("no key: pass --key, --secret-file or set GUARD_SECRET"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            secret,
            bundle,
            now,
        } => {
            let mut guard = secret.guard()?;
            let text = read_text(&bundle)?;
            let status = guard.load(text.trim(), now.unwrap_or_else(unix_now))?;
            out!("{}", serde_json::to_string_pretty(&status)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(&args, false),
        Command::Explain(args) => check(&args, true),
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::WasmInfo(module) => wasm_cmds::wasm_info(&module),
        Command::Precompile {
            engine,
            module,
            out,
        } => match engine {
            EngineKind::Native => {
                bail!("`--engine native` runs no module: precompile for `wasm` or `pulley`")
            }
            EngineKind::Wasm => wasm_cmds::precompile(&module, Backend::Cranelift, &out),
            EngineKind::Pulley => wasm_cmds::precompile(&module, Backend::Pulley, &out),
        },
    }
}

/// An engine for `keys` (a SecretKey or a key-set JSON).
fn make_engine(engine: &EngineArgs, keys: &str) -> Result<Box<dyn Engine>, String> {
    match engine.engine {
        EngineKind::Native => Ok(Box::new(NativeEngine::new(keys)?)),
        EngineKind::Wasm => wasm_cmds::make_engine(&engine.module, Backend::Cranelift, keys),
        EngineKind::Pulley => wasm_cmds::make_engine(&engine.module, Backend::Pulley, keys),
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
                // A closed stdout is reported by the closing line below.
                Some(f) => drop(out!("FAIL {}: {f}", o.name)),
                None if verbose => drop(out!("ok   {}", o.name)),
                None => {}
            }
        },
    )
    .map_err(|e| anyhow!(e))?;
    out!("{summary}")?;
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(args: &CheckArgs, explain: bool) -> Result<ExitCode> {
    let keys = args.secret.engine_keys()?;
    let input = args.input()?;
    let check = input.check(args)?;
    let text = read_text(&args.bundle)?;
    let now = args.now.unwrap_or_else(unix_now);
    let allow = if explain {
        // `explain` needs the rule trace, which only guard-core has.
        let mut guard = args.secret.guard()?;
        guard.load(text.trim(), now)?;
        let explanation = guard.explain_check(&args.app, &check, now);
        out!("{}", serde_json::to_string_pretty(&explanation)?)?;
        explanation.decision.allow
    } else {
        let mut engine = make_engine(&args.engine, &keys).map_err(|e| anyhow!(e))?;
        engine
            .load(text.trim(), now)
            .map_err(|(code, message)| anyhow!("{code}: {message}"))?;
        let decision = engine.check_any(&args.app, &check, now);
        out!("{}", serde_json::to_string(&decision)?)?;
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
