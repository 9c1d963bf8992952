//! [`Sdk`]: the guard a superapp's native code checks with, from any thread,
//! kept in sync with the superapp's server by a background thread and
//! persisted in a state directory. [`Builder`] starts one.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use guard_core::report::Batch;
use guard_core::{
    Check, CheckKind, Decision, Floor, LoadCode, LoadError, PolicyStatus, SignedState,
};
use guard_wasm_host::{Tables, WasmModule};

use crate::cache::{Cached, StateDir};
use crate::clock::{system_clock, Clock};
use crate::config::Config;
use crate::enforcer::Enforcer;
use crate::error::SdkError;
use crate::mailbox::{Event, Mailbox};
use crate::reports::Sent;
use crate::shared::{lock, PostResult, Shared, SyncResult};
use crate::status::Status;
use crate::sync::{Round, Synced};
use crate::timing::Timing;

/// Where the keys come from.
#[derive(Debug, Clone)]
enum Source {
    /// Synced from the superapp's server.
    Config(Config),
    /// Fixed keys (a key-set JSON or a SecretKey), no server.
    Keys(String),
}

/// Starts an [`Sdk`]: [`Sdk::synced`] (from a configuration file) or
/// [`Sdk::with_keys`] (fixed keys, no server), then the options, then
/// [`Builder::start`].
#[must_use]
pub struct Builder {
    module: WasmModule,
    source: Source,
    state_dir: Option<PathBuf>,
    clock: Clock,
    timing: Timing,
    sync: bool,
    reports: bool,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("source", &self.source)
            .field("state_dir", &self.state_dir)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// A check's answer: the contract's decision, and what an allowed URL,
/// socket or redirect check hands on (its WHATWG serialisation, the host to
/// connect to, the redirect's absolute target), to use instead of the
/// caller's string. `href` is `None` when the check denied (a denied target
/// is not handed on) and for API and launch checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// The decision object (`allow`, `code`, `message`, `errno`, `reported`).
    pub decision: Decision,
    /// What to connect to, when allowed.
    pub href: Option<String>,
}

impl Answer {
    fn new(decision: Decision, href: Option<String>) -> Answer {
        let href = href.filter(|_| decision.allow);
        Answer { decision, href }
    }
}

/// The superapp SDK: a guard checked from any thread, synced and persisted.
///
/// One lock guards the guard: a check is tens of nanoseconds under Cranelift
/// and microseconds under Pulley, so threads rarely wait for each other, and
/// one instance keeps one report log and one anti-rollback floor
/// (`docs/sdk.md`). Loads hold the lock while the module verifies a bundle;
/// writing the state directory happens outside it.
///
/// Dropping it shuts it down ([`Sdk::shutdown`]).
pub struct Sdk {
    shared: Arc<Shared>,
    sync_tx: Option<Sender<Event<SyncResult>>>,
    report_tx: Option<Sender<Event<PostResult>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Keeps the last good bundle, key set and floor in `dir` (created if
    /// missing, locked while the SDK runs), and starts from it. Without a
    /// state directory nothing survives the process.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.state_dir = Some(dir.into());
        self
    }

    /// The clock the SDK loads and checks at (default [`system_clock`]).
    pub fn clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Builder {
        self.clock = Arc::new(clock);
        self
    }

    /// The background threads' intervals.
    pub fn timing(mut self, timing: Timing) -> Builder {
        self.timing = timing;
        self
    }

    /// Whether a background thread keeps the guard in sync (default `true`;
    /// without it, [`Sdk::sync_now`] is the only sync).
    pub fn background_sync(mut self, on: bool) -> Builder {
        self.sync = on;
        self
    }

    /// Whether a background thread sends reports (default `true`; without
    /// it, [`Sdk::send_reports_now`] and the bridge's `take_reports` are the
    /// only ways out).
    pub fn background_reports(mut self, on: bool) -> Builder {
        self.reports = on;
        self
    }

