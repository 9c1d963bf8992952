//! Signed bundles kept per scope (a superapp, or one app of it), so that a
//! fleet of SDKs fetching the same version does not rebuild and re-sign it on
//! every request.
//!
//! An entry is only ever served for the exact `(version, updated_at)` stamp it
//! was built at, and the stamp is read from the store on every request (the
//! same read that answers `If-None-Match`): every change bumps the version in
//! the same transaction, so a cached bundle can never outlive its content, and
//! several server processes over one database stay correct with their own
//! caches. `updated_at` guards the one case a version alone would not: a store
//! restored from a backup that reaches the same version again with other
//! content. Time is accounted for before the cache is asked: a stamp past
//! half the bundle lifetime is re-issued as a new version first (see
//! `distribution`), so no entry is served once it is that old.
//!
//! A change wakes every long-poll of its superapp at once (10,000 held
//! requests on one server are normal): they all miss the cache together.
//! Builds are single-flight, so one of them signs and the others are served
//! what it built (decision 167).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;

/// `(version, updated_at)` of a scope, as the `versions` table has it.
pub type Stamp = (i64, i64);

/// When a request started asking (`BundleCache::ticket`): an entry put after
/// it was built from the store as it was then or later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

#[derive(Debug)]
struct Entry {
    stamp: Stamp,
    signed: Bytes,
    put: u64,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Puts so far: the order entries were built in.
    puts: u64,
}

/// The cache. Cloning shares it.
#[derive(Debug, Clone)]
pub struct BundleCache {
    inner: Arc<Mutex<Entries>>,
    /// Held while a bundle is built: one build at a time. Builds happen on
    /// changes only (and re-issues), and take milliseconds.
    building: Arc<tokio::sync::Mutex<()>>,
    capacity: usize,
}

impl BundleCache {
    /// A cache of at most `capacity` scopes (`0` disables it).
    pub fn new(capacity: usize) -> BundleCache {
        BundleCache {
            inner: Arc::new(Mutex::new(Entries::default())),
            building: Arc::new(tokio::sync::Mutex::new(())),
            capacity,
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A poisoned lock only means another request panicked mid-insert; the
        // map holds whole entries either way, so keep using it.
        match self.inner.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Taken before the request reads its stamp from the store.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.entries().puts)
    }

    /// The bundle of `scope` built at `stamp`, if kept.
    pub fn get(&self, scope: &str, stamp: Stamp) -> Option<Bytes> {
        match self.entries().map.get(scope) {
            Some(e) if e.stamp == stamp => Some(e.signed.clone()),
            _ => None,
        }
    }

    /// The bundle of `scope` at `stamp`, or one built after `ticket` (from
    /// the store as it was when the caller read `stamp`, or later), else
    /// what `build` makes, one build at a time: the callers that waited for
    /// a build are served its result. Answers the stamp the bundle was
    /// built at, which may be newer than `stamp`.
    ///
    /// # Errors
    ///
    /// `build`'s.
    pub async fn get_or_build<F, Fut, E>(
        &self,
        scope: &str,
        stamp: Stamp,
        ticket: Ticket,
        build: F,
    ) -> Result<(Stamp, Bytes), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Stamp, Bytes), E>>,
    {
        if let Some(signed) = self.get(scope, stamp) {
            return Ok((stamp, signed));
        }
        let _one = self.building.lock().await;
        // Not merely "any entry": one put before the ticket with another
        // stamp may be content the store no longer has (a restored backup).
        if let Some(e) = self.entries().map.get(scope) {
            if e.stamp == stamp || e.put > ticket.0 {
                return Ok((e.stamp, e.signed.clone()));
            }
        }
        let (built, signed) = build().await?;
        self.put(scope, built, signed.clone());
        Ok((built, signed))
    }

    /// Keeps `signed` as the bundle of `scope` at `stamp`, replacing any older
    /// one. When the cache is full it starts over: simple, bounded, and a miss
    /// only costs a rebuild.
    pub fn put(&self, scope: &str, stamp: Stamp, signed: Bytes) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries();
        if entries.map.len() >= self.capacity && !entries.map.contains_key(scope) {
            entries.map.clear();
        }
        entries.puts += 1;
        let put = entries.puts;
        entries
            .map
            .insert(scope.to_owned(), Entry { stamp, signed, put });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_only_at_the_stamp_it_was_built_at() {
        let c = BundleCache::new(8);
        c.put("sa", (3, 100), Bytes::from_static(b"v3"));
        assert_eq!(c.get("sa", (3, 100)).as_deref(), Some(&b"v3"[..]));
        assert_eq!(c.get("sa", (4, 101)), None, "a newer version misses");
        assert_eq!(
            c.get("sa", (3, 99)),
            None,
            "same version, other content misses"
        );
        assert_eq!(c.get("sa\nmp", (3, 100)), None, "scopes are separate");
        c.put("sa", (4, 101), Bytes::from_static(b"v4"));
        assert_eq!(c.get("sa", (3, 100)), None, "replaced");
        assert_eq!(c.get("sa", (4, 101)).as_deref(), Some(&b"v4"[..]));
    }

    #[test]
    fn bounded_and_can_be_disabled() {
        let c = BundleCache::new(2);
        c.put("a", (1, 1), Bytes::from_static(b"a"));
        c.put("b", (1, 1), Bytes::from_static(b"b"));
        c.put("c", (1, 1), Bytes::from_static(b"c"));
        assert!(c.entries().map.len() <= 2);
        assert_eq!(c.get("c", (1, 1)).as_deref(), Some(&b"c"[..]));
        let off = BundleCache::new(0);
        off.put("a", (1, 1), Bytes::from_static(b"a"));
        assert_eq!(off.get("a", (1, 1)), None);
    }

    fn build(
        n: &Arc<std::sync::atomic::AtomicUsize>,
        stamp: Stamp,
    ) -> impl Future<Output = Result<(Stamp, Bytes), ()>> {
        let n = n.clone();
        async move {
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Long enough for every other caller to queue behind this one.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok((stamp, Bytes::from(format!("v{}", stamp.0))))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wake_of_many_builds_once() {
        let c = BundleCache::new(8);
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let (c, n) = (c.clone(), n.clone());
            tasks.push(tokio::spawn(async move {
                let ticket = c.ticket();
                c.get_or_build("sa", (5, 50), ticket, || build(&n, (5, 50)))
                    .await
            }));
        }
        for t in tasks {
            let (stamp, signed) = t.await.unwrap().unwrap();
            assert_eq!((stamp, &signed[..]), ((5, 50), &b"v5"[..]));
        }
        assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_newer_build_after_the_ticket_serves_an_older_stamp_but_an_entry_from_before_does_not(
    ) {
        let c = BundleCache::new(8);
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Tried: a backup restored to version 3 while the cache holds 6
        // (put before the request's ticket): never served for stamp 3.
        c.put("sa", (6, 60), Bytes::from_static(b"v6"));
        let ticket = c.ticket();
        let (stamp, _) = c
            .get_or_build("sa", (3, 70), ticket, || build(&n, (3, 70)))
            .await
            .unwrap();
        assert_eq!(stamp, (3, 70));
        assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A request that read stamp 7 while another built 8 after its
        // ticket (a change committed meanwhile) is served 8, not rebuilt.
        let ticket = c.ticket();
        c.put("sa", (8, 80), Bytes::from_static(b"v8"));
        let (stamp, signed) = c
            .get_or_build("sa", (7, 75), ticket, || build(&n, (7, 75)))
            .await
            .unwrap();
        assert_eq!((stamp, &signed[..]), ((8, 80), &b"v8"[..]));
        assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
