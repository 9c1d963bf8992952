//! Checks per second through wasmtime against guard-core called directly (one
//! core), and module compile / instantiate time with and without wasmtime's
//! compiled-module cache. Results are recorded in `docs/benchmarks.md`.
//!
//! `cargo bench -p guard-wasm-host --bench checks`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guard_core::{bundle, CheckKind, Guard, SecretKey};
use guard_wasm_host::{default_module_path, Backend, Options, WasmGuard, WasmModule};
use sha2::Digest as _;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;
const POLICY: &[u8] = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
  "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
  "apps":[{"app_id":"mp_shop","kind":"mini_program","control":{"server_domains":true,"apis":true},
           "server_domains":["https://api.shop.example","https://*.img.shop.example","https://cdn.shop.example:8443"],
           "api_whitelist":["openWallet"],"granted_apis":["getLocation"]}]}"#;
const URL: &str = "https://a.img.shop.example/i/p.png?w=100";

fn signed() -> String {
    bundle::sign(POLICY, &SecretKey::new(SECRET).unwrap())
}

fn checks(c: &mut Criterion) {
    let bytes = std::fs::read(default_module_path()).unwrap();
    let module = WasmModule::from_bytes(&bytes, &Options::default()).unwrap();
    let mut w = WasmGuard::new(&module, SECRET).unwrap();
    w.load(&signed(), NOW).unwrap();
    let mut n = Guard::new(SECRET).unwrap();
    n.load(&signed(), NOW).unwrap();

    let mut g = c.benchmark_group("api_check_by_id");
    g.throughput(Throughput::Elements(1));
    let (wa, wi) = (
        w.app_handle("mp_shop").unwrap(),
        w.api_id("getLocation").unwrap(),
    );
    let (na, ni) = (
        n.app_handle("mp_shop").unwrap(),
        n.api_id("getLocation").unwrap(),
    );
    g.bench_function("native", |b| {
        b.iter(|| n.check_api_id(black_box(na), black_box(ni), black_box(NOW)))
    });
    g.bench_function("wasmtime", |b| {
        b.iter(|| w.check_api_id(black_box(wa), black_box(wi), black_box(NOW)))
    });
    g.finish();

    let mut g = c.benchmark_group("url_check");
    g.throughput(Throughput::Elements(1));
    // Verdict only, by app id: what a host that wants the message only on
    // denial pays.
    g.bench_function("native_verdict", |b| {
        b.iter(|| {
            n.check_url_terse(
                black_box("mp_shop"),
                CheckKind::Request,
                black_box(URL),
                NOW,
            )
            .verdict
        })
    });
    g.bench_function("wasmtime_verdict", |b| {
        b.iter(|| {
            w.check_url(
                black_box("mp_shop"),
                CheckKind::Request,
                black_box(URL),
                NOW,
            )
        })
    });
    g.bench_function("native_decision", |b| {
        b.iter(|| {
            n.decide(
                black_box("mp_shop"),
                CheckKind::Request,
                black_box(URL),
                NOW,
            )
        })
    });
    g.bench_function("wasmtime_decision", |b| {
        b.iter(|| {
            w.decide(
                black_box("mp_shop"),
                CheckKind::Request,
                black_box(URL),
                NOW,
            )
        })
    });
    g.finish();
}

fn startup(c: &mut Criterion) {
    let bytes = std::fs::read(default_module_path()).unwrap();
    let mut g = c.benchmark_group("startup");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("compile_no_cache", |b| {
        b.iter(|| WasmModule::from_bytes(&bytes, &Options::default()).unwrap())
    });
    let dir = std::env::temp_dir().join(format!("guard-wasm-cache-{}", std::process::id()));
    let cached = Options {
        cache_dir: Some(dir.clone()),
        ..Options::default()
    };
    // Warm the cache once; every measured compile then hits it.
    drop(WasmModule::from_bytes(&bytes, &cached).unwrap());
    g.bench_function("compile_cached", |b| {
        b.iter(|| WasmModule::from_bytes(&bytes, &cached).unwrap())
    });
    let module = WasmModule::from_bytes(&bytes, &Options::default()).unwrap();
    g.bench_function("instantiate_and_new_guard", |b| {
        b.iter(|| WasmGuard::new(&module, SECRET).unwrap())
    });
    let s = signed();
    g.bench_function("instantiate_new_guard_and_load", |b| {
        b.iter(|| {
            let mut w = WasmGuard::new(&module, SECRET).unwrap();
            w.load(&s, NOW).unwrap();
            w
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

/// The same checks under Cranelift, under the Pulley interpreter compiled at
/// run time, and under Pulley from a precompiled artifact (what a phone
/// without JIT ships and runs), same run, so the ratios are what to read.
fn pulley(c: &mut Criterion) {
    let bytes = std::fs::read(default_module_path()).unwrap();
    let mut g = c.benchmark_group("backend");
    g.throughput(Throughput::Elements(1));
    let on = |backend| Options {
        backend,
        ..Options::default()
    };
    let artifact = WasmModule::from_bytes(&bytes, &on(Backend::Pulley))
        .unwrap()
        .precompile()
        .unwrap();
    let pin: String = sha2::Sha256::digest(&artifact)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let modules = [
        (
            "cranelift",
            WasmModule::from_bytes(&bytes, &on(Backend::Cranelift)).unwrap(),
        ),
        (
            "pulley",
            WasmModule::from_bytes(&bytes, &on(Backend::Pulley)).unwrap(),
        ),
        (
            "pulley_precompiled",
            WasmModule::from_precompiled(&artifact, &pin, &on(Backend::Pulley)).unwrap(),
        ),
    ];
    for (name, module) in modules {
        let mut w = WasmGuard::new(&module, SECRET).unwrap();
        w.load(&signed(), NOW).unwrap();
        let (app, api) = (
            w.app_handle("mp_shop").unwrap(),
            w.api_id("getLocation").unwrap(),
        );
        g.bench_function(format!("{name}_api_by_id"), |b| {
            b.iter(|| w.check_api_id(black_box(app), black_box(api), black_box(NOW)))
        });
        g.bench_function(format!("{name}_url_verdict"), |b| {
            b.iter(|| {
                w.check_url(
                    black_box("mp_shop"),
                    CheckKind::Request,
                    black_box(URL),
                    NOW,
                )
            })
        });
    }
    g.finish();
    // Start-up from the artifact: no compilation on the device.
    let mut g = c.benchmark_group("startup_pulley");
    g.sample_size(10);
    g.bench_function("compile_pulley", |b| {
        b.iter(|| WasmModule::from_bytes(&bytes, &on(Backend::Pulley)).unwrap())
    });
    g.bench_function("from_precompiled_pulley", |b| {
        b.iter(|| WasmModule::from_precompiled(&artifact, &pin, &on(Backend::Pulley)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, checks, startup, pulley);
criterion_main!(benches);
