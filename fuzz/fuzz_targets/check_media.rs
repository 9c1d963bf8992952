//! Arbitrary strings as media targets (contract v3, §3.7), under a schema 3
//! document (the media switch and list) and a schema 2 one (checked as
//! `download`), for an enforcing app, a report-mode app and an unknown app
//! in report mode. Never a panic; the media check says what the decision
//! object says; and what is handed on when a call goes through is safe on
//! its own: no tab, newline or edge control left, never a path naming
//! another host, and a URL only as its own serialisation without userinfo,
//! under the local prefix, or https to a listed host (when reported: any
//! host but a blocked one). Handing
//! it on again is a fixed point: the same verdict, the same text.
#![no_main]

use std::sync::OnceLock;

use guard_core::{bundle, CheckKind, Guard, GuardConfig, SecretKey};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 10;
/// The apps of both policies: `m` enforces, `r` (like an unknown app)
/// reports. `LISTS` is where the schema 3 policy puts its media switch and
/// list.
const APPS: &str = r#""apps":[
  {"app_id":"m","kind":"mini_program","mode":"enforce","control":{"server_domains":true LISTS,
   "server_domains":["https://cdn.example","https://*.img.example:8443"]},
  {"app_id":"r","kind":"mini_program","control":{"server_domains":true LISTS,
   "server_domains":["https://cdn.example"]}]"#;

/// A guard with the local prefix `http://tmp/` and a report-mode policy of
/// `schema` (3: media list; 2: media checked as download).
fn guard(schema: u8) -> Guard {
    let lists = if schema == 3 {
        r#","media_domains":true},"domains":{"media":["https://cdn.example","https://*.img.example:8443"]}"#
    } else {
        "}"
    };
    let policy = format!(
        r#"{{"schema":{schema},"superapp_id":"fuzz","version":1,"issued_at":0,"mode":"report",
        "blocked_hosts":["blocked.img.example","*.internal.example"],{}}}"#,
        APPS.replace(" LISTS", lists)
    );
    let config = format!(r#"{{"secret":"{SECRET}","local_prefixes":["http://tmp/"]}}"#);
    let mut guard = Guard::from_config(GuardConfig::from_json(&config).expect("valid config"));
    let key = SecretKey::new(SECRET).expect("valid key");
    guard
        .load(&bundle::sign(policy.as_bytes(), &key), NOW)
        .expect("policy loads");
    guard
}

/// §3.7's scheme: an ASCII letter, then letters, digits, `+`, `-` or `.`,
/// then `:`.
fn scheme(target: &str) -> Option<String> {
    let (scheme, _) = target.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

fn blocked(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host == "blocked.img.example" || host.ends_with(".internal.example")
}

/// Whether what is handed on is safe on its own (see the file's comment).
fn check_handed_on(on: &str, reported: bool) {
    assert!(!on.contains(['\t', '\n', '\r']), "{on:?}");
    assert_eq!(on, on.trim_matches(|c: char| c <= ' '), "{on:?}");
    let Some(scheme) = scheme(on) else {
        let mut first_two = on.chars().take(2);
        let slash = |c: Option<char>| matches!(c, Some('/' | '\\'));
        assert!(!on.is_empty(), "an empty target handed on");
        assert!(
            !(slash(first_two.next()) && slash(first_two.next())),
            "{on:?}"
        );
        return;
    };
    if scheme == "data" || scheme == "wxfile" {
        return;
    }
    let url = url::Url::parse(on).expect("a URL handed on parses");
    assert_eq!(url.as_str(), on, "a URL is handed on serialised");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "{on:?}"
    );
    if on.starts_with("http://tmp/") {
        return;
    }
    let host = url.host_str().unwrap_or_default();
    assert!(!blocked(host), "a blocked host handed on: {on:?}");
    if !reported {
        assert_eq!(url.scheme(), "https", "{on:?}");
        let port = url.port_or_known_default();
        let listed = (host.trim_end_matches('.') == "cdn.example" && port == Some(443))
            || (host.ends_with(".img.example") && port == Some(8443));
        assert!(listed, "an unlisted host handed on: {on:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(target) = std::str::from_utf8(data) else {
        return;
    };
    static GUARDS: OnceLock<[Guard; 2]> = OnceLock::new();
    for guard in GUARDS.get_or_init(|| [guard(3), guard(2)]) {
        for app in ["m", "r", "nobody"] {
            let (v, on) = guard.check_media(app, target, NOW);
            let d = guard.decide(app, CheckKind::Media, target, NOW);
            assert_eq!(v.verdict.code(), d.code, "{target:?} for {app}");
            assert_eq!(v.verdict.allow(), d.allow);
            if !v.verdict.allow() {
                continue;
            }
            let on = on.expect("an allowed target has what is handed on");
            check_handed_on(&on, v.verdict.reported());
            let (again, on_again) = guard.check_media(app, &on, NOW);
            assert_eq!(again.verdict, v.verdict, "{target:?} handed on as {on:?}");
            assert_eq!(on_again.as_deref(), Some(&*on), "not a fixed point");
        }
    }
});
