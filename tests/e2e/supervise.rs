//! `selfheal run`, the supervisor for unattended jobs, driving the real clients against the
//! scripted model: the silence kill, goal verification with a corrective retry, backoff after
//! a rate limit, loop detection with escalation, and scope reduction. Each scenario asserts on
//! behaviour: the exit code, the run report, files on disk, the text the model received, the
//! state DB, the notify command's input, and that the killed process group is gone.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use selfheal_testkit::{http_error, pgrp_members, shell, stall, text, Client, Job, Turn};
use serde_json::Value;

/// The first words of a corrective prompt (selfheal_supervise::prompt::MARKER).
const CORRECTIVE: &str = "selfheal run: the previous attempt did not reach the goal";

fn selfheal() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_selfheal"))
}

fn job(client: Client, name: &str, turns: Vec<Turn>) -> Job {
    Job::new(client, name, turns)
}

/// Runs `selfheal run --agent <client> <args> -- <prompt>` for the job; returns its output
/// and the JSON report.
fn supervise(job: &Job, args: &[&str], prompt: &str) -> (Output, Value) {
    let report = job.dir.join("report.json");
    let mut command = job.command(selfheal());
    command
        .args(["run", "--agent", job.client.name(), "--json-report"])
        .arg(&report)
        .args(["--log-dir"])
        .arg(job.dir.join("run"))
        .env("SELFHEAL_RUN_BACKOFF_MS", "200");
    for a in job.client_args() {
        command.arg(format!("--agent-arg={a}"));
    }
    command.args(args).arg("--").arg(prompt);
    let out = command.output().expect("run selfheal run");
    let report: Value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, report)
}

fn explain(job: &Job, out: &Output, report: &Value) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- report ---\n{:#}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        report,
        job.report()
    )
}

fn attempts(report: &Value) -> &Vec<Value> {
    report["attempts"].as_array().expect("attempts")
}

