//! Signed bundles (`policy.md` §2): JWS compact serialisation (RFC 7515),
//! `HS256` keyed by the superapp's SecretKey or (contract v2) `EdDSA` with an
//! Ed25519 key named by `kid` (RFC 8037), verified strictly.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::keys::KeySet;
use crate::limits;

type HmacSha256 = Hmac<Sha256>;

/// The header every bundle this crate signs carries.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A superapp's SecretKey: 16, 24 or 32 ASCII letters and digits.
#[derive(Clone)]
pub struct SecretKey(Box<[u8]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself: it ends up in logs.
        write!(f, "SecretKey({} bytes)", self.0.len())
    }
}

/// Why a string is not a usable SecretKey.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Not 16, 24 or 32 characters long.
    #[error("secret key must be 16, 24 or 32 characters long, not {0}")]
    Length(usize),
    /// A character other than an ASCII letter or digit.
    #[error("secret key must contain only ASCII letters and digits")]
    Alphabet,
}

impl SecretKey {
    /// Validates a SecretKey as the configuration-management seed recommends.
    ///
    /// # Errors
    ///
    /// [`SecretError`] for a wrong length or alphabet.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::SecretKey;
    /// assert!(SecretKey::new("k3yK3yk3yK3yk3y1").is_ok());
    /// assert!(SecretKey::new("short").is_err());
    /// ```
    pub fn new(secret: &str) -> Result<SecretKey, SecretError> {
        if !matches!(secret.len(), 16 | 24 | 32) {
            return Err(SecretError::Length(secret.chars().count()));
        }
        if !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SecretError::Alphabet);
        }
        Ok(SecretKey(secret.as_bytes().into()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; fall back to an
        // empty-key MAC rather than panic, which would only ever fail to verify.
        HmacSha256::new_from_slice(&self.0)
            .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()))
    }
}

/// The load outcome codes of §2 other than `ok` that bundle parsing can give.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not three base64url parts, bad base64, a header that is not a JSON object.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// A header `alg` other than `HS256` and `EdDSA`.
    #[error("unsupported alg `{0}` (only HS256 and EdDSA are accepted)")]
    UnsupportedAlg(String),
    /// The `alg` has no configured key, or the `kid` names none.
    #[error("unknown key: {0}")]
    UnknownKey(String),
    /// The MAC or signature does not verify under the key it names.
    #[error("bad signature: the bundle was not signed with this superapp's {0}")]
    BadSignature(&'static str),
}

/// What a [`BundleError::BadSignature`] names.
const SECRET_KEY: &str = "SecretKey";
const ED25519_KEY: &str = "Ed25519 key of that `kid`";

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    /// Read only for EdDSA: an HS256 bundle verifies with the SecretKey alone,
    /// whatever its `kid` says (no key confusion).
    kid: Option<serde_json::Value>,
    crit: Option<IgnoredAny>,
}

/// The two algorithms of §2; `alg` is compared exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Hs256,
    EdDsa,
}

impl Alg {
    fn parse(alg: &str) -> Option<Alg> {
        match alg {
            "HS256" => Some(Alg::Hs256),
            "EdDSA" => Some(Alg::EdDsa),
            _ => None,
        }
    }
}

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
    let mut out = URL_SAFE_NO_PAD.encode(HEADER);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let mut mac = key.mac();
    mac.update(out.as_bytes());
    let sig = mac.finalize().into_bytes();
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut out);
    out
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
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let sig = SigningKey::from_bytes(seed).sign(out.as_bytes());
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(sig.to_bytes(), &mut out);
    out
}

