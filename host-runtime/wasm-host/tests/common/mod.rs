//! Shared by the wasm-host tests: the module, scenarios (load/check steps) and
//! a three-way runner (guard-core native, wasmtime, Node through the JS
//! package).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use guard_conformance::{Engine, NativeEngine};
use guard_core::{Check, CheckKind};
use guard_wasm_host::{default_module_path, repo_root, Backend, Options, WasmEngine, WasmModule};
use serde::{Deserialize, Serialize};

pub const SECRET: &str = "k3yK3yk3yK3yk3y1";

/// The module the JS package ships, compiled once per test binary.
pub fn module() -> WasmModule {
    static M: OnceLock<WasmModule> = OnceLock::new();
    M.get_or_init(|| module_on(Backend::Cranelift)).clone()
}

/// The same module compiled for wasmtime's Pulley interpreter (no JIT).
#[allow(dead_code)]
pub fn pulley_module() -> WasmModule {
    static M: OnceLock<WasmModule> = OnceLock::new();
    M.get_or_init(|| module_on(Backend::Pulley)).clone()
}

fn module_on(backend: Backend) -> WasmModule {
    let path = default_module_path();
    let options = Options {
        backend,
        // Deadlines have tests of their own (wasm_host.rs); here a machine
        // loaded by parallel builds stretched a 2 MiB URL check (tens of
        // milliseconds) past the default 250 ms, and the rebuild that
        // followed failed the agreement test with nothing wrong.
        check_timeout: std::time::Duration::from_secs(10),
        ..Options::default()
    };
    WasmModule::from_file(&path, &options)
        .unwrap_or_else(|e| panic!("{e} (build it with `bash js/scripts/build-wasm.sh`)"))
}

/// Vector folders: the project's (v1, v2 and v3), plus `../shared/vectors`,
/// `../shared/vectors-v2` and `../shared/vectors-v3` when present.
pub fn vector_paths() -> Vec<PathBuf> {
    let mut paths = vector_paths_v1_v2();
    paths.extend(vector_paths_v3());
    paths
}

/// The contract v3 vector folders: `tests/vectors-v3`, and
/// `../shared/vectors-v3` when present.
pub fn vector_paths_v3() -> Vec<PathBuf> {
    let mut paths = vec![repo_root().join("tests/vectors-v3")];
    let shared = repo_root().join("../shared/vectors-v3");
    if shared.is_dir() {
        paths.push(shared);
    }
    paths
}

/// The v1 and v2 vector folders: `tests/vectors`, and `../shared/vectors`
/// and `../shared/vectors-v2` when present.
pub fn vector_paths_v1_v2() -> Vec<PathBuf> {
    let mut paths = vec![repo_root().join("tests/vectors")];
    for shared in ["../shared/vectors", "../shared/vectors-v2"] {
        let shared = repo_root().join(shared);
        if shared.is_dir() {
            paths.push(shared);
        }
    }
    paths
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    Load {
        bundle: String,
        now: u64,
    },
    /// Contract v3: a key-set load (`loadKeys` in the Node leg).
    LoadKeys {
        keyset: String,
        now: u64,
    },
    /// A one-string check: the API name, the URL, or `host:port` for `tcp`
    /// and `udp` (split as guard-core's `Check::from_subject` splits it).
    Check {
        app: String,
        kind: String,
        subject: String,
        now: u64,
    },
    /// A launch check (§3.5).
    Launch {
        app: String,
        version: String,
        package_sha256: String,
        now: u64,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// What every engine is made from: a SecretKey, or a guard
    /// configuration JSON `{"secret"?, "keys"?, "roots"?, "superapp_id"?,
    /// "local_prefixes"?}` (first byte `{`).
    pub keys: String,
    pub steps: Vec<Step>,
}

/// One step's answer, in the shape every runtime prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Load {
        load: String,
        message: String,
    },
    Check {
        allow: bool,
        code: Option<String>,
        message: String,
        reported: bool,
    },
}

