//! Scenario 1: a failing network command gets F1 guidance, with our tag, in the next request.

use selfheal_testkit::{shell, text, Client};

use crate::{attempts, failing_network_command, run};

fn network_failure_gets_f1_guidance(client: Client) {
    let out = run(client, "network")
        .turns(vec![
            vec![shell(failing_network_command())],
            vec![text("The service is down.")],
        ])
        .run();
    out.assert_finished();
    assert_eq!(attempts(&out), 1, "the command ran once\n{}", out.report());
    out.assert_new_after_turn(0, &["selfheal F1 retry:", "Couldn't connect to server"]);
    let outcome_event = match client {
        Client::Codex => "PostToolUse",
        Client::Claude => "PostToolUseFailure",
    };
    out.assert_hooks_saw(&["SessionStart", outcome_event, "Stop"]);
}

#[test]
fn codex_network_failure_gets_f1_guidance() {
    network_failure_gets_f1_guidance(Client::Codex);
}

#[test]
fn claude_network_failure_gets_f1_guidance() {
    network_failure_gets_f1_guidance(Client::Claude);
}
