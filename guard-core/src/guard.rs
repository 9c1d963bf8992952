//! The guard: what it holds (keys, name tables, the compiled policy) and the
//! checks it answers, as the contract names them (`policy.md` §3). The rules
//! themselves are in `rules.rs`, the lifecycle in `load.rs`, and `explain.rs`
//! says which rule decided; every check here calls the same rule functions.

use std::borrow::Cow;
use std::ops::Range;

use crate::catalogue;
use crate::compiled::Compiled;
use crate::config::{GuardConfig, Trust};
use crate::decision::{CheckKind, Decision, Verdict};
use crate::intern::Interner;
use crate::keys::{KeySet, SecretError, SecretKey};
use crate::keyset::VerifiedKeyset;
use crate::limits;
use crate::media::{self, MediaTarget};
use crate::target::{self, Target};

/// An interned API name: stable for the life of the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiId(pub u32);

/// An interned app id: stable for the life of the guard, whichever policy is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppHandle(pub u32);

/// The result of a URL or socket check: the verdict plus the host and port
/// its message names (both as the WHATWG parser serialised them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// The parsed URL's (or socket target's) host, when it parsed.
    pub host: Option<String>,
    /// The parsed URL's effective port (443 when absent), when it parsed.
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

/// One check of `policy.md` §3, whatever its kind: what [`Guard::decide_check`]
/// and [`Guard::explain_check`] take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check<'a> {
    /// `api(name)` (§3.2).
    Api(&'a str),
    /// A URL check of one of the five URL kinds (§3.3).
    Url(CheckKind, &'a str),
    /// `launch(version, package_sha256)` (§3.5).
    Launch {
        /// The code package's version.
        version: &'a str,
        /// The SHA-256 of the package's bytes, as hex.
        package_sha256: &'a str,
    },
    /// `tcp(host, port)` or `udp(host, port)` (§3.7).
    Socket(CheckKind, &'a str, u32),
    /// A redirect hop of a `request`, `upload` or `download` (or a `webview`
    /// navigation) (§3.6).
    Redirect {
        /// The kind of the call that is redirected.
        kind: CheckKind,
        /// The href of the URL that answered with the redirect.
        base_href: &'a str,
        /// The `Location` it answered with.
        location: &'a str,
        /// Which hop this is, counted from 1.
        hop: u32,
    },
}

impl<'a> Check<'a> {
    /// The check of `kind` on a one-string subject, as vector files and the
    /// command line give it: the API name, the URL, or `host:port` for `tcp`
    /// and `udp` (an IPv6 host in brackets). `None` for `launch`, which takes
    /// two strings.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{Check, CheckKind};
    /// assert_eq!(Check::from_subject(CheckKind::Udp, "[::1]:53"),
    ///            Some(Check::Socket(CheckKind::Udp, "[::1]", 53)));
    /// // No port, or one that is not decimal digits: port 0, which no check allows.
    /// assert_eq!(Check::from_subject(CheckKind::Tcp, "a.example"),
    ///            Some(Check::Socket(CheckKind::Tcp, "a.example", 0)));
    /// ```
    pub fn from_subject(kind: CheckKind, subject: &'a str) -> Option<Check<'a>> {
        Some(match kind {
            CheckKind::Api => Check::Api(subject),
            CheckKind::Tcp | CheckKind::Udp => {
                let (host, port) = split_host_port(subject);
                Check::Socket(kind, host, port)
            }
            CheckKind::Launch => return None,
            _ => Check::Url(kind, subject),
        })
    }

    /// The kind of this check.
    pub fn kind(&self) -> CheckKind {
        match *self {
            Check::Api(_) => CheckKind::Api,
            Check::Url(kind, _) | Check::Socket(kind, ..) | Check::Redirect { kind, .. } => kind,
            Check::Launch { .. } => CheckKind::Launch,
        }
    }
}

/// `host:port` split at the last `:`; the port is `0` (never allowed) when
/// missing or not 1 to 10 decimal digits, and saturates past `u32`.
fn split_host_port(target: &str) -> (&str, u32) {
    let Some((host, port)) = target.rsplit_once(':') else {
        return (target, 0);
    };
    if port.is_empty() || port.len() > 10 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return (host, 0);
    }
    (host, port.parse().unwrap_or(u32::MAX))
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
/// assert_eq!(d.message, "getLocation:fail jsapi has no permission");
/// assert!(guard.decide("mp", CheckKind::Request, "https://api.example/v1", 100).allow);
/// ```
#[derive(Debug)]
pub struct Guard {
    /// What verifies bundles (and, with roots, key sets).
    pub(crate) trust: Trust,
    /// §3.7: the serialisations of the prefixes the host treats as local.
    pub(crate) local_prefixes: Vec<String>,
    /// With roots (§2.1): the key set in force, which is the key-set floor.
    pub(crate) keyset: Option<VerifiedKeyset>,
    /// With roots: the key set that admitted the bundle in force, kept so
    /// a restart can verify that bundle again even after a rotation.
    pub(crate) bundle_keyset: Option<VerifiedKeyset>,
    /// With roots: the bundle at the floor as received, so a host persists
    /// the floor as the signed document that set it.
    pub(crate) bundle_jws: Option<Box<str>>,
    pub(crate) api_ids: Interner,
    pub(crate) app_ids: Interner,
    pub(crate) catalogue: u32,
    pub(crate) active: Option<Compiled>,
    pub(crate) accepted: Option<Accepted>,
}

/// The bundle the guard accepted last: its anti-rollback floor.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    pub(crate) superapp_id: String,
    pub(crate) version: u64,
    pub(crate) digest: [u8; 32],
}

impl Guard {
    /// A guard with no policy (every check denies `no_policy`) for the superapp
    /// whose SecretKey is `secret` (HS256 bundles only).
    ///
    /// # Errors
    ///
    /// [`SecretError`] when `secret` is not 16, 24 or 32 ASCII letters and digits.
    pub fn new(secret: &str) -> Result<Guard, SecretError> {
        Ok(Guard::with_key(SecretKey::new(secret)?))
    }

    /// A guard with no policy, for an already validated SecretKey.
    pub fn with_key(key: SecretKey) -> Guard {
        Guard::with_keys(KeySet::secret(key))
    }

    /// A guard with no policy that verifies bundles with `keys`: HS256 with
    /// its SecretKey, EdDSA with its Ed25519 keys by `kid` (§2).
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, keys::KeySet, Guard};
    /// let seed = [9u8; 32];
    /// let x = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    /// let mut keys = KeySet::default();
    /// keys.add_ed25519("2026-12", &x).unwrap();
    /// let mut guard = Guard::with_keys(keys);
    /// let policy = br#"{"schema":2,"superapp_id":"demo","version":1,"issued_at":0,"apps":[]}"#;
    /// guard.load(&bundle::sign_ed25519(policy, "2026-12", &seed), 100).unwrap();
    /// ```
    pub fn with_keys(keys: KeySet) -> Guard {
        Guard::from_config(GuardConfig::keys(keys))
    }

    /// A guard with no policy, created as `config` says: with signing keys
    /// (v1, v2) or with root keys for one superapp (v3, §2.1), and the local
    /// media prefixes of §3.7. [`GuardConfig`] refuses impossible
    /// configurations when it is built.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{keys::KeySet, CheckKind, Guard, GuardConfig};
    /// let x = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]).verifying_key().to_bytes();
    /// let mut roots = KeySet::default();
    /// roots.add_ed25519("root-1", &x).unwrap();
    /// let config = GuardConfig::roots(roots, "demo").with_local_prefixes(&["http://tmp/"]).unwrap();
    /// let guard = Guard::from_config(config);
    /// assert!(!guard.decide("mp", CheckKind::Media, "http://tmp/a.png", 0).allow); // no policy yet
    /// ```
    pub fn from_config(config: GuardConfig) -> Guard {
        let mut api_ids = Interner::default();
        let mut catalogue = 0;
        for name in catalogue::names() {
            if api_ids.intern(name).is_some() {
                catalogue += 1;
            }
        }
        Guard {
            trust: config.trust,
            local_prefixes: config.local_prefixes,
            keyset: None,
            bundle_keyset: None,
            bundle_jws: None,
            api_ids,
            app_ids: Interner::default(),
            catalogue,
            active: None,
            accepted: None,
        }
    }

    /// The superapp a guard created with roots serves (§2.1).
    pub fn root_superapp(&self) -> Option<&str> {
        match &self.trust {
            Trust::Roots { superapp_id, .. } => Some(superapp_id),
            Trust::Keys(_) => None,
        }
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

    /// The clocks `[from, until)` around `now` over which
    /// [`Guard::check_api_id`] answers `(app, api)` as it does at `now`
    /// while this guard is unchanged (no load, floor, key set or state
    /// restored since): what a caller may reuse that verdict for. Today
    /// that is the policy's window (only §3.1 rule 1 reads the clock).
    /// `now` is inside it, except `u64::MAX`. Allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, Guard, SecretKey, Verdict};
    /// let policy = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "nbf":100,"expires_at":200,"apps":[{"app_id":"mp","kind":"mini_program"}]}"#;
    /// let key = SecretKey::new("k3yK3yk3yK3yk3y1").unwrap();
    /// let mut guard = Guard::new("k3yK3yk3yK3yk3y1").unwrap();
    /// guard.load(&bundle::sign(policy, &key), 150).unwrap();
    /// let (app, api) = (guard.app_handle("mp").unwrap(), guard.api_id("getLocation").unwrap());
    /// assert_eq!(guard.check_api_id(app, api, 150), Verdict::ALLOW);
    /// assert_eq!(guard.api_verdict_span(app, api, 150), 100..200);
    /// assert_eq!(guard.api_verdict_span(app, api, 250), 200..u64::MAX);
    /// ```
    #[inline]
    pub fn api_verdict_span(&self, app: AppHandle, api: ApiId, now: u64) -> Range<u64> {
        self.api_span(Some(app.0), Some(api.0), now)
    }

    /// API check by name (§3.1, §3.2). Allocates nothing.
    pub fn check_api(&self, app: &str, api: &str, now: u64) -> Verdict {
        self.eval_api(self.app_ids.get(app), self.api_ids.get(api), now)
            .0
    }

    /// URL check (§3.1, §3.3) for one of the five URL kinds. Any other kind
    /// here is a caller bug and answers `invalid_url`.
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

    /// Media check (§3.1, §3.7, contract v3): a source the platform shows or
    /// plays, classified first (inline, platform file, package path, local
    /// prefix, or network). Also returns what the enforcement point hands on
    /// when the call goes through: a local or inline target as §3.7
    /// classified it, a network target as the WHATWG parser serialised it.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, CheckKind, DenyCode, Guard, GuardConfig, SecretKey, keys::KeySet};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let policy = br#"{"schema":3,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "apps":[{"app_id":"mp","kind":"mini_program","control":{"media_domains":true},
    ///            "domains":{"media":["https://cdn.example"]}}]}"#;
    /// let config = GuardConfig::keys(KeySet::secret(SecretKey::new(secret).unwrap()));
    /// let mut guard = Guard::from_config(config.with_local_prefixes(&["http://tmp/"]).unwrap());
    /// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// let (v, on) = guard.check_media("mp", "HTTP://TMP/a.png", 100);
    /// assert!(v.verdict.allow());
    /// assert_eq!(on.as_deref(), Some("http://tmp/a.png"));
    /// let (v, _) = guard.check_media("mp", "//evil.example/a.png", 100);
    /// assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
    /// let (v, _) = guard.check_media("mp", "https://evil.example/a.png", 100);
    /// assert_eq!(v.verdict.code(), Some(DenyCode::DomainNotWhitelisted));
    /// ```
    pub fn check_media<'u>(
        &self,
        app: &str,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        self.media_verdict(self.app_ids.get(app), url, now)
    }

    /// [`Guard::check_media`] by app handle.
    pub fn check_media_handle<'u>(
        &self,
        app: AppHandle,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        self.media_verdict(Some(app.0), url, now)
    }

    fn media_verdict<'u>(
        &self,
        app: Option<u32>,
        url: &'u str,
        now: u64,
    ) -> (UrlVerdict, Option<Cow<'u, str>>) {
        let ((verdict, _, parsed), local) = match self.rule_app(app, now) {
            Ok((policy, rules)) => self.media_rules(policy, rules, url),
            Err((v, b)) => {
                // Report mode let a local or inline target through (an
                // unknown app): it is handed on as §3.7 classified it, as
                // for a known app, never as the raw string.
                let decided = self.harden(v, b, CheckKind::Media, Some(url), now);
                let local = match media::classify(url, &self.local_prefixes) {
                    MediaTarget::Local(local) if decided.0.allow() => Some(local),
                    _ => None,
                };
                (decided, local)
            }
        };
        let on_hand = match local {
            Some(local) => Some(local),
            None if url.len() > limits::MAX_URL_BYTES => None,
            None => match &parsed {
                Some(t) => target::href(url, t.href.clone()),
                None => None,
            },
        };
        (url_verdict(verdict, parsed.as_ref(), false), on_hand)
    }

    /// Launch check (§3.1, §3.5): may the base library run this code package?
    /// Only the released `version` (compared exactly) with the released
    /// `package_sha256` (64 hex digits, either case; anything else never
    /// matches) is allowed. Allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, DenyCode, Guard, SecretKey};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let sha = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
    /// let policy = format!(r#"{{"schema":2,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "apps":[{{"app_id":"mp","kind":"mini_program","release":{{"version":"1.4.2","package_sha256":"{sha}"}}}}]}}"#);
    /// let mut guard = Guard::new(secret).unwrap();
    /// guard.load(&bundle::sign(policy.as_bytes(), &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// assert!(guard.check_launch("mp", "1.4.2", &sha.to_uppercase(), 100).allow());
    /// assert_eq!(guard.check_launch("mp", "1.4.2 ", sha, 100).code(), Some(DenyCode::VersionNotReleased));
    /// ```
    pub fn check_launch(
        &self,
        app: &str,
        version: &str,
        package_sha256: &str,
        now: u64,
    ) -> Verdict {
        self.eval_launch(self.app_ids.get(app), version, package_sha256, now)
            .0
    }

    /// Raw socket check (§3.1, §3.7) for [`CheckKind::Tcp`] or
    /// [`CheckKind::Udp`]: `host` must be a valid WHATWG host (an IPv6 address
    /// in brackets) and `port` in 1–65535, else `invalid_url`; a blocked host
    /// is `domain_blocked`; then the app's `control.server_domains` decides
    /// (off: allow; on: `domain_not_whitelisted`, as no list carries raw
    /// sockets). Also returns the host as the WHATWG host parser serialised
    /// it, which is what the enforcement point hands on.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, CheckKind, Guard, SecretKey};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let policy = br#"{"schema":2,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "blocked_hosts":["*.internal.example"],"apps":[{"app_id":"mp","kind":"mini_program"}]}"#;
    /// let mut guard = Guard::new(secret).unwrap();
    /// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// let (v, host) = guard.check_socket_target("mp", CheckKind::Tcp, "Printer.LAN.example", 9100, 100);
    /// assert!(v.verdict.allow());
    /// assert_eq!(host.as_deref(), Some("printer.lan.example"));
    /// let (v, _) = guard.check_socket_target("mp", CheckKind::Udp, "a.internal.example.", 53, 100);
    /// assert!(!v.verdict.allow());
    /// ```
    pub fn check_socket_target(
        &self,
        app: &str,
        kind: CheckKind,
        host: &str,
        port: u32,
        now: u64,
    ) -> (UrlVerdict, Option<String>) {
        let (verdict, _, serialised) =
            self.eval_socket(self.app_ids.get(app), kind, host, port, now);
        let port = serialised.as_ref().and_then(|_| u16::try_from(port).ok());
        let verdict = UrlVerdict {
            verdict,
            host: serialised.clone(),
            port,
        };
        (verdict, serialised)
    }

    /// Any check, answered as the contract's decision object. For
    /// [`CheckKind::Api`] `subject` is the API name, for `tcp` and `udp`
    /// `host:port`, else the URL; a `launch` here (which takes two strings)
    /// is a caller bug and answers `invalid_url` (use [`Guard::decide_check`]).
    pub fn decide(&self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        match Check::from_subject(kind, subject) {
            Some(check) => self.decide_check(app, &check, now),
            None => self.decide_check(app, &Check::Url(kind, subject), now),
        }
    }

    /// Any check, answered as the contract's decision object.
    pub fn decide_check(&self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        match *check {
            Check::Api(name) => Decision::new(self.check_api(app, name, now), name, None, None),
            Check::Url(kind, url) => self.check_url(app, kind, url, now).decision(kind),
            Check::Launch {
                version,
                package_sha256,
            } => Decision::new(
                self.check_launch(app, version, package_sha256, now),
                CheckKind::Launch.url_label().unwrap_or("launch"),
                None,
                None,
            ),
            Check::Socket(kind, host, port) => self
                .check_socket_target(app, kind, host, port, now)
                .0
                .decision(kind),
            Check::Redirect {
                kind,
                base_href,
                location,
                hop,
            } => self
                .check_redirect(app, kind, base_href, location, hop, now)
                .0
                .decision(kind),
        }
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
            target::href(url, parsed.and_then(|t| t.href))
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
        (url_verdict(verdict, parsed.as_ref(), terse), parsed)
    }
}

