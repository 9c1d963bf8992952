//! `guard-sdk-native`: an SDK (synced from a configuration file or URL, or
//! with fixed keys) serving the JS bridge's native back end (P4) over
//! stdin/stdout: one JSON request a line in, one JSON answer a line out, in
//! order. A malformed or overlong line answers `{"error":…}`; end of input
//! shuts the SDK down and exits 0. Logs go to stderr (`RUST_LOG`).
//!
//! ```sh
//! guard-sdk-native --config demo-config.json --state-dir ./guard-state
//! guard-sdk-native --keys keys.json            # no server: bundles come through `load`
//! ```
//!
//! Exit codes: 0 at end of input, 2 when the SDK cannot start (one line on
//! stderr, `error: …`).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use guard_sdk::{native, Config, Sdk, SdkError, Timing};
use guard_wasm_host::{default_module_path, Backend, Options, WasmModule};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Engine {
    /// Cranelift: native code (needs JIT).
    Cranelift,
    /// wasmtime's Pulley interpreter (no JIT, as on iOS).
    Pulley,
}

#[derive(Debug, Parser)]
#[command(
    name = "guard-sdk-native",
    version,
    about = "The superapp SDK serving the JS bridge's native back end over stdin/stdout"
)]
struct Args {
    /// The superapp's configuration file (`guard-superapp-config/1`), or an
    /// http(s) URL to fetch it from.
    #[arg(long, value_name = "FILE|URL", conflicts_with_all = ["keys", "keys_text"])]
    config: Option<String>,
    /// A bearer token for fetching `--config` from the server's console API
    /// (read from the environment only, so it stays off the command line).
    #[arg(long = "config-token", env = "GUARD_CONFIG_TOKEN", hide = true)]
    config_token: Option<String>,
    /// Fixed keys instead of a server: a key-set file (`{"keys":[…]}`, as
    /// keys.json) or a file holding a SecretKey.
    #[arg(long, value_name = "FILE", conflicts_with = "keys_text")]
    keys: Option<PathBuf>,
    /// Fixed keys given as text in the environment (a key-set JSON or a
    /// SecretKey), for a test harness that spawns this binary without
    /// arguments.
    #[arg(
        long = "keys-text",
        env = "GUARD_KEYS",
        hide_env_values = true,
        hide = true
    )]
    keys_text: Option<String>,
    /// Where the SDK keeps its state across restarts.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// How the guard module runs.
    #[arg(long, value_enum, default_value_t = Engine::Cranelift)]
    engine: Engine,
    /// The guard .wasm [default: js/pkg/guard_wasm_bg.wasm of this repository].
    #[arg(
        long,
        env = "GUARD_WASM",
        value_name = "PATH",
        conflicts_with = "precompiled"
    )]
    module: Option<PathBuf>,
    /// A precompiled artifact (`guard precompile`) to run instead of the
    /// .wasm; needs `--precompiled-sha256`.
    #[arg(long, value_name = "FILE", requires = "precompiled_sha256")]
    precompiled: Option<PathBuf>,
    /// The SHA-256 the artifact must have (what the app pins at build time).
    #[arg(long, value_name = "HEX")]
    precompiled_sha256: Option<String>,
    /// Seconds between bundle requests when the server does not long-poll.
    #[arg(long, default_value_t = 60)]
    poll_seconds: u64,
    /// Seconds between report sends.
    #[arg(long, default_value_t = 60)]
    report_seconds: u64,
    /// No background sync (bundles only through `load`, or at start from the
    /// state directory).
    #[arg(long)]
    no_sync: bool,
}

fn module(args: &Args) -> Result<WasmModule, String> {
    let options = Options {
        backend: match args.engine {
            Engine::Cranelift => Backend::Cranelift,
            Engine::Pulley => Backend::Pulley,
        },
        ..Options::default()
    };
    let m = match (&args.precompiled, &args.precompiled_sha256) {
        (Some(path), Some(pin)) => WasmModule::from_precompiled_file(path, pin, &options),
        _ => WasmModule::from_file(
            args.module.clone().unwrap_or_else(default_module_path),
            &options,
        ),
    };
    m.map_err(|e| e.to_string())
}

fn start(args: &Args) -> Result<Sdk, String> {
    let module = module(args)?;
    let s = |e: SdkError| e.to_string();
    let builder = match (&args.config, &args.keys, &args.keys_text) {
        (Some(c), ..) if c.starts_with("http://") || c.starts_with("https://") => Sdk::synced(
            module,
            Config::fetch(c, args.config_token.as_deref()).map_err(s)?,
        ),
        (Some(c), ..) => Sdk::synced(module, Config::from_file(c).map_err(s)?),
        (None, Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the keys `{}`: {e}", path.display()))?;
            Sdk::with_keys(module, text.trim())
        }
        (None, None, Some(text)) => Sdk::with_keys(module, text.trim()),
        (None, None, None) => {
            return Err("pass --config FILE|URL, or --keys FILE (or GUARD_KEYS)".into())
        }
    };
    let mut timing = Timing::default();
    timing.poll_interval = Duration::from_secs(args.poll_seconds.max(1));
    timing.report_interval = Duration::from_secs(args.report_seconds.max(1));
    let mut builder = builder.timing(timing).background_sync(!args.no_sync);
    if let Some(dir) = &args.state_dir {
        builder = builder.state_dir(dir);
    }
    builder.start().map_err(s)
}

/// Reads one line of at most `max` bytes (without its `\n`); `Ok(None)` at
/// end of input, `Err(n)` for a line of `n > max` bytes (read to its end and
/// dropped, so the next line is whole).
fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), usize>>> {
    line.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(if total > max { Err(total) } else { Ok(()) }));
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        total = total.saturating_add(chunk.len());
        if total <= max {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        input.consume(used);
        if done.is_some() {
            return Ok(Some(if total > max { Err(total) } else { Ok(()) }));
        }
    }
}

fn serve(sdk: &Sdk) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = Vec::new();
    while let Some(read) = read_line(&mut input, &mut line, native::MAX_REQUEST_BYTES)? {
        let answer = match read {
            Err(n) => format!(
                r#"{{"error":"the request is {n} bytes; at most {}"}}"#,
                native::MAX_REQUEST_BYTES
            ),
            Ok(()) => match std::str::from_utf8(&line) {
                Ok(text) => native::answer(sdk, text.trim_end_matches('\r')),
                Err(_) => r#"{"error":"the request is not UTF-8"}"#.to_owned(),
            },
        };
        out.write_all(answer.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let sdk = match start(&args) {
        Ok(sdk) => sdk,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let served = serve(&sdk);
    sdk.shutdown();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        // stdout closed by the other side: nothing more to say to it.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_an_overlong_one_does_not_spill_into_the_next() {
        let text = b"short\n0123456789abc\nnext\nlast-no-newline";
        let mut input = BufReader::with_capacity(4, &text[..]);
        let mut line = Vec::new();
        let mut got = Vec::new();
        while let Some(r) = read_line(&mut input, &mut line, 8).unwrap() {
            got.push(r.map(|()| String::from_utf8(line.clone()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                Ok("short".to_owned()),
                Err(13),
                Ok("next".to_owned()),
                Err(15),
            ]
        );
    }
}
