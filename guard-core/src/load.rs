//! The lifecycle of the signed documents of `policy.md` §2 and §2.1: a
//! bundle is verified, validated, checked against the anti-rollback floor and
//! its validity window, then compiled and swapped in; (v3) a key set is
//! verified against the roots, checked against the key-set floor and its
//! expiry, then put in force. A failed load never changes what the guard
//! enforces. What a host persists across restarts is in `state.rs`.

use serde::de::{Deserializer, MapAccess};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bundle::{self, BundleError};
use crate::compiled::Compiled;
use crate::config::Trust;
use crate::guard::{Accepted, Guard};
use crate::keys::KeySet;
use crate::keyset::{self, KeysetError, VerifiedKeyset};
use crate::names::contract_names;
use crate::policy::{parse_sha256, Mode, Policy, PolicyError};

/// The load outcome codes of §2.
///
/// The numeric value is part of the raw wasm ABI: never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LoadCode {
    /// Loaded (or the same bundle re-loaded).
    Ok = 0,
    /// Not a JWS compact serialisation.
    MalformedBundle = 1,
    /// `alg` other than HS256 and EdDSA.
    UnsupportedAlg = 2,
    /// The MAC or signature does not verify.
    BadSignature = 3,
    /// The payload is not a valid policy document.
    InvalidPolicy = 4,
    /// Older than (or a different document at) the highest accepted version.
    StaleVersion = 5,
    /// Outside its `nbf`..`exp`/`expires_at` window.
    Expired = 6,
    /// The `alg` has no configured key, or the `kid` is missing or unknown.
    UnknownKey = 7,
    /// Contract v3: a key set whose header, payload or superapp is not valid
    /// (§2.1).
    InvalidKeyset = 8,
}

contract_names!(LoadCode {
    Ok => "ok",
    MalformedBundle => "malformed_bundle",
    UnsupportedAlg => "unsupported_alg",
    BadSignature => "bad_signature",
    InvalidPolicy => "invalid_policy",
    StaleVersion => "stale_version",
    Expired => "expired",
    UnknownKey => "unknown_key",
    InvalidKeyset => "invalid_keyset",
});

impl LoadCode {
    /// The code for its numeric value.
    pub fn from_u8(value: u8) -> Option<LoadCode> {
        LoadCode::ALL.into_iter().find(|c| *c as u8 == value)
    }
}

/// A refused load. The guard goes on enforcing what it enforced before.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {message}")]
pub struct LoadError {
    /// The stable outcome code.
    pub code: LoadCode,
    /// What was wrong, naming the field and value where there is one.
    pub message: String,
}

impl LoadError {
    pub(crate) fn new(code: LoadCode, message: impl Into<String>) -> LoadError {
        LoadError {
            code,
            message: message.into(),
        }
    }
}

impl From<BundleError> for LoadError {
    fn from(e: BundleError) -> LoadError {
        let code = match e {
            BundleError::Malformed(_) => LoadCode::MalformedBundle,
            BundleError::UnsupportedAlg(_) => LoadCode::UnsupportedAlg,
            BundleError::UnknownKey(_) => LoadCode::UnknownKey,
            BundleError::BadSignature(_) => LoadCode::BadSignature,
        };
        LoadError::new(code, e.to_string())
    }
}

impl From<KeysetError> for LoadError {
    fn from(e: KeysetError) -> LoadError {
        match e {
            KeysetError::Jws(e) => e.into(),
            KeysetError::Invalid(_) => LoadError::new(LoadCode::InvalidKeyset, e.to_string()),
        }
    }
}

impl From<PolicyError> for LoadError {
    fn from(e: PolicyError) -> LoadError {
        LoadError::new(LoadCode::InvalidPolicy, format!("invalid policy: {e}"))
    }
}

/// What a successful load put in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyStatus {
    /// The policy's superapp.
    pub superapp_id: String,
    /// Its version.
    pub version: u64,
    /// `enforce` or `report` (apps may override it).
    pub mode: Mode,
    /// How many apps it has.
    pub apps: usize,
    /// Valid from (JWT `nbf`).
    pub not_before: Option<u64>,
    /// Valid until, exclusive (earlier of `exp` and `expires_at`).
    pub not_after: Option<u64>,
}

