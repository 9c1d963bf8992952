//! Criterion benchmarks of the hot paths and of loading a large policy.
//! Numbers are recorded in `docs/benchmarks.md`; run with
//! `cargo bench -p guard-core --bench checks`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use guard_core::{bundle, CheckKind, Guard, KeySet, SecretKey};
use serde_json::json;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;

/// A policy like a large superapp's: `apps` apps with `domains` server domains
/// each (a quarter of them wildcards), web-view domains and grants.
pub fn big_policy(apps: usize, domains: usize) -> Vec<u8> {
    let apps: Vec<_> = (0..apps)
        .map(|i| {
            json!({
                "app_id": format!("mp_{i:06}"),
                "kind": if i % 5 == 0 { "mini_game" } else { "mini_program" },
                "control": {"server_domains": true, "apis": true, "webview_domains": true},
                "server_domains": (0..domains).map(|d| match d % 4 {
                    0 => format!("https://*.img{d}.app{i}.example"),
                    1 => format!("wss://ws{d}.app{i}.example"),
                    2 => format!("https://api{d}.app{i}.example:8443"),
                    _ => format!("https://api{d}.app{i}.example"),
                }).collect::<Vec<_>>(),
                "webview_domains": [format!("https://h5.app{i}.example")],
                "api_whitelist": ["openWallet"],
                "granted_apis": ["getLocation", "chooseImage"],
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "schema": 1, "superapp_id": "bench", "version": 1, "issued_at": NOW,
        "sensitive_apis": [
            {"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"},
            {"name": "chooseImage", "status": "restricted", "scope": "all", "type": "system"},
            {"name": "getPhoneNumber", "status": "restricted", "scope": "mini_program", "type": "system"},
            {"name": "openWallet", "status": "restricted", "scope": "all", "type": "custom"},
        ],
        "apps": apps,
    }))
    .expect("serialisable")
}

fn loaded(apps: usize, domains: usize) -> Guard {
    let signed = bundle::sign(
        &big_policy(apps, domains),
        &SecretKey::new(SECRET).expect("key"),
    );
    let mut guard = Guard::new(SECRET).expect("key");
    guard.load(&signed, NOW).expect("loads");
    guard
}

fn checks(c: &mut Criterion) {
    let mut guard = loaded(1_000, 30);
    let app = guard.app_handle("mp_000123").expect("handle");
    let show_toast = guard.api_id("showToast").expect("id");
    let phone = guard.api_id("getPhoneNumber").expect("id");
    let mut g = c.benchmark_group("api");
    g.bench_function("by_id_allow", |b| {
        b.iter(|| guard.check_api_id(black_box(app), black_box(show_toast), NOW))
    });
    g.bench_function("by_id_deny", |b| {
        b.iter(|| guard.check_api_id(black_box(app), black_box(phone), NOW))
    });
    g.bench_function("by_name_allow", |b| {
        b.iter(|| guard.check_api(black_box("mp_000123"), black_box("showToast"), NOW))
    });
    g.bench_function("by_name_deny", |b| {
        b.iter(|| guard.check_api(black_box("mp_000123"), black_box("getPhoneNumber"), NOW))
    });
    g.finish();

    let mut g = c.benchmark_group("url");
    for (name, kind, url) in [
        (
            "exact_allow",
            CheckKind::Request,
            "https://api3.app123.example/v1/items?id=3",
        ),
        (
            "wildcard_allow",
            CheckKind::Request,
            "https://a.b.img4.app123.example/x.png",
        ),
        (
            "port_allow",
            CheckKind::Request,
            "https://api2.app123.example:8443/v1",
        ),
        (
            "domain_deny",
            CheckKind::Request,
            "https://evil.example/steal",
        ),
        (
            "socket_allow",
            CheckKind::Socket,
            "wss://ws1.app123.example/live",
        ),
        ("scheme_deny", CheckKind::Webview, "javascript:alert(1)"),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| guard.check_url_verdict(black_box(app), kind, black_box(url), NOW))
        });
        g.bench_function(format!("{name}_with_host"), |b| {
            b.iter(|| guard.check_url_handle(black_box(app), kind, black_box(url), NOW))
        });
    }
    g.finish();
}

