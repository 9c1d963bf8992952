//! How a guard is created (`policy.md` §2 and §2.1): with a SecretKey and/or
//! Ed25519 signing keys (v1, v2), or (v3) with root keys and the superapp it
//! serves, never both; and with the URL prefixes the host treats as local
//! media (§3.7). Asking for an impossible guard is a configuration error,
//! reported when the guard is created, never a guard that allows more.

use serde::de::{Deserialize, Deserializer, MapAccess};
use thiserror::Error;
use url::Url;

use crate::json_reader::Raw;
use crate::keys::{KeyError, KeySet};
use crate::limits;
use crate::policy::check_name;

/// Why a guard cannot be created as asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration JSON does not have the documented shape.
    #[error("guard configuration is not of the form {{\"secret\"?, \"keys\"?, \"roots\"?, \"superapp_id\"?, \"local_prefixes\"?}}: {0}")]
    Json(String),
    /// Root keys together with a SecretKey or signing keys (§2.1).
    #[error("a guard is created with root keys or with a SecretKey and signing keys, never both")]
    RootsWithKeys,
    /// Root keys without the superapp they serve, or the reverse.
    #[error("root keys and `superapp_id` go together")]
    RootsWithoutSuperapp,
    /// Nothing to verify bundles with.
    #[error("no SecretKey, signing keys or root keys")]
    Empty,
    /// Too many root keys.
    #[error("{0} root keys, more than {max}", max = limits::MAX_ROOTS)]
    TooManyRoots(usize),
    /// A key is not usable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The `superapp_id` is not a valid name.
    #[error("`superapp_id`: {0}")]
    SuperappId(String),
    /// A local prefix is not an absolute URL whose path ends in `/` (§3.7).
    #[error("local prefix `{prefix}` {reason}")]
    LocalPrefix {
        /// The prefix as given.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// What verifies signed documents: keys given directly, or roots.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// v1, v2: a SecretKey and/or Ed25519 signing keys.
    Keys(KeySet),
    /// v3: root keys (they sign key sets, nothing else) and the superapp.
    Roots { roots: KeySet, superapp_id: String },
}

/// How to create a guard.
///
/// # Examples
///
/// ```
/// use guard_core::{Guard, GuardConfig, ConfigError};
/// let roots = r#"{"roots":[{"kty":"OKP","crv":"Ed25519","kid":"root-1",
///   "x":"CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4"}],"superapp_id":"demo",
///   "local_prefixes":["http://tmp/"]}"#;
/// let guard = Guard::from_config(GuardConfig::from_json(roots).unwrap());
/// assert_eq!(guard.root_superapp(), Some("demo"));
/// let both = r#"{"secret":"k3yK3yk3yK3yk3y1","roots":[{"kty":"OKP","crv":"Ed25519",
///   "kid":"root-1","x":"CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4"}],"superapp_id":"demo"}"#;
/// assert_eq!(GuardConfig::from_json(both).unwrap_err(), ConfigError::RootsWithKeys);
/// ```
#[derive(Debug, Clone)]
pub struct GuardConfig {
    pub(crate) trust: Trust,
    pub(crate) local_prefixes: Vec<String>,
}

/// The configuration document, read by the shared member loop of
/// [`crate::members`] (decision 601).
struct ConfigJson {
    secret: Option<String>,
    // The JWKs as written, handed to `KeySet::from_json` as they are: a
    // parsed `Value` written back out links `Value`'s serialisation into the
    // `.wasm` for no decision (8.6 KB raw), and settles a member written
    // twice on the last one silently (decision 401).
    keys: Option<Vec<Raw>>,
    roots: Option<Vec<Raw>>,
    superapp_id: Option<String>,
    local_prefixes: Vec<String>,
}

impl<'de> crate::members::Members<'de> for ConfigJson {
    const EXPECTING: &'static str = "struct ConfigJson";
    const NAMES: &'static [&'static str] =
        &["secret", "keys", "roots", "superapp_id", "local_prefixes"];
    const REQUIRED: u64 = 0;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.secret = map.next_value()?,
            1 => self.keys = map.next_value()?,
            2 => self.roots = map.next_value()?,
            3 => self.superapp_id = map.next_value()?,
            _ => self.local_prefixes = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for ConfigJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ConfigJson, D::Error> {
        let empty = ConfigJson {
            secret: None,
            keys: None,
            roots: None,
            superapp_id: None,
            local_prefixes: Vec::new(),
        };
        crate::members::read(d, empty)
    }
}

