//! Signed bundles (`policy.md` §2): JWS compact serialisation (RFC 7515),
//! `HS256` keyed by the superapp's SecretKey or (contract v2) `EdDSA` with an
//! Ed25519 key named by `kid` (RFC 8037), verified strictly. The JWS
//! mechanics shared with key sets are in `jws.rs`.

use ed25519_dalek::{Signer as _, SigningKey};

pub use crate::jws::BundleError;
use crate::jws::{self, Alg};
use crate::keys::KeySet;
pub use crate::keys::{SecretError, SecretKey};
use crate::limits;

/// The header every bundle this crate signs carries.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// What a [`BundleError::BadSignature`] names.
const SECRET_KEY: &str = "SecretKey";
const ED25519_KEY: &str = "Ed25519 key of that `kid`";

/// Signs `payload` (the policy JSON bytes) into a bundle.
///
/// # Examples
///
/// ```
/// use guard_core::{bundle, SecretKey};
/// let key = SecretKey::new("k3yK3yk3yK3yk3y1").unwrap();
/// let jws = bundle::sign(br#"{"schema":1}"#, &key);
/// assert_eq!(bundle::verify(&jws, &key).unwrap(), br#"{"schema":1}"#);
/// ```
pub fn sign(payload: &[u8], key: &SecretKey) -> String {
    jws::compact(HEADER, payload, |input| {
        let mut mac = key.mac();
        hmac::Mac::update(&mut mac, input);
        hmac::Mac::finalize(mac).into_bytes().to_vec()
    })
}

/// Signs `payload` into an `EdDSA` bundle (header `{"alg":"EdDSA","kid":…}`)
/// with the Ed25519 private key `seed` (the JWK's `d`, 32 bytes). For the
/// superapp's server and test tools; a device only verifies.
///
/// # Examples
///
/// ```
/// use guard_core::{bundle, keys::KeySet};
/// let seed = [7u8; 32];
/// let x = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
/// let mut keys = KeySet::default();
/// keys.add_ed25519("k1", &x).unwrap();
/// let jws = bundle::sign_ed25519(br#"{"schema":2}"#, "k1", &seed);
/// assert_eq!(bundle::verify_with_keys(&jws, &keys).unwrap(), br#"{"schema":2}"#);
/// ```
pub fn sign_ed25519(payload: &[u8], kid: &str, seed: &[u8; 32]) -> String {
    let header = serde_json::json!({ "alg": "EdDSA", "kid": kid }).to_string();
    sign_ed25519_with_header(&header, payload, seed)
}

/// Signs `payload` with the Ed25519 `seed` under a header given whole: for
/// key sets (`keyset::sign`) and for tests that need odd headers.
pub(crate) fn sign_ed25519_with_header(header: &str, payload: &[u8], seed: &[u8; 32]) -> String {
    let key = SigningKey::from_bytes(seed);
    jws::compact(header, payload, |input| key.sign(input).to_bytes().to_vec())
}

/// Verifies a bundle with a key set and returns its payload bytes.
///
/// # Errors
///
/// [`BundleError`], in the order of [`verify`]: shape and size, base64url,
/// header, `alg` and `crit`, the key (`unknown_key`), then the signature.
pub fn verify_with_keys(bundle: &str, keys: &KeySet) -> Result<Vec<u8>, BundleError> {
    verify_with_digest(bundle, keys).map(|v| v.payload)
}

/// Verifies a bundle and returns its payload bytes.
///
/// Checks run in this order, so the error says the first thing wrong: shape and
/// size, base64url, header JSON, `alg` (and `crit`), then the MAC, compared in
/// constant time. Nothing of the payload is interpreted before the MAC verifies.
///
/// # Errors
///
/// [`BundleError`] as above.
pub fn verify(bundle: &str, key: &SecretKey) -> Result<Vec<u8>, BundleError> {
    verify_with_keys(bundle, &KeySet::secret(key.clone()))
}

/// A bundle whose signature verified.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The policy JSON bytes.
    pub(crate) payload: Vec<u8>,
    /// What tells "the same bundle again": the verified MAC for HS256 (no
    /// second hash of a large payload), the SHA-256 of the signing input for
    /// EdDSA.
    pub(crate) digest: [u8; 32],
    /// The header's `typ` is a key set's (§2.1): a guard created with roots
    /// refuses the bundle as `invalid_policy`, after the signature.
    pub(crate) keyset_typ: bool,
}

