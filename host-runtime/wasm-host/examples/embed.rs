//! Embedding the guard natively: load the module the JS package ships, load a
//! signed bundle, check calls. Run with
//! `cargo run -p guard-wasm-host --example embed`.
//!
//! Exits non-zero if any answer is not the expected one, so CI notices.

use guard_core::{bundle, CheckKind, SecretKey};
use guard_wasm_host::{default_module_path, Options, WasmGuard, WasmModule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Compile the module once per process (js/pkg/guard_wasm_bg.wasm, or
    //    $GUARD_WASM). A `WasmModule` is cheap to clone and shared by threads.
    let module = WasmModule::from_file(default_module_path(), &Options::default())?;
    println!(
        "module: {} bytes, sha256 {}",
        module.size(),
        module.sha256_hex()
    );

    // 2. One guard per thread, for one superapp's keys: its SecretKey (HS256
    //    bundles), or a key-set JSON `{"secret"?, "keys"?: [Ed25519 public
    //    JWKs]}` (EdDSA bundles; what the server's keys.json serves).
    let secret = "k3yK3yk3yK3yk3y1";
    let mut guard = WasmGuard::new(&module, secret)?;

    // 3. A bundle comes from the superapp's console; here we sign one ourselves.
    let policy = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
      "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
      "apps":[{"app_id":"mp_shop","kind":"mini_program","control":{"server_domains":true},
               "server_domains":["https://api.shop.example"]}]}"#;
    let signed = bundle::sign(policy, &SecretKey::new(secret)?);
    let now = 1_795_305_600; // unix seconds; a real host passes the clock
    guard.load(&signed, now)?;

    // 4. Check calls. By name (any check) ...
    let ok = guard.decide(
        "mp_shop",
        CheckKind::Request,
        "https://api.shop.example/v1",
        now,
    );
    let denied = guard.decide("mp_shop", CheckKind::Api, "getLocation", now);
    println!("{ok:?}\n{denied:?}");

    // ... or, on a hot path, by ids resolved once (no strings cross into wasm).
    let app = guard.app_handle("mp_shop").ok_or("no app handle")?;
    let api = guard.api_id("getLocation").ok_or("no api id")?;
    let verdict = guard.check_api_id(app, api, now);

    if !ok.allow
        || denied.allow
        || denied.message != "getLocation:fail jsapi has no permission"
        || verdict.allow()
    {
        return Err("unexpected decision".into());
    }
    println!("embed: ok");
    Ok(())
}
