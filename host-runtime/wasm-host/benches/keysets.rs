//! Contract v3 loads through wasmtime: a key-set load (Ed25519 verification
//! against a root, the payload parsed, the key-set floor) against a bundle
//! load (Ed25519 verification with a key of the key set, the policy parsed
//! and compiled) of a small v3 policy, both in the same guard created with
//! roots, so the ratio is measured in one run. Each successful load also
//! asks the module for the signed state, as the host does to keep it across
//! rebuilds. Results are recorded in `docs/benchmarks.md`.
//!
//! `cargo bench -p guard-wasm-host --bench keysets`

use std::hint::black_box;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use guard_core::{bundle, keyset};
use guard_wasm_host::{default_module_path, Options, WasmGuard, WasmModule};
use serde_json::json;

const NOW: u64 = 1_795_305_600;

fn x(seed: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes(),
    )
}

fn loads(c: &mut Criterion) {
    let (root, signer) = ([1u8; 32], [2u8; 32]);
    let config = json!({
        "roots": [{"kty":"OKP","crv":"Ed25519","kid":"root-1","x": x(&root)}],
        "superapp_id": "demo",
    })
    .to_string();
    let payload = json!({"superapp_id":"demo","version":1,"issued_at":0,"expires_at": NOW * 2,
        "keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x": x(&signer)}]});
    let keyset = keyset::sign(payload.to_string().as_bytes(), "root-1", &root);
    let policy = json!({"schema":3,"superapp_id":"demo","version":1,"issued_at":0,
      "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
      "apps":[{"app_id":"mp_shop","kind":"mini_program",
               "control":{"server_domains":true,"media_domains":true,"apis":true},
               "server_domains":["https://api.shop.example","https://*.img.shop.example"],
               "domains":{"media":["https://cdn.shop.example"]},
               "api_whitelist":["openWallet"],"granted_apis":["getLocation"]}]});
    let bundle = bundle::sign_ed25519(&serde_json::to_vec(&policy).unwrap(), "k1", &signer);
    let module = WasmModule::from_file(default_module_path(), &Options::default()).unwrap();
    let mut w = WasmGuard::from_config(&module, &config).unwrap();
    w.load_keyset(&keyset, NOW).unwrap();
    w.load(&bundle, NOW).unwrap();

    let mut g = c.benchmark_group("v3_load_wasmtime");
    // The same bytes again are `ok` for both (the floors allow them), so
    // every iteration does the whole verification.
    g.bench_function("bundle_load", |b| {
        b.iter(|| w.load(black_box(&bundle), NOW).unwrap())
    });
    g.bench_function("keyset_load", |b| {
        b.iter(|| w.load_keyset(black_box(&keyset), NOW).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = loads
}
criterion_main!(benches);