/// [`verify_with_keys`], also returning the digest and what the header's
/// `typ` says.
pub(crate) fn verify_with_digest(bundle: &str, keys: &KeySet) -> Result<Verified, BundleError> {
    let doc = jws::parse(bundle, limits::MAX_BUNDLE_BYTES)?;
    let digest = match doc.alg {
        Alg::Hs256 => {
            let key = keys.secret_key().ok_or_else(|| {
                BundleError::UnknownKey("an HS256 bundle, and this guard has no SecretKey".into())
            })?;
            doc.verify_hs256(key, SECRET_KEY)?
        }
        Alg::EdDsa => {
            let kid = doc.kid()?;
            let key = keys.ed25519(kid).ok_or_else(|| {
                BundleError::UnknownKey(format!(
                    "no Ed25519 key has the kid `{}`",
                    kid.escape_debug()
                ))
            })?;
            doc.verify_ed25519(key, ED25519_KEY)?;
            doc.digest()
        }
    };
    let keyset_typ = doc.is_keyset();
    Ok(Verified {
        payload: doc.payload,
        digest,
        keyset_typ,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    fn key() -> SecretKey {
        SecretKey::new("k3yK3yk3yK3yk3y1").unwrap()
    }

    fn with_header(header: &str, payload: &[u8], key: &SecretKey) -> String {
        jws::compact(header, payload, |input| {
            let mut mac = key.mac();
            hmac::Mac::update(&mut mac, input);
            hmac::Mac::finalize(mac).into_bytes().to_vec()
        })
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let jws = sign(b"{}", &key());
        assert_eq!(verify(&jws, &key()).unwrap(), b"{}");
        let other = SecretKey::new("0000000000000000").unwrap();
        assert_eq!(
            verify(&jws, &other),
            Err(BundleError::BadSignature(SECRET_KEY))
        );
    }

    #[test]
    fn any_alg_but_hs256_is_refused_before_the_mac() {
        for alg in ["none", "None", "HS384", "RS256", "hs256", ""] {
            let jws = with_header(&format!(r#"{{"alg":"{alg}"}}"#), b"{}", &key());
            assert!(
                matches!(verify(&jws, &key()), Err(BundleError::UnsupportedAlg(_))),
                "{alg}"
            );
        }
        let jws = with_header(r#"{"typ":"JWT"}"#, b"{}", &key());
        assert!(matches!(
            verify(&jws, &key()),
            Err(BundleError::UnsupportedAlg(_))
        ));
        // Duplicate `alg` keys must not let a parser pick the friendly one.
        let jws = with_header(r#"{"alg":"none","alg":"HS256"}"#, b"{}", &key());
        assert!(matches!(
            verify(&jws, &key()),
            Err(BundleError::Malformed(_))
        ));
        let jws = with_header(
            r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
            b"{}",
            &key(),
        );
        assert!(matches!(
            verify(&jws, &key()),
            Err(BundleError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_shapes_are_refused() {
        let good = sign(b"{}", &key());
        let cases = [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{good}."),
            format!("{good}="),
            good.replace('.', "=."),
            format!("!{good}"),
            format!("{}.e30.{}", URL_SAFE_NO_PAD.encode("[1]"), "AAAA"),
            format!("{}.e30.{}", URL_SAFE_NO_PAD.encode("not json"), "AAAA"),
        ];
        for c in cases {
            assert!(
                matches!(verify(&c, &key()), Err(BundleError::Malformed(_))),
                "{c}"
            );
        }
    }

    #[test]
    fn a_flipped_payload_or_truncated_mac_is_a_bad_signature() {
        let good = sign(br#"{"version":1}"#, &key());
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(br#"{"version":2}"#),
            parts[2]
        );
        assert_eq!(
            verify(&tampered, &key()),
            Err(BundleError::BadSignature(SECRET_KEY))
        );
        parts[2].truncate(20);
        assert_eq!(
            verify(&parts.join("."), &key()),
            Err(BundleError::BadSignature(SECRET_KEY))
        );
        let empty_sig = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(
            verify(&empty_sig, &key()),
            Err(BundleError::BadSignature(SECRET_KEY))
        );
    }
}

#[cfg(test)]
mod key_kinds {
    use crate::bundle::{self, BundleError};
    use crate::keys::KeySet;
    use crate::SecretKey;

    /// An alg with no configured key is `unknown_key`, and an HS256 bundle
    /// never verifies with an Ed25519 key's bytes, whatever its `kid`.
    #[test]
    fn each_alg_verifies_only_with_its_own_kind_of_key() {
        let seed = [3u8; 32];
        let x = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let mut only_ed = KeySet::default();
        only_ed.add_ed25519("k", &x).unwrap();
        let secret = SecretKey::new("k3yK3yk3yK3yk3y1").unwrap();
        let hs = bundle::sign(b"{}", &secret);
        assert!(matches!(
            bundle::verify_with_keys(&hs, &only_ed),
            Err(BundleError::UnknownKey(_))
        ));
        let ed = bundle::sign_ed25519(b"{}", "k", &seed);
        assert!(matches!(
            bundle::verify_with_keys(&ed, &KeySet::secret(secret.clone())),
            Err(BundleError::UnknownKey(_))
        ));
        assert!(bundle::verify_with_keys(&ed, &only_ed).is_ok());
        // A 32-byte key made of the public key: an HS256 bundle keyed by it,
        // naming the Ed25519 key, is still checked against the SecretKey.
        let mut both = only_ed.clone();
        both.set_secret(secret);
        let forged = {
            use base64::engine::general_purpose::URL_SAFE_NO_PAD;
            use base64::Engine as _;
            use hmac::Mac as _;
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k"}"#),
                URL_SAFE_NO_PAD.encode("{}")
            );
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&x).unwrap();
            mac.update(input.as_bytes());
            format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        };
        assert!(matches!(
            bundle::verify_with_keys(&forged, &both),
            Err(BundleError::BadSignature(_))
        ));
    }
}
