//! Contract v2 from the command line, end to end: `guard keygen`, EdDSA
//! `sign --key`, `--keys` (JWK, array, key set), `check --launch/--tcp/--udp`
//! and redirects, natively and through the wasm. Each test has its own temp
//! dir and no `GUARD_SECRET`, so only the keys given are in play.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_one_line_error, fresh_dir, guard, ok, repo, text};

const PACKAGE: &[u8] = b"the released code package\n";

/// A schema-2 policy releasing `PACKAGE` as 1.4.2 for `mp`, server_domains on.
fn write_policy(dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let sha: String = Sha256::digest(PACKAGE)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(dir.join("released.pkg"), PACKAGE).unwrap();
    std::fs::write(dir.join("other.pkg"), b"something else").unwrap();
    let policy = format!(
        r#"{{"schema":2,"superapp_id":"demo","version":1,"issued_at":0,
          "apps":[{{"app_id":"mp","kind":"mini_program","control":{{"server_domains":true}},
                   "server_domains":["https://api.example"],
                   "release":{{"version":"1.4.2","package_sha256":"{sha}"}}}}]}}"#
    );
    let path = dir.join("policy.json");
    std::fs::write(&path, policy).unwrap();
    path
}

/// keygen + sign --key: the signed bundle at `dir/policy.jws`.
fn keygen_and_sign(dir: &Path, kid: &str) -> PathBuf {
    ok(&guard(dir, &["keygen", "--kid", kid, "--out-dir", "keys"]));
    let policy = write_policy(dir);
    let private = format!("keys/{kid}.private.jwk");
    let out = guard(dir, &["sign", "--key", &private, policy.to_str().unwrap()]);
    let jws = ok(&out);
    let path = dir.join("policy.jws");
    std::fs::write(&path, jws).unwrap();
    path
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads() {
    let dir = fresh_dir("keygen");
    let out = ok(&guard(
        &dir,
        &["keygen", "--kid", "2026-12", "--out-dir", "keys"],
    ));
    assert!(out.contains("2026-12.private.jwk"), "{out}");
    let private = dir.join("keys/2026-12.private.jwk");
    let public = dir.join("keys/2026-12.public.jwk");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&private), 0o600);
        assert_eq!(mode(&public) & 0o077, 0o044, "public is readable");
    }
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&private).unwrap()).unwrap();
    let x: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&public).unwrap()).unwrap();
    assert_eq!(d["kid"], "2026-12");
    assert_eq!(
        (d["kty"].as_str(), d["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert_eq!(d["x"], x["x"]);
    assert_eq!(
        d["d"].as_str().unwrap().len(),
        43,
        "32 bytes, unpadded base64url"
    );
    assert!(x.get("d").is_none(), "the public file has no private part");

    // Two key pairs differ (fresh seeds), an existing key is never
    // overwritten, and a kid that is no file name is refused.
    ok(&guard(
        &dir,
        &["keygen", "--kid", "other", "--out-dir", "keys"],
    ));
    let o: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("keys/other.private.jwk")).unwrap())
            .unwrap();
    assert_ne!(o["d"], d["d"]);
    assert_one_line_error(
        &guard(&dir, &["keygen", "--kid", "2026-12", "--out-dir", "keys"]),
        "exists",
    );
    assert_one_line_error(
        &guard(&dir, &["keygen", "--kid", "../x", "--out-dir", "keys"]),
        "--kid",
    );
}

