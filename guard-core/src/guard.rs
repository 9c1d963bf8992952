//! The guard: the bundle lifecycle of `policy.md` §2 and the decision rules of
//! §3, each written once. The hot paths ([`Guard::check_api_id`],
//! [`Guard::check_url`]) and [`Guard::explain`] run the same rule functions; the
//! rule functions return *why* alongside the verdict as a small `Copy` value,
//! which the hot paths simply drop.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::bundle::{self, BundleError, SecretError, SecretKey};
use crate::catalogue;
use crate::compiled::{Compiled, HostMatch, List, BUILTIN, SENSITIVE};
use crate::decision::{CheckKind, Decision, DenyCode, Verdict};
use crate::intern::Interner;
use crate::limits;
use crate::policy::{Mode, Policy, PolicyError};
use crate::target::{self, Target};

/// An interned API name: stable for the life of the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiId(pub u32);

/// An interned app id: stable for the life of the guard, whichever policy is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppHandle(pub u32);

/// The load outcome codes of §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum LoadCode {
    /// Loaded (or the same bundle re-loaded).
    Ok = 0,
    /// Not a JWS compact serialisation.
    MalformedBundle = 1,
    /// `alg` other than HS256.
    UnsupportedAlg = 2,
    /// MAC does not verify.
    BadSignature = 3,
    /// The payload is not a valid policy document.
    InvalidPolicy = 4,
    /// Older than (or a different document at) the highest accepted version.
    StaleVersion = 5,
    /// Outside its `nbf`..`exp`/`expires_at` window.
    Expired = 6,
}

impl LoadCode {
    /// Every code, in numeric order.
    pub const ALL: [LoadCode; 7] = [
        LoadCode::Ok,
        LoadCode::MalformedBundle,
        LoadCode::UnsupportedAlg,
        LoadCode::BadSignature,
        LoadCode::InvalidPolicy,
        LoadCode::StaleVersion,
        LoadCode::Expired,
    ];

    /// The contract's name, e.g. `stale_version`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadCode::Ok => "ok",
            LoadCode::MalformedBundle => "malformed_bundle",
            LoadCode::UnsupportedAlg => "unsupported_alg",
            LoadCode::BadSignature => "bad_signature",
            LoadCode::InvalidPolicy => "invalid_policy",
            LoadCode::StaleVersion => "stale_version",
            LoadCode::Expired => "expired",
        }
    }

    /// The code for a contract name.
    pub fn parse(name: &str) -> Option<LoadCode> {
        LoadCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The code for its numeric value.
    pub fn from_u8(value: u8) -> Option<LoadCode> {
        LoadCode::ALL.into_iter().find(|c| *c as u8 == value)
    }
}

impl fmt::Display for LoadCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    fn new(code: LoadCode, message: impl Into<String>) -> LoadError {
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
            BundleError::BadSignature => LoadCode::BadSignature,
        };
        LoadError::new(code, e.to_string())
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
    /// `enforce` or `report`.
    pub mode: Mode,
    /// How many apps it has.
    pub apps: usize,
    /// Valid from (JWT `nbf`).
    pub not_before: Option<u64>,
    /// Valid until, exclusive (earlier of `exp` and `expires_at`).
    pub not_after: Option<u64>,
}

/// The result of a URL check: the verdict plus the host and port the message
/// names (both as the WHATWG parser serialised them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// The parsed URL's host, when the URL parsed.
    pub host: Option<String>,
    /// The parsed URL's effective port (443 when absent), when the URL parsed.
    pub port: Option<u16>,
}

impl UrlVerdict {
    /// The full decision object for a check of `kind`.
    pub fn decision(&self, kind: CheckKind) -> Decision {
        Decision::new(
            self.verdict,
            kind.url_label().unwrap_or("api"),
            self.host.as_deref(),
            self.port,
        )
    }
}

