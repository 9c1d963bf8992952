//! Every vector file in `tests/vectors` passes against guard-core natively, and
//! the runner itself notices a wrong expectation (so this test can fail).

use guard_conformance::{run_paths, vectors_dir, NativeEngine, Outcome, VectorFile};

#[test]
fn every_vector_passes_natively() {
    let mut failures = Vec::new();
    let summary = run_paths(
        &[vectors_dir()],
        &mut NativeEngine::new,
        &mut |o: &Outcome| {
            if let Some(f) = &o.failure {
                failures.push(format!("{}: {f}", o.name));
            }
        },
    )
    .expect("vector folder readable");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(summary.passed >= 300, "only {} vectors", summary.passed);
    println!("{summary}");
}

#[test]
fn a_wrong_expectation_is_reported_as_a_failure() {
    let text = std::fs::read_to_string(vectors_dir().join("shared/server-domains.json")).unwrap();
    let mut file: VectorFile = serde_json::from_str(&text).unwrap();
    let total = file.cases.len();
    for case in &mut file.cases {
        case.expect = if case.expect == "allow" {
            "deny".into()
        } else {
            "allow".into()
        };
        case.code = None;
    }
    let outcomes = guard_conformance::run_vector_file("flipped", &file, &mut NativeEngine::new);
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    assert_eq!(failed, total, "every flipped case must fail");
}
