//! The policy document of `policy.md` §1: its types and its load-time validation.
//!
//! Deserialisation is strict: unknown fields, duplicate keys, wrong types and
//! out-of-range numbers are refused with the JSON path of the offending field.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::entry::{DomainEntry, EntryError, HostPattern, SocketEntry, SERVER, WEBVIEW};
use crate::groups;
use crate::limits;
use crate::names::contract_names;
use crate::scheme::Scheme;

/// The signed policy document.
///
/// # Examples
///
/// ```
/// let doc = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
///   "sensitive_apis":[],"apps":[{"app_id":"mp","kind":"mini_program"}]}"#;
/// let policy = guard_core::Policy::from_json(doc).unwrap();
/// assert_eq!(policy.apps[0].app_id, "mp");
/// ```
///
/// `Policy::default()` is an empty schema-0 document, which no load
/// accepts: where a reader starts, and what a writer leaves the JWT claims
/// at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// `1`, `2` (contract v2) or `3` (contract v3); the fields of a later
    /// schema are refused in an earlier one, as unknown fields.
    pub schema: u64,
    /// The superapp this policy belongs to.
    pub superapp_id: String,
    /// Strictly increasing per superapp (anti-rollback).
    pub version: u64,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds after which the policy is no policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// `enforce` (default) or `report`.
    pub mode: Mode,
    /// Schema 2: host patterns no app may reach (§3.3 rule 4a).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_hosts: Option<Vec<String>>,
    /// The platform's standard API names; `None` means the shipped catalogue.
    pub builtin_apis: Option<Vec<String>>,
    /// The sensitive API list.
    pub sensitive_apis: Vec<SensitiveApi>,
    /// The mini programs and mini games of this superapp.
    pub apps: Vec<App>,
    /// JWT `iat` (accepted, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// JWT `nbf`: not valid before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// JWT `exp`: not valid on or after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// JWT `iss` (accepted, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// JWT `sub` (accepted, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// JWT `aud` (accepted, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// JWT `jti` (accepted, informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// JWT `aud`: one string or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

/// Read by the JSON type it finds rather than as serde's `untagged` enum,
/// which buffers the value first: that linked serde's buffered-content
/// reader into the `.wasm`, and its error (`data did not match any variant
/// of untagged enum Audience`) came after the value with no field path.
impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Audience, D::Error> {
        struct Expect;
        impl<'de> serde::de::Visitor<'de> for Expect {
            type Value = Audience;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Audience, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<String>()? {
                    all.push(one);
                }
                Ok(Audience::Many(all))
            }
        }
        d.deserialize_any(Expect)
    }
}

/// Enforce or report-only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Denied calls fail.
    #[default]
    Enforce,
    /// Denied calls go through and are reported (like CSP-Report-Only).
    Report,
}

contract_names!(Mode {
    Enforce => "enforce",
    Report => "report",
});

/// An entry of the sensitive API list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SensitiveApi {
    /// The API name, exactly as called (`getLocation`).
    pub name: String,
    /// `public` or `restricted`.
    pub status: ApiStatus,
    /// Which kind of app the restriction applies to.
    pub scope: Scope,
    /// `system` or `custom`.
    #[serde(rename = "type")]
    pub api_type: ApiType,
    /// What a custom API does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A sensitive API's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiStatus {
    /// Callable without approval.
    Public,
    /// Needs an approval for the app.
    Restricted,
}

contract_names!(ApiStatus {
    Public => "public",
    Restricted => "restricted",
});

/// Which kinds of app a restriction covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Mini programs and mini games.
    All,
    /// Mini programs only.
    MiniProgram,
    /// Mini games only.
    MiniGame,
}

contract_names!(Scope {
    All => "all",
    MiniProgram => "mini_program",
    MiniGame => "mini_game",
});

impl Scope {
    /// Whether this scope covers apps of `kind`.
    pub const fn covers(self, kind: AppKind) -> bool {
        matches!(
            (self, kind),
            (Scope::All, _)
                | (Scope::MiniProgram, AppKind::MiniProgram)
                | (Scope::MiniGame, AppKind::MiniGame)
        )
    }
}

/// A platform API or one the superapp added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// A platform API.
    System,
    /// An API the superapp added.
    Custom,
}

