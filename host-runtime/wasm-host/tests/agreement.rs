//! Cross-runtime agreement: every vector file, and at least 100,000 generated
//! calls over generated policies, answer identically (allow, code, message,
//! reported; load code and message) in guard-core natively, in wasmtime, and
//! in Node through the JS package.
//!
//! The generator is seeded: `GUARD_SEED=<n>` replays a run; without it the
//! seed is random and printed first, so a disagreement can be replayed.

mod common;

use common::{
    assert_agree, module, pulley_module, run_native, run_node, run_wasm, vector_paths_v1_v2,
    vector_paths_v3, Answer, Scenario, Step,
};
use guard_conformance::{
    collect_files, engine_keys, sign_keyset, sign_policy, sign_policy_eddsa, VectorFile,
};
use guard_core::{Check, CheckKind};
use serde_json::{json, Value};

/// splitmix64: tiny, seedable, good enough to pick cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    match std::env::var("GUARD_SEED") {
        Ok(s) => {
            let s = s.trim();
            s.strip_prefix("0x")
                .map(|h| u64::from_str_radix(h, 16))
                .unwrap_or_else(|| s.parse())
                .expect("GUARD_SEED must be a number")
        }
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 ^ u64::from(std::process::id()))
            .unwrap_or(1),
    }
}

const SECRETS: [&str; 3] = [
    "k3yK3yk3yK3yk3y1",
    "Abcdefghijklmnopqrstuvwx",
    "0123456789abcdefABCDEFGHIJKLMNOP",
];
const T0: u64 = 1_795_305_600;

// Hosts the policies list; checks use them and hostile variants of them.
const HOSTS: [&str; 10] = [
    "api.shop.example",
    "cdn.shop.example",
    "ws.shop.example",
    "img.shop.example",
    "bücher.example",
    "xn--mnchen-3ya.example",
    "h5.shop.example",
    "example.com",
    "a.b.c.deep.example",
    "пример.example",
];
const OTHER_HOSTS: [&str; 8] = [
    "evil.example",
    "api.shop.example.evil.example",
    "shop.example",
    "xn--bcher-kva.example",
    "münchen.example",
    "127.0.0.1",
    "[::1]",
    "0x7f.1",
];
const APIS: [&str; 14] = [
    "getLocation",
    "chooseImage",
    "getPhoneNumber",
    "startSoterAuthentication",
    "getFuzzyLocation",
    "request",
    "getSystemInfo",
    "scanCode",
    "openWallet",
    "scanIdCard",
    "customPay",
    "getEmailAddress",
    "getUserProfile",
    "addPhoneContact",
];
const HOSTILE_APIS: [&str; 10] = [
    "wx.getLocation",
    "GetLocation",
    "getlocation",
    "",
    " getLocation",
    "getLocation\u{0}",
    "constructor",
    "__proto__",
    "toString",
    "位置",
];
const APPS: [&str; 5] = ["mp_shop", "mg_race", "mp_news", "mp_ü", "mg_2"];

