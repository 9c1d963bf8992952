//! The keys a guard verifies bundles with (`policy.md` §2): the superapp's
//! SecretKey for `HS256`, and Ed25519 public keys by `kid` for `EdDSA`; and
//! (contract v3) the root keys key sets are verified with, which are Ed25519
//! public keys too.
//!
//! A device holds public keys only: a JWK carrying the private `d` is refused,
//! and so is a public key an attacker could have chosen to make forgeries
//! easy (a small-order point, or a non-canonical encoding of one).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use hmac::{Hmac, Mac};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// A superapp's SecretKey: 16, 24 or 32 ASCII letters and digits.
#[derive(Clone)]
pub struct SecretKey(Box<[u8]>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

    pub(crate) fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; fall back to an
        // empty-key MAC rather than panic, which would only ever fail to verify.
        HmacSha256::new_from_slice(&self.0)
            .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()))
    }
}

/// Why a key set cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key-set JSON does not have the documented shape.
    #[error("key set is not of the form {{\"secret\"?, \"keys\"?}}: {0}")]
    Json(String),
    /// Neither a SecretKey nor an Ed25519 key.
    #[error("key set has neither a `secret` nor any `keys`")]
    Empty,
    /// The SecretKey is not valid.
    #[error("`secret`: {0}")]
    Secret(SecretError),
    /// A JWK with its private part: a device never holds a private key.
    #[error("key `{0}` carries the private part `d`; configure only public keys")]
    PrivateKey(String),
    /// A JWK that is not an Ed25519 public key as RFC 8037 writes it.
    #[error("key `{kid}`: {reason}")]
    Jwk {
        /// The key's `kid` (empty when it has none).
        kid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two keys with one `kid`.
    #[error("two keys have the kid `{0}`")]
    DuplicateKid(String),
    /// A small-order or non-canonically encoded public key, which strict
    /// verification (RFC 8032 §5.1.7) refuses.
    #[error("key `{0}` is a small-order or non-canonical Ed25519 point")]
    WeakKey(String),
}

/// The keys a guard verifies bundles with: a SecretKey (HS256), Ed25519
/// public keys by `kid` (EdDSA), or both.
///
/// # Examples
///
/// ```
/// use guard_core::keys::KeySet;
///
/// let keys = KeySet::from_json(r#"{"secret":"k3yK3yk3yK3yk3y1","keys":[
///   {"kty":"OKP","crv":"Ed25519","kid":"2026-12","x":"oGLZaSl9yuoXZCZf2lzTC5uLVjx9UhtG0Jo51ARBBIQ"}]}"#).unwrap();
/// assert_eq!(keys.kids().collect::<Vec<_>>(), ["2026-12"]);
/// assert!(KeySet::from_json("{}").is_err());
/// ```
#[derive(Clone, Default)]
pub struct KeySet {
    secret: Option<SecretKey>,
    ed25519: Vec<(String, VerifyingKey)>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("secret", &self.secret)
            .field("ed25519", &self.kids().collect::<Vec<_>>())
            .finish()
    }
}

/// A key set's JSON, read by the shared member loop of [`crate::members`]
/// (decision 601), as every JWK in it.
struct KeySetJson {
    secret: Option<String>,
    keys: Option<Vec<Jwk>>,
}

impl<'de> crate::members::Members<'de> for KeySetJson {
    const EXPECTING: &'static str = "struct KeySetJson";
    const NAMES: &'static [&'static str] = &["secret", "keys"];
    const REQUIRED: u64 = 0;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.secret = map.next_value()?,
            _ => self.keys = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for KeySetJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeySetJson, D::Error> {
        let empty = KeySetJson {
            secret: None,
            keys: None,
        };
        crate::members::read(d, empty)
    }
}

/// An OKP JWK (RFC 8037 §2). `d` is read only to refuse it.
struct Jwk {
    kty: String,
    crv: String,
    kid: Option<String>,
    x: String,
    d: Option<IgnoredAny>,
    alg: Option<String>,
    /// `use`.
    usage: Option<String>,
}

