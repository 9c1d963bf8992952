//! Contract v3 from the command line, end to end: `guard keygen --root`,
//! `sign-keys` (a key set signed by a root), `verify-keys`, and `check
//! --roots --superapp-id --keyset` (with `--media` and `--local-prefix`),
//! natively and through the wasm; and what a hostile party tries: a key set
//! signed by a key that is no root, another superapp's key set, a bundle
//! given as a key set, a tampered payload, a root among the signing keys, a
//! private key where public roots belong. Each test has its own temp dir and
//! no `GUARD_SECRET`.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_one_line_error, fresh_dir, guard, ok, text};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A key-set payload for `superapp` carrying the public JWK of `keys/KID`
/// (made by `guard keygen`, its `alg`/`use` dropped: a key set's keys carry
/// exactly `kty`, `crv`, `kid` and `x`).
fn payload(dir: &Path, superapp: &str, version: u64, kid: &str) -> PathBuf {
    let public = read_json(&dir.join(format!("keys/{kid}.public.jwk")));
    let key = json!({ "kty": "OKP", "crv": "Ed25519", "kid": public["kid"], "x": public["x"] });
    let payload = json!({
        "superapp_id": superapp, "version": version, "issued_at": 100,
        "expires_at": 1_000_000, "keys": [key],
    });
    let path = dir.join(format!("payload-{superapp}-{version}.json"));
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// A root `root-1`, a signing key `k1`, a key set of `demo` version 1 signed
/// by the root (`keyset.jws`), and a schema-3 policy signed by `k1`
/// (`policy.jws`).
fn setup(dir: &Path) {
    let out = ok(&guard(
        dir,
        &["keygen", "--root", "--kid", "root-1", "--out-dir", "keys"],
    ));
    let printed: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(printed, read_json(&dir.join("keys/root-1.root.public.jwk")));
    ok(&guard(dir, &["keygen", "--kid", "k1", "--out-dir", "keys"]));
    let p = payload(dir, "demo", 1, "k1");
    let jws = ok(&guard(
        dir,
        &[
            "sign-keys",
            "--root",
            "keys/root-1.root.private.jwk",
            p.to_str().unwrap(),
        ],
    ));
    std::fs::write(dir.join("keyset.jws"), jws.trim()).unwrap();
    let policy = r#"{"schema":3,"superapp_id":"demo","version":1,"issued_at":0,
      "apps":[{"app_id":"mp","kind":"mini_program","control":{"media_domains":true},
               "domains":{"media":["https://cdn.example"]}}]}"#;
    std::fs::write(dir.join("policy.json"), policy).unwrap();
    let bundle = ok(&guard(
        dir,
        &["sign", "--key", "keys/k1.private.jwk", "policy.json"],
    ));
    std::fs::write(dir.join("policy.jws"), bundle.trim()).unwrap();
}

const ROOTS: [&str; 4] = [
    "--roots",
    "keys/root-1.root.public.jwk",
    "--superapp-id",
    "demo",
];