fn load(c: &mut Criterion) {
    let signed = bundle::sign(
        &big_policy(10_000, 30),
        &SecretKey::new(SECRET).expect("key"),
    );
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("verify_parse_compile_10k_apps_x_30_domains", |b| {
        b.iter_batched(
            || Guard::new(SECRET).expect("key"),
            |mut guard| {
                guard.load(black_box(&signed), NOW).expect("loads");
                guard
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// A schema-2 policy of 100 apps with `blocked` blocked-host patterns (half
/// of them wildcards) and one released app.
fn v2_policy(blocked: usize) -> Vec<u8> {
    let mut policy: serde_json::Value = serde_json::from_slice(&big_policy(100, 30)).expect("json");
    policy["schema"] = json!(2);
    policy["blocked_hosts"] = json!((0..blocked)
        .map(|i| if i % 2 == 0 {
            format!("*.blocked{i}.example")
        } else {
            format!("api.blocked{i}.example")
        })
        .collect::<Vec<_>>());
    policy["apps"][7]["release"] = json!({"version": "1.4.2", "package_sha256": "ab".repeat(32)});
    serde_json::to_vec(&policy).expect("serialisable")
}

fn loaded_v2(blocked: usize) -> Guard {
    let signed = bundle::sign(&v2_policy(blocked), &SecretKey::new(SECRET).expect("key"));
    let mut guard = Guard::new(SECRET).expect("key");
    guard.load(&signed, NOW).expect("loads");
    guard
}

/// Contract v2: blocked-host patterns must not make a check grow (rule 4a is
/// a label walk), the launch check, the worst URL a mini program can build
/// (one huge host of one-letter labels against wildcard entries) beside a
/// typical one, and EdDSA against HS256 verification of the 10,000-app bundle.
fn v2(c: &mut Criterion) {
    let mut g = c.benchmark_group("v2_url_blocked_patterns");
    for blocked in [0usize, 100, 10_000] {
        let mut guard = loaded_v2(blocked);
        let app = guard.app_handle("mp_000023").expect("handle");
        g.bench_function(format!("exact_allow_{blocked}"), |b| {
            b.iter(|| {
                guard.check_url_verdict(
                    black_box(app),
                    CheckKind::Request,
                    black_box("https://api3.app23.example/v1/items?id=3"),
                    NOW,
                )
            })
        });
        g.bench_function(format!("blocked_deny_{blocked}"), |b| {
            b.iter(|| {
                guard.check_url_verdict(
                    black_box(app),
                    CheckKind::Request,
                    black_box("https://x.y.blocked0.example/"),
                    NOW,
                )
            })
        });
    }
    g.finish();

    let guard = loaded_v2(100);
    let mut g = c.benchmark_group("v2_launch");
    let digest = "ab".repeat(32);
    let other = "cd".repeat(32);
    g.bench_function("allow", |b| {
        b.iter(|| {
            guard.check_launch(
                black_box("mp_000007"),
                black_box("1.4.2"),
                black_box(&digest),
                NOW,
            )
        })
    });
    g.bench_function("deny_other_package", |b| {
        b.iter(|| {
            guard.check_launch(
                black_box("mp_000007"),
                black_box("1.4.2"),
                black_box(&other),
                NOW,
            )
        })
    });
    g.finish();

    // Worst case per byte: 1 MiB of `a.` labels under a wildcard-bearing app,
    // against the typical 40-byte URL; the report divides by the length.
    let mut guard = loaded_v2(10_000);
    let app = guard.app_handle("mp_000023").expect("handle");
    let huge = format!("https://{}img0.app23.example/", "a.".repeat(512 * 1024));
    let mut g = c.benchmark_group("v2_worst_url");
    g.sample_size(20);
    g.bench_function(format!("huge_host_{}_bytes", huge.len()), |b| {
        b.iter(|| {
            guard.check_url_verdict(black_box(app), CheckKind::Request, black_box(&huge), NOW)
        })
    });
    g.bench_function("typical_40_bytes", |b| {
        b.iter(|| {
            guard.check_url_verdict(
                black_box(app),
                CheckKind::Request,
                black_box("https://a.b.img0.app23.example/x.png"),
                NOW,
            )
        })
    });
    g.finish();

    let policy = big_policy(10_000, 30);
    let hs = bundle::sign(&policy, &SecretKey::new(SECRET).expect("key"));
    let seed = [7u8; 32];
    let ed = bundle::sign_ed25519(&policy, "k1", &seed);
    let public = ed25519_public_jwk(&seed);
    let keys =
        KeySet::from_json(&format!(r#"{{"secret":"{SECRET}","keys":[{public}]}}"#)).expect("keys");
    let mut g = c.benchmark_group("v2_load_10k_apps");
    g.sample_size(10);
    for (name, signed) in [("hs256", &hs), ("eddsa", &ed)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || Guard::with_keys(keys.clone()),
                |mut guard| {
                    guard.load(black_box(signed), NOW).expect("loads");
                    guard
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// The public JWK of an Ed25519 seed, as a device would be configured.
fn ed25519_public_jwk(seed: &[u8; 32]) -> String {
    use base64::Engine as _;
    let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.as_bytes());
    format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{x}"}}"#)
}

/// Contract v3: a check of an API restricted through its permission group
/// (`startLocationUpdate` under `scope.userLocation`) against a check of an
/// API restricted by name (`openWallet`), in the same schema 3 policy and
/// run: groups are expanded when the policy is compiled, so the two must
/// cost the same (the issue's bound: within 10 %).
fn v3_groups(c: &mut Criterion) {
    let policy = json!({
        "schema": 3, "superapp_id": "bench", "version": 1, "issued_at": NOW,
        "sensitive_apis": [
            {"name": "scope.userLocation", "status": "restricted", "scope": "all", "type": "system"},
            {"name": "openWallet", "status": "restricted", "scope": "all", "type": "custom"},
        ],
        "apps": (0..1_000).map(|i| json!({
            "app_id": format!("mp_{i:06}"), "kind": "mini_program",
            "granted_apis": if i % 2 == 0 { json!(["getLocation", "openWallet"]) } else { json!([]) },
        })).collect::<Vec<_>>(),
    });
    let signed = bundle::sign(
        &serde_json::to_vec(&policy).expect("serialisable"),
        &SecretKey::new(SECRET).expect("key"),
    );
    let mut guard = Guard::new(SECRET).expect("key");
    guard.load(&signed, NOW).expect("loads");
    let app = guard.app_handle("mp_000124").expect("handle");
    let grouped = guard.api_id("startLocationUpdate").expect("id");
    let plain = guard.api_id("openWallet").expect("id");
    let mut g = c.benchmark_group("v3_groups");
    g.bench_function("plain_restricted_granted", |b| {
        b.iter(|| guard.check_api_id(black_box(app), black_box(plain), NOW))
    });
    g.bench_function("group_restricted_granted", |b| {
        b.iter(|| guard.check_api_id(black_box(app), black_box(grouped), NOW))
    });
    g.bench_function("plain_by_name", |b| {
        b.iter(|| guard.check_api(black_box("mp_000124"), black_box("openWallet"), NOW))
    });
    g.bench_function("group_by_name", |b| {
        b.iter(|| {
            guard.check_api(
                black_box("mp_000124"),
                black_box("startLocationUpdate"),
                NOW,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, checks, load, v2, v3_groups);
criterion_main!(benches);
