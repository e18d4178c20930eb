//! Patches Codex 0.169.0 really sent (the captured hook payloads in `tests/fixtures/codex`, and
//! corpus cases), and shapes from Codex's own scenario fixtures
//! (`codex-rs/apply-patch/tests/fixtures/scenarios`).

use std::path::PathBuf;

use selfheal_patch::{apply, locate, parse, FileOp, Fuzz, Hunk, MatchErrorKind};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/codex")
}

fn command(event: &str, name: &str) -> String {
    let path = fixtures().join(event).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(payload["tool_name"], "apply_patch");
    payload["tool_input"]["command"]
        .as_str()
        .expect("tool_input.command")
        .to_string()
}

fn update_hunks(op: &FileOp) -> &[Hunk] {
    match op {
        FileOp::Update { hunks, .. } => hunks,
        other => panic!("not an update: {other:?}"),
    }
}

#[test]
fn every_captured_apply_patch_parses() {
    let mut seen = 0;
    for event in ["PreToolUse", "PostToolUse", "PermissionRequest"] {
        let Ok(dir) = std::fs::read_dir(fixtures().join(event)) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
            if payload["tool_name"] != "apply_patch" {
                continue;
            }
            let command = payload["tool_input"]["command"].as_str().unwrap();
            let patch = parse(command).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert!(!patch.ops.is_empty(), "{path:?}");
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} apply_patch payloads found");
}

#[test]
fn add_file_payload() {
    for name in ["apply_patch_success__1", "pre_deny_patch"] {
        let patch = parse(&command("PreToolUse", name)).unwrap();
        assert_eq!(
            patch.ops,
            vec![FileOp::Add {
                path: "hello.txt".into(),
                lines: vec!["hello world".into()],
                line: 2,
            }]
        );
        assert_eq!(
            patch.ops[0].added_content().as_deref(),
            Some("hello world\n")
        );
    }
}

#[test]
fn update_payload_lands() {
    // greet.txt held "hello" (the PostToolUse of the same call reports "M greet.txt").
    let patch = parse(&command("PreToolUse", "apply_patch_success__2")).unwrap();
    assert_eq!(patch.ops[0].path(), "greet.txt");
    let hunks = update_hunks(&patch.ops[0]);
    assert_eq!(locate("hello\n", hunks).unwrap()[0].start, 0);
    assert_eq!(apply("hello\n", hunks).unwrap(), "hello, patched\n");
}

#[test]
fn failing_update_payload_is_refused() {
    let patch = parse(&command("PreToolUse", "apply_patch_failure")).unwrap();
    let e = locate("hello\n", update_hunks(&patch.ops[0])).unwrap_err();
    assert_eq!((e.hunk, e.line, e.kind), (0, 3, MatchErrorKind::Lines));
    assert_eq!(e.expected, vec!["this line does not exist in the file"]);
    assert_eq!(
        e.to_string(),
        "hunk 1 (patch line 3): this line is not in the file: \"this line does not exist in the file\""
    );
}

/// Corpus case `dev-codex-f5-pretooluse-stale-patch`: the agent read `src/config.py`, the file
/// changed on disk, and its patch still carries the old line; Codex answered "Failed to find
/// expected lines" and fired no PostToolUse.
#[test]
fn stale_patch_from_the_corpus() {
    const READ: &str = "TIMEOUT = 30\nRETRIES = 3\nBASE_URL = \"http://127.0.0.1:8080/api\"\n\n\ndef client_defaults():\n    return {\"timeout\": TIMEOUT, \"retries\": RETRIES}\n";
    const ON_DISK: &str = "TIMEOUT = 45  # tuned for staging\nRETRIES = 3\nBASE_URL = \"http://127.0.0.1:8080/api\"\n\n\ndef client_defaults():\n    return {\"timeout\": TIMEOUT, \"retries\": RETRIES}\n";
    const COMMAND: &str = "*** Begin Patch\n*** Update File: src/config.py\n@@\n-TIMEOUT = 30\n+TIMEOUT = 60\n RETRIES = 3\n*** End Patch\n";

    let patch = parse(COMMAND).unwrap();
    assert_eq!(patch.paths(), vec!["src/config.py"]);
    let hunks = update_hunks(&patch.ops[0]);

    // Against the file the agent read, it lands.
    assert_eq!(
        apply(READ, hunks).unwrap(),
        READ.replace("TIMEOUT = 30", "TIMEOUT = 60")
    );
    // Against the file on disk, it does not, and the message shows the line that changed.
    let e = locate(ON_DISK, hunks).unwrap_err();
    assert_eq!(e.expected, vec!["TIMEOUT = 30", "RETRIES = 3"]);
    assert_eq!(
        e.to_string(),
        "hunk 1 (patch line 3): these lines are not in the file: \"TIMEOUT = 30\", \"RETRIES = 3\"; \
         the closest block starts at file line 1 (1 of 2 lines equal ignoring whitespace): at file \
         line 1 the file has \"TIMEOUT = 45  # tuned for staging\" where the patch expects \
         \"TIMEOUT = 30\""
    );
}