    /// Starts the SDK: opens the state directory, starts the guard from what
    /// it holds (the floor restored first, then the last good bundle loaded at
    /// the current clock: an expired one is not in force), then the background
    /// threads. Nothing here waits for the network: until the first sync an SDK
    /// without a cache denies `no_policy`.
    ///
    /// A cache that is truncated, altered, for another superapp, or whose
    /// bundle does not verify is refused (set aside as `cache.json.refused`,
    /// [`Status::cache_refused`]) and everything is fetched again; its floor
    /// still counts when a copy of it is whole.
    ///
    /// # Errors
    ///
    /// [`SdkError::State`] or [`SdkError::Locked`] for the state directory,
    /// [`SdkError::Host`] when the guard cannot be created (fixed keys the
    /// module refuses), [`SdkError::Keys`] without randomness for the
    /// placeholder key.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use guard_sdk::{Config, Sdk};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let module = guard_wasm_host::WasmModule::from_file(guard_wasm_host::default_module_path(), &Default::default())?;
    /// let sdk = Sdk::synced(module, Config::from_file("demo-config.json")?)
    ///     .state_dir("/data/guard")
    ///     .start()?;
    /// assert!(sdk.status().cache_refused.is_none());
    /// # Ok(()) }
    /// ```
    pub fn start(self) -> Result<Sdk, SdkError> {
        let now = (self.clock)();
        let config = match &self.source {
            Source::Config(c) => Some(c.clone()),
            Source::Keys(_) => None,
        };
        let superapp = config.as_ref().map(|c| c.superapp_id.clone());
        let dir = self.state_dir.as_deref().map(StateDir::open).transpose()?;
        let found = dir
            .as_ref()
            .map(|d| d.read(superapp.as_deref()))
            .unwrap_or_default();
        let mut status = Status {
            superapp_id: superapp.clone(),
            cache_refused: found.refused.clone(),
            last_error: found.refused.clone(),
            ..Status::default()
        };
        let mut cached = found.cache;
        let mut state_copy = found.state_copy;

        let mut enforcer = match &self.source {
            Source::Keys(k) => Enforcer::new(&self.module, Some(k))?,
            Source::Config(c) if c.has_roots() => {
                let e = start_with_roots(
                    &self.module,
                    c,
                    [cached.take(), state_copy.take()],
                    dir.as_ref(),
                    &mut status,
                    now,
                )?;
                let tables = self.module.tables().clone();
                return self.run(e, config, dir, status, tables);
            }
            Source::Config(_) => {
                let keys = cached
                    .as_ref()
                    .and_then(|c: &crate::cache::Cached| c.keys.clone());
                match Enforcer::new(&self.module, keys.as_deref()) {
                    Ok(mut e) => {
                        e.set_keys_etag(cached.as_ref().and_then(|c| c.keys_etag.clone()));
                        e
                    }
                    Err(e) => {
                        cached = None;
                        refuse(
                            dir.as_ref(),
                            &mut status,
                            &format!("its key set was refused: {e}"),
                        );
                        Enforcer::new(&self.module, None)?
                    }
                }
            }
        };
        if let Some(floor) = &found.floor {
            if let Err(e) = enforcer.guard.restore_floor(floor) {
                tracing::warn!(error = %e, "the kept floor was refused");
                status.last_error = Some(format!("the kept floor was refused: {e}"));
            }
        }
        if let Some(c) = cached.take() {
            if let Some(bundle) = &c.bundle {
                // No ETag unless it loads: a refused or expired bundle's
                // ETag must not make the server answer "not modified".
                match enforcer.load(bundle, None, now) {
                    Ok(_) => enforcer.set_bundle_etag(c.bundle_etag.clone()),
                    Err(e) if e.code == LoadCode::Expired => {
                        // Kept out of force: checks deny `no_policy` until a
                        // sync brings a bundle that is valid now.
                        status.last_error = Some(format!("the cached bundle is not in force: {e}"));
                    }
                    Err(e) => {
                        refuse(
                            dir.as_ref(),
                            &mut status,
                            &format!("its bundle was refused: {e}"),
                        );
                        // Its key set is suspect too: fetched again in full.
                        enforcer.set_keys_etag(None);
                    }
                }
            }
        }
        enforcer.touch();
        let tables = self.module.tables().clone();
        self.run(enforcer, config, dir, status, tables)
    }

    /// The started SDK: its shared state persisted once, then its threads.
    fn run(
        self,
        enforcer: Enforcer,
        config: Option<Config>,
        dir: Option<StateDir>,
        status: Status,
        tables: Tables,
    ) -> Result<Sdk, SdkError> {
        let shared = Arc::new(Shared::new(
            enforcer,
            config,
            dir,
            status,
            self.clock,
            self.timing,
            tables,
        ));
        shared.persist();

        let mut sdk = Sdk {
            shared: Arc::clone(&shared),
            sync_tx: None,
            report_tx: None,
            threads: Mutex::new(Vec::new()),
        };
        if shared.config.is_some() && self.sync {
            let mailbox = Mailbox::new();
            sdk.sync_tx = Some(mailbox.sender());
            let s = Arc::clone(&shared);
            let t = std::thread::Builder::new()
                .name("guard-sdk-sync".into())
                .spawn(move || crate::sync::run(&s, mailbox))
                .map_err(|e| SdkError::State {
                    path: PathBuf::from("-"),
                    source: e,
                })?;
            lock(&sdk.threads).push(t);
        }
        if shared.config.is_some() && self.reports {
            let mailbox = Mailbox::new();
            sdk.report_tx = Some(mailbox.sender());
            let s = Arc::clone(&shared);
            let t = std::thread::Builder::new()
                .name("guard-sdk-reports".into())
                .spawn(move || crate::reports::run(&s, mailbox))
                .map_err(|e| SdkError::State {
                    path: PathBuf::from("-"),
                    source: e,
                })?;
            lock(&sdk.threads).push(t);
        }
        Ok(sdk)
    }
}