/// Verifies a bundle with a key set and returns its payload bytes.
///
/// # Errors
///
/// [`BundleError`], in the order of [`verify`]: shape and size, base64url,
/// header, `alg` and `crit`, the key (`unknown_key`), then the signature.
pub fn verify_with_keys(bundle: &str, keys: &KeySet) -> Result<Vec<u8>, BundleError> {
    verify_with_digest(bundle, keys).map(|(payload, _)| payload)
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

/// [`verify_with_keys`], also returning a digest of the signed content
/// (header and payload), so a guard can tell "the same bundle again": the
/// verified MAC for HS256 (no second hash of a large payload), the SHA-256 of
/// the signing input for EdDSA (an Ed25519 signer may sign the same bytes
/// twice with different signatures).
pub(crate) fn verify_with_digest(
    bundle: &str,
    keys: &KeySet,
) -> Result<(Vec<u8>, [u8; 32]), BundleError> {
    if bundle.len() > limits::MAX_BUNDLE_BYTES {
        return Err(BundleError::Malformed(format!(
            "{} bytes, more than the limit of {}",
            bundle.len(),
            limits::MAX_BUNDLE_BYTES
        )));
    }
    let mut parts = bundle.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BundleError::Malformed(
            "expected three base64url parts separated by `.`".into(),
        ));
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| BundleError::Malformed(format!("{what} is not unpadded base64url: {e}")))
    };
    let header_bytes = decode(h64, "header")?;
    let payload = decode(p64, "payload")?;
    let sig = decode(s64, "signature")?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|e| BundleError::Malformed(format!("header is not a JSON object: {e}")))?;
    let alg = match header.alg.as_deref() {
        Some(name) => Alg::parse(name)
            .ok_or_else(|| BundleError::UnsupportedAlg(name.escape_debug().to_string()))?,
        None => return Err(BundleError::UnsupportedAlg("(missing)".into())),
    };
    if header.crit.is_some() {
        // RFC 7515 §4.1.11: a recipient must refuse extensions it does not
        // understand, and `b64: false` under `crit` would change the signing input.
        return Err(BundleError::Malformed(
            "critical header extensions (`crit`) are not supported".into(),
        ));
    }
    let signing_input = bundle
        .get(..h64.len() + 1 + p64.len())
        .unwrap_or_default()
        .as_bytes();
    let digest = match alg {
        Alg::Hs256 => {
            let key = keys.secret_key().ok_or_else(|| {
                BundleError::UnknownKey("an HS256 bundle, and this guard has no SecretKey".into())
            })?;
            let mut mac = key.mac();
            mac.update(signing_input);
            mac.verify_slice(&sig)
                .map_err(|_| BundleError::BadSignature(SECRET_KEY))?;
            <[u8; 32]>::try_from(sig.as_slice())
                .map_err(|_| BundleError::BadSignature(SECRET_KEY))?
        }
        Alg::EdDsa => {
            let kid = match &header.kid {
                Some(serde_json::Value::String(kid)) => kid,
                Some(_) => return Err(BundleError::UnknownKey("`kid` is not a string".into())),
                None => {
                    return Err(BundleError::UnknownKey(
                        "an EdDSA bundle without `kid`".into(),
                    ))
                }
            };
            let key = keys.ed25519(kid).ok_or_else(|| {
                BundleError::UnknownKey(format!(
                    "no Ed25519 key has the kid `{}`",
                    kid.escape_debug()
                ))
            })?;
            let sig = <[u8; 64]>::try_from(sig.as_slice())
                .map_err(|_| BundleError::BadSignature(ED25519_KEY))?;
            // Strict (RFC 8032 §5.1.7): non-canonical S, small-order R and
            // small-order keys are refused.
            key.verify_strict(signing_input, &Signature::from_bytes(&sig))
                .map_err(|_| BundleError::BadSignature(ED25519_KEY))?;
            Sha256::digest(signing_input).into()
        }
    };
    Ok((payload, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::new("k3yK3yk3yK3yk3y1").unwrap()
    }

    fn with_header(header: &str, payload: &[u8], key: &SecretKey) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = key.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    #[test]
    fn secret_keys_follow_the_seed() {
        assert!(SecretKey::new("abcdefghijklmnopqrstuvwx").is_ok());
        assert!(SecretKey::new("abcdefghijklmnopqrstuvwxyz012345").is_ok());
        assert_eq!(SecretKey::new("abc").unwrap_err(), SecretError::Length(3));
        assert_eq!(
            SecretKey::new("abcdefghijklmnopq").unwrap_err(),
            SecretError::Length(17)
        );
        assert_eq!(
            SecretKey::new("abcdefghijklmno-").unwrap_err(),
            SecretError::Alphabet
        );
        assert!(!format!("{:?}", key()).contains("k3y"));
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