/// Which rule decided, and on what (`explain`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision itself.
    pub decision: Decision,
    /// The rule of `policy.md` that decided, e.g. `§3.3 rule 6`.
    pub rule: String,
    /// A sentence saying why, naming the entry that decided where one did.
    pub reason: String,
    /// The whitelist entry (normalised) or list name that decided, if any.
    pub entry: Option<String>,
}

/// Why a rule function decided; small and `Copy` so the hot paths pay nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Because {
    NoPolicy,
    OutsideWindow,
    UnknownApp,
    ApiNotWhitelisted,
    ApiNotGranted,
    ApiGranted,
    ApiBuiltin,
    ApiWhitelisted,
    ApiUnrestricted,
    UrlTooLong,
    UrlUnparsable,
    UrlUserinfo,
    UrlScheme,
    SwitchOff,
    IpHost,
    NoHost,
    WrongPort,
    Exact,
    Wildcard(usize),
}

#[derive(Debug)]
struct Accepted {
    superapp_id: String,
    version: u64,
    digest: [u8; 32],
}

/// A guard for one superapp: loads signed bundles and answers checks.
///
/// # Examples
///
/// ```
/// use guard_core::{bundle, CheckKind, Guard, SecretKey};
/// let secret = "k3yK3yk3yK3yk3y1";
/// let policy = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
///   "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
///   "apps":[{"app_id":"mp","kind":"mini_program",
///            "control":{"server_domains":true},"server_domains":["https://api.example"]}]}"#;
/// let mut guard = Guard::new(secret).unwrap();
/// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
///
/// let d = guard.decide("mp", CheckKind::Api, "getLocation", 100);
/// assert!(!d.allow);
/// assert_eq!(d.message, "getLocation:fail permission not granted");
/// assert!(guard.decide("mp", CheckKind::Request, "https://api.example/v1", 100).allow);
/// ```
#[derive(Debug)]
pub struct Guard {
    key: SecretKey,
    api_ids: Interner,
    app_ids: Interner,
    catalogue: u32,
    active: Option<Compiled>,
    accepted: Option<Accepted>,
}

impl Guard {
    /// A guard with no policy (every check denies `no_policy`) for the superapp
    /// whose SecretKey is `secret`.
    ///
    /// # Errors
    ///
    /// [`SecretError`] when `secret` is not 16, 24 or 32 ASCII letters and digits.
    pub fn new(secret: &str) -> Result<Guard, SecretError> {
        Ok(Guard::with_key(SecretKey::new(secret)?))
    }

    /// A guard with no policy, for an already validated key.
    pub fn with_key(key: SecretKey) -> Guard {
        let mut api_ids = Interner::default();
        let mut catalogue = 0;
        for name in catalogue::names() {
            if api_ids.intern(name).is_some() {
                catalogue += 1;
            }
        }
        Guard {
            key,
            api_ids,
            app_ids: Interner::default(),
            catalogue,
            active: None,
            accepted: None,
        }
    }

