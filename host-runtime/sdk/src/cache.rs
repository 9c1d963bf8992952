//! The state directory: what the SDK keeps across restarts, written
//! atomically and checked when read.
//!
//! ```text
//! <state dir>/
//!   lock            held (flock) by the SDK using the directory
//!   cache.json      guard-sdk-cache/1 <sha256 of the rest>\n{"superapp_id",…,"keys",
//!                   "bundle","floor",…}: the last good bundle, its key set, etags;
//!                   with roots (contract v3) the guard's signed state instead:
//!                   {"keyset","bundle_keyset","bundle","bundle_etag",…}
//!   floor.json      guard-sdk-floor/1 <sha256 of the rest>\n{"superapp_id","version","digest"}
//!                   (never written nor read with roots)
//!   state.json      guard-sdk-state/1 <sha256 of the rest>\n{…}: with roots, a second
//!                   copy of the cache's signed state, written after it (used when
//!                   the cache is not whole or does not verify; verified the same way)
//!   cache.json.refused   the last cache refused at start (kept to look at)
//!   .tmp-guard-sdk-*     a write in progress (removed at start if a kill left one)
//! ```
//!
//! Each file is written to a temporary file in the directory, fsynced,
//! renamed over the old one and the directory fsynced (`tempfile`'s persist
//! is the rename), so a crash leaves the old file or the new one, never a
//! mix. The floor is kept twice, in the cache and in its own file written
//! after it, so that losing either file to corruption still leaves the floor
//! (the higher of the two is restored). The digest line catches truncation
//! and corruption; it is not a defence against someone who can write the
//! directory (they can also replace the app), but the bundle itself is
//! signed and is verified again on every start.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use guard_core::limits::MAX_BUNDLE_BYTES;
use guard_core::Floor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::SdkError;

const CACHE: &str = "cache.json";
const FLOOR: &str = "floor.json";
const LOCK: &str = "lock";
const REFUSED: &str = "cache.json.refused";
const CACHE_TAG: &str = "guard-sdk-cache/1";
const FLOOR_TAG: &str = "guard-sdk-floor/1";
const STATE: &str = "state.json";
const STATE_TAG: &str = "guard-sdk-state/1";
/// The SDK's temporary files: a write the process was killed during leaves
/// one behind, removed at the next start (under the lock).
const TEMP_PREFIX: &str = ".tmp-guard-sdk-";
/// A cache larger than a maximal bundle and a generous key set is refused
/// unread.
const MAX_CACHE_BYTES: u64 = MAX_BUNDLE_BYTES as u64 + (1 << 20);
const MAX_FLOOR_BYTES: u64 = 4096;

/// What the cache file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cached {
    /// The superapp of the configuration it was synced for (`None`: an SDK
    /// with fixed keys).
    pub(crate) superapp_id: Option<String>,
    /// The key set (keys.json's text) or SecretKey the guard verifies with;
    /// `None` before the first key set, and always with roots.
    pub(crate) keys: Option<String>,
    /// Its ETag; never kept with roots.
    pub(crate) keys_etag: Option<String>,
    /// With roots (contract v3): the key set in force, as the guard's signed
    /// state has it (the key-set floor).
    #[serde(default)]
    pub(crate) keyset: Option<String>,
    /// With roots: the key set that admitted `bundle`, when it is another.
    #[serde(default)]
    pub(crate) bundle_keyset: Option<String>,
    /// The last bundle the guard accepted (with roots: the bundle floor).
    pub(crate) bundle: Option<String>,
    pub(crate) bundle_etag: Option<String>,
    /// The guard's anti-rollback floor; never kept with roots (the signed
    /// documents are the floors, so storage can neither lower nor raise
    /// them).
    pub(crate) floor: Option<Floor>,
    /// When it was written (the SDK's clock).
    pub(crate) saved_at: u64,
}

/// What was found at start.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The cache, if it was there and whole.
    pub(crate) cache: Option<Cached>,
    /// Why the cache was refused (it was set aside as `cache.json.refused`).
    pub(crate) refused: Option<String>,
    /// The highest floor of the two files that are whole.
    pub(crate) floor: Option<Floor>,
    /// With roots: the second copy of the signed state, if it is whole and
    /// for this superapp (it is verified against the roots like the cache).
    pub(crate) state_copy: Option<Cached>,
}

/// The directory, locked for as long as this value lives.
#[derive(Debug)]
pub(crate) struct StateDir {
    dir: PathBuf,
    _lock: File,
}

fn state_err(path: &Path, source: std::io::Error) -> SdkError {
    SdkError::State {
        path: path.to_owned(),
        source,
    }
}

/// `<tag> <sha256 hex>\n<body>`.
fn envelope(tag: &str, body: &[u8]) -> Vec<u8> {
    let digest: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut out = format!("{tag} {digest}\n").into_bytes();
    out.extend_from_slice(body);
    out
}