fn gen_policy(r: &mut Rng, version: u64, now: u64) -> Value {
    let mut sensitive = Vec::new();
    for name in &APIS[..12] {
        if r.chance(50) {
            let mut s = json!({
                "name": name,
                "status": *r.pick(&["restricted", "restricted", "public"]),
                "scope": *r.pick(&["all", "mini_program", "mini_game"]),
                "type": if ["openWallet", "scanIdCard", "customPay"].contains(name) { "custom" } else { "system" },
            });
            if r.chance(20) {
                s["description"] = json!("a sensitive api");
            }
            sensitive.push(s);
        }
    }
    let mut apps = Vec::new();
    let n_apps = 2 + r.below(4);
    for app in APPS.iter().take(n_apps) {
        let kind = if app.starts_with("mg") {
            "mini_game"
        } else {
            "mini_program"
        };
        let mut server = Vec::new();
        let mut webview = Vec::new();
        for _ in 0..r.below(6) {
            let host = *r.pick(&HOSTS);
            let host = if r.chance(20) {
                format!("*.{host}")
            } else {
                host.to_owned()
            };
            let port = match r.below(5) {
                0 => ":8443".to_owned(),
                1 => ":443".to_owned(),
                _ => String::new(),
            };
            let scheme = if r.chance(25) { "wss" } else { "https" };
            server.push(format!("{scheme}://{host}{port}"));
            if r.chance(40) {
                webview.push(format!("https://{host}{port}"));
            }
        }
        server.dedup();
        webview.dedup();
        let mut control = json!({});
        for sw in ["server_domains", "apis", "webview_domains"] {
            if r.chance(70) {
                control[sw] = json!(r.chance(75));
            }
        }
        let whitelist: Vec<&str> = APIS.iter().copied().filter(|_| r.chance(25)).collect();
        let granted: Vec<&str> = APIS.iter().copied().filter(|_| r.chance(30)).collect();
        apps.push(json!({
            "app_id": app, "kind": kind, "control": control,
            "server_domains": server, "webview_domains": webview,
            "api_whitelist": whitelist, "granted_apis": granted,
        }));
    }
    let mut p = json!({
        "schema": 1,
        "superapp_id": "demo-superapp",
        "version": version,
        "issued_at": now.saturating_sub(3600),
        "sensitive_apis": sensitive,
        "apps": apps,
    });
    if r.chance(30) {
        p["mode"] = json!("report");
    } else if r.chance(30) {
        p["mode"] = json!("enforce");
    }
    if r.chance(40) {
        p["expires_at"] = json!(now + 600 + r.below(7200) as u64);
    }
    if r.chance(10) {
        p["exp"] = json!(now + 300 + r.below(3600) as u64);
    }
    if r.chance(5) {
        p["nbf"] = json!(now + 100);
    }
    if r.chance(10) {
        p["builtin_apis"] = json!(["request", "getSystemInfo", "getLocation"]);
    }
    p
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A hostile or broken variant of a good bundle.
fn mangle(r: &mut Rng, bundle: &str) -> String {
    let parts: Vec<&str> = bundle.split('.').collect();
    match r.below(7) {
        0 => format!("{}.{}.{}", b64url(br#"{"alg":"none"}"#), parts[1], ""),
        1 => format!(
            "{}.{}.{}",
            b64url(br#"{"alg":"HS512"}"#),
            parts[1],
            parts[2]
        ),
        2 => {
            let mut sig: Vec<char> = parts[2].chars().collect();
            sig[3] = if sig[3] == 'A' { 'B' } else { 'A' };
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                sig.into_iter().collect::<String>()
            )
        }
        3 => bundle[..bundle.len() / 2].to_owned(),
        4 => format!("{bundle}."),
        5 => "not a bundle".to_owned(),
        _ => format!("{}.{}.{}", parts[0], b64url(b"{\"schema\":1}"), parts[2]),
    }
}

fn gen_url(r: &mut Rng) -> String {
    let host = if r.chance(80) {
        (*r.pick(&HOSTS)).to_owned()
    } else {
        (*r.pick(&OTHER_HOSTS)).to_owned()
    };
    let host = match r.below(14) {
        0 => host.to_uppercase(),
        1 => format!("{host}."),
        2 => format!("sub.{host}"),
        3 => format!("x.y.{host}"),
        4 => host.replace('.', "。"),
        5 => host.replacen('a', "%61", 1),
        6 => format!("{host}.."),
        _ => host,
    };
    let scheme = *r.pick(&[
        "https://",
        "https://",
        "https://",
        "https://",
        "wss://",
        "wss://",
        "http://",
        "ws://",
        "HTTPS://",
        "https:",
        "https:/",
        "https:\\\\",
        " https://",
        "javascript:",
        "data:",
        "blob:https://",
        "file://",
    ]);
    let userinfo = match r.below(20) {
        0 => "user@",
        1 => "user:pass@",
        2 => ":@",
        _ => "",
    };
    let port = match r.below(12) {
        0 => ":8443",
        1 => ":443",
        2 => ":80",
        3 => ":0443",
        4 => ":65536",
        5 => ":",
        6 => ":8080",
        _ => "",
    };
    let tail = *r.pick(&[
        "",
        "/",
        "/v1/x?y=1",
        "#@evil.example",
        "?@evil.example",
        "/@evil.example",
        "\\@evil.example",
        "/%2e%2e/",
        "\t/x",
        "\n",
    ]);
    if r.chance(2) {
        return (*r.pick(&[
            "",
            " ",
            "https://",
            "//api.shop.example/",
            "https://[::1",
            "https://a b.example/",
            "https://\u{0}/",
        ]))
        .to_owned();
    }
    format!("{scheme}{userinfo}{host}{port}{tail}")
}

fn gen_scenario(r: &mut Rng, checks: usize) -> Scenario {
    let secret = (*r.pick(&SECRETS)).to_owned();
    let mut steps = Vec::new();
    let mut now = T0 + r.below(1_000_000) as u64;
    let mut version = 1 + r.below(100) as u64;
    let mut last_good: Option<(String, Value)> = None;
    // Sometimes start with checks before any load (no_policy).
    let mut budget = checks;
    while budget > 0 {
        // A lifecycle event.
        let event = r.below(10);
        let bundle = match (event, &last_good) {
            (0, Some((b, _))) => b.clone(), // the same bundle again: ok
            (1, Some((_, p))) => {
                // A lower version: stale_version.
                let mut p = p.clone();
                p["version"] = json!(version.saturating_sub(1 + r.below(3) as u64));
                sign_policy(&p, &secret).unwrap()
            }
            (2, Some((_, p))) => {
                // The same version, another document: stale_version.
                let mut p = p.clone();
                p["issued_at"] = json!(now - 1);
                sign_policy(&p, &secret).unwrap()
            }
            (3, Some((b, _))) => mangle(r, b),
            (4, _) => {
                // Signed with another superapp's key: bad_signature.
                let other = SECRETS.iter().find(|s| **s != secret).unwrap();
                sign_policy(&gen_policy(r, version + 1, now), other).unwrap()
            }
            (5, _) => {
                // Already expired.
                let mut p = gen_policy(r, version + 1, now);
                p["expires_at"] = json!(now - 1);
                sign_policy(&p, &secret).unwrap()
            }
            (6, _) => {
                // Invalid documents.
                let mut p = gen_policy(r, version + 1, now);
                match r.below(4) {
                    0 => p["schema"] = json!(2),
                    1 => p["apps"][0]["server_domains"] = json!(["http://plain.example"]),
                    2 => p["mode"] = json!("audit"),
                    _ => p["apps"][0]["kind"] = json!("mini_app"),
                }
                sign_policy(&p, &secret).unwrap()
            }
            _ => {
                version += r.below(3) as u64;
                let p = gen_policy(r, version, now);
                let b = sign_policy(&p, &secret).unwrap();
                last_good = Some((b.clone(), p));
                b
            }
        };
        if !(steps.is_empty() && r.chance(10)) {
            steps.push(Step::Load { bundle, now });
        }
        // A burst of checks, the clock moving (sometimes past expiry).
        let burst = (20 + r.below(200)).min(budget);
        for _ in 0..burst {
            if r.chance(1) {
                now += r.below(900) as u64;
            }
            let app = if r.chance(90) {
                (*r.pick(&APPS)).to_owned()
            } else {
                (*r.pick(&["", "MP_SHOP", "mp_shop ", "unknown", "mp_shop\u{0}"])).to_owned()
            };
            let kind = *r.pick(&[
                "api", "api", "api", "request", "upload", "download", "socket", "webview", "tcp",
                "udp", "launch",
            ]);
            if kind == "launch" {
                steps.push(Step::Launch {
                    app,
                    version: (*r.pick(&["1.0.0", "1.4.2", "", "1.0.0 "])).to_owned(),
                    package_sha256: (*r.pick(&[
                        "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a",
                        "6A2D00FA6FE7FD1C560B60534644C0B1EEDAB8BFD7CC940351D37899E84DC80A",
                        "00",
                    ]))
                    .to_owned(),
                    now,
                });
                continue;
            }
            let subject = if kind == "tcp" || kind == "udp" {
                let host = if r.chance(60) {
                    *r.pick(&HOSTS)
                } else {
                    *r.pick(&OTHER_HOSTS)
                };
                let port = *r.pick(&["443", "80", "9100", "0", "65536", "", "x"]);
                format!("{host}:{port}")
            } else if kind == "api" {
                if r.chance(85) {
                    (*r.pick(&APIS)).to_owned()
                } else {
                    (*r.pick(&HOSTILE_APIS)).to_owned()
                }
            } else {
                gen_url(r)
            };
            steps.push(Step::Check {
                app,
                kind: kind.to_owned(),
                subject,
                now,
            });
        }
        budget -= burst;
    }
    Scenario {
        keys: secret,
        steps,
    }
}

fn checks(scenarios: &[Scenario]) -> usize {
    scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| matches!(s, Step::Check { .. } | Step::Launch { .. }))
        .count()
}

fn three_way(what: &str, scenarios: &[Scenario], replay: &str) {
    let native = run_native(scenarios);
    // What the run covered, so a generator that stopped exercising a rule shows.
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for a in &native {
        let key = match a {
            Answer::Load { load, .. } => format!("load:{load}"),
            Answer::Check {
                allow,
                code,
                reported,
                ..
            } => {
                format!(
                    "{}:{}",
                    if *reported {
                        "report"
                    } else if *allow {
                        "allow"
                    } else {
                        "deny"
                    },
                    code.as_deref().unwrap_or("-")
                )
            }
        };
        *seen.entry(key).or_default() += 1;
    }
    println!("{what}: coverage {seen:?}");
    let wasm = run_wasm(&module(), scenarios);
    assert_agree(
        what,
        scenarios,
        ("native", &native),
        ("wasmtime", &wasm),
        replay,
    );
    // The same .wasm under Pulley, as a phone without JIT runs it.
    let pulley = run_wasm(&pulley_module(), scenarios);
    assert_agree(
        what,
        scenarios,
        ("native", &native),
        ("pulley", &pulley),
        replay,
    );
    match run_node(scenarios, what) {
        Some(node) => {
            assert_agree(
                what,
                scenarios,
                ("native", &native),
                ("node", &node),
                replay,
            );
            println!(
                "{what}: {} answers agree in native, wasmtime (Cranelift and Pulley) and node",
                native.len()
            );
        }
        None => println!(
            "{what}: {} answers agree in native and wasmtime (Cranelift and Pulley; node skipped)",
            native.len()
        ),
    }
}

#[test]
fn generated_calls_agree_in_every_runtime() {
    let seed = seed();
    println!("agreement seed: GUARD_SEED={seed}");
    eprintln!("agreement seed: GUARD_SEED={seed}");
    let mut r = Rng(seed);
    let mut scenarios = Vec::new();
    while checks(&scenarios) < 100_000 {
        let len = 2_000 + r.below(2_000);
        scenarios.push(gen_scenario(&mut r, len));
    }
    // One maximal-length URL (over the 2 MiB limit) and one just under it.
    let limit = guard_core::limits::MAX_URL_BYTES;
    for len in [limit + 1, limit] {
        let url = format!("https://api.shop.example/{}", "a".repeat(len - 25));
        scenarios[0].steps.push(Step::Check {
            app: "mp_shop".into(),
            kind: "request".into(),
            subject: url,
            now: T0 + 2_000_000,
        });
    }
    let n = checks(&scenarios);
    assert!(n >= 100_000);
    println!("{} scenarios, {n} checks", scenarios.len());
    three_way("generated", &scenarios, &format!("GUARD_SEED={seed}"));
}

// Contract v3, generated: roots and key sets, EdDSA bundles, per-kind lists,
// media and permission groups.

/// An Ed25519 JWK with its private `d`, from a fixed seed.
fn jwk(kid: &str, seed: u8) -> Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid,
        "x": b64.encode(key.verifying_key().to_bytes()), "d": b64.encode([seed; 32])})
}