contract_names!(ApiType {
    System => "system",
    Custom => "custom",
});

/// The kind of an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    /// A mini program.
    MiniProgram,
    /// A mini game.
    MiniGame,
}

contract_names!(AppKind {
    MiniProgram => "mini_program",
    MiniGame => "mini_game",
});

/// One app's permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    /// The app's id.
    pub app_id: String,
    /// Mini program or mini game.
    pub kind: AppKind,
    /// The permission-control switches.
    pub control: Control,
    /// `https://host[:port]` and `wss://host[:port]` entries.
    pub server_domains: Vec<String>,
    /// `https://host[:port]` entries for the web-view.
    pub webview_domains: Vec<String>,
    /// Custom APIs callable when `control.apis` is on.
    pub api_whitelist: Vec<String>,
    /// Restricted sensitive APIs approved for this app.
    pub granted_apis: Vec<String>,
    /// Schema 2: `enforce` or `report` for this app alone, overriding the
    /// policy's `mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Schema 2: the version the superapp released (§3.5); absent, none is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
    /// Schema 2: the superapp removed the app (§3.1 rule 2a); absent is `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<bool>,
    /// Schema 3: a domain list per kind of target (§1, §3.3, §3.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domains: Option<Domains>,
}

/// Schema 3: an app's domain list per kind of target (`policy.md` §1). A
/// list that is present, even empty, replaces `server_domains` for its kind;
/// an absent one leaves the kind on `server_domains` (entries of its scheme),
/// except `media`, whose absent list is empty, and `udp`/`tcp`, which no
/// other list carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Domains {
    /// `https://host[:port]` entries for `wx.request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Vec<String>>,
    /// `https://host[:port]` entries for `wx.uploadFile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<Vec<String>>,
    /// `https://host[:port]` entries for `wx.downloadFile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<Vec<String>>,
    /// `wss://host[:port]` entries for `wx.connectSocket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<Vec<String>>,
    /// `https://host[:port]` entries for media sources (§3.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<String>>,
    /// `H` or `H:P` entries for raw UDP sockets (§3.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<Vec<String>>,
    /// `H` or `H:P` entries for raw TCP sockets (§3.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Vec<String>>,
}

impl Domains {
    /// The URL lists by kind, in the order of [`URL_LISTS`], with their
    /// field names.
    fn url_lists(&self) -> [UrlList<'_>; URL_LISTS] {
        [
            ("request", self.request.as_ref(), WEBVIEW),
            ("upload", self.upload.as_ref(), WEBVIEW),
            ("download", self.download.as_ref(), WEBVIEW),
            ("socket", self.socket.as_ref(), WSS),
            ("media", self.media.as_ref(), WEBVIEW),
        ]
    }
}

/// One `domains` URL list: its field name, its entries if present, and the
/// schemes they take.
type UrlList<'a> = (&'static str, Option<&'a Vec<String>>, &'static [Scheme]);

/// The scheme `domains.socket` entries take.
const WSS: &[Scheme] = &[Scheme::Wss];

/// The URL kinds with a list of their own in `domains`, in one order shared
/// with the compiled form: request, upload, download, socket, media.
pub(crate) const URL_LISTS: usize = 5;

impl App {
    /// Whether the superapp removed this app (`removed: true`).
    pub fn is_removed(&self) -> bool {
        self.removed == Some(true)
    }

    /// The mode this app's denials run in: its own, else the policy's.
    pub fn effective_mode(&self, policy_mode: Mode) -> Mode {
        self.mode.unwrap_or(policy_mode)
    }
}

/// The release of an app the superapp approved (`policy.md` §1, §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// 1 to 64 characters, no whitespace or control characters; compared exactly.
    pub version: String,
    /// The SHA-256 of the code package: 64 hex digits, either case.
    pub package_sha256: String,
}

impl Release {
    /// The digest's 32 bytes, `None` unless `package_sha256` is 64 hex digits.
    pub fn digest(&self) -> Option<[u8; 32]> {
        parse_sha256(&self.package_sha256)
    }
}

