//! Rate limits of the reports endpoint: per client address and per app
//! (governor's GCRA: a burst, then a steady rate), in this process.
//!
//! Why per process and not shared through the database: a limit exists to
//! keep a flood from costing the database writes, and a shared counter
//! would cost a database round trip per request (more than the write it
//! saves). With N processes a client gets at most N times the rate, which
//! the database bounds are sized for; and the counters a flood can reach
//! are bounded per app anyway (`counters.rs`).
//!
//! Bounded memory: keys whose state is back to fresh are swept every
//! [`SWEEP_EVERY`] checks; if more than [`MAX_KEYS`] stay (a flood from
//! more addresses than that within one burst period), the limiter starts
//! over (briefly letting everyone's burst through) rather than grow.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;

/// Checks between two sweeps of idle keys.
pub const SWEEP_EVERY: u64 = 4096;

/// Most keys one limiter keeps after a sweep.
pub const MAX_KEYS: usize = 200_000;

/// A limit: this many requests per minute, after a burst of this many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Steady requests per minute (at least 1).
    pub per_minute: u32,
    /// Requests allowed at once (at least 1).
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Quota {
        let one = NonZeroU32::MIN;
        Quota::per_minute(NonZeroU32::new(self.per_minute).unwrap_or(one))
            .allow_burst(NonZeroU32::new(self.burst).unwrap_or(one))
    }
}

/// Who is limited: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network: an address within it costs nothing to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrKey {
    /// An IPv4 address (IPv4-mapped IPv6 addresses included).
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6([u8; 8]),
}

