//! Keeping the guard in sync with the superapp's server: one round fetches
//! the key set and the bundle with `If-None-Match`; the background thread
//! runs rounds back to back while the server holds its bundle requests (the
//! long-poll, `Prefer: wait=N`, P1), on a jittered interval when it does not,
//! and with exponential backoff after errors.

use std::time::Instant;

use guard_core::limits::MAX_BUNDLE_BYTES;
use guard_core::{KeySet, LoadCode, LoadError};

use crate::backoff::{jitter, Backoff};
use crate::config::Config;
use crate::enforcer::Loaded;
use crate::error::SdkError;
use crate::http::{Fetched, Get};
use crate::mailbox::{Mailbox, Woke};
use crate::shared::{lock, Shared, SyncResult};

/// Most bytes of a key set read.
const MAX_KEYS_BYTES: u64 = 1 << 20;

/// What [`crate::Sdk::sync_now`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Synced {
    /// Whether a new bundle or key set was put in force.
    pub changed: bool,
    /// The version of the last bundle accepted.
    pub version: Option<u64>,
}

/// How a round ended.
#[derive(Debug)]
pub(crate) enum Round {
    /// A new bundle or key set is in force.
    Changed,
    /// Nothing new; `held`: the server applied the long-poll.
    Unchanged { held: bool },
    /// The server's bundle or key set was refused (what is in force stays):
    /// not a transport failure, so no backoff; a refused bundle's ETag is
    /// what the next request waits on. `held`: the server held the round's
    /// bundle request, so asking again at once is right.
    Refused { error: LoadError, held: bool },
    /// Shut down during the round.
    Stopped,
}

/// What a round's key-set request did.
#[derive(Debug)]
pub(crate) enum Keys {
    /// A new key set is in force.
    Changed,
    /// The one in force is current.
    Same,
    /// The key set served was refused; the one in force stays.
    Refused(LoadError),
}

/// A request made for a round: `None` when shut down meanwhile.
pub(crate) type Fetch<'a> = dyn FnMut(Get) -> Option<Result<Fetched, SdkError>> + 'a;

impl Shared {
    /// Fetches the key set (conditionally) and re-keys the guard when it
    /// changed; `None` when shut down, `Some(changed)` otherwise.
    fn refresh_keys(
        &self,
        fetch: &mut Fetch<'_>,
        config: &Config,
    ) -> Result<Option<Keys>, SdkError> {
        let etag = {
            let e = lock(&self.enforcer);
            e.keys_etag().filter(|_| e.keyed()).map(str::to_owned)
        };
        // No `Prefer: wait` here: the round then long-polls the bundle, and
        // a rotation's key set is published before its key signs, so a
        // bundle it signed arrives after it (or fetches it, `unknown_key`).
        let get = Get {
            url: config.keyset_url.clone(),
            etag,
            wait: None,
            limit: MAX_KEYS_BYTES,
        };
        let Some(got) = fetch(get) else {
            return Ok(None);
        };
        let (body, etag) = match got? {
            Fetched::NotModified { .. } => return Ok(Some(Keys::Same)),
            Fetched::Body { body, etag, .. } => (body, etag),
        };
        if config.has_roots() {
            return Ok(Some(self.load_keyset(config, body.trim(), etag)));
        }
        let refused = |reason: String| SdkError::Keys {
            url: config.keyset_url.clone(),
            reason,
        };
        // Checked here too, so the error names the set rather than the module.
        KeySet::from_json(&body).map_err(|e| refused(e.to_string()))?;
        let now = self.now();
        let changed = {
            let mut e = lock(&self.enforcer);
            let mut outbox = lock(&self.outbox);
            e.set_keys(&body, etag, &mut outbox, now)
                .map_err(|e| refused(e.to_string()))?
        };
        if changed {
            tracing::info!(url = %config.keyset_url, "re-keyed the guard with a new key set");
            self.persist();
        }
        Ok(Some(if changed { Keys::Changed } else { Keys::Same }))
    }

    /// Contract v3: loads a key set the server (or whatever answers in its
    /// place) sent; the guard module accepts it only if a root signed it
    /// for this superapp, at or above the key-set floor, unexpired. Its
    /// ETag is kept only when it is in force, so a refused key set's ETag
    /// never makes the server answer "not modified".
    fn load_keyset(&self, config: &Config, jws: &str, etag: Option<String>) -> Keys {
        let now = self.now();
        let loaded = {
            let mut e = lock(&self.enforcer);
            let loaded = e.load_keyset(jws, now);
            if loaded.is_ok() {
                e.set_keys_etag(etag);
            }
            loaded
        };
        match loaded {
            Ok(true) => {
                tracing::info!(url = %config.keyset_url, "a new key set is in force");
                self.persist();
                Keys::Changed
            }
            Ok(false) => Keys::Same,
            Err(e) => {
                tracing::warn!(code = %e.code.as_str(), message = %e.message, "the server's key set was refused");
                Keys::Refused(e)
            }
        }
    }

