//! `guard serve`: options, startup (store, bootstrap) and the HTTP listener.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::clock::Clock;
use crate::distribution::keyring::check_and_fill;
use crate::distribution::sealing::Kek;
use crate::distribution::secrets::seal_stored;
use crate::error::ApiError;
use crate::http::routes::router;
use crate::reports::rate::Rate;
use crate::resources::accounts::bootstrap;
use crate::resources::blocked::{listen_host, reconcile_openserver_host};
use crate::resources::invites;
use crate::state::{
    AppState, ConsoleSettings, Limits, UploadQuota, DEFAULT_REPORTS_PER_ADDRESS,
    DEFAULT_REPORTS_PER_APP,
};
use crate::store::Store;

/// The options of `guard serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Address to listen on (port 0: any free port, printed at startup).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Data directory of the embedded SQLite store.
    #[arg(long, default_value = "guard-data")]
    pub data_dir: PathBuf,
    /// A `postgres://` URL: use PostgreSQL instead of SQLite. Also read from
    /// `GUARD_DATABASE_URL`, which keeps a password out of the process list.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Most server domains per app.
    #[arg(long, default_value_t = 30)]
    pub max_server_domains: usize,
    /// How long a signed bundle stays valid, in days: a device that stops
    /// syncing stops enforcing (and so stops honouring a revoked grant) then.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub bundle_lifetime_days: u32,
    /// Largest code package a developer may upload, in bytes.
    #[arg(long, default_value_t = crate::state::DEFAULT_MAX_PACKAGE_BYTES)]
    pub max_package_bytes: usize,
    /// Most versions one app may hold (429 beyond; versions are never
    /// deleted).
    #[arg(long, default_value_t = UploadQuota::default().versions_per_app)]
    pub max_versions_per_app: u64,
    /// Most bytes of packages, all versions of one app together (413).
    #[arg(long, default_value_t = UploadQuota::default().bytes_per_app)]
    pub max_package_bytes_per_app: u64,
    /// Most versions all of one team's apps may hold together (429).
    #[arg(long, default_value_t = UploadQuota::default().versions_per_team)]
    pub max_versions_per_team: u64,
    /// Most bytes of packages of all of one team's apps together (413).
    #[arg(long, default_value_t = UploadQuota::default().bytes_per_team)]
    pub max_package_bytes_per_team: u64,
    /// Most versions one team may upload in any hour (429, Retry-After).
    #[arg(long, default_value_t = UploadQuota::default().uploads_per_team_per_hour)]
    pub max_uploads_per_team_per_hour: u64,
    /// The base URL devices reach this server at (named in the superapps'
    /// configuration files); default `http://<listen address>`.
    #[arg(long)]
    pub public_url: Option<String>,
    /// The host name of this server's login API as mini programs' backends
    /// reach it; every bundle blocks it. Default: the `--listen` host when it
    /// is a name (not an IP address or `localhost`).
    #[arg(long)]
    pub openserver_host: Option<String>,
    /// The file holding the key-encryption key (base64, 32 bytes; created
    /// with mode 0600 when missing) that seals the signing keys. `GUARD_KEK`
    /// takes precedence; with SQLite the default is `kek` in the data
    /// directory; PostgreSQL needs one of the two.
    #[arg(long)]
    pub kek_file: Option<PathBuf>,
    /// Days a rotated signing key is published before it signs.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=366))]
    pub signing_key_prepublish_days: u32,
    /// Days a retired signing key stays published; at least the bundle
    /// lifetime, so every bundle it signed expires first.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub signing_key_grace_days: u32,
    /// Minutes a console session may go unused before it ends.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub session_idle_minutes: u32,
    /// Hours after sign-in a console session ends, used or not.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_hours: u32,
    /// Days a console invite stays usable.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub invite_days: u32,
    /// Most seconds a bundle request with `Prefer: wait=N` and a current
    /// `If-None-Match` is held before its 304 (0: never held).
    #[arg(long, default_value_t = crate::state::DEFAULT_MAX_WAIT_SECS, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub max_wait_seconds: u64,
    /// Most bundle requests held at once; beyond it they are answered at
    /// once, without `Preference-Applied`.
    #[arg(long, default_value_t = crate::state::DEFAULT_MAX_WAITERS)]
    pub max_waiters: usize,
    /// Violation report batches accepted per minute from one client
    /// address (an IPv6 /64), in this process, after the burst.
    #[arg(long, default_value_t = DEFAULT_REPORTS_PER_ADDRESS.per_minute, value_parser = clap::value_parser!(u32).range(1..))]
    pub reports_per_minute_per_address: u32,
    /// Violation report batches accepted at once from one client address.
    #[arg(long, default_value_t = DEFAULT_REPORTS_PER_ADDRESS.burst, value_parser = clap::value_parser!(u32).range(1..))]
    pub report_burst_per_address: u32,
    /// Violation report batches accepted per minute for one app, in this
    /// process, after the burst.
    #[arg(long, default_value_t = DEFAULT_REPORTS_PER_APP.per_minute, value_parser = clap::value_parser!(u32).range(1..))]
    pub reports_per_minute_per_app: u32,
    /// Violation report batches accepted at once for one app.
    #[arg(long, default_value_t = DEFAULT_REPORTS_PER_APP.burst, value_parser = clap::value_parser!(u32).range(1..))]
    pub report_burst_per_app: u32,
}

