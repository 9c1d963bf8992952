//! JWS compact serialisation (RFC 7515) as both signed documents of the
//! contract use it: bundles (`policy.md` §2) and key sets (§2.1). The shape,
//! the header checks every document shares (`alg`, `crit`), and the two
//! signature algorithms. What a header's `kid` and `typ` mean is the caller's:
//! a bundle and a key set look keys up in different places.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::Mac;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::keys::SecretKey;

/// The `typ` of a key set's header (§2.1), compared exactly.
pub(crate) const KEYSET_TYP: &str = "guard-keyset+jws";

/// Why a signed document was refused before its payload was read; each maps
/// to one load outcome of §2.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not three base64url parts, bad base64, a header that is not a JSON
    /// object, or a `crit` header.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// A header `alg` other than `HS256` and `EdDSA`.
    #[error("unsupported alg `{0}` (only HS256 and EdDSA are accepted)")]
    UnsupportedAlg(String),
    /// The `alg` has no configured key, or the `kid` names none.
    #[error("unknown key: {0}")]
    UnknownKey(String),
    /// The MAC or signature does not verify under the key it names.
    #[error("bad signature: the signature does not verify under this superapp's {0}")]
    BadSignature(&'static str),
}

/// The two algorithms of §2; `alg` is compared exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Hs256,
    EdDsa,
}

/// The header members the contract reads. `jwk`, `jku`, `x5u` and `x5c` are
/// never read: keys come only from the guard's configuration and key sets.
/// `alg` is read as any JSON value, so that one that is not a string is an
/// `alg` other than the two (`unsupported_alg`, §2.1 step 2), not a header
/// that is not an object.
struct RawHeader {
    alg: Option<Member>,
    kid: Option<Member>,
    typ: Option<Member>,
    crit: Present,
}

/// Read by the shared member loop of [`crate::members`] (decision 602):
/// other members are skipped, a member written twice is refused, and so
/// is a header that is not a JSON object (an array included).
impl<'de> crate::members::Members<'de> for RawHeader {
    const EXPECTING: &'static str = "struct RawHeader";
    const NAMES: &'static [&'static str] = &["alg", "kid", "typ", "crit"];
    const REQUIRED: u64 = 0;
    const OTHERS_SKIPPED: bool = true;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.alg = map.next_value()?,
            1 => self.kid = map.next_value()?,
            2 => self.typ = map.next_value()?,
            _ => self.crit = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for RawHeader {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawHeader, D::Error> {
        let empty = RawHeader {
            alg: None,
            kid: None,
            typ: None,
            crit: Present(false),
        };
        crate::members::read(d, empty)
    }
}

/// A header member's value as the checks need it: a string or anything
/// else (`null` is an absent member, as `Option` reads it). Not a
/// `serde_json::Value`: building one linked `Value`'s reader and its map
/// (~13 KB of the `.wasm`) to tell a string from the rest.
#[derive(Debug)]
enum Member {
    Text(String),
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Member, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

/// Takes any JSON value, keeping only a string.
struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Member, E> {
        Ok(Member::Text(v.to_owned()))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
}

/// Whether a header member is there at all, whatever its value: `"crit":
/// null` is a `crit` member as much as `"crit": ["exp"]` (§2.1: a `crit`
/// member is `malformed_bundle`), while `Option` would read `null` as absent.
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Present, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// A document whose shape and header passed, not yet verified.
#[derive(Debug)]
pub(crate) struct Jws<'a> {
    pub(crate) alg: Alg,
    kid: Option<Member>,
    typ: Option<Member>,
    /// The decoded payload bytes.
    pub(crate) payload: Vec<u8>,
    /// `BASE64URL(header) "." BASE64URL(payload)` as received.
    pub(crate) signing_input: &'a [u8],
    sig: Vec<u8>,
}