impl GuardConfig {
    /// A guard that verifies bundles with `keys` (v1, v2).
    pub fn keys(keys: KeySet) -> GuardConfig {
        GuardConfig {
            trust: Trust::Keys(keys),
            local_prefixes: Vec::new(),
        }
    }

    /// A guard created with root keys for the superapp `superapp_id` (v3):
    /// its signing keys arrive only in key sets signed by one of `roots`.
    pub fn roots(roots: KeySet, superapp_id: &str) -> GuardConfig {
        GuardConfig {
            trust: Trust::Roots {
                roots,
                superapp_id: superapp_id.to_owned(),
            },
            local_prefixes: Vec::new(),
        }
    }

    /// Adds the URL prefixes the host treats as local media sources (§3.7),
    /// each validated and kept as its WHATWG serialisation.
    ///
    /// # Errors
    ///
    /// [`ConfigError::LocalPrefix`] for a prefix that is not an absolute URL
    /// whose path ends in `/`, or that has a query, fragment or userinfo.
    pub fn with_local_prefixes<S: AsRef<str>>(
        mut self,
        prefixes: &[S],
    ) -> Result<GuardConfig, ConfigError> {
        if prefixes.len() > limits::MAX_LOCAL_PREFIXES {
            return Err(ConfigError::LocalPrefix {
                prefix: format!("({} prefixes)", prefixes.len()),
                reason: "is one of more prefixes than the guard takes",
            });
        }
        for p in prefixes {
            self.local_prefixes.push(local_prefix(p.as_ref())?);
        }
        Ok(self)
    }

    /// Reads `{"secret"?, "keys"?, "roots"?, "superapp_id"?, "local_prefixes"?}`:
    /// a SecretKey and/or public signing JWKs, or public root JWKs with
    /// `superapp_id`, never both.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] saying what is wrong.
    pub fn from_json(text: &str) -> Result<GuardConfig, ConfigError> {
        let raw: ConfigJson =
            crate::json_reader::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        let config = match (raw.roots, raw.superapp_id) {
            (Some(roots), Some(superapp_id)) => {
                if raw.secret.is_some() || raw.keys.is_some() {
                    return Err(ConfigError::RootsWithKeys);
                }
                if roots.len() > limits::MAX_ROOTS {
                    return Err(ConfigError::TooManyRoots(roots.len()));
                }
                check_name(|| "superapp_id".into(), &superapp_id)
                    .map_err(|e| ConfigError::SuperappId(e.reason))?;
                let json = key_set_json(None, Some(&roots))?;
                let roots = KeySet::from_json(&json).map_err(|e| match e {
                    KeyError::Empty => ConfigError::Empty,
                    other => ConfigError::Key(other),
                })?;
                GuardConfig::roots(roots, &superapp_id)
            }
            (None, None) => {
                let json = key_set_json(raw.secret.as_deref(), raw.keys.as_deref())?;
                let keys = KeySet::from_json(&json).map_err(|e| match e {
                    KeyError::Empty => ConfigError::Empty,
                    other => ConfigError::Key(other),
                })?;
                GuardConfig::keys(keys)
            }
            _ => return Err(ConfigError::RootsWithoutSuperapp),
        };
        config.with_local_prefixes(&raw.local_prefixes)
    }
}

/// The key-set JSON `{"secret"?, "keys"?}` of a configuration's fields (as
/// `KeySet::from_json` reads it): the secret re-escaped, the JWKs as written.
fn key_set_json(secret: Option<&str>, keys: Option<&[Raw]>) -> Result<String, ConfigError> {
    let mut json = String::from("{");
    if let Some(secret) = secret {
        json.push_str("\"secret\":");
        json.push_str(
            &serde_json::to_string(secret).map_err(|e| ConfigError::Json(e.to_string()))?,
        );
    }
    if let Some(keys) = keys {
        if secret.is_some() {
            json.push(',');
        }
        json.push_str("\"keys\":[");
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&key.0);
        }
        json.push(']');
    }
    json.push('}');
    Ok(json)
}

