//! What the SDK can say about itself ([`Status`]): the policy in force, the
//! last sync, the last error, the reports sent.

use guard_core::{Floor, PolicyStatus};

/// A snapshot of the SDK's state, for the superapp's diagnostics screen and
/// logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The superapp of the configuration (`None`: fixed keys).
    pub superapp_id: Option<String>,
    /// The policy in force now (`None`: none is, so every check denies
    /// `no_policy`: nothing was ever synced, or it expired).
    pub policy: Option<PolicyStatus>,
    /// The version of the last bundle accepted, in force or not.
    pub accepted_version: Option<u64>,
    /// The anti-rollback floor.
    pub floor: Option<Floor>,
    /// When a sync round last reached the server (the SDK's clock).
    pub last_sync: Option<u64>,
    /// Whether the server held the last bundle request (the long-poll, P1);
    /// `false`: the SDK polls on its interval.
    pub long_poll: bool,
    /// The last failure (a request, a refused bundle or key set, the cache
    /// at start, persisting), cleared by the next successful sync round.
    pub last_error: Option<String>,
    /// Why the cache was refused at start, if it was (then refetched).
    pub cache_refused: Option<String>,
    /// Reports the server accepted and refused (its `202` counts), and
    /// reports given up on (the server refused their body as malformed or too
    /// large, or a later part of a split batch failed after an earlier one
    /// was accepted), since start.
    pub reports_accepted: u64,
    /// See [`Status::reports_accepted`].
    pub reports_refused: u64,
    /// See [`Status::reports_accepted`].
    pub reports_lost: u64,
}

/// Whether `status` is in force at `now`: `not_before ≤ now < not_after`, as
/// guard-core's compiled policy judges its window at every check.
pub(crate) fn in_force(status: &PolicyStatus, now: u64) -> bool {
    status.not_before.is_none_or(|t| now >= t) && status.not_after.is_none_or(|t| now < t)
}