impl Sdk {
    /// An SDK synced from the superapp's server as `config` says.
    pub fn synced(module: WasmModule, config: Config) -> Builder {
        Sdk::builder(module, Source::Config(config))
    }

    /// An SDK with fixed keys (a key-set JSON `{"keys":[…]}` or a SecretKey)
    /// and no server: bundles arrive through [`Sdk::load_at`] (the JS
    /// bridge's `load`). Reports are taken with [`Sdk::take_reports`].
    pub fn with_keys(module: WasmModule, keys: &str) -> Builder {
        Sdk::builder(module, Source::Keys(keys.to_owned()))
    }

    fn builder(module: WasmModule, source: Source) -> Builder {
        Builder {
            module,
            source,
            state_dir: None,
            clock: Arc::new(system_clock),
            timing: Timing::default(),
            sync: true,
            reports: true,
        }
    }

    /// Any check at the SDK's clock; see [`Sdk::decide_at`].
    pub fn decide(&self, app: &str, check: &Check<'_>) -> Answer {
        self.decide_at(app, check, self.shared.now())
    }

    /// Any check (API, URL of each kind, launch, socket, redirect) for `app`
    /// at `now`, answered by the guard module from the policy in force: the
    /// decision, and for an allowed URL, socket or redirect check what to
    /// connect to. Denials (and report-mode passes) are recorded for the
    /// reports. Fails closed: without a policy in force, deny `no_policy`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use guard_sdk::Sdk;
    /// # fn f(sdk: &Sdk) {
    /// use guard_core::{Check, CheckKind};
    /// let a = sdk.decide_at("mp_shop", &Check::Url(CheckKind::Request, "https://api.shop.example/v1"), 1_796_000_000);
    /// if a.decision.allow {
    ///     let url = a.href.as_deref(); // connect to this, not to the caller's string
    /// #   let _ = url;
    /// }
    /// # }
    /// ```
    pub fn decide_at(&self, app: &str, check: &Check<'_>, now: u64) -> Answer {
        let (decision, href) = lock(&self.shared.enforcer)
            .guard
            .decide_check_href(app, check, now);
        Answer::new(decision, href)
    }

    /// May `app` call the API `api`?
    pub fn check_api(&self, app: &str, api: &str) -> Decision {
        self.decide(app, &Check::Api(api)).decision
    }

    /// May `app` reach `url` with a call of `kind` (`request`, `upload`,
    /// `download`, `socket`, `webview`)? Another kind is denied `invalid_url`.
    pub fn check_url(&self, app: &str, kind: CheckKind, url: &str) -> Answer {
        self.decide(app, &Check::Url(kind, url))
    }

    /// May `app` run the code package `version` whose SHA-256 is
    /// `package_sha256` (contract §3.5)?
    pub fn check_launch(&self, app: &str, version: &str, package_sha256: &str) -> Decision {
        let check = Check::Launch {
            version,
            package_sha256,
        };
        self.decide(app, &check).decision
    }

    /// May `app` open a raw `tcp` or `udp` socket to `host` (IPv6 in
    /// brackets) and `port` (contract §3.7)?
    pub fn check_socket(&self, app: &str, kind: CheckKind, host: &str, port: u32) -> Answer {
        self.decide(app, &Check::Socket(kind, host, port))
    }

    /// May a `kind` call of `app`, answered by `from` (an href it was
    /// allowed), follow its redirect to `location`? `hop` counts from 1
    /// (contract §3.6).
    pub fn check_redirect(
        &self,
        app: &str,
        kind: CheckKind,
        from: &str,
        location: &str,
        hop: u32,
    ) -> Answer {
        let check = Check::Redirect {
            kind,
            base_href: from,
            location,
            hop,
        };
        self.decide(app, &check)
    }