/// The body of an envelope whose tag and digest are right.
fn open_envelope<'a>(tag: &str, bytes: &'a [u8]) -> Result<&'a [u8], String> {
    let nl = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("no header line (truncated?)")?;
    let (head, body) = (&bytes[..nl], &bytes[nl + 1..]);
    let head = std::str::from_utf8(head).map_err(|_| "the header line is not text")?;
    let (got_tag, digest) = head.split_once(' ').ok_or("a malformed header line")?;
    if got_tag != tag {
        return Err(format!("format `{got_tag}`, not `{tag}`"));
    }
    let actual: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != digest {
        return Err("its digest does not match its content (truncated or altered)".into());
    }
    Ok(body)
}

/// Reads at most `limit` bytes of `path`; `None` when it does not exist.
fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, String> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(Some(bytes))
}

#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn lock(_file: &File) -> std::io::Result<bool> {
    // No advisory lock here: one SDK per state directory is the app's to keep.
    Ok(true)
}

/// Removes what killed writes left behind; what cannot be removed stays
/// (it is never read).
fn remove_stray_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl StateDir {
    /// Creates (if needed) and locks the directory.
    pub(crate) fn open(dir: &Path) -> Result<StateDir, SdkError> {
        std::fs::create_dir_all(dir).map_err(|e| state_err(dir, e))?;
        let path = dir.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| state_err(&path, e))?;
        if !lock(&file).map_err(|e| state_err(&path, e))? {
            return Err(SdkError::Locked(dir.to_owned()));
        }
        remove_stray_temp_files(dir);
        Ok(StateDir {
            dir: dir.to_owned(),
            _lock: file,
        })
    }

    /// Reads what a previous run kept. A cache that is not whole, not this
    /// format or for another superapp is refused (and set aside); a floor
    /// file likewise (it is only ignored: the cache has a copy).
    pub(crate) fn read(&self, superapp_id: Option<&str>) -> Found {
        let mut found = Found::default();
        let cache = self.read_cached(CACHE, CACHE_TAG, superapp_id);
        match cache {
            Ok(c) => found.cache = c,
            Err(why) => found.refused = Some(self.set_aside(&why)),
        }
        found.state_copy = self
            .read_cached(STATE, STATE_TAG, superapp_id)
            .unwrap_or_else(|why| {
                tracing::warn!(reason = %why, "the copy of the signed state is refused");
                None
            });
        let floor = read_bounded(&self.dir.join(FLOOR), MAX_FLOOR_BYTES).and_then(|bytes| {
            let Some(bytes) = bytes else { return Ok(None) };
            let body = open_envelope(FLOOR_TAG, &bytes)?;
            let text = std::str::from_utf8(body).map_err(|_| "not text".to_owned())?;
            Floor::from_json(text).map(Some).map_err(|e| e.to_string())
        });
        let floor = floor.unwrap_or_else(|why| {
            tracing::warn!(reason = %why, "the floor file is refused; the cache's copy is used");
            None
        });
        let cache_floor = found.cache.as_ref().and_then(|c| c.floor.clone());
        found.floor = [floor, cache_floor]
            .into_iter()
            .flatten()
            .filter(|f| superapp_id.is_none_or(|s| f.superapp_id == s))
            .max_by_key(|f| f.version);
        found
    }

    /// One cache file (`cache.json`, or its copy `state.json`), whole and for
    /// this superapp; `None` when it does not exist.
    fn read_cached(
        &self,
        name: &str,
        tag: &str,
        superapp_id: Option<&str>,
    ) -> Result<Option<Cached>, String> {
        let Some(bytes) = read_bounded(&self.dir.join(name), MAX_CACHE_BYTES)? else {
            return Ok(None);
        };
        let body = open_envelope(tag, &bytes)?;
        let cached: Cached = serde_json::from_slice(body).map_err(|e| format!("{e}"))?;
        if cached.superapp_id.as_deref() != superapp_id {
            return Err(format!(
                "it is for superapp `{}`, not `{}`",
                cached.superapp_id.as_deref().unwrap_or("-"),
                superapp_id.unwrap_or("-")
            ));
        }
        Ok(Some(cached))
    }

    /// Moves a refused cache out of the way; answers why, for the status.
    fn set_aside(&self, why: &str) -> String {
        let why = format!("the cached state was refused: {why}");
        tracing::warn!(reason = %why, "refetching from the server");
        let _ = std::fs::rename(self.dir.join(CACHE), self.dir.join(REFUSED));
        why
    }

    /// Drops the cache (its bundle did not verify at start); the floor file
    /// stays.
    pub(crate) fn refuse(&self, why: &str) -> String {
        self.set_aside(why)
    }

    /// Replaces the cache, then the floor file, each atomically.
    pub(crate) fn write(&self, cached: &Cached) -> Result<(), SdkError> {
        let body = serde_json::to_vec(cached)
            .map_err(|e| state_err(&self.dir.join(CACHE), std::io::Error::other(e)))?;
        self.write_atomic(CACHE, &envelope(CACHE_TAG, &body))?;
        if cached.keyset.is_some() {
            // With roots, the second copy is the signed state itself: it
            // survives a cache lost to corruption, and, unlike a floor
            // number, it can be restored only if it verifies.
            self.write_atomic(STATE, &envelope(STATE_TAG, &body))?;
        }
        if let Some(floor) = &cached.floor {
            self.write_atomic(FLOOR, &envelope(FLOOR_TAG, floor.to_json().as_bytes()))?;
        }
        Ok(())
    }

    /// Temporary file in the directory, fsync, rename over `name`, fsync the
    /// directory (so the rename itself survives a power cut).
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), SdkError> {
        let path = self.dir.join(name);
        let err = |e| state_err(&path, e);
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.dir)
            .map_err(err)?;
        tmp.write_all(bytes).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&path).map_err(|e| err(e.error))?;
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| state_err(&self.dir, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("guard-sdk-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn floor(v: u64) -> Floor {
        Floor {
            superapp_id: "demo".into(),
            version: v,
            digest: "ab".repeat(32),
        }
    }

    fn cached(v: u64) -> Cached {
        Cached {
            superapp_id: Some("demo".into()),
            keys: Some(r#"{"keys":[]}"#.into()),
            bundle: Some("a.b.c".into()),
            bundle_etag: Some(format!("\"demo.{v}\"")),
            floor: Some(floor(v)),
            ..Cached::default()
        }
    }

    #[test]
    fn what_is_written_is_read_back_and_a_second_sdk_is_locked_out() {
        let d = dir("roundtrip");
        let s = StateDir::open(&d).unwrap();
        s.write(&cached(5)).unwrap();
        let found = s.read(Some("demo"));
        assert_eq!(found.cache, Some(cached(5)));
        assert_eq!(found.floor, Some(floor(5)));
        assert!(found.refused.is_none());
        assert!(matches!(StateDir::open(&d), Err(SdkError::Locked(_))));
        drop(s);
        StateDir::open(&d).unwrap();
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_truncated_altered_or_foreign_cache_is_refused_and_the_floor_file_still_counts() {
        let d = dir("hostile");
        let s = StateDir::open(&d).unwrap();
        s.write(&cached(9)).unwrap();
        let good = std::fs::read(d.join(CACHE)).unwrap();
        let altered = {
            let mut b = good.clone();
            let at = b.len() - 10;
            b[at] ^= 1;
            b
        };
        let bare = good[good.iter().position(|b| *b == b'\n').unwrap() + 1..].to_vec();
        let other = {
            let mut c = cached(9);
            c.superapp_id = Some("other".into());
            envelope(CACHE_TAG, &serde_json::to_vec(&c).unwrap())
        };
        let unknown_field = envelope(
            CACHE_TAG,
            br#"{"superapp_id":"demo","evil":1,"saved_at":0}"#,
        );
        for (what, bytes) in [
            ("truncated", good[..good.len() / 2].to_vec()),
            ("one bit flipped", altered),
            ("no header (someone wrote bare JSON)", bare),
            ("another superapp's", other),
            ("an unknown field", unknown_field),
            ("empty", Vec::new()),
        ] {
            std::fs::write(d.join(CACHE), &bytes).unwrap();
            let found = s.read(Some("demo"));
            assert!(found.cache.is_none(), "{what}: accepted");
            assert!(found.refused.is_some(), "{what}: not reported");
            assert!(!d.join(CACHE).exists(), "{what}: not set aside");
            assert_eq!(
                found.floor,
                Some(floor(9)),
                "{what}: the floor file was lost"
            );
        }
        // And the floor file broken too: the cache's copy.
        s.write(&cached(10)).unwrap();
        std::fs::write(d.join(FLOOR), b"guard-sdk-floor/1 00\n{}").unwrap();
        assert_eq!(s.read(Some("demo")).floor, Some(floor(10)));
        // A floor file higher than the cache (the cache write was the one lost).
        s.write(&cached(10)).unwrap();
        s.write_atomic(FLOOR, &envelope(FLOOR_TAG, floor(11).to_json().as_bytes()))
            .unwrap();
        assert_eq!(s.read(Some("demo")).floor, Some(floor(11)));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_huge_cache_is_refused_unread() {
        let d = dir("huge");
        let s = StateDir::open(&d).unwrap();
        let f = File::create(d.join(CACHE)).unwrap();
        f.set_len(MAX_CACHE_BYTES + 1).unwrap(); // sparse: no disk used
        let found = s.read(Some("demo"));
        assert!(found.refused.unwrap().contains("larger than"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
