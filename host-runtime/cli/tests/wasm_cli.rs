//! `guard wasm-info` names the very file the npm package ships, and
//! `--engine wasm` answers like `--engine native`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn guard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .current_dir(repo())
        .env_remove("GUARD_WASM")
        .output()
        .unwrap()
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no `{name}` line in {text}"))
}

#[test]
fn wasm_info_hashes_the_file_the_npm_package_ships() {
    let out = guard(&["wasm-info"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = String::from_utf8(out.stdout).unwrap();

    // What `npm pack` would put in the package: the wasm must be in it.
    let js = repo().join("js");
    let pack = Command::new("npm")
        .args(["pack", "--dry-run", "--json", "--ignore-scripts"])
        .current_dir(&js)
        .output()
        .unwrap();
    assert!(
        pack.status.success(),
        "{}",
        String::from_utf8_lossy(&pack.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&pack.stdout).unwrap();
    let shipped = listing[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(".wasm")))
        .unwrap_or_else(|| panic!("no .wasm in the npm package: {listing}"));
    let shipped_path = js.join(shipped["path"].as_str().unwrap());

    // Hashed by Node, independently of the Rust host.
    let node = Command::new("node")
        .args([
            "-e",
            "process.stdout.write(require('crypto').createHash('sha256').update(require('fs').readFileSync(process.argv[1])).digest('hex'))",
        ])
        .arg(&shipped_path)
        .output()
        .unwrap();
    assert!(node.status.success());
    let npm_sha = String::from_utf8(node.stdout).unwrap();

    assert_eq!(field(&info, "sha256"), npm_sha, "{info}");
    assert_eq!(
        field(&info, "size").parse::<u64>().unwrap(),
        shipped["size"].as_u64().unwrap()
    );
    assert_eq!(
        std::fs::canonicalize(field(&info, "path")).unwrap(),
        std::fs::canonicalize(&shipped_path).unwrap()
    );
}

#[test]
fn wasm_info_refuses_a_file_that_is_not_the_guard() {
    let out = guard(&["wasm-info", "--module", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot compile the guard module"), "{err}");
}

#[test]
fn the_wasm_engine_passes_the_vectors_and_checks_like_native() {
    let out = guard(&["vectors", "--engine", "wasm", "tests/vectors"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.trim_end().ends_with(" 0 failed"), "{text}");

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let policy = dir.join("wasm-cli-policy.json");
    std::fs::write(
        &policy,
        r#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
           "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
                    "server_domains":["https://api.example"]}]}"#,
    )
    .unwrap();
    let secret = "k3yK3yk3yK3yk3y1";
    let signed = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["sign"])
        .arg(&policy)
        .env("GUARD_SECRET", secret)
        .output()
        .unwrap();
    assert!(signed.status.success());
    let bundle = dir.join("wasm-cli-bundle.jws");
    std::fs::write(&bundle, &signed.stdout).unwrap();
    for url in ["https://api.example/x", "https://api.example:8443/"] {
        let run = |engine: &str| {
            Command::new(env!("CARGO_BIN_EXE_guard"))
                .args(["check", "--engine", engine, "--app", "mp", "--now", "100"])
                .arg("--bundle")
                .arg(&bundle)
                .args(["--request", url])
                .current_dir(repo())
                .env("GUARD_SECRET", secret)
                .env_remove("GUARD_WASM")
                .output()
                .unwrap()
        };
        let (n, w) = (run("native"), run("wasm"));
        assert_eq!(n.status.code(), w.status.code(), "{url}");
        assert_eq!(
            String::from_utf8_lossy(&n.stdout),
            String::from_utf8_lossy(&w.stdout),
            "{url}"
        );
    }
}
