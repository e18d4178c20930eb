//! Scenario 3: the same failing call, repeated past `[loop] max_repeats`, is refused before
//! it runs.

use selfheal_testkit::{shell, text, Client};

use crate::{attempts, failing_network_command, run};

fn repeated_failure_is_refused_before_it_runs(client: Client) {
    let command = failing_network_command();
    let out = run(client, "repeats")
        .config("[loop]\nmax_repeats = 2\n")
        .turns(vec![
            vec![shell(&command)],
            vec![shell(&command)],
            vec![shell(&command)],
            vec![text("Giving up.")],
        ])
        .run();
    out.assert_finished();
    assert_eq!(
        attempts(&out),
        2,
        "the third identical call must not run\n{}",
        out.report()
    );
    out.assert_new_after_turn(
        2,
        &[
            "selfheal F7 replan:",
            "this exact call already failed 2 times in this session ([loop] max_repeats = 2)",
        ],
    );
}

#[test]
fn codex_repeated_failure_is_refused_before_it_runs() {
    repeated_failure_is_refused_before_it_runs(Client::Codex);
}

#[test]
fn claude_repeated_failure_is_refused_before_it_runs() {
    repeated_failure_is_refused_before_it_runs(Client::Claude);
}
