//! Which rule of `policy.md` §3 decided a check, and on which entry, pattern
//! or release: the same rule functions as the checks (`rules.rs`), with the
//! [`Because`] they return turned into words.

use serde::Serialize;

use crate::compiled::{Compiled, List, SENSITIVE};
use crate::decision::{CheckKind, Decision};
use crate::guard::{host_port, Check, Guard};
use crate::limits;
use crate::redirect::resolve;
use crate::rules::Because;
use crate::scheme::DEFAULT_PORT;

/// Which rule decided, and on what (`explain`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision itself.
    pub decision: Decision,
    /// The rule of `policy.md` that decided, e.g. `§3.3 rule 6`.
    pub rule: String,
    /// A sentence saying why, naming the entry that decided where one did.
    pub reason: String,
    /// The whitelist entry (normalised), `blocked_hosts` pattern, release or
    /// list name that decided, if any.
    pub entry: Option<String>,
}

impl Guard {
    /// [`Guard::decide`], plus which rule and which entry decided.
    pub fn explain(&self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Explanation {
        match Check::from_subject(kind, subject) {
            Some(check) => self.explain_check(app, &check, now),
            None => self.explain_check(app, &Check::Url(kind, subject), now),
        }
    }

    /// [`Guard::decide_check`], plus which rule and which entry, pattern or
    /// release decided.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, Check, CheckKind, Guard, SecretKey};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let policy = br#"{"schema":2,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "blocked_hosts":["*.internal.example"],"apps":[{"app_id":"mp","kind":"mini_program"}]}"#;
    /// let mut guard = Guard::new(secret).unwrap();
    /// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// let e = guard.explain_check("mp", &Check::Url(CheckKind::Request, "https://A.Internal.Example/"), 100);
    /// assert_eq!(e.rule, "§3.3 rule 4a");
    /// assert_eq!(e.entry.as_deref(), Some("blocked_hosts: *.internal.example"));
    /// ```
    pub fn explain_check(&self, app: &str, check: &Check<'_>, now: u64) -> Explanation {
        let handle = self.app_ids.get(app);
        let kind = check.kind();
        let (verdict, because, label, host, port) = match *check {
            Check::Api(name) => {
                let (v, b) = self.eval_api(handle, self.api_ids.get(name), now);
                (v, b, name, None, None)
            }
            Check::Url(kind, url) => {
                let (v, b, parsed) = self.eval_url(handle, kind, url, now);
                let (host, port) = host_port(parsed.as_ref());
                (v, b, kind.url_label().unwrap_or("api"), host, port)
            }
            Check::Launch {
                version,
                package_sha256,
            } => {
                let (v, b) = self.eval_launch(handle, version, package_sha256, now);
                (v, b, "launch", None, None)
            }
            Check::Socket(kind, host, port) => {
                let (v, b, serialised) = self.eval_socket(handle, kind, host, port, now);
                let port = serialised.as_ref().and_then(|_| u16::try_from(port).ok());
                (v, b, kind.url_label().unwrap_or("api"), serialised, port)
            }
            Check::Redirect {
                kind,
                base_href,
                location,
                hop,
            } => {
                let resolved = resolve(base_href, location);
                let (v, b, parsed) =
                    self.eval_redirect(handle, kind, resolved.as_deref(), hop, now);
                let (host, port) = host_port(parsed.as_ref());
                (v, b, kind.url_label().unwrap_or("api"), host, port)
            }
        };
        let decision = Decision::new(verdict, label, host.as_deref(), port);
        let (rule, reason, entry) =
            self.describe(app, check, kind, because, host.as_deref(), port, now);
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

    /// The rule, the sentence and the entry for `because`.
    #[allow(clippy::too_many_arguments)]
    fn describe(
        &self,
        app: &str,
        check: &Check<'_>,
        kind: CheckKind,
        because: Because,
        host: Option<&str>,
        port: Option<u16>,
        now: u64,
    ) -> Said {
        let policy = self.active.as_ref();
        let rules = self.app_ids.get(app).and_then(|h| policy?.app(h));
        // The list and switch that decided: the kind's own (v3 `domains`),
        // and media under a schema 1 or 2 document as `download` (§3.7).
        let list_kind = match kind {
            CheckKind::Media if policy.is_some_and(|p| p.media_as_download) => CheckKind::Download,
            other => other,
        };
        let list_name = match (kind, rules) {
            (CheckKind::Tcp, _) => List::Tcp.name(),
            (CheckKind::Udp, _) => List::Udp.name(),
            (_, Some(r)) => r.list(list_kind).name(),
            (CheckKind::Webview, None) => List::WebviewHttps.name(),
            (_, None) => List::ServerHttps.name(),
        };
        let switch_name = match list_kind {
            CheckKind::Webview => "webview_domains",
            CheckKind::Media => "media_domains",
            _ => "server_domains",
        };
        let h = host.unwrap_or("");
        let p = port.unwrap_or(DEFAULT_PORT);
        let w = Words {
            guard: self,
            policy,
            app,
            check,
            kind,
            subject: match *check {
                Check::Api(name) => name,
                Check::Url(_, url) => url,
                Check::Launch { version, .. } => version,
                Check::Socket(_, host, _) => host,
                Check::Redirect { location, .. } => location,
            },
            version: policy.map_or(0, |p| p.version),
            now,
            list_name,
            switch_name,
            scheme: kind.scheme().as_str(),
            h,
            h_trim: h.strip_suffix('.').unwrap_or(h),
            p,
            port_suffix: if p == DEFAULT_PORT {
                String::new()
            } else {
                format!(":{p}")
            },
        };
        w.standing(because)
            .or_else(|| w.api(because))
            .or_else(|| w.url(because))
            .or_else(|| w.release_or_redirect(because))
            .or_else(|| w.socket_or_media(because))
            .unwrap_or(("§3", format!("{because:?}"), None))
    }
}

/// The rule, the sentence and the entry that decided (`explain`).
type Said = (&'static str, String, Option<String>);

/// What the sentences of one explanation may name: the check, its app,
/// host and port, and the list and switch that decided. Each method words
/// the reasons of one part of §3 and answers `None` for the others.
struct Words<'a> {
    guard: &'a Guard,
    policy: Option<&'a Compiled>,
    app: &'a str,
    check: &'a Check<'a>,
    kind: CheckKind,
    subject: &'a str,
    version: u64,
    now: u64,
    list_name: &'static str,
    switch_name: &'static str,
    scheme: &'static str,
    h: &'a str,
    h_trim: &'a str,
    p: u16,
    port_suffix: String,
}

impl Words<'_> {
    /// §3.1 and the check's form: no policy, the window, the app.
    fn standing(&self, because: Because) -> Option<Said> {
        let (app, version) = (self.app, self.version);
        Some(match because {
            Because::NoPolicy => (
                "§3.1 rule 1",
                "no valid policy has been loaded".into(),
                None,
            ),
            Because::OutsideWindow => (
                "§3.1 rule 1",
                format!("policy version {version} is not in force at {}", self.now),
                None,
            ),
            Because::UnknownApp => (
                "§3.1 rule 2",
                format!("app `{app}` is not in policy version {version}"),
                None,
            ),
            Because::AppRemoved => (
                "§3.1 rule 2a",
                format!("the superapp removed app `{app}` (denied in every mode)"),
                Some("removed".into()),
            ),
            Because::NotThisKind => (
                "§3",
                format!("a {} check cannot be asked this way", self.kind.as_str()),
                None,
            ),
            _ => return None,
        })
    }

    /// `subject` as a sensitive API's name, with its permission group where
    /// the policy restricts by permission (§1).
    fn permission(&self) -> String {
        let name = self.subject;
        let grouped = self
            .policy
            .is_some_and(|p| p.by_permission)
            .then(|| crate::groups::group_of(name))
            .flatten();
        match grouped {
            Some(group) => format!("`{name}` (permission `{group}`)"),
            None => format!("`{name}`"),
        }
    }

    /// §3.2: the API checks.
    fn api(&self, because: Because) -> Option<Said> {
        let (app, subject) = (self.app, self.subject);
        Some(match because {
            Because::ApiNotWhitelisted => (
                "§3.2 rule 3",
                format!("`control.apis` is on for `{app}` and `{subject}` is neither a built-in API nor in its `api_whitelist`"),
                Some("api_whitelist".into()),
            ),
            Because::ApiNotGranted => (
                "§3.2 rule 4",
                format!("{} is a restricted sensitive API for this kind of app and `{app}` has no grant for it", self.permission()),
                Some("granted_apis".into()),
            ),
            Because::ApiGranted => (
                "§3.2 rule 5",
                format!("{} is restricted and granted to `{app}`", self.permission()),
                Some("granted_apis".into()),
            ),
            Because::ApiBuiltin | Because::ApiWhitelisted | Because::ApiUnrestricted => {
                let why = match because {
                    Because::ApiBuiltin => "passes the API whitelist as a built-in API",
                    Because::ApiWhitelisted => "is in the app's `api_whitelist`",
                    _ => "is not restricted for this kind of app",
                };
                let sensitive = self
                    .guard
                    .api_ids
                    .get(subject)
                    .zip(self.policy)
                    .is_some_and(|(id, p)| p.api_flags(id) & SENSITIVE != 0);
                let extra = if sensitive { " (a public sensitive API)" } else { "" };
                ("§3.2 rule 5", format!("`{subject}` {why}{extra}"), None)
            }
            _ => return None,
        })
    }

    /// `*.` and the part of the host from `at`, or the host alone.
    fn pattern(&self, at: Option<usize>) -> String {
        match at {
            None => self.h_trim.to_owned(),
            Some(at) => format!("*.{}", self.h_trim.get(at..).unwrap_or("")),
        }
    }

    /// §3.3: a URL's form, blocked hosts, the switch and the lists.
    fn url(&self, because: Because) -> Option<Said> {
        let (app, h, p, list_name, scheme) =
            (self.app, self.h, self.p, self.list_name, self.scheme);
        let port_suffix = &self.port_suffix;
        Some(match because {
            Because::UrlTooLong => (
                "§3.3 rule 3",
                format!("the URL is longer than {} bytes", limits::MAX_URL_BYTES),
                None,
            ),
            Because::UrlUnparsable => (
                "§3.3 rule 3",
                "the WHATWG URL parser refuses the URL".into(),
                None,
            ),
            Because::UrlUserinfo => (
                "§3.3 rule 3",
                "the URL has a username or password".into(),
                None,
            ),
            Because::UrlScheme => (
                "§3.3 rule 4",
                format!("a {} check takes only `{scheme}:` URLs", self.kind.as_str()),
                None,
            ),
            Because::Blocked(at) => {
                let pattern = self.pattern(at);
                let rule = if self.kind.is_url() || matches!(self.check, Check::Redirect { .. }) {
                    "§3.3 rule 4a"
                } else {
                    "§3.7"
                };
                (
                    rule,
                    format!("`{h}` matches the blocked host pattern `{pattern}` (denied on every port, in every mode)"),
                    Some(format!("blocked_hosts: {pattern}")),
                )
            }
            Because::SwitchOff => (
                "§3.3 rule 5",
                format!("`control.{}` is off for `{app}`", self.switch_name),
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
                Some(format!("{scheme}://{}{port_suffix}", self.h_trim)),
            ),
            Because::Wildcard(offset) => (
                "§3.3 rule 8",
                format!("`{h}` port {p} matches a wildcard entry of `{list_name}`"),
                Some(format!(
                    "{scheme}://{}{port_suffix}",
                    self.pattern(Some(offset))
                )),
            ),
            _ => return None,
        })
    }

    /// The app's released version and package digest, as the entry that
    /// decided a launch.
    fn release(&self) -> Option<String> {
        self.guard
            .app_ids
            .get(self.app)
            .and_then(|h| self.policy?.app(h))
            .and_then(|r| r.release.as_ref())
            .map(|(v, d)| {
                let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
                format!("release {v} ({hex})")
            })
    }

    /// §3.5 and §3.6: launches and redirects.
    fn release_or_redirect(&self, because: Because) -> Option<Said> {
        let subject = self.subject;
        Some(match because {
            Because::NoRelease => (
                "§3.5",
                format!("app `{}` has no released version", self.app),
                None,
            ),
            Because::WrongVersion => (
                "§3.5",
                format!(
                    "version `{}` is not the released one",
                    subject.escape_debug()
                ),
                self.release(),
            ),
            Because::WrongPackage => (
                "§3.5",
                "the package's SHA-256 is not the released package's (64 hex digits, either case)"
                    .into(),
                self.release(),
            ),
            Because::Released => (
                "§3.5",
                format!("version `{subject}` and its package are the released ones"),
                self.release(),
            ),
            Because::RedirectHops => (
                "§3.6",
                format!(
                    "hops count from 1 and at most {} are followed",
                    limits::MAX_REDIRECT_HOPS
                ),
                None,
            ),
            Because::RedirectUnresolved => (
                "§3.6",
                "the redirect's target does not resolve to a URL".into(),
                None,
            ),
            _ => return None,
        })
    }

    /// §3.7: raw sockets and media targets.
    fn socket_or_media(&self, because: Because) -> Option<Said> {
        let (app, h, p, list_name) = (self.app, self.h, self.p, self.list_name);
        Some(match because {
            Because::SocketHost => (
                "§3.7",
                format!("`{}` is not a valid WHATWG host", self.subject.escape_debug()),
                None,
            ),
            Because::SocketPort => ("§3.7", "the port is not in 1–65535".into(), None),
            Because::SocketSwitchOff => (
                "§3.7",
                format!("`control.server_domains` is off for `{app}`"),
                Some("server_domains".into()),
            ),
            Because::SocketNoList => (
                "§3.7",
                format!("`control.server_domains` is on for `{app}` and no entry of `{list_name}` matches `{h}` port {p}"),
                Some(list_name.into()),
            ),
            Because::SocketListed(at) => {
                let pattern = self.pattern(at);
                (
                    "§3.7",
                    format!("`{h}` port {p} matches the entry `{pattern}` of `{list_name}`"),
                    Some(format!("{list_name}: {pattern}")),
                )
            }
            Because::MediaLocal => (
                "§3.7",
                "the media target does not reach the network (inline, a platform file, a package path or a local prefix)".into(),
                None,
            ),
            Because::MediaInvalid => (
                "§3.7",
                "the media target is empty or a path that names another host (`//`, `\\\\`, `/\\`)".into(),
                None,
            ),
            _ => return None,
        })
    }
}
