//! Property tests: guard-core against a small reference model of
//! `docs/policy.md` §3 (contract v2: blocked hosts, per-app mode, removed
//! apps, releases and raw sockets included) over random policies and calls.
//!
//! The model is written for obviousness, not speed: it walks the generated
//! policy's plain lists and compares the URL's *generated parts* (scheme, host,
//! port) directly, so it shares no parsing or table code with the engine.

use guard_core::{bundle, Check, CheckKind, DenyCode, Guard, LoadCode, SecretKey};
use proptest::prelude::*;
use serde_json::{json, Value};

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;

const APIS: &[&str] = &[
    "getLocation",
    "chooseImage",
    "showToast",
    "navigateTo",
    "custA",
    "custB",
    "unknownX",
];
const SCOPES: [&str; 3] = ["all", "mini_program", "mini_game"];
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
}

#[derive(Debug, Clone)]
struct ModelApp {
    id: &'static str,
    game: bool,
    control: [bool; 3], // server, apis, webview
    server: Vec<Entry>,
    webview: Vec<Entry>,
    whitelist: Vec<&'static str>,
    granted: Vec<&'static str>,
    /// `None`: the policy's mode; `Some(true)`: report.
    mode: Option<bool>,
    removed: bool,
    release: Option<(&'static str, &'static str)>,
}