    /// Verifies and loads a bundle with the clock at `now` (unix seconds).
    ///
    /// Steps, in order: JWS shape and `alg`; MAC; policy JSON and validation;
    /// the superapp (a guard stays with the superapp of its first accepted
    /// bundle); version (anti-rollback); validity window. Only when all pass is
    /// the new policy compiled and swapped in.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] whose [`LoadCode`] is the contract's outcome. A failed
    /// load never changes what the guard enforces.
    pub fn load(&mut self, bundle: &str, now: u64) -> Result<PolicyStatus, LoadError> {
        let (payload, digest) = bundle::verify_with_mac(bundle, &self.key)?;
        let policy = Policy::parse_unvalidated(&payload)?;
        drop(payload);
        let entries = policy.validated_entries()?;
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
        if let Some(nbf) = policy.not_before() {
            if now < nbf {
                return Err(LoadError::new(
                    LoadCode::Expired,
                    format!("not valid before `nbf` {nbf} (now {now})"),
                ));
            }
        }
        if let Some(end) = policy.not_after() {
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
                entries,
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
        self.status(now).ok_or_else(|| {
            LoadError::new(LoadCode::Expired, "the policy is not in force at this time")
        })
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

    /// The stable id of an API name, interning it if new (so ids can be
    /// resolved before any policy is loaded).
    ///
    /// A name no loaded policy or the catalogue mentions takes a slot of a
    /// small table of its own ([`limits::MAX_CALLER_NAMES`]); `None` once that
    /// is full, and the caller checks by name. Names asked for here never
    /// make a later [`Guard::load`] fail.
    pub fn api_id(&mut self, name: &str) -> Option<ApiId> {
        self.api_ids.intern_caller(name).map(ApiId)
    }

    /// The stable handle of an app id, interning it if new; as [`Guard::api_id`].
    pub fn app_handle(&mut self, app_id: &str) -> Option<AppHandle> {
        self.app_ids.intern_caller(app_id).map(AppHandle)
    }

    /// The name behind an API id.
    pub fn api_name(&self, id: ApiId) -> Option<&str> {
        self.api_ids.name(id.0)
    }

    /// The app id behind a handle.
    pub fn app_id(&self, handle: AppHandle) -> Option<&str> {
        self.app_ids.name(handle.0)
    }

    /// API check by precomputed ids (§3.1, §3.2). Allocates nothing.
    #[inline]
    pub fn check_api_id(&self, app: AppHandle, api: ApiId, now: u64) -> Verdict {
        self.eval_api(Some(app.0), Some(api.0), now).0
    }

    /// API check by name (§3.1, §3.2). Allocates nothing.
    pub fn check_api(&self, app: &str, api: &str, now: u64) -> Verdict {
        self.eval_api(self.app_ids.get(app), self.api_ids.get(api), now)
            .0
    }

    /// URL check (§3.1, §3.3) for one of the five URL kinds. A
    /// [`CheckKind::Api`] here is a caller bug and answers `invalid_url`.
    pub fn check_url(&self, app: &str, kind: CheckKind, url: &str, now: u64) -> UrlVerdict {
        self.url_verdict(self.app_ids.get(app), kind, url, now, false)
    }

    /// URL check by app handle, verdict only. On plain `https://host[:port]/...`
    /// URLs with a lower-case host this allocates nothing; [`Guard::check_url`]
    /// also returns the host and port its message names.
    #[inline]
    pub fn check_url_verdict(
        &self,
        app: AppHandle,
        kind: CheckKind,
        url: &str,
        now: u64,
    ) -> Verdict {
        self.eval_url(Some(app.0), kind, url, now).0
    }

    /// [`Guard::check_url`] by app handle.
    pub fn check_url_handle(
        &self,
        app: AppHandle,
        kind: CheckKind,
        url: &str,
        now: u64,
    ) -> UrlVerdict {
        self.url_verdict(Some(app.0), kind, url, now, false)
    }

    /// [`Guard::check_url`] for callers that keep the result only to render
    /// its message later (the wasm façades): the host and port are filled in
    /// only when the verdict carries a code, the only time a message names
    /// them, so an allowed plain URL costs no allocation.
    pub fn check_url_terse(&self, app: &str, kind: CheckKind, url: &str, now: u64) -> UrlVerdict {
        self.url_verdict(self.app_ids.get(app), kind, url, now, true)
    }

    /// [`Guard::check_url_terse`] by app handle.
    pub fn check_url_handle_terse(
        &self,
        app: AppHandle,
        kind: CheckKind,
        url: &str,
        now: u64,
    ) -> UrlVerdict {
        self.url_verdict(Some(app.0), kind, url, now, true)
    }

    /// [`Guard::check_url_handle_terse`], plus what the enforcement point must
    /// forward when the call goes through (`policy.md` §3.7): the URL's WHATWG
    /// serialisation (`href`), never the caller's raw string, so that no later
    /// parser can read another host out of it. The href is there whenever the
    /// URL parses (whatever the verdict: report mode lets denied calls
    /// through), borrowed from `url` when `url` already is exactly its
    /// serialisation, else the `url` crate's.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, CheckKind, Guard, SecretKey};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let policy = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
    ///            "server_domains":["https://api.shop.example"]}]}"#;
    /// let mut guard = Guard::new(secret).unwrap();
    /// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// let app = guard.app_handle("mp").unwrap();
    /// let (v, href) = guard.check_url_href(app, CheckKind::Request,
    ///     "https://api.shop.example\\@evil.example/", 100);
    /// assert!(v.verdict.allow());
    /// assert_eq!(href.as_deref(), Some("https://api.shop.example/@evil.example/"));
    /// ```
    pub fn check_url_href<'u>(
        &self,
        app: AppHandle,
        kind: CheckKind,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        self.url_verdict_href(Some(app.0), kind, url, now)
    }

    /// [`Guard::check_url_href`] by app id.
    pub fn check_url_href_by_app<'u>(
        &self,
        app: &str,
        kind: CheckKind,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        self.url_verdict_href(self.app_ids.get(app), kind, url, now)
    }

