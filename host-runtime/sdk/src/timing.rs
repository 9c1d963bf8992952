//! [`Timing`]: the waits and intervals of the SDK's background threads.

use std::time::Duration;

/// Waits and intervals of the background threads. The defaults are the
/// protocol's (`docs/sdk.md`); tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timing {
    /// Between two bundle requests when the server does not hold them (no
    /// long-poll): jittered ±20 %. Default 60 s.
    pub poll_interval: Duration,
    /// Between two report sends: default 60 s (the Reporting API's).
    pub report_interval: Duration,
    /// First wait after a failure, doubled per failure (jittered). Default 1 s.
    pub backoff_base: Duration,
    /// Longest wait after failures. Default 5 minutes.
    pub backoff_cap: Duration,
    /// Least time between the starts of two sync rounds, however fast the
    /// server answers: a server that answers at once forever cannot make a
    /// device spin. Default 1 s.
    pub min_round_interval: Duration,
    /// Longest `Retry-After` honoured. Default 1 hour.
    pub max_retry_after: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            poll_interval: Duration::from_secs(60),
            report_interval: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            min_round_interval: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}
