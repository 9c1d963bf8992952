//! [`Shared`]: the state the SDK's callers and background threads share
//! (the enforcer, the status, the outbox of reports, the state directory),
//! and what every one of them does with it: read the clock, persist, note an
//! error, wake waiters. The sync (`sync.rs`) and the reports (`reports.rs`)
//! add their rounds to it; [`crate::Sdk`] holds it. It imports neither,
//! so the modules depend downward only: `sdk` → `sync`, `reports` → `shared`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use guard_core::report::ReportLog;
use guard_wasm_host::Tables;

use crate::cache::StateDir;
use crate::clock::Clock;
use crate::config::Config;
use crate::enforcer::Enforcer;
use crate::error::SdkError;
use crate::http::{Fetched, Http, Posted};
use crate::status::Status;
use crate::timing::Timing;

/// What the sync thread's mailbox carries: a bundle request's outcome.
pub(crate) type SyncResult = Result<Fetched, SdkError>;
/// What the reports thread's mailbox carries: a post's outcome.
pub(crate) type PostResult = Result<Posted, SdkError>;

/// The state the SDK's threads and callers share.
pub(crate) struct Shared {
    pub(crate) enforcer: Mutex<Enforcer>,
    pub(crate) config: Option<Config>,
    pub(crate) http: Http,
    persist: Mutex<Persist>,
    pub(crate) status: Mutex<Status>,
    /// Reports taken from the guard and not yet accepted by the server.
    pub(crate) outbox: Mutex<ReportLog>,
    pub(crate) clock: Clock,
    pub(crate) timing: Timing,
    stopped: AtomicBool,
    pub(crate) tables: Tables,
    /// Bumped (and waiters woken) by every change of state or status.
    pub(crate) events: (Mutex<u64>, Condvar),
}

struct Persist {
    dir: Option<StateDir>,
    /// The enforcer's sequence number last written.
    written: Option<u64>,
}

/// The lock, even if a thread panicked holding it: nothing under these
/// locks panics on input (the crate denies `unwrap`, `expect` and `panic`),
/// and the guard inside stays memory-safe and fails closed on its own.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The state of an SDK about to start: nothing written yet, not stopped.
    pub(crate) fn new(
        enforcer: Enforcer,
        config: Option<Config>,
        dir: Option<StateDir>,
        status: Status,
        clock: Clock,
        timing: Timing,
        tables: Tables,
    ) -> Shared {
        Shared {
            enforcer: Mutex::new(enforcer),
            config,
            http: Http::new(),
            persist: Mutex::new(Persist { dir, written: None }),
            status: Mutex::new(status),
            outbox: Mutex::new(ReportLog::new()),
            clock,
            timing,
            stopped: AtomicBool::new(false),
            tables,
            events: (Mutex::new(0), Condvar::new()),
        }
    }

    /// From now on nothing is synced, sent or written (see
    /// [`crate::Sdk::shutdown`]).
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Releases the state directory's lock: another SDK may open it now.
    pub(crate) fn release_dir(&self) {
        lock(&self.persist).dir = None;
    }

    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Writes what the enforcer holds now, unless it was written already,
    /// or the SDK is shut down (nothing touches the directory after
    /// [`crate::Sdk::shutdown`]). A write that fails is the status's last error;
    /// the guard goes on enforcing.
    pub(crate) fn persist(&self) {
        let now = self.now();
        let superapp = self.config.as_ref().map(|c| c.superapp_id.as_str());
        let (seq, cached) = lock(&self.enforcer).snapshot(superapp, now);
        let mut p = lock(&self.persist);
        if self.is_stopped() || p.written.is_some_and(|w| w >= seq) {
            return;
        }
        let Some(dir) = &p.dir else { return };
        match dir.write(&cached) {
            Ok(()) => p.written = Some(seq),
            Err(e) => {
                tracing::error!(error = %e, "cannot persist the SDK's state");
                lock(&self.status).last_error = Some(e.to_string());
            }
        }
        drop(p);
        self.changed();
    }

    pub(crate) fn note_error(&self, e: &SdkError) {
        tracing::warn!(error = %e, "guard sdk");
        lock(&self.status).last_error = Some(e.to_string());
        self.changed();
    }

    /// Wakes [`crate::Sdk::wait_until`]: something changed.
    pub(crate) fn changed(&self) {
        *lock(&self.events.0) += 1;
        self.events.1.notify_all();
    }
}
