//! The configuration file a superapp's server issues for its SDK
//! (`GET /api/v1/superapps/{sid}/config.json`, format
//! `guard-superapp-config/1`, `docs/server.md`): where the bundle, the key
//! set and the reports go, and (contract v3, `policy.md` §2.1) the root
//! public keys the key sets must be signed by. It names no key that signs or
//! authenticates.

use std::path::Path;

use guard_core::limits::MAX_NAME_BYTES;
use serde::Deserialize;
use url::{Host, Url};

use crate::error::SdkError;

/// The format this SDK reads.
pub const FORMAT: &str = "guard-superapp-config/1";

/// What the SDK puts in `Prefer: wait=` when the file has no
/// `long_poll_seconds` (servers before P5): below the server's default
/// maximum of 30 and common proxies' 60 s idle timeout.
pub const DEFAULT_LONG_POLL_SECONDS: u64 = 25;

/// The longest long-poll the SDK asks for, whatever the file says: request
/// timeouts grow with it, and a device should hear of a lost connection
/// within minutes.
const MAX_LONG_POLL_SECONDS: u64 = 300;

/// Most bytes of a configuration file read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The file as the server writes it; fields this SDK does not use (the
/// name, the templates, the platform ids, anything a later server adds)
/// are ignored, so that a newer server's file still boots an older SDK.
#[derive(Debug, Deserialize)]
struct Raw {
    format: String,
    superapp_id: String,
    server_url: String,
    bundle_url: String,
    #[serde(default)]
    keys_url: Option<String>,
    #[serde(default)]
    keyset_url: Option<String>,
    #[serde(default)]
    roots: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    reports_url: Option<String>,
    #[serde(default)]
    long_poll_seconds: Option<u64>,
}

/// A superapp's SDK configuration, checked.
///
/// URLs are `https`, or `http` to a loopback address only (a development
/// server on this machine). The key set is trusted because a root in
/// [`Config::roots`] signed it (contract v3), not because of the channel:
/// a proxy or CDN in front of the server cannot re-key the device. A
/// configuration without roots is refused by [`Config::from_json`]; only
/// [`Config::from_json_trusting_keys_json_for_tests`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The superapp the SDK enforces.
    pub superapp_id: String,
    /// The server's base URL.
    pub server_url: String,
    /// The superapp's bundle (every bound app), long-polled.
    pub bundle_url: String,
    /// The key set (a JWS a root signed) that lists the keys that sign its
    /// bundles; for a configuration made by the test-only
    /// [`Config::from_json_trusting_keys_json_for_tests`], the bare
    /// `keys.json`.
    pub keyset_url: String,
    /// The root public JWKs (Ed25519) key sets must be signed by; empty
    /// only for a configuration made by the test-only
    /// [`Config::from_json_trusting_keys_json_for_tests`].
    pub roots: Vec<serde_json::Value>,
    /// Where violation reports are posted (P2): the file's `reports_url`,
    /// else `{server_url}/api/v1/superapps/{superapp_id}/reports`.
    pub reports_url: String,
    /// What the SDK asks the server to hold a bundle request for
    /// (`Prefer: wait=`); 0 turns the long-poll off (polling only).
    pub long_poll_seconds: u64,
}

fn invalid(field: &str, reason: impl Into<String>) -> SdkError {
    SdkError::Config {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A URL the SDK may fetch: `https`, or `http` to a loopback address; no
/// credentials, no fragment.
fn checked_url(field: &str, text: &str) -> Result<Url, SdkError> {
    let url = Url::parse(text).map_err(|e| invalid(field, format!("`{text}`: {e}")))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                field,
                format!("`{text}`: plain http is allowed to a loopback address only"),
            ))
        }
        other => return Err(invalid(field, format!("`{text}`: scheme `{other}`"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(field, "credentials in the URL"));
    }
    if url.fragment().is_some() {
        return Err(invalid(field, format!("`{text}`: a fragment")));
    }
    Ok(url)
}

