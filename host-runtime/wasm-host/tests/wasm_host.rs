//! The wasmtime host itself: vectors through `WasmEngine` (v1 to v3), ids,
//! fail-closed behaviour on timeouts and OOM with rebuilds from the last good
//! bundle (or a v3 guard's signed state), several threads, and refusing
//! modules that are not the guard.

mod common;

use std::time::Duration;

use common::{module, vector_paths, SECRET};
use guard_conformance::{run_paths, sign_policy, Engine, NativeEngine, Outcome};
use guard_core::{bundle, Check, CheckKind, DenyCode, Guard, LoadCode};
use guard_wasm_host::{default_module_path, HostError, Options, WasmEngine, WasmGuard, WasmModule};
use serde_json::json;

const NOW: u64 = 1_795_305_600;

fn policy(version: u64) -> serde_json::Value {
    json!({"schema":1,"superapp_id":"demo","version":version,"issued_at":0,
      "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
      "apps":[{"app_id":"mp_shop","kind":"mini_program",
               "control":{"server_domains":true,"apis":true},
               "server_domains":["https://api.shop.example","https://*.img.shop.example:8443"],
               "api_whitelist":["openWallet"],"granted_apis":[]}]})
}

fn bundle(version: u64) -> String {
    sign_policy(&policy(version), SECRET).unwrap()
}

#[test]
fn every_vector_passes_in_wasmtime() {
    let m = module();
    let mut failures = Vec::new();
    let summary = run_paths(
        &vector_paths(),
        &mut |secret: &str| WasmEngine::new(&m, secret),
        &mut |o: &Outcome| {
            if let Some(f) = &o.failure {
                failures.push(format!("{}: {f}", o.name));
            }
        },
    )
    .unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(summary.passed >= 300, "only {summary}");
}

#[test]
fn ids_are_stable_and_agree_with_guard_core() {
    let mut w = WasmGuard::new(&module(), SECRET).unwrap();
    let mut n = Guard::new(SECRET).unwrap();
    // Ids resolved before any policy deny no_policy, then follow the policy.
    let app = w.app_handle("mp_shop").unwrap();
    let apis: Vec<_> = ["getLocation", "openWallet", "customThing", "request"]
        .iter()
        .map(|a| (*a, w.api_id(a).unwrap()))
        .collect();
    assert_eq!(w.api_id("openWallet"), Some(apis[1].1));
    assert_eq!(
        w.check_api_id(app, apis[0].1, NOW).code(),
        Some(DenyCode::NoPolicy)
    );
    w.load(&bundle(3), NOW).unwrap();
    n.load(&bundle(3), NOW).unwrap();
    for (name, id) in &apis {
        assert_eq!(
            w.check_api_id(app, *id, NOW),
            n.check_api("mp_shop", name, NOW),
            "{name}"
        );
    }
    // A handle from elsewhere is just unknown.
    let stranger = guard_core::AppHandle(9_999);
    assert_eq!(
        w.check_api_id(stranger, apis[0].1, NOW).code(),
        Some(DenyCode::UnknownApp)
    );
    let err = w.load(&bundle(2), NOW).unwrap_err();
    assert_eq!(err.code, LoadCode::StaleVersion);
    assert!(err.message.contains("`2`"), "{}", err.message);
}

#[test]
fn a_bad_secret_is_refused() {
    let err = WasmGuard::new(&module(), "short").unwrap_err();
    assert!(matches!(err, HostError::Secret(_)), "{err}");
}

#[test]
fn modules_without_the_raw_abi_are_refused() {
    let opts = Options::default();
    let err = WasmModule::from_bytes(b"\0asm\x01\0\0\0", &opts).unwrap_err();
    assert!(matches!(err, HostError::MissingExport(_)), "{err}");
    let err = WasmModule::from_bytes(b"not wasm", &opts).unwrap_err();
    assert!(matches!(err, HostError::Compile(_)), "{err}");
    let err = WasmModule::from_file("/nonexistent/guard.wasm", &opts).unwrap_err();
    assert!(
        err.to_string().contains("`/nonexistent/guard.wasm`"),
        "{err}"
    );
}

