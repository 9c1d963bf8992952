//! The guard the SDK enforces with, and what it was given: the key set (a
//! key-set JWS its roots signed, contract v3; or, through the test-only
//! escape hatch, keys.json's text), the last good bundle and their ETags. Every change goes through here, under
//! the SDK's one lock, and bumps a sequence number so the state directory is
//! written after it (outside the lock: checks never wait for a disk).

use base64::Engine as _;
use guard_core::report::ReportLog;
use guard_core::{bundle, KeySet, LoadError, Policy, PolicyStatus, SecretKey, SignedState};
use guard_wasm_host::{Rekeyed, WasmGuard, WasmModule};

use crate::cache::Cached;
use crate::error::SdkError;
use crate::status::in_force;

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loaded {
    /// A new bundle is in force.
    Accepted,
    /// The bundle in force, byte for byte: nothing was re-loaded (so an
    /// expired bundle is never accepted again as if it were new).
    Same,
}

/// The guard and what it verifies and enforces.
#[derive(Debug)]
pub(crate) struct Enforcer {
    pub(crate) guard: WasmGuard,
    /// Whether the guard was created from roots (contract v3): its keys
    /// then come only in key sets they signed, and what persists is its
    /// signed state, never a floor number.
    roots: bool,
    /// The key text the guard verifies with (with roots: the key-set JWS in
    /// force); `None` while it has none (no key set yet).
    keys: Option<String>,
    keys_etag: Option<String>,
    /// The last bundle accepted, and what it says about itself.
    bundle: Option<String>,
    bundle_etag: Option<String>,
    policy: Option<PolicyStatus>,
    /// The ETag of the last bundle refused, sent as `If-None-Match` so a
    /// long-polling server holds the request until something newer exists
    /// (rather than serving the refused bundle again at once).
    refused_etag: Option<String>,
    /// Bumped by every change worth persisting.
    pub(crate) seq: u64,
}

/// A SecretKey nobody holds: the guard of an SDK that has no key set yet
/// verifies nothing with it, enforces `no_policy`, and records those denials
/// (reported once the server is reachable).
fn placeholder_key() -> Result<String, SdkError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| SdkError::Keys {
        url: "-".into(),
        reason: format!("no randomness for the placeholder key: {e}"),
    })?;
    // 256 is 4·62 + 8: the slight bias costs nothing for a key never shown.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// The key text as guard-core reads it: a key-set JSON, else a SecretKey.
fn key_set(keys: &str) -> Option<KeySet> {
    if keys.starts_with('{') {
        KeySet::from_json(keys).ok()
    } else {
        SecretKey::new(keys).ok().map(KeySet::secret)
    }
}

/// What a bundle the guard module accepted (so verified against the key set
/// its roots signed) says of itself: its payload read without verifying
/// again, since the SDK holds no keys of its own with roots.
fn describe_accepted(signed: &str) -> Option<PolicyStatus> {
    let payload = signed.split('.').nth(1)?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    status_of(&payload)
}

fn status_of(payload: &[u8]) -> Option<PolicyStatus> {
    let policy = Policy::from_json(payload).ok()?;
    Some(PolicyStatus {
        not_before: policy.not_before(),
        not_after: policy.not_after(),
        superapp_id: policy.superapp_id,
        version: policy.version,
        mode: policy.mode,
        apps: policy.apps.len(),
    })
}

/// What an accepted bundle puts in force, read from its verified payload
/// (the guard module verified it too; this reads only what it says of
/// itself, for [`crate::Status`] and the bridge's `status`).
fn describe(signed: &str, keys: &str) -> Option<PolicyStatus> {
    let payload = bundle::verify_with_keys(signed, &key_set(keys)?).ok()?;
    status_of(&payload)
}

impl Enforcer {
    /// A guard verifying with `keys`, or with the placeholder.
    pub(crate) fn new(module: &WasmModule, keys: Option<&str>) -> Result<Enforcer, SdkError> {
        let guard = match keys {
            Some(k) => WasmGuard::new(module, k)?,
            None => WasmGuard::new(module, &placeholder_key()?)?,
        };
        Ok(Enforcer::from_guard(guard, false, keys))
    }

    fn from_guard(guard: WasmGuard, roots: bool, keys: Option<&str>) -> Enforcer {
        Enforcer {
            guard,
            roots,
            keys: keys.map(str::to_owned),
            keys_etag: None,
            bundle: None,
            bundle_etag: None,
            policy: None,
            refused_etag: None,
            seq: 0,
        }
    }

    /// A guard created from roots (`config`: `{"roots","superapp_id"}`),
    /// with no key set and no policy yet.
    pub(crate) fn with_roots(module: &WasmModule, config: &str) -> Result<Enforcer, SdkError> {
        Ok(Enforcer::from_guard(
            WasmGuard::from_config(module, config)?,
            true,
            None,
        ))
    }

    /// Whether the guard has a real key set.
    pub(crate) fn keyed(&self) -> bool {
        self.keys.is_some()
    }

    pub(crate) fn keys_etag(&self) -> Option<&str> {
        self.keys_etag.as_deref()
    }

    pub(crate) fn set_keys_etag(&mut self, etag: Option<String>) {
        self.keys_etag = etag;
    }

    /// The ETag of the bundle in force (one loaded from the cache).
    pub(crate) fn set_bundle_etag(&mut self, etag: Option<String>) {
        self.bundle_etag = etag;
    }

