//! Scenario 2: edits that cannot land.
//! - Codex: a well-formed patch whose context is not in the file is refused before it runs,
//!   with our reason in the next request, and the file is unchanged. (A grammatically
//!   malformed patch is rejected by Codex itself before any hook: not ours to test.)
//! - Claude: an Edit whose `old_string` is absent is rejected by Claude itself and only
//!   PostToolBatch sees it: our classification and guidance reach the next request. A Write
//!   outside `[scope]` is refused and the file is not created.

use selfheal_testkit::{call, patch, shell, text, Client};
use serde_json::json;

use crate::run;

const ORIGINAL: &str = "fn main() {\n    println!(\"hello\");\n}\n";

#[test]
fn codex_patch_with_absent_context_is_refused_before_it_runs() {
    let bad = "*** Begin Patch\n*** Update File: src/main.rs\n@@\n-    println!(\"goodbye\");\n\
               +    println!(\"hi\");\n*** End Patch\n";
    let out = run(Client::Codex, "bad-patch")
        .file("src/main.rs", ORIGINAL)
        .turns(vec![vec![patch(bad)], vec![text("I could not patch it.")]])
        .run();
    out.assert_finished();
    assert_eq!(out.read("src/main.rs").as_deref(), Some(ORIGINAL));
    out.assert_new_after_turn(
        0,
        &[
            "selfheal F5 context_refresh:",
            "the patch does not fit src/main.rs as it is now",
        ],
    );
    // Refused by us, not rejected by Codex's own patch engine after running.
    let next = out.after_turn(0).text();
    assert!(
        !next.contains("Failed to find expected lines"),
        "Codex tried the patch itself:\n{}",
        out.report()
    );
}

#[test]
fn claude_edit_with_absent_old_string_gets_guidance_from_post_tool_batch() {
    let out = run(Client::Claude, "bad-edit").file("src/main.rs", ORIGINAL);
    let file = out.project.join("src/main.rs").display().to_string();
    let out = out
        .turns(vec![
            vec![call("Read", json!({"file_path": file}))],
            vec![call(
                "Edit",
                json!({"file_path": file, "old_string": "println!(\"goodbye\");",
                       "new_string": "println!(\"hi\");"}),
            )],
            vec![text("I could not edit it.")],
        ])
        .run();
    out.assert_finished();
    assert_eq!(out.read("src/main.rs").as_deref(), Some(ORIGINAL));
    // Claude's own rejection, then our classification and guidance for it.
    out.assert_new_after_turn(
        1,
        &[
            "String to replace not found",
            "selfheal F2 argument_repair:",
        ],
    );
    out.assert_hooks_saw(&["PostToolBatch"]);
}

#[test]
fn claude_write_outside_scope_is_refused_and_not_created() {
    let out = run(Client::Claude, "scope").config("[scope]\nallow = [\"src/**\"]\n");
    let target = out.project.join("notes/todo.txt").display().to_string();
    let out = out
        .turns(vec![
            vec![call(
                "Write",
                json!({"file_path": target, "content": "todo\n"}),
            )],
            vec![text("Done.")],
        ])
        .run();
    out.assert_finished();
    assert!(
        out.read("notes/todo.txt").is_none(),
        "the Write ran\n{}",
        out.report()
    );
    out.assert_new_after_turn(0, &["selfheal F2 argument_repair:", "is out of scope"]);
}

/// A call schema-guard refused never ran: Claude's PostToolBatch still lists it (its result
/// is our refusal), and it must not be classified again as if it had run.
#[test]
fn claude_call_refused_by_the_guard_gets_no_second_guidance() {
    let out = run(Client::Claude, "refused-twice")
        .config("[scope]\nallow = [\"src/**\"]\n")
        .turns(vec![
            vec![shell("echo todo >> notes.txt")],
            vec![text("Done.")],
        ])
        .run();
    out.assert_finished();
    assert!(out.read("notes.txt").is_none(), "{}", out.report());
    out.assert_new_after_turn(0, &["selfheal F2 argument_repair:", "is out of scope"]);
    let (before, after) = out.counts_around_turn(0, "selfheal F");
    assert_eq!(
        after - before,
        1,
        "one refusal, no second guidance for the call that never ran\n{}",
        out.report()
    );
}