/// Corpus case `dev-codex-ok-apply-patch`: the patch, and the file after it (before it, the
/// line read `amount * rate_pct / 100`, as `dev-codex-f7-ab-oscillation` shows).
#[test]
fn landed_patch_from_the_corpus() {
    const BEFORE: &str =
        "pub fn vat(amount: u32, rate_pct: u32) -> u32 {\n    amount * rate_pct / 100\n}\n";
    const AFTER: &str =
        "pub fn vat(amount: u32, rate_pct: u32) -> u32 {\n    (amount * rate_pct + 50) / 100\n}\n";
    const COMMAND: &str = "*** Begin Patch\n*** Update File: src/tax.rs\n@@\n pub fn vat(amount: u32, rate_pct: u32) -> u32 {\n-    amount * rate_pct / 100\n+    (amount * rate_pct + 50) / 100\n }\n*** End Patch\n";
    let patch = parse(COMMAND).unwrap();
    let hunks = update_hunks(&patch.ops[0]);
    assert_eq!(apply(BEFORE, hunks).unwrap(), AFTER);
    // Applied again to the result, it no longer matches: the edit is done.
    assert!(locate(AFTER, hunks).is_err());
}

/// Codex scenarios 017, 018 and 020: padded file headers and boundary markers.
#[test]
fn codex_scenarios_with_padded_markers() {
    for (text, path) in [
        (
            "*** Begin Patch\n  *** Update File: foo.txt\n@@\n-old\n+new\n*** End Patch\n",
            "foo.txt",
        ),
        (
            " *** Begin Patch\n*** Update File: file.txt\n@@\n-one\n+two\n*** End Patch \n",
            "file.txt",
        ),
        (
            "*** Begin Patch \n*** Update File: file.txt\n@@\n-one\n+two\n *** End Patch\n",
            "file.txt",
        ),
    ] {
        let patch = parse(text).unwrap();
        assert_eq!(patch.ops[0].path(), path);
        assert_eq!(
            apply("one\nold\n", update_hunks(&patch.ops[0])).map(|_| ()),
            Ok(())
        );
    }
}

/// Codex scenario 016: an update hunk with only added lines appends them.
#[test]
fn codex_scenario_pure_addition() {
    let patch = parse(
        "*** Begin Patch\n*** Update File: input.txt\n@@\n+added line 1\n+added line 2\n*** End Patch\n",
    )
    .unwrap();
    let out = apply("line1\nline2\n", update_hunks(&patch.ops[0])).unwrap();
    assert_eq!(out, "line1\nline2\nadded line 1\nadded line 2\n");
}

/// Codex scenario 014: an update adds the missing final newline.
#[test]
fn codex_scenario_update_appends_trailing_newline() {
    let patch =
        parse("*** Begin Patch\n*** Update File: no_newline.txt\n@@\n-no newline at end\n+first line\n+second line\n*** End Patch\n")
            .unwrap();
    let hunks = update_hunks(&patch.ops[0]);
    assert_eq!(
        apply("no newline at end", hunks).unwrap(),
        "first line\nsecond line\n"
    );
    assert_eq!(
        locate("no newline at end", hunks).unwrap()[0].fuzz,
        Fuzz::Exact
    );
}