pub fn run_engine<E: Engine>(engine: &mut E, steps: &[Step], out: &mut Vec<Answer>) {
    for step in steps {
        out.push(match step {
            Step::Load { bundle, now } => load_answer(engine.load(bundle, *now)),
            Step::LoadKeys { keyset, now } => load_answer(engine.load_keyset(keyset, *now)),
            Step::Check {
                app,
                kind,
                subject,
                now,
            } => {
                let kind = CheckKind::parse(kind).unwrap();
                let check = Check::from_subject(kind, subject).unwrap();
                answer(engine.check_any(app, &check, *now))
            }
            Step::Launch {
                app,
                version,
                package_sha256,
                now,
            } => {
                let check = Check::Launch {
                    version,
                    package_sha256,
                };
                answer(engine.check_any(app, &check, *now))
            }
        });
    }
}

fn load_answer(loaded: Result<(), (guard_core::LoadCode, String)>) -> Answer {
    match loaded {
        Ok(()) => Answer::Load {
            load: "ok".into(),
            message: String::new(),
        },
        Err((code, message)) => Answer::Load {
            load: code.as_str().into(),
            message,
        },
    }
}

fn answer(d: guard_core::Decision) -> Answer {
    Answer::Check {
        allow: d.allow,
        code: d.code.map(|c| c.as_str().to_owned()),
        message: d.message,
        reported: d.reported,
    }
}

pub fn run_native(scenarios: &[Scenario]) -> Vec<Answer> {
    let mut out = Vec::new();
    for s in scenarios {
        let mut e = NativeEngine::new(&s.keys).unwrap();
        run_engine(&mut e, &s.steps, &mut out);
    }
    out
}

pub fn run_wasm(module: &WasmModule, scenarios: &[Scenario]) -> Vec<Answer> {
    let mut out = Vec::new();
    for s in scenarios {
        let mut e = WasmEngine::new(module, &s.keys).unwrap();
        run_engine(&mut e, &s.steps, &mut out);
        assert_eq!(
            e.0.rebuilds(),
            0,
            "the wasm instance failed during a scenario"
        );
    }
    out
}

/// The Node leg; `None` (after a loud message) only when `js/pkg` is missing.
pub fn run_node(scenarios: &[Scenario], tag: &str) -> Option<Vec<Answer>> {
    let pkg = repo_root().join("js/pkg/guard_wasm_bg.wasm");
    if !pkg.is_file() {
        eprintln!(
            "\n!!!!!!!! SKIPPING THE NODE LEG: {} is missing (run scripts/setup.sh) !!!!!!!!\n",
            pkg.display()
        );
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("agreement-{tag}-{}.json", std::process::id()));
    let json = serde_json::json!({ "scenarios": scenarios });
    std::fs::write(&file, serde_json::to_vec(&json).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/agree.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(&file)
        .output()
        .expect("node must be installed for the Node leg");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "node leg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    Some(
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad node line `{l}`: {e}")))
            .collect(),
    )
}

/// Asserts the answers agree, naming the first step that differs.
pub fn assert_agree(
    what: &str,
    scenarios: &[Scenario],
    left: (&str, &[Answer]),
    right: (&str, &[Answer]),
    replay: &str,
) {
    let steps: Vec<(usize, &Step)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.steps.iter().map(move |st| (i, st)))
        .collect();
    assert_eq!(
        left.1.len(),
        right.1.len(),
        "{what}: {} gave {} answers, {} gave {} ({replay})",
        left.0,
        left.1.len(),
        right.0,
        right.1.len()
    );
    for (n, (a, b)) in left.1.iter().zip(right.1).enumerate() {
        if a != b {
            let (scenario, step) = steps[n];
            let shown = match step {
                Step::Load { bundle, now } => format!("load at {now}: {:.200}", bundle),
                Step::LoadKeys { keyset, now } => format!("key set at {now}: {:.200}", keyset),
                s => format!("{s:?}"),
            };
            panic!(
                "{what}: DISAGREEMENT at step {n} (scenario {scenario}): {shown}\n  {}: {a:?}\n  {}: {b:?}\n  replay with {replay}",
                left.0, right.0
            );
        }
    }
}