/// What a successful key-set load put in force (§2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysetStatus {
    /// The key set's version: the key-set floor.
    pub version: u64,
    /// When it stops admitting new bundles (exclusive).
    pub expires_at: u64,
    /// The `kid`s of its signing keys.
    pub kids: Vec<String>,
}

impl KeysetStatus {
    fn of(k: &VerifiedKeyset) -> KeysetStatus {
        KeysetStatus {
            version: k.version,
            expires_at: k.expires_at,
            kids: k.keys.kids().map(str::to_owned).collect(),
        }
    }
}

/// The anti-rollback floor as a host keeps it across restarts (`docs/decisions.md`,
/// "The floor survives a restart"): the superapp, version and digest of the
/// bundle a guard accepted last. A guard given it back with
/// [`Guard::restore_floor`] refuses what that guard would have refused.
///
/// # Examples
///
/// ```
/// use guard_core::{bundle, Floor, Guard, LoadCode, SecretKey};
/// let key = SecretKey::new("k3yK3yk3yK3yk3y1").unwrap();
/// let v = |n: u32| bundle::sign(format!(r#"{{"schema":1,"superapp_id":"demo","version":{n},"issued_at":0}}"#).as_bytes(), &key);
/// let mut before = Guard::new("k3yK3yk3yK3yk3y1").unwrap();
/// before.load(&v(8), 100).unwrap();
/// let kept = before.floor().unwrap().to_json();
///
/// // After a restart: restore the floor first, then nothing older loads.
/// let mut after = Guard::new("k3yK3yk3yK3yk3y1").unwrap();
/// after.restore_floor(&Floor::from_json(&kept).unwrap()).unwrap();
/// assert_eq!(after.load(&v(7), 100).unwrap_err().code, LoadCode::StaleVersion);
/// after.load(&v(8), 100).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Floor {
    /// The superapp of the bundle.
    pub superapp_id: String,
    /// Its version.
    pub version: u64,
    /// Its digest (what tells "the same bundle again"), 64 lowercase hex digits.
    pub digest: String,
}

/// Read by the shared member loop of [`crate::members`] (decision 601).
impl<'de> crate::members::Members<'de> for Floor {
    const EXPECTING: &'static str = "struct Floor";
    const NAMES: &'static [&'static str] = &["superapp_id", "version", "digest"];
    const REQUIRED: u64 = 0b111;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.superapp_id = map.next_value()?,
            1 => self.version = map.next_value()?,
            _ => self.digest = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Floor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Floor, D::Error> {
        let empty = Floor {
            superapp_id: String::new(),
            version: 0,
            digest: String::new(),
        };
        crate::members::read(d, empty)
    }
}

/// Why a floor was not restored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FloorError {
    /// Not the JSON of a [`Floor`].
    #[error("malformed floor: {0}")]
    Malformed(String),
    /// The guard already enforces another superapp.
    #[error("the floor is for superapp `{floor}`, this guard enforces `{guard}`")]
    OtherSuperapp {
        /// The floor's superapp.
        floor: String,
        /// The guard's.
        guard: String,
    },
    /// The guard accepted another bundle at the same version.
    #[error("version `{0}` was accepted here with a different bundle than the floor's")]
    OtherBundle(u64),
    /// A guard created with roots restores its floors only from the signed
    /// documents that set them, which storage can neither forge nor raise.
    #[error("a guard created with root keys restores its floors only from signed state")]
    Unsigned,
}

impl Floor {
    /// Parses a floor a host kept: the three fields, the digest as 64 hex
    /// digits, the superapp id as the policy bounds it.
    ///
    /// # Errors
    ///
    /// [`FloorError::Malformed`] saying what is wrong.
    pub fn from_json(text: &str) -> Result<Floor, FloorError> {
        let floor: Floor =
            crate::json_reader::from_str(text).map_err(|e| FloorError::Malformed(e.to_string()))?;
        floor.digest_bytes()?;
        crate::policy::check_name(|| "superapp_id".into(), &floor.superapp_id)
            .map_err(|e| FloorError::Malformed(e.to_string()))?;
        Ok(floor)
    }

    /// The JSON a host persists.
    pub fn to_json(&self) -> String {
        // Three plain fields: serialising them cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    fn digest_bytes(&self) -> Result<[u8; 32], FloorError> {
        parse_sha256(&self.digest)
            .ok_or_else(|| FloorError::Malformed("`digest` is not 64 hex digits".into()))
    }
}