    /// Verifies and loads a bundle at `now` that arrived some other way than
    /// the SDK's sync (the JS bridge's `load`); when accepted it is persisted
    /// like a synced one.
    ///
    /// # Errors
    ///
    /// The guard's [`LoadError`]; the bundle in force stays.
    pub fn load_at(&self, bundle: &str, now: u64) -> Result<(), LoadError> {
        lock(&self.shared.enforcer).load(bundle, None, now)?;
        self.shared.persist();
        Ok(())
    }

    /// The policy in force at `now`, as the guard's bundle describes it
    /// (`None`: none is; every check denies `no_policy`).
    pub fn policy_at(&self, now: u64) -> Option<PolicyStatus> {
        lock(&self.shared.enforcer).policy_at(now)
    }

    /// The SDK's state: the policy in force, the last sync and error, the
    /// reports sent.
    pub fn status(&self) -> Status {
        let now = self.shared.now();
        let (policy, accepted, floor) = {
            let mut e = lock(&self.shared.enforcer);
            (e.policy_at(now), e.accepted_version(), e.guard.floor())
        };
        Status {
            policy,
            accepted_version: accepted,
            floor,
            ..lock(&self.shared.status).clone()
        }
    }

    /// Waits until `done` holds for the status (checked now and after every
    /// change: a sync, a new bundle or key set, an error, a report send), at
    /// most `timeout`; answers the status that satisfied it, `None` on
    /// timeout. For an app that wants its first policy before it opens a
    /// mini program, and for tests.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn f(sdk: &guard_sdk::Sdk) {
    /// use std::time::Duration;
    /// match sdk.wait_until(Duration::from_secs(3), |s| s.policy.is_some()) {
    ///     Some(s) => println!("policy version {:?} in force", s.policy.map(|p| p.version)),
    ///     None => println!("offline and no policy yet: every check denies no_policy"),
    /// }
    /// # }
    /// ```
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&Status) -> bool,
    ) -> Option<Status> {
        let deadline = Instant::now() + timeout;
        let (events, cv) = &self.shared.events;
        loop {
            // The count first: a change after it wakes the wait below.
            let seen = *lock(events);
            let status = self.status();
            if done(&status) {
                return Some(status);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let guard = lock(events);
            let _ = cv
                .wait_timeout_while(guard, left, |n| *n == seen)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// One sync round now, on the calling thread, without waiting for a
    /// change (no long-poll): the key set, then the bundle. The background
    /// thread, if any, then starts its next long-poll from what this found.
    ///
    /// # Errors
    ///
    /// [`SdkError::NotSynced`] for an SDK with fixed keys,
    /// [`SdkError::Shutdown`] after [`Sdk::shutdown`], [`SdkError::Http`]
    /// when the server cannot be reached or answers an error,
    /// [`SdkError::Keys`] for a refused key set, [`SdkError::Load`] for a
    /// refused bundle. Nothing enforced changes on an error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn f(sdk: &guard_sdk::Sdk) -> Result<(), guard_sdk::SdkError> {
    /// let synced = sdk.sync_now()?;
    /// println!("version {:?} (changed: {})", synced.version, synced.changed);
    /// # Ok(()) }
    /// ```
    pub fn sync_now(&self) -> Result<Synced, SdkError> {
        if self.shared.is_stopped() {
            return Err(SdkError::Shutdown);
        }
        if self.shared.config.is_none() {
            return Err(SdkError::NotSynced);
        }
        let http = self.shared.http.clone();
        let outcome = self.shared.round(&mut |get| Some(http.get(&get)), false);
        if let Err(e) = &outcome {
            self.shared.note_error(e);
        }
        if let Some(tx) = &self.sync_tx {
            let _ = tx.send(Event::Kick);
        }
        let version = lock(&self.shared.enforcer).accepted_version();
        match outcome {
            Ok(Round::Changed) => Ok(Synced {
                changed: true,
                version,
            }),
            Ok(Round::Unchanged { .. }) => Ok(Synced {
                changed: false,
                version,
            }),
            Ok(Round::Refused { error, .. }) => Err(SdkError::Load(error)),
            Ok(Round::Stopped) => Err(SdkError::Shutdown),
            Err(e) => Err(e),
        }
    }

    /// Sends the queued reports now, on the calling thread.
    ///
    /// # Errors
    ///
    /// As [`Sdk::sync_now`] for the SDK's state; [`SdkError::Http`] when a
    /// part could not be delivered (it stays queued; a `429`'s
    /// `Retry-After` is in the error).
    pub fn send_reports_now(&self) -> Result<Sent, SdkError> {
        if self.shared.is_stopped() {
            return Err(SdkError::Shutdown);
        }
        let url = match &self.shared.config {
            Some(c) => c.reports_url.clone(),
            None => return Err(SdkError::NotSynced),
        };
        let http = self.shared.http.clone();
        self.shared
            .send_reports(&mut |body| Some(http.post_json(&url, &body)))
    }

    /// The app went to the background: the reports are sent now (by the
    /// background thread; this returns at once), as the Reporting API does
    /// when a page is hidden.
    pub fn on_background(&self) {
        if let Some(tx) = &self.report_tx {
            let _ = tx.send(Event::Kick);
        }
    }

    /// Drains the reports the guard recorded (P4's `take_reports`, for a JS
    /// side that sends them itself).
    pub fn take_reports(&self, now: u64) -> Batch {
        lock(&self.shared.enforcer).guard.take_reports(now)
    }

    /// Puts back the batch the last [`Sdk::take_reports`] answered (its send
    /// failed).
    pub fn requeue_reports(&self, now: u64) {
        lock(&self.shared.enforcer).guard.requeue_reports(now);
    }

    /// The guard's anti-rollback floor.
    pub fn floor(&self) -> Option<Floor> {
        lock(&self.shared.enforcer).guard.floor()
    }

    /// Restores a floor kept elsewhere (P4's `restore_floor`), and persists
    /// it.
    ///
    /// # Errors
    ///
    /// [`SdkError::Host`] when the guard refuses it; nothing changes.
    pub fn restore_floor(&self, floor: &Floor) -> Result<(), SdkError> {
        {
            let mut e = lock(&self.shared.enforcer);
            e.guard.restore_floor(floor)?;
            e.touch();
        }
        self.shared.persist();
        Ok(())
    }

    /// The guard module's tables (P4's `tables`).
    pub fn tables(&self) -> &Tables {
        &self.shared.tables
    }

    /// Stops the background threads (at once: a long-poll in flight is
    /// abandoned) and releases the state directory. Checks still answer from
    /// the guard in memory; nothing is synced, sent or written any more.
    /// Idempotent.
    pub fn shutdown(&self) {
        self.shared.stop();
        for tx in [&self.sync_tx].into_iter().flatten() {
            let _ = tx.send(Event::Stop);
        }
        if let Some(tx) = &self.report_tx {
            let _ = tx.send(Event::Stop);
        }
        for t in lock(&self.threads).drain(..) {
            let _ = t.join();
        }
        self.shared.release_dir();
    }
}

impl Drop for Sdk {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Contract v3: the guard created from the configuration's roots, and the
/// cache's signed state restored into it only if every document in it
/// verifies against those roots again (the guard module checks). No floor
/// file is read: the floors are the signed documents themselves, so what
/// storage holds can neither lower nor raise them, and a planted key set or
/// bundle is refused here (the cache set aside) and never steers a sync.
fn start_with_roots(
    module: &WasmModule,
    config: &Config,
    copies: [Option<Cached>; 2],
    dir: Option<&StateDir>,
    status: &mut Status,
    now: u64,
) -> Result<Enforcer, SdkError> {
    let guard_config = config.guard_config().ok_or_else(|| SdkError::Config {
        field: "roots".into(),
        reason: "no root keys".into(),
    })?;
    let mut enforcer = Enforcer::with_roots(module, &guard_config)?;
    // The cache, else its second copy (written after it): the first whose
    // every document verifies against the roots.
    let [cache, copy] = copies;
    for (i, c) in [cache, copy].into_iter().enumerate() {
        let Some(c) = c else { continue };
        let state = SignedState {
            keyset: c.keyset,
            bundle_keyset: c.bundle_keyset,
            bundle: c.bundle,
        };
        if state == SignedState::default() {
            continue;
        }
        match enforcer.restore(&state, now) {
            Ok(()) => {
                // No ETag for a bundle out of force (expired): the server's
                // "not modified" would keep it out of force.
                if enforcer.policy_at(now).is_some() {
                    enforcer.set_bundle_etag(c.bundle_etag);
                } else if state.bundle.is_some() {
                    status.last_error = Some("the cached bundle is not in force: expired".into());
                }
                break;
            }
            Err(e) if i == 0 => refuse(
                dir,
                status,
                &format!("its signed state does not verify against the roots: {e}"),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the copy of the signed state does not verify against the roots");
            }
        }
    }
    enforcer.touch();
    Ok(enforcer)
}

/// A cache refused at start: set aside, and said in the status.
fn refuse(dir: Option<&StateDir>, status: &mut Status, why: &str) {
    let why = dir.map_or_else(|| why.to_owned(), |d| d.refuse(why));
    status.cache_refused = Some(why.clone());
    status.last_error = Some(why);
}