    /// What to send as `If-None-Match` for the bundle.
    pub(crate) fn bundle_etag(&self) -> Option<&str> {
        self.refused_etag.as_deref().or(self.bundle_etag.as_deref())
    }

    /// Verifies and loads `signed` at `now` (the real clock: a bundle is never
    /// loaded at an older one). A refused bundle changes nothing enforced.
    pub(crate) fn load(
        &mut self,
        signed: &str,
        etag: Option<String>,
        now: u64,
    ) -> Result<Loaded, LoadError> {
        if self.bundle.as_deref() == Some(signed) {
            if etag.is_some() {
                self.bundle_etag = etag;
            }
            self.refused_etag = None;
            return Ok(Loaded::Same);
        }
        match self.guard.load(signed, now) {
            Ok(()) => {
                self.policy = self.describe(signed);
                self.bundle = Some(signed.to_owned());
                self.bundle_etag = etag;
                self.refused_etag = None;
                self.seq += 1;
                Ok(Loaded::Accepted)
            }
            Err(e) => {
                if etag.is_some() {
                    self.refused_etag = etag;
                }
                Err(e)
            }
        }
    }

    /// What a bundle the guard accepted says of itself.
    fn describe(&self, signed: &str) -> Option<PolicyStatus> {
        if self.roots {
            describe_accepted(signed)
        } else {
            self.keys.as_deref().and_then(|k| describe(signed, k))
        }
    }

    /// Contract v3: verifies and loads a key set at `now` (the guard checks
    /// it against its roots, its floor and its expiry); `Ok(false)` when it
    /// is the one in force, byte for byte. The bundle in force stays in
    /// force (§2.1). A refused key set changes nothing.
    pub(crate) fn load_keyset(&mut self, jws: &str, now: u64) -> Result<bool, LoadError> {
        if self.keys.as_deref() == Some(jws) {
            return Ok(false);
        }
        self.guard.load_keyset(jws, now)?;
        self.keys = Some(jws.to_owned());
        self.seq += 1;
        Ok(true)
    }

    /// Contract v3: restores a signed state kept from before a restart into
    /// this guard (created from roots, nothing loaded): the module verifies
    /// every document against the roots again, and its floors are the
    /// documents' own, so storage can neither lower nor raise them.
    pub(crate) fn restore(&mut self, state: &SignedState, now: u64) -> Result<(), LoadError> {
        self.guard.restore_state(state, now)?;
        self.keys = state.keyset.clone();
        if let Some(bundle) = &state.bundle {
            self.policy = describe_accepted(bundle);
            self.bundle = Some(bundle.clone());
        }
        self.seq += 1;
        Ok(())
    }

    /// Re-keys the guard with a new key set, keeping what it enforces (P6);
    /// `Ok(false)` when the set is the one in use. The old instance's reports
    /// move to `outbox` first (a new instance starts with an empty log).
    pub(crate) fn set_keys(
        &mut self,
        keys: &str,
        etag: Option<String>,
        outbox: &mut ReportLog,
        now: u64,
    ) -> Result<bool, SdkError> {
        if self.keys.as_deref() == Some(keys) {
            self.keys_etag = etag;
            return Ok(false);
        }
        outbox.restore(self.guard.take_reports(now), now);
        match self.guard.set_keys(keys)? {
            Rekeyed::Kept | Rekeyed::Empty => {}
            dropped => {
                tracing::warn!(
                    ?dropped,
                    "the bundle in force does not verify with the new key set"
                );
                self.bundle = None;
                self.bundle_etag = None;
                self.policy = None;
            }
        }
        self.keys = Some(keys.to_owned());
        self.keys_etag = etag;
        self.seq += 1;
        Ok(true)
    }

    /// The policy in force at `now`.
    pub(crate) fn policy_at(&self, now: u64) -> Option<PolicyStatus> {
        self.policy.clone().filter(|p| in_force(p, now))
    }

    /// The version of the last bundle accepted.
    pub(crate) fn accepted_version(&self) -> Option<u64> {
        self.policy.as_ref().map(|p| p.version)
    }

    /// What to persist, and the sequence number it is current at.
    pub(crate) fn snapshot(&mut self, superapp_id: Option<&str>, now: u64) -> (u64, Cached) {
        if self.roots {
            // The signed documents that set both floors, and nothing storage
            // could use to steer the next sync: no floor number, no key-set
            // ETag (a planted key set with its ETag would make the server
            // answer 304 to every round).
            let state = self.guard.signed_state().unwrap_or_default();
            let cached = Cached {
                superapp_id: superapp_id.map(str::to_owned),
                keyset: state.keyset,
                bundle_keyset: state.bundle_keyset,
                bundle_etag: state.bundle.as_ref().and(self.bundle_etag.clone()),
                bundle: state.bundle,
                saved_at: now,
                ..Cached::default()
            };
            return (self.seq, cached);
        }
        let cached = Cached {
            superapp_id: superapp_id.map(str::to_owned),
            keys: self.keys.clone(),
            keys_etag: self.keys_etag.clone(),
            bundle: self.bundle.clone(),
            bundle_etag: self.bundle_etag.clone(),
            floor: self.guard.floor(),
            saved_at: now,
            ..Cached::default()
        };
        (self.seq, cached)
    }

    /// Marks a change that only the guard knows of (a floor restored).
    pub(crate) fn touch(&mut self) {
        self.seq += 1;
    }
}