impl Guard {
    /// Verifies and loads a bundle with the clock at `now` (unix seconds).
    ///
    /// Steps, in order: size (before anything is decoded), JWS shape, `alg`
    /// and key; signature; policy JSON and validation; the superapp (a guard
    /// stays with the superapp of its first accepted bundle); version
    /// (anti-rollback); validity window. Only when all pass is the new policy
    /// compiled and swapped in.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] whose [`LoadCode`] is the contract's outcome. A failed
    /// load never changes what the guard enforces.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, Guard, LoadCode, SecretKey};
    /// let mut guard = Guard::new("k3yK3yk3yK3yk3y1").unwrap();
    /// let other = SecretKey::new("0000000000000000").unwrap();
    /// let forged = bundle::sign(br#"{"schema":1}"#, &other);
    /// assert_eq!(guard.load(&forged, 0).unwrap_err().code, LoadCode::BadSignature);
    /// ```
    pub fn load(&mut self, bundle: &str, now: u64) -> Result<PolicyStatus, LoadError> {
        let (keys, admitted_by) = self.bundle_keys(now)?;
        self.load_with(bundle, &keys, now)?;
        if let Trust::Roots { .. } = self.trust {
            self.bundle_keyset = admitted_by;
            self.bundle_jws = Some(bundle.into());
        }
        self.status(now).ok_or_else(|| {
            LoadError::new(LoadCode::Expired, "the policy is not in force at this time")
        })
    }

    /// The keys a bundle loaded now verifies with (§2, §2.1): the
    /// configured ones, or with roots those of the key set in force, and
    /// that key set.
    fn bundle_keys(&self, now: u64) -> Result<(KeySet, Option<VerifiedKeyset>), LoadError> {
        match &self.trust {
            Trust::Keys(keys) => Ok((keys.clone(), None)),
            Trust::Roots { .. } => match &self.keyset {
                None => Err(LoadError::new(
                    LoadCode::UnknownKey,
                    "unknown key: no key set is in force (load one signed by a root first)",
                )),
                Some(k) if now >= k.expires_at => Err(LoadError::new(
                    LoadCode::UnknownKey,
                    format!(
                        "unknown key: the key set in force (version {}) expired at {}",
                        k.version, k.expires_at
                    ),
                )),
                Some(k) => Ok((k.keys.clone(), Some(k.clone()))),
            },
        }
    }

    /// [`Guard::load`] with the keys given: every step but choosing them.
    pub(crate) fn load_with(
        &mut self,
        bundle: &str,
        keys: &KeySet,
        now: u64,
    ) -> Result<(), LoadError> {
        self.admit(bundle, keys, now, true)
    }

    /// A cached bundle restored from signed state (`state.rs`): every step
    /// of a load but the validity window, which decides only whether it is
    /// enforced, not whether it sets the floor.
    pub(crate) fn admit_outside_window(
        &mut self,
        bundle: &str,
        keys: &KeySet,
        now: u64,
    ) -> Result<(), LoadError> {
        self.admit(bundle, keys, now, false)
    }

