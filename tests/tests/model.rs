//! Property tests: guard-core against a small reference model of
//! `docs/policy.md` §3 over random policies and calls: contract v2 (blocked
//! hosts, per-app mode, removed apps, releases, raw sockets) and contract v3
//! (schema 3 documents: a domain list per kind, the media switch and list,
//! raw-socket lists, permission groups; in every schema: media
//! classification, report mode still refusing unparsable targets and blocked
//! hosts, the 2 MiB bound).
//!
//! The model is written for obviousness, not speed: it walks the generated
//! policy's plain lists and compares the URL's *generated parts* (scheme, host,
//! port) directly, and a media target's class is known from how it was
//! generated, so it shares no parsing, classification or table code with the
//! engine.

use std::sync::OnceLock;

use guard_core::{bundle, Check, CheckKind, DenyCode, Guard, GuardConfig, LoadCode, SecretKey};
use proptest::prelude::*;
use serde_json::{json, Value};

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;
/// The one local prefix the model's guards are created with (§3.7).
const LOCAL_PREFIX: &str = "http://tmp/";

/// API names: plain, custom, and (v3) group members and group names.
const APIS: &[&str] = &[
    "getLocation",
    "chooseImage",
    "showToast",
    "navigateTo",
    "custA",
    "custB",
    "unknownX",
    "startLocationUpdate",
    "onLocationChange",
    "chooseMedia",
    "getFuzzyLocation",
    "scope.userLocation",
    "group.chooseMedia",
];
/// The names an `api_whitelist` is drawn from: no group names (a group in
/// `api_whitelist` is `invalid_policy`, injected rarely on its own).
const WHITELISTABLE: &[&str] = &[
    "getLocation",
    "chooseImage",
    "navigateTo",
    "custA",
    "custB",
    "startLocationUpdate",
    "chooseMedia",
];
/// The model's copy of the groups of `../shared/data/api-groups.json` that
/// the names above touch.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "scope.userLocation",
        &[
            "getLocation",
            "startLocationUpdate",
            "onLocationChange",
            "onLocationChangeError",
        ],
    ),
    ("scope.userFuzzyLocation", &["getFuzzyLocation"]),
    (
        "group.chooseMedia",
        &["chooseImage", "chooseMedia", "chooseVideo"],
    ),
];
const SCOPES: [&str; 3] = ["all", "mini_program", "mini_game"];
const TYPES: [&str; 2] = ["system", "custom"];
const APPS: &[&str] = &["app0", "app1", "app2", "app3"];
const HOSTS: &[&str] = &[
    "a.example",
    "b.a.example",
    "c.b.a.example",
    "other.example",
    "x.org.example",
];
const PORTS: &[Option<u16>] = &[None, Some(8443), Some(9443)];
const SHA_A: &str = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
const SHA_B: &str = "31c0c1e8c535d73e76ca59a8f626c6d88d612de5a5efd294cd97beb5328cf4c0";
const VERSIONS: &[&str] = &["1.0", "2.0"];

/// The `domains` URL kinds in the policy's order.
const KIND_NAMES: [&str; 5] = ["request", "upload", "download", "socket", "media"];

/// A model answer: allowed, code, reported.
type Answer = (bool, Option<DenyCode>, bool);

#[derive(Debug, Clone)]
struct Entry {
    wss: bool,
    wildcard: bool,
    host: &'static str,
    port: Option<u16>,
}

impl Entry {
    fn text(&self) -> String {
        format!(
            "{}://{}{}{}",
            if self.wss { "wss" } else { "https" },
            if self.wildcard { "*." } else { "" },
            self.host,
            self.port.map_or(String::new(), |p| format!(":{p}"))
        )
    }

    fn matches(&self, host: &str, port: u16) -> Option<bool> {
        let host_match = if self.wildcard {
            host.ends_with(&format!(".{}", self.host))
        } else {
            host == self.host
        };
        host_match.then_some(self.port.unwrap_or(443) == port)
    }
}

/// A `domains.tcp` / `domains.udp` entry (v3): a host pattern and an
/// optional port (none: every port).
#[derive(Debug, Clone)]
struct SockEntry {
    wildcard: bool,
    host: &'static str,
    port: Option<u16>,
}

impl SockEntry {
    fn text(&self) -> String {
        format!(
            "{}{}{}",
            if self.wildcard { "*." } else { "" },
            self.host,
            self.port.map_or(String::new(), |p| format!(":{p}"))
        )
    }
}

/// An app's `domains` (v3): `None` for an absent list.
#[derive(Debug, Clone)]
struct Domains {
    /// request, upload, download, socket, media.
    urls: [Option<Vec<Entry>>; 5],
    tcp: Option<Vec<SockEntry>>,
    udp: Option<Vec<SockEntry>>,
}

