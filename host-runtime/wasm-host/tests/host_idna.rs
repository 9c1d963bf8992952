//! The module's one host import, `guard_host.domain_to_ascii` (decision
//! 660): the fixture tests/data/idna-host.json (IDN and `xn--` hosts, the
//! edge cases of UTS #46 and of the URL Standard around it) holds the `idna`
//! crate's answers and guard-core's native decisions, and the shipped module
//! must decide every request alike in wasmtime (Cranelift and Pulley), where
//! the host import is the `idna` crate natively; the JS side checks the
//! same file through the bridge. A module whose import is not provided fails
//! to instantiate, naming it.

mod common;

use std::path::PathBuf;

use common::{module, pulley_module, SECRET};
use guard_conformance::sign_policy;
use guard_core::{CheckKind, Guard};
use guard_wasm_host::{repo_root, WasmGuard, WasmModule};
use serde_json::{json, Value};

const APP: &str = "mp_idn";

fn fixture_path() -> PathBuf {
    repo_root().join("tests/data/idna-host.json")
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_path()).unwrap()).unwrap()
}

/// The `idna` crate's answer for `domain`, as the fixture spells it.
fn idna_answer(domain: &str) -> Value {
    match idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::URL) {
        Ok(ascii) => json!(ascii),
        Err(_) => Value::Null,
    }
}

fn native_guard(doc: &Value) -> Guard {
    let mut g = Guard::new(SECRET).unwrap();
    let now = doc["now"].as_u64().unwrap();
    g.load(&sign_policy(&doc["policy"], SECRET).unwrap(), now)
        .unwrap();
    g
}

fn wasm_guard(m: &WasmModule, doc: &Value) -> WasmGuard {
    let mut g = WasmGuard::new(m, SECRET).unwrap();
    let now = doc["now"].as_u64().unwrap();
    g.load(&sign_policy(&doc["policy"], SECRET).unwrap(), now)
        .unwrap();
    g
}

/// With GUARD_WRITE_IDNA_FIXTURE=1, rewrites the fixture's answers from the
/// native side (the inputs are hand-written); otherwise checks them.
#[test]
fn the_fixture_is_the_idna_crate_and_guard_core_natively() {
    let mut doc = fixture();
    let g = native_guard(&doc);
    let now = doc["now"].as_u64().unwrap();
    let mut stale = Vec::new();
    for d in doc["domains"].as_array_mut().unwrap() {
        let want = idna_answer(d["domain"].as_str().unwrap());
        if d.get("ascii") != Some(&want) {
            stale.push(format!("{}: {want}", d["domain"]));
            d["ascii"] = want;
        }
    }
    for r in doc["requests"].as_array_mut().unwrap() {
        let url = r["url"].as_str().unwrap();
        let want = serde_json::to_value(g.decide(APP, CheckKind::Request, url, now)).unwrap();
        if r.get("decision") != Some(&want) {
            stale.push(format!("{url}: {want}"));
            r["decision"] = want;
        }
    }
    if std::env::var_os("GUARD_WRITE_IDNA_FIXTURE").is_some() {
        let text = serde_json::to_string_pretty(&doc).unwrap();
        std::fs::write(fixture_path(), text + "\n").unwrap();
        return;
    }
    assert!(stale.is_empty(), "stale answers:\n{}", stale.join("\n"));
    // The fixture reaches every outcome: IDN allowed, IDN listed nowhere,
    // and refused as invalid.
    let codes: Vec<_> = doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["decision"]["code"].clone())
        .collect();
    for code in [
        Value::Null,
        json!("domain_not_whitelisted"),
        json!("invalid_url"),
    ] {
        assert!(codes.contains(&code), "no request decided {code}");
    }
}

fn every_request_agrees(m: &WasmModule) {
    let doc = fixture();
    let now = doc["now"].as_u64().unwrap();
    let native = native_guard(&doc);
    let mut wasm = wasm_guard(m, &doc);
    let mut differ = Vec::new();
    let requests = doc["requests"].as_array().unwrap();
    assert!(requests.len() >= 100);
    for r in requests {
        let url = r["url"].as_str().unwrap();
        let n = native.decide(APP, CheckKind::Request, url, now);
        let w = wasm.decide(APP, CheckKind::Request, url, now);
        if n != w {
            differ.push(format!("{url}: native {n:?}, wasm {w:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn idn_requests_decide_alike_natively_and_in_wasmtime_cranelift() {
    every_request_agrees(&module());
}

#[test]
fn idn_requests_decide_alike_natively_and_in_wasmtime_pulley() {
    every_request_agrees(&pulley_module());
}

/// The shipped module imports exactly `guard_host.domain_to_ascii`, as
/// guard-abi spells it, with the type the host defines.
#[test]
fn the_shipped_module_imports_domain_to_ascii_alone() {
    let engine = wasmtime::Engine::default();
    let bytes = std::fs::read(guard_wasm_host::default_module_path()).unwrap();
    let compiled = wasmtime::Module::new(&engine, &bytes).unwrap();
    let imports: Vec<_> = compiled
        .imports()
        .map(|i| {
            (
                i.module().to_owned(),
                i.name().to_owned(),
                format!("{:?}", i.ty()),
            )
        })
        .collect();
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert_eq!(imports[0].0, guard_abi_names().0);
    assert_eq!(imports[0].1, guard_abi_names().1);
    assert!(imports[0].2.contains("I32, I32, I32, I32"), "{imports:?}");
}

/// A host that does not provide the import cannot instantiate the module:
/// wasmtime names the missing import (fail closed, no IDN check ever runs
/// without it).
#[test]
fn a_host_without_the_import_fails_to_instantiate_naming_it() {
    let engine = wasmtime::Engine::default();
    let bytes = std::fs::read(guard_wasm_host::default_module_path()).unwrap();
    let compiled = wasmtime::Module::new(&engine, &bytes).unwrap();
    let linker: wasmtime::Linker<()> = wasmtime::Linker::new(&engine);
    let err = linker.instantiate_pre(&compiled).err().unwrap().to_string();
    assert!(err.contains("guard_host::domain_to_ascii"), "{err}");
}

fn guard_abi_names() -> (&'static str, &'static str) {
    (guard_abi::HOST_MODULE, guard_abi::HOST_DOMAIN_TO_ASCII)
}
