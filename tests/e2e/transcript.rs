//! Codex gives a PostToolUse hook a shell call's output but no exit code; failure-classifier
//! reads it from the rollout transcript, where Codex has already written the call's
//! `item_completed` record when the hook runs (what the Python probe of this directory found;
//! this test keeps it checked against the real client). Calls whose output says nothing
//! about failing are recorded with their real exit codes only if that read works.

use selfheal_testkit::{shell, text, Client};

use crate::run;

#[test]
fn codex_exit_codes_reach_the_classifier_at_post_tool_use() {
    let calls = [
        ("true", 0),
        ("sh -c 'exit 3'", 3),
        // A long output: the record is far from the transcript's previous end.
        ("seq 1 200000; exit 5", 5),
    ];
    let mut turns: Vec<_> = calls.iter().map(|(c, _)| vec![shell(*c)]).collect();
    turns.push(vec![text("Done.")]);
    let out = run(Client::Codex, "transcript").turns(turns).run();
    out.assert_finished();
    let events = out.hook_events();
    let post: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["hook_event_name"] == "PostToolUse" && e["hook"] == "failure-classifier")
        .collect();
    assert_eq!(post.len(), calls.len(), "{events:#?}\n{}", out.report());
    for (event, (command, code)) in post.iter().zip(calls) {
        assert_eq!(event["exit_code"], code, "{command}: {event:#}");
    }
}