#[derive(Debug, Clone)]
struct ModelApp {
    id: &'static str,
    game: bool,
    control: [bool; 3], // server, apis, webview
    /// v3: `control.media_domains`, absent when `None`.
    media_switch: Option<bool>,
    server: Vec<Entry>,
    webview: Vec<Entry>,
    /// v3: `domains`, absent when `None`.
    domains: Option<Domains>,
    whitelist: Vec<&'static str>,
    granted: Vec<&'static str>,
    /// `None`: the policy's mode; `Some(true)`: report.
    mode: Option<bool>,
    removed: bool,
    release: Option<(&'static str, &'static str)>,
}

/// A `sensitive_apis` entry: name, restricted, scope (index into
/// [`SCOPES`]), type (index into [`TYPES`]).
type Sensitive = (&'static str, bool, u8, u8);

#[derive(Debug, Clone)]
struct ModelPolicy {
    /// A `schema: 3` document (else `schema: 2`, whose apps then carry no
    /// v3 field).
    v3: bool,
    report: bool,
    /// (wildcard, host)
    blocked: Vec<(bool, &'static str)>,
    builtin: Option<Vec<&'static str>>,
    sensitive: Vec<Sensitive>,
    apps: Vec<ModelApp>,
}

/// §1, permission groups: a group or any of its APIs stands for the group.
fn permission(name: &str) -> &str {
    GROUPS
        .iter()
        .find(|(g, apis)| *g == name || apis.contains(&name))
        .map_or(name, |(g, _)| g)
}

fn is_group(name: &str) -> bool {
    GROUPS.iter().any(|(g, _)| *g == name)
}

/// A host as rule 6 compares it: lower case, one trailing dot dropped.
fn host_key(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    host.strip_suffix('.').unwrap_or(&host).to_owned()
}

impl ModelApp {
    fn to_json(&self, v3: bool) -> Value {
        let mut control = json!({"server_domains": self.control[0], "apis": self.control[1],
            "webview_domains": self.control[2]});
        let mut app = json!({
            "app_id": self.id,
            "kind": if self.game { "mini_game" } else { "mini_program" },
            "server_domains": self.server.iter().map(Entry::text).collect::<Vec<_>>(),
            "webview_domains": self.webview.iter().map(Entry::text).collect::<Vec<_>>(),
            "api_whitelist": self.whitelist,
            "granted_apis": self.granted,
            "removed": self.removed,
        });
        if let Some(report) = self.mode {
            app["mode"] = if report { "report" } else { "enforce" }.into();
        }
        if let Some((version, sha)) = self.release {
            app["release"] = json!({"version": version, "package_sha256": sha});
        }
        if v3 {
            if let Some(on) = self.media_switch {
                control["media_domains"] = on.into();
            }
            if let Some(d) = &self.domains {
                let mut out = serde_json::Map::new();
                for (name, list) in KIND_NAMES.iter().zip(&d.urls) {
                    if let Some(list) = list {
                        out.insert((*name).into(), list.iter().map(Entry::text).collect());
                    }
                }
                for (name, list) in [("tcp", &d.tcp), ("udp", &d.udp)] {
                    if let Some(list) = list {
                        out.insert(name.into(), list.iter().map(SockEntry::text).collect());
                    }
                }
                app["domains"] = out.into();
            }
        }
        app["control"] = control;
        app
    }

    /// §3.3 rule 5 (v3: per kind): the switch and the entries a URL of
    /// `kind` is matched against.
    fn list(&self, v3: bool, kind: CheckKind) -> (bool, Vec<&Entry>) {
        let wss = kind == CheckKind::Socket;
        let slot = match kind {
            CheckKind::Webview => return (self.control[2], self.webview.iter().collect()),
            CheckKind::Request => 0,
            CheckKind::Upload => 1,
            CheckKind::Download => 2,
            CheckKind::Socket => 3,
            _ => 4,
        };
        let own = self
            .domains
            .as_ref()
            .filter(|_| v3)
            .and_then(|d| d.urls[slot].as_ref());
        if slot == 4 {
            // Media never falls back to server_domains.
            let list = own.map_or_else(Vec::new, |l| l.iter().collect());
            return (self.media_switch == Some(true), list);
        }
        let list = match own {
            Some(own) => own.iter().collect(),
            None => self.server.iter().filter(|e| e.wss == wss).collect(),
        };
        (self.control[0], list)
    }

    /// §3.7 (v3): the app's `tcp`/`udp` list (absent: empty).
    fn socket_list(&self, kind: CheckKind) -> &[SockEntry] {
        let d = self.domains.as_ref();
        let list = if kind == CheckKind::Tcp {
            d.and_then(|d| d.tcp.as_ref())
        } else {
            d.and_then(|d| d.udp.as_ref())
        };
        list.map_or(&[], Vec::as_slice)
    }
}

impl ModelPolicy {
    fn to_json(&self, version: u64) -> Value {
        json!({
            "schema": if self.v3 { 3 } else { 2 },
            "blocked_hosts": self.blocked.iter().map(|(w, h)| format!("{}{h}", if *w { "*." } else { "" })).collect::<Vec<_>>(),
            "superapp_id": "prop",
            "version": version,
            "issued_at": NOW,
            "mode": if self.report { "report" } else { "enforce" },
            "builtin_apis": self.builtin,
            "sensitive_apis": self.sensitive.iter().map(|(n, r, s, t)| json!({
                "name": n,
                "status": if *r { "restricted" } else { "public" },
                "scope": SCOPES[*s as usize],
                "type": TYPES[*t as usize],
            })).collect::<Vec<_>>(),
            "apps": self.apps.iter().map(|a| a.to_json(self.v3)).collect::<Vec<_>>(),
        })
    }

    /// §1 (v3, permission groups): whether the document loads. Entries of
    /// one permission must agree; a group is never whitelisted. (The
    /// generator makes every other rule hold.)
    fn is_valid(&self) -> bool {
        if !self.v3 {
            return true;
        }
        let agree = self.sensitive.iter().all(|(n, r, s, t)| {
            self.sensitive
                .iter()
                .filter(|(m, ..)| permission(m) == permission(n))
                .all(|(_, r2, s2, t2)| (r, s, t) == (r2, s2, t2))
        });
        agree
            && self
                .apps
                .iter()
                .all(|a| !a.whitelist.iter().any(|w| is_group(w)))
    }

    fn is_builtin(&self, name: &str) -> bool {
        match &self.builtin {
            Some(list) => list.contains(&name),
            None => guard_core::catalogue::names().any(|n| n == name),
        }
    }

    /// §3: report mode (the app's, else the policy's) lets a denial through,
    /// except the superapp's own blocks and (v3) `invalid_url`.
    fn finish_for(&self, app: Option<&ModelApp>, code: Option<DenyCode>) -> Answer {
        let report = app.and_then(|a| a.mode).unwrap_or(self.report);
        match code {
            None => (true, None, false),
            Some(DenyCode::AppRemoved | DenyCode::DomainBlocked | DenyCode::InvalidUrl) => {
                (false, code, false)
            }
            Some(c) if report => (true, Some(c), true),
            Some(c) => (false, Some(c), false),
        }
    }

    /// §3.1 rules 2 and 2a: the app, or the answer.
    fn find(&self, app: &str) -> Result<&ModelApp, Answer> {
        match self.apps.iter().find(|a| a.id == app) {
            None => Err(self.finish_for(None, Some(DenyCode::UnknownApp))),
            Some(a) if a.removed => Err(self.finish_for(Some(a), Some(DenyCode::AppRemoved))),
            Some(a) => Ok(a),
        }
    }

    fn is_blocked(&self, host: &str) -> bool {
        let host = host_key(host);
        self.blocked.iter().any(|(wildcard, pattern)| {
            if *wildcard {
                host.ends_with(&format!(".{pattern}"))
            } else {
                host == *pattern
            }
        })
    }

    fn launch(&self, app: &str, version: &str, sha: &str) -> Answer {
        let a = match self.find(app) {
            Ok(a) => a,
            Err(answer) => return answer,
        };
        let released = a.release.is_some_and(|(v, s)| {
            v == version
                && sha.len() == 64
                && sha.bytes().all(|b| b.is_ascii_hexdigit())
                && sha.eq_ignore_ascii_case(s)
        });
        self.finish_for(Some(a), (!released).then_some(DenyCode::VersionNotReleased))
    }

    fn socket(&self, app: &str, kind: CheckKind, host: &str, port: u32) -> Answer {
        let valid_host = !host.is_empty() && !host.contains(' ');
        let ip = host.starts_with(|c: char| c.is_ascii_digit() || c == '[');
        let blocked = !ip && self.is_blocked(host);
        let a = match self.find(app) {
            Ok(a) => a,
            // §3 (v3): a report-mode pass still parses and compares blocks.
            Err(answer) if answer.2 && (port == 0 || port > 65535 || !valid_host) => {
                return (false, Some(DenyCode::InvalidUrl), false)
            }
            Err(answer) if answer.2 && blocked => {
                return (false, Some(DenyCode::DomainBlocked), false)
            }
            Err(answer) => return answer,
        };
        let listed = || {
            // §3.7 (v3): the app's tcp/udp list; an IP never matches, an
            // entry without a port allows every port.
            let host = host_key(host);
            !ip && a.socket_list(kind).iter().any(|e| {
                let host_match = if e.wildcard {
                    host.ends_with(&format!(".{}", e.host))
                } else {
                    host == e.host
                };
                host_match && e.port.is_none_or(|p| u32::from(p) == port)
            })
        };
        let code = if port == 0 || port > 65535 || !valid_host {
            Some(DenyCode::InvalidUrl)
        } else if blocked {
            Some(DenyCode::DomainBlocked)
        } else if !a.control[0] || (self.v3 && listed()) {
            None
        } else {
            Some(DenyCode::DomainNotWhitelisted)
        };
        self.finish_for(Some(a), code)
    }

    fn api(&self, app: &str, name: &str) -> Answer {
        let a = match self.find(app) {
            Ok(a) => a,
            Err(answer) => return answer,
        };
        if a.control[1] && !self.is_builtin(name) && !a.whitelist.contains(&name) {
            return self.finish_for(Some(a), Some(DenyCode::ApiNotWhitelisted));
        }
        // v3: compared by permission, and rule 4 never applies to a group
        // name; v2: one name, one permission.
        let same = |other: &str| {
            if self.v3 {
                permission(other) == permission(name)
            } else {
                other == name
            }
        };
        let covers = |scope: u8| scope == 0 || (scope == 1 && !a.game) || (scope == 2 && a.game);
        let restricted = !(self.v3 && is_group(name))
            && self
                .sensitive
                .iter()
                .any(|(n, r, scope, _)| same(n) && *r && covers(*scope));
        if restricted && !a.granted.iter().any(|g| same(g)) {
            return self.finish_for(Some(a), Some(DenyCode::PermissionNotGranted));
        }
        self.finish_for(Some(a), None)
    }

    fn url(&self, app: &str, kind: CheckKind, url: &Url) -> Answer {
        let blocked = !url.ip && self.is_blocked(&url.host);
        let a = match self.find(app) {
            Ok(a) => a,
            // §3 (v3): a report-mode pass still applies rule 3 (userinfo
            // included) and compares blocked hosts.
            Err(answer) if answer.2 && url.userinfo => {
                return (false, Some(DenyCode::InvalidUrl), false)
            }
            Err(answer) if answer.2 && blocked => {
                return (false, Some(DenyCode::DomainBlocked), false)
            }
            Err(answer) => return answer,
        };
        if url.userinfo {
            return self.finish_for(Some(a), Some(DenyCode::InvalidUrl));
        }
        let want = if kind == CheckKind::Socket {
            "wss"
        } else {
            "https"
        };
        if url.scheme != want {
            let answer = self.finish_for(Some(a), Some(DenyCode::InsecureScheme));
            if answer.2 && blocked {
                return (false, Some(DenyCode::DomainBlocked), false);
            }
            return answer;
        }
        if blocked {
            return self.finish_for(Some(a), Some(DenyCode::DomainBlocked));
        }
        let (switch, list) = a.list(self.v3, kind);
        if !switch {
            return self.finish_for(Some(a), None);
        }
        if url.ip {
            return self.finish_for(Some(a), Some(DenyCode::DomainNotWhitelisted));
        }
        let (host, port) = (host_key(&url.host), url.port.unwrap_or(443));
        let matching: Vec<bool> = list.iter().filter_map(|e| e.matches(&host, port)).collect();
        if matching.is_empty() {
            return self.finish_for(Some(a), Some(DenyCode::DomainNotWhitelisted));
        }
        if !matching.contains(&true) {
            return self.finish_for(Some(a), Some(DenyCode::PortNotAllowed));
        }
        self.finish_for(Some(a), None)
    }

    /// §3.7 (v3, every schema): a media target, whose class the generator
    /// knows; a network one is a `media` URL under schema 3, a `download`
    /// URL under schema 2.
    fn media(&self, app: &str, media: &Media) -> Answer {
        match media {
            Media::Local(_) => match self.find(app) {
                Ok(_) => (true, None, false),
                Err(answer) => answer,
            },
            Media::OtherHost(_) => match self.find(app) {
                Ok(a) => self.finish_for(Some(a), Some(DenyCode::InvalidUrl)),
                Err(answer) if answer.2 => (false, Some(DenyCode::InvalidUrl), false),
                Err(answer) => answer,
            },
            Media::Network(url, _) => {
                let kind = if self.v3 {
                    CheckKind::Media
                } else {
                    CheckKind::Download
                };
                self.url(app, kind, url)
            }
        }
    }

    /// §3 (v3): every URL target over 2 MiB is `invalid_url`, in every
    /// mode, after rules 1, 2 and 2a.
    fn huge(&self, app: &str) -> Answer {
        match self.find(app) {
            Ok(_) => (false, Some(DenyCode::InvalidUrl), false),
            Err(answer) if answer.2 => (false, Some(DenyCode::InvalidUrl), false),
            Err(answer) => answer,
        }
    }
}

#[derive(Debug, Clone)]
struct Url {
    scheme: &'static str,
    userinfo: bool,
    ip: bool,
    host: String,
    port: Option<u16>,
    path: &'static str,
}

impl Url {
    fn text(&self) -> String {
        format!(
            "{}://{}{}{}{}",
            self.scheme,
            if self.userinfo { "user:pw@" } else { "" },
            self.host,
            self.port.map_or(String::new(), |p| format!(":{p}")),
            self.path
        )
    }
}

/// A media target and its class, known from how it was made (§3.7).
#[derive(Debug, Clone)]
enum Media {
    /// Allowed without reaching the network: a package path, an inline or
    /// platform-file URL, or a URL under the local prefix.
    Local(String),
    /// A path that names another host, or nothing: `invalid_url`.
    OtherHost(String),
    /// A network URL (its parts, and its text as decorated).
    Network(Url, String),
}

impl Media {
    fn text(&self) -> &str {
        match self {
            Media::Local(t) | Media::OtherHost(t) | Media::Network(_, t) => t,
        }
    }
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::sample::select(HOSTS),
        prop::sample::select(PORTS),
    )
        .prop_map(|(wss, wildcard, host, port)| Entry {
            wss,
            wildcard,
            host,
            port,
        })
}

fn entries(wss: bool, max: usize) -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        entry().prop_map(move |mut e| {
            e.wss = wss;
            e
        }),
        0..max,
    )
}