fn public(key: &Value) -> Value {
    let mut k = key.clone();
    if let Some(o) = k.as_object_mut() {
        o.remove("d");
    }
    k
}

const V3_APIS: [&str; 12] = [
    "getLocation",
    "startLocationUpdate",
    "onLocationChange",
    "getFuzzyLocation",
    "chooseImage",
    "chooseMedia",
    "startRecord",
    "getRecorderManager",
    "scanCode",
    "scope.userLocation",
    "scope.record",
    "openWallet",
];
const MEDIA_TARGETS: [&str; 16] = [
    "https://cdn.shop.example/a.png",
    "https://x.img.shop.example:8443/a.png",
    "https://evil.example/a.png",
    "wxfile://tmp_3a9c.jpg",
    "http://tmp/a.png",
    "http://tmp.evil.example/a.png",
    "http://usr/a.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "/images/logo.png",
    "images/logo.png",
    "//evil.example/a.png",
    "\\\\evil.example\\a.png",
    "/\\evil.example/a.png",
    "blob:https://cdn.shop.example/1",
    "javascript:alert(1)",
    "",
];

fn gen_list(r: &mut Rng, scheme: &str) -> Value {
    let mut out = Vec::new();
    for _ in 0..r.below(4) {
        let host = *r.pick(&HOSTS);
        let host = if r.chance(20) {
            format!("*.{host}")
        } else {
            host.to_owned()
        };
        let port = *r.pick(&["", "", ":8443", ":443"]);
        out.push(if scheme.is_empty() {
            let port = *r.pick(&["", ":9100", ":53"]);
            format!("{host}{port}")
        } else {
            format!("{scheme}://{host}{port}")
        });
    }
    out.dedup();
    json!(out)
}

