//! Scenario 7: a broken `.selfheal.toml` makes every hook fail open: the tool still runs, no
//! guidance is injected, the run finishes.

use selfheal_testkit::{shell, text, Client};

use crate::{attempts, failing_network_command, run};

fn broken_config_fails_open(client: Client) {
    let out = run(client, "fail-open")
        // A wrong type: an error naming file, line and key, in every hook.
        .config("[loop]\nmax_repeats = \"three\"\n[scope]\nallow = [\"nowhere/**\"]\n")
        .turns(vec![
            vec![shell(failing_network_command())],
            vec![shell("echo ran > ran.txt")],
            vec![text("Done.")],
        ])
        .run();
    out.assert_finished();
    assert_eq!(attempts(&out), 1, "{}", out.report());
    assert_eq!(
        out.read("ran.txt").as_deref(),
        Some("ran\n"),
        "{}",
        out.report()
    );
    out.assert_never_sent("selfheal F");
    // Standing aside, the hooks recorded nothing.
    assert_eq!(
        out.hook_events(),
        Vec::<serde_json::Value>::new(),
        "{}",
        out.report()
    );
    if client == Client::Claude {
        // The hooks did run, and said why they stood aside.
        let log = out.claude_debug_log();
        assert!(
            log.contains(".selfheal.toml"),
            "no hook reported the broken config in the debug log\n{}",
            out.report()
        );
    }
}

#[test]
fn codex_broken_config_fails_open() {
    broken_config_fails_open(Client::Codex);
}

#[test]
fn claude_broken_config_fails_open() {
    broken_config_fails_open(Client::Claude);
}