/// 64 hex digits (either case) as 32 bytes; `None` for anything else, so a
/// digest of another length or alphabet never equals a released one (§3.5).
pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// The permission-control switches; an absent switch is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Control {
    /// Schema 3: check media targets against the app's `media` list (§3.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_domains: Option<bool>,
    /// Enforce `server_domains`.
    pub server_domains: bool,
    /// Enforce the API whitelist.
    pub apis: bool,
    /// Enforce `webview_domains`.
    pub webview_domains: bool,
}

impl Control {
    /// Whether the media switch is on (schema 3; absent is off).
    pub fn media(&self) -> bool {
        self.media_domains == Some(true)
    }
}

/// Why a policy document was refused (the load outcome `invalid_policy`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{field}`: {reason}")]
pub struct PolicyError {
    /// The JSON path of the offending field, e.g. `apps[2].server_domains[0]`.
    pub field: String,
    /// What is wrong with it, naming the offending value.
    pub reason: String,
}

impl PolicyError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> PolicyError {
        PolicyError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Policy {
    /// Parses and validates a policy document (`policy.md` §1).
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] naming the field and the offending value for malformed
    /// JSON, unknown or duplicate fields (the v2 fields in a `schema: 1`
    /// document included), a `schema` other than 1, 2 or 3, a bad release or
    /// `blocked_hosts` pattern, a bad
    /// whitelist entry, duplicate `app_id`s or sensitive API names, or a list
    /// longer than the bounds in [`crate::limits`].
    ///
    /// # Examples
    ///
    /// ```
    /// let bad = br#"{"schema":4,"superapp_id":"s","version":1,"issued_at":0}"#;
    /// let err = guard_core::Policy::from_json(bad).unwrap_err();
    /// assert_eq!(err.field, "schema");
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Policy, PolicyError> {
        let policy = Policy::parse_unvalidated(bytes)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Deserialises without the semantic checks of [`Policy::validate`].
    pub(crate) fn parse_unvalidated(bytes: &[u8]) -> Result<Policy, PolicyError> {
        crate::json_path::read(bytes).map_err(|(path, reason)| {
            let field = if path.is_empty() {
                "policy".to_owned()
            } else {
                path
            };
            PolicyError::new(field, reason)
        })
    }

    /// The moment from which the policy is valid: JWT `nbf`, if any.
    pub fn not_before(&self) -> Option<u64> {
        self.nbf
    }

    /// The first moment at which the policy is no longer valid: the earlier of
    /// `expires_at` and JWT `exp`.
    pub fn not_after(&self) -> Option<u64> {
        match (self.expires_at, self.exp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the load-time validation of §1 on an already deserialised document.
    ///
    /// # Errors
    ///
    /// As [`Policy::from_json`], for everything but JSON syntax.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.validated_entries().map(drop)
    }

    /// Validates and returns each app's parsed `(server_domains, webview_domains)`,
    /// so that compiling does not parse the entries a second time.
    pub(crate) fn validated_entries(&self) -> Result<Validated<'_>, PolicyError> {
        if !matches!(self.schema, 1..=3) {
            return Err(PolicyError::new(
                "schema",
                format!(
                    "unsupported schema `{}` (this guard reads schemas 1, 2 and 3)",
                    self.schema
                ),
            ));
        }
        if self.schema == 1 {
            self.refuse_v2_fields()?;
        }
        if self.schema < 3 {
            self.refuse_v3_fields()?;
        } else {
            self.check_permissions()?;
        }
        let blocked = self.blocked_patterns()?;
        check_name(|| "superapp_id".into(), &self.superapp_id)?;
        if let Some(builtin) = &self.builtin_apis {
            check_len(
                || "builtin_apis".into(),
                builtin.len(),
                limits::MAX_BUILTIN_APIS,
            )?;
            for (i, name) in builtin.iter().enumerate() {
                check_name(|| format!("builtin_apis[{i}]"), name)?;
            }
        }
        check_len(
            || "sensitive_apis".into(),
            self.sensitive_apis.len(),
            limits::MAX_SENSITIVE_APIS,
        )?;
        let mut seen = hashbrown::HashSet::with_capacity(self.sensitive_apis.len());
        for (i, api) in self.sensitive_apis.iter().enumerate() {
            let field = || format!("sensitive_apis[{i}].name");
            check_name(field, &api.name)?;
            if !seen.insert(api.name.as_str()) {
                return Err(PolicyError::new(
                    field(),
                    format!("duplicate sensitive API `{}`", api.name),
                ));
            }
            if let Some(d) = &api.description {
                if d.len() > limits::MAX_DESCRIPTION_BYTES {
                    return Err(PolicyError::new(
                        format!("sensitive_apis[{i}].description"),
                        format!("longer than {} bytes", limits::MAX_DESCRIPTION_BYTES),
                    ));
                }
            }
        }
        check_len(|| "apps".into(), self.apps.len(), limits::MAX_APPS)?;
        let mut app_ids = hashbrown::HashSet::with_capacity(self.apps.len());
        let mut entries = Vec::with_capacity(self.apps.len());
        for (i, app) in self.apps.iter().enumerate() {
            let at = |f: &str| format!("apps[{i}].{f}");
            check_name(|| at("app_id"), &app.app_id)?;
            if !app_ids.insert(app.app_id.as_str()) {
                return Err(PolicyError::new(
                    at("app_id"),
                    format!("duplicate app_id `{}`", app.app_id),
                ));
            }
            if let Some(release) = &app.release {
                check_release(|f: &str| at(&format!("release.{f}")), release)?;
            }
            entries.push(AppEntries {
                server: parse_entries_lazy(|| at("server_domains"), &app.server_domains, SERVER)?,
                webview: parse_entries_lazy(
                    || at("webview_domains"),
                    &app.webview_domains,
                    WEBVIEW,
                )?,
                kinds: app.kind_entries(&at)?,
                sockets: app.socket_entries(&at)?,
            });
            for (field, list) in [
                ("api_whitelist", &app.api_whitelist),
                ("granted_apis", &app.granted_apis),
            ] {
                check_len(|| at(field), list.len(), limits::MAX_APP_API_LIST)?;
                for (j, name) in list.iter().enumerate() {
                    check_name(|| format!("{}[{j}]", at(field)), name)?;
                }
            }
        }
        Ok(Validated {
            apps: entries,
            blocked,
        })
    }

    /// §1: the v2 fields are unknown fields in a `schema: 1` document.
    fn refuse_v2_fields(&self) -> Result<(), PolicyError> {
        let unknown = |field: String, name: &str| {
            Err(PolicyError::new(
                field,
                format!("unknown field `{name}` (a schema 2 field, in a schema 1 document)"),
            ))
        };
        if self.blocked_hosts.is_some() {
            return unknown("blocked_hosts".into(), "blocked_hosts");
        }
        for (i, app) in self.apps.iter().enumerate() {
            for (name, present) in [
                ("mode", app.mode.is_some()),
                ("release", app.release.is_some()),
                ("removed", app.removed.is_some()),
            ] {
                if present {
                    return unknown(format!("apps[{i}].{name}"), name);
                }
            }
        }
        Ok(())
    }

    /// §1: the v3 fields are unknown fields in a `schema: 1` or `2` document.
    fn refuse_v3_fields(&self) -> Result<(), PolicyError> {
        for (i, app) in self.apps.iter().enumerate() {
            for (name, field, present) in [
                ("domains", "domains", app.domains.is_some()),
                (
                    "media_domains",
                    "control.media_domains",
                    app.control.media_domains.is_some(),
                ),
            ] {
                if present {
                    return Err(PolicyError::new(
                        format!("apps[{i}].{field}"),
                        format!(
                            "unknown field `{name}` (a schema 3 field, in a schema {} document)",
                            self.schema
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// §1, permission groups (schema 3): a `scope.`/`group.` name must be a
    /// group of the table; a group is not an API to whitelist; and two
    /// `sensitive_apis` entries of one permission agree on `status`, `scope`
    /// and `type`.
    fn check_permissions(&self) -> Result<(), PolicyError> {
        let unknown_group = |field: String, name: &str| -> Result<(), PolicyError> {
            if groups::looks_like_group(name) && groups::group(name).is_none() {
                return Err(PolicyError::new(
                    field,
                    format!(
                        "`{}` is not a permission group of the contract",
                        name.escape_debug()
                    ),
                ));
            }
            Ok(())
        };
        let mut by_permission: hashbrown::HashMap<&str, usize> = hashbrown::HashMap::new();
        for (i, api) in self.sensitive_apis.iter().enumerate() {
            unknown_group(format!("sensitive_apis[{i}].name"), &api.name)?;
            let permission = groups::permission(&api.name);
            if let Some(&j) = by_permission.get(permission) {
                let first = &self.sensitive_apis[j];
                if (first.status, first.scope, first.api_type)
                    != (api.status, api.scope, api.api_type)
                {
                    return Err(PolicyError::new(
                        format!("sensitive_apis[{i}]"),
                        format!(
                            "`{}` and `{}` (sensitive_apis[{j}]) are one permission, `{permission}`, and must agree on status, scope and type",
                            api.name.escape_debug(),
                            first.name.escape_debug()
                        ),
                    ));
                }
            } else {
                by_permission.insert(permission, i);
            }
        }
        for (i, app) in self.apps.iter().enumerate() {
            for (j, name) in app.granted_apis.iter().enumerate() {
                unknown_group(format!("apps[{i}].granted_apis[{j}]"), name)?;
            }
            for (j, name) in app.api_whitelist.iter().enumerate() {
                let field = format!("apps[{i}].api_whitelist[{j}]");
                if groups::group(name).is_some() {
                    return Err(PolicyError::new(
                        field,
                        format!(
                            "`{}` is a permission group, not an API: whitelist its APIs",
                            name.escape_debug()
                        ),
                    ));
                }
                unknown_group(field, name)?;
            }
        }
        Ok(())
    }

    /// §1: every `blocked_hosts` pattern, parsed and normalised.
    fn blocked_patterns(&self) -> Result<Vec<HostPattern>, PolicyError> {
        let Some(raw) = &self.blocked_hosts else {
            return Ok(Vec::new());
        };
        check_len(
            || "blocked_hosts".into(),
            raw.len(),
            limits::MAX_BLOCKED_HOSTS,
        )?;
        raw.iter()
            .enumerate()
            .map(|(i, pattern)| {
                HostPattern::parse(pattern).map_err(|e| {
                    PolicyError::new(
                        format!("blocked_hosts[{i}]"),
                        format!("pattern `{pattern}` {e}"),
                    )
                })
            })
            .collect()
    }
}

/// §1: a release's `version` is 1 to 64 characters without whitespace or
/// control characters, and its `package_sha256` is 64 hex digits.
fn check_release(at: impl Fn(&str) -> String, release: &Release) -> Result<(), PolicyError> {
    let v = &release.version;
    let chars = v.chars().count();
    if !(1..=limits::MAX_VERSION_CHARS).contains(&chars) {
        return Err(PolicyError::new(
            at("version"),
            format!(
                "`{}` must be 1 to {} characters, not {chars}",
                truncate(v, 64).escape_debug(),
                limits::MAX_VERSION_CHARS
            ),
        ));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PolicyError::new(
            at("version"),
            format!(
                "`{}` contains whitespace or control characters",
                v.escape_debug()
            ),
        ));
    }
    if release.digest().is_none() {
        return Err(PolicyError::new(
            at("package_sha256"),
            format!(
                "`{}` is not 64 hex digits",
                truncate(&release.package_sha256, 80).escape_debug()
            ),
        ));
    }
    Ok(())
}

/// A validated policy's parsed lists.
#[derive(Debug)]
pub(crate) struct Validated<'a> {
    /// Each app's whitelist entries, in app order.
    pub(crate) apps: Vec<AppEntries<'a>>,
    /// The `blocked_hosts` patterns.
    pub(crate) blocked: Vec<HostPattern>,
}

/// One app's whitelist entries, parsed.
#[derive(Debug)]
pub(crate) struct AppEntries<'a> {
    pub(crate) server: Vec<DomainEntry<'a>>,
    pub(crate) webview: Vec<DomainEntry<'a>>,
    /// Schema 3: `domains.request`, `upload`, `download`, `socket` and
    /// `media`, in that order; `None` where the list is absent.
    pub(crate) kinds: [Option<Vec<DomainEntry<'a>>>; URL_LISTS],
    /// Schema 3: `domains.tcp` and `domains.udp`, in that order.
    pub(crate) sockets: [Vec<SocketEntry>; 2],
}

impl App {
    /// The parsed `server_domains` entries (`https` or `wss`).
    ///
    /// `field` names the list in errors, e.g. `apps[0].server_domains`.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] for the first invalid entry or a list over the bound.
    pub fn server_domain_entries(&self, field: &str) -> Result<Vec<DomainEntry<'_>>, PolicyError> {
        parse_entries(field, &self.server_domains, SERVER)
    }

    /// The parsed `webview_domains` entries (`https` only).
    ///
    /// # Errors
    ///
    /// As [`App::server_domain_entries`].
    pub fn webview_domain_entries(&self, field: &str) -> Result<Vec<DomainEntry<'_>>, PolicyError> {
        parse_entries(field, &self.webview_domains, WEBVIEW)
    }
}

impl App {
    /// The parsed `domains` URL lists (schema 3).
    fn kind_entries(
        &self,
        at: &impl Fn(&str) -> String,
    ) -> Result<[Option<Vec<DomainEntry<'_>>>; URL_LISTS], PolicyError> {
        let mut out: [Option<Vec<DomainEntry<'_>>>; URL_LISTS] = Default::default();
        let Some(domains) = &self.domains else {
            return Ok(out);
        };
        for (slot, (name, list, schemes)) in out.iter_mut().zip(domains.url_lists()) {
            if let Some(list) = list {
                let field = || at(&format!("domains.{name}"));
                *slot = Some(parse_entries_lazy(field, list, schemes)?);
            }
        }
        Ok(out)
    }

    /// The parsed `domains.tcp` and `domains.udp` lists (schema 3).
    fn socket_entries(
        &self,
        at: &impl Fn(&str) -> String,
    ) -> Result<[Vec<SocketEntry>; 2], PolicyError> {
        let Some(domains) = &self.domains else {
            return Ok(Default::default());
        };
        let parse =
            |name: &str, list: &Option<Vec<String>>| -> Result<Vec<SocketEntry>, PolicyError> {
                let list = list.as_deref().unwrap_or_default();
                let field = || at(&format!("domains.{name}"));
                check_len(field, list.len(), limits::MAX_DOMAINS_PER_LIST)?;
                list.iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        SocketEntry::parse(raw).map_err(|e| {
                            PolicyError::new(
                                format!("{}[{i}]", field()),
                                format!("entry `{}` {e}", raw.escape_debug()),
                            )
                        })
                    })
                    .collect()
            };
        Ok([parse("tcp", &domains.tcp)?, parse("udp", &domains.udp)?])
    }
}

fn parse_entries<'a>(
    field: &str,
    raw: &'a [String],
    schemes: &[Scheme],
) -> Result<Vec<DomainEntry<'a>>, PolicyError> {
    parse_entries_lazy(|| field.to_owned(), raw, schemes)
}

fn parse_entries_lazy<'a>(
    field: impl Fn() -> String,
    raw: &'a [String],
    schemes: &[Scheme],
) -> Result<Vec<DomainEntry<'a>>, PolicyError> {
    check_len(&field, raw.len(), limits::MAX_DOMAINS_PER_LIST)?;
    raw.iter()
        .enumerate()
        .map(|(i, entry)| {
            DomainEntry::parse(entry, schemes).map_err(|e: EntryError| {
                PolicyError::new(format!("{}[{i}]", field()), format!("entry `{entry}` {e}"))
            })
        })
        .collect()
}

