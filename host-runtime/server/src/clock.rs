//! The server's clock, injectable so tests can move time (code and bundle
//! expiry) without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The clock. Cloning shares a manual clock.
#[derive(Debug, Clone)]
pub struct Clock {
    /// `None`: the system clock; `Some`: a manual clock at this unix second.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A manual clock starting at `now` (unix seconds).
    pub fn manual(now: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(now))),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, secs: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(secs, Ordering::SeqCst);
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }
}
