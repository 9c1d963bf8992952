//! The SDK's clock: unix seconds, the system's by default, injectable so
//! that tests (and hosts with a trusted time source) decide what "now" is.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds, as the SDK reads them for every load and check it makes on
/// its own (the JS bridge's requests carry their own `now`).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock in unix seconds (0 before 1970, which no bundle is
/// valid at).
///
/// # Examples
///
/// ```
/// assert!(guard_sdk::system_clock() > 1_700_000_000);
/// ```
pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