fn gen_policy_v3(r: &mut Rng, version: u64, now: u64) -> Value {
    let mut sensitive = Vec::new();
    for name in &V3_APIS[..10] {
        if r.chance(30) {
            sensitive.push(
                json!({"name": name, "status": *r.pick(&["restricted", "restricted", "public"]),
                "scope": "all", "type": "system"}),
            );
        }
    }
    let mut apps = Vec::new();
    for app in APPS.iter().take(2 + r.below(4)) {
        let mut control = json!({});
        for sw in ["server_domains", "apis", "webview_domains", "media_domains"] {
            if r.chance(70) {
                control[sw] = json!(r.chance(75));
            }
        }
        let mut domains = json!({});
        for (kind, scheme) in [
            ("request", "https"),
            ("upload", "https"),
            ("download", "https"),
            ("socket", "wss"),
            ("media", "https"),
            ("tcp", ""),
            ("udp", ""),
        ] {
            if r.chance(35) {
                domains[kind] = gen_list(r, scheme);
            }
        }
        let granted: Vec<&str> = V3_APIS.iter().copied().filter(|_| r.chance(20)).collect();
        let mut a = json!({
            "app_id": app, "kind": if app.starts_with("mg") { "mini_game" } else { "mini_program" },
            "control": control, "server_domains": gen_list(r, "https"),
            "webview_domains": gen_list(r, "https"), "api_whitelist": [], "granted_apis": granted,
        });
        if r.chance(60) {
            a["domains"] = domains;
        }
        if r.chance(10) {
            a["mode"] = json!("report");
        }
        apps.push(a);
    }
    let mut p = json!({
        "schema": 3, "superapp_id": "demo", "version": version,
        "issued_at": now.saturating_sub(3600), "expires_at": now + 600 + r.below(86_400) as u64,
        "sensitive_apis": sensitive, "apps": apps,
    });
    if r.chance(20) {
        p["blocked_hosts"] = json!(["*.internal.superapp.example", "evil.example"]);
    }
    if r.chance(15) {
        p["mode"] = json!("report");
    }
    p
}