/// The key-encryption key: `GUARD_KEK`, else `--kek-file`, else `kek` in the
/// SQLite data directory (created on the first start).
fn load_kek(opts: &ServeOptions, postgres: bool) -> anyhow::Result<Kek> {
    if let Ok(text) = std::env::var("GUARD_KEK") {
        return Ok(Kek::from_base64(&text, "GUARD_KEK")?);
    }
    match &opts.kek_file {
        Some(path) => Ok(Kek::from_file(path)?),
        None if postgres => anyhow::bail!(
            "a PostgreSQL store needs a key-encryption key: set GUARD_KEK (base64, 32 bytes) or --kek-file"
        ),
        None => Ok(Kek::from_file(&opts.data_dir.join("kek"))?),
    }
}

/// Runs the server until Ctrl-C. Prints the bootstrap admin token on the first
/// start, then `listening on <addr>`, to stdout.
///
/// # Errors
///
/// When the store cannot be opened or the address cannot be bound.
pub fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(opts))
}

async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let url = opts
        .database_url
        .clone()
        .or_else(|| std::env::var("GUARD_DATABASE_URL").ok());
    let store = match &url {
        Some(url) => Store::open_url(url).await.context("opening the database")?,
        None => Store::open_sqlite(&opts.data_dir)
            .await
            .context("opening the data directory")?,
    };
    if opts.signing_key_grace_days < opts.bundle_lifetime_days {
        anyhow::bail!(
            "--signing-key-grace-days ({}) must be at least --bundle-lifetime-days ({})",
            opts.signing_key_grace_days,
            opts.bundle_lifetime_days
        );
    }
    let kek = load_kek(&opts, url.is_some())?;
    let limits = Limits {
        max_body_bytes: opts.max_body_bytes,
        max_server_domains: opts.max_server_domains,
        max_package_bytes: opts.max_package_bytes,
        upload_quota: UploadQuota {
            versions_per_app: opts.max_versions_per_app,
            bytes_per_app: opts.max_package_bytes_per_app,
            versions_per_team: opts.max_versions_per_team,
            bytes_per_team: opts.max_package_bytes_per_team,
            uploads_per_team_per_hour: opts.max_uploads_per_team_per_hour,
        },
        max_wait_secs: opts.max_wait_seconds,
        max_waiters: opts.max_waiters,
        reports_per_address: Rate {
            per_minute: opts.reports_per_minute_per_address,
            burst: opts.report_burst_per_address,
        },
        reports_per_app: Rate {
            per_minute: opts.reports_per_minute_per_app,
            burst: opts.report_burst_per_app,
        },
        ..Limits::default()
    };
    let openserver_host = match &opts.openserver_host {
        Some(host) => Some(
            guard_core::HostPattern::parse(host)
                .map_err(|e| {
                    anyhow::anyhow!("--openserver-host `{host}` is not a host name: it {e}")
                })?
                .to_string(),
        ),
        None => listen_host(&opts.listen),
    };
    let console = ConsoleSettings {
        session_idle: i64::from(opts.session_idle_minutes) * 60,
        session_max: i64::from(opts.session_hours) * 3600,
        invite_lifetime: i64::from(opts.invite_days) * 86_400,
        public_url_explicit: opts.public_url.is_some(),
        ..ConsoleSettings::default()
    };
    let mut state = AppState::new(store, Clock::system(), limits)
        .with_console(console)
        .with_bundle_lifetime(i64::from(opts.bundle_lifetime_days) * 86_400)
        .with_openserver_host(openserver_host)
        .with_kek(kek)
        .with_key_periods(
            i64::from(opts.signing_key_prepublish_days) * 86_400,
            i64::from(opts.signing_key_grace_days) * 86_400,
        );
    check_and_fill(&state).await.map_err(|e| match e {
        // The detail of an internal error is for the operator here.
        ApiError::Internal(detail) => anyhow::anyhow!("signing keys: {detail}"),
        other => anyhow::anyhow!("signing keys: {other}"),
    })?;
    // Migration 44 (`distribution/secrets.rs`) once the KEK is known to be
    // the one things were sealed with, and before anything reads a secret.
    seal_stored(&state).await.map_err(|e| match e {
        ApiError::Internal(detail) => anyhow::anyhow!("sealing secrets (migration 44): {detail}"),
        other => anyhow::anyhow!("sealing secrets (migration 44): {other}"),
    })?;
    let mut out = std::io::stdout();
    if let Some(token) = bootstrap(&state)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap: {e}"))?
    {
        // Shown once, to the operator only: it is stored hashed.
        writeln!(out, "bootstrap admin token (shown once): {token}")?;
    }
    reconcile_openserver_host(&state)
        .await
        .map_err(|e| anyhow::anyhow!("recording the openserver host: {e}"))?;
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .with_context(|| format!("binding `{}`", opts.listen))?;
    let addr = listener.local_addr()?;
    let public_url = opts
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    state = state.with_public_url(&public_url);
    // Everything a new operator needs, printed before `listening on` (which
    // scripts wait for; they may stop reading after it).
    writeln!(out, "console: {}/console/", state.public_url)?;
    if let Some(invite) = invites::bootstrap(&state)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap invite: {e}"))?
    {
        // Printed while no account has a console password: the operator
        // signs in as `admin` with it. One use; a new one at each start.
        writeln!(
            out,
            "bootstrap admin invite (one use, expires {}): {}",
            crate::console::page::When::at(invite.expires_at).text,
            invite.url
        )?;
    }
    writeln!(out, "listening on {addr}")?;
    out.flush()?;
    // With each connection's peer address: the reports endpoint limits
    // per client address.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