impl Config {
    /// Parses and checks a configuration file's text.
    ///
    /// # Errors
    ///
    /// [`SdkError::Config`] naming the field: not JSON or a missing field,
    /// another `format`, an empty or overlong `superapp_id`, no `roots` (or
    /// an empty list, or one that is not of JWK objects) or no
    /// `keyset_url`, a URL that is not `https` (or `http` to loopback),
    /// carries credentials or a fragment.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = guard_sdk::Config::from_json(r#"{"format":"guard-superapp-config/1",
    ///   "superapp_id":"demo","name":"Demo","server_url":"https://guard.example.com",
    ///   "bundle_url":"https://guard.example.com/api/v1/superapps/demo/bundle",
    ///   "keyset_url":"https://guard.example.com/api/v1/superapps/demo/keyset",
    ///   "roots":[{"kty":"OKP","crv":"Ed25519","kid":"root-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#)?;
    /// assert_eq!(c.reports_url, "https://guard.example.com/api/v1/superapps/demo/reports");
    /// assert_eq!(c.long_poll_seconds, 25);
    /// // Without roots, a proxy in front of the server could re-key the device.
    /// assert!(guard_sdk::Config::from_json(r#"{"format":"guard-superapp-config/1",
    ///   "superapp_id":"demo","server_url":"https://guard.example.com",
    ///   "bundle_url":"https://guard.example.com/api/v1/superapps/demo/bundle",
    ///   "keys_url":"https://guard.example.com/api/v1/superapps/demo/keys.json"}"#).is_err());
    /// # Ok::<(), guard_sdk::SdkError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Config, SdkError> {
        Config::parse(text, true)
    }

    /// TEST ONLY, the one escape hatch from roots: a configuration whose
    /// key set is the bare `keys_url` (v2's `keys.json`), trusted because of
    /// the channel it comes over. Anyone on that path (a proxy, a CDN, a
    /// captive portal) can then re-key the device and lock it out with a
    /// bundle of a huge version; a shipped app must use
    /// [`Config::from_json`]. A file with roots is read as
    /// [`Config::from_json`] reads it.
    ///
    /// # Errors
    ///
    /// As [`Config::from_json`], but `keys_url` is what must be there when
    /// `roots` is not.
    pub fn from_json_trusting_keys_json_for_tests(text: &str) -> Result<Config, SdkError> {
        Config::parse(text, false)
    }

    /// Whether the key sets are checked against roots (always, except for a
    /// configuration made by the test-only escape hatch).
    pub fn has_roots(&self) -> bool {
        !self.roots.is_empty()
    }

    /// The configuration the guard module is created from (contract v3:
    /// `{"roots","superapp_id"}`); `None` without roots.
    pub(crate) fn guard_config(&self) -> Option<String> {
        self.has_roots().then(|| {
            serde_json::json!({"roots": self.roots, "superapp_id": self.superapp_id}).to_string()
        })
    }

    fn parse(text: &str, need_roots: bool) -> Result<Config, SdkError> {
        let raw: Raw = serde_json::from_str(text).map_err(|e| invalid("config", e.to_string()))?;
        if raw.format != FORMAT {
            return Err(invalid(
                "format",
                format!("`{}`; this SDK reads `{FORMAT}`", raw.format),
            ));
        }
        if raw.superapp_id.is_empty() || raw.superapp_id.len() > MAX_NAME_BYTES {
            return Err(invalid(
                "superapp_id",
                format!("must be 1 to {MAX_NAME_BYTES} bytes"),
            ));
        }
        let server = checked_url("server_url", &raw.server_url)?;
        let bundle = checked_url("bundle_url", &raw.bundle_url)?;
        let roots = raw.roots.unwrap_or_default();
        if roots.iter().any(|r| !r.is_object()) {
            return Err(invalid("roots", "must be a list of JWK objects"));
        }
        let keyset = match (&raw.keyset_url, &raw.keys_url) {
            (Some(url), _) if !roots.is_empty() => checked_url("keyset_url", url)?,
            (_, Some(url)) if roots.is_empty() && !need_roots => checked_url("keys_url", url)?,
            _ if roots.is_empty() => {
                return Err(invalid(
                    "roots",
                    "no root keys: without them anyone on the path to the server could \
                     re-key the device (contract v3 key sets)",
                ))
            }
            _ => return Err(invalid("keyset_url", "missing")),
        };
        if !roots.is_empty() {
            // The guard module refuses these too; refused here, the error
            // names the field before any guard exists.
            let config = serde_json::json!({"roots": roots, "superapp_id": raw.superapp_id});
            guard_core::GuardConfig::from_json(&config.to_string())
                .map_err(|e| invalid("roots", e.to_string()))?;
        }
        let reports = match &raw.reports_url {
            Some(text) => checked_url("reports_url", text)?,
            None => {
                let mut url = server.clone();
                url.path_segments_mut()
                    .map_err(|()| invalid("server_url", "cannot be a base URL"))?
                    .pop_if_empty()
                    .extend(["api", "v1", "superapps", &raw.superapp_id, "reports"]);
                url
            }
        };
        Ok(Config {
            superapp_id: raw.superapp_id,
            server_url: server.to_string().trim_end_matches('/').to_owned(),
            bundle_url: bundle.to_string(),
            keyset_url: keyset.to_string(),
            roots,
            reports_url: reports.to_string(),
            long_poll_seconds: raw
                .long_poll_seconds
                .unwrap_or(DEFAULT_LONG_POLL_SECONDS)
                .min(MAX_LONG_POLL_SECONDS),
        })
    }

    /// Reads and checks a configuration file (at most 64 KiB).
    ///
    /// # Errors
    ///
    /// [`SdkError::ConfigRead`] when the file cannot be read or is too large,
    /// else as [`Config::from_json`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, SdkError> {
        use std::io::Read as _;
        let path = path.as_ref();
        let read_err = |source| SdkError::ConfigRead {
            path: path.display().to_string(),
            source,
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(read_err)?
            .take(MAX_CONFIG_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(read_err)?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(read_err(std::io::Error::other(format!(
                "larger than {MAX_CONFIG_BYTES} bytes"
            ))));
        }
        Config::from_json(&text)
    }

    /// Fetches and checks a configuration file from `url` (`https`, or `http`
    /// to loopback), with `bearer` as the `Authorization` token when given
    /// (the server's `config.json` route wants a console account).
    ///
    /// # Errors
    ///
    /// [`SdkError::Config`] for a URL the SDK may not fetch,
    /// [`SdkError::Http`] when the request fails or is not answered 200,
    /// else as [`Config::from_json`].
    pub fn fetch(url: &str, bearer: Option<&str>) -> Result<Config, SdkError> {
        checked_url("config_url", url)?;
        let text = crate::http::Http::new().get_text(url, bearer, MAX_CONFIG_BYTES)?;
        Config::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"root-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn file(fields: &str) -> String {
        format!(
            r#"{{"format":"guard-superapp-config/1","superapp_id":"demo",
              "server_url":"https://g.example","bundle_url":"https://g.example/b",
              "keyset_url":"https://g.example/k","roots":[{ROOT}]{fields}}}"#
        )
    }

    fn field_of(text: &str) -> String {
        match Config::from_json(text) {
            Err(SdkError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn p5_fields_are_read_and_their_absence_has_defaults() {
        let c = Config::from_json(&file(
            r#","reports_url":"https://r.example/in","long_poll_seconds":10,"name":"x","future":1"#,
        ))
        .unwrap();
        assert_eq!(
            (c.reports_url.as_str(), c.long_poll_seconds),
            ("https://r.example/in", 10)
        );
        let c = Config::from_json(&file("")).unwrap();
        assert_eq!(
            c.reports_url,
            "https://g.example/api/v1/superapps/demo/reports"
        );
        assert_eq!(c.long_poll_seconds, DEFAULT_LONG_POLL_SECONDS);
        let c = Config::from_json(&file(r#","long_poll_seconds":99999"#)).unwrap();
        assert_eq!(c.long_poll_seconds, MAX_LONG_POLL_SECONDS);
    }

    #[test]
    fn what_a_hostile_or_broken_file_tries_is_refused_naming_the_field() {
        assert_eq!(field_of("not json"), "config");
        assert_eq!(field_of("{}"), "config");
        assert_eq!(
            field_of(&file("").replace("/1\"", "/2\"")),
            "format",
            "another format"
        );
        assert_eq!(
            field_of(&file("").replace("\"demo\"", "\"\"")),
            "superapp_id"
        );
        // Plain http across a network would hand the key set to anyone on the path.
        assert_eq!(
            field_of(&file("").replace("https://g.example/k", "http://g.example/k")),
            "keyset_url"
        );
        assert_eq!(
            field_of(&file("").replace("https://g.example/b", "file:///etc/passwd")),
            "bundle_url"
        );
        assert_eq!(
            field_of(&file(r#","reports_url":"https://u:p@r.example/""#)),
            "reports_url"
        );
        assert_eq!(
            field_of(&file("").replace("https://g.example/k", "https://g.example/k#x")),
            "keyset_url"
        );
        assert_eq!(
            field_of(&file(r#","long_poll_seconds":-1"#)),
            "config",
            "a negative wait"
        );
    }

    #[test]
    fn a_file_without_roots_is_refused_except_through_the_test_only_hatch() {
        let bare = file("").replace(
            &format!(r#""keyset_url":"https://g.example/k","roots":[{ROOT}]"#),
            r#""keys_url":"https://g.example/keys.json""#,
        );
        assert_eq!(field_of(&bare), "roots", "keys.json alone");
        assert_eq!(
            field_of(&file("").replace(ROOT, "")),
            "roots",
            "an empty list of roots"
        );
        assert_eq!(
            field_of(&file("").replace(ROOT, r#""root-1""#)),
            "roots",
            "a root that is no JWK"
        );
        assert_eq!(
            field_of(&file("").replace(ROOT, &ROOT.replace("\"x\"", "\"d\":\"AA\",\"x\""))),
            "roots",
            "a private root"
        );
        assert_eq!(
            field_of(&file("").replace(r#""keyset_url":"https://g.example/k","#, "")),
            "keyset_url"
        );
        let c = Config::from_json(&file("")).unwrap();
        assert!(c.has_roots());
        assert_eq!(c.keyset_url, "https://g.example/k");
        let c = Config::from_json_trusting_keys_json_for_tests(&bare).unwrap();
        assert!(!c.has_roots());
        assert_eq!(c.keyset_url, "https://g.example/keys.json");
        assert!(c.guard_config().is_none());
        // The hatch still reads roots when the file has them.
        assert!(Config::from_json_trusting_keys_json_for_tests(&file(""))
            .unwrap()
            .has_roots());
    }

    #[test]
    fn loopback_http_is_allowed_for_a_development_server() {
        let text = file("")
            .replace(
                r#""server_url":"https://g.example""#,
                r#""server_url":"http://127.0.0.1:8080""#,
            )
            .replace("\"https://g.example/b\"", "\"http://[::1]:8080/b\"")
            .replace("\"https://g.example/k\"", "\"http://localhost:8080/k\"");
        let c = Config::from_json(&text).unwrap();
        assert_eq!(c.server_url, "http://127.0.0.1:8080");
        assert_eq!(
            c.reports_url,
            "http://127.0.0.1:8080/api/v1/superapps/demo/reports"
        );
    }
}