/// A generated v3 scenario: a guard from two roots, key sets (good,
/// tampered, of another superapp, signed by a signing key, expired, older,
/// confused with bundles) and bundles signed by keys in or out of the set.
fn gen_scenario_v3(r: &mut Rng, checks: usize) -> Scenario {
    let roots = [jwk("root-a", 1), jwk("root-b", 2)];
    let keys = [jwk("k1", 3), jwk("k2", 4), jwk("k3", 5)];
    let mut config =
        json!({"roots": [public(&roots[0]), public(&roots[1])], "superapp_id": "demo"});
    if r.chance(50) {
        config["local_prefixes"] = json!(["http://tmp/", "http://usr/"]);
    }
    let mut now = T0 + r.below(1_000_000) as u64;
    let (mut ks_version, mut version) = (1u64, 1u64);
    // A good key set and bundle first, so most checks meet a policy (the
    // no_policy answers are the v1 model's, covered elsewhere).
    let first = json!({"superapp_id": "demo", "version": ks_version, "issued_at": now - 60,
        "expires_at": now + 86_400, "keys": keys.iter().map(public).collect::<Vec<_>>()});
    let mut steps = vec![
        Step::LoadKeys {
            keyset: sign_keyset(&first, r.pick(&roots)).unwrap(),
            now,
        },
        Step::Load {
            bundle: sign_policy_eddsa(&gen_policy_v3(r, version, now), r.pick(&keys)).unwrap(),
            now,
        },
    ];
    let mut budget = checks;
    while budget > 0 {
        let keyset = |r: &mut Rng, sid: &str, v: u64, expires: u64| {
            let listed: Vec<Value> = keys.iter().filter(|_| r.chance(60)).map(public).collect();
            json!({"superapp_id": sid, "version": v, "issued_at": now - 60, "expires_at": expires, "keys": listed})
        };
        let root = r.pick(&roots).clone();
        let step = match r.below(12) {
            0..=2 => {
                ks_version += r.below(2) as u64;
                let ks = keyset(r, "demo", ks_version, now + 86_400);
                Step::LoadKeys {
                    keyset: sign_keyset(&ks, &root).unwrap(),
                    now,
                }
            }
            3 => {
                let ks = keyset(r, "other", ks_version + 1, now + 86_400);
                Step::LoadKeys {
                    keyset: sign_keyset(&ks, &root).unwrap(),
                    now,
                }
            }
            4 => {
                let ks = keyset(r, "demo", ks_version + 1, now + 86_400);
                Step::LoadKeys {
                    keyset: sign_keyset(&ks, r.pick(&keys)).unwrap(),
                    now,
                }
            }
            5 => {
                let ks = keyset(r, "demo", ks_version + 1, now - 1);
                Step::LoadKeys {
                    keyset: sign_keyset(&ks, &root).unwrap(),
                    now,
                }
            }
            6 => {
                let ks = keyset(r, "demo", ks_version + 1, now + 86_400);
                let good = sign_keyset(&ks, &root).unwrap();
                if r.chance(50) {
                    Step::LoadKeys {
                        keyset: mangle(r, &good),
                        now,
                    }
                } else {
                    // A key set offered as a bundle.
                    Step::Load { bundle: good, now }
                }
            }
            7 => {
                // A bundle offered as a key set.
                let p = gen_policy_v3(r, version + 1, now);
                Step::LoadKeys {
                    keyset: sign_policy_eddsa(&p, r.pick(&keys)).unwrap(),
                    now,
                }
            }
            _ => {
                version += r.below(3) as u64;
                let p = gen_policy_v3(r, version, now);
                Step::Load {
                    bundle: sign_policy_eddsa(&p, r.pick(&keys)).unwrap(),
                    now,
                }
            }
        };
        steps.push(step);
        let burst = (20 + r.below(150)).min(budget);
        for _ in 0..burst {
            if r.chance(1) {
                now += r.below(900) as u64;
            }
            let app = (*r.pick(&APPS)).to_owned();
            let kind = *r.pick(&[
                "api", "api", "media", "media", "request", "upload", "download", "socket", "tcp",
                "udp",
            ]);
            let subject = match kind {
                "api" => (*r.pick(&V3_APIS)).to_owned(),
                "media" if r.chance(70) => (*r.pick(&MEDIA_TARGETS)).to_owned(),
                "tcp" | "udp" => {
                    format!("{}:{}", r.pick(&HOSTS), r.pick(&["9100", "53", "443", "0"]))
                }
                _ => gen_url(r),
            };
            steps.push(Step::Check {
                app,
                kind: kind.to_owned(),
                subject,
                now,
            });
        }
        budget -= burst;
    }
    Scenario {
        keys: config.to_string(),
        steps,
    }
}

