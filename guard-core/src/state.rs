//! What a host keeps across restarts for a guard created with roots
//! (`policy.md` §2.1, contract v3): the floors as the signed documents that
//! set them, so storage the mini program can reach can neither forge nor
//! raise them (a written-in floor number could lock a device out for good),
//! and a cache is trusted only if it verifies against the roots again.

use serde::de::{Deserializer, MapAccess};
use serde::{Deserialize, Serialize};

use crate::config::Trust;
use crate::guard::Guard;
use crate::load::{KeysetStatus, LoadCode, LoadError, PolicyStatus};

/// The signed state of a guard created with roots: the key set in force (the
/// key-set floor), the key set that admitted the bundle in force when it is
/// another one, and the bundle at the bundle floor, each as received.
///
/// # Examples
///
/// ```
/// use guard_core::SignedState;
/// let s = SignedState::from_json(r#"{"keyset":"a.b.c"}"#).unwrap();
/// assert_eq!(s.keyset.as_deref(), Some("a.b.c"));
/// assert!(SignedState::from_json(r#"{"floor":99}"#).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignedState {
    /// The key set in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyset: Option<String>,
    /// The key set that admitted the bundle, when it is not `keyset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_keyset: Option<String>,
    /// The bundle at the floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

/// Read by the shared member loop of [`crate::members`] (decision 601).
impl<'de> crate::members::Members<'de> for SignedState {
    const EXPECTING: &'static str = "struct SignedState";
    const NAMES: &'static [&'static str] = &["keyset", "bundle_keyset", "bundle"];
    const REQUIRED: u64 = 0;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        let text = match index {
            0 => &mut self.keyset,
            1 => &mut self.bundle_keyset,
            _ => &mut self.bundle,
        };
        *text = map.next_value()?;
        Ok(())
    }
}

impl<'de> Deserialize<'de> for SignedState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SignedState, D::Error> {
        crate::members::read(d, SignedState::default())
    }
}

impl SignedState {
    /// Parses the JSON a host persisted.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] (`malformed_bundle`) for anything but the three
    /// optional strings.
    pub fn from_json(text: &str) -> Result<SignedState, LoadError> {
        crate::json_reader::from_str(text).map_err(|e| {
            LoadError::new(
                LoadCode::MalformedBundle,
                format!("malformed signed state: {e}"),
            )
        })
    }

    /// The JSON a host persists.
    pub fn to_json(&self) -> String {
        // Three optional strings: serialising them cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What [`Guard::restore_state`] put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The key set in force, if the state had one.
    pub keyset: Option<KeysetStatus>,
    /// The policy in force now, if the bundle is within its window.
    pub policy: Option<PolicyStatus>,
    /// The bundle floor's version, if the state had a bundle.
    pub floor: Option<u64>,
}

impl Guard {
    /// The signed state a host persists after every successful load (§2.1);
    /// `None` for a guard created without roots (which keeps a [`crate::Floor`]).
    pub fn signed_state(&self) -> Option<SignedState> {
        let Trust::Roots { .. } = self.trust else {
            return None;
        };
        let keyset = self.keyset.as_ref().map(|k| k.jws.to_string());
        let bundle_keyset = self
            .bundle_keyset
            .as_ref()
            .filter(|b| self.keyset.as_ref().is_none_or(|k| k.digest != b.digest))
            .map(|b| b.jws.to_string());
        Some(SignedState {
            keyset,
            bundle_keyset,
            bundle: self.bundle_jws.as_ref().map(|b| b.to_string()),
        })
    }

