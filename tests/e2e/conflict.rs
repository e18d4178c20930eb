//! Scenario 4: an edit that leaves a conflict marker is flagged (patch-verifier) in the next
//! request. The edit itself lands: the client reports success, which is why we check.

use selfheal_testkit::{call, patch, text, Client};
use serde_json::json;

use crate::run;

const NOTES: &str = "# Notes\nline one\nline two\n";
const MERGED: &str = "<<<<<<< ours\nline two\n=======\nline 2\n>>>>>>> theirs";

fn assert_flagged(out: &selfheal_testkit::Outcome, turn: usize) {
    out.assert_finished();
    let notes = out.read("notes.md").unwrap_or_default();
    assert!(
        notes.contains("<<<<<<< ours"),
        "the edit did not land\n{}",
        out.report()
    );
    out.assert_new_after_turn(turn, &["selfheal ", "conflict marker"]);
}

#[test]
fn codex_patch_leaving_a_conflict_marker_is_flagged() {
    let added: String = MERGED.lines().map(|l| format!("+{l}\n")).collect();
    let merge = format!(
        "*** Begin Patch\n*** Update File: notes.md\n@@\n line one\n-line two\n{added}*** End Patch\n"
    );
    let out = run(Client::Codex, "conflict")
        .file("notes.md", NOTES)
        .turns(vec![vec![patch(merge)], vec![text("Merged.")]])
        .run();
    assert_flagged(&out, 0);
}

#[test]
fn claude_edit_leaving_a_conflict_marker_is_flagged() {
    let out = run(Client::Claude, "conflict").file("notes.md", NOTES);
    let file = out.project.join("notes.md").display().to_string();
    let out = out
        .turns(vec![
            vec![call("Read", json!({"file_path": file}))],
            vec![call(
                "Edit",
                json!({"file_path": file, "old_string": "line two", "new_string": MERGED}),
            )],
            vec![text("Merged.")],
        ])
        .run();
    assert_flagged(&out, 1);
}
