//! Waiting between requests: exponential backoff with jitter on errors,
//! jittered polling intervals, and `Retry-After` honoured within a bound.
//! Jitter spreads a fleet of devices that failed together (a server
//! restart) so they do not come back together.

use std::time::Duration;

/// A uniformly random number in `[0, 1)`. Randomness that cannot be had
/// (no entropy source) gives the middle: the waits stay bounded and correct,
/// only less spread.
fn unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::getrandom(&mut bytes) {
        // 53 random bits: every value exactly representable.
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// `d` spread uniformly over `[d·(1 − spread), d·(1 + spread))`.
pub(crate) fn jitter(d: Duration, spread: f64) -> Duration {
    let spread = spread.clamp(0.0, 1.0);
    d.mul_f64(1.0 - spread + 2.0 * spread * unit())
}

/// Exponential backoff with "equal jitter": the n-th wait after a failure
/// is `min(cap, base·2ⁿ)`, half of it fixed and half random, so a retry is
/// never immediate and never later than the cap.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub(crate) fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    /// After a success: the next failure starts from `base` again.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait after one more failure, at least `retry_after` (what the
    /// server asked for) when it gave one, bounded by `max_retry_after`.
    pub(crate) fn next(
        &mut self,
        retry_after: Option<Duration>,
        max_retry_after: Duration,
    ) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        self.failures = self.failures.saturating_add(1);
        let wait = exp / 2 + (exp / 2).mul_f64(unit());
        match retry_after {
            Some(asked) => wait.max(asked.min(max_retry_after)),
            None => wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_up_to_the_cap_and_resets() {
        let s = Duration::from_secs;
        let mut b = Backoff::new(s(1), s(8));
        for (lo, hi) in [
            (0.5, 1.0),
            (1.0, 2.0),
            (2.0, 4.0),
            (4.0, 8.0),
            (4.0, 8.0),
            (4.0, 8.0),
        ] {
            let w = b.next(None, s(3600)).as_secs_f64();
            assert!((lo..=hi).contains(&w), "{w} not in {lo}..{hi}");
        }
        b.reset();
        assert!(b.next(None, s(3600)) <= s(1));
        for _ in 0..100 {
            b.next(None, s(3600)); // no overflow however many failures
        }
    }

    #[test]
    fn retry_after_is_honoured_within_its_bound() {
        let s = Duration::from_secs;
        let mut b = Backoff::new(s(1), s(8));
        assert_eq!(b.next(Some(s(120)), s(3600)), s(120));
        // A hostile server asking for a year gets the bound.
        assert_eq!(b.next(Some(s(365 * 86_400)), s(3600)), s(3600));
        // Asking for less than the backoff does not shorten it.
        assert!(b.next(Some(s(0)), s(3600)) >= s(2));
    }

    #[test]
    fn jitter_stays_in_its_band_and_spreads() {
        let d = Duration::from_secs(60);
        let all: Vec<Duration> = (0..200).map(|_| jitter(d, 0.2)).collect();
        assert!(all
            .iter()
            .all(|w| *w >= Duration::from_secs(48) && *w < Duration::from_secs(72)));
        assert!(all.iter().any(|w| *w != all[0]), "no spread at all");
    }
}
