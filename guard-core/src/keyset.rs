//! Key sets (`policy.md` §2.1, contract v3): the signed documents that bring
//! a guard created with root keys its bundle-signing keys, so no code that
//! shares the guard's realm or network path can re-key it. This module reads
//! and verifies one key set (steps 1 to 7 of §2.1); the key-set floor and
//! expiry (steps 8 and 9) are the guard's (`load.rs`), since they depend on
//! what it loaded before.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{Deserialize, Deserializer, MapAccess};
use thiserror::Error;

use crate::jws::{self, Alg, BundleError, KEYSET_TYP};
use crate::keys::{KeyError, KeySet};
use crate::limits;
use crate::policy::check_name;

/// Why a key set was refused; [`KeysetError::Jws`] carries the outcome of
/// the JWS steps (1 to 4), everything else is `invalid_keyset`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeysetError {
    /// Shape, `alg`, root `kid` or signature (steps 1 to 4).
    #[error(transparent)]
    Jws(#[from] BundleError),
    /// The header, payload or superapp is not a valid key set's (steps 5 to 7).
    #[error("invalid key set: {0}")]
    Invalid(String),
}

/// The payload of a key set: exactly these members (§2.1), read by the
/// shared member loop of [`crate::members`] (decision 601).
struct Payload {
    superapp_id: String,
    version: u64,
    issued_at: u64,
    expires_at: u64,
    keys: Vec<PublicJwk>,
}

impl<'de> crate::members::Members<'de> for Payload {
    const EXPECTING: &'static str = "struct Payload";
    const NAMES: &'static [&'static str] =
        &["superapp_id", "version", "issued_at", "expires_at", "keys"];
    const REQUIRED: u64 = 0b11111;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.superapp_id = map.next_value()?,
            1 => self.version = map.next_value()?,
            2 => self.issued_at = map.next_value()?,
            3 => self.expires_at = map.next_value()?,
            _ => self.keys = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Payload, D::Error> {
        let empty = Payload {
            superapp_id: String::new(),
            version: 0,
            issued_at: 0,
            expires_at: 0,
            keys: Vec::new(),
        };
        crate::members::read(d, empty)
    }
}

/// A key of a key set: exactly `kty`, `crv`, `kid` and `x`; a `d`, `alg`,
/// `use` or anything else is refused as an unknown field.
struct PublicJwk {
    kty: String,
    crv: String,
    kid: String,
    x: String,
}

impl<'de> crate::members::Members<'de> for PublicJwk {
    const EXPECTING: &'static str = "struct PublicJwk";
    const NAMES: &'static [&'static str] = &["kty", "crv", "kid", "x"];
    const REQUIRED: u64 = 0b1111;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        let text = match index {
            0 => &mut self.kty,
            1 => &mut self.crv,
            2 => &mut self.kid,
            _ => &mut self.x,
        };
        *text = map.next_value()?;
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PublicJwk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PublicJwk, D::Error> {
        let empty = PublicJwk {
            kty: String::new(),
            crv: String::new(),
            kid: String::new(),
            x: String::new(),
        };
        crate::members::read(d, empty)
    }
}

/// A key set whose signature, header and payload verified (steps 1 to 7).
#[derive(Debug, Clone)]
pub(crate) struct VerifiedKeyset {
    pub(crate) version: u64,
    pub(crate) expires_at: u64,
    /// The signing keys it carries (Ed25519 only, no SecretKey).
    pub(crate) keys: KeySet,
    /// The SHA-256 of the signed bytes as received (header and payload):
    /// the same version must come with the same bytes (step 8).
    pub(crate) digest: [u8; 32],
    /// The key set as received, so a host can persist the floor as the
    /// signed document that set it.
    pub(crate) jws: Box<str>,
}

/// Largest key-set JWS accepted: 16 keys fit many times over.
const MAX_KEYSET_BYTES: usize = 64 * 1024;

/// Signs a key-set payload with a root key (header
/// `{"alg":"EdDSA","kid":<root_kid>,"typ":"guard-keyset+jws"}`): for the
/// superapp's server, `guard sign-keys` and tests; a device only verifies.
///
/// # Examples
///
/// ```
/// use guard_core::{keyset, Guard, GuardConfig, keys::KeySet};
/// let root = [1u8; 32];
/// let x = ed25519_dalek::SigningKey::from_bytes(&root).verifying_key().to_bytes();
/// let mut roots = KeySet::default();
/// roots.add_ed25519("root-1", &x).unwrap();
/// let mut guard = Guard::from_config(GuardConfig::roots(roots, "demo"));
/// let signer = ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]).verifying_key().to_bytes();
/// let payload = serde_json::json!({"superapp_id":"demo","version":1,"issued_at":0,
///   "expires_at":1000,"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
///   "x": keyset::encode_x(&signer)}]});
/// let jws = keyset::sign(payload.to_string().as_bytes(), "root-1", &root);
/// assert_eq!(guard.load_keys(&jws, 100).unwrap().version, 1);
/// ```
pub fn sign(payload: &[u8], root_kid: &str, seed: &[u8; 32]) -> String {
    let header = serde_json::json!({ "alg": "EdDSA", "kid": root_kid, "typ": KEYSET_TYP });
    crate::bundle::sign_ed25519_with_header(&header.to_string(), payload, seed)
}