    fn admit(
        &mut self,
        bundle: &str,
        keys: &KeySet,
        now: u64,
        window: bool,
    ) -> Result<(), LoadError> {
        let verified = bundle::verify_with_digest(bundle, keys)?;
        let digest = verified.digest;
        // §2.1: a guard created with roots refuses a bundle whose `typ` is a
        // key set's; one created with keys works as v2 did, where `typ` is
        // ignored (decision 2): it has no key sets to confuse bundles with.
        if verified.keyset_typ && matches!(self.trust, Trust::Roots { .. }) {
            return Err(LoadError::new(
                LoadCode::InvalidPolicy,
                "invalid policy: the header's `typ` is a key set's, not a bundle's",
            ));
        }
        let policy = Policy::parse_unvalidated(&verified.payload)?;
        drop(verified);
        let validated = policy.validated_entries()?;
        if let Some(served) = self.root_superapp() {
            if policy.superapp_id != served {
                return Err(LoadError::new(
                    LoadCode::UnknownKey,
                    format!(
                        "unknown key: the bundle is for superapp `{}`, and this guard's roots serve `{served}`",
                        policy.superapp_id.escape_debug()
                    ),
                ));
            }
        }
        if let Some(accepted) = &self.accepted {
            if policy.superapp_id != accepted.superapp_id {
                return Err(LoadError::new(
                    LoadCode::InvalidPolicy,
                    format!(
                        "invalid policy: `superapp_id`: `{}` is not `{}`, the superapp this guard enforces",
                        policy.superapp_id, accepted.superapp_id
                    ),
                ));
            }
            if policy.version < accepted.version {
                return Err(LoadError::new(
                    LoadCode::StaleVersion,
                    format!(
                        "version `{}` is lower than `{}`, the highest this guard accepted",
                        policy.version, accepted.version
                    ),
                ));
            }
            if policy.version == accepted.version && digest != accepted.digest {
                return Err(LoadError::new(
                    LoadCode::StaleVersion,
                    format!(
                        "version `{}` was already accepted with a different bundle",
                        policy.version
                    ),
                ));
            }
        }
        if let Some(nbf) = policy.not_before().filter(|_| window) {
            if now < nbf {
                return Err(LoadError::new(
                    LoadCode::Expired,
                    format!("not valid before `nbf` {nbf} (now {now})"),
                ));
            }
        }
        if let Some(end) = policy.not_after().filter(|_| window) {
            if now >= end {
                return Err(LoadError::new(
                    LoadCode::Expired,
                    format!("expired at {end} (now {now})"),
                ));
            }
        }
        let unchanged = self
            .accepted
            .as_ref()
            .is_some_and(|a| a.digest == digest && self.active.is_some());
        if !unchanged {
            let extra = policy.apps.len().saturating_add(
                policy.sensitive_apis.len()
                    + policy.builtin_apis.as_ref().map_or(0, Vec::len)
                    + policy
                        .apps
                        .iter()
                        .map(|a| a.api_whitelist.len() + a.granted_apis.len())
                        .sum::<usize>(),
            );
            if !self.api_ids.has_room(extra) || !self.app_ids.has_room(policy.apps.len()) {
                return Err(LoadError::new(
                    LoadCode::InvalidPolicy,
                    "invalid policy: too many distinct names over this guard's lifetime",
                ));
            }
            let superapp_id = policy.superapp_id.clone();
            let version = policy.version;
            let compiled = Compiled::new(
                &policy,
                validated,
                &mut self.api_ids,
                &mut self.app_ids,
                self.catalogue,
            )?;
            self.active = Some(compiled);
            self.accepted = Some(Accepted {
                superapp_id,
                version,
                digest,
            });
        }
        Ok(())
    }

    /// Contract v3 (§2.1): verifies and loads a key set with the clock at
    /// `now`, in the contract's order: shape, `alg`, the root named by
    /// `kid`, the signature, `typ`, the payload, the superapp, the key-set
    /// floor (a lower version, or the same version with other signed bytes,
    /// is `stale_version`; the same bytes again are `ok`), then expiry. On
    /// success the key set is in force: bundles verify with its keys. The
    /// bundle in force stays in force until its own expiry.
    ///
    /// # Errors
    ///
    /// A [`LoadError`]: `unknown_key` in a guard created without roots,
    /// else the first step that fails. A failed load changes nothing.
    pub fn load_keys(&mut self, jws: &str, now: u64) -> Result<KeysetStatus, LoadError> {
        let verified = self.verify_keyset(jws)?;
        if let Some(floor) = &self.keyset {
            if verified.version < floor.version
                || (verified.version == floor.version && verified.digest != floor.digest)
            {
                return Err(LoadError::new(
                    LoadCode::StaleVersion,
                    format!(
                        "key set version `{}` is below, or another document at, version `{}`, the key-set floor",
                        verified.version, floor.version
                    ),
                ));
            }
        }
        if now >= verified.expires_at {
            return Err(LoadError::new(
                LoadCode::Expired,
                format!("key set expired at {} (now {now})", verified.expires_at),
            ));
        }
        let status = KeysetStatus::of(&verified);
        self.keyset = Some(verified);
        Ok(status)
    }

