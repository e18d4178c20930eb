//! budget-check, the circuit breaker at Stop, SubagentStop and SessionStart: every branch in
//! both dialects, through the real binaries, in real temporary projects whose success
//! criterion fails and then passes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{self, fixtures_dir, Ran, Sandbox};

const CLIENTS: [&str; 2] = ["claude", "codex"];

/// The project's success criterion: `answer.txt` must say 42.
const CHECK_SH: &str = r#"n=$(cat runs 2>/dev/null || echo 0); echo $((n + 1)) > runs
if grep -qx 42 answer.txt 2>/dev/null; then echo "1 passed"; exit 0; fi
echo "test_answer FAILED: expected 42, got '$(cat answer.txt 2>/dev/null)'"
exit 1
"#;

const CRITERIA: &str = "[verify]\ncommands = [[\"sh\", \"check.sh\"]]\ntimeout_secs = 30\n";

/// A project of one client's session, with its own state DB and HOME.
struct Project {
    sandbox: Sandbox,
    root: PathBuf,
    client: &'static str,
    session: String,
}

impl Project {
    fn new(client: &'static str, config: &str) -> Project {
        let sandbox = Sandbox::new();
        let root = sandbox.dir.join("project");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        sandbox.trusted_config(&root, config);
        std::fs::write(root.join("check.sh"), CHECK_SH).unwrap();
        Project {
            sandbox,
            root,
            client,
            session: format!("breaker-{client}"),
        }
    }

    fn claude(&self) -> bool {
        self.client == "claude"
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `hook` with a payload of `event` as this client sends it.
    fn send(&self, hook: &str, event: &str, extra: Value) -> Ran {
        let root = self.root.display().to_string();
        let mut line = support::payload(self.client, &self.session, &root, event, extra);
        if self.claude() {
            line.push('\n');
        }
        let mut case = self
            .sandbox
            .case(hook, line)
            .arg("--dialect")
            .arg(self.client);
        if self.claude() {
            case = case.env("CLAUDE_PROJECT_DIR", &root);
        }
        case.run()
    }

    fn stop(&self, stop_hook_active: bool) -> Ran {
        self.stop_with(json!({"stop_hook_active": stop_hook_active}))
    }

    fn stop_with(&self, mut extra: Value) -> Ran {
        extra["last_assistant_message"] = json!("All done.");
        if extra.get("stop_hook_active").is_none() {
            extra["stop_hook_active"] = json!(false);
        }
        self.send("budget-check", "Stop", extra)
    }

    /// A shell call's outcome, through failure-classifier, as this client reports it.
    fn shell(&self, id: &str, command: &str, output: &str, exit: i32) {
        self.shell_as(None, id, command, output, exit)
    }

    fn shell_as(&self, agent: Option<&str>, id: &str, command: &str, output: &str, exit: i32) {
        let mut extra = json!({
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": id,
        });
        if let Some(agent) = agent {
            extra["agent_id"] = json!(agent);
            extra["agent_type"] = json!("general-purpose");
        }
        let event = match (self.client, exit) {
            ("claude", 0) => {
                extra["tool_response"] = json!({"stdout": output, "stderr": "",
                    "interrupted": false, "isImage": false, "noOutputExpected": false});
                "PostToolUse"
            }
            ("claude", code) => {
                extra["error"] = json!(format!("Exit code {code}\n{output}"));
                extra["is_interrupt"] = json!(false);
                "PostToolUseFailure"
            }
            _ => {
                extra["tool_response"] = json!(output);
                "PostToolUse"
            }
        };
        let ran = self.send("failure-classifier", event, extra);
        assert_eq!(ran.code(), Some(0), "{}", ran.stderr());
        assert!(ran.stderr().is_empty(), "{}", ran.stderr());
    }

    /// The agent fixes the project: writes the answer with the client's edit tool (Claude's
    /// Write, Codex's apply_patch), recorded as the classifier sees it.
    fn fix(&self, id: &str) {
        let file = self.path("answer.txt");
        std::fs::write(&file, "42\n").unwrap();
        let extra = if self.claude() {
            json!({"tool_name": "Write", "tool_use_id": id,
                "tool_input": {"file_path": file, "content": "42\n"},
                "tool_response": {"type": "create", "filePath": file, "content": "42\n",
                    "structuredPatch": [], "originalFile": null}})
        } else {
            json!({"tool_name": "apply_patch", "tool_use_id": id,
                "tool_input": {"command": "*** Begin Patch\n*** Add File: answer.txt\n+42\n*** End Patch\n"},
                "tool_response": "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA answer.txt\n"})
        };
        let ran = self.send("failure-classifier", "PostToolUse", extra);
        assert_eq!(ran.code(), Some(0), "{}", ran.stderr());
        assert!(ran.stderr().is_empty(), "{}", ran.stderr());
    }

    fn status(&self) -> Value {
        self.sandbox
            .selfheal(&["status", "--session", &self.session, "--json"])
            .assert_success()
            .stdout_json()
    }

    fn used(&self, budget: &str) -> u64 {
        self.status()["budgets"][budget]["used"].as_u64().unwrap()
    }

    fn events(&self) -> Vec<Value> {
        self.sandbox
            .selfheal(&["events", "--session", &self.session, "--json"])
            .assert_success()
            .stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.sandbox.db()).unwrap()
    }