    /// Loads a bundle the server sent; a bundle signed with a key this
    /// device does not have yet (`unknown_key`) fetches the key set once more
    /// and is tried again (P6).
    fn accept(
        &self,
        fetch: &mut Fetch<'_>,
        config: &Config,
        body: &str,
        etag: Option<String>,
    ) -> Result<Round, SdkError> {
        let now = self.now();
        let first = lock(&self.enforcer).load(body, etag.clone(), now);
        let outcome = match first {
            Err(e) if e.code == LoadCode::UnknownKey => match self.refresh_keys(fetch, config)? {
                None => return Ok(Round::Stopped),
                Some(Keys::Changed) => lock(&self.enforcer).load(body, etag, self.now()),
                Some(Keys::Same | Keys::Refused(_)) => Err(e),
            },
            other => other,
        };
        match outcome {
            Ok(Loaded::Accepted) => {
                self.persist();
                Ok(Round::Changed)
            }
            Ok(Loaded::Same) => Ok(Round::Unchanged { held: false }),
            Err(e) => {
                tracing::warn!(code = %e.code.as_str(), message = %e.message, "the server's bundle was refused");
                lock(&self.status).last_error = Some(format!("bundle refused: {e}"));
                self.changed();
                Ok(Round::Refused {
                    error: e,
                    held: true,
                })
            }
        }
    }

    /// One round: the key set, then the bundle, held by the server when
    /// `hold` and the configuration asks for a long-poll.
    pub(crate) fn round(&self, fetch: &mut Fetch<'_>, hold: bool) -> Result<Round, SdkError> {
        let config = self.config.as_ref().ok_or(SdkError::NotSynced)?;
        let keys = match self.refresh_keys(fetch, config)? {
            None => return Ok(Round::Stopped),
            Some(keys) => keys,
        };
        let etag = lock(&self.enforcer).bundle_etag().map(str::to_owned);
        let wait = (hold && config.long_poll_seconds > 0).then_some(config.long_poll_seconds);
        let asked_wait = wait.is_some() && etag.is_some();
        let get = Get {
            url: config.bundle_url.clone(),
            etag,
            wait,
            limit: MAX_BUNDLE_BYTES as u64,
        };
        let Some(got) = fetch(get) else {
            return Ok(Round::Stopped);
        };
        let got = got?;
        {
            let mut st = lock(&self.status);
            st.last_sync = Some(self.now());
            st.last_error = None;
            if asked_wait {
                st.long_poll = matches!(
                    got,
                    Fetched::NotModified { held: true } | Fetched::Body { held: true, .. }
                );
            }
        }
        self.changed();
        let round = match got {
            Fetched::NotModified { held } => Round::Unchanged { held },
            Fetched::Body { body, etag, held } => match self.accept(fetch, config, &body, etag)? {
                Round::Unchanged { .. } => Round::Unchanged { held },
                other => other,
            },
        };
        Ok(match (keys, round) {
            // Reported as a refused bundle is: the key set in force stays,
            // and the bundle was still fetched and checked with it.
            // The key set's refusal is named first: it is why a bundle its
            // keys signed would be refused too.
            (
                Keys::Refused(error),
                round @ (Round::Changed | Round::Unchanged { .. } | Round::Refused { .. }),
            ) => {
                let mut why = format!("key set refused: {error}");
                if let Round::Refused { error: b, .. } = &round {
                    why.push_str(&format!("; bundle refused: {b}"));
                }
                lock(&self.status).last_error = Some(why);
                self.changed();
                let held = !matches!(round, Round::Unchanged { held: false });
                Round::Refused { error, held }
            }
            (Keys::Changed, Round::Unchanged { .. }) => Round::Changed,
            (_, other) => other,
        })
    }
}

/// The sync thread: rounds until shut down.
pub(crate) fn run(shared: &Shared, mut mailbox: Mailbox<SyncResult>) {
    let t = shared.timing.clone();
    let mut backoff = Backoff::new(t.backoff_base, t.backoff_cap);
    loop {
        let started = Instant::now();
        let http = shared.http.clone();
        let outcome = shared.round(
            &mut |get| {
                let http = http.clone();
                mailbox.run(move || http.get(&get))
            },
            true,
        );
        let wait = match outcome {
            Ok(Round::Stopped) => return,
            Ok(
                Round::Changed
                | Round::Unchanged { held: true }
                | Round::Refused { held: true, .. },
            ) => {
                backoff.reset();
                t.min_round_interval.saturating_sub(started.elapsed())
            }
            Ok(Round::Unchanged { held: false } | Round::Refused { held: false, .. }) => {
                // The server does not hold requests: poll, spread out.
                backoff.reset();
                jitter(t.poll_interval, 0.2)
            }
            Err(e) => {
                shared.note_error(&e);
                backoff.next(e.retry_after(), t.max_retry_after)
            }
        };
        if mailbox.sleep(wait) == Woke::Stop || shared.is_stopped() {
            return;
        }
    }
}
