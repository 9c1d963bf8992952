//! Embedding the SDK in a superapp's native side. Run with
//! `cargo run -p guard-sdk --example superapp`; it needs no server (a real
//! superapp boots from its configuration file instead, see below) and exits
//! non-zero if any answer is not the expected one, so CI notices.
//!
//! ```no_run
//! // A real superapp: the configuration file its server issued, shipped with
//! // the app (its `roots` pin the key sets); the SDK syncs the key set and the
//! // bundle in the background.
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let module = guard_wasm_host::WasmModule::from_file(guard_wasm_host::default_module_path(), &Default::default())?;
//! let config = guard_sdk::Config::from_file("demo-config.json")?;
//! let sdk = guard_sdk::Sdk::synced(module, config).state_dir("/data/guard").start()?;
//! # Ok(()) }
//! ```

use guard_core::{bundle, CheckKind, SecretKey};
use guard_sdk::Sdk;
use guard_wasm_host::{default_module_path, Options, WasmModule};

const KEY: &str = "k3yK3yk3yK3yk3y1";

fn signed(version: u32, granted: &str) -> Result<String, Box<dyn std::error::Error>> {
    let policy = format!(
        r#"{{"schema":1,"superapp_id":"demo","version":{version},"issued_at":0,
      "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
      "apps":[{{"app_id":"mp_shop","kind":"mini_program","control":{{"server_domains":true}},
               "server_domains":["https://api.shop.example"],"granted_apis":[{granted}]}}]}}"#
    );
    Ok(bundle::sign(policy.as_bytes(), &SecretKey::new(KEY)?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The module, once per process: the .wasm the JS package ships (or a
    //    precompiled Pulley artifact: WasmModule::from_precompiled_file).
    let module = WasmModule::from_file(default_module_path(), &Options::default())?;
    let state = std::env::temp_dir().join(format!("guard-sdk-embed-{}", std::process::id()));

    // 2. An SDK with fixed keys and a state directory (a synced SDK gets its
    //    keys and bundles from the server instead).
    let now = 1_795_305_600;
    let sdk = Sdk::with_keys(module.clone(), KEY)
        .state_dir(&state)
        .clock(move || now)
        .start()?;
    sdk.load_at(&signed(2, r#""getLocation""#)?, now)?;

    // 3. Checks, from any thread.
    let api = sdk.check_api("mp_shop", "getLocation");
    let url = sdk.check_url("mp_shop", CheckKind::Request, "https://API.shop.example/v1");
    let evil = sdk.check_url("mp_shop", CheckKind::Request, "https://evil.example/");
    println!("{api:?}\n{url:?}\n{evil:?}");
    if !api.allow
        || url.href.as_deref() != Some("https://api.shop.example/v1")
        || evil.decision.allow
    {
        return Err("unexpected decision".into());
    }
    // The denial was recorded for the reports.
    let reports = sdk.take_reports(now);
    println!("reports: {}", reports.to_json());
    sdk.shutdown();
    drop(sdk);

    // 4. A restart: the state directory gives the last good bundle back at
    //    once, offline, and its floor refuses anything older.
    let sdk = Sdk::with_keys(module, KEY)
        .state_dir(&state)
        .clock(move || now)
        .start()?;
    let again = sdk.check_api("mp_shop", "getLocation");
    let older = sdk.load_at(&signed(1, r#""getLocation""#)?, now);
    println!("after restart: {again:?}; an older bundle: {older:?}");
    if !again.allow || older.is_ok() {
        return Err("the restart lost the bundle or accepted an older one".into());
    }
    sdk.shutdown();
    std::fs::remove_dir_all(&state)?;
    println!("embed: ok");
    Ok(())
}