    /// The escalations recorded: (reason, summary).
    fn escalations(&self) -> Vec<(String, String)> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT reason, coalesce(summary, '') FROM escalations ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn criteria_runs(&self) -> u32 {
        std::fs::read_to_string(self.path("runs")).map_or(0, |s| s.trim().parse().unwrap())
    }
}

/// The hook's decision, checked to be valid for the client: nothing on stderr, and for Codex
/// no field outside its output schema for the event (it rejects the whole output otherwise).
fn decision(ran: &Ran, client: &str, event: &str) -> Option<Value> {
    assert_eq!(ran.code(), Some(0), "stderr: {}", ran.stderr());
    assert!(ran.stderr().is_empty(), "stderr: {}", ran.stderr());
    if ran.output.stdout.is_empty() {
        return None;
    }
    let out = ran.stdout_json();
    if client == "codex" {
        let schema = match event {
            "Stop" => "stop",
            "SubagentStop" => "subagent-stop",
            "SessionStart" => "session-start",
            other => panic!("{other}"),
        };
        let path =
            fixtures_dir().join(format!("codex/schemas/{schema}.command.output.schema.json"));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for key in out.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "Codex rejects `{key}` at {event}: {out}"
            );
        }
    } else if let Some(name) = out.pointer("/hookSpecificOutput/hookEventName") {
        assert_eq!(name, event);
    }
    Some(out)
}

fn refusal(ran: &Ran, client: &str) -> String {
    let out = decision(ran, client, "Stop").expect("the stop is refused");
    assert_eq!(out["decision"], "block", "{out}");
    assert_eq!(out.as_object().unwrap().len(), 2, "{out}");
    out["reason"].as_str().unwrap().to_owned()
}

fn allowed_silently(ran: &Ran, client: &str) {
    assert_eq!(decision(ran, client, "Stop"), None);
}

/// A stop let through with an account for the user (and no halt).
fn allowed_with_account(ran: &Ran, client: &str) -> String {
    let out = decision(ran, client, "Stop").expect("an account for the user");
    assert!(out.get("decision").is_none(), "{out}");
    assert!(out.get("continue").is_none(), "{out}");
    out["systemMessage"].as_str().unwrap().to_owned()
}