/// The hook events recorded for a session, by name.
fn hook_events(job: &Job, session: &str) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(job.state_db()).expect("state db");
    let mut stmt = db
        .prepare("SELECT hook_event_name, decision FROM events WHERE session_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([session], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

// --- 1. Silence: the model never answers; the group is killed, the attempt is "stalled".

fn stalled_attempt_is_killed_with_its_group(client: Client) {
    let job = job(client, "stall", vec![vec![stall()]]);
    let started = Instant::now();
    let (out, report) = supervise(
        &job,
        &["--silence", "2", "--max-attempts", "1"],
        "Do the task.",
    );
    let why = explain(&job, &out, &report);
    assert!(started.elapsed() < Duration::from_secs(40), "{why}");
    assert_eq!(out.status.code(), Some(1), "not done: escalated\n{why}");
    let a = &attempts(&report)[0];
    assert_eq!(a["stalled"], true, "{why}");
    assert_eq!(a["failure_mode"], "stalled", "{why}");
    assert_eq!(a["group_gone"], true, "{why}");
    let pgid = a["pid"].as_u64().expect("pid") as u32;
    assert_eq!(pgrp_members(pgid), Vec::<u32>::new(), "{why}");
    assert!(
        Path::new(a["log"].as_str().unwrap()).is_file(),
        "the attempt's log\n{why}"
    );
    assert!(a["log_tail"].as_str().is_some(), "{why}");
    assert_eq!(report["escalation"]["reason"], "run_attempts_exhausted");
    assert_eq!(job.survivors(), Vec::<u32>::new(), "{why}");
}

#[test]
fn claude_stalled_attempt_is_killed_with_its_group() {
    stalled_attempt_is_killed_with_its_group(Client::Claude);
}

#[test]
fn codex_stalled_attempt_is_killed_with_its_group() {
    stalled_attempt_is_killed_with_its_group(Client::Codex);
}

// --- 2. Exit 0 is not success: the criterion fails, the corrective prompt carries its
// output, the second attempt fixes it. The run-scoped registration is proven on the way: the
// hooks recorded the attempts' sessions and refused the first stop on the run's criterion.

const VERIFY: &str =
    "test -f fixed.txt || { echo \"VERIFY-FAILED: fixed.txt is missing\"; exit 1; }";

fn failed_verification_gets_a_corrective_retry(client: Client) {
    let job = job(
        client,
        "verify",
        vec![
            // Attempt 1: the wrong file, then "done" twice (the hooks refuse the first stop).
            vec![shell("touch wrong.txt")],
            vec![text("Done.")],
            vec![text("Done.")],
            // Attempt 2, with the corrective prompt.
            vec![shell("touch fixed.txt")],
            vec![text("Fixed.")],
        ],
    );
    let (out, report) = supervise(
        &job,
        &["--verify", VERIFY, "--silence", "60", "--max-attempts", "3"],
        "Create fixed.txt.",
    );
    let why = explain(&job, &out, &report);
    assert_eq!(out.status.code(), Some(0), "{why}");
    assert_eq!(report["outcome"], "succeeded", "{why}");
    let list = attempts(&report);
    assert_eq!(list.len(), 2, "{why}");
    assert_eq!(list[0]["exit_code"], 0, "exit 0, and still not done\n{why}");
    assert_eq!(list[0]["failure_mode"], "unverified", "{why}");
    assert_eq!(list[0]["next"], "corrective_retry", "{why}");
    assert_eq!(list[1]["prompt_kind"], "corrective", "{why}");
    assert!(job.read("fixed.txt").is_some(), "{why}");

    // The first request of attempt 2: the corrective prompt with the criterion's output and
    // the goal.
    let requests = job.agent_requests();
    let corrective = requests
        .iter()
        .find(|r| r.text().contains(CORRECTIVE))
        .unwrap_or_else(|| panic!("no corrective prompt reached the model\n{why}"));
    let text = corrective.text();
    assert!(
        text.contains("VERIFY-FAILED: fixed.txt is missing"),
        "{why}"
    );
    assert!(text.contains("Create fixed.txt."), "{why}");
    assert!(text.contains("touch wrong.txt"), "the last actions\n{why}");

    // Run-scoped registration: both sessions were seen by the hooks, and the first stop was
    // refused on the run's own criterion (passed to the hooks through SELFHEAL_CONFIG).
    for a in list {
        let session = a["session_id"].as_str().expect("session id");
        let events = hook_events(&job, session);
        // (schema-guard records only what it refuses: no PreToolUse rows for allowed calls.)
        for name in ["SessionStart", "PostToolUse", "Stop"] {
            assert!(
                events.iter().any(|(e, _)| e == name),
                "{name} not recorded for {session}: {events:?}\n{why}"
            );
        }
    }
    let first = hook_events(&job, list[0]["session_id"].as_str().unwrap());
    assert!(
        first.iter().any(|(e, d)| e == "Stop" && d == "block"),
        "the hooks did not check the run's criterion at Stop: {first:?}\n{why}"
    );
}

#[test]
fn claude_failed_verification_gets_a_corrective_retry() {
    failed_verification_gets_a_corrective_retry(Client::Claude);
}

#[test]
fn codex_failed_verification_gets_a_corrective_retry() {
    failed_verification_gets_a_corrective_retry(Client::Codex);
}

// --- 3. A rate-limited first attempt: backoff, the same prompt again, success.

fn rate_limit_backs_off_then_succeeds(client: Client, status: u16) {
    let job = job(
        client,
        "ratelimit",
        vec![
            vec![http_error(status)],
            vec![shell("touch done.txt")],
            vec![text("Done.")],
        ],
    );
    let (out, report) = supervise(
        &job,
        &["--verify", "test -f done.txt", "--silence", "60"],
        "Create done.txt.",
    );
    let why = explain(&job, &out, &report);
    assert_eq!(out.status.code(), Some(0), "{why}");
    let list = attempts(&report);
    assert_eq!(list.len(), 2, "{why}");
    assert_eq!(list[0]["failure_mode"], "transient", "{why}");
    assert_eq!(list[0]["next"], "backoff_retry", "{why}");
    let waited = list[0]["backoff_ms"].as_u64().expect("backoff_ms");
    assert!(
        (100..=200).contains(&waited),
        "base 200 ms, jitter: {waited}\n{why}"
    );
    assert_eq!(list[1]["prompt_kind"], "retry", "{why}");
    assert_eq!(list[1]["prompt"], "Create done.txt.", "{why}");
    assert!(job.read("done.txt").is_some(), "{why}");
    assert!(
        !job.agent_requests()
            .iter()
            .any(|r| r.text().contains(CORRECTIVE)),
        "a transient failure gets the same task again, not a corrective prompt\n{why}"
    );
}

#[test]
fn claude_rate_limit_backs_off_then_succeeds() {
    rate_limit_backs_off_then_succeeds(Client::Claude, 429);
}

#[test]
fn codex_rate_limit_backs_off_then_succeeds() {
    rate_limit_backs_off_then_succeeds(Client::Codex, 429);
}

// --- 4. The same failing attempt twice: a loop; escalation with the record in the DB and on
// the notify command's stdin; exit 1.

fn identical_failing_attempts_escalate(client: Client) {
    // No script: the model says the same thing to everything.
    let job = job(client, "loop", Vec::new());
    let (out, report) = supervise(
        &job,
        &[
            "--verify",
            "echo NOT-DONE-YET; exit 1",
            "--max-attempts",
            "4",
            "--silence",
            "60",
            "--notify",
            "cat > notified.json",
        ],
        "Make the impossible happen.",
    );
    let why = explain(&job, &out, &report);
    assert_eq!(out.status.code(), Some(1), "{why}");
    assert_eq!(report["outcome"], "escalated", "{why}");
    assert_eq!(report["reason"], "run_loop", "{why}");
    let list = attempts(&report);
    assert_eq!(
        list.len(),
        2,
        "stopped at the repeat, no decomposition\n{why}"
    );
    assert!(
        list[1]["similarity_to_previous"].as_f64().unwrap() >= 0.85,
        "{why}"
    );
    assert_eq!(list[1]["next"], "stop_loop", "{why}");

    let notified: Value = serde_json::from_str(
        &job.read("notified.json")
            .unwrap_or_else(|| panic!("the notify command got nothing\n{why}")),
    )
    .unwrap_or_else(|e| panic!("notify input is not JSON: {e}\n{why}"));
    assert_eq!(notified["kind"], "selfheal.run.escalation", "{why}");
    assert_eq!(notified["reason"], "run_loop");
    assert_eq!(notified["goal"], "Make the impossible happen.");
    assert!(notified["success_criteria"][0]["output"]
        .as_str()
        .unwrap()
        .contains("NOT-DONE-YET"));
    let id = notified["escalation_id"].as_i64().expect("escalation id");
    let db = rusqlite::Connection::open(job.state_db()).unwrap();
    let (reason, session): (String, String) = db
        .query_row(
            "SELECT reason, session_id FROM escalations WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("escalation {id} not in the DB: {e}\n{why}"));
    assert_eq!(reason, "run_loop");
    assert_eq!(Some(session.as_str()), list[1]["session_id"].as_str());
}

#[test]
fn claude_identical_failing_attempts_escalate() {
    identical_failing_attempts_escalate(Client::Claude);
}

#[test]
fn codex_identical_failing_attempts_escalate() {
    identical_failing_attempts_escalate(Client::Codex);
}

// --- 5. Scope reduction: the attempts fail, the agent splits the task, each subtask runs as
// an attempt of its own, and the criteria over the whole task pass.

fn failed_task_is_split_into_subtasks(client: Client) {
    let job = job(
        client,
        "decompose",
        vec![
            // The one attempt at the whole task: nothing done; the stop is refused once.
            vec![text("I could not do all of it.")],
            vec![text("I could not do all of it.")],
            // Planning (no criteria in the hooks: the stop goes through).
            vec![text(
                "[\"Create a.txt\", \"Create b.txt\", \"Create c.txt\"]",
            )],
            vec![shell("touch a.txt")],
            vec![text("a.txt created.")],
            vec![shell("touch b.txt")],
            vec![text("b.txt created.")],
            vec![shell("touch c.txt")],
            vec![text("c.txt created.")],
        ],
    );
    let (out, report) = supervise(
        &job,
        &[
            "--verify",
            "test -f a.txt && test -f b.txt && test -f c.txt",
            "--max-attempts",
            "1",
            "--silence",
            "60",
        ],
        "Create a.txt, b.txt and c.txt.",
    );
    let why = explain(&job, &out, &report);
    assert_eq!(out.status.code(), Some(0), "{why}");
    assert_eq!(report["outcome"], "succeeded_after_decomposition", "{why}");
    assert_eq!(
        report["subtasks"],
        serde_json::json!(["Create a.txt", "Create b.txt", "Create c.txt"]),
        "{why}"
    );
    let phases: Vec<&str> = attempts(&report)
        .iter()
        .map(|a| a["phase"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        ["main", "plan", "subtask", "subtask", "subtask"],
        "{why}"
    );
    for f in ["a.txt", "b.txt", "c.txt"] {
        assert!(job.read(f).is_some(), "{f}\n{why}");
    }
    let texts: Vec<String> = job.agent_requests().iter().map(|r| r.text()).collect();
    assert!(texts.iter().any(|t| t.contains("JSON array")), "{why}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Create b.txt") && t.contains("subtask 2 of 3")),
        "{why}"
    );
}

#[test]
fn claude_failed_task_is_split_into_subtasks() {
    failed_task_is_split_into_subtasks(Client::Claude);
}

#[test]
fn codex_failed_task_is_split_into_subtasks() {
    failed_task_is_split_into_subtasks(Client::Codex);
}

// --- Bad input: one line, exit 2.

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    let job = job(Client::Claude, "usage", Vec::new());
    for (args, needle) in [
        (
            vec!["run", "--agent", "gemini", "--", "x"],
            "unknown agent 'gemini'",
        ),
        (vec!["run", "--agent", "claude"], "no task prompt"),
        (
            vec![
                "run",
                "--agent",
                "codex",
                "--agent-bin",
                "/nonexistent/codex",
                "--",
                "x",
            ],
            "was not found",
        ),
    ] {
        let out = job.command(selfheal()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("selfheal: error: ") && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
    }
}

// --- 6. Hooks the user installed already are not registered a second time for the run.

/// (Claude Code runs a command registered twice once; Codex runs both.)
#[test]
fn codex_installed_hooks_run_once_under_the_supervisor() {
    let job = job(
        Client::Codex,
        "installed",
        vec![vec![shell("echo hi")], vec![text("Done.")]],
    );
    let bin_dir = selfheal().parent().unwrap();
    let mut install = job.command(selfheal());
    install
        .args(["install", "codex", "--user", "--bin-dir"])
        .arg(bin_dir);
    let installed = install.output().unwrap();
    assert!(installed.status.success(), "{installed:?}");

    let (out, report) = supervise(&job, &["--max-attempts", "1"], "Say hi.");
    let why = explain(&job, &out, &report);
    assert_eq!(out.status.code(), Some(0), "{why}");
    let session = attempts(&report)[0]["session_id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let events = hook_events(&job, &session);
    for name in ["SessionStart", "PostToolUse", "Stop"] {
        let n = events.iter().filter(|(e, _)| e == name).count();
        assert_eq!(n, 1, "{name} recorded {n} times: {events:?}\n{why}");
    }
}