    fn url_verdict_href<'u>(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        let (verdict, parsed) = self.url_verdict_parsed(app, kind, url, now, true);
        let href = if url.len() > limits::MAX_URL_BYTES {
            None
        } else {
            target::href(url, parsed.as_ref())
        };
        (verdict, href)
    }

    /// The URL verdict with the host and port its message names: always, or
    /// (`terse`) only when the verdict carries a code.
    fn url_verdict(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        url: &str,
        now: u64,
        terse: bool,
    ) -> UrlVerdict {
        self.url_verdict_parsed(app, kind, url, now, terse).0
    }

    fn url_verdict_parsed<'u>(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        url: &'u str,
        now: u64,
        terse: bool,
    ) -> (UrlVerdict, Option<Target<'u>>) {
        let (verdict, _, parsed) = self.eval_url(app, kind, url, now);
        let (host, port) = if terse && verdict.code().is_none() {
            (None, None)
        } else {
            host_port(parsed.as_ref())
        };
        let verdict = UrlVerdict {
            verdict,
            host,
            port,
        };
        (verdict, parsed)
    }

    /// Any check, answered as the contract's decision object. For
    /// [`CheckKind::Api`] `subject` is the API name, else the URL.
    pub fn decide(&self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        if kind == CheckKind::Api {
            Decision::new(self.check_api(app, subject, now), subject, None, None)
        } else {
            self.check_url(app, kind, subject, now).decision(kind)
        }
    }

    /// [`Guard::decide`], plus which rule and which entry decided.
    pub fn explain(&self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Explanation {
        let app_handle = self.app_ids.get(app);
        let (verdict, because, label, host, port) = if kind == CheckKind::Api {
            let (v, b) = self.eval_api(app_handle, self.api_ids.get(subject), now);
            (v, b, subject, None, None)
        } else {
            let (v, b, parsed) = self.eval_url(app_handle, kind, subject, now);
            let (host, port) = host_port(parsed.as_ref());
            (v, b, kind.url_label().unwrap_or("api"), host, port)
        };
        let decision = Decision::new(verdict, label, host.as_deref(), port);
        let policy = self.active.as_ref();
        let list_name = match kind {
            CheckKind::Webview => "webview_domains",
            _ => "server_domains",
        };
        let scheme = kind.scheme().as_str();
        let h = host.as_deref().unwrap_or("");
        let h_trim = h.strip_suffix('.').unwrap_or(h);
        let p = port.unwrap_or(443);
        let port_suffix = if p == 443 {
            String::new()
        } else {
            format!(":{p}")
        };
        let (rule, reason, entry): (&str, String, Option<String>) = match because {
            Because::NoPolicy => ("§3.1 rule 1", "no valid policy has been loaded".into(), None),
            Because::OutsideWindow => (
                "§3.1 rule 1",
                format!(
                    "policy version {} is not in force at {now}",
                    policy.map_or(0, |p| p.version)
                ),
                None,
            ),
            Because::UnknownApp => (
                "§3.1 rule 2",
                format!("app `{app}` is not in policy version {}", policy.map_or(0, |p| p.version)),
                None,
            ),
            Because::ApiNotWhitelisted => (
                "§3.2 rule 3",
                format!("`control.apis` is on for `{app}` and `{subject}` is neither a built-in API nor in its `api_whitelist`"),
                Some("api_whitelist".into()),
            ),
            Because::ApiNotGranted => (
                "§3.2 rule 4",
                format!("`{subject}` is a restricted sensitive API for this kind of app and `{app}` has no grant for it"),
                Some("granted_apis".into()),
            ),
            Because::ApiGranted => (
                "§3.2 rule 5",
                format!("`{subject}` is restricted and granted to `{app}`"),
                Some("granted_apis".into()),
            ),
            Because::ApiBuiltin | Because::ApiWhitelisted | Because::ApiUnrestricted => {
                let why = match because {
                    Because::ApiBuiltin => "passes the API whitelist as a built-in API",
                    Because::ApiWhitelisted => "is in the app's `api_whitelist`",
                    _ => "is not restricted for this kind of app",
                };
                let sensitive = self
                    .api_ids
                    .get(subject)
                    .zip(policy)
                    .is_some_and(|(id, p)| p.api_flags(id) & SENSITIVE != 0);
                let extra = if sensitive { " (a public sensitive API)" } else { "" };
                ("§3.2 rule 5", format!("`{subject}` {why}{extra}"), None)
            }
            Because::UrlTooLong => (
                "§3.3 rule 3",
                format!("the URL is longer than {} bytes", limits::MAX_URL_BYTES),
                None,
            ),
            Because::UrlUnparsable => ("§3.3 rule 3", "the WHATWG URL parser refuses the URL".into(), None),
            Because::UrlUserinfo => ("§3.3 rule 3", "the URL has a username or password".into(), None),
            Because::UrlScheme => (
                "§3.3 rule 4",
                format!("a {} check takes only `{scheme}:` URLs", kind.as_str()),
                None,
            ),
            Because::SwitchOff => (
                "§3.3 rule 5",
                format!("`control.{list_name}` is off for `{app}`"),
                Some(list_name.into()),
            ),
            Because::IpHost => (
                "§3.3 rule 6",
                format!("`{h}` is an IP address, which never matches an entry"),
                Some(list_name.into()),
            ),
            Because::NoHost => (
                "§3.3 rule 6",
                format!("no `{scheme}` entry of `{list_name}` matches `{h}`"),
                Some(list_name.into()),
            ),
            Because::WrongPort => (
                "§3.3 rule 7",
                format!("entries of `{list_name}` match `{h}`, but none allows port {p}"),
                Some(list_name.into()),
            ),
            Because::Exact => (
                "§3.3 rule 8",
                format!("`{h}` port {p} matches an entry of `{list_name}`"),
                Some(format!("{scheme}://{h_trim}{port_suffix}")),
            ),
            Because::Wildcard(offset) => (
                "§3.3 rule 8",
                format!("`{h}` port {p} matches a wildcard entry of `{list_name}`"),
                Some(format!(
                    "{scheme}://*.{}{port_suffix}",
                    h_trim.get(offset..).unwrap_or("")
                )),
            ),
        };
        let reason = if decision.reported {
            format!("{reason}; report mode lets the call through")
        } else {
            reason
        };
        Explanation {
            decision,
            rule: rule.to_owned(),
            reason,
            entry,
        }
    }

    /// The policy in force at `now`, or why there is none.
    #[inline(always)]
    fn in_force(&self, now: u64) -> Result<&Compiled, Because> {
        match &self.active {
            None => Err(Because::NoPolicy),
            Some(p) if !p.in_window(now) => Err(Because::OutsideWindow),
            Some(p) => Ok(p),
        }
    }

    /// §3.1 and §3.2, written once.
    #[inline(always)]
    fn eval_api(&self, app: Option<u32>, api: Option<u32>, now: u64) -> (Verdict, Because) {
        let policy = match self.in_force(now) {
            Ok(p) => p,
            Err(b) => return (Verdict::deny(DenyCode::NoPolicy), b),
        };
        let Some(rules) = app.and_then(|h| policy.api_rules(h)) else {
            return policy_verdict(policy, DenyCode::UnknownApp, Because::UnknownApp);
        };
        let flags = api.map_or(0, |id| policy.api_flags(id));
        let listed = |list: &[u32]| api.is_some_and(|id| list.binary_search(&id).is_ok());
        if rules.control_apis && flags & BUILTIN == 0 && !listed(&rules.whitelist) {
            return policy_verdict(
                policy,
                DenyCode::ApiNotWhitelisted,
                Because::ApiNotWhitelisted,
            );
        }
        if flags & rules.restricted_bit != 0 {
            if !listed(&rules.granted) {
                return policy_verdict(
                    policy,
                    DenyCode::PermissionNotGranted,
                    Because::ApiNotGranted,
                );
            }
            return (Verdict::ALLOW, Because::ApiGranted);
        }
        let because = if !rules.control_apis {
            Because::ApiUnrestricted
        } else if flags & BUILTIN != 0 {
            Because::ApiBuiltin
        } else {
            Because::ApiWhitelisted
        };
        (Verdict::ALLOW, because)
    }

    /// §3.1 and §3.3, written once. Also returns the parsed URL for messages.
    fn eval_url<'u>(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        url: &'u str,
        now: u64,
    ) -> (Verdict, Because, Option<Target<'u>>) {
        let policy = match self.in_force(now) {
            Ok(p) => p,
            Err(b) => return (Verdict::deny(DenyCode::NoPolicy), b, None),
        };
        let Some((index, app)) = app.and_then(|h| policy.app(h)) else {
            let (v, b) = policy_verdict(policy, DenyCode::UnknownApp, Because::UnknownApp);
            return (v, b, None);
        };
        let deny = |code, because, parsed| {
            let (v, b) = policy_verdict(policy, code, because);
            (v, b, parsed)
        };
        if kind == CheckKind::Api {
            return deny(DenyCode::InvalidUrl, Because::UrlUnparsable, None);
        }
        if url.len() > limits::MAX_URL_BYTES {
            return deny(DenyCode::InvalidUrl, Because::UrlTooLong, None);
        }
        let Some(target) = target::parse(url) else {
            return deny(DenyCode::InvalidUrl, Because::UrlUnparsable, None);
        };
        if target.userinfo {
            return deny(DenyCode::InvalidUrl, Because::UrlUserinfo, Some(target));
        }
        if target.scheme != Some(kind.scheme()) {
            return deny(DenyCode::InsecureScheme, Because::UrlScheme, Some(target));
        }
        let (switch, list) = match kind {
            CheckKind::Webview => (app.control.webview_domains, List::WebviewHttps),
            CheckKind::Socket => (app.control.server_domains, List::ServerWss),
            _ => (app.control.server_domains, List::ServerHttps),
        };
        debug_assert_eq!(list.scheme(), kind.scheme());
        if !switch {
            return (Verdict::ALLOW, Because::SwitchOff, Some(target));
        }
        if target.ip {
            return deny(
                DenyCode::DomainNotWhitelisted,
                Because::IpHost,
                Some(target),
            );
        }
        let Some(host) = target.host.as_deref() else {
            return deny(
                DenyCode::DomainNotWhitelisted,
                Because::NoHost,
                Some(target),
            );
        };
        let port = target.port.unwrap_or(443);
        match policy.match_host(index, list, host, port) {
            HostMatch::Exact => (Verdict::ALLOW, Because::Exact, Some(target)),
            HostMatch::Wildcard(at) => (Verdict::ALLOW, Because::Wildcard(at), Some(target)),
            HostMatch::WrongPort => {
                deny(DenyCode::PortNotAllowed, Because::WrongPort, Some(target))
            }
            HostMatch::None => deny(
                DenyCode::DomainNotWhitelisted,
                Because::NoHost,
                Some(target),
            ),
        }
    }
}

