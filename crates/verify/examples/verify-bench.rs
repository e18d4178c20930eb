//! Verifying an edit of a 10,000-line file in-process (target: under 5 ms): reading the file
//! back, checking every hunk or replacement, and the sanity checks. `cargo run --release -p
//! selfheal-verify --example verify-bench`
use std::path::Path;
use std::time::Instant;

use selfheal_protocol::{ToolCall, ToolKind};
use serde_json::{json, Value};

const LINES: usize = 10_000;
const RUNS: usize = 50;

fn main() {
    let dir = std::env::temp_dir().join(format!("selfheal-verify-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original: String = (0..LINES)
        .map(|i| format!("    let value_{i} = compute({i}, \"item {i}\"); // line {i}\n"))
        .collect();

    // Codex: a patch of 50 hunks spread over the file, applied on disk as Codex would.
    let mut patch = String::from("*** Begin Patch\n*** Update File: big.rs\n");
    for k in 0..50 {
        let i = 100 + k * 195;
        patch.push_str(&format!(
            "@@\n     let value_{a} = compute({a}, \"item {a}\"); // line {a}\n-    let value_{i} = compute({i}, \"item {i}\"); // line {i}\n+    let value_{i} = compute_checked({i}, \"item {i}\")?; // line {i}\n     let value_{b} = compute({b}, \"item {b}\"); // line {b}\n",
            a = i - 1,
            b = i + 1
        ));
    }
    patch.push_str("*** End Patch\n");
    let parsed = selfheal_patch::parse(&patch).unwrap();
    let selfheal_patch::FileOp::Update { hunks, .. } = &parsed.ops[0] else {
        unreachable!()
    };
    let patched = selfheal_patch::apply(&original, hunks).unwrap();
    std::fs::write(dir.join("big.rs"), &patched).unwrap();
    bench(
        "Codex apply_patch, 50 hunks, 10,000-line file",
        "apply_patch",
        json!({ "command": patch }),
        None,
        &dir,
    );

    // Claude Edit: one replacement; the response carries the whole original file.
    let old = "    let value_5000 = compute(5000, \"item 5000\"); // line 5000\n";
    let new = "    let value_5000 = compute(5000, \"item 5000\").max(1); // line 5000\n";
    std::fs::write(dir.join("edit.rs"), original.replacen(old, new, 1)).unwrap();
    let path = dir.join("edit.rs").display().to_string();
    bench(
        "Claude Edit, 10,000-line file (originalFile in the response)",
        "Edit",
        json!({"file_path": path, "old_string": old, "new_string": new, "replace_all": false}),
        Some(
            json!({"filePath": path, "originalFile": original, "oldString": old,
                    "newString": new, "structuredPatch": [], "userModified": false,
                    "replaceAll": false}),
        ),
        &dir,
    );

    // Claude Write of a 10,000-line JSON file: compared, then parsed.
    let json_text = serde_json::to_string_pretty(
        &(0..LINES / 3)
            .map(|i| json!({"id": i, "name": format!("item {i}")}))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(dir.join("data.json"), &json_text).unwrap();
    let path = dir.join("data.json").display().to_string();
    bench(
        &format!(
            "Claude Write, JSON of {} lines (compared and parsed)",
            json_text.lines().count()
        ),
        "Write",
        json!({"file_path": path, "content": json_text}),
        Some(json!({"type": "create", "originalFile": null})),
        &dir,
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn bench(label: &str, tool: &str, input: Value, response: Option<Value>, cwd: &Path) {
    let call = ToolCall {
        kind: ToolKind::of(tool),
        name: tool,
        tool_use_id: None,
        input: &input,
        outcome: None,
    };
    let mut times = Vec::with_capacity(RUNS);
    let mut findings = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let v = selfheal_verify::verify(&call, response.as_ref(), Some(cwd), Some(cwd), &[]);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        findings = v.findings.len();
        assert_eq!(v.files, 1, "{label}");
    }
    assert_eq!(findings, 0, "{label}: the edit landed");
    let first = times[0];
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label}: p50 {:.2} ms, max {:.2} ms over {RUNS} runs (the first, cold: {first:.2} ms)",
        times[RUNS / 2],
        times[RUNS - 1],
    );
}