/// Field names are built only on the error path (`field()`): a large policy
/// would otherwise format hundreds of thousands of paths nobody reads.
fn check_len(field: impl Fn() -> String, len: usize, max: usize) -> Result<(), PolicyError> {
    if len > max {
        return Err(PolicyError::new(
            field(),
            format!("{len} entries, more than the guard's safety bound of {max}"),
        ));
    }
    Ok(())
}

/// Names (app ids, API names, the superapp id) are non-empty, bounded, and free
/// of whitespace and control characters, so they print and compare unambiguously.
pub(crate) fn check_name(field: impl Fn() -> String, name: &str) -> Result<(), PolicyError> {
    if name.is_empty() {
        return Err(PolicyError::new(field(), "must not be empty"));
    }
    if name.len() > limits::MAX_NAME_BYTES {
        return Err(PolicyError::new(
            field(),
            format!(
                "`{}…` is longer than {} bytes",
                truncate(name, 32),
                limits::MAX_NAME_BYTES
            ),
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PolicyError::new(
            field(),
            format!(
                "`{}` contains whitespace or control characters",
                name.escape_debug()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn truncate(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(apps: &str) -> Vec<u8> {
        format!(
            r#"{{"schema":1,"superapp_id":"s","version":1,"issued_at":0,"sensitive_apis":[],"apps":{apps}}}"#
        )
        .into_bytes()
    }

    fn err(bytes: &[u8]) -> PolicyError {
        Policy::from_json(bytes).expect_err("policy must be refused")
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = err(&doc(
            r#"[{"app_id":"a","kind":"mini_program","admin":true}]"#,
        ));
        assert_eq!(e.field, "apps[0].admin");
        assert!(e.reason.contains("unknown field `admin`"), "{e}");
        let e = err(br#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0,"extra":1}"#);
        assert!(e.reason.contains("unknown field `extra`"), "{e}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = err(br#"{"schema":1,"superapp_id":"s","version":1,"version":99,"issued_at":0}"#);
        assert!(e.reason.contains("duplicate field `version`"), "{e}");
    }

    #[test]
    fn duplicate_app_ids_and_sensitive_names_are_refused() {
        let e = err(&doc(
            r#"[{"app_id":"a","kind":"mini_program"},{"app_id":"a","kind":"mini_game"}]"#,
        ));
        assert_eq!(e.field, "apps[1].app_id");
        assert!(e.reason.contains("`a`"));
        let e = err(
            br#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0,"sensitive_apis":[
            {"name":"x","status":"public","scope":"all","type":"system"},
            {"name":"x","status":"restricted","scope":"all","type":"system"}]}"#,
        );
        assert_eq!(e.field, "sensitive_apis[1].name");
    }

    #[test]
    fn bad_entries_name_field_and_value() {
        let e = err(&doc(
            r#"[{"app_id":"a","kind":"mini_program","server_domains":["https://ok.example","https://x.example/path"]}]"#,
        ));
        assert_eq!(e.field, "apps[0].server_domains[1]");
        assert!(e.reason.contains("`https://x.example/path`"), "{e}");
        let e = err(&doc(
            r#"[{"app_id":"a","kind":"mini_program","webview_domains":["wss://x.example"]}]"#,
        ));
        assert_eq!(e.field, "apps[0].webview_domains[0]");
    }

    #[test]
    fn wrong_types_and_values_are_refused() {
        assert_eq!(
            err(&doc(r#"[{"app_id":"a","kind":"mini_app"}]"#)).field,
            "apps[0].kind"
        );
        assert_eq!(
            err(br#"{"schema":1,"superapp_id":"s","version":-1,"issued_at":0}"#).field,
            "version"
        );
        assert_eq!(
            err(br#"{"schema":1,"superapp_id":"s","version":1.5,"issued_at":0}"#).field,
            "version"
        );
        assert_eq!(err(br#"[]"#).field, "policy");
        assert_eq!(err(b"{} trailing").field, "policy");
        assert_eq!(
            err(br#"{"schema":1,"superapp_id":"","version":1,"issued_at":0}"#).field,
            "superapp_id"
        );
        assert_eq!(
            err(&doc(r#"[{"app_id":"a b","kind":"mini_game"}]"#)).field,
            "apps[0].app_id"
        );
    }

    #[test]
    fn bounds_are_enforced() {
        let many: Vec<String> = (0..=limits::MAX_DOMAINS_PER_LIST)
            .map(|i| format!("\"https://h{i}.example\""))
            .collect();
        let e = err(&doc(&format!(
            r#"[{{"app_id":"a","kind":"mini_program","server_domains":[{}]}}]"#,
            many.join(",")
        )));
        assert_eq!(e.field, "apps[0].server_domains");
        assert!(e.reason.contains("safety bound"));
    }

    #[test]
    fn validity_window_takes_the_earlier_end() {
        let mut p = Policy::from_json(&doc("[]")).unwrap();
        assert_eq!(p.not_after(), None);
        p.expires_at = Some(100);
        p.exp = Some(50);
        assert_eq!(p.not_after(), Some(50));
        p.exp = None;
        assert_eq!(p.not_after(), Some(100));
    }
}
