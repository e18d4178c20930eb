//! `selfheal report | status | gc | export` against a database the real hooks wrote from
//! captured payloads. The hooks stamp the real time; [`pin_clock`] then rewrites the times to
//! a fixed pattern an hour back, so that spans and budgets read the same on every run, and
//! the snapshots replace the instants themselves with placeholders of the same width.

use std::path::Path;

use serde_json::Value;

use crate::support::snapshot::{assert_snapshot, normalise_times};
use crate::support::{fixture, Ran, Sandbox};

const CLAUDE: &str = "11111111-1111-4111-8111-111111111111";
/// Codex's `apply_patch_failure` capture: a patch of a file that is not there.
const CODEX_DENIED: &str = "01a1ff4b-7abb-7ef3-8a66-ad6e54b19bbf";
/// Codex's `shell_not_found` capture: a program that is not installed.
const CODEX_NOT_FOUND: &str = "01a1ff4b-4466-7773-93f2-42b3927eb772";

fn claude_payload(rel: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("claude/{rel}"))).unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Three sessions: Claude's (a success, a missing program with guidance, an editor call
/// refused, a stop refused and then escalated), a Codex patch refused, a Codex missing program.
fn with_sessions() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox
        .claude("budget-check", "SessionStart/bash_success.json")
        .run()
        .assert_silent();
    sandbox
        .claude("failure-classifier", "PostToolUse/bash_success__bash.json")
        .run()
        .assert_silent();
    let guidance = sandbox
        .claude(
            "failure-classifier",
            "PostToolUseFailure/bash_not_found__bash.json",
        )
        .run();
    assert!(
        guidance.stdout().contains("selfheal F4 tool_substitution"),
        "{}",
        guidance.stdout()
    );
    // The same captured call, now an editor that would wait for input: refused.
    let mut editor = claude_payload("PreToolUse/bash_success__bash.json");
    editor["tool_input"]["command"] = "vim notes.txt".into();
    editor["tool_use_id"] = "toolu_editor".into();
    let denied = sandbox.case("schema-guard", format!("{editor}\n")).run();
    assert!(denied.stdout().contains("deny"), "{}", denied.stdout());
    // The missing program is unresolved: the stop is refused; then, nothing changed, it goes
    // through with an escalation.
    let refused = sandbox
        .claude(
            "budget-check",
            "Stop/out_stop_block__1-stop_hook_active-false.json",
        )
        .run();
    assert_eq!(refused.stdout_json()["decision"], "block");
    let escalated = sandbox
        .claude(
            "budget-check",
            "Stop/out_stop_block__2-stop_hook_active-true.json",
        )
        .run();
    assert!(escalated.stdout_json()["systemMessage"]
        .as_str()
        .unwrap()
        .contains("Escalated"));
    let patch = sandbox
        .codex("schema-guard", "PreToolUse/apply_patch_failure.json")
        .run();
    assert!(patch.stdout().contains("deny"), "{}", patch.stdout());
    sandbox
        .codex("failure-classifier", "PostToolUse/shell_not_found.json")
        .run()
        .assert_success();
    pin_clock(&sandbox);
    sandbox
}

fn db(sandbox: &Sandbox) -> rusqlite::Connection {
    rusqlite::Connection::open(sandbox.db()).unwrap()
}

fn count(sandbox: &Sandbox, sql: &str) -> u64 {
    db(sandbox).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Event `n` at an hour ago plus 1.5 s per id; each session from its first event to its
/// last; each escalation at its session's last event.
fn pin_clock(sandbox: &Sandbox) {
    let base = (now_ms() - 3_600_000) / 1000 * 1000;
    db(sandbox)
        .execute_batch(&format!(
            "UPDATE events SET ts = {base} + id * 1500;
             UPDATE sessions SET
                started_at = (SELECT min(ts) FROM events e
                    WHERE e.client = sessions.client AND e.session_id = sessions.session_id);
             UPDATE escalations SET ts = (SELECT max(ts) FROM events e
                WHERE e.client = escalations.client AND e.session_id = escalations.session_id);"
        ))
        .unwrap();
}

/// Moves a session (its events, its times, its escalations) `days` into the past.
fn age(sandbox: &Sandbox, session: &str, days: i64) {
    let ms = days * 86_400_000;
    let db = db(sandbox);
    for sql in [
        "UPDATE sessions SET started_at = started_at - ?1 WHERE session_id = ?2",
        "UPDATE events SET ts = ts - ?1 WHERE session_id = ?2",
        "UPDATE escalations SET ts = ts - ?1 WHERE session_id = ?2",
    ] {
        db.execute(sql, rusqlite::params![ms, session]).unwrap();
    }
}

fn one_error_line(ran: &Ran, starts_with: &str) {
    assert_eq!(ran.code(), Some(1), "stdout: {}", ran.stdout());
    let stderr = ran.stderr();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(starts_with), "{stderr}");
}