#[test]
fn keygen_root_writes_a_root_only_its_owner_reads() {
    let dir = fresh_dir("keygen-root");
    setup(&dir);
    let private = dir.join("keys/root-1.root.private.jwk");
    let public = read_json(&dir.join("keys/root-1.root.public.jwk"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Exactly the four members of a root: no `alg`/`use`, no `d`.
    let mut members: Vec<_> = public.as_object().unwrap().keys().cloned().collect();
    members.sort();
    assert_eq!(members, ["crv", "kid", "kty", "x"]);
    assert_eq!(read_json(&private)["x"], public["x"]);
    assert_one_line_error(
        &guard(
            &dir,
            &["keygen", "--root", "--kid", "root-1", "--out-dir", "keys"],
        ),
        "exists",
    );
}

#[test]
fn a_key_set_signed_by_a_root_verifies_and_decides_natively_and_in_the_wasm() {
    let dir = fresh_dir("sign-verify");
    setup(&dir);
    let header = std::fs::read_to_string(dir.join("keyset.jws")).unwrap();
    let header = URL_SAFE_NO_PAD
        .decode(header.split('.').next().unwrap())
        .unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["typ"], "guard-keyset+jws");
    assert_eq!(header["kid"], "root-1");

    let mut args = vec!["verify-keys"];
    args.extend(ROOTS);
    args.extend(["keyset.jws", "--now", "200"]);
    let status: Value = serde_json::from_str(&ok(&guard(&dir, &args))).unwrap();
    assert_eq!(status["version"], 1);
    assert_eq!(status["kids"], json!(["k1"]));

    for engine in ["native", "wasm"] {
        let check = |subject: &[&str]| {
            let mut args = vec!["check", "--engine", engine];
            args.extend(ROOTS);
            args.extend([
                "--keyset",
                "keyset.jws",
                "--bundle",
                "policy.jws",
                "--app",
                "mp",
                "--now",
                "200",
                "--local-prefix",
                "http://tmp/",
            ]);
            args.extend(subject);
            guard(&dir, &args)
        };
        let allowed = check(&["--media", "https://cdn.example/a.png"]);
        assert_eq!(
            allowed.status.code(),
            Some(0),
            "{engine}: {}",
            text(&allowed.stderr)
        );
        let local = check(&["--media", "HTTP://TMP/a.png"]);
        assert_eq!(local.status.code(), Some(0), "{engine}: a local prefix");
        let denied = check(&["--media", "https://evil.example/a.png"]);
        assert_eq!(denied.status.code(), Some(1), "{engine}");
        let d: Value = serde_json::from_str(&text(&denied.stdout)).unwrap();
        assert_eq!(d["code"], "domain_not_whitelisted");
        assert_eq!(
            d["message"],
            "media:fail url not in domain list:evil.example"
        );
        let other_host = check(&["--media", "//evil.example/a.png"]);
        let d: Value = serde_json::from_str(&text(&other_host.stdout)).unwrap();
        assert_eq!(d["code"], "invalid_url", "{engine}: `//host` is not local");
    }
    // Without the key set, the bundle's key is unknown to a guard with roots.
    let mut args = vec!["check"];
    args.extend(ROOTS);
    args.extend([
        "--bundle",
        "policy.jws",
        "--app",
        "mp",
        "--now",
        "200",
        "--media",
        "/a.png",
    ]);
    assert_one_line_error(&guard(&dir, &args), "unknown_key");
    // `explain` takes the same key set.
    let mut args = vec!["explain"];
    args.extend(ROOTS);
    args.extend([
        "--keyset",
        "keyset.jws",
        "--bundle",
        "policy.jws",
        "--app",
        "mp",
        "--now",
        "200",
        "--media",
        "https://evil.example/a.png",
    ]);
    assert_eq!(guard(&dir, &args).status.code(), Some(1));
}

/// What a hostile party hands a device instead of the superapp's key set.
#[test]
fn hostile_key_sets_are_refused_with_the_reason() {
    let dir = fresh_dir("hostile");
    setup(&dir);
    let verify = |file: &str| {
        let mut args = vec!["verify-keys"];
        args.extend(ROOTS);
        args.extend([file, "--now", "200"]);
        guard(&dir, &args)
    };
    // Signed by a key that is no root (an ordinary key, also under the
    // root's kid).
    ok(&guard(
        &dir,
        &["keygen", "--kid", "k2", "--out-dir", "keys"],
    ));
    let p = payload(&dir, "demo", 2, "k1");
    let by_other = ok(&guard(
        &dir,
        &[
            "sign-keys",
            "--root",
            "keys/k2.private.jwk",
            p.to_str().unwrap(),
        ],
    ));
    std::fs::write(dir.join("by-other.jws"), by_other.trim()).unwrap();
    assert_one_line_error(&verify("by-other.jws"), "unknown_key");
    let mut forged = read_json(&dir.join("keys/k2.private.jwk"));
    forged["kid"] = json!("root-1");
    std::fs::write(dir.join("forged.jwk"), forged.to_string()).unwrap();
    let under_root_kid = ok(&guard(
        &dir,
        &["sign-keys", "--root", "forged.jwk", p.to_str().unwrap()],
    ));
    std::fs::write(dir.join("under-root-kid.jws"), under_root_kid.trim()).unwrap();
    assert_one_line_error(&verify("under-root-kid.jws"), "bad_signature");

    // Another superapp's key set, signed by the very root.
    let other = payload(&dir, "other", 2, "k1");
    let other = ok(&guard(
        &dir,
        &[
            "sign-keys",
            "--root",
            "keys/root-1.root.private.jwk",
            other.to_str().unwrap(),
        ],
    ));
    std::fs::write(dir.join("other.jws"), other.trim()).unwrap();
    assert_one_line_error(&verify("other.jws"), "invalid_keyset");

    // A bundle given as a key set, and a key set given as a bundle.
    assert_one_line_error(&verify("policy.jws"), "unknown_key");
    let mut args = vec!["check", "--engine", "wasm"];
    args.extend(ROOTS);
    args.extend([
        "--keyset",
        "policy.jws",
        "--bundle",
        "policy.jws",
        "--app",
        "mp",
        "--now",
        "200",
        "--api",
        "getLocation",
    ]);
    assert_one_line_error(&guard(&dir, &args), "key set refused");
    let mut args = vec!["check", "--engine", "wasm"];
    args.extend(ROOTS);
    args.extend([
        "--keyset",
        "keyset.jws",
        "--bundle",
        "keyset.jws",
        "--app",
        "mp",
        "--now",
        "200",
        "--api",
        "getLocation",
    ]);
    let out = guard(&dir, &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));

    // A tampered payload: one byte of the signed payload changed.
    let good = std::fs::read_to_string(dir.join("keyset.jws")).unwrap();
    let parts: Vec<&str> = good.trim().split('.').collect();
    let mut payload_bytes = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let at = payload_bytes.iter().position(|b| *b == b'1').unwrap();
    payload_bytes[at] = b'9';
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(&payload_bytes),
        parts[2]
    );
    std::fs::write(dir.join("tampered.jws"), tampered).unwrap();
    assert_one_line_error(&verify("tampered.jws"), "bad_signature");

    // sign-keys refuses what no device would accept: a root among the
    // signing keys, a key with its private `d`.
    let root_public = read_json(&dir.join("keys/root-1.root.public.jwk"));
    let with_root = json!({
        "superapp_id": "demo", "version": 3, "issued_at": 100, "expires_at": 1000,
        "keys": [root_public],
    });
    std::fs::write(dir.join("with-root.json"), with_root.to_string()).unwrap();
    assert_one_line_error(
        &guard(
            &dir,
            &[
                "sign-keys",
                "--root",
                "keys/root-1.root.private.jwk",
                "with-root.json",
            ],
        ),
        "root key",
    );
    let mut private = read_json(&dir.join("keys/k1.private.jwk"));
    private.as_object_mut().unwrap().remove("alg");
    private.as_object_mut().unwrap().remove("use");
    let with_d = json!({
        "superapp_id": "demo", "version": 3, "issued_at": 100, "expires_at": 1000,
        "keys": [private],
    });
    std::fs::write(dir.join("with-d.json"), with_d.to_string()).unwrap();
    assert_one_line_error(
        &guard(
            &dir,
            &[
                "sign-keys",
                "--root",
                "keys/root-1.root.private.jwk",
                "with-d.json",
            ],
        ),
        "invalid_keyset",
    );

    // A private root where public roots belong; roots with a SecretKey.
    let mut args = vec![
        "verify-keys",
        "--roots",
        "keys/root-1.root.private.jwk",
        "--superapp-id",
        "demo",
    ];
    args.push("keyset.jws");
    assert_one_line_error(&guard(&dir, &args), "private key");
    let mut args = vec!["check", "--secret", "k3yK3yk3yK3yk3y1"];
    args.extend(ROOTS);
    args.extend([
        "--keyset",
        "keyset.jws",
        "--bundle",
        "policy.jws",
        "--app",
        "mp",
        "--api",
        "getLocation",
    ]);
    assert_one_line_error(&guard(&dir, &args), "no SecretKey");
}