fn sock_entries() -> impl Strategy<Value = Option<Vec<SockEntry>>> {
    let e = (
        prop::bool::weighted(0.3),
        prop::sample::select(HOSTS),
        prop::sample::select(&[None, Some(443), Some(9100)][..]),
    )
        .prop_map(|(wildcard, host, port)| SockEntry {
            wildcard,
            host,
            port,
        });
    prop::option::weighted(0.6, prop::collection::vec(e, 0..3))
}

fn domains() -> impl Strategy<Value = Option<Domains>> {
    let url_list = |wss| prop::option::weighted(0.4, entries(wss, 3));
    prop::option::weighted(
        0.7,
        (
            [
                url_list(false),
                url_list(false),
                url_list(false),
                url_list(true),
                url_list(false),
            ],
            sock_entries(),
            sock_entries(),
        )
            .prop_map(|(urls, tcp, udp)| Domains { urls, tcp, udp }),
    )
}

fn names() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(APIS, 0..=3)
}

fn whitelist() -> impl Strategy<Value = Vec<&'static str>> {
    (
        prop::sample::subsequence(WHITELISTABLE, 0..=3),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(mut names, group)| {
            if group {
                names.push("group.chooseMedia");
            }
            names
        })
}

fn app(id: &'static str) -> impl Strategy<Value = ModelApp> {
    (
        (
            any::<bool>(),
            any::<[bool; 3]>(),
            prop::option::of(any::<bool>()),
        ),
        prop::collection::vec(entry(), 0..5),
        entries(false, 3),
        domains(),
        (whitelist(), names()),
        (
            prop::option::of(any::<bool>()),
            prop::bool::weighted(0.15),
            prop::option::of((
                prop::sample::select(VERSIONS),
                prop::sample::select(&[SHA_A, SHA_B][..]),
            )),
        ),
    )
        .prop_map(
            move |(
                (game, control, media_switch),
                server,
                webview,
                domains,
                (whitelist, granted),
                (mode, removed, release),
            )| {
                ModelApp {
                    id,
                    game,
                    control,
                    media_switch,
                    server,
                    webview,
                    domains,
                    whitelist,
                    granted,
                    mode,
                    removed,
                    release,
                }
            },
        )
}

