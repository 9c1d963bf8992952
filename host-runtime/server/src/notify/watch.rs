//! Who is waiting for a scope to change, and waking them: the in-process
//! half of the long-poll on the bundle routes (`docs/server.md`, "Long-poll").
//!
//! A waiter subscribes to its scope (a superapp id: every change of a
//! superapp, and so of any of its apps' bundles, is a new version of that
//! scope) *before* it reads the scope's version, so a change committed
//! between its read and its wait still wakes it. Every committed change
//! wakes its scope ([`crate::change::Change::commit`]); on PostgreSQL the
//! changes of other processes arrive through `notify::listen`.
//!
//! Bounded: at most the configured number of waiters at once (a request
//! beyond it is answered at once instead of held), and nothing is kept for a
//! scope nobody waits for. A waiter is released when it is dropped, which is
//! also what happens to a held request whose client went away (the server
//! drops its handler), so a disconnecting client leaves nothing behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::watch;

/// The waiters of every scope. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Watch {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// One sender per scope somebody waits for; its receivers are the waiters.
    scopes: Mutex<HashMap<String, watch::Sender<()>>>,
    /// How many waiters there are (changed under the `scopes` lock).
    waiting: watch::Sender<usize>,
}

impl Default for Watch {
    fn default() -> Watch {
        Watch::new()
    }
}

impl Watch {
    /// Nobody waiting yet.
    pub fn new() -> Watch {
        Watch {
            inner: Arc::new(Inner {
                scopes: Mutex::new(HashMap::new()),
                waiting: watch::channel(0).0,
            }),
        }
    }

    fn scopes(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        // A poisoned lock means a panic while the map was consistent (every
        // mutation is one call); keep serving.
        self.inner
            .scopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A waiter for the next change of `scope`, or `None` when `max`
    /// waiters are already waiting.
    pub fn subscribe(&self, scope: &str, max: usize) -> Option<Waiter> {
        let mut scopes = self.scopes();
        if *self.inner.waiting.borrow() >= max {
            return None;
        }
        let rx = scopes
            .entry(scope.to_owned())
            .or_insert_with(|| watch::channel(()).0)
            .subscribe();
        self.inner.waiting.send_modify(|n| *n += 1);
        Some(Waiter {
            watch: self.clone(),
            scope: scope.to_owned(),
            rx: Some(rx),
        })
    }

    /// Wakes the waiters of `scope` (a change of it was committed).
    pub fn wake(&self, scope: &str) {
        if let Some(tx) = self.scopes().get(scope) {
            tx.send_replace(());
        }
    }

    /// Wakes every waiter: changes may have been missed (the feed of other
    /// processes' changes was lost), so each reads its scope again.
    pub fn wake_all(&self) {
        for tx in self.scopes().values() {
            tx.send_replace(());
        }
    }

    /// A handle that does not keep the waiters alive (for background tasks
    /// that should end with the store).
    pub fn downgrade(&self) -> WeakWatch {
        WeakWatch(Arc::downgrade(&self.inner))
    }

    /// How many waiters are waiting now.
    pub fn waiting(&self) -> usize {
        *self.inner.waiting.borrow()
    }

    /// How many scopes have waiters now.
    pub fn scopes_waited_for(&self) -> usize {
        self.scopes().len()
    }

    /// Resolves once `ready(number of waiters)` holds: a signal for tests
    /// and benchmarks that requests are being held, without sleeping.
    pub async fn until(&self, ready: impl FnMut(&usize) -> bool) {
        let mut rx = self.inner.waiting.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = rx.wait_for(ready).await;
    }
}

/// A [`Watch`] that may be gone.
#[derive(Debug, Clone)]
pub struct WeakWatch(Weak<Inner>);

impl WeakWatch {
    /// The watch, while anything else still holds it.
    pub fn upgrade(&self) -> Option<Watch> {
        self.0.upgrade().map(|inner| Watch { inner })
    }
}

/// One waiter: resolves [`Waiter::changed`] at each wake of its scope after
/// it subscribed. Dropping it releases it.
#[derive(Debug)]
pub struct Waiter {
    watch: Watch,
    scope: String,
    rx: Option<watch::Receiver<()>>,
}

impl Waiter {
    /// Resolves at the next wake of the scope since subscribing (or since
    /// the last call resolved).
    pub async fn changed(&mut self) {
        if let Some(rx) = &mut self.rx {
            // Err: the sender is gone, which only a bug could cause; read
            // the scope again rather than hang.
            let _ = rx.changed().await;
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        drop(self.rx.take());
        let mut scopes = self.watch.scopes();
        if scopes
            .get(&self.scope)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            scopes.remove(&self.scope);
        }
        self.watch
            .inner
            .waiting
            .send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_wake_reaches_the_waiters_of_its_scope_only() {
        let w = Watch::new();
        let mut a = w.subscribe("sa", 10).unwrap();
        let mut b = w.subscribe("sb", 10).unwrap();
        w.wake("sa");
        tokio::time::timeout(Duration::from_secs(5), a.changed())
            .await
            .expect("woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(20), b.changed())
                .await
                .is_err(),
            "another scope's waiter sleeps on"
        );
        // A wake before the wait is not lost: the waiter subscribed first.
        w.wake("sb");
        tokio::time::timeout(Duration::from_secs(5), b.changed())
            .await
            .expect("woken by a wake that came before the wait");
        w.wake_all();
        tokio::time::timeout(Duration::from_secs(5), a.changed())
            .await
            .expect("wake_all wakes every scope");
    }

    #[test]
    fn bounded_and_nothing_left_behind() {
        let w = Watch::new();
        let held: Vec<Waiter> = (0..3).filter_map(|_| w.subscribe("sa", 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(w.subscribe("sb", 3).is_none(), "the fourth is refused");
        assert_eq!((w.waiting(), w.scopes_waited_for()), (3, 1));
        drop(held);
        assert_eq!((w.waiting(), w.scopes_waited_for()), (0, 0));
        // Many scopes come and go: the map does not grow with them.
        for i in 0..1000 {
            let _w = w.subscribe(&format!("s{i}"), 3).unwrap();
        }
        assert_eq!((w.waiting(), w.scopes_waited_for()), (0, 0));
        w.wake("s1");
        w.wake_all();
    }
}