#[test]
fn a_timeout_denies_no_policy_and_the_instance_is_rebuilt() {
    // Checks get a zero deadline: every check times out at its first epoch
    // check. Loads keep a normal deadline, so rebuilds succeed.
    let opts = Options {
        check_timeout: Duration::ZERO,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let mut w = WasmGuard::new(&m, SECRET).unwrap();
    w.load(&bundle(1), NOW).unwrap();
    let d = w.decide(
        "mp_shop",
        CheckKind::Request,
        "https://api.shop.example/",
        NOW,
    );
    assert!(!d.allow);
    assert_eq!(d.code, Some(DenyCode::NoPolicy));
    assert_eq!(d.message, "request:fail no valid permission policy");
    assert!(w.rebuilds() >= 1);
    let before = w.rebuilds();
    let api = w.api_id("openWallet");
    assert_eq!(api, None, "an id lookup that times out gives no id");
    assert!(w.rebuilds() > before);
}

#[test]
fn running_out_of_memory_keeps_the_last_good_bundle() {
    // 8 MiB of linear memory: enough for a small policy, not for a 6 MB one.
    let opts = Options {
        memory_limit: 8 << 20,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let mut w = WasmGuard::new(&m, SECRET).unwrap();
    w.load(&bundle(1), NOW).unwrap();
    let mut big = policy(2);
    big["apps"][0]["api_whitelist"] = json!((0..250_000)
        .map(|i| format!("customApi{i:07}"))
        .collect::<Vec<_>>());
    let big = sign_policy(&big, SECRET).unwrap();
    assert!(big.len() > 5_000_000);
    let err = w.load(&big, NOW).unwrap_err();
    assert_eq!(err.code, LoadCode::InvalidPolicy, "{}", err.message);
    assert!(w.rebuilds() >= 1);
    // Still enforcing version 1, rebuilt from it.
    let d = w.decide(
        "mp_shop",
        CheckKind::Request,
        "https://api.shop.example/",
        NOW,
    );
    assert!(d.allow, "{d:?}");
    let d = w.decide("mp_shop", CheckKind::Api, "customApi0000001", NOW);
    assert_eq!(d.code, Some(DenyCode::ApiNotWhitelisted));
    // And the anti-rollback floor survived the rebuild.
    w.load(&bundle(5), NOW).unwrap();
    assert_eq!(
        w.load(&bundle(4), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
}

#[test]
fn a_rebuild_after_expiry_keeps_the_anti_rollback_floor() {
    let opts = Options {
        check_timeout: Duration::ZERO,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let mut w = WasmGuard::new(&m, SECRET).unwrap();
    let mut p = policy(7);
    p["expires_at"] = json!(NOW + 10);
    w.load(&sign_policy(&p, SECRET).unwrap(), NOW).unwrap();
    // A check long after expiry traps (zero deadline) and rebuilds.
    let _ = w.decide("mp_shop", CheckKind::Api, "request", NOW + 1000);
    assert!(w.rebuilds() >= 1);
    let err = w.load(&bundle(6), NOW + 1000).unwrap_err();
    assert_eq!(err.code, LoadCode::StaleVersion);
}

#[test]
fn several_threads_share_one_module() {
    let m = module();
    let b = bundle(9);
    let urls = [
        "https://api.shop.example/x",
        "https://a.img.shop.example:8443/i.png",
        "https://a.img.shop.example/i.png",
        "http://api.shop.example/",
        "https://evil.example/",
    ];
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let m = m.clone();
            let b = b.clone();
            std::thread::spawn(move || {
                let mut w = WasmGuard::new(&m, SECRET).unwrap();
                let mut n = NativeEngine::new(SECRET).unwrap();
                w.load(&b, NOW).unwrap();
                n.0.load(&b, NOW).unwrap();
                for i in 0..2_000 {
                    let url = urls[(i + t) % urls.len()];
                    let kind = CheckKind::URL_KINDS[i % 5];
                    assert_eq!(
                        w.decide("mp_shop", kind, url, NOW),
                        n.0.decide("mp_shop", kind, url, NOW)
                    );
                    assert_eq!(
                        w.check_url("mp_shop", kind, url, NOW),
                        n.0.check_url("mp_shop", kind, url, NOW).verdict
                    );
                    let api = ["getLocation", "openWallet", "x"][i % 3];
                    assert_eq!(
                        w.decide("mp_shop", CheckKind::Api, api, NOW),
                        n.0.decide("mp_shop", CheckKind::Api, api, NOW)
                    );
                }
                w.rebuilds()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 0);
    }
}

/// Ed25519 key `k1` (seed 7s) as the key-set JSON a device is given.
fn ed25519_keys(secret: Option<&str>) -> (String, [u8; 32]) {
    let seed = [7u8; 32];
    let x = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    use base64::Engine as _;
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(x);
    let jwk = json!({"kty":"OKP","crv":"Ed25519","kid":"k1","x":x});
    let set = match secret {
        Some(s) => json!({"secret": s, "keys": [jwk]}),
        None => json!({"keys": [jwk]}),
    };
    (set.to_string(), seed)
}

const SHA: &str = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";

fn v2_policy(version: u64) -> serde_json::Value {
    json!({"schema":2,"superapp_id":"demo","version":version,"issued_at":0,
      "blocked_hosts":["*.internal.example"],
      "apps":[{"app_id":"mp_shop","kind":"mini_program","control":{"server_domains":true},
               "server_domains":["https://api.shop.example"],
               "release":{"version":"1.4.2","package_sha256":SHA}},
              {"app_id":"open","kind":"mini_program"}]})
}

#[test]
fn v2_key_sets_launch_sockets_redirects_and_hrefs_agree_with_guard_core() {
    let (keys, seed) = ed25519_keys(None);
    let mut w = WasmGuard::new(&module(), &keys).unwrap();
    let mut n = NativeEngine::new(&keys).unwrap();
    let signed = bundle::sign_ed25519(&serde_json::to_vec(&v2_policy(1)).unwrap(), "k1", &seed);
    w.load(&signed, NOW).unwrap();
    n.load(&signed, NOW).unwrap();
    // An HS256 bundle has no key here.
    let err = w
        .load(&sign_policy(&v2_policy(2), SECRET).unwrap(), NOW)
        .unwrap_err();
    assert_eq!(err.code, LoadCode::UnknownKey, "{}", err.message);

    assert!(w.check_launch("mp_shop", "1.4.2", SHA, NOW).allow());
    assert_eq!(
        w.check_launch("mp_shop", "1.4.3", SHA, NOW).code(),
        Some(DenyCode::VersionNotReleased)
    );
    let (v, host) = w.check_socket_target("open", CheckKind::Tcp, "Printer.LAN.example", 9100, NOW);
    assert!(v.allow());
    assert_eq!(host.as_deref(), Some("printer.lan.example"));
    let (v, host) = w.check_socket_target("open", CheckKind::Udp, "a.internal.example.", 53, NOW);
    assert_eq!(v.code(), Some(DenyCode::DomainBlocked));
    assert_eq!(host.as_deref(), Some("a.internal.example."));
    let (v, _) = w.check_socket_target("mp_shop", CheckKind::Tcp, "api.shop.example", 443, NOW);
    assert_eq!(v.code(), Some(DenyCode::DomainNotWhitelisted));
    let (v, host) = w.check_socket_target("open", CheckKind::Tcp, "[::1", 80, NOW);
    assert_eq!((v.code(), host), (Some(DenyCode::InvalidUrl), None));
    // Not a socket kind: invalid_url, as guard-core answers it.
    let (v, _) = w.check_socket_target("open", CheckKind::Request, "a.example", 80, NOW);
    assert_eq!(v.code(), Some(DenyCode::InvalidUrl));

    let base = "https://api.shop.example/a/b";
    let (v, href) = w.check_redirect("mp_shop", CheckKind::Request, base, "../c?q", 1, NOW);
    assert!(v.allow());
    assert_eq!(href.as_deref(), Some("https://api.shop.example/c?q"));
    let (v, href) = w.check_redirect(
        "mp_shop",
        CheckKind::Download,
        base,
        "//evil.example/",
        2,
        NOW,
    );
    assert_eq!(v.code(), Some(DenyCode::DomainNotWhitelisted));
    assert_eq!(href.as_deref(), Some("https://evil.example/"));
    let (v, _) = w.check_redirect("mp_shop", CheckKind::Request, base, "../c", 11, NOW);
    assert_eq!(v.code(), Some(DenyCode::InvalidUrl));

    let (v, href) = w.check_url_href(
        "mp_shop",
        CheckKind::Request,
        r"HTTPS://API.shop.example:443\x\..\y",
        NOW,
    );
    assert!(v.allow());
    assert_eq!(href.as_deref(), Some("https://api.shop.example/y"));
    let (v, href) = w.check_url_href("mp_shop", CheckKind::Request, "not a url", NOW);
    assert_eq!((v.code(), href), (Some(DenyCode::InvalidUrl), None));

    // Every kind of check, as decisions with the wasm's messages, agrees
    // with guard-core.
    let checks = [
        Check::Api("getLocation"),
        Check::Url(CheckKind::Webview, "https://api.shop.example/"),
        Check::Launch {
            version: "1.4.2",
            package_sha256: SHA,
        },
        Check::Launch {
            version: "1.4.2",
            package_sha256: "00",
        },
        Check::Socket(CheckKind::Tcp, "api.shop.example", 443),
        Check::Socket(CheckKind::Udp, "[::1]", 53),
        Check::Socket(CheckKind::Udp, "x.internal.example", 53),
        Check::Socket(CheckKind::Tcp, "a.example", 0),
        Check::Redirect {
            kind: CheckKind::Upload,
            base_href: base,
            location: "/up",
            hop: 3,
        },
        Check::Redirect {
            kind: CheckKind::Request,
            base_href: base,
            location: "http://[",
            hop: 1,
        },
    ];
    for app in ["mp_shop", "open", "nobody"] {
        for check in &checks {
            assert_eq!(
                w.decide_check(app, check, NOW),
                n.0.decide_check(app, check, NOW),
                "{app} {check:?}"
            );
        }
    }
    assert_eq!(w.rebuilds(), 0);
}

#[test]
fn a_rebuild_re_sends_the_key_set() {
    let opts = Options {
        check_timeout: Duration::ZERO,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let (keys, seed) = ed25519_keys(Some(SECRET));
    let mut w = WasmGuard::new(&m, &keys).unwrap();
    let signed = bundle::sign_ed25519(&serde_json::to_vec(&v2_policy(3)).unwrap(), "k1", &seed);
    w.load(&signed, NOW).unwrap();
    // A check times out (zero deadline): deny no_policy, and a rebuild.
    assert_eq!(
        w.check_launch("mp_shop", "1.4.2", SHA, NOW).code(),
        Some(DenyCode::NoPolicy)
    );
    assert!(w.rebuilds() >= 1);
    // The rebuilt instance has both keys: an EdDSA bundle and an HS256 one
    // load (loads have their own deadline), the floor kept.
    let v4 = bundle::sign_ed25519(&serde_json::to_vec(&v2_policy(4)).unwrap(), "k1", &seed);
    w.load(&v4, NOW).unwrap();
    w.load(&sign_policy(&v2_policy(5), SECRET).unwrap(), NOW)
        .unwrap();
    assert_eq!(w.load(&v4, NOW).unwrap_err().code, LoadCode::StaleVersion);
}

#[test]
fn a_bad_key_set_is_refused() {
    let err = WasmGuard::new(&module(), "{}").unwrap_err();
    assert!(matches!(err, HostError::Secret(_)), "{err}");
    let private = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#;
    let err = WasmGuard::new(&module(), private).unwrap_err();
    assert!(err.to_string().contains("private part"), "{err}");
}

/// After a restart the host restores the floor it kept: an older bundle (a
/// server restored from a backup) is refused, in the first instance and in
/// every rebuilt one; a floor of another superapp is refused.
#[test]
fn a_restored_floor_survives_rebuilds_and_refuses_older_bundles() {
    let mut before = WasmGuard::new(&module(), SECRET).unwrap();
    assert_eq!(before.floor(), None);
    before.load(&bundle(7), NOW).unwrap();
    let floor = before.floor().unwrap();
    assert_eq!((floor.superapp_id.as_str(), floor.version), ("demo", 7));

    // Every check traps (zero deadline), so every check rebuilds the instance.
    let opts = Options {
        check_timeout: Duration::ZERO,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let mut after = WasmGuard::new(&m, SECRET).unwrap();
    after.restore_floor(&floor).unwrap();
    let _ = after.decide("mp_shop", CheckKind::Api, "request", NOW);
    assert!(after.rebuilds() >= 1);
    assert_eq!(
        after.load(&bundle(6), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
    after.load(&bundle(7), NOW).unwrap();
    let mut other = floor.clone();
    other.superapp_id = "evil".into();
    other.version = 9;
    assert!(matches!(
        after.restore_floor(&other),
        Err(HostError::Floor(m)) if m.contains("evil")
    ));

    // A floor above the last good bundle: no policy, and rebuilds keep it so.
    let mut higher = floor.clone();
    higher.version = 8;
    after.restore_floor(&higher).unwrap();
    let _ = after.decide("mp_shop", CheckKind::Api, "request", NOW);
    assert_eq!(
        after.load(&bundle(7), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
}

/// The wasm guard reports every denial at its decision, whichever call made
/// it (ids, names, URLs, sockets), with the host and never the path or query.
#[test]
fn denials_are_reported_with_their_host_and_given_back_when_unsent() {
    use guard_core::report::Batch;
    let mut w = WasmGuard::new(&module(), SECRET).unwrap();
    w.load(&bundle(3), NOW).unwrap();
    let app = w.app_handle("mp_shop").unwrap();
    let loc = w.api_id("getLocation").unwrap();
    w.check_api_id(app, loc, NOW);
    w.check_api_id(app, loc, NOW + 1);
    w.decide(
        "mp_shop",
        CheckKind::Request,
        "https://evil.example/p?q=secret",
        NOW,
    );
    assert!(w
        .check_url(
            "mp_shop",
            CheckKind::Request,
            "https://api.shop.example/",
            NOW
        )
        .allow());
    w.check_socket_target("mp_shop", CheckKind::Udp, "evil.example", 53, NOW);
    let b = w.take_reports(NOW + 2);
    let json = b.to_json();
    assert!(!json.contains("secret") && !json.contains("/p"), "{json}");
    let got: Vec<_> = b
        .reports
        .iter()
        .map(|r| {
            (
                r.kind.as_str(),
                r.api.as_deref().or(r.host.as_deref()).unwrap_or(""),
                r.code.as_str(),
                r.count,
                r.policy_version,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("api", "getLocation", "permission_not_granted", 2, 3),
            ("request", "evil.example", "domain_not_whitelisted", 1, 3),
            ("udp", "evil.example", "domain_not_whitelisted", 1, 3),
        ]
    );
    w.requeue_reports(NOW + 3);
    assert_eq!(w.take_reports(NOW + 3), b, "put back after a failed send");
    assert_eq!(w.take_reports(NOW + 3), Batch::default());
}

/// RFC 8032's test key 1 as a v3 root, for the superapp `demo`, with the
/// local prefix `http://tmp/`: the configuration and the root's seed.
fn v3_config() -> (String, [u8; 32]) {
    let seed: [u8; 32] = std::array::from_fn(|i| {
        u8::from_str_radix(
            &"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"[2 * i..2 * i + 2],
            16,
        )
        .unwrap()
    });
    let config = json!({
        "roots": [{"kty":"OKP","crv":"Ed25519","kid":"root-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}],
        "superapp_id": "demo",
        "local_prefixes": ["http://tmp/"],
    });
    (config.to_string(), seed)
}

/// A key set of `demo` at `version` carrying key `k1` (seed 7s), signed by
/// the root.
fn v3_keyset(version: u64, root: &[u8; 32]) -> String {
    let (keys, _) = ed25519_keys(None);
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    let payload = json!({"superapp_id":"demo","version":version,"issued_at":0,
        "expires_at": NOW + 1_000_000, "keys": keys["keys"]});
    guard_core::keyset::sign(payload.to_string().as_bytes(), "root-1", root)
}

fn v3_bundle(version: u64) -> String {
    let policy = json!({"schema":3,"superapp_id":"demo","version":version,"issued_at":0,
      "apps":[{"app_id":"mp","kind":"mini_program","control":{"media_domains":true},
               "domains":{"media":["https://cdn.example"]}}]});
    let (_, seed) = ed25519_keys(None);
    bundle::sign_ed25519(&serde_json::to_vec(&policy).unwrap(), "k1", &seed)
}

/// Contract v3 in wasmtime: a guard from a configuration with roots loads a
/// key set, then a bundle its key signed; media checks hand on what
/// guard-core would; the signed state restores into a fresh guard after a
/// restart and survives every rebuild (both floors kept); hostile inputs
/// (roots with a SecretKey, a bundle given as a key set, a tampered state,
/// `set_keys` on a roots guard) are refused.
#[test]
fn a_v3_guard_keeps_its_key_sets_and_floors_across_a_rebuild() {
    let (config, root) = v3_config();
    let mut native = Guard::from_config(guard_core::GuardConfig::from_json(&config).unwrap());
    let mut w = WasmGuard::from_config(&module(), &config).unwrap();
    assert!(w.signed_state().unwrap().keyset.is_none());
    assert_eq!(
        w.load(&v3_bundle(5), NOW).unwrap_err().code,
        LoadCode::UnknownKey
    );
    assert_eq!(
        w.load_keyset(&v3_bundle(5), NOW).unwrap_err().code,
        LoadCode::UnknownKey,
        "a bundle is no key set: its kid names no root"
    );
    w.load_keyset(&v3_keyset(2, &root), NOW).unwrap();
    w.load(&v3_bundle(5), NOW).unwrap();
    native.load_keys(&v3_keyset(2, &root), NOW).unwrap();
    native.load(&v3_bundle(5), NOW).unwrap();
    for url in [
        "https://cdn.example/a.png",
        " HTTP://TMP/a.png",
        "data:image/png;base64,AAAA",
        "//evil.example/a.png",
        "https://evil.example/a.png",
        "/images/a.png",
    ] {
        let (v, on) = w.check_media("mp", url, NOW);
        let (nv, non) = native.check_media("mp", url, NOW);
        assert_eq!((v, on.as_deref()), (nv.verdict, non.as_deref()), "{url}");
        let d = w.decide("mp", CheckKind::Media, url, NOW);
        assert_eq!(d, native.decide("mp", CheckKind::Media, url, NOW), "{url}");
    }
    let state = w.signed_state().unwrap();
    assert_eq!(Some(state.clone()), native.signed_state());
    assert!(
        w.set_keys(SECRET).is_err(),
        "a roots guard takes keys only from key sets"
    );

    // After a restart, in an instance whose every check traps (zero
    // deadline) and so rebuilds: the state restored, and kept by rebuilds.
    let opts = Options {
        check_timeout: Duration::ZERO,
        ..Options::default()
    };
    let m = WasmModule::from_file(default_module_path(), &opts).unwrap();
    let mut after = WasmGuard::from_config(&m, &config).unwrap();
    let mut tampered = state.clone();
    tampered.bundle = Some(v3_bundle(5).replace('.', ".x"));
    assert!(after.restore_state(&tampered, NOW).is_err());
    after.restore_state(&state, NOW).unwrap();
    let _ = after.decide("mp", CheckKind::Media, "/a.png", NOW);
    assert!(after.rebuilds() >= 1);
    assert_eq!(
        after.load(&v3_bundle(4), NOW).unwrap_err().code,
        LoadCode::StaleVersion,
        "the bundle floor survived the rebuild"
    );
    assert_eq!(
        after
            .load_keyset(&v3_keyset(1, &root), NOW)
            .unwrap_err()
            .code,
        LoadCode::StaleVersion,
        "the key-set floor survived the rebuild"
    );
    // A newer key set and bundle load, and the next rebuild keeps them.
    after.load_keyset(&v3_keyset(3, &root), NOW).unwrap();
    after.load(&v3_bundle(6), NOW).unwrap();
    let _ = after.decide("mp", CheckKind::Media, "/a.png", NOW);
    assert_eq!(
        after.load(&v3_bundle(5), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
    assert_eq!(
        after
            .load_keyset(&v3_keyset(2, &root), NOW)
            .unwrap_err()
            .code,
        LoadCode::StaleVersion
    );

    // Roots never come with a SecretKey.
    let both = config.replace(
        r#""superapp_id""#,
        &format!(r#""secret":"{SECRET}","superapp_id""#),
    );
    let err = WasmGuard::from_config(&module(), &both).unwrap_err();
    assert!(err.to_string().contains("never both"), "{err}");
}
