//! The shared store under parallel hook processes.

use std::collections::HashMap;

use serde_json::json;

use crate::support::{payload, Sandbox};

#[test]
fn parallel_hook_processes_lose_no_event() {
    let sandbox = Sandbox::new();
    let (processes, events_each) = (16, 8);
    std::thread::scope(|scope| {
        for p in 0..processes {
            let sandbox = &sandbox;
            scope.spawn(move || {
                for e in 0..events_each {
                    let payload = format!(
                        r#"{{"session_id":"par","turn_id":"t","cwd":"/tmp","hook_event_name":"PostToolUse","model":"m","tool_name":"Bash","tool_input":{{"command":"echo {p}-{e}"}},"tool_response":"{p}-{e}\n","tool_use_id":"c{p}-{e}"}}"#
                    );
                    sandbox.case("failure-classifier", payload).run().assert_silent();
                }
            });
        }
    });
    let ran = sandbox.selfheal(&["events", "--session", "par", "--json"]);
    let mut ids: HashMap<String, u32> = HashMap::new();
    for line in ran.assert_success().stdout().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *ids.entry(v["tool_use_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(ids.len(), processes * events_each);
    assert!(ids.values().all(|n| *n == 1));
}

/// 32 hook processes at once, 100 failures each, all in one session: every event recorded
/// once, every budget charge counted, and no process ever reports a busy database.
#[test]
fn thirty_two_parallel_processes_count_every_budget_charge() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::write(
        project.join(".selfheal.toml"),
        "[budget]\nretries = 100000\nreplans = 100000\nsubstitutions = 100000\n",
    )
    .unwrap();
    let project = project.display().to_string();
    let (processes, events_each) = (32, 100);
    std::thread::scope(|scope| {
        for p in 0..processes {
            let (sandbox, project) = (&sandbox, &project);
            scope.spawn(move || {
                for e in 0..events_each {
                    let extra = json!({
                        "tool_name": "Bash",
                        "tool_input": {"command": format!("curl -sS http://127.0.0.1:9/{p}/{e}")},
                        "tool_use_id": format!("c{p}-{e}"),
                        "error": "Exit code 7\ncurl: (7) Failed to connect to 127.0.0.1 port 9: Couldn't connect to server",
                    });
                    let payload = payload("claude", "many", project, "PostToolUseFailure", extra);
                    let ran = sandbox
                        .case("failure-classifier", payload)
                        .env("CLAUDE_PROJECT_DIR", project)
                        .run();
                    assert_eq!(ran.code(), Some(0));
                    assert_eq!(ran.stderr(), "", "process {p} event {e}");
                }
            });
        }
    });
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let (events, distinct, charging, charged): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM events WHERE session_id = 'many'),
                    (SELECT count(DISTINCT tool_use_id) FROM events WHERE session_id = 'many'),
                    (SELECT count(*) FROM events WHERE session_id = 'many' AND action IN
                        ('retry', 'argument_repair', 'tool_substitution', 'replan')),
                    (SELECT coalesce(sum(used), 0) FROM budgets WHERE session_id = 'many'
                        AND budget IN ('retries', 'substitutions', 'replans'))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let total = (processes * events_each) as i64;
    assert_eq!(
        (events, distinct),
        (total, total),
        "each event recorded exactly once"
    );
    assert_eq!(charging, total, "every failure here is charged to a budget");
    assert_eq!(charged, total, "charges lost or doubled");
}

/// Hook processes killed with SIGKILL at every point of their run, hundreds of times: the
/// database stays intact, and each event's budget charge is there exactly when the event is
/// (one transaction), never one without the other.
#[test]
fn hooks_killed_mid_transaction_leave_a_consistent_database() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    // Generous budgets, so that the failures in the loop keep being charged.
    std::fs::write(
        project.join(".selfheal.toml"),
        "[budget]\nretries = 100000\nreplans = 100000\n",
    )
    .unwrap();
    let project = project.display().to_string();
    // How long one whole run takes on this machine now (a scratch database, created on the
    // way): the kills below spread over 0 to 1.5 times that, so that some land before the
    // database is opened, some inside the transaction and some after it, however loaded the
    // machine is.
    let scratch = Sandbox::new();
    let whole_run = (0..3)
        .map(|i| {
            let extra = json!({"tool_name": "Bash", "tool_input": {"command": "false"},
                               "tool_use_id": format!("c{i}"), "error": "Exit code 1"});
            let payload = payload("claude", "calibrate", &project, "PostToolUseFailure", extra);
            let started = std::time::Instant::now();
            scratch.case("failure-classifier", payload).run();
            started.elapsed()
        })
        .max()
        .unwrap();
    let kills = 300;
    for i in 0..kills {
        let extra = json!({
            "tool_name": "Bash",
            "tool_input": {"command": format!("curl -sS http://127.0.0.1:9/{i}")},
            "tool_use_id": format!("t{i}"),
            "error": "Exit code 7\ncurl: (7) Failed to connect to 127.0.0.1 port 9: Couldn't connect to server",
        });
        let payload = payload("claude", "crash", &project, "PostToolUseFailure", extra);
        let delay = whole_run.mul_f64(1.5 * (i * 7919 % 1000) as f64 / 1000.0);
        sandbox
            .case("failure-classifier", payload)
            .env("CLAUDE_PROJECT_DIR", &project)
            .run_killed_after(delay);
    }
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (events, charged): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM events WHERE session_id = 'crash' AND action IN
                        ('retry', 'argument_repair', 'tool_substitution', 'replan')),
                    (SELECT coalesce(sum(used), 0) FROM budgets WHERE session_id = 'crash'
                        AND budget IN ('retries', 'substitutions', 'replans'))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        events, charged,
        "an event without its charge, or the reverse"
    );
    // Some processes finished and some died mid-way: the test saw both.
    assert!(events > 0 && events < kills, "{events} of {kills} recorded");
}