/// Sensitive entries: each takes the policy's usual attributes (so entries
/// of one group mostly agree) or, now and then, its own.
fn sensitive() -> impl Strategy<Value = Vec<Sensitive>> {
    (
        prop::sample::subsequence(APIS, 0..=5),
        (any::<bool>(), 0u8..3, 0u8..2),
    )
        .prop_flat_map(|(ns, usual)| {
            let n = ns.len();
            let own = (prop::bool::weighted(0.15), any::<bool>(), 0u8..3, 0u8..2);
            (Just(ns), Just(usual), prop::collection::vec(own, n))
        })
        .prop_map(|(ns, usual, own)| {
            ns.into_iter()
                .zip(own)
                .map(|(n, (mine, r, s, t))| {
                    let (r, s, t) = if mine { (r, s, t) } else { usual };
                    (n, r, s, t)
                })
                .collect()
        })
}

fn policy() -> impl Strategy<Value = ModelPolicy> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.3, names()),
        sensitive(),
        (app("app0"), app("app1"), app("app2")),
        prop::collection::vec(
            (prop::bool::weighted(0.4), prop::sample::select(HOSTS)),
            0..3,
        ),
    )
        .prop_map(
            |(v3, report, builtin, sensitive, (a0, a1, a2), blocked)| ModelPolicy {
                v3,
                report,
                blocked,
                builtin,
                sensitive,
                apps: vec![a0, a1, a2],
            },
        )
}