/// An Ed25519 public key as a JWK's `x`: unpadded base64url of 32 bytes.
pub fn encode_x(x: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(x)
}

/// Steps 1 to 7 of §2.1: shape, `alg`, the root named by `kid`, the
/// signature, `typ`, the payload, and the superapp.
pub(crate) fn verify(
    text: &str,
    roots: &KeySet,
    superapp_id: &str,
) -> Result<VerifiedKeyset, KeysetError> {
    let doc = jws::parse(text, MAX_KEYSET_BYTES)?;
    if doc.alg != Alg::EdDsa {
        return Err(BundleError::UnsupportedAlg(
            "HS256 (a key set is signed EdDSA by a root)".into(),
        )
        .into());
    }
    let kid = doc.kid()?;
    let root = roots.ed25519(kid).ok_or_else(|| {
        BundleError::UnknownKey(format!("no root key has the kid `{}`", kid.escape_debug()))
    })?;
    doc.verify_ed25519(root, "root key of that `kid`")?;
    if !doc.is_keyset() {
        return Err(KeysetError::Invalid(format!(
            "`typ` is `{}`, not `{KEYSET_TYP}`",
            doc.typ_text()
        )));
    }
    let payload = crate::json_path::utf8(&doc.payload).map_err(|(_, e)| e);
    let payload: Payload = payload
        .and_then(|text| crate::json_reader::from_str(text).map_err(|e| e.to_string()))
        .map_err(|e| KeysetError::Invalid(format!("payload: {e}")))?;
    let keys = validate(&payload, roots)?;
    if payload.superapp_id != superapp_id {
        return Err(KeysetError::Invalid(format!(
            "`superapp_id` is `{}`, not `{superapp_id}`, the superapp this guard serves",
            payload.superapp_id.escape_debug()
        )));
    }
    Ok(VerifiedKeyset {
        version: payload.version,
        expires_at: payload.expires_at,
        keys,
        digest: doc.digest(),
        jws: text.into(),
    })
}

/// Step 6: the payload's members and keys.
fn validate(payload: &Payload, roots: &KeySet) -> Result<KeySet, KeysetError> {
    let invalid = |m: String| KeysetError::Invalid(m);
    check_name(|| "superapp_id".into(), &payload.superapp_id)
        .map_err(|e| invalid(e.to_string()))?;
    if payload.version > limits::MAX_SAFE_INTEGER {
        return Err(invalid(format!(
            "`version` {} is above 2^53-1",
            payload.version
        )));
    }
    if payload.expires_at <= payload.issued_at {
        return Err(invalid(format!(
            "`expires_at` {} is not after `issued_at` {}",
            payload.expires_at, payload.issued_at
        )));
    }
    if payload.keys.is_empty() || payload.keys.len() > limits::MAX_KEYSET_KEYS {
        return Err(invalid(format!(
            "`keys` has {} keys, not 1 to {}",
            payload.keys.len(),
            limits::MAX_KEYSET_KEYS
        )));
    }
    let mut keys = KeySet::default();
    for (i, jwk) in payload.keys.iter().enumerate() {
        let bad = |reason: String| invalid(format!("`keys[{i}]`: {reason}"));
        if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
            return Err(bad(format!(
                "is `{}`/`{}`, not `OKP`/`Ed25519`",
                jwk.kty.escape_debug(),
                jwk.crv.escape_debug()
            )));
        }
        if jwk.kid.is_empty() {
            return Err(bad("has an empty `kid`".into()));
        }
        let x = URL_SAFE_NO_PAD
            .decode(&jwk.x)
            .ok()
            .and_then(|x| <[u8; 32]>::try_from(x.as_slice()).ok())
            .ok_or_else(|| bad("`x` is not canonical unpadded base64url of 32 bytes".into()))?;
        if roots.has_kid_or_key(&jwk.kid, &x) {
            return Err(bad(format!(
                "`{}` is a root key: roots sign key sets and nothing else",
                jwk.kid.escape_debug()
            )));
        }
        keys.add_ed25519(&jwk.kid, &x).map_err(|e| match e {
            KeyError::DuplicateKid(kid) => {
                bad(format!("two keys have the kid `{}`", kid.escape_debug()))
            }
            other => bad(other.to_string()),
        })?;
    }
    Ok(keys)
}