impl<'de> crate::members::Members<'de> for Jwk {
    const EXPECTING: &'static str = "struct Jwk";
    const NAMES: &'static [&'static str] = &["kty", "crv", "kid", "x", "d", "alg", "use"];
    const REQUIRED: u64 = 0b1011;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.kty = map.next_value()?,
            1 => self.crv = map.next_value()?,
            2 => self.kid = map.next_value()?,
            3 => self.x = map.next_value()?,
            4 => self.d = map.next_value()?,
            5 => self.alg = map.next_value()?,
            _ => self.usage = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Jwk, D::Error> {
        let empty = Jwk {
            kty: String::new(),
            crv: String::new(),
            kid: None,
            x: String::new(),
            d: None,
            alg: None,
            usage: None,
        };
        crate::members::read(d, empty)
    }
}

impl KeySet {
    /// A key set of one SecretKey (HS256 bundles only).
    pub fn secret(key: SecretKey) -> KeySet {
        KeySet {
            secret: Some(key),
            ed25519: Vec::new(),
        }
    }

    /// Adds (or replaces) the SecretKey.
    #[cfg(test)]
    pub(crate) fn set_secret(&mut self, key: SecretKey) {
        self.secret = Some(key);
    }

    /// Whether the set holds an Ed25519 key with this `kid` or these bytes.
    pub(crate) fn has_kid_or_key(&self, kid: &str, x: &[u8; 32]) -> bool {
        self.ed25519
            .iter()
            .any(|(k, v)| k == kid || v.as_bytes() == x)
    }

    /// Reads `{"secret"?: "<SecretKey>", "keys"?: [<Ed25519 public JWK>...]}`,
    /// at least one of the two.
    ///
    /// # Errors
    ///
    /// A [`KeyError`] for bad JSON, an empty set, a bad SecretKey, a JWK that
    /// is not an Ed25519 public key (a private `d` included), a duplicate
    /// `kid`, or a small-order or non-canonical key.
    pub fn from_json(text: &str) -> Result<KeySet, KeyError> {
        let raw: KeySetJson =
            crate::json_reader::from_str(text).map_err(|e| KeyError::Json(e.to_string()))?;
        let mut set = KeySet::default();
        if let Some(secret) = raw.secret {
            set.secret = Some(SecretKey::new(&secret).map_err(KeyError::Secret)?);
        }
        for jwk in raw.keys.unwrap_or_default() {
            set.add_jwk(jwk)?;
        }
        if set.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(set)
    }