fn url() -> impl Strategy<Value = Url> {
    let host = prop_oneof![
        4 => prop::sample::select(HOSTS).prop_map(str::to_owned),
        2 => (prop::sample::select(&["z", "q.z"][..]), prop::sample::select(HOSTS))
            .prop_map(|(p, h)| format!("{p}.{h}")),
        1 => prop::sample::select(HOSTS).prop_map(|h| format!("{h}.")),
        1 => prop::sample::select(HOSTS).prop_map(|h| h.to_ascii_uppercase()),
        1 => Just("example".to_owned()),
    ];
    (
        prop::sample::select(&["https", "wss", "http", "ws"][..]),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.05),
        host,
        prop::sample::select(&[None, Some(443), Some(8443), Some(9443), Some(80)][..]),
        prop::sample::select(&["/", "/x?y=1", "/#f", ""][..]),
    )
        .prop_map(|(scheme, userinfo, ip, host, port, path)| Url {
            scheme,
            userinfo,
            ip,
            host: if ip { "10.0.0.1".to_owned() } else { host },
            port,
            path,
        })
}

/// What §3.7's preprocessing removes: leading and trailing C0 controls and
/// spaces, and a tab or newline anywhere (put at `at`, a char boundary).
fn decorate(text: &str, lead: &str, at: usize, inner: &str, trail: &str) -> String {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{lead}{}{inner}{}{trail}", &text[..at], &text[at..])
}