#[derive(Debug, Clone)]
struct ModelPolicy {
    report: bool,
    /// (wildcard, host)
    blocked: Vec<(bool, &'static str)>,
    builtin: Option<Vec<&'static str>>,
    /// (name, restricted, scope: 0 all, 1 mini_program, 2 mini_game)
    sensitive: Vec<(&'static str, bool, u8)>,
    apps: Vec<ModelApp>,
}

impl ModelPolicy {
    fn to_json(&self, version: u64) -> Value {
        let mut apps: Vec<Value> = self.apps.iter().map(|a| json!({
                "app_id": a.id,
                "kind": if a.game { "mini_game" } else { "mini_program" },
                "control": {"server_domains": a.control[0], "apis": a.control[1], "webview_domains": a.control[2]},
                "server_domains": a.server.iter().map(Entry::text).collect::<Vec<_>>(),
                "webview_domains": a.webview.iter().map(Entry::text).collect::<Vec<_>>(),
                "api_whitelist": a.whitelist,
                "granted_apis": a.granted,
                "removed": a.removed,
            })).collect();
        for (json, a) in apps.iter_mut().zip(&self.apps) {
            if let Some(report) = a.mode {
                json["mode"] = if report { "report" } else { "enforce" }.into();
            }
            if let Some((version, sha)) = a.release {
                json["release"] = json!({"version": version, "package_sha256": sha});
            }
        }
        json!({
            "schema": 2,
            "blocked_hosts": self.blocked.iter().map(|(w, h)| format!("{}{h}", if *w { "*." } else { "" })).collect::<Vec<_>>(),
            "superapp_id": "prop",
            "version": version,
            "issued_at": NOW,
            "mode": if self.report { "report" } else { "enforce" },
            "builtin_apis": self.builtin,
            "sensitive_apis": self.sensitive.iter().map(|(n, r, s)| json!({
                "name": n,
                "status": if *r { "restricted" } else { "public" },
                "scope": SCOPES[*s as usize],
                "type": "custom",
            })).collect::<Vec<_>>(),
            "apps": apps,
        })
    }

    fn is_builtin(&self, name: &str) -> bool {
        match &self.builtin {
            Some(list) => list.contains(&name),
            None => guard_core::catalogue::names().any(|n| n == name),
        }
    }

    /// §3: report mode (the app's, else the policy's) lets a denial through,
    /// except the superapp's own blocks and (v3) `invalid_url`.
    fn finish_for(
        &self,
        app: Option<&ModelApp>,
        code: Option<DenyCode>,
    ) -> (bool, Option<DenyCode>, bool) {
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
    fn find(&self, app: &str) -> Result<&ModelApp, (bool, Option<DenyCode>, bool)> {
        match self.apps.iter().find(|a| a.id == app) {
            None => Err(self.finish_for(None, Some(DenyCode::UnknownApp))),
            Some(a) if a.removed => Err(self.finish_for(Some(a), Some(DenyCode::AppRemoved))),
            Some(a) => Ok(a),
        }
    }

    fn is_blocked(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        self.blocked.iter().any(|(wildcard, pattern)| {
            if *wildcard {
                host.ends_with(&format!(".{pattern}"))
            } else {
                host == *pattern
            }
        })
    }

    fn launch(&self, app: &str, version: &str, sha: &str) -> (bool, Option<DenyCode>, bool) {
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

    fn socket(&self, app: &str, host: &str, port: u32) -> (bool, Option<DenyCode>, bool) {
        let valid_host = !host.is_empty() && !host.contains(' ');
        let blocked =
            !host.starts_with(|c: char| c.is_ascii_digit() || c == '[') && self.is_blocked(host);
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
        let code = if port == 0 || port > 65535 || !valid_host {
            Some(DenyCode::InvalidUrl)
        } else if blocked {
            Some(DenyCode::DomainBlocked)
        } else if !a.control[0] {
            None
        } else {
            Some(DenyCode::DomainNotWhitelisted)
        };
        self.finish_for(Some(a), code)
    }

    fn api(&self, app: &str, name: &str) -> (bool, Option<DenyCode>, bool) {
        let a = match self.find(app) {
            Ok(a) => a,
            Err(answer) => return answer,
        };
        if a.control[1] && !self.is_builtin(name) && !a.whitelist.contains(&name) {
            return self.finish_for(Some(a), Some(DenyCode::ApiNotWhitelisted));
        }
        let restricted = self.sensitive.iter().any(|(n, r, scope)| {
            *n == name && *r && (*scope == 0 || (*scope == 1 && !a.game) || (*scope == 2 && a.game))
        });
        if restricted && !a.granted.contains(&name) {
            return self.finish_for(Some(a), Some(DenyCode::PermissionNotGranted));
        }
        self.finish_for(Some(a), None)
    }

    fn url(&self, app: &str, kind: CheckKind, url: &Url) -> (bool, Option<DenyCode>, bool) {
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
        let (switch, list) = if kind == CheckKind::Webview {
            (a.control[2], &a.webview)
        } else {
            (a.control[0], &a.server)
        };
        if !switch {
            return self.finish_for(Some(a), None);
        }
        if url.ip {
            return self.finish_for(Some(a), Some(DenyCode::DomainNotWhitelisted));
        }
        let host = url.host.to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        let port = url.port.unwrap_or(443);
        let matching: Vec<&Entry> = list
            .iter()
            .filter(|e| e.wss == (want == "wss"))
            .filter(|e| {
                if e.wildcard {
                    host.ends_with(&format!(".{}", e.host))
                } else {
                    host == e.host
                }
            })
            .collect();
        if matching.is_empty() {
            return self.finish_for(Some(a), Some(DenyCode::DomainNotWhitelisted));
        }
        if !matching.iter().any(|e| e.port.unwrap_or(443) == port) {
            return self.finish_for(Some(a), Some(DenyCode::PortNotAllowed));
        }
        self.finish_for(Some(a), None)
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

fn names() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(APIS, 0..=3)
}

fn app(id: &'static str) -> impl Strategy<Value = ModelApp> {
    (
        any::<bool>(),
        any::<[bool; 3]>(),
        prop::collection::vec(entry(), 0..5),
        prop::collection::vec(
            entry().prop_map(|mut e| {
                e.wss = false;
                e
            }),
            0..3,
        ),
        names(),
        names(),
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
                game,
                control,
                server,
                webview,
                whitelist,
                granted,
                (mode, removed, release),
            )| {
                ModelApp {
                    id,
                    game,
                    control,
                    server,
                    webview,
                    whitelist,
                    granted,
                    mode,
                    removed,
                    release,
                }
            },
        )
}

fn policy() -> impl Strategy<Value = ModelPolicy> {
    (
        prop::bool::weighted(0.2),
        prop::option::weighted(0.3, names()),
        prop::sample::subsequence(APIS, 0..=5)
            .prop_flat_map(|ns| {
                let n = ns.len();
                (Just(ns), prop::collection::vec((any::<bool>(), 0u8..3), n))
            })
            .prop_map(|(ns, attrs)| {
                ns.into_iter()
                    .zip(attrs)
                    .map(|(n, (r, s))| (n, r, s))
                    .collect::<Vec<_>>()
            }),
        (app("app0"), app("app1"), app("app2")),
        prop::collection::vec(
            (prop::bool::weighted(0.4), prop::sample::select(HOSTS)),
            0..3,
        ),
    )
        .prop_map(
            |(report, builtin, sensitive, (a0, a1, a2), blocked)| ModelPolicy {
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

#[derive(Debug, Clone)]
enum Call {
    Api(&'static str, &'static str),
    Url(&'static str, CheckKind, Url),
    Launch(&'static str, &'static str, String),
    Socket(&'static str, CheckKind, String, u32),
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
    prop_oneof![
        (app.clone(), prop::sample::select(APIS)).prop_map(|(a, n)| Call::Api(a, n)),
        (
            app.clone(),
            prop::sample::select(&CheckKind::URL_KINDS[..]),
            url()
        )
            .prop_map(|(a, k, u)| Call::Url(a, k, u)),
        (app.clone(), version, sha).prop_map(|(a, v, s)| Call::Launch(a, v, s)),
        (
            app,
            prop::sample::select(&[CheckKind::Tcp, CheckKind::Udp][..]),
            socket_host,
            prop::sample::select(&[0u32, 1, 443, 65535, 65536][..]),
        )
            .prop_map(|(a, k, h, p)| Call::Socket(a, k, h, p)),
    ]
}

fn loaded(model: &ModelPolicy) -> Guard {
    let bytes = serde_json::to_vec(&model.to_json(1)).unwrap();
    let mut guard = Guard::new(SECRET).unwrap();
    guard
        .load(&bundle::sign(&bytes, &SecretKey::new(SECRET).unwrap()), NOW)
        .unwrap();
    guard
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_agrees_with_the_model(model in policy(), calls in prop::collection::vec(call(), 1..40)) {
        let mut guard = loaded(&model);
        for call in calls {
            let (got, want, what) = match &call {
                Call::Api(app, name) => {
                    let d = guard.decide(app, CheckKind::Api, name, NOW);
                    // The by-id path must say the same as the by-name path.
                    let (h, id) = (guard.app_handle(app).unwrap(), guard.api_id(name).unwrap());
                    prop_assert_eq!(guard.check_api_id(h, id, NOW).code(), d.code);
                    ((d.allow, d.code, d.reported), model.api(app, name), format!("api {name}"))
                }
                Call::Url(app, kind, url) => {
                    let d = guard.decide(app, *kind, &url.text(), NOW);
                    let h = guard.app_handle(app).unwrap();
                    prop_assert_eq!(guard.check_url_verdict(h, *kind, &url.text(), NOW).code(), d.code);
                    // The terse checks the wasm façades keep render the same decision.
                    let terse = guard.check_url_handle_terse(h, *kind, &url.text(), NOW);
                    prop_assert_eq!(&terse.decision(*kind), &d);
                    prop_assert_eq!(&guard.check_url_terse(app, *kind, &url.text(), NOW).decision(*kind), &d);
                    if d.code.is_none() {
                        prop_assert_eq!(terse.host, None);
                    }
                    ((d.allow, d.code, d.reported), model.url(app, *kind, url), format!("{kind:?} {}", url.text()))
                }
                Call::Launch(app, version, sha) => {
                    let check = Check::Launch { version, package_sha256: sha };
                    let d = guard.decide_check(app, &check, NOW);
                    prop_assert_eq!(guard.check_launch(app, version, sha, NOW).code(), d.code);
                    ((d.allow, d.code, d.reported), model.launch(app, version, sha), format!("launch {version} {sha}"))
                }
                Call::Socket(app, kind, host, port) => {
                    let d = guard.decide_check(app, &Check::Socket(*kind, host, *port), NOW);
                    prop_assert_eq!(&guard.decide(app, *kind, &format!("{host}:{port}"), NOW), &d);
                    ((d.allow, d.code, d.reported), model.socket(app, host, *port), format!("{kind:?} {host}:{port}"))
                }
            };
            prop_assert_eq!(got, want, "{} for {:?}", what, call);
        }
    }

    #[test]
    fn explain_agrees_with_decide(model in policy(), calls in prop::collection::vec(call(), 1..20)) {
        let guard = loaded(&model);
        for call in calls {
            let url;
            let (app, check) = match &call {
                Call::Api(app, name) => (*app, Check::Api(name)),
                Call::Url(app, kind, u) => {
                    url = u.text();
                    (*app, Check::Url(*kind, &url))
                }
                Call::Launch(app, version, sha) => (*app, Check::Launch { version, package_sha256: sha }),
                Call::Socket(app, kind, host, port) => (*app, Check::Socket(*kind, host, *port)),
            };
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
