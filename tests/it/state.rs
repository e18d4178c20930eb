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

/// A failure that the state store answers in one event, as the hooks see it on every tool call.
fn failure_event(project: &str, session: &str, i: u32) -> String {
    let extra = json!({"tool_name": "Bash", "tool_input": {"command": "false"},
                       "tool_use_id": format!("t{i}"), "error": "Exit code 1"});
    payload("claude", session, project, "PostToolUseFailure", extra)
}

/// The tool-use ids recorded for `session`, after checking the database's integrity.
fn recorded_calls(db: &std::path::Path, session: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT tool_use_id FROM events WHERE session_id = ?1 ORDER BY id")
        .unwrap();
    let ids = stmt.query_map([session], |r| r.get(0)).unwrap();
    ids.map(Result::unwrap).collect()
}

/// Nothing was moved aside as if corrupt: the state directory holds only the database's own
/// files.
fn assert_nothing_moved_aside(db: &std::path::Path) {
    let names: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("state.db") || n.contains("corrupt"))
        .collect();
    assert!(names.is_empty(), "unexpected files: {names:?}");
}

/// A write the OS refuses mid-transaction (a file-size limit: the write fails with EFBIG, as
/// one fails with ENOSPC on a full disk): the hook fails open, the database keeps what it had
/// (a write error is not corruption: nothing is moved aside), and once writes succeed again the
/// next event is recorded.
#[test]
fn a_refused_write_fails_open_and_keeps_the_database() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let project = project.display().to_string();
    let hook = "failure-classifier";
    sandbox
        .case(hook, failure_event(&project, "full", 1))
        .run()
        .assert_success();
    // Every file at its present size at most: the next commit's WAL frames cannot be written.
    let size = |suffix: &str| {
        let mut path = sandbox.db().into_os_string();
        path.push(suffix);
        std::fs::metadata(path).map_or(0, |m| m.len())
    };
    let limit = size("").max(size("-wal"));
    let line = sandbox
        .case(hook, failure_event(&project, "full", 2))
        .file_size_limit(limit)
        .run()
        .assert_fail_open(hook);
    assert!(
        line.contains("state database") && line.contains("I/O error"),
        "{line}"
    );
    assert_eq!(recorded_calls(&sandbox.db(), "full"), ["t1"]);
    assert_nothing_moved_aside(&sandbox.db());
    sandbox
        .case(hook, failure_event(&project, "full", 3))
        .run()
        .assert_success();
    assert_eq!(recorded_calls(&sandbox.db(), "full"), ["t1", "t3"]);
}

/// A full disk: the state directory on a 512 KiB tmpfs (in a private mount namespace, via
/// `unshare`), filled to the last block after the first event. The hook fails open naming the
/// full disk, the database keeps its event, and once space is freed the next event is
/// recorded. Where no such filesystem can be made, the test says so and fails: run it as root
/// or with unprivileged user namespaces (the refused-write test above covers the same path
/// without them).
#[test]
fn a_full_disk_fails_open_and_keeps_the_database() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let state = sandbox.db().parent().unwrap().to_path_buf();
    let saved = sandbox.dir.join("saved");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    let project = project.display().to_string();
    for i in 1..=3 {
        std::fs::write(
            sandbox.dir.join(format!("p{i}")),
            failure_event(&project, "full", i),
        )
        .unwrap();
    }
    // The mount lives only inside the namespace: what the test checks afterwards is copied out.
    let script = r#"
        set -u
        mount -t tmpfs -o size=512k selfheal-full "$STATE" || exit 97
        "$HOOK" <"$DIR/p1" >"$DIR/out1" 2>"$DIR/err1"
        dd if=/dev/zero of="$STATE/filler" bs=4k 2>/dev/null
        "$HOOK" <"$DIR/p2" >"$DIR/out2" 2>"$DIR/err2"; echo $? >"$DIR/rc2"
        cp "$STATE"/state.db* "$SAVED"/
        ls "$STATE" >"$DIR/listing"
        rm "$STATE/filler"
        "$HOOK" <"$DIR/p3" >"$DIR/out3" 2>"$DIR/err3"
        mkdir "$SAVED/after" && cp "$STATE"/state.db* "$SAVED/after/"
    "#;
    let hook = "failure-classifier";
    let status = std::process::Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", sandbox.dir.join("home"))
        .env("SELFHEAL_DB", sandbox.db())
        .env("STATE", &state)
        .env("SAVED", &saved)
        .env("DIR", &sandbox.dir)
        .env("HOOK", crate::support::bin(hook))
        .status()
        .expect("unshare (util-linux) is needed to make a size-limited filesystem");
    assert_ne!(
        status.code(),
        Some(97),
        "cannot mount a tmpfs here: run as root or allow unprivileged user namespaces"
    );
    assert!(status.success(), "{status}");
    let read = |name: &str| std::fs::read_to_string(sandbox.dir.join(name)).unwrap();
    assert_eq!(read("err1"), "", "the first event fits");
    assert_eq!(read("rc2").trim(), "0");
    assert_eq!(read("out2"), "", "nothing on stdout");
    let err = read("err2");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.starts_with(&format!("{hook}: ")) && err.contains("disk is full"),
        "{err:?}"
    );
    assert!(
        !read("listing").contains("corrupt"),
        "nothing moved aside: {}",
        read("listing")
    );
    assert_eq!(recorded_calls(&saved.join("state.db"), "full"), ["t1"]);
    assert_eq!(read("err3"), "", "space again: recorded");
    assert_eq!(
        recorded_calls(&saved.join("after/state.db"), "full"),
        ["t1", "t3"]
    );
}