/// A verdict with the host and port its message names: always, or (`terse`)
/// only when the verdict carries a code.
pub(crate) fn url_verdict(
    verdict: Verdict,
    target: Option<&Target<'_>>,
    terse: bool,
) -> UrlVerdict {
    let (host, port) = if terse && verdict.code().is_none() {
        (None, None)
    } else {
        host_port(target)
    };
    UrlVerdict {
        verdict,
        host,
        port,
    }
}

pub(crate) fn host_port(target: Option<&Target<'_>>) -> (Option<String>, Option<u16>) {
    match target {
        Some(t) => (t.host().map(str::to_owned), t.port),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle;
    use crate::compiled::PROBES;
    use crate::decision::DenyCode;
    use crate::load::LoadCode;

    const SECRET: &str = "k3yK3yk3yK3yk3y1";

    fn loaded(policy: &str, now: u64) -> Guard {
        let mut guard = Guard::new(SECRET).unwrap();
        let key = SecretKey::new(SECRET).unwrap();
        guard
            .load(&bundle::sign(policy.as_bytes(), &key), now)
            .unwrap();
        guard
    }

    fn signed(superapp: &str, version: u64, apps: &str) -> String {
        let doc = format!(
            r#"{{"schema":1,"superapp_id":"{superapp}","version":{version},"issued_at":0,"apps":{apps}}}"#
        );
        bundle::sign(doc.as_bytes(), &SecretKey::new(SECRET).unwrap())
    }

    /// After a restart the floor a host kept refuses what the guard refused
    /// before: a lower version, and the same version with other bytes (what
    /// a server restored from a backup would serve). The same bundle loads.
    #[test]
    fn a_restored_floor_refuses_what_was_refused_before_the_restart() {
        let v8 = signed("demo", 8, "[]");
        let mut before = Guard::new(SECRET).unwrap();
        before.load(&v8, 1).unwrap();
        let floor = crate::Floor::from_json(&before.floor().unwrap().to_json()).unwrap();

        let mut after = Guard::new(SECRET).unwrap();
        after.restore_floor(&floor).unwrap();
        assert_eq!(
            after.check_api("a", "getLocation", 1).code(),
            Some(DenyCode::NoPolicy)
        );
        for stale in [
            signed("demo", 7, "[]"),
            signed("demo", 8, r#"[{"app_id":"a","kind":"mini_program"}]"#),
        ] {
            assert_eq!(
                after.load(&stale, 1).unwrap_err().code,
                LoadCode::StaleVersion
            );
        }
        assert_eq!(
            after.load(&signed("other", 9, "[]"), 1).unwrap_err().code,
            LoadCode::InvalidPolicy
        );
        after.load(&v8, 1).unwrap();
        after.load(&signed("demo", 9, "[]"), 1).unwrap();
    }

    /// The floor only rises; a higher one drops the older policy; a floor
    /// that contradicts what the guard accepted is refused and changes nothing.
    #[test]
    fn restore_floor_only_rises_and_refuses_contradictions() {
        let mut g = Guard::new(SECRET).unwrap();
        g.load(
            &signed("demo", 5, r#"[{"app_id":"a","kind":"mini_program"}]"#),
            1,
        )
        .unwrap();
        let mut floor = g.floor().unwrap();
        floor.version = 4;
        g.restore_floor(&floor).unwrap();
        assert_eq!(g.highest_version(), Some(5));
        assert!(g.check_api("a", "showToast", 1).allow());

        let mut other = g.floor().unwrap();
        other.digest = "00".repeat(32);
        assert!(matches!(
            g.restore_floor(&other),
            Err(crate::FloorError::OtherBundle(5))
        ));
        other.superapp_id = "evil".into();
        other.version = 6;
        assert!(matches!(
            g.restore_floor(&other),
            Err(crate::FloorError::OtherSuperapp { .. })
        ));
        assert!(
            g.check_api("a", "showToast", 1).allow(),
            "a refused floor changes nothing"
        );

        let mut higher = g.floor().unwrap();
        higher.version = 6;
        g.restore_floor(&higher).unwrap();
        assert_eq!(
            g.check_api("a", "showToast", 1).code(),
            Some(DenyCode::NoPolicy)
        );
        assert_eq!(
            g.load(&signed("demo", 5, "[]"), 1).unwrap_err().code,
            LoadCode::StaleVersion
        );

        for bad in [
            r#"{"superapp_id":"demo","version":1}"#,
            r#"{"superapp_id":"demo","version":1,"digest":"zz"}"#,
            r#"{"superapp_id":"","version":1,"digest":"0000000000000000000000000000000000000000000000000000000000000000"}"#,
            r#"{"superapp_id":"demo","version":-1,"digest":"0000000000000000000000000000000000000000000000000000000000000000"}"#,
            r#"{"superapp_id":"demo","version":1,"digest":"0000000000000000000000000000000000000000000000000000000000000000","x":1}"#,
        ] {
            assert!(
                matches!(
                    crate::Floor::from_json(bad),
                    Err(crate::FloorError::Malformed(_))
                ),
                "{bad}"
            );
        }
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
            // The trie is at most three labels deep under the app's root, so
            // the walk stops after at most four probes whatever the host's
            // length (no `blocked_hosts` here, so rule 4a probes nothing).
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

    /// Blocked-host matching does not grow with the number of patterns: ten
    /// thousand patterns and a host of 400,000 labels still cost a walk of a
    /// few labels (§3.3 rule 4a).
    #[test]
    fn blocked_hosts_cost_a_label_walk_however_many_patterns() {
        let patterns: Vec<String> = (0..limits::MAX_BLOCKED_HOSTS - 1)
            .map(|i| format!("\"*.p{i}.a.example\""))
            .collect();
        let guard = loaded(
            &format!(
                r#"{{"schema":2,"superapp_id":"s","version":1,"issued_at":0,
                  "blocked_hosts":[{},"*.deep.a.example"],
                  "apps":[{{"app_id":"a","kind":"mini_program"}}]}}"#,
                patterns.join(",")
            ),
            10,
        );
        for (host, blocked) in [
            ("x.".repeat(400_000) + "deep.a.example", true),
            ("x.".repeat(400_000) + "p9998.a.example", true),
            ("x.".repeat(400_000) + "a.example", false),
        ] {
            for kind in [CheckKind::Request, CheckKind::Tcp] {
                PROBES.with(|p| p.set(0));
                let blocked_code = if kind == CheckKind::Tcp {
                    let (v, _) = guard.check_socket_target("a", kind, &host, 443, 10);
                    v.verdict.code()
                } else {
                    let url = format!("https://{host}/");
                    guard.check_url("a", kind, &url, 10).verdict.code()
                };
                let probes = PROBES.with(std::cell::Cell::get);
                assert_eq!(blocked_code == Some(DenyCode::DomainBlocked), blocked);
                // `example`, `a`, the pattern's label, one `x`: four at most.
                assert!(probes <= 4, "{probes} probes");
            }
        }
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

    /// §3 (v3): a call report mode would let through on `unknown_app` is
    /// still parsed by rule 3 as a whole: userinfo is `invalid_url`, before
    /// the blocked hosts are compared, for URL and media targets alike.
    #[test]
    fn report_mode_refuses_userinfo_for_an_unknown_app() {
        let guard = loaded(
            r#"{"schema":3,"superapp_id":"demo","version":1,"issued_at":0,"mode":"report",
            "blocked_hosts":["blocked.example"],"apps":[]}"#,
            1,
        );
        let code = |kind, url| guard.decide("nobody", kind, url, 1).code;
        for (kind, url) in [
            (CheckKind::Request, "https://u:p@evil.example/"),
            (CheckKind::Request, "https://evil.example@blocked.example/"),
            (CheckKind::Webview, "https://u@evil.example/"),
            (CheckKind::Media, "https://u@evil.example/a.png"),
            (CheckKind::Media, "http://u@evil.exa\tmple/a.png"),
        ] {
            assert_eq!(code(kind, url), Some(DenyCode::InvalidUrl), "{url}");
        }
        let d = guard.decide("nobody", CheckKind::Request, "https://evil.example/", 1);
        assert!(d.allow && d.reported);
        assert_eq!(d.code, Some(DenyCode::UnknownApp));
    }

    /// §3.7: what a media check hands on when report mode lets an unknown
    /// app's local or inline target through is the classified form, as for
    /// a known app (the preprocessed path, the serialised local URL).
    #[test]
    fn a_reported_local_media_target_is_handed_on_classified() {
        let config = GuardConfig::from_json(&format!(
            r#"{{"secret":"{SECRET}","local_prefixes":["http://tmp/"]}}"#
        ))
        .unwrap();
        let mut guard = Guard::from_config(config);
        let policy = br#"{"schema":3,"superapp_id":"demo","version":1,"issued_at":0,
            "mode":"report","apps":[]}"#;
        let key = SecretKey::new(SECRET).unwrap();
        guard.load(&bundle::sign(policy, &key), 1).unwrap();
        for (raw, on) in [
            ("\t/images/a.png ", "/images/a.png"),
            ("da\nta:,x", "data:,x"),
            ("HTTP://TMP/a.png", "http://tmp/a.png"),
            ("https://evil.example/a\t.png", "https://evil.example/a.png"),
        ] {
            let (v, handed) = guard.check_media("nobody", raw, 1);
            assert!(v.verdict.reported(), "{raw:?}");
            assert_eq!(handed.as_deref(), Some(on), "{raw:?}");
        }
        let (v, handed) = guard.check_media("nobody", "//evil.example/a.png", 1);
        assert!(!v.verdict.allow());
        assert_eq!(handed, None);
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