fn report_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["report", "--json"];
    all.extend_from_slice(args);
    sandbox.selfheal(&all).assert_success().stdout_json()
}

fn session<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id)
        .unwrap_or_else(|| panic!("no session {id} in {report}"))
}

fn ids(report: &Value) -> Vec<String> {
    report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn report_snapshots() {
    let sandbox = with_sessions();
    let text = sandbox.selfheal(&["report"]);
    assert_snapshot(
        "report/report.txt",
        &normalise_times(text.assert_success().stdout().as_str()),
    );
    let json = report_json(&sandbox, &[]);
    assert_snapshot(
        "report/report.json",
        &normalise_times(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json).unwrap()
        )),
    );
    let status = sandbox.selfheal(&["status"]);
    assert_snapshot(
        "report/status.txt",
        &normalise_times(status.assert_success().stdout().as_str()),
    );
    let page = sandbox.dir.join("report.html");
    sandbox
        .selfheal(&["report", "--html", page.to_str().unwrap()])
        .assert_success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_snapshot("report/report.html", &normalise_times(&html));
}

#[test]
fn the_json_report_counts_what_the_hooks_recorded() {
    let sandbox = with_sessions();
    let report = report_json(&sandbox, &[]);
    assert_eq!(report["kind"], "selfheal.report");
    assert_eq!(report["version"], 1);
    // Most recently seen first.
    assert_eq!(ids(&report), [CODEX_NOT_FOUND, CODEX_DENIED, CLAUDE]);

    let claude = session(&report, CLAUDE);
    let events = count(
        &sandbox,
        &format!("SELECT count(*) FROM events WHERE session_id = '{CLAUDE}'"),
    );
    assert_eq!(claude["events"], events);
    assert_eq!(claude["classes"]["ok"], 1);
    assert_eq!(claude["classes"]["F4"], 1);
    assert_eq!(claude["decisions"]["context"], 1, "the F4's guidance");
    assert_eq!(claude["decisions"]["deny"], 1, "the editor");
    assert_eq!(claude["decisions"]["block"], 1, "the refused stop");
    assert_eq!(claude["actions"]["tool_substitution"], 1);
    assert_eq!(claude["actions"]["replan"], 1);
    assert_eq!(claude["actions"]["escalate"], 1);
    assert_eq!(claude["budgets"]["replans"]["used"], 1);
    assert_eq!(claude["budgets"]["substitutions"]["used"], 1);
    assert_eq!(claude["budgets"]["retries"]["limit"], 6);
    let escalations = claude["escalations"].as_array().unwrap();
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0]["reason"], "no_progress");
    assert_eq!(escalations[0]["budget_spent"]["replans"]["used"], 1);
    // b_l of a report is the session's span: pinned at 1.5 s an event.
    let span = claude["span_secs"].as_u64().unwrap();
    assert_eq!(span, (events - 1) * 3 / 2);
    assert_eq!(claude["budgets"]["latency_secs"]["used"], span);

    assert_eq!(session(&report, CODEX_DENIED)["decisions"]["deny"], 1);
    assert_eq!(session(&report, CODEX_NOT_FOUND)["classes"]["F4"], 1);

    // The totals are the sessions added up.
    let sessions = report["sessions"].as_array().unwrap();
    let sum = |pointer: &str| -> u64 {
        sessions
            .iter()
            .map(|s| s.pointer(pointer).unwrap().as_u64().unwrap())
            .sum()
    };
    let totals = &report["totals"];
    assert_eq!(totals["sessions"], 3);
    assert_eq!(
        totals["events"],
        count(&sandbox, "SELECT count(*) FROM events")
    );
    for pointer in [
        "/events",
        "/tool_calls",
        "/classes/F4",
        "/classes/unclassified",
        "/decisions/deny",
        "/actions/tool_substitution",
    ] {
        assert_eq!(totals.pointer(pointer).unwrap(), sum(pointer), "{pointer}");
    }
    assert_eq!(totals["escalations"], 1);
}

