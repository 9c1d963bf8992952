//! Every vector file in `tests/vectors` passes against guard-core natively, and
//! the runner itself notices a wrong expectation (so this test can fail).

use guard_conformance::{
    run_paths, vectors_dir, vectors_v3_dir, NativeEngine, Outcome, VectorFile,
};

#[test]
fn every_vector_passes_natively() {
    let mut failures = Vec::new();
    let summary = run_paths(
        &[vectors_dir(), vectors_v3_dir()],
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

/// Unknown annotations are ignored with a warning (on the outcome they sit
/// on); the optional `errno` and `reported` expectations are checked.
#[test]
fn unknown_fields_warn_and_optional_expectations_are_checked() {
    let text = std::fs::read_to_string(vectors_dir().join("shared/report-mode.json")).unwrap();
    let mut raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    raw["comment"] = "a file-level annotation".into();
    raw["cases"][0]["id"] = "r-1".into();
    let file: VectorFile = serde_json::from_value(raw).unwrap();
    let outcomes = guard_conformance::run_vector_file("annotated", &file, &mut NativeEngine::new);
    assert!(outcomes.iter().all(|o| o.failure.is_none()), "{outcomes:?}");
    assert_eq!(outcomes[0].ignored, ["file.comment"]);
    let first_case = file.loads.len() + usize::from(file.policy.is_some());
    assert_eq!(outcomes[first_case].ignored, ["id"]);
    assert!(outcomes[first_case]
        .warning()
        .unwrap()
        .ends_with("cases[0]: ignored unknown field `id`"));

    // Every case of the report-mode file, given the opposite `reported` and a
    // wrong `errno`, fails on them.
    let mut wrong = file.clone();
    let mut checked = 0;
    for case in &mut wrong.cases {
        if case.expect == "allow" {
            continue;
        }
        case.reported = Some(case.expect != "report");
        checked += 1;
    }
    let outcomes = guard_conformance::run_vector_file("wrong", &wrong, &mut NativeEngine::new);
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_deref())
        .collect();
    assert_eq!(failed.len(), checked, "{failed:?}");
    assert!(failed.iter().all(|f| f.contains("expected reported")));

    let mut wrong = file;
    for case in &mut wrong.cases {
        case.errno = Some(7);
    }
    let outcomes = guard_conformance::run_vector_file("errno", &wrong, &mut NativeEngine::new);
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    assert_eq!(failed, wrong.cases.len(), "errno 7 is no code's errno");
}

/// The contract's own vectors where the shared folder is (`../shared/vectors`,
/// `../shared/vectors-v2` and `../shared/vectors-v3` beside the repository), as every enforcement
/// point must pass them; the copies in `tests/vectors/shared*` may lag. With
/// `CI=true` a missing folder fails: CI always has them.
#[test]
fn the_shared_contract_vectors_pass_natively() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for folder in ["vectors", "vectors-v2", "vectors-v3"] {
        let dir = root.join(folder);
        if !dir.is_dir() {
            assert!(!ci, "CI=true and `{}` is missing", dir.display());
            eprintln!("skipped: `{}` is not there", dir.display());
            continue;
        }
        let mut failures = Vec::new();
        let summary = run_paths(
            std::slice::from_ref(&dir),
            &mut NativeEngine::new,
            &mut |o: &Outcome| {
                if let Some(f) = &o.failure {
                    failures.push(format!("{}: {f}", o.name));
                }
            },
        )
        .expect("shared vector folder readable");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(summary.passed > 0, "no vectors in `{}`", dir.display());
    }
}