/// Contract v3, generated (at least 30,000 checks): key sets, EdDSA
/// bundles, per-kind lists, media and permission groups agree in
/// guard-core, wasmtime (Cranelift and Pulley) and Node.
#[test]
fn generated_v3_calls_agree_in_every_runtime() {
    let seed = seed();
    println!("agreement seed: GUARD_SEED={seed}");
    let mut r = Rng(seed);
    let mut scenarios = Vec::new();
    while checks(&scenarios) < 30_000 {
        let len = 1_000 + r.below(1_000);
        scenarios.push(gen_scenario_v3(&mut r, len));
    }
    let keysets = scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| matches!(s, Step::LoadKeys { .. }))
        .count();
    assert!(keysets >= 50, "only {keysets} key-set loads");
    three_way("generated v3", &scenarios, &format!("GUARD_SEED={seed}"));
}

/// A vector file as a scenario: its loads (signed as the conformance runner
/// signs them: HS256 with the secret, EdDSA with a key of `keys`, key sets
/// with a root of `roots`) and its cases, as steps.
fn scenario_of(path: &std::path::Path) -> Scenario {
    let text = std::fs::read_to_string(path).unwrap();
    let file: VectorFile = serde_json::from_str(&text).unwrap();
    let find = |keys: &Option<Vec<Value>>, kid: &str| {
        keys.iter()
            .flatten()
            .find(|k| k["kid"].as_str() == Some(kid))
            .cloned()
            .unwrap_or_else(|| panic!("{}: no key `{kid}`", path.display()))
    };
    let mut steps = Vec::new();
    let mut now = file.now;
    if let Some(p) = &file.policy {
        steps.push(Step::Load {
            bundle: sign_policy(p, file.secret.as_deref().unwrap_or_default()).unwrap(),
            now,
        });
    }
    for load in &file.loads {
        now = load.now.unwrap_or(now);
        let step = match (&load.policy, &load.bundle, &load.keyset, &load.keyset_jws) {
            (Some(p), _, _, _) => {
                let bundle = match &load.sign_with {
                    None => sign_policy(p, file.secret.as_deref().unwrap_or_default()).unwrap(),
                    Some(kid) => sign_policy_eddsa(p, &find(&file.keys, kid)).unwrap(),
                };
                Step::Load { bundle, now }
            }
            (None, Some(b), _, _) => Step::Load {
                bundle: b.clone(),
                now,
            },
            (None, None, Some(k), _) => {
                let kid = load.sign_with.as_deref().unwrap_or_default();
                Step::LoadKeys {
                    keyset: sign_keyset(k, &find(&file.roots, kid)).unwrap(),
                    now,
                }
            }
            (None, None, None, Some(k)) => Step::LoadKeys {
                keyset: k.clone(),
                now,
            },
            _ => panic!("{}: a load without a document", path.display()),
        };
        steps.push(step);
    }
    for case in &file.cases {
        now = case.now.unwrap_or(now);
        let step = match case.subject().unwrap() {
            Check::Launch {
                version,
                package_sha256,
            } => Step::Launch {
                app: case.app.clone(),
                version: version.into(),
                package_sha256: package_sha256.into(),
                now,
            },
            check => {
                let (kind, subject) = match (&case.tcp, &case.udp) {
                    (Some(t), _) => (CheckKind::Tcp, t.as_str()),
                    (_, Some(u)) => (CheckKind::Udp, u.as_str()),
                    _ => case.check().unwrap(),
                };
                assert_eq!(Check::from_subject(kind, subject), Some(check));
                Step::Check {
                    app: case.app.clone(),
                    kind: kind.as_str().into(),
                    subject: subject.into(),
                    now,
                }
            }
        };
        steps.push(step);
    }
    Scenario {
        keys: engine_keys(&file),
        steps,
    }
}