/// A denial under the policy's mode: `report` mode lets it through, reported.
#[inline]
fn policy_verdict(policy: &Compiled, code: DenyCode, because: Because) -> (Verdict, Because) {
    match policy.mode {
        Mode::Enforce => (Verdict::deny(code), because),
        Mode::Report => (Verdict::report(code), because),
    }
}

fn host_port(target: Option<&Target<'_>>) -> (Option<String>, Option<u16>) {
    match target {
        Some(t) => (t.host.as_deref().map(str::to_owned), t.port),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::PROBES;

    const SECRET: &str = "k3yK3yk3yK3yk3y1";

    fn loaded(policy: &str, now: u64) -> Guard {
        let mut guard = Guard::new(SECRET).unwrap();
        let key = SecretKey::new(SECRET).unwrap();
        guard
            .load(&bundle::sign(policy.as_bytes(), &key), now)
            .unwrap();
        guard
    }

    /// A host of 400,000 labels against wildcard entries costs one hash probe
    /// per label the entries share with it, not one per suffix: linear, with
    /// the walk stopping at the first label no entry continues with.
    #[test]
    fn a_huge_host_costs_a_bounded_label_walk() {
        let guard = loaded(
            r#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0,
              "apps":[{"app_id":"a","kind":"mini_program","control":{"server_domains":true},
              "server_domains":["https://*.a.example","https://*.a.a.example:8443",
                "https://*.b.a.example","https://a.example"]}]}"#,
            10,
        );
        for (prefix, port, allow) in [
            ("a.", "", true),
            ("a.", ":8443", true),
            ("b.", "", true),
            ("c.", ":9", false),
            // Through the `url` crate (IDNA validates every label): still linear.
            ("xn--bcher-kva.", "", false),
        ] {
            let host = prefix.repeat(400_000) + "a.example";
            let url = format!("https://{host}{port}/");
            PROBES.with(|p| p.set(0));
            let v = guard.check_url("a", CheckKind::Request, &url, 10);
            let probes = PROBES.with(std::cell::Cell::get);
            assert_eq!(v.verdict.allow(), allow, "{prefix}");
            // The trie is at most three labels deep under the root, so the walk
            // stops after at most four probes whatever the host's length.
            assert!(probes <= 4, "{probes} probes for {prefix}");
        }
        // Deepest match with the port wins; a host matched without the port
        // is `port_not_allowed`.
        let v = guard.check_url("a", CheckKind::Request, "https://x.a.a.example:8443/", 10);
        assert!(v.verdict.allow());
        let e = guard.explain("a", CheckKind::Request, "https://x.a.a.example:8443/", 10);
        assert_eq!(e.entry.as_deref(), Some("https://*.a.a.example:8443"));
        let e = guard.explain("a", CheckKind::Request, "https://x.a.a.example/", 10);
        assert_eq!(e.entry.as_deref(), Some("https://*.a.example"));
        let v = guard.check_url("a", CheckKind::Request, "https://a.example:8443/", 10);
        assert_eq!(v.verdict.code(), Some(DenyCode::PortNotAllowed));
        let v = guard.check_url("a", CheckKind::Request, "https://x.example/", 10);
        assert_eq!(v.verdict.code(), Some(DenyCode::DomainNotWhitelisted));
    }

    /// Names made up by callers, far more than the whole name table, neither
    /// grow memory without bound nor make a later load fail; ids handed out
    /// earlier stay valid.
    #[test]
    fn made_up_names_never_make_a_load_fail() {
        let policy = |version: u32, granted: &str| {
            format!(
                r#"{{"schema":1,"superapp_id":"s","version":{version},"issued_at":0,
                  "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
                  "apps":[{{"app_id":"mp","kind":"mini_program","granted_apis":[{granted}]}}]}}"#
            )
        };
        let mut guard = loaded(&policy(1, r#""getLocation""#), 10);
        let app = guard.app_handle("mp").unwrap();
        let api = guard.api_id("getLocation").unwrap();
        assert!(guard.check_api_id(app, api, 10).allow());
        let early = guard.api_id("madeUpEarly").unwrap();
        let early_app = guard.app_handle("mp_later").unwrap();
        for i in 0..=limits::MAX_INTERNED {
            let name = format!("madeUp{i}");
            guard.api_id(&name);
            guard.app_handle(&name);
            guard.check_api(&name, &name, 10);
        }
        assert!(guard.api_ids.len() < 10_000, "{}", guard.api_ids.len());
        assert!(guard.app_ids.len() < 10_000, "{}", guard.app_ids.len());
        assert_eq!(
            guard.api_id("one-more"),
            None,
            "a full caller table answers None"
        );
        assert!(
            guard.check_api("mp", "one-more", 10).allow(),
            "checks by name still work"
        );

        let key = SecretKey::new(SECRET).unwrap();
        let revoke = bundle::sign(policy(2, "").as_bytes(), &key);
        guard.load(&revoke, 10).unwrap();
        assert_eq!(
            guard.check_api_id(app, api, 10).code(),
            Some(DenyCode::PermissionNotGranted)
        );
        assert_eq!(guard.api_id("madeUpEarly"), Some(early));
        assert_eq!(guard.app_handle("mp_later"), Some(early_app));
        assert_eq!(guard.api_name(early), Some("madeUpEarly"));
    }

    /// The size bound comes before anything is decoded or copied.
    #[test]
    fn an_oversized_bundle_is_refused_before_decoding() {
        let mut guard = Guard::new(SECRET).unwrap();
        // Not even JWS-shaped: a decoder would say so first if it ran first.
        let huge = "!".repeat(limits::MAX_BUNDLE_BYTES + 1);
        let e = guard.load(&huge, 10).unwrap_err();
        assert_eq!(e.code, LoadCode::MalformedBundle);
        assert!(e.message.contains("more than the limit"), "{}", e.message);
        let just_fits = "!".repeat(limits::MAX_BUNDLE_BYTES);
        let e = guard.load(&just_fits, 10).unwrap_err();
        assert!(!e.message.contains("more than the limit"), "{}", e.message);
    }

    #[test]
    fn href_is_forwarded_whatever_the_verdict() {
        let mut guard = loaded(
            r#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0,"mode":"report",
              "apps":[{"app_id":"a","kind":"mini_program","control":{"server_domains":true},
              "server_domains":["https://api.shop.example"]}]}"#,
            10,
        );
        let app = guard.app_handle("a").unwrap();
        let plain = "https://api.shop.example/v1?x=1";
        let (v, href) = guard.check_url_href(app, CheckKind::Request, plain, 10);
        assert!(v.verdict.allow() && v.host.is_none());
        assert!(matches!(href, Some(Cow::Borrowed(h)) if h == plain));
        let (v, href) = guard.check_url_href(
            app,
            CheckKind::Request,
            "https://api.shop.example\\@evil.example/",
            10,
        );
        assert!(v.verdict.allow());
        assert_eq!(
            href.as_deref(),
            Some("https://api.shop.example/@evil.example/")
        );
        // Reported through: the bridge forwards the href of the denied URL.
        let (v, href) =
            guard.check_url_href_by_app("nobody", CheckKind::Request, "HTTPS://X.Example", 10);
        assert!(v.verdict.reported());
        assert_eq!(href.as_deref(), Some("https://x.example/"));
        let (v, href) = guard.check_url_href(app, CheckKind::Request, "https://exa mple/", 10);
        assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
        assert_eq!(href, None);
    }
}