/// Splits and decodes `text`, and checks what every header must satisfy, in
/// the contract's order: shape and size (`malformed_bundle`), `alg`
/// (`unsupported_alg`), then `crit` (`malformed_bundle`, RFC 7515 §4.1.11: a
/// recipient refuses extensions it does not understand, and `b64: false`
/// under `crit` would change the signing input).
pub(crate) fn parse(text: &str, max_bytes: usize) -> Result<Jws<'_>, BundleError> {
    if text.len() > max_bytes {
        return Err(BundleError::Malformed(format!(
            "{} bytes, more than the limit of {max_bytes}",
            text.len()
        )));
    }
    let mut parts = text.split('.');
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
    let header = crate::json_path::utf8(&header_bytes).map_err(|(_, e)| e);
    let header: RawHeader = header
        .and_then(|text| crate::json_reader::from_str(text).map_err(|e| e.to_string()))
        .map_err(|e| BundleError::Malformed(format!("header is not a JSON object: {e}")))?;
    let alg = match &header.alg {
        Some(Member::Text(name)) => match name.as_str() {
            "HS256" => Alg::Hs256,
            "EdDSA" => Alg::EdDsa,
            other => {
                return Err(BundleError::UnsupportedAlg(
                    other.escape_debug().to_string(),
                ))
            }
        },
        None => return Err(BundleError::UnsupportedAlg("(missing)".into())),
        Some(Member::Other) => return Err(BundleError::UnsupportedAlg("(not a string)".into())),
    };
    if header.crit.0 {
        return Err(BundleError::Malformed(
            "critical header extensions (`crit`) are not supported".into(),
        ));
    }
    let signing_input = text
        .get(..h64.len() + 1 + p64.len())
        .unwrap_or_default()
        .as_bytes();
    Ok(Jws {
        alg,
        kid: header.kid,
        typ: header.typ,
        payload,
        signing_input,
        sig,
    })
}

impl Jws<'_> {
    /// The header's `kid` for an EdDSA document: a string, else `unknown_key`.
    pub(crate) fn kid(&self) -> Result<&str, BundleError> {
        match &self.kid {
            Some(Member::Text(kid)) => Ok(kid),
            Some(Member::Other) => Err(BundleError::UnknownKey("`kid` is not a string".into())),
            None => Err(BundleError::UnknownKey(
                "an EdDSA document without `kid`".into(),
            )),
        }
    }

    /// Whether the header's `typ` is exactly the key sets' (§2.1).
    pub(crate) fn is_keyset(&self) -> bool {
        matches!(&self.typ, Some(Member::Text(t)) if t == KEYSET_TYP)
    }

    /// The header's `typ` as a short text for messages.
    pub(crate) fn typ_text(&self) -> String {
        match &self.typ {
            None => "(missing)".into(),
            Some(Member::Text(t)) => t.escape_debug().to_string(),
            Some(Member::Other) => "(not a string)".into(),
        }
    }

    /// Strict Ed25519 verification (RFC 8032 §5.1.7: non-canonical `S`,
    /// small-order `R` and small-order keys refused). `what` names the key
    /// in the error.
    pub(crate) fn verify_ed25519(
        &self,
        key: &VerifyingKey,
        what: &'static str,
    ) -> Result<(), BundleError> {
        let sig = <[u8; 64]>::try_from(self.sig.as_slice())
            .map_err(|_| BundleError::BadSignature(what))?;
        key.verify_strict(self.signing_input, &Signature::from_bytes(&sig))
            .map_err(|_| BundleError::BadSignature(what))
    }

    /// HMAC-SHA256 verification in constant time; returns the verified MAC.
    pub(crate) fn verify_hs256(
        &self,
        key: &SecretKey,
        what: &'static str,
    ) -> Result<[u8; 32], BundleError> {
        let mut mac = key.mac();
        mac.update(self.signing_input);
        mac.verify_slice(&self.sig)
            .map_err(|_| BundleError::BadSignature(what))?;
        <[u8; 32]>::try_from(self.sig.as_slice()).map_err(|_| BundleError::BadSignature(what))
    }

    /// The SHA-256 of the signing input: what tells "the same signed bytes
    /// again" (an Ed25519 signer may sign the same bytes twice with
    /// different signatures).
    pub(crate) fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.signing_input).into()
    }
}

