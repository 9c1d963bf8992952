//! Sending the violation reports the guard records (P2): every 60 s and when
//! the app goes to the background, `POST {reports_url}` with
//! `{"reports":[…],"dropped":N}`, at most 100 reports and 32 KiB a body.
//!
//! What the guard recorded is taken into an outbox, a `guard_core`
//! `ReportLog` (the same aggregation and bounds as the guard's own log:
//! at most 100 reports, none older than 15 minutes). A body that could not be
//! delivered goes back into the outbox and is sent with the next one; a
//! batch too large for one body is split, and only the parts not delivered go
//! back (the guard module's own requeue is all or nothing, which would send
//! the delivered parts twice).

use std::time::{Duration, Instant};

use guard_core::report::{Batch, Report};
use serde::Deserialize;

use crate::backoff::Backoff;
use crate::error::SdkError;
use crate::http::Posted;
use crate::mailbox::{Mailbox, Woke};
use crate::shared::{lock, PostResult, Shared};

/// Largest body the server accepts (P2).
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024;

/// What one send did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// Reports posted (in how many bodies: `bodies`).
    pub reports: usize,
    /// Bodies posted.
    pub bodies: usize,
    /// What the server said it accepted and refused (refused: apps not bound
    /// to the superapp).
    pub accepted: u64,
    /// See [`Sent::accepted`].
    pub refused: u64,
    /// Reports given up on: the server refused their body (400, 413).
    pub lost: u64,
    /// Denials the device could not keep (queue full), told to the server.
    pub dropped: u64,
}

#[derive(Debug, Deserialize)]
struct Accepted {
    accepted: u64,
    refused: u64,
}

/// The batch cut into bodies of at most [`MAX_BODY_BYTES`] (and at most 100
/// reports, which a batch never exceeds); `dropped` rides on the first.
pub(crate) fn split(batch: Batch) -> Vec<Batch> {
    const FRAME: usize = r#"{"reports":[],"dropped":18446744073709551615}"#.len();
    let mut out: Vec<Batch> = Vec::new();
    let mut size = FRAME;
    let mut current: Vec<Report> = Vec::new();
    for r in batch.reports {
        let len = serde_json::to_string(&r).map_or(MAX_BODY_BYTES, |s| s.len()) + 1;
        if !current.is_empty() && size + len > MAX_BODY_BYTES {
            out.push(Batch {
                reports: std::mem::take(&mut current),
                dropped: 0,
            });
            size = FRAME;
        }
        size += len;
        current.push(r);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(Batch {
            reports: current,
            dropped: 0,
        });
    }
    if let Some(first) = out.first_mut() {
        first.dropped = batch.dropped;
    }
    out
}

/// A body being posted: `None` when shut down meanwhile.
pub(crate) type Post<'a> = dyn FnMut(String) -> Option<Result<Posted, SdkError>> + 'a;

impl Shared {
    /// Takes what the guard recorded, merges it with what is still queued,
    /// and posts it; what is not delivered stays queued.
    pub(crate) fn send_reports(&self, post: &mut Post<'_>) -> Result<Sent, SdkError> {
        let now = self.now();
        let taken = lock(&self.enforcer).guard.take_reports(now);
        let batch = {
            let mut outbox = lock(&self.outbox);
            outbox.restore(taken, now);
            outbox.take(now)
        };
        let mut sent = Sent::default();
        if batch.reports.is_empty() && batch.dropped == 0 {
            return Ok(sent);
        }
        let url = self.reports_url().unwrap_or("-").to_owned();
        let mut parts = split(batch).into_iter();
        while let Some(part) = parts.next() {
            let n = part.reports.len();
            let outcome = match post(part.to_json()) {
                None => Err(SdkError::Shutdown),
                Some(r) => r,
            };
            let failure = match outcome {
                Ok(p) if (200..300).contains(&p.status) => {
                    let counts = serde_json::from_str::<Accepted>(&p.body).ok();
                    sent.accepted += counts.as_ref().map_or(n as u64, |c| c.accepted);
                    sent.refused += counts.as_ref().map_or(0, |c| c.refused);
                    sent.reports += n;
                    sent.bodies += 1;
                    sent.dropped += part.dropped;
                    continue;
                }
                Ok(p) if matches!(p.status, 400 | 413 | 422) => {
                    // Sending it again would be refused again.
                    tracing::error!(status = p.status, body = %p.body, "the server refused a report body");
                    sent.lost += n as u64;
                    continue;
                }
                Ok(p) => SdkError::Http {
                    url: url.clone(),
                    reason: format!("answered {}", p.status),
                    status: Some(p.status),
                    retry_after: p.retry_after,
                },
                Err(e) => e,
            };
            let mut outbox = lock(&self.outbox);
            outbox.restore(part, now);
            for rest in parts {
                outbox.restore(rest, now);
            }
            drop(outbox);
            self.count(&sent);
            return Err(failure);
        }
        self.count(&sent);
        Ok(sent)
    }

