//! `selfheal events | status | reset` against a real database written by the hooks.

use serde_json::Value;

use crate::support::Sandbox;

const CLAUDE_SESSION: &str = "11111111-1111-4111-8111-111111111111";

fn with_a_claude_session() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox
        .claude("budget-check", "SessionStart/bash_success.json")
        .run()
        .assert_silent();
    // A missing program: F4, and the agent is told which tool to use instead.
    let guidance = sandbox
        .claude(
            "failure-classifier",
            "PostToolUseFailure/bash_not_found__bash.json",
        )
        .run()
        .stdout_json();
    let context = guidance["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap();
    assert!(
        context.starts_with("selfheal F4 tool_substitution: "),
        "{context}"
    );
    sandbox
}

#[test]
fn status_shows_every_budget_with_its_limit() {
    let sandbox = with_a_claude_session();
    let status = sandbox
        .selfheal(&["status", "--session", CLAUDE_SESSION, "--json"])
        .assert_success()
        .stdout_json();
    assert_eq!(status["client"], "claude");
    assert_eq!(status["profile"], "balanced");
    for (budget, limit) in [
        ("retries", 6),
        ("replans", 3),
        ("substitutions", 3),
        ("model_escalations", 1),
        ("latency_secs", 7200),
        ("cost_tokens", 5_000_000),
    ] {
        assert_eq!(status["budgets"][budget]["limit"], limit, "{budget}");
        assert!(status["budgets"][budget]["used"].is_u64(), "{budget}");
    }
    assert_eq!(status["classes"]["unclassified"], 1);
    assert_eq!(status["classes"]["F4"], 1);
    assert_eq!(status["budgets"]["substitutions"]["used"], 1);
    assert_eq!(status["project_root"], "/workspace/project");

    let text = sandbox.selfheal(&["status", "--session", CLAUDE_SESSION]);
    let text = text.assert_success().stdout();
    assert!(text.contains("b_r retries"), "{text}");
    assert!(text.contains("b_k cost_tokens"), "{text}");
}

#[test]
fn a_project_config_sets_the_limits_status_shows() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::write(
        project.join(".selfheal.toml"),
        "profile = \"strict\"\n[budget]\nretries = 2\n",
    )
    .unwrap();
    let payload = format!(
        r#"{{"session_id":"cfg","prompt_id":"p","cwd":"{}","hook_event_name":"SessionStart","source":"startup"}}"#,
        project.display()
    );
    sandbox.case("budget-check", payload).run().assert_silent();
    let status = sandbox
        .selfheal(&["status", "--session", "cfg", "--json"])
        .assert_success()
        .stdout_json();
    assert_eq!(status["profile"], "strict");
    assert_eq!(status["budgets"]["retries"]["limit"], 2);
    assert_eq!(status["budgets"]["replans"]["limit"], 1);
}

#[test]
fn events_table_and_json_agree() {
    let sandbox = with_a_claude_session();
    let json = sandbox.selfheal(&["events", "--session", CLAUDE_SESSION, "--json"]);
    let lines: Vec<Value> = json
        .assert_success()
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["hook_event_name"], "SessionStart");
    assert_eq!(lines[1]["exit_code"], 127);
    let table = sandbox.selfheal(&["events", "--session", CLAUDE_SESSION]);
    let table = table.assert_success().stdout();
    assert_eq!(table.lines().count(), 3, "header + 2 rows: {table}");
    assert!(table.lines().nth(2).unwrap().contains("PostToolUseFailure"));
}

#[test]
fn reset_forgets_the_session() {
    let sandbox = with_a_claude_session();
    let ran = sandbox.selfheal(&["reset", "--session", CLAUDE_SESSION]);
    assert!(ran.assert_success().stdout().contains("rows removed"));
    let after = sandbox.selfheal(&["events", "--session", CLAUDE_SESSION]);
    assert_eq!(after.code(), Some(1));
    assert!(after.stderr().contains("no session"), "{}", after.stderr());
}

#[test]
fn an_unknown_session_is_a_clear_error() {
    let sandbox = Sandbox::new();
    for args in [
        &["events", "--session", "nope"][..],
        &["status", "--session", "nope"],
        &["reset", "--session", "nope"],
    ] {
        let ran = sandbox.selfheal(args);
        assert_eq!(ran.code(), Some(1), "{args:?}");
        assert_eq!(ran.stderr().lines().count(), 1, "{}", ran.stderr());
        assert!(ran
            .stderr()
            .starts_with("selfheal: error: no session 'nope'"));
    }
}