#[test]
fn a_failing_criterion_refuses_the_stop_until_it_passes() {
    for client in CLIENTS {
        let p = Project::new(client, CRITERIA);
        let reason = refusal(&p.stop(false), client);
        assert!(
            reason.starts_with("selfheal: not done yet"),
            "{client}: {reason}"
        );
        assert!(
            reason.contains("`sh check.sh` — FAILED (exit 1)"),
            "{reason}"
        );
        assert!(
            reason.contains("test_answer FAILED: expected 42, got ''"),
            "the output is quoted: {reason}"
        );
        assert!(reason.contains("Next: "), "{reason}");
        assert!(
            reason.contains(&format!("run from {}", p.root.display())),
            "{reason}"
        );
        assert_eq!(p.used("replans"), 1, "{client}: a refusal spends b_p");

        p.fix("fix-1");
        allowed_silently(&p.stop(true), client);
        assert_eq!(p.used("replans"), 1);
        assert!(p.escalations().is_empty());
        assert_eq!(p.criteria_runs(), 2);

        let stops: Vec<(String, String)> = p
            .events()
            .iter()
            .filter(|e| e["hook_event_name"] == "Stop")
            .map(|e| {
                (
                    e["decision"].as_str().unwrap().to_owned(),
                    e["action"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            stops,
            [
                ("block".into(), "replan".into()),
                ("none".into(), "-".into())
            ]
        );
    }
}

#[test]
fn criteria_that_passed_are_not_run_again_until_something_changes() {
    for client in CLIENTS {
        let p = Project::new(client, CRITERIA);
        std::fs::write(p.path("answer.txt"), "42\n").unwrap();
        allowed_silently(&p.stop(false), client);
        assert_eq!(p.criteria_runs(), 1);
        // A read-only call changes nothing.
        p.shell("r1", "ls", "answer.txt\ncheck.sh\n", 0);
        allowed_silently(&p.stop(false), client);
        assert_eq!(
            p.criteria_runs(),
            1,
            "{client}: still passing, not run again"
        );
        // A write might have: run again, and now it fails.
        std::fs::write(p.path("answer.txt"), "41\n").unwrap();
        p.shell("w1", "printf '41\\n' > answer.txt", "", 0);
        let reason = refusal(&p.stop(false), client);
        assert!(reason.contains("got '41'"), "{reason}");
        assert_eq!(p.criteria_runs(), 2);
    }
}

#[test]
fn an_unresolved_failure_refuses_the_stop_until_the_same_intent_succeeds() {
    let curl = "curl -sS http://127.0.0.1:9/health";
    let refused = "curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection refused";
    for client in CLIENTS {
        let p = Project::new(client, "");
        p.shell("c1", curl, refused, 7);
        // The agent's normal edit-test loop is no failure of this kind: `task` does not block.
        p.shell(
            "t1",
            "python3 -m pytest -q",
            "F.\n=== FAILURES ===\nE   assert 1 == 2\n=== 1 failed, 1 passed in 0.01s ===",
            1,
        );
        let reason = refusal(&p.stop(false), client);
        assert!(
            reason.contains("Unresolved failures (no later success of the same command or file):"),
            "{client}: {reason}"
        );
        assert!(
            reason.contains("- F1 tool timeout / unavailability — Bash `curl`"),
            "{client}: {reason}"
        );
        assert!(reason.contains("Connection refused"), "{reason}");
        assert!(!reason.contains("pytest"), "{reason}");
        assert!(
            !reason.contains("Success criteria"),
            "none configured: {reason}"
        );

        // The same command, answering now.
        p.shell("c2", curl, "{\"status\":\"ok\"}", 0);
        allowed_silently(&p.stop(true), client);
    }
}

#[test]
fn an_argument_error_is_resolved_by_the_repaired_call() {
    for client in CLIENTS {
        let p = Project::new(client, "");
        p.shell(
            "g1",
            "git log --oneline --frobnicate",
            "error: unknown option `frobnicate'\nusage: git log [<options>]",
            129,
        );
        let reason = refusal(&p.stop(false), client);
        assert!(reason.contains("F2"), "{client}: {reason}");
        assert!(reason.contains("`git log`"), "{reason}");
        // Argument repair: the same program and subcommand, other arguments.
        p.shell("g2", "git log --oneline -3", "abc123 first\n", 0);
        allowed_silently(&p.stop(true), client);
    }
}

#[test]
fn no_progress_since_the_last_refusal_lets_the_stop_through_and_tells_a_person() {
    for client in CLIENTS {
        let p = Project::new(
            client,
            &format!("{CRITERIA}[budget]\nreplans = 50\n[stop]\nmax_refusals = 10\n"),
        );
        refusal(&p.stop(false), client);
        // The agent answered without doing anything: the same check result, no successful call.
        let message = allowed_with_account(&p.stop(true), client);
        assert!(
            message.contains("nothing changed since the last refused stop"),
            "{client}: {message}"
        );
        assert!(message.contains("`sh check.sh` exit 1"), "{message}");
        assert!(message.contains("Escalated (record #1)"), "{message}");
        assert!(message.contains("b_p 1/50"), "{message}");
        assert_eq!(p.used("replans"), 1);
        let escalations = p.escalations();
        assert_eq!(escalations.len(), 1);
        assert_eq!(escalations[0].0, "no_progress");
        assert!(
            escalations[0].1.contains("test_answer FAILED"),
            "{escalations:?}"
        );
    }
}

/// Codex has no cap of its own: a Stop hook that always refuses ran ~550 model requests a
/// minute. The agent here keeps making "progress" (a successful call between stops) and never
/// meets the goal; budget-check alone ends the loop.
#[test]
fn the_repeated_stop_loop_is_bounded_by_budget_check_alone() {
    let limits = [
        // The refusal cap binds, whatever replans are left …
        ("[budget]\nreplans = 100\n[stop]\nmax_refusals = 3\n", 3),
        // … or the replan budget does.
        ("[budget]\nreplans = 2\n[stop]\nmax_refusals = 10\n", 2),
    ];
    for (client, (config, cap)) in CLIENTS
        .into_iter()
        .flat_map(|c| limits.into_iter().map(move |l| (c, l)))
    {
        let p = Project::new(client, &format!("{CRITERIA}{config}"));
        let mut refused = 0;
        let mut accounts = Vec::new();
        for i in 0..12 {
            let ran = p.stop(i > 0);
            match decision(&ran, client, "Stop") {
                Some(out) if out["decision"] == "block" => refused += 1,
                Some(out) => accounts.push(out["systemMessage"].as_str().unwrap().to_owned()),
                None => panic!("{client}: stop {i} let through silently"),
            }
            p.shell(&format!("ls-{i}"), "ls", "check.sh\n", 0);
        }
        assert_eq!(refused, cap, "{client}: {accounts:?}");
        assert_eq!(accounts.len(), 12 - cap);
        let reason = if cap == 3 {
            "the stop was already refused 3 time(s), the most allowed ([stop] max_refusals)"
        } else {
            "the replan budget (b_p) is spent"
        };
        assert!(accounts[0].contains(reason), "{client}: {}", accounts[0]);
        assert!(
            accounts[0].contains("Escalated (record #1)"),
            "{}",
            accounts[0]
        );
        assert!(
            accounts[1..]
                .iter()
                .all(|a| a.contains("Already escalated for this reason.")),
            "one escalation per reason: {accounts:?}"
        );
        assert_eq!(p.escalations().len(), 1);
        assert_eq!(p.used("replans"), cap as u64);
    }
}

#[test]
fn a_spent_replan_budget_escalates_with_the_record_on_stdin() {
    for client in CLIENTS {
        let sink = Sandbox::new();
        let record = sink.dir.join("record.json");
        let config = format!(
            "{CRITERIA}[budget]\nreplans = 1\n[escalate]\ncommand = [\"sh\", \"-c\", \"cat > '{}'\"]\n",
            record.display()
        );
        let p = Project::new(client, &config);
        p.shell(
            "c1",
            "curl -sS http://127.0.0.1:9/",
            "curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused",
            7,
        );
        refusal(&p.stop(false), client);
        p.shell("ls-1", "ls", "check.sh\n", 0);
        let message = allowed_with_account(&p.stop(true), client);
        assert!(message.starts_with("selfheal: the session stopped with its goal unmet — the replan budget (b_p) is spent."), "{message}");
        assert!(
            message.contains("1 success criterion failing (`sh check.sh` exit 1)"),
            "{message}"
        );
        assert!(
            message.contains("1 unresolved failure(s): F1 Bash `curl`"),
            "{message}"
        );
        assert!(
            message.contains("the record was sent to `sh -c"),
            "{message}"
        );

        let record = wait_for_json(&record);
        assert_eq!(record["kind"], "selfheal.escalation");
        assert_eq!(record["client"], client);
        assert_eq!(record["session_id"], p.session);
        assert_eq!(record["reason"], "replans_spent");
        assert_eq!(record["halted"], false);
        assert_eq!(record["event"], "Stop");
        assert_eq!(record["budget"]["replans"]["used"], 1);
        assert_eq!(record["budget"]["replans"]["limit"], 1);
        assert_eq!(
            record["success_criteria"][0]["command"],
            json!(["sh", "check.sh"])
        );
        assert_eq!(record["success_criteria"][0]["passed"], false);
        assert!(record["success_criteria"][0]["output"]
            .as_str()
            .unwrap()
            .contains("test_answer FAILED"));
        assert_eq!(record["unresolved_failures"][0]["class"], "F1");
        assert_eq!(record["unresolved_failure_count"], 1);
        assert_eq!(record["unresolved_failure_count_exact"], true);
        assert_eq!(record["project_root"], p.root.display().to_string());
        assert_eq!(p.status()["escalations"], 1);
    }
}

/// The Stop reads a failing session's failures up to a limit (20), newest first: past it the
/// account and the record say "at least", not a count that looks exact.
#[test]
fn failures_past_the_search_limit_are_counted_as_at_least() {
    let sink = Sandbox::new();
    let record = sink.dir.join("record.json");
    let config = format!(
        "[budget]\nreplans = 0\n[escalate]\ncommand = [\"sh\", \"-c\", \"cat > '{}'\"]\n",
        record.display()
    );
    let p = Project::new("claude", &config);
    for i in 0..21 {
        p.shell(
            &format!("c{i}"),
            "curl -sS http://127.0.0.1:9/",
            "curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused",
            7,
        );
    }
    let message = allowed_with_account(&p.stop(false), "claude");
    assert!(
        message.contains("At least 20 unresolved failure(s): F1 Bash `curl`"),
        "{message}"
    );
    let record = wait_for_json(&record);
    assert_eq!(record["unresolved_failure_count"], 20);
    assert_eq!(record["unresolved_failure_count_exact"], false);
}

#[test]
fn a_hanging_escalate_command_does_not_delay_the_stop_and_is_killed() {
    let sink = Sandbox::new();
    let (pid_file, record) = (sink.dir.join("esc.pid"), sink.dir.join("record.json"));
    let config = format!(
        "{CRITERIA}[budget]\nreplans = 0\n[escalate]\ncommand = [\"sh\", \"-c\", \"echo $$ > '{}'; cat > '{}'; sleep 60\"]\ntimeout_secs = 1\n",
        pid_file.display(),
        record.display()
    );
    for client in CLIENTS {
        let _ = std::fs::remove_file(&pid_file);
        let _ = std::fs::remove_file(&record);
        let p = Project::new(client, &config);
        let started = Instant::now();
        let ran = p.stop(false);
        let took = started.elapsed();
        let message = allowed_with_account(&ran, client);
        assert!(
            message.contains("the replan budget (b_p) is spent"),
            "{message}"
        );
        // The run returns once the hook's stdout and stderr close: nothing of the escalation
        // kept them open, and the 60 s command did not hold the stop.
        assert!(
            took < Duration::from_secs(3),
            "{client}: the stop took {took:?}"
        );
        assert_eq!(wait_for_json(&record)["reason"], "replans_spent");
        let pid: u32 = wait_for(&pid_file).trim().parse().unwrap();
        // Killed, with its group, once [escalate] timeout_secs passed.
        let limit = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{client}: the escalate command still runs"
        );
    }
}

#[test]
fn a_missing_escalate_program_is_said_and_does_not_block() {
    for client in CLIENTS {
        missing_escalate_program(client);
    }
}

fn missing_escalate_program(client: &'static str) {
    let p = Project::new(
        client,
        &format!("{CRITERIA}[budget]\nreplans = 0\n[escalate]\ncommand = \"selfheal-no-such-notifier --now\"\n"),
    );
    let ran = p.stop(false);
    assert_eq!(ran.code(), Some(0));
    let out = ran.stdout_json();
    let message = out["systemMessage"].as_str().unwrap();
    assert!(
        message.contains("Escalated (record #1); `selfheal-no-such-notifier --now` could not be started: `selfheal-no-such-notifier` is not an executable file on PATH."),
        "{message}"
    );
    assert_eq!(
        ran.stderr().trim(),
        "budget-check: [escalate] command did not start: `selfheal-no-such-notifier` is not an executable file on PATH"
    );
    assert_eq!(p.escalations().len(), 1, "recorded all the same");
}

/// A Claude transcript line: one content block of an assistant message, with its usage.
fn claude_line(id: &str, input: u64, cache_read: u64, output: u64) -> String {
    json!({"type": "assistant", "uuid": format!("u-{id}-{output}"), "sessionId": "s",
        "message": {"id": id, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
            "content": [{"type": "text", "text": "…"}],
            "usage": {"input_tokens": input, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": cache_read, "output_tokens": output}}})
    .to_string()
        + "\n"
}

/// A Codex rollout `token_count` record: the session's running total.
fn codex_line(total: u64) -> String {
    json!({"timestamp": "2026-11-21T19:51:29.724Z", "type": "event_msg",
        "payload": {"type": "token_count", "info": {
            "total_token_usage": {"input_tokens": total - 100, "cached_input_tokens": 0,
                "output_tokens": 100, "reasoning_output_tokens": 0, "total_tokens": total},
            "last_token_usage": {"input_tokens": 10, "cached_input_tokens": 0,
                "output_tokens": 1, "reasoning_output_tokens": 0, "total_tokens": 11},
            "model_context_window": 272000}, "rate_limits": null}})
    .to_string()
        + "\n"
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn tokens_are_read_from_the_transcript_incrementally() {
    for client in CLIENTS {
        let p = Project::new(client, "");
        let transcript = p.sandbox.dir.join("transcript.jsonl");
        let filler =
            json!({"type": "user", "message": {"role": "user", "content": "x".repeat(100_000)}})
                .to_string()
                + "\n";
        append(&transcript, &filler);
        let expected_first = if p.claude() {
            // Two lines of one message (counted once, at the larger usage), then another.
            append(&transcript, &claude_line("msg_1", 1000, 500, 10));
            append(&transcript, &claude_line("msg_1", 1000, 500, 40));
            append(&transcript, &claude_line("msg_2", 2000, 0, 60));
            1540 + 2060
        } else {
            append(&transcript, &codex_line(1500));
            append(&transcript, &codex_line(3600));
            3600
        };
        let stop = || p.stop_with(json!({"transcript_path": transcript.display().to_string()}));
        allowed_silently(&stop(), client);
        assert_eq!(p.used("cost_tokens"), expected_first, "{client}");
        let offset: i64 = p
            .db()
            .query_row("SELECT byte_offset FROM transcripts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(offset as u64, std::fs::metadata(&transcript).unwrap().len());

        // More of the same message, a new one, and a line still being written.
        let expected = if p.claude() {
            append(&transcript, &claude_line("msg_2", 2000, 0, 90));
            append(&transcript, &claude_line("msg_3", 300, 0, 5));
            expected_first + 30 + 305
        } else {
            append(&transcript, &codex_line(5000));
            5000
        };
        append(&transcript, "{\"type\":\"assist");
        allowed_silently(&stop(), client);
        assert_eq!(
            p.used("cost_tokens"),
            expected,
            "{client}: counted from the offset, nothing twice"
        );
    }
}

#[test]
fn a_spent_token_or_time_budget_halts_the_session() {
    for client in CLIENTS {
        let p = Project::new(client, &format!("{CRITERIA}[budget]\ncost_tokens = 1000\n"));
        let transcript = p.sandbox.dir.join("transcript.jsonl");
        if p.claude() {
            append(&transcript, &claude_line("msg_1", 1200, 0, 300));
        } else {
            append(&transcript, &codex_line(1500));
        }
        let ran = p.stop_with(json!({"transcript_path": transcript.display().to_string()}));
        let out = decision(&ran, client, "Stop").unwrap();
        assert_eq!(out["continue"], false, "{out}");
        assert_eq!(
            out["stopReason"],
            "selfheal: session halted — the token (b_k) budget is spent."
        );
        let message = out["systemMessage"].as_str().unwrap();
        assert!(message.contains("b_k 1500/1000"), "{message}");
        assert!(message.contains("Escalated (record #1)"), "{message}");
        assert_eq!(p.escalations()[0].0, "cost_tokens_spent");
        assert_eq!(p.used("replans"), 0, "no corrective retry past the budget");
        let stop = p.events().into_iter().last().unwrap();
        assert_eq!(
            (stop["decision"].as_str(), stop["action"].as_str()),
            (Some("halt"), Some("escalate"))
        );
    }
    // b_l: wall-clock since the session started.
    let p = Project::new("codex", &format!("{CRITERIA}[budget]\nlatency_secs = 0\n"));
    let out = decision(&p.stop(false), "codex", "Stop").unwrap();
    assert_eq!(out["continue"], false, "{out}");
    assert!(out["stopReason"]
        .as_str()
        .unwrap()
        .contains("the time (b_l) budget is spent"));
    assert_eq!(p.escalations()[0].0, "latency_secs_spent");
}

#[test]
fn with_the_goal_met_a_spent_budget_does_not_hold_the_stop() {
    let p = Project::new(
        "claude",
        &format!("{CRITERIA}[budget]\nlatency_secs = 0\nreplans = 0\n"),
    );
    std::fs::write(p.path("answer.txt"), "42\n").unwrap();
    allowed_silently(&p.stop(false), "claude");
    assert!(p.escalations().is_empty());
}

#[test]
fn a_subagent_stop_checks_the_subagents_own_failures_not_the_criteria() {
    let refused = "curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused";
    for client in CLIENTS {
        let p = Project::new(client, CRITERIA);
        p.shell_as(
            Some("agent-a"),
            "a1",
            "curl -sS http://127.0.0.1:9/",
            refused,
            7,
        );
        let sub = |agent: &str| {
            let mut extra = json!({"agent_id": agent, "agent_type": "general-purpose",
                "stop_hook_active": false, "last_assistant_message": "child done"});
            extra["agent_transcript_path"] = json!(p
                .sandbox
                .dir
                .join(format!("{agent}.jsonl"))
                .display()
                .to_string());
            p.send("budget-check", "SubagentStop", extra)
        };
        let out = decision(&sub("agent-a"), client, "SubagentStop").unwrap();
        assert_eq!(out["decision"], "block", "{out}");
        let reason = out["reason"].as_str().unwrap();
        assert!(
            reason.contains("this sub-agent's work fails its goal check"),
            "{reason}"
        );
        assert!(reason.contains("F1"), "{reason}");
        assert!(
            !reason.contains("check.sh"),
            "criteria are checked at Stop: {reason}"
        );
        assert_eq!(p.criteria_runs(), 0);
        // Another sub-agent has no failure of its own.
        assert_eq!(decision(&sub("agent-b"), client, "SubagentStop"), None);
        // The main agent answers for the whole session: the criterion and the failure.
        let reason = refusal(&p.stop(false), client);
        assert!(reason.contains("sh check.sh"), "{reason}");
        assert!(reason.contains("F1"), "{reason}");
    }
}

#[test]
fn session_start_records_the_start_and_summarises_when_asked() {
    for client in CLIENTS {
        let p = Project::new(client, CRITERIA);
        let ran = p.send("budget-check", "SessionStart", json!({"source": "startup"}));
        assert_eq!(
            decision(&ran, client, "SessionStart"),
            None,
            "off by default"
        );
        assert!(p.used("latency_secs") < 60);
        // b_l counts from that start: three hours later the two hours are spent.
        p.db()
            .execute(
                "UPDATE sessions SET started_at = started_at - 3 * 3600 * 1000",
                [],
            )
            .unwrap();
        assert!(p.used("latency_secs") >= 3 * 3600);
        let out = decision(&p.stop(false), client, "Stop").unwrap();
        assert_eq!(out["continue"], false, "{out}");
        assert!(
            out["systemMessage"].as_str().unwrap().contains("b_l 3h/2h"),
            "{out}"
        );

        let p = Project::new(
            client,
            &format!("{CRITERIA}[session_start]\nsummary = true\n[budget]\nreplans = 2\n"),
        );
        let ran = p.send("budget-check", "SessionStart", json!({"source": "startup"}));
        let out = decision(&ran, client, "SessionStart").unwrap();
        assert_eq!(out["hookSpecificOutput"]["hookEventName"], "SessionStart");
        let text = out["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .unwrap();
        assert!(
            text.starts_with(
                "selfheal: this session runs on a recovery budget of 6 retries, 2 replans"
            ),
            "{text}"
        );
        assert!(text.contains("`sh check.sh`"), "{text}");
        assert!(text.contains("at most 4 times"), "{text}");
        assert!(!text.contains('\n'), "one paragraph: {text}");
        let events = p.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["decision"], "context");
    }
}

fn wait_for(path: &Path) -> String {
    let limit = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.is_empty() {
                return text;
            }
        }
        assert!(Instant::now() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_json(path: &Path) -> Value {
    let limit = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(v) = serde_json::from_str::<Value>(&wait_for(path)) {
            return v;
        }
        assert!(Instant::now() < limit, "{} is not JSON", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}
