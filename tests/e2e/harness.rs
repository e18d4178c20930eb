//! The harness itself: a client that hangs is killed at its timeout, with everything it
//! started (here a command it left running in the background).

use std::time::Duration;

use selfheal_testkit::{shell, stall, Client};

use crate::run;

fn hung_run_is_bounded(client: Client) {
    let out = run(client, "hung")
        .turns(vec![
            vec![shell(
                "(sleep 600 >/dev/null 2>&1 &); echo started > started.txt",
            )],
            // The model never answers again.
            vec![stall()],
        ])
        .timeout(Duration::from_secs(8))
        .run();
    assert!(out.timed_out, "{}", out.report());
    assert!(out.elapsed < Duration::from_secs(15), "{}", out.report());
    assert_eq!(
        out.read("started.txt").as_deref(),
        Some("started\n"),
        "{}",
        out.report()
    );
    assert_eq!(out.survivors(), Vec::<u32>::new(), "{}", out.report());
}

#[test]
fn codex_hung_run_is_killed_with_everything_it_started() {
    hung_run_is_bounded(Client::Codex);
}

#[test]
fn claude_hung_run_is_killed_with_everything_it_started() {
    hung_run_is_bounded(Client::Claude);
}