/// `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(sig)`, with the
/// signature computed over the first two parts by `sign`.
pub(crate) fn compact(header: &str, payload: &[u8], sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let sig = sign(out.as_bytes());
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(header: &str) -> String {
        compact(header, b"{}", |_| vec![0; 64])
    }

    /// §2.1 step 2: a header that is a JSON object whose `alg` is not exactly
    /// one of the two is `unsupported_alg`, whatever JSON type the `alg` is.
    #[test]
    fn an_alg_that_is_not_a_string_is_unsupported() {
        for alg in [
            "1",
            "true",
            "[\"EdDSA\"]",
            "{\"EdDSA\":1}",
            "null",
            "\"eddsa\"",
        ] {
            let jws = with_header(&format!(r#"{{"alg":{alg},"kid":"k"}}"#));
            assert!(
                matches!(parse(&jws, 1 << 20), Err(BundleError::UnsupportedAlg(_))),
                "{alg}"
            );
        }
        assert!(parse(&with_header(r#"{"alg":"EdDSA"}"#), 1 << 20).is_ok());
    }

    /// §2.1: a `crit` member is `malformed_bundle` in every header, whatever
    /// its value, `null` included.
    #[test]
    fn a_crit_member_of_any_value_is_malformed() {
        for crit in ["null", "[]", "[\"exp\"]", "{}", "0"] {
            let jws = with_header(&format!(r#"{{"alg":"EdDSA","crit":{crit}}}"#));
            assert!(
                matches!(parse(&jws, 1 << 20), Err(BundleError::Malformed(_))),
                "{crit}"
            );
        }
        // An unknown member of another name is ignored.
        assert!(parse(&with_header(r#"{"alg":"EdDSA","critical":null}"#), 1 << 20).is_ok());
    }

    /// Decision 602: a header is a JSON object; an array of its members in
    /// the reader's order was read as one (`["EdDSA",null,null]` an EdDSA
    /// header), a shorter one refused for its length.
    #[test]
    fn a_header_written_as_an_array_is_malformed() {
        for header in [r#"["EdDSA"]"#, r#"["HS256",null,null]"#, "[]"] {
            let err = parse(&with_header(header), 1 << 20).unwrap_err();
            let BundleError::Malformed(message) = &err else {
                panic!("{header}: {err:?}");
            };
            assert!(
                message.starts_with(
                    "header is not a JSON object: invalid type: sequence, expected struct RawHeader"
                ),
                "{message}"
            );
        }
        let other = with_header(r#"{"alg":"EdDSA","x5u":[1],"zip":{"a":2}}"#);
        assert_eq!(parse(&other, 1 << 20).unwrap().alg, Alg::EdDsa);
        let twice = with_header(r#"{"alg":"EdDSA","kid":"a","kid":"b"}"#);
        assert!(matches!(
            parse(&twice, 1 << 20),
            Err(BundleError::Malformed(_))
        ));
    }

    /// A header member of every JSON type: only a string is read as one,
    /// `null` is absent, nested values are skipped whole, and a header that
    /// is not JSON stays `malformed_bundle`.
    #[test]
    fn header_members_of_every_json_type_are_told_apart() {
        let others = [
            "1",
            "-1",
            "1.5e300",
            "true",
            "[[\"k\"]]",
            "{\"k\":{\"k\":[1]}}",
        ];
        for other in others {
            let alg = with_header(&format!(r#"{{"alg":{other}}}"#));
            assert_eq!(
                parse(&alg, 1 << 20).unwrap_err(),
                BundleError::UnsupportedAlg("(not a string)".into()),
                "{other}"
            );
            let jws = with_header(&format!(r#"{{"alg":"EdDSA","kid":{other},"typ":{other}}}"#));
            let jws = parse(&jws, 1 << 20).unwrap();
            assert_eq!(
                jws.kid().unwrap_err(),
                BundleError::UnknownKey("`kid` is not a string".into())
            );
            assert_eq!(
                (jws.typ_text().as_str(), jws.is_keyset()),
                ("(not a string)", false)
            );
        }
        let null = with_header(r#"{"alg":null}"#);
        assert_eq!(
            parse(&null, 1 << 20).unwrap_err(),
            BundleError::UnsupportedAlg("(missing)".into())
        );
        let jws = with_header(r#"{"alg":"EdDSA","kid":null,"typ":"guard-keyset+jws"}"#);
        let jws = parse(&jws, 1 << 20).unwrap();
        assert!(matches!(jws.kid(), Err(BundleError::UnknownKey(_))) && jws.is_keyset());
        let named = with_header(r#"{"alg":"EdDSA","kid":"k\u0031","typ":"t\"x"}"#);
        let named = parse(&named, 1 << 20).unwrap();
        assert_eq!(
            (named.kid().unwrap(), named.typ_text().as_str()),
            ("k1", "t\\\"x")
        );
        for bad in [
            r#"{"alg":"EdDSA","kid":[1,}"#,
            r#"{"alg":"EdDSA","alg":"HS256"}"#,
            "[]",
            "x",
        ] {
            assert!(
                matches!(
                    parse(&with_header(bad), 1 << 20),
                    Err(BundleError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_header_that_is_not_utf8_is_malformed_and_says_where() {
        let header = URL_SAFE_NO_PAD.encode(b"{\"alg\":\"EdDSA\",\"kid\":\"\xff\"}");
        let err = parse(&format!("{header}.e30.AA"), 1 << 20).unwrap_err();
        assert_eq!(
            err,
            BundleError::Malformed(
                "header is not a JSON object: invalid UTF-8 at line 1 column 23".into()
            )
        );
    }
}