#[test]
fn since_and_session_choose_the_sessions() {
    let sandbox = with_sessions();
    age(&sandbox, CODEX_DENIED, 3);
    assert_eq!(
        ids(&report_json(&sandbox, &[])),
        [CODEX_NOT_FOUND, CLAUDE, CODEX_DENIED],
        "the last 7 days by default"
    );
    assert_eq!(
        ids(&report_json(&sandbox, &["--since", "2d"])),
        [CODEX_NOT_FOUND, CLAUDE]
    );
    assert_eq!(
        ids(&report_json(&sandbox, &["--since", "30m"])),
        Vec::<String>::new()
    );
    // A session named is shown however old, unless --since says otherwise.
    assert_eq!(
        ids(&report_json(&sandbox, &["--session", CODEX_DENIED])),
        [CODEX_DENIED]
    );
    let outside = report_json(&sandbox, &["--session", CODEX_DENIED, "--since", "1d"]);
    assert_eq!(ids(&outside), Vec::<String>::new());

    let text = sandbox.selfheal(&["report", "--since", "30m"]);
    assert!(
        text.assert_success()
            .stdout()
            .starts_with("SESSIONS  none seen since "),
        "{}",
        text.stdout()
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let sandbox = with_sessions();
    for args in [
        &["report"][..],
        &["status"],
        &["status", "--session", CLAUDE],
    ] {
        let piped = sandbox.selfheal(args);
        assert!(
            !piped.assert_success().stdout().contains('\x1b'),
            "{args:?}"
        );
        let mut always = args.to_vec();
        always.extend(["--color", "always"]);
        let coloured = sandbox.selfheal(&always);
        let coloured = coloured.assert_success().stdout();
        assert!(coloured.contains("\x1b[1m"), "{args:?}: {coloured}");
        // The same text underneath (status --session shows b_l up to now: it moves).
        if args.len() == 1 {
            assert_eq!(
                normalise_times(&strip_ansi(&coloured)),
                normalise_times(&piped.stdout()),
                "{args:?}"
            );
        }
    }
    let never = sandbox
        .case("selfheal", Vec::new())
        .arg("report")
        .env("NO_COLOR", "1")
        .run();
    assert!(!never.assert_success().stdout().contains('\x1b'));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn status_is_the_short_live_form() {
    let sandbox = with_sessions();
    let table = sandbox.selfheal(&["status"]);
    let table = table.assert_success().stdout();
    assert_eq!(table.lines().count(), 4, "header + 3 sessions: {table}");
    for id in [CLAUDE, CODEX_DENIED, CODEX_NOT_FOUND] {
        assert!(table.contains(id), "{table}");
    }
    let detail = sandbox.selfheal(&["status", "--session", CLAUDE]);
    let detail = detail.assert_success().stdout();
    assert!(detail.contains("b_r retries"), "{detail}");
    assert!(detail.contains("no_progress"), "{detail}");
    // Live: b_l counts up to now, an hour after the pinned start.
    let status = sandbox
        .selfheal(&["status", "--session", CLAUDE, "--json"])
        .assert_success()
        .stdout_json();
    assert!(status["budgets"]["latency_secs"]["used"].as_u64().unwrap() >= 3_500);
    assert_eq!(status["escalations"], 1);
}

#[test]
fn the_html_page_is_self_contained_and_escapes_tool_output() {
    let sandbox = with_sessions();
    // A tool that printed markup: it reaches the page only as text.
    let mut hostile = claude_payload("PostToolUseFailure/bash_nonzero__bash.json");
    hostile["error"] =
        "Exit code 2\nusage: x </title></svg><script>alert('owned')</script> & \"q\"".into();
    hostile["tool_use_id"] = "toolu_hostile".into();
    sandbox
        .case("failure-classifier", format!("{hostile}\n"))
        .run()
        .assert_success();
    let evidence: String = db(&sandbox)
        .query_row(
            "SELECT evidence FROM events WHERE tool_use_id = 'toolu_hostile'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        evidence.contains("<script>"),
        "recorded as printed: {evidence}"
    );

    let page = sandbox.dir.join("out.html");
    let ran = sandbox.selfheal(&["report", "--html", page.to_str().unwrap()]);
    assert!(ran.assert_success().stdout().starts_with("wrote "));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script, and none smuggled in");
    assert!(html.contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;"));
    for external in ["src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "external asset: {external}");
    }
    assert_eq!(html.matches("<svg class=\"timeline\"").count(), 3);
    assert_eq!(html.matches("<svg class=\"legend\"").count(), 1);
    // One mark per event, each with its hover title.
    assert_eq!(
        html.matches("</title></rect>").count() as u64,
        count(&sandbox, "SELECT count(*) FROM events")
    );
    assert!(html.len() < 100_000, "{} bytes", html.len());
}

#[test]
fn bad_input_is_one_clear_line() {
    let sandbox = with_sessions();
    for args in [
        &["report", "--since", "3x"][..],
        &["report", "--since=-1d"],
        &["gc", "--older-than", "1.5h"],
        &["export", "--json", "--since", "week"],
    ] {
        one_error_line(
            &sandbox.selfheal(args),
            "selfheal: error: invalid duration '",
        );
    }
    for args in [
        &["report", "--session", "nope"][..],
        &["export", "--json", "--session", "nope"],
    ] {
        one_error_line(
            &sandbox.selfheal(args),
            "selfheal: error: no session 'nope'",
        );
    }

    let empty = Sandbox::new();
    for args in [
        &["report"][..],
        &["report", "--json"],
        &["gc"],
        &["export", "--json"],
    ] {
        one_error_line(
            &empty.selfheal(args),
            "selfheal: error: no state database at ",
        );
    }
    assert!(!Path::new(&empty.db()).exists(), "reading creates nothing");
}

#[test]
fn gc_removes_the_sessions_older_than_the_cutoff_and_says_what() {
    let sandbox = with_sessions();
    age(&sandbox, CLAUDE, 10);
    let of_claude = |table: &str| {
        count(
            &sandbox,
            &format!("SELECT count(*) FROM {table} WHERE session_id = '{CLAUDE}'"),
        )
    };
    let claude_events = of_claude("events");
    let (budgets, escalations, stops) = (
        of_claude("budgets"),
        of_claude("escalations"),
        of_claude("stops"),
    );
    let others = count(&sandbox, "SELECT count(*) FROM events") - claude_events;
    assert!(claude_events > 0 && others > 0 && budgets > 0 && escalations > 0 && stops > 0);

    // The default is [state] retention_days: 30, nothing that old.
    let kept = sandbox.selfheal(&["gc"]);
    assert!(
        kept.assert_success()
            .stdout()
            .contains("removed 0 sessions: 0 events"),
        "{}",
        kept.stdout()
    );

    let ran = sandbox.selfheal(&["gc", "--older-than", "7d"]);
    let out = ran.assert_success().stdout();
    assert!(
        out.contains(&format!("removed claude session {CLAUDE} (last seen ")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "removed 1 session: {claude_events} events, {budgets} budgets, 0 files seen, {escalations} escalations, 0 transcripts, {stops} stop states"
        )),
        "{out}"
    );
    assert_eq!(count(&sandbox, "SELECT count(*) FROM events"), others);
    for table in ["sessions", "events", "budgets", "escalations", "stops"] {
        assert_eq!(of_claude(table), 0, "{table}");
    }
    assert_eq!(count(&sandbox, "SELECT count(*) FROM sessions"), 2);

    // The configured retention is the default cutoff.
    age(&sandbox, CODEX_DENIED, 6);
    let config = sandbox.dir.join("home/.config/selfheal");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[state]\nretention_days = 5\n").unwrap();
    let ran = sandbox.selfheal(&["gc", "--vacuum"]);
    let out = ran.assert_success().stdout();
    assert!(
        out.contains(&format!("removed codex session {CODEX_DENIED}")),
        "{out}"
    );
    assert!(out.contains("removed 1 session: 1 events"), "{out}");
    assert!(out.contains("vacuumed "), "{out}");
    assert_eq!(count(&sandbox, "SELECT count(*) FROM sessions"), 1);
}

fn export(sandbox: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["export", "--json"];
    all.extend_from_slice(args);
    let ran = sandbox.selfheal(&all);
    ran.assert_success()
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

#[test]
fn export_streams_every_event_as_json_lines() {
    let sandbox = with_sessions();
    let all = export(&sandbox, &[]);
    assert_eq!(
        all.len() as u64,
        count(&sandbox, "SELECT count(*) FROM events")
    );
    let mut ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let in_order = ids.clone();
    ids.sort();
    assert_eq!(ids, in_order, "oldest first");
    // Every column, the session's client and id among them.
    let columns: Vec<String> = db(&sandbox)
        .prepare("SELECT name FROM pragma_table_info('events')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for event in &all {
        for column in &columns {
            assert!(event.get(column).is_some(), "{column} missing: {event}");
        }
        assert!(event["client"] == "claude" || event["client"] == "codex");
    }
    let excerpt = all.iter().find(|e| e["excerpt"].is_string());
    assert!(excerpt.is_some(), "the output excerpt is exported too");

    let claude = export(&sandbox, &["--session", CLAUDE]);
    assert_eq!(
        claude.len() as u64,
        count(
            &sandbox,
            &format!("SELECT count(*) FROM events WHERE session_id = '{CLAUDE}'")
        )
    );
    assert!(claude.iter().all(|e| e["session_id"] == CLAUDE));

    age(&sandbox, CLAUDE, 2);
    let recent = export(&sandbox, &["--since", "1d"]);
    assert_eq!(recent.len(), all.len() - claude.len());
    assert!(recent.iter().all(|e| e["session_id"] != CLAUDE));
    assert!(export(&sandbox, &["--session", CLAUDE, "--since", "1d"]).is_empty());
}