    fn count(&self, sent: &Sent) {
        let mut st = lock(&self.status);
        st.reports_accepted += sent.accepted;
        st.reports_refused += sent.refused;
        st.reports_lost += sent.lost;
        drop(st);
        self.changed();
    }

    /// The reports endpoint.
    fn reports_url(&self) -> Option<&str> {
        self.config.as_ref().map(|c| c.reports_url.as_str())
    }
}

/// The report thread: sends every interval and when nudged
/// ([`crate::Sdk::on_background`]), never before a `Retry-After` or a
/// backoff after errors has passed.
pub(crate) fn run(shared: &Shared, mut mailbox: Mailbox<PostResult>) {
    let t = shared.timing.clone();
    let mut backoff = Backoff::new(t.backoff_base.max(Duration::from_secs(1)), t.backoff_cap);
    let mut not_before = Instant::now();
    let Some(url) = shared.reports_url().map(str::to_owned) else {
        return;
    };
    loop {
        let wait = t
            .report_interval
            .max(not_before.saturating_duration_since(Instant::now()));
        match mailbox.sleep(wait) {
            Woke::Stop => return,
            // A nudge inside a Retry-After or backoff window waits it out.
            Woke::Kick if Instant::now() < not_before => {
                if mailbox.sleep(not_before.saturating_duration_since(Instant::now())) == Woke::Stop
                {
                    return;
                }
            }
            Woke::Kick | Woke::Timeout => {}
        }
        if shared.is_stopped() {
            return;
        }
        let http = shared.http.clone();
        let outcome = shared.send_reports(&mut |body| {
            let (http, url) = (http.clone(), url.clone());
            mailbox.run(move || http.post_json(&url, &body))
        });
        match outcome {
            Ok(_) => backoff.reset(),
            Err(SdkError::Shutdown) => return,
            Err(e) => {
                shared.note_error(&e);
                not_before = Instant::now() + backoff.next(e.retry_after(), t.max_retry_after);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guard_core::report::{ReportLog, Subject};
    use guard_core::{CheckKind, DenyCode, Mode};

    fn batch(n: usize, host_len: usize) -> Batch {
        let mut log = ReportLog::new();
        for i in 0..n {
            let host = format!("{i:0>width$}.example", width = host_len);
            // Four apps: one app's share of the log is a quarter (guard-core
            // decision 199).
            log.record(
                ["mp_evil", "mp_evil_1", "mp_evil_2", "mp_evil_3"][i % 4],
                CheckKind::Request,
                Subject::Host(Some(&host)),
                DenyCode::DomainNotWhitelisted,
                Mode::Enforce,
                3,
                100,
            );
        }
        log.record(
            "mp_evil",
            CheckKind::Request,
            Subject::Host(Some("one-more.example")),
            DenyCode::DomainNotWhitelisted,
            Mode::Enforce,
            3,
            100,
        );
        log.take(100)
    }

    #[test]
    fn a_flood_of_long_hosts_is_split_into_bodies_the_server_takes_and_nothing_is_lost() {
        // 100 reports with 240-byte hosts: about 36 KiB in one body.
        let b = batch(100, 240);
        assert_eq!((b.reports.len(), b.dropped), (100, 1));
        assert!(
            b.to_json().len() > MAX_BODY_BYTES,
            "the test needs a batch too big for one body"
        );
        let parts = split(b.clone());
        assert!(parts.len() >= 2);
        for p in &parts {
            let json = p.to_json();
            assert!(json.len() <= MAX_BODY_BYTES, "{} bytes", json.len());
            // What is sent is what the server's parser accepts.
            assert_eq!(&Batch::from_json(json.as_bytes()).unwrap(), p);
        }
        let again: Vec<Report> = parts.iter().flat_map(|p| p.reports.clone()).collect();
        assert_eq!(again, b.reports);
        assert_eq!(parts.iter().map(|p| p.dropped).sum::<u64>(), 1);
        assert_eq!(parts[0].dropped, 1);
    }

    #[test]
    fn a_small_batch_is_one_body_and_an_empty_one_carries_dropped() {
        let parts = split(batch(3, 5));
        assert_eq!(parts.len(), 1);
        let parts = split(Batch {
            reports: vec![],
            dropped: 7,
        });
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].dropped, 7);
    }
}
