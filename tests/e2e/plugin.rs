//! The Claude Code plugin layout (`profiles/claude-plugin`): the suite loaded with
//! `--plugin-dir` and the binaries on PATH works like the installed hooks.

use selfheal_testkit::{shell, text, workspace_root, Client};

use crate::{failing_network_command, run};

#[test]
fn claude_plugin_runs_the_hooks() {
    let out = run(Client::Claude, "plugin")
        .claude_plugin(&workspace_root().join("profiles/claude-plugin"))
        .turns(vec![
            vec![shell(failing_network_command())],
            vec![text("The service is down.")],
        ])
        .run();
    out.assert_finished();
    assert!(
        out.read(".claude/settings.json").is_none(),
        "nothing installed in the project: the hooks can only come from the plugin"
    );
    out.assert_new_after_turn(0, &["selfheal F1 retry:", "Couldn't connect to server"]);
    out.assert_hooks_saw(&["SessionStart", "PostToolUseFailure", "Stop"]);
}