impl From<IpAddr> for AddrKey {
    fn from(ip: IpAddr) -> AddrKey {
        match ip {
            IpAddr::V4(v4) => AddrKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddrKey::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    AddrKey::V6([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

/// `203.0.113.7`, or the /64 as `2001:db8:1:2::/64`: the key as text, for
/// limits kept in the store (console sign-in throttling).
impl std::fmt::Display for AddrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrKey::V4(o) => write!(f, "{}", std::net::Ipv4Addr::from(*o)),
            AddrKey::V6(p) => {
                let mut o = [0u8; 16];
                o[..8].copy_from_slice(p);
                write!(f, "{}/64", std::net::Ipv6Addr::from(o))
            }
        }
    }
}

/// A keyed GCRA limiter on clock `C`: the system's, or a test's it drives.
type Limiter<K, C> = RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

#[derive(Debug)]
struct Keyed<K: Hash + Eq + Clone, C: Clock + Clone = DefaultClock> {
    limiter: Mutex<Arc<Limiter<K, C>>>,
    quota: Quota,
    clock: C,
    checks: AtomicU64,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(rate: Rate, max_keys: usize) -> Keyed<K> {
        Keyed::with_clock(rate, max_keys, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> Keyed<K, C> {
    fn with_clock(rate: Rate, max_keys: usize, clock: C) -> Keyed<K, C> {
        let quota = rate.quota();
        Keyed {
            limiter: Mutex::new(Arc::new(Limiter::hashmap_with_clock(quota, clock.clone()))),
            quota,
            clock,
            checks: AtomicU64::new(0),
            max_keys,
        }
    }

    /// `Err(wait)` when `key` is over its rate.
    fn check(&self, key: &K) -> Result<(), Duration> {
        let limiter = {
            let mut current = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
            if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
                current.retain_recent();
                if current.len() > self.max_keys {
                    tracing::warn!(
                        keys = current.len(),
                        "report rate limiter full: starting over"
                    );
                    *current =
                        Arc::new(Limiter::hashmap_with_clock(self.quota, self.clock.clone()));
                }
            }
            current.clone()
        };
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn len(&self) -> usize {
        self.limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The limits of the reports endpoint.
#[derive(Debug)]
pub struct RateLimits {
    by_address: Keyed<AddrKey>,
    by_app: Keyed<String>,
}

fn limited(what: String, wait: Duration) -> ApiError {
    ApiError::RateLimited {
        what,
        // Whole seconds, rounded up: a client retrying then succeeds.
        retry_after: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
    }
}

impl RateLimits {
    /// Limits of `per_address` per client address and `per_app` per app.
    pub fn new(per_address: Rate, per_app: Rate) -> RateLimits {
        RateLimits {
            by_address: Keyed::new(per_address, MAX_KEYS),
            by_app: Keyed::new(per_app, MAX_KEYS),
        }
    }

    /// One request from `ip`.
    ///
    /// # Errors
    ///
    /// [`ApiError::RateLimited`] when the address is over its rate.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.by_address
            .check(&AddrKey::from(ip))
            .map_err(|wait| limited("too many reports from this address".into(), wait))
    }

    /// One batch of reports for `app` (an app bound to the superapp: only
    /// those get a key, so their number bounds this limiter).
    ///
    /// # Errors
    ///
    /// [`ApiError::RateLimited`] when the app is over its rate.
    pub fn check_app(&self, app: &str) -> Result<(), ApiError> {
        self.by_app
            .check(&app.to_owned())
            .map_err(|wait| limited(format!("too many reports for app `{app}`"), wait))
    }

    /// How many addresses and apps are tracked now.
    pub fn tracked(&self) -> (usize, usize) {
        (self.by_address.len(), self.by_app.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_burst_then_429_with_a_whole_retry_after() {
        let l = RateLimits::new(
            Rate {
                per_minute: 1,
                burst: 3,
            },
            Rate {
                per_minute: 1,
                burst: 1,
            },
        );
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..3 {
            l.check_address(ip).unwrap();
        }
        match l.check_address(ip) {
            Err(ApiError::RateLimited { retry_after, .. }) => {
                assert!((1..=60).contains(&retry_after), "{retry_after}");
            }
            other => panic!("{other:?}"),
        }
        // Another address, and the same address as IPv4-mapped IPv6.
        l.check_address("192.0.2.8".parse().unwrap()).unwrap();
        assert!(l
            .check_address("::ffff:192.0.2.7".parse().unwrap())
            .is_err());
        l.check_app("mp").unwrap();
        assert!(l.check_app("mp").is_err());
        l.check_app("mp2").unwrap();
    }

    #[test]
    fn an_ipv6_network_is_one_client() {
        let l = RateLimits::new(
            Rate {
                per_minute: 1,
                burst: 1,
            },
            Rate {
                per_minute: 1,
                burst: 1,
            },
        );
        l.check_address("2001:db8:1:2::1".parse().unwrap()).unwrap();
        // What a client would try: another address of its own /64.
        assert!(l
            .check_address("2001:db8:1:2:ffff::9".parse().unwrap())
            .is_err());
        l.check_address("2001:db8:1:3::1".parse().unwrap()).unwrap();
    }

    #[test]
    fn a_flood_of_addresses_does_not_grow_the_limiter_past_its_bound() {
        // What a client with many addresses would try: one request from
        // each, slow enough a rate that none is forgotten by a sweep.
        let k: Keyed<AddrKey> = Keyed::new(
            Rate {
                per_minute: 1,
                burst: 1,
            },
            100,
        );
        let n = SWEEP_EVERY * 2 + 10;
        for i in 0..n {
            let ip = IpAddr::from(u32::try_from(i).unwrap().to_be_bytes());
            k.check(&AddrKey::from(ip)).unwrap();
        }
        assert!(
            k.len() <= usize::try_from(SWEEP_EVERY).unwrap(),
            "{}",
            k.len()
        );
        // Idle keys are swept: with a fast rate, nothing stays once the
        // limiter's clock (driven here, never slept on) has moved past it.
        let clock = FakeRelativeClock::default();
        let fast: Keyed<AddrKey, FakeRelativeClock> = Keyed::with_clock(
            Rate {
                per_minute: 6_000_000,
                burst: 1,
            },
            100,
            clock.clone(),
        );
        for i in 0..SWEEP_EVERY {
            let ip = IpAddr::from(u32::try_from(i).unwrap().to_be_bytes());
            fast.check(&AddrKey::from(ip)).unwrap();
        }
        clock.advance(Duration::from_millis(20));
        for _ in 0..SWEEP_EVERY {
            let _ = fast.check(&AddrKey::V4([10, 0, 0, 1]));
        }
        assert!(fast.len() < 10, "{}", fast.len());
    }
}