#[test]
fn sign_with_the_private_key_verify_with_only_the_public_key() {
    let dir = fresh_dir("sign-verify");
    let jws = keygen_and_sign(&dir, "k1");
    let header = std::fs::read_to_string(&jws).unwrap();
    let header = header.split('.').next().unwrap();
    use base64::Engine as _;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "k1");

    let b = jws.to_str().unwrap();
    let status = ok(&guard(
        &dir,
        &["verify", "--keys", "keys/k1.public.jwk", b, "--now", "5"],
    ));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["version"], 1);

    // As an array and as a server's key set `{"keys": [...]}`, with a
    // SecretKey alongside.
    let public = std::fs::read_to_string(dir.join("keys/k1.public.jwk")).unwrap();
    std::fs::write(dir.join("array.json"), format!("[{public}]")).unwrap();
    std::fs::write(dir.join("set.json"), format!(r#"{{"keys":[{public}]}}"#)).unwrap();
    ok(&guard(
        &dir,
        &["verify", "--keys", "array.json", b, "--now", "5"],
    ));
    ok(&guard(
        &dir,
        &[
            "verify",
            "--keys",
            "set.json",
            "--secret",
            "k3yK3yk3yK3yk3y1",
            b,
            "--now",
            "5",
        ],
    ));

    // A private key where only public keys belong, a public key to sign with.
    assert_one_line_error(
        &guard(&dir, &["verify", "--keys", "keys/k1.private.jwk", b]),
        "private key",
    );
    assert_one_line_error(
        &guard(
            &dir,
            &["sign", "--key", "keys/k1.public.jwk", "policy.json"],
        ),
        "public key",
    );
    // No key at all.
    assert_one_line_error(&guard(&dir, &["verify", b]), "no keys");
}

#[test]
fn verify_with_the_wrong_key_fails() {
    let dir = fresh_dir("wrong-key");
    let jws = keygen_and_sign(&dir, "k1");
    let b = jws.to_str().unwrap();
    // Another kid: unknown_key.
    ok(&guard(
        &dir,
        &["keygen", "--kid", "k2", "--out-dir", "keys"],
    ));
    assert_one_line_error(
        &guard(
            &dir,
            &["verify", "--keys", "keys/k2.public.jwk", b, "--now", "5"],
        ),
        "unknown_key",
    );
    // The same kid, another key: bad_signature.
    ok(&guard(
        &dir,
        &["keygen", "--kid", "k1", "--out-dir", "other"],
    ));
    assert_one_line_error(
        &guard(
            &dir,
            &["verify", "--keys", "other/k1.public.jwk", b, "--now", "5"],
        ),
        "bad_signature",
    );
    // Only the SecretKey: an EdDSA bundle has no key to check it against.
    let out = guard(
        &dir,
        &["verify", "--secret", "k3yK3yk3yK3yk3y1", b, "--now", "5"],
    );
    assert_eq!(out.status.code(), Some(2));
}

fn decision(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} / {}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn launch_tcp_udp_and_redirects_natively_and_in_the_wasm() {
    let dir = fresh_dir("checks");
    let jws = keygen_and_sign(&dir, "k1");
    let b = jws.to_str().unwrap();
    for engine in ["native", "wasm"] {
        let check = |args: &[&str]| {
            let mut all = vec![
                "check",
                "--engine",
                engine,
                "--keys",
                "keys/k1.public.jwk",
                "--bundle",
                b,
                "--app",
                "mp",
                "--now",
                "5",
            ];
            all.extend_from_slice(args);
            guard(&dir, &all)
        };
        // The released package launches; another file, or another version, does not.
        let out = check(&["--launch", "1.4.2", "--package", "released.pkg"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(decision(&out)["message"], "launch:ok");
        let out = check(&["--launch", "1.4.2", "--package", "other.pkg"]);
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let d = decision(&out);
        assert_eq!(d["code"], "version_not_released", "{engine}");
        assert_eq!(d["message"], "launch:fail version not released");
        let out = check(&["--launch", "1.4.3", "--package", "released.pkg"]);
        assert_eq!(decision(&out)["code"], "version_not_released");
        // A usage error (clap's, exit 2), naming what is missing.
        let out = check(&["--launch", "1.4.2"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("--package"),
            "{}",
            text(&out.stderr)
        );

        // Raw sockets are denied while the domain list is on.
        let out = check(&["--tcp", "api.example:443"]);
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let d = decision(&out);
        assert_eq!(d["code"], "domain_not_whitelisted", "{engine}");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .starts_with("createTCPSocket:fail url not in domain list:api.example"),
            "{d}"
        );
        let d = decision(&check(&["--udp", "[::1]:53"]));
        assert_eq!(d["code"], "domain_not_whitelisted", "{engine}");
        let d = decision(&check(&["--tcp", "api.example"]));
        assert_eq!(d["code"], "invalid_url", "{engine}: no port");

        // Redirects: within the list, allowed; out of it, denied; past hop 10, invalid.
        let redirect = |location: &str, hop: &str| {
            check(&[
                "--redirect-from",
                "https://api.example/a/b",
                "--location",
                location,
                "--hop",
                hop,
            ])
        };
        assert_eq!(redirect("../c", "1").status.code(), Some(0), "{engine}");
        let d = decision(&redirect("https://evil.example/", "2"));
        assert_eq!(
            d["message"],
            "request:fail url not in domain list:evil.example"
        );
        assert_eq!(decision(&redirect("../c", "11"))["code"], "invalid_url");
    }
    // explain takes the v2 checks too.
    let out = guard(
        &dir,
        &[
            "explain",
            "--keys",
            "keys/k1.public.jwk",
            "--bundle",
            b,
            "--app",
            "mp",
            "--now",
            "5",
            "--tcp",
            "api.example:443",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let e = decision(&out);
    assert_eq!(e["decision"]["code"], "domain_not_whitelisted");
    assert!(e["rule"].as_str().unwrap().contains("3.7"), "{e}");
}

#[test]
fn vectors_v2_pass_in_the_wasm() {
    let dir = fresh_dir("vectors");
    let mut folders = vec![repo().join("tests/vectors")];
    let shared = repo().join("../shared/vectors-v2");
    if shared.is_dir() {
        folders.push(shared);
    }
    for folder in folders {
        let out = guard(
            &dir,
            &["vectors", "--engine", "wasm", folder.to_str().unwrap()],
        );
        let stdout = ok(&out);
        let last = stdout.lines().last().unwrap();
        assert!(
            last.ends_with(" passed, 0 failed"),
            "{}: {stdout}",
            folder.display()
        );
    }
}
