//! Scenario 5: the agent stops with a failure unresolved: the stop is refused with our
//! feedback and the agent continues; stopping again without progress ends the run (a Stop
//! hook must never refuse twice without progress: Codex has no cap of its own).

use selfheal_testkit::{shell, text, Client};

use crate::{attempts, failing_network_command, run};

fn unresolved_failure_at_stop_gets_one_corrective_retry(client: Client) {
    let out = run(client, "stop")
        .turns(vec![
            vec![shell(failing_network_command())],
            // Stop #1, with the failure unresolved: refused, with our feedback.
            vec![text("All done.")],
            // Whatever the model says next (the script is spent) is stop #2, no progress.
        ])
        .run();
    out.assert_finished();
    assert_eq!(attempts(&out), 1, "{}", out.report());
    // The continuation carries our feedback (Codex: a <hook_prompt> user message; Claude:
    // "Stop hook feedback:"), wherever the client put it: tagged, naming the failure.
    let tags = |(b, a): (usize, usize), (c, d): (usize, usize)| (b + c, a + d);
    let (before, after) = tags(
        out.counts_around_turn(1, "selfheal:"),
        out.counts_around_turn(1, "selfheal F"),
    );
    assert!(
        after > before,
        "no tagged feedback after the stop\n{}",
        out.report()
    );
    out.assert_new_after_turn(1, &["Couldn't connect to server"]);
    let agent = out.agent_requests();
    assert_eq!(
        agent.len(),
        3,
        "one corrective retry, then the second stop ends the run\n{}",
        out.report()
    );
}

#[test]
fn codex_unresolved_failure_at_stop_gets_one_corrective_retry() {
    unresolved_failure_at_stop_gets_one_corrective_retry(Client::Codex);
}

#[test]
fn claude_unresolved_failure_at_stop_gets_one_corrective_retry() {
    unresolved_failure_at_stop_gets_one_corrective_retry(Client::Claude);
}
