//! Criterion benchmarks of the hot paths and of loading a large policy.
//! Numbers are recorded in `docs/benchmarks.md`; run with
//! `cargo bench -p guard-core --bench checks`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use guard_core::{bundle, CheckKind, Guard, SecretKey};
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

criterion_group!(benches, checks, load);
criterion_main!(benches);