    fn add_jwk(&mut self, jwk: Jwk) -> Result<(), KeyError> {
        let kid = jwk.kid.unwrap_or_default();
        let bad = |reason: String| KeyError::Jwk {
            kid: kid.clone(),
            reason,
        };
        if jwk.d.is_some() {
            return Err(KeyError::PrivateKey(kid));
        }
        if kid.is_empty() {
            return Err(bad("has no `kid`".into()));
        }
        if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
            return Err(bad(format!(
                "is `{}`/`{}`, not `OKP`/`Ed25519`",
                jwk.kty, jwk.crv
            )));
        }
        if let Some(alg) = jwk.alg.filter(|a| a != "EdDSA") {
            return Err(bad(format!("has `alg` `{alg}`, not `EdDSA`")));
        }
        if let Some(usage) = jwk.usage.filter(|u| u != "sig") {
            return Err(bad(format!("has `use` `{usage}`, not `sig`")));
        }
        let x = URL_SAFE_NO_PAD
            .decode(&jwk.x)
            .map_err(|e| bad(format!("`x` is not unpadded base64url: {e}")))?;
        let x = <[u8; 32]>::try_from(x.as_slice())
            .map_err(|_| bad(format!("`x` is {} bytes, not 32", x.len())))?;
        self.add_ed25519(&kid, &x)
    }

    /// Adds the Ed25519 public key `x` (its 32-byte encoding) as `kid`.
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateKid`], or [`KeyError::WeakKey`] for a point that
    /// does not decode, has small order, or is not canonically encoded.
    pub fn add_ed25519(&mut self, kid: &str, x: &[u8; 32]) -> Result<(), KeyError> {
        if self.ed25519.iter().any(|(k, _)| k == kid) {
            return Err(KeyError::DuplicateKid(kid.to_owned()));
        }
        let weak = || KeyError::WeakKey(kid.to_owned());
        let key = VerifyingKey::from_bytes(x).map_err(|_| weak())?;
        // `verify_strict` refuses small-order keys at every verification;
        // refusing them here as well tells the operator at configuration. A
        // non-canonical encoding decodes to a point whose canonical encoding
        // differs, and would be hashed into the challenge as given.
        if key.is_weak() || key.to_edwards().compress().to_bytes() != *x {
            return Err(weak());
        }
        self.ed25519.push((kid.to_owned(), key));
        Ok(())
    }

    /// Whether the set holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.secret.is_none() && self.ed25519.is_empty()
    }

    /// The `kid`s of the Ed25519 keys, in configuration order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.ed25519.iter().map(|(k, _)| k.as_str())
    }

    /// The SecretKey, the only key an HS256 bundle verifies with.
    pub(crate) fn secret_key(&self) -> Option<&SecretKey> {
        self.secret.as_ref()
    }

    /// The Ed25519 key named `kid`, compared exactly.
    pub(crate) fn ed25519(&self, kid: &str) -> Option<&VerifyingKey> {
        self.ed25519.iter().find(|(k, _)| k == kid).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!format!("{:?}", SecretKey::new("k3yK3yk3yK3yk3y1").unwrap()).contains("k3y"));
    }

    const X: &str = "oGLZaSl9yuoXZCZf2lzTC5uLVjx9UhtG0Jo51ARBBIQ";

    fn jwk(extra: &str) -> String {
        format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{X}"{extra}}}]}}"#)
    }

    #[test]
    fn key_sets_take_public_ed25519_keys_and_secrets() {
        assert!(KeySet::from_json(&jwk("")).is_ok());
        assert!(KeySet::from_json(&jwk(r#","alg":"EdDSA","use":"sig""#)).is_ok());
        assert!(KeySet::from_json(r#"{"secret":"k3yK3yk3yK3yk3y1"}"#).is_ok());
        assert_eq!(KeySet::from_json("{}").unwrap_err(), KeyError::Empty);
        assert_eq!(
            KeySet::from_json(r#"{"keys":[]}"#).unwrap_err(),
            KeyError::Empty
        );
        assert!(matches!(
            KeySet::from_json(&jwk(r#","d":"78xj0M_ZhdewqdwgtHCcNYSXlr2qZeERnfG5l7L--Oc""#)),
            Err(KeyError::PrivateKey(k)) if k == "k1"
        ));
        assert!(matches!(
            KeySet::from_json(&jwk(r#","alg":"HS256""#)),
            Err(KeyError::Jwk { .. })
        ));
        assert!(matches!(
            KeySet::from_json(r#"{"secret":"short"}"#),
            Err(KeyError::Secret(_))
        ));
        assert!(matches!(
            KeySet::from_json(r#"{"secrets":"k3yK3yk3yK3yk3y1"}"#),
            Err(KeyError::Json(_))
        ));
        let twice = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{X}"}},{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{X}"}}]}}"#
        );
        assert_eq!(
            KeySet::from_json(&twice).unwrap_err(),
            KeyError::DuplicateKid("k1".into())
        );
        // Debug names kids, never key bytes.
        let set = KeySet::from_json(&jwk("")).unwrap();
        assert!(!format!("{set:?}").contains(X));
    }

    #[test]
    fn small_order_and_non_canonical_keys_are_refused() {
        let mut set = KeySet::default();
        // The identity (order 1), a point of order 2, and of order 4.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut order2 = [0u8; 32];
        order2[0] = 0xec;
        order2[1..31].fill(0xff);
        order2[31] = 0x7f;
        let order4 = [0u8; 32];
        for (i, x) in [identity, order2, order4].iter().enumerate() {
            assert!(
                matches!(
                    set.add_ed25519(&format!("w{i}"), x),
                    Err(KeyError::WeakKey(_))
                ),
                "{i}"
            );
        }
        // y = p + 1 encodes the identity's y = 1 non-canonically.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        assert!(matches!(
            set.add_ed25519("nc", &non_canonical),
            Err(KeyError::WeakKey(_))
        ));
        assert!(set.is_empty());
    }
}
