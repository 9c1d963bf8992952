//! The guard against the WHATWG URL test data (`tests/data/whatwg`), run the
//! way the `url` crate runs it, with its explicit list of expected failures.
//!
//! For every input the guard parses on its own (no base URL, or an absolute
//! `https://`/`wss://` input whose result cannot depend on the base):
//! - a parse failure, or a result with a username or password, is `invalid_url`;
//! - any other scheme than the check's is `insecure_scheme`;
//! - for an `https:`/`wss:` result, the host and port the guard reports are
//!   the standard's `hostname` and port, and a policy whitelisting exactly that
//!   host and port allows the URL, one with another port answers
//!   `port_not_allowed` and one with another host `domain_not_whitelisted`.

use guard_core::{bundle, CheckKind, DenyCode, Guard, SecretKey};
use serde::Deserialize;
use serde_json::json;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;

#[derive(Debug, Deserialize)]
struct UrlTest {
    input: String,
    base: Option<String>,
    #[serde(default)]
    failure: bool,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    port: String,
}

fn guard_for(entries: &[String], switch: bool) -> Guard {
    let doc = json!({
        "schema": 1, "superapp_id": "wpt", "version": 1, "issued_at": 0,
        "apps": [{"app_id": "app", "kind": "mini_program",
                  "control": {"server_domains": switch}, "server_domains": entries}],
    });
    let bytes = serde_json::to_vec(&doc).unwrap();
    let mut guard = Guard::new(SECRET).unwrap();
    guard
        .load(&bundle::sign(&bytes, &SecretKey::new(SECRET).unwrap()), NOW)
        .unwrap_or_else(|e| panic!("{entries:?}: {e}"));
    guard
}

fn is_absolute_secure(input: &str) -> bool {
    let t = input.trim_matches(|c: char| c <= ' ').to_ascii_lowercase();
    t.starts_with("https://") || t.starts_with("wss://")
}

#[test]
fn guard_agrees_with_the_whatwg_url_standard() {
    let data: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../data/whatwg/urltestdata.json")).unwrap();
    let expected_failures: Vec<&str> = include_str!("../data/whatwg/expected_failures.txt")
        .lines()
        .collect();
    let open = guard_for(&[], false);
    let (mut checked, mut secure, mut skipped, mut entry_refused) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    for value in data.into_iter().filter(|v| v.is_object()) {
        let t: UrlTest = serde_json::from_value(value).unwrap();
        if t.base.is_some() && !is_absolute_secure(&t.input) {
            continue;
        }
        let mut name = format!("<{}>", t.input.escape_default());
        if let Some(base) = &t.base {
            name.push_str(&format!(" against <{}>", base.escape_default()));
        }
        if expected_failures.contains(&name.as_str()) {
            skipped += 1;
            continue;
        }
        checked += 1;
        for kind in [CheckKind::Request, CheckKind::Socket] {
            let want_scheme = if kind == CheckKind::Socket {
                "wss:"
            } else {
                "https:"
            };
            let want = if t.failure || !t.username.is_empty() || !t.password.is_empty() {
                Some(DenyCode::InvalidUrl)
            } else if t.protocol != want_scheme {
                Some(DenyCode::InsecureScheme)
            } else {
                None
            };
            let got = open.check_url("app", kind, &t.input, NOW);
            if got.verdict.code() != want {
                errors.push(format!(
                    "{name} {kind:?}: want {want:?}, got {:?}",
                    got.verdict.code()
                ));
                continue;
            }
            if want.is_some() {
                continue;
            }
            secure += 1;
            let port: u16 = if t.port.is_empty() {
                443
            } else {
                t.port.parse().unwrap()
            };
            if got.host.as_deref() != Some(t.hostname.as_str()) || got.port != Some(port) {
                errors.push(format!(
                    "{name}: guard host/port {:?}:{:?}, standard {}:{port}",
                    got.host, got.port, t.hostname
                ));
                continue;
            }
            if t.hostname.starts_with('[') || t.hostname.parse::<std::net::Ipv4Addr>().is_ok() {
                let strict = guard_for(&["https://only.example".into()], true);
                if strict.check_url("app", kind, &t.input, NOW).verdict.code()
                    != Some(DenyCode::DomainNotWhitelisted)
                {
                    errors.push(format!("{name}: an IP host must never match"));
                }
                continue;
            }
            let scheme = want_scheme.trim_end_matches(':');
            let entry = |port: u16| match port {
                443 => format!("{scheme}://{}", t.hostname),
                p => format!("{scheme}://{}:{p}", t.hostname),
            };
            // Hosts the standard accepts but no entry may name (`localhost`,
            // odd code points): the guard can never allow them when the list
            // is on, which is the safe direction.
            if guard_core::Policy::from_json(
                serde_json::to_vec(
                    &json!({"schema":1,"superapp_id":"w","version":1,"issued_at":0,
                    "apps":[{"app_id":"a","kind":"mini_program","server_domains":[entry(port)]}]}),
                )
                .unwrap()
                .as_slice(),
            )
            .is_err()
            {
                entry_refused += 1;
                continue;
            }
            let other_port = if port == 8443 { 9443 } else { 8443 };
            for (entries, want) in [
                (vec![entry(port)], None),
                (vec![entry(other_port)], Some(DenyCode::PortNotAllowed)),
                (
                    vec![format!(
                        "{scheme}://not-{}",
                        t.hostname.trim_end_matches('.')
                    )],
                    Some(DenyCode::DomainNotWhitelisted),
                ),
            ] {
                let got = guard_for(&entries, true)
                    .check_url("app", kind, &t.input, NOW)
                    .verdict
                    .code();
                if got != want {
                    errors.push(format!(
                        "{name} with {entries:?}: want {want:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    println!("checked {checked} inputs ({secure} secure results), skipped {skipped} expected failures, {entry_refused} hosts no entry may name");
    assert!(
        errors.is_empty(),
        "{} disagreements:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(
        checked >= 450 && secure >= 25,
        "too few inputs exercised: {checked}, {secure}"
    );
}
