//! Scenario 6: the recovery budget runs out: changes are refused from then on, the run ends
//! (the stop is not refused, whatever is unresolved) and an escalation record exists (the
//! `[escalate] command` got it as JSON on stdin).

use selfheal_testkit::{shell, text, Client, Outcome};

use crate::{attempts, closed_port, network_command, run};

/// One retry, no replans or substitutions: the first F1 guidance spends the last of the
/// recovery budget. The escalation command writes what it gets into the project.
const CONFIG: &str = "[budget]\nretries = 1\nreplans = 0\nsubstitutions = 0\n\n\
                      [escalate]\ncommand = [\"sh\", \"-c\", \"cat > escalation.json\"]\n";

fn spend_the_budget(client: Client) -> Outcome {
    let out = run(client, "budget")
        .config(CONFIG)
        .turns(vec![
            // F1: retry guidance, the last of the budget.
            vec![shell(network_command(closed_port()))],
            // Another change: refused before it runs, the budget is spent.
            vec![shell(network_command(closed_port()))],
            vec![text("Stopping here.")],
        ])
        .run();
    out.assert_finished();
    out
}

fn spent_budget_refuses_changes(client: Client) {
    let out = spend_the_budget(client);
    assert_eq!(attempts(&out), 1, "the second call ran\n{}", out.report());
    out.assert_new_after_turn(0, &["selfheal F1 retry:"]);
    out.assert_new_after_turn(
        1,
        &[
            "selfheal F7 escalate:",
            "this session's recovery budget is spent",
        ],
    );
}

fn spent_budget_ends_the_run_with_an_escalation_record(client: Client) {
    let out = spend_the_budget(client);
    // The stop was let through: no continuation after the final text.
    assert_eq!(
        out.agent_requests().len(),
        3,
        "the stop was refused although the budget is spent\n{}",
        out.report()
    );
    let record = out.read("escalation.json").unwrap_or_else(|| {
        panic!(
            "no escalation record (the [escalate] command never ran)\n{}",
            out.report()
        )
    });
    let record: serde_json::Value = serde_json::from_str(&record)
        .unwrap_or_else(|e| panic!("escalation record is not JSON ({e}): {record}"));
    assert!(record.is_object(), "{record}");
}

#[test]
fn codex_spent_budget_refuses_changes() {
    spent_budget_refuses_changes(Client::Codex);
}

#[test]
fn claude_spent_budget_refuses_changes() {
    spent_budget_refuses_changes(Client::Claude);
}

#[test]
fn codex_spent_budget_ends_the_run_with_an_escalation_record() {
    spent_budget_ends_the_run_with_an_escalation_record(Client::Codex);
}

#[test]
fn claude_spent_budget_ends_the_run_with_an_escalation_record() {
    spent_budget_ends_the_run_with_an_escalation_record(Client::Claude);
}