    /// Steps 1 to 7 of §2.1 against this guard's roots.
    pub(crate) fn verify_keyset(&self, jws: &str) -> Result<VerifiedKeyset, LoadError> {
        let Trust::Roots { roots, superapp_id } = &self.trust else {
            return Err(LoadError::new(
                LoadCode::UnknownKey,
                "unknown key: a key set, and this guard was created without root keys",
            ));
        };
        Ok(keyset::verify(jws, roots, superapp_id)?)
    }

    /// The key set in force, if any (with roots).
    pub fn keyset_status(&self) -> Option<KeysetStatus> {
        self.keyset.as_ref().map(KeysetStatus::of)
    }

    /// The policy in force at `now`, if any.
    pub fn status(&self, now: u64) -> Option<PolicyStatus> {
        let p = self.active.as_ref().filter(|p| p.in_window(now))?;
        Some(PolicyStatus {
            superapp_id: p.superapp_id.clone(),
            version: p.version,
            mode: p.mode,
            apps: p.app_count(),
            not_before: p.not_before,
            not_after: p.not_after,
        })
    }

    /// The highest version this guard has accepted (its anti-rollback floor).
    pub fn highest_version(&self) -> Option<u64> {
        self.accepted.as_ref().map(|a| a.version)
    }

    /// What this guard accepted last, for a host to keep across restarts.
    pub fn floor(&self) -> Option<Floor> {
        self.accepted.as_ref().map(|a| Floor {
            superapp_id: a.superapp_id.clone(),
            version: a.version,
            digest: a.digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// Raises the anti-rollback floor to one a host kept from before a
    /// restart, so that this guard refuses a lower version, or the same
    /// version with other bytes, as `stale_version`, as if it had accepted
    /// that bundle itself. The floor only rises: one at or below what this
    /// guard accepted changes nothing. One above it leaves the guard with no
    /// policy (`no_policy`) until a bundle at or above the floor loads, since
    /// the policy it had is older than one accepted before.
    ///
    /// # Errors
    ///
    /// [`FloorError`] when the floor is malformed, names another superapp
    /// than the one this guard enforces, or names a version this guard
    /// accepted with a different bundle, or when the guard was created with
    /// roots (which restores only signed state, [`Guard::restore_state`]);
    /// nothing changes then.
    pub fn restore_floor(&mut self, floor: &Floor) -> Result<(), FloorError> {
        if let Trust::Roots { .. } = self.trust {
            return Err(FloorError::Unsigned);
        }
        let digest = floor.digest_bytes()?;
        if let Some(a) = &self.accepted {
            if a.superapp_id != floor.superapp_id {
                return Err(FloorError::OtherSuperapp {
                    floor: floor.superapp_id.clone(),
                    guard: a.superapp_id.clone(),
                });
            }
            if floor.version < a.version {
                return Ok(());
            }
            if floor.version == a.version {
                return if a.digest == digest {
                    Ok(())
                } else {
                    Err(FloorError::OtherBundle(floor.version))
                };
            }
        }
        self.active = None;
        self.accepted = Some(Accepted {
            superapp_id: floor.superapp_id.clone(),
            version: floor.version,
            digest,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GuardConfig;

    const POLICY: &[u8] = br#"{"schema":2,"superapp_id":"demo","version":1,"issued_at":0}"#;
    const KEYSET_HEADER: &str = r#"{"alg":"EdDSA","kid":"k1","typ":"guard-keyset+jws"}"#;

    fn signer(seed: u8) -> ([u8; 32], [u8; 32]) {
        let seed = [seed; 32];
        let x = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        (seed, x)
    }

    /// §2.1: only a guard created with roots refuses a bundle whose `typ` is
    /// a key set's (`invalid_policy`, after the signature); a guard created
    /// with signing keys works as before and ignores `typ`.
    #[test]
    fn a_key_set_typ_on_a_bundle_matters_only_with_roots() {
        let (seed, x) = signer(2);
        let typed = bundle::sign_ed25519_with_header(KEYSET_HEADER, POLICY, &seed);

        let mut keys = KeySet::default();
        keys.add_ed25519("k1", &x).unwrap();
        let mut plain = Guard::with_keys(keys.clone());
        assert_eq!(plain.load(&typed, 0).unwrap().version, 1);

        let (root_seed, root_x) = signer(1);
        let mut roots = KeySet::default();
        roots.add_ed25519("root", &root_x).unwrap();
        let mut rooted = Guard::from_config(GuardConfig::roots(roots, "demo"));
        let keyset = serde_json::json!({"superapp_id":"demo","version":1,"issued_at":0,
            "expires_at":10,"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
            "x": keyset::encode_x(&x)}]});
        rooted
            .load_keys(
                &keyset::sign(keyset.to_string().as_bytes(), "root", &root_seed),
                0,
            )
            .unwrap();
        assert_eq!(
            rooted.load(&typed, 0).unwrap_err().code,
            LoadCode::InvalidPolicy
        );
        let plain_header = bundle::sign_ed25519(POLICY, "k1", &seed);
        assert_eq!(rooted.load(&plain_header, 0).unwrap().version, 1);
    }
    /// Decision 601: a key set's payload, each of its keys and a floor are
    /// objects; written as arrays of their members they are refused.
    #[test]
    fn a_key_set_payload_key_or_floor_written_as_an_array_is_refused() {
        let (root_seed, root_x) = signer(1);
        let (_, x) = signer(2);
        let mut roots = KeySet::default();
        roots.add_ed25519("root", &root_x).unwrap();
        let key = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{}"}}"#,
            keyset::encode_x(&x)
        );
        let as_array = format!(r#"["OKP","Ed25519","k1","{}"]"#, keyset::encode_x(&x));
        let cases = [
            (
                format!(r#"["demo",1,0,10,[{key}]]"#),
                "payload: invalid type: sequence, expected struct Payload at line 1 column 0",
            ),
            (
                format!(
                    r#"{{"superapp_id":"demo","version":1,"issued_at":0,"expires_at":10,"keys":[{as_array}]}}"#
                ),
                "payload: invalid type: sequence, expected struct PublicJwk",
            ),
        ];
        for (payload, want) in cases {
            let mut guard = Guard::from_config(GuardConfig::roots(roots.clone(), "demo"));
            let refused = guard
                .load_keys(&keyset::sign(payload.as_bytes(), "root", &root_seed), 0)
                .unwrap_err();
            assert_eq!(refused.code, LoadCode::InvalidKeyset);
            assert!(refused.message.contains(want), "{}", refused.message);
            assert!(guard.keyset_status().is_none());
        }
        let floor = format!(r#"["demo",7,"{}"]"#, "ab".repeat(32));
        assert_eq!(
            Floor::from_json(&floor).unwrap_err().to_string(),
            "malformed floor: invalid type: sequence, expected struct Floor at line 1 column 0"
        );
    }

    /// Decision 172: a key set over 64 KiB is `malformed_bundle` before it is
    /// decoded, while the same document one byte under the limit loads (the
    /// padding is JSON whitespace inside the signed payload).
    #[test]
    fn a_key_set_over_64_kib_is_malformed_and_one_under_loads() {
        let (root_seed, root_x) = signer(1);
        let (_, x) = signer(2);
        let mut roots = KeySet::default();
        roots.add_ed25519("root", &root_x).unwrap();
        let signed_with_padding = |spaces: usize| {
            let payload = format!(
                r#"{{"superapp_id":"demo","version":1,"issued_at":0,"expires_at":10,{}"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{}"}}]}}"#,
                " ".repeat(spaces),
                keyset::encode_x(&x)
            );
            keyset::sign(payload.as_bytes(), "root", &root_seed)
        };
        let limit = 64 * 1024;
        // base64url grows by 4/3: step the padding until the JWS crosses the limit.
        let mut spaces = limit * 3 / 4 - 400;
        while signed_with_padding(spaces + 1).len() <= limit {
            spaces += 1;
        }
        let under = signed_with_padding(spaces);
        let over = signed_with_padding(spaces + 3);
        assert!(under.len() <= limit && over.len() > limit);

        let mut guard = Guard::from_config(GuardConfig::roots(roots.clone(), "demo"));
        assert_eq!(guard.load_keys(&under, 0).unwrap().version, 1);
        let mut guard = Guard::from_config(GuardConfig::roots(roots, "demo"));
        let refused = guard.load_keys(&over, 0).unwrap_err();
        assert_eq!(refused.code, LoadCode::MalformedBundle);
        assert!(
            refused.message.contains("more than the limit of 65536"),
            "{}",
            refused.message
        );
        assert!(guard.keyset_status().is_none());
    }
}