/// §3.7: a local prefix is an absolute URL whose path ends in `/`; kept as
/// its serialisation, which is what targets are compared with. A query,
/// fragment or userinfo would make "starts with" compare something other
/// than a folder, so they are refused too.
fn local_prefix(raw: &str) -> Result<String, ConfigError> {
    let bad = |reason| ConfigError::LocalPrefix {
        prefix: raw.escape_debug().to_string(),
        reason,
    };
    if raw.len() > limits::MAX_URL_BYTES {
        return Err(bad("is longer than a URL may be"));
    }
    let url = Url::parse(raw).map_err(|_| bad("is not an absolute URL"))?;
    if url.cannot_be_a_base() || !url.path().ends_with('/') {
        return Err(bad("has no path ending in `/`"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("has userinfo"));
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_prefixes_are_folders_of_absolute_urls() {
        let ok = |p: &str| local_prefix(p).unwrap();
        assert_eq!(ok("http://tmp/"), "http://tmp/");
        assert_eq!(ok("HTTP://TMP:80/a/"), "http://tmp/a/");
        // The serialisation decides: `http://tmp` is the folder `http://tmp/`.
        assert_eq!(ok("http://tmp"), "http://tmp/");
        for bad in [
            "http://tmp/a",
            "tmp/",
            "/tmp/",
            "http://tmp/?q/",
            "http://tmp/#/",
            "http://u@tmp/",
            "data:x/",
            "",
        ] {
            assert!(local_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_reach_the_key_set_reader_as_written() {
        let x = "CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4";
        let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"k","x":"{x}"}}"#);
        // The secret's value reaches the reader, not its JSON spelling.
        let secret = r#""k3yK3yk3yK3y\u006b3y1""#;
        let both = GuardConfig::from_json(&format!(r#"{{"secret":{secret},"keys":[{jwk}]}}"#));
        assert!(both.is_ok(), "{:?}", both.err());
        // A member written twice is refused, never settled on one of the two
        // (a parsed value written back out would keep the last silently).
        let twice = format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA","x":"{x}"}}"#);
        assert!(matches!(
            GuardConfig::from_json(&format!(r#"{{"keys":[{twice}]}}"#)),
            Err(ConfigError::Key(_))
        ));
        // Neither is a JWK that is not an object.
        assert!(GuardConfig::from_json(r#"{"keys":[7]}"#).is_err());
    }

    /// Decision 601: the configuration and each JWK in it are objects; a
    /// JWK written as an array (its `d` in place) is refused as one, not
    /// read as a key with a private part.
    #[test]
    fn a_configuration_or_jwk_written_as_an_array_is_refused() {
        let refusal = |text: &str| GuardConfig::from_json(text).unwrap_err().to_string();
        assert_eq!(
            refusal(r#"["k3yK3yk3yK3yk3y1"]"#),
            "guard configuration is not of the form {\"secret\"?, \"keys\"?, \"roots\"?, \"superapp_id\"?, \"local_prefixes\"?}: invalid type: sequence, expected struct ConfigJson at line 1 column 0"
        );
        let jwk =
            r#"{"keys":[["OKP","Ed25519","k","oGLZaSl9yuoXZCZf2lzTC5uLVjx9UhtG0Jo51ARBBIQ","d"]]}"#;
        assert!(
            refusal(jwk)
                .ends_with("invalid type: sequence, expected struct Jwk at line 1 column 9"),
            "{}",
            refusal(jwk)
        );
    }

    #[test]
    fn roots_never_come_with_keys() {
        let root = r#"[{"kty":"OKP","crv":"Ed25519","kid":"r","x":"CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4"}]"#;
        let with = |extra: &str| GuardConfig::from_json(&format!(r#"{{"roots":{root},{extra}}}"#));
        assert!(with(r#""superapp_id":"s""#).is_ok());
        assert_eq!(
            with(r#""superapp_id":"s","keys":[]"#).unwrap_err(),
            ConfigError::RootsWithKeys
        );
        assert_eq!(
            with(r#""local_prefixes":[]"#).unwrap_err(),
            ConfigError::RootsWithoutSuperapp
        );
        assert_eq!(
            GuardConfig::from_json(r#"{"superapp_id":"s","secret":"k3yK3yk3yK3yk3y1"}"#)
                .unwrap_err(),
            ConfigError::RootsWithoutSuperapp
        );
        assert_eq!(
            GuardConfig::from_json(r#"{"roots":[],"superapp_id":"s"}"#).unwrap_err(),
            ConfigError::Empty
        );
        assert!(matches!(
            with(r#""superapp_id":"a b""#).unwrap_err(),
            ConfigError::SuperappId(_)
        ));
        let private = r#"[{"kty":"OKP","crv":"Ed25519","kid":"r","x":"CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4","d":"ulYVx_tD0KiLcaJx0puU3Z_kGbBiLosD5jhkjeSrTVg"}]"#;
        assert!(matches!(
            GuardConfig::from_json(&format!(r#"{{"roots":{private},"superapp_id":"s"}}"#)),
            Err(ConfigError::Key(KeyError::PrivateKey(_)))
        ));
    }
}