fn media() -> impl Strategy<Value = Media> {
    let local = prop::sample::select(
        &[
            "images/a.png",
            "/a.png",
            "./a.png",
            "../a.png",
            "a//b.png",
            "%2F%2Fevil.example/a.png",
            "\\a.png",
            "1a:b.png",
            "data:,x",
            "DATA:image/png;base64,AA==",
            "wxfile://tmp_1.jpg",
            "WxFile:tmp_1.jpg",
            "http://tmp/a.png",
            "HTTP://TMP/a.png",
            "http://TMP:80/a.png",
            "http:tmp/a.png",
        ][..],
    );
    let other = prop::sample::select(
        &[
            "//evil.example/a.png",
            "\\\\evil.example\\a.png",
            "/\\evil.example/a.png",
            "\\/evil.example/a.png",
            "",
        ][..],
    );
    // Near the local prefix but not under it: the network decides.
    let near = prop::sample::select(
        &[
            ("tmp.evil", None, false),
            ("tmp.", None, false),
            ("tmp", Some(8080), false),
            ("tmp", None, true),
        ][..],
    )
    .prop_map(|(host, port, userinfo)| Url {
        scheme: "http",
        userinfo,
        ip: false,
        host: host.to_owned(),
        port,
        path: "/a.png",
    });
    let kind = prop_oneof![
        3 => local.prop_map(|t| Media::Local(t.to_owned())),
        2 => other.prop_map(|t| Media::OtherHost(t.to_owned())),
        1 => near.prop_map(|u| { let t = u.text(); Media::Network(u, t) }),
        4 => url().prop_map(|u| { let t = u.text(); Media::Network(u, t) }),
    ];
    let lead = prop::sample::select(&["", "", " ", "\u{1}", "\u{0}\t "][..]);
    let inner = prop::sample::select(&["", "", "\t", "\n", "\r\n"][..]);
    let trail = prop::sample::select(&["", "", " ", "\u{1f}"][..]);
    (kind, lead, 0usize..40, inner, trail).prop_map(|(m, lead, at, inner, trail)| {
        let deco = |t: &str| decorate(t, lead, at, inner, trail);
        match m {
            Media::Local(t) => Media::Local(deco(&t)),
            Media::OtherHost(t) => Media::OtherHost(deco(&t)),
            Media::Network(u, t) => Media::Network(u, deco(&t)),
        }
    })
}