/// Every v1 and v2 vector file, as steps, in all three runtimes: v2 files
/// too (key sets, EdDSA loads, launch, tcp and udp cases).
#[test]
fn vector_files_agree_in_every_runtime() {
    let scenarios: Vec<Scenario> = collect_files(&vector_paths_v1_v2())
        .unwrap()
        .iter()
        .map(|p| scenario_of(p))
        .collect();
    let v2_checks = scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| {
            matches!(s, Step::Launch { .. })
                || matches!(s, Step::Check { kind, .. } if kind == "tcp" || kind == "udp")
        })
        .count();
    assert!(scenarios.len() >= 5, "vector files not found");
    assert!(v2_checks >= 50, "only {v2_checks} launch/tcp/udp cases");
    three_way("vectors", &scenarios, "the vector files");
}

/// Contract v3's vector files (roots, key sets, a load's `now`, permission
/// groups, media, local prefixes), as steps: guard-core, the .wasm in
/// wasmtime (Cranelift and Pulley) and the JS bridge in Node give the same
/// answer to every load and check, messages included.
#[test]
fn v3_vector_files_agree_in_every_runtime() {
    let scenarios: Vec<Scenario> = collect_files(&vector_paths_v3())
        .unwrap()
        .iter()
        .map(|p| scenario_of(p))
        .collect();
    let steps = || scenarios.iter().flat_map(|s| &s.steps);
    let keysets = steps()
        .filter(|s| matches!(s, Step::LoadKeys { .. }))
        .count();
    let media = steps()
        .filter(|s| matches!(s, Step::Check { kind, .. } if kind == "media"))
        .count();
    let rooted = scenarios
        .iter()
        .filter(|s| s.keys.contains("\"roots\""))
        .count();
    assert!(keysets >= 20, "only {keysets} key-set loads");
    assert!(media >= 20, "only {media} media cases");
    assert!(rooted >= 8, "only {rooted} files with roots");
    let native = run_native(&scenarios);
    let loads_ok = native
        .iter()
        .filter(|a| matches!(a, Answer::Load { load, .. } if load == "ok"))
        .count();
    let refused = native
        .iter()
        .filter(|a| matches!(a, Answer::Load { load, .. } if load != "ok"))
        .count();
    assert!(loads_ok > 0 && refused > 0, "v3 files both load and refuse");
    let group_denials = native
        .iter()
        .filter(|a| matches!(a, Answer::Check { message, .. } if message.contains("jsapi has no permission")))
        .count();
    assert!(
        group_denials > 0,
        "no permission (group) denial in the v3 files"
    );
    three_way("v3 vectors", &scenarios, "the v3 vector files");
}

/// The Pulley leg of the agreement really runs in the interpreter; otherwise
/// it would compare Cranelift with itself.
#[test]
fn the_pulley_leg_really_runs_in_the_interpreter() {
    assert!(pulley_module().is_interpreted());
    assert!(!module().is_interpreted());
}

/// The comparison itself notices a difference (so the test above can fail).
#[test]
#[should_panic(expected = "DISAGREEMENT")]
fn a_disagreement_is_reported() {
    let scenarios = vec![Scenario {
        keys: common::SECRET.into(),
        steps: vec![Step::Check {
            app: "a".into(),
            kind: "api".into(),
            subject: "getLocation".into(),
            now: T0,
        }],
    }];
    let native = run_native(&scenarios);
    let mut other = native.clone();
    if let Answer::Check { message, .. } = &mut other[0] {
        message.push('!');
    }
    assert_agree(
        "self-test",
        &scenarios,
        ("native", &native),
        ("other", &other),
        "-",
    );
}
