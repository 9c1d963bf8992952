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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;

/// `(version, updated_at)` of a scope, as the `versions` table has it.
pub type Stamp = (i64, i64);

/// The cache. Cloning shares it.
#[derive(Debug, Clone)]
pub struct BundleCache {
    inner: Arc<Mutex<HashMap<String, (Stamp, Bytes)>>>,
    capacity: usize,
}

impl BundleCache {
    /// A cache of at most `capacity` scopes (`0` disables it).
    pub fn new(capacity: usize) -> BundleCache {
        BundleCache {
            inner: Arc::new(Mutex::new(HashMap::new())),
            capacity,
        }
    }

    /// The bundle of `scope` built at `stamp`, if kept.
    pub fn get(&self, scope: &str, stamp: Stamp) -> Option<Bytes> {
        let map = self.inner.lock().ok()?;
        match map.get(scope) {
            Some((at, signed)) if *at == stamp => Some(signed.clone()),
            _ => None,
        }
    }

    /// Keeps `signed` as the bundle of `scope` at `stamp`, replacing any older
    /// one. When the cache is full it starts over: simple, bounded, and a miss
    /// only costs a rebuild.
    pub fn put(&self, scope: &str, stamp: Stamp, signed: Bytes) {
        if self.capacity == 0 {
            return;
        }
        // A poisoned lock only means another request panicked mid-insert; the
        // map holds whole entries either way, so keep using it.
        let mut map = match self.inner.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() >= self.capacity && !map.contains_key(scope) {
            map.clear();
        }
        map.insert(scope.to_owned(), (stamp, signed));
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
        assert!(c.inner.lock().unwrap().len() <= 2);
        assert_eq!(c.get("c", (1, 1)).as_deref(), Some(&b"c"[..]));
        let off = BundleCache::new(0);
        off.put("a", (1, 1), Bytes::from_static(b"a"));
        assert_eq!(off.get("a", (1, 1)), None);
    }
}
