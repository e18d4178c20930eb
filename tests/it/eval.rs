//! `selfheal eval`: the classifier measured on the labelled dev corpus (a copy of
//! `shared/corpus/dev`), replayed through the real hook binaries.

use std::path::Path;

use serde_json::Value;

use crate::support::Sandbox;

fn eval(sandbox: &Sandbox, dir: &Path) -> Value {
    sandbox
        .selfheal(&["eval", dir.to_str().unwrap(), "--json"])
        .assert_success()
        .stdout_json()
}

#[test]
fn dev_corpus_macro_f1_meets_the_target() {
    let sandbox = Sandbox::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dev");
    let report = eval(&sandbox, &dir);
    let cases = std::fs::read_dir(&dir).unwrap().count() as u64;
    assert_eq!(report["cases"], cases);
    let total: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, cases, "every case lands in the matrix once");
    let wrong: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["expect"] != r["got"])
        .map(|r| format!("{} expected {} got {}", r["id"], r["expect"], r["got"]))
        .collect();
    let macro_f1 = report["macro_f1"].as_f64().unwrap();
    assert!(
        macro_f1 >= 0.95,
        "macro-F1 {macro_f1:.3}; wrong: {wrong:#?}"
    );
}

#[test]
fn a_wrong_label_is_counted_as_a_miss() {
    // The measure can fail: relabel a clear F4 case as ok and it must show up as wrong.
    let sandbox = Sandbox::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/dev/dev-codex-f4-fd-not-installed.json");
    let mut case: Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    case["expect"] = "ok".into();
    let dir = sandbox.dir.join("cases");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("relabelled.json"), case.to_string()).unwrap();
    let report = eval(&sandbox, &dir);
    assert_eq!(report["accuracy"], 0.0);
    assert_eq!(report["results"][0]["got"], "F4");
    assert_eq!(report["classes"]["ok"]["recall"], 0.0);
}

#[test]
fn an_empty_or_missing_dir_is_a_clear_error() {
    let sandbox = Sandbox::new();
    let ran = sandbox.selfheal(&["eval", sandbox.dir.to_str().unwrap()]);
    assert_eq!(ran.code(), Some(1));
    assert!(ran.stderr().contains("no case files"), "{}", ran.stderr());
    let ran = sandbox.selfheal(&["eval", "/nonexistent/cases"]);
    assert_eq!(ran.code(), Some(1));
    assert!(
        ran.stderr().contains("/nonexistent/cases"),
        "{}",
        ran.stderr()
    );
}