#[derive(Debug, Clone)]
enum Call {
    Api(&'static str, &'static str),
    Url(&'static str, CheckKind, Url),
    Launch(&'static str, &'static str, String),
    Socket(&'static str, CheckKind, String, u32),
    Media(&'static str, Media),
    /// A target over 2 MiB, of this kind.
    Huge(&'static str, CheckKind),
}

/// `https://a.example/` and then enough to be one byte over 2 MiB.
fn huge_url(kind: CheckKind) -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    static DATA: OnceLock<String> = OnceLock::new();
    let over = |prefix: &str| format!("{prefix}{}", "a".repeat(2 * 1024 * 1024 + 1 - prefix.len()));
    if kind == CheckKind::Media {
        DATA.get_or_init(|| over("data:,"))
    } else {
        URL.get_or_init(|| over("https://a.example/"))
    }
}

fn call() -> impl Strategy<Value = Call> {
    let app = prop::sample::select(APPS);
    let sha = prop_oneof![
        Just(SHA_A.to_owned()),
        Just(SHA_A.to_ascii_uppercase()),
        Just(SHA_A[..63].to_owned()),
        Just(format!("{SHA_A}0")),
        Just(SHA_B.to_owned()),
    ];
    let version = prop::sample::select(&["1.0", "2.0", "1.0 ", "3.0"][..]);
    let socket_host = prop_oneof![
        3 => prop::sample::select(HOSTS).prop_map(str::to_owned),
        1 => prop::sample::select(HOSTS).prop_map(|h| format!("z.{}.", h.to_ascii_uppercase())),
        1 => prop::sample::select(&["10.0.0.1", "[::1]", "exa mple.example", ""][..]).prop_map(str::to_owned),
    ];
    let mut url_kinds = CheckKind::URL_KINDS.to_vec();
    url_kinds.push(CheckKind::Media);
    prop_oneof![
        4 => (app.clone(), prop::sample::select(APIS)).prop_map(|(a, n)| Call::Api(a, n)),
        4 => (
            app.clone(),
            prop::sample::select(&CheckKind::URL_KINDS[..]),
            url()
        )
            .prop_map(|(a, k, u)| Call::Url(a, k, u)),
        2 => (app.clone(), version, sha).prop_map(|(a, v, s)| Call::Launch(a, v, s)),
        3 => (
            app.clone(),
            prop::sample::select(&[CheckKind::Tcp, CheckKind::Udp][..]),
            socket_host,
            prop::sample::select(&[0u32, 1, 443, 9100, 65535, 65536][..]),
        )
            .prop_map(|(a, k, h, p)| Call::Socket(a, k, h, p)),
        3 => (app.clone(), media()).prop_map(|(a, m)| Call::Media(a, m)),
        1 => (app, prop::sample::select(url_kinds)).prop_map(|(a, k)| Call::Huge(a, k)),
    ]
}

/// A guard created with the SecretKey and the model's local prefix.
fn guard() -> Guard {
    let config = format!(r#"{{"secret":"{SECRET}","local_prefixes":["{LOCAL_PREFIX}"]}}"#);
    Guard::from_config(GuardConfig::from_json(&config).unwrap())
}

/// The guard with `model` loaded, or `None` when the model says the
/// document is invalid (and the guard agreed, refusing it as `invalid_policy`).
fn loaded(model: &ModelPolicy) -> Option<Guard> {
    let bytes = serde_json::to_vec(&model.to_json(1)).unwrap();
    let mut guard = guard();
    let got = guard.load(&bundle::sign(&bytes, &SecretKey::new(SECRET).unwrap()), NOW);
    if model.is_valid() {
        got.unwrap();
        Some(guard)
    } else {
        assert_eq!(got.unwrap_err().code, LoadCode::InvalidPolicy, "{model:?}");
        None
    }
}

/// The check a call makes, with the subject text it borrows.
fn check_of<'a>(call: &'a Call, text: &'a mut String) -> (&'static str, Check<'a>) {
    match call {
        Call::Api(app, name) => (*app, Check::Api(name)),
        Call::Url(app, kind, u) => {
            *text = u.text();
            let text: &'a String = text;
            (*app, Check::Url(*kind, text))
        }
        Call::Media(app, m) => (*app, Check::Url(CheckKind::Media, m.text())),
        Call::Huge(app, kind) => (*app, Check::Url(*kind, huge_url(*kind))),
        Call::Launch(app, version, sha) => (
            *app,
            Check::Launch {
                version,
                package_sha256: sha,
            },
        ),
        Call::Socket(app, kind, host, port) => (*app, Check::Socket(*kind, host, *port)),
    }
}

/// Every path of the engine that answers a URL check says the same.
fn url_paths_agree(
    guard: &mut Guard,
    app: &str,
    kind: CheckKind,
    url: &str,
) -> Result<Answer, TestCaseError> {
    let d = guard.decide(app, kind, url, NOW);
    let h = guard.app_handle(app).unwrap();
    prop_assert_eq!(guard.check_url_verdict(h, kind, url, NOW).code(), d.code);
    // The terse checks the wasm façades keep render the same decision.
    let terse = guard.check_url_handle_terse(h, kind, url, NOW);
    prop_assert_eq!(&terse.decision(kind), &d);
    prop_assert_eq!(
        &guard.check_url_terse(app, kind, url, NOW).decision(kind),
        &d
    );
    if d.code.is_none() {
        prop_assert_eq!(terse.host, None);
    }
    if kind == CheckKind::Media {
        let (v, on) = guard.check_media(app, url, NOW);
        prop_assert_eq!(v.verdict.code(), d.code);
        prop_assert_eq!(v.verdict.allow(), d.allow);
        // What goes through is handed on in the form §3.7 gives it.
        prop_assert!(
            on.is_some() || !d.allow,
            "{:?} goes through and nothing is handed on",
            url
        );
    }
    Ok((d.allow, d.code, d.reported))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_agrees_with_the_model(model in policy(), calls in prop::collection::vec(call(), 1..40)) {
        let Some(mut guard) = loaded(&model) else { return Ok(()) };
        for call in calls {
            let (got, want) = match &call {
                Call::Api(app, name) => {
                    let d = guard.decide(app, CheckKind::Api, name, NOW);
                    // The by-id path must say the same as the by-name path.
                    let (h, id) = (guard.app_handle(app).unwrap(), guard.api_id(name).unwrap());
                    prop_assert_eq!(guard.check_api_id(h, id, NOW).code(), d.code);
                    ((d.allow, d.code, d.reported), model.api(app, name))
                }
                Call::Url(app, kind, url) => {
                    (url_paths_agree(&mut guard, app, *kind, &url.text())?, model.url(app, *kind, url))
                }
                Call::Media(app, m) => {
                    (url_paths_agree(&mut guard, app, CheckKind::Media, m.text())?, model.media(app, m))
                }
                Call::Huge(app, kind) => {
                    (url_paths_agree(&mut guard, app, *kind, huge_url(*kind))?, model.huge(app))
                }
                Call::Launch(app, version, sha) => {
                    let check = Check::Launch { version, package_sha256: sha };
                    let d = guard.decide_check(app, &check, NOW);
                    prop_assert_eq!(guard.check_launch(app, version, sha, NOW).code(), d.code);
                    ((d.allow, d.code, d.reported), model.launch(app, version, sha))
                }
                Call::Socket(app, kind, host, port) => {
                    let d = guard.decide_check(app, &Check::Socket(*kind, host, *port), NOW);
                    prop_assert_eq!(&guard.decide(app, *kind, &format!("{host}:{port}"), NOW), &d);
                    ((d.allow, d.code, d.reported), model.socket(app, *kind, host, *port))
                }
            };
            prop_assert_eq!(got, want, "{:?} (schema 3: {})", call, model.v3);
        }
    }

    #[test]
    fn explain_agrees_with_decide(model in policy(), calls in prop::collection::vec(call(), 1..20)) {
        let Some(guard) = loaded(&model) else { return Ok(()) };
        for call in calls {
            let mut text = String::new();
            let (app, check) = check_of(&call, &mut text);
            let e = guard.explain_check(app, &check, NOW);
            prop_assert_eq!(&e.decision, &guard.decide_check(app, &check, NOW));
            // Every new rule names the pattern or release that decided.
            if e.decision.code == Some(DenyCode::DomainBlocked) {
                prop_assert!(e.entry.as_deref().is_some_and(|p| p.starts_with("blocked_hosts: ")), "{:?}", e);
            }
            if matches!(check, Check::Launch { .. }) && e.decision.code.is_none() {
                prop_assert!(e.entry.as_deref().is_some_and(|p| p.starts_with("release ")), "{:?}", e);
            }
        }
    }
}

/// One step of a bundle lifecycle: a version, whether it is signed with the
/// right key, whether its content differs from others of that version, and
/// its expiry relative to the load time.
#[derive(Debug, Clone)]
struct LoadStep {
    version: u64,
    good_key: bool,
    variant: bool,
    expired: bool,
}

fn load_step() -> impl Strategy<Value = LoadStep> {
    (
        0u64..6,
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(version, good_key, variant, expired)| LoadStep {
            version,
            good_key,
            variant,
            expired,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lifecycle_agrees_with_the_model(steps in prop::collection::vec(load_step(), 1..12)) {
        let mut guard = Guard::new(SECRET).unwrap();
        let good = SecretKey::new(SECRET).unwrap();
        let bad = SecretKey::new("0000000000000000").unwrap();
        // Model state: the highest accepted (version, variant) and what is in force.
        let mut accepted: Option<(u64, bool)> = None;
        let mut in_force: Option<(u64, bool)> = None;
        for s in steps {
            let granted: Vec<&str> = if s.variant { vec!["getLocation"] } else { vec![] };
            let doc = json!({
                "schema": 1, "superapp_id": "prop", "version": s.version, "issued_at": NOW,
                "expires_at": if s.expired { NOW } else { NOW + 10 },
                "sensitive_apis": [{"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"}],
                "apps": [{"app_id": "a", "kind": "mini_program", "granted_apis": granted}],
            });
            let key = if s.good_key { &good } else { &bad };
            let got = guard.load(&bundle::sign(&serde_json::to_vec(&doc).unwrap(), key), NOW);
            let want = if !s.good_key {
                LoadCode::BadSignature
            } else if accepted.is_some_and(|(v, var)| {
                // Same version: only the very same document (bytes) reloads.
                s.version < v || (s.version == v && (s.variant != var || s.expired))
            }) {
                LoadCode::StaleVersion
            } else if s.expired {
                LoadCode::Expired
            } else {
                accepted = Some((s.version, s.variant));
                in_force = accepted;
                LoadCode::Ok
            };
            prop_assert_eq!(got.as_ref().err().map_or(LoadCode::Ok, |e| e.code), want);
            let d = guard.decide("a", CheckKind::Api, "getLocation", NOW);
            let expect_code = match in_force {
                None => Some(DenyCode::NoPolicy),
                Some((_, true)) => None,
                Some((_, false)) => Some(DenyCode::PermissionNotGranted),
            };
            prop_assert_eq!(d.code, expect_code);
            prop_assert_eq!(guard.highest_version(), accepted.map(|a| a.0));
        }
    }
}