    /// Restores what [`Guard::signed_state`] returned, into a guard created
    /// with the same roots that has loaded nothing yet. Every document is
    /// verified against the roots again; a key set's expiry or replacement
    /// limits only new bundles, so the cached bundle is verified with the
    /// key set that admitted it even if that one has expired since. A bundle
    /// outside its validity window still sets the floor, and is enforced
    /// only within its window.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] for a guard without roots (`unknown_key`), one that
    /// already loaded something, or any document that does not verify; the
    /// guard is unchanged then.
    pub fn restore_state(&mut self, state: &SignedState, now: u64) -> Result<Restored, LoadError> {
        if self.keyset.is_some() || self.accepted.is_some() {
            return Err(LoadError::new(
                LoadCode::StaleVersion,
                "signed state is restored only into a guard that has loaded nothing",
            ));
        }
        let keyset = state
            .keyset
            .as_deref()
            .map(|k| self.verify_keyset(k))
            .transpose()?;
        let bundle_keyset = match state.bundle_keyset.as_deref() {
            Some(k) => {
                let verified = self.verify_keyset(k)?;
                if keyset.as_ref().is_none_or(|f| verified.version > f.version) {
                    return Err(LoadError::new(
                        LoadCode::StaleVersion,
                        "the key set that admitted the bundle is newer than the key set in force",
                    ));
                }
                Some(verified)
            }
            None => keyset.clone(),
        };
        if let Some(bundle) = state.bundle.as_deref() {
            let Some(admitting) = &bundle_keyset else {
                return Err(LoadError::new(
                    LoadCode::UnknownKey,
                    "unknown key: a cached bundle without the key set that admitted it",
                ));
            };
            self.admit_outside_window(bundle, &admitting.keys.clone(), now)?;
            self.bundle_jws = Some(bundle.into());
        }
        self.keyset = keyset;
        self.bundle_keyset = if state.bundle.is_some() {
            bundle_keyset
        } else {
            None
        };
        Ok(Restored {
            keyset: self.keyset_status(),
            policy: self.status(now),
            floor: self.highest_version(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GuardConfig;
    use crate::decision::DenyCode;
    use crate::keys::KeySet;
    use crate::{bundle, keyset};

    const ROOT: [u8; 32] = [1; 32];
    const SIGNER: [u8; 32] = [2; 32];

    fn public(seed: &[u8; 32]) -> [u8; 32] {
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes()
    }

    fn rooted() -> Guard {
        let mut roots = KeySet::default();
        roots.add_ed25519("root", &public(&ROOT)).unwrap();
        Guard::from_config(GuardConfig::roots(roots, "demo"))
    }

    fn keyset_jws() -> String {
        let payload = serde_json::json!({"superapp_id":"demo","version":1,"issued_at":0,
            "expires_at":1_000_000,"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
            "x": keyset::encode_x(&public(&SIGNER))}]});
        keyset::sign(payload.to_string().as_bytes(), "root", &ROOT)
    }

    fn bundle_jws(version: u64, expires_at: u64) -> String {
        let policy = serde_json::json!({"schema":2,"superapp_id":"demo","version":version,
            "issued_at":0,"expires_at":expires_at,
            "apps":[{"app_id":"wx1","kind":"mini_program","mode":"enforce"}]});
        bundle::sign_ed25519(policy.to_string().as_bytes(), "k1", &SIGNER)
    }

    /// The state a device persisted after loading version 5, valid until 100.
    fn state_of_version_5() -> SignedState {
        let mut guard = rooted();
        guard.load_keys(&keyset_jws(), 10).unwrap();
        guard.load(&bundle_jws(5, 100), 10).unwrap();
        guard.signed_state().unwrap()
    }

    /// Decision 601: the signed state is an object; its members in an
    /// array are refused, as before any other JSON type was.
    #[test]
    fn a_signed_state_written_as_an_array_is_refused() {
        let err = SignedState::from_json(r#"["a.b.c",null,"d.e.f"]"#).unwrap_err();
        assert_eq!(err.code, LoadCode::MalformedBundle);
        assert_eq!(
            err.message,
            "malformed signed state: invalid type: sequence, expected struct SignedState at line 1 column 0"
        );
    }

    /// Decision 177: within its window a restored bundle is enforced; after
    /// it, the guard answers `no_policy`, yet the floor stays at the
    /// restored version (an older genuine bundle stays refused) and a newer
    /// one loads.
    #[test]
    fn a_restored_bundle_outside_its_window_sets_the_floor_but_is_not_enforced() {
        let state = state_of_version_5();

        let mut within = rooted();
        let restored = within.restore_state(&state, 50).unwrap();
        assert_eq!(restored.policy.map(|p| p.version), Some(5));
        assert_eq!(within.check_api("wx1", "getLocation", 50).code(), None);

        let mut after = rooted();
        let restored = after.restore_state(&state, 200).unwrap();
        assert_eq!(restored.policy, None);
        assert_eq!(restored.floor, Some(5));
        assert_eq!(
            after.check_api("wx1", "getLocation", 200).code(),
            Some(DenyCode::NoPolicy)
        );
        assert_eq!(
            after.load(&bundle_jws(4, 1_000), 200).unwrap_err().code,
            LoadCode::StaleVersion
        );
        assert_eq!(after.load(&bundle_jws(6, 1_000), 200).unwrap().version, 6);
    }

    /// What storage holds is data, not trust: a state whose bundle was
    /// signed by a key no root leads to is refused and leaves the guard
    /// empty.
    #[test]
    fn a_restored_bundle_from_another_signer_is_refused_and_changes_nothing() {
        let mut state = state_of_version_5();
        let policy = br#"{"schema":2,"superapp_id":"demo","version":99,"issued_at":0}"#;
        state.bundle = Some(bundle::sign_ed25519(policy, "k1", &[9; 32]));
        let mut guard = rooted();
        assert!(guard.restore_state(&state, 50).is_err());
        assert_eq!(guard.highest_version(), None);
        assert_eq!(guard.load_keys(&keyset_jws(), 50).unwrap().version, 1);
        assert_eq!(guard.load(&bundle_jws(5, 100), 50).unwrap().version, 5);
    }
}
