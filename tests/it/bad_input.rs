//! Bad input and a bad environment: exit 0, nothing on stdout, one clear line on stderr,
//! nothing half-written — for every hook.

use rusqlite::Connection;
use serde_json::{json, Value};

use crate::support::{euid, payload, Case, Ran, Sandbox, HOOKS};

const STOP: &str = r#"{"session_id":"bad-input","prompt_id":"p","cwd":"/tmp","hook_event_name":"Stop","stop_hook_active":false}"#;
const POST: &str = r#"{"session_id":"bad-input","prompt_id":"p","cwd":"/tmp","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"false"},"tool_use_id":"t1","error":"Exit code 1"}"#;

fn for_every_hook(stdin: &[u8], expect: &str) {
    let sandbox = Sandbox::new();
    for hook in HOOKS {
        let line = sandbox
            .case(hook, stdin.to_vec())
            .run()
            .assert_fail_open(hook);
        assert!(
            line.contains(expect),
            "{hook}: {line:?} should say {expect:?}"
        );
    }
    assert!(!sandbox.db().exists(), "no state written for bad input");
}

#[test]
fn empty_stdin() {
    for_every_hook(b"", "stdin was empty");
}

#[test]
fn not_json() {
    for_every_hook(b"hello, hook\n", "not JSON");
}

#[test]
fn json_of_the_wrong_shape() {
    for_every_hook(b"[1, 2, 3]", "not a hook payload");
    for_every_hook(
        br#"{"hook_event_name":"Stop"}"#,
        "missing field `session_id`",
    );
    for_every_hook(
        br#"{"session_id":42,"hook_event_name":"Stop"}"#,
        "not a hook payload",
    );
}

#[test]
fn unknown_event() {
    for_every_hook(
        br#"{"session_id":"s","hook_event_name":"TeaTime"}"#,
        "unknown hook event 'TeaTime'",
    );
}

#[test]
fn invalid_utf8() {
    for_every_hook(
        b"{\"session_id\":\"\xff\xfe\",\"hook_event_name\":\"Stop\"}",
        "not valid UTF-8",
    );
}

#[test]
fn a_hundred_megabytes_on_stdin() {
    let mut huge =
        br#"{"session_id":"s","hook_event_name":"Stop","last_assistant_message":""#.to_vec();
    huge.resize(100 * 1024 * 1024, b'x');
    huge.extend_from_slice(b"\"}");
    let sandbox = Sandbox::new();
    let line = sandbox
        .case("budget-check", huge)
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("larger than 16 MiB"), "{line}");
}

/// serde_json gives up at 128 levels, so a hostile depth is one line on stderr, not a stack
/// overflow (SIGSEGV: no fail-open, and the client sees the hook crash).
#[test]
fn deeply_nested_json() {
    const DEPTH: usize = 100_000;
    for_every_hook("[".repeat(DEPTH).as_bytes(), "recursion limit exceeded");
    for_every_hook(
        "{\"a\":".repeat(DEPTH).as_bytes(),
        "recursion limit exceeded",
    );
    // Balanced, in a field of an otherwise ordinary payload.
    let nested = POST.replace(
        r#""command":"false""#,
        &format!(
            r#""command":"false","x":{}1{}"#,
            "[".repeat(DEPTH),
            "]".repeat(DEPTH)
        ),
    );
    for_every_hook(nested.as_bytes(), "recursion limit exceeded");
}

/// Deep, but within the limit: an ordinary payload, classified and recorded as usual.
#[test]
fn nesting_within_the_limit_is_handled_normally() {
    let sandbox = Sandbox::new();
    let deep: Value =
        serde_json::from_str(&format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100))).unwrap();
    let line = payload(
        "claude",
        "deep",
        "/tmp",
        "PostToolUseFailure",
        json!({"tool_name": "Bash", "tool_input": {"command": "fd -e rs", "x": deep},
               "tool_use_id": "t1", "error": "Exit code 127\nbash: fd: command not found"}),
    );
    let ran = sandbox
        .case("failure-classifier", format!("{line}\n"))
        .run();
    let context = guidance(&ran);
    assert!(context.starts_with("selfheal F4 "), "{context}");
    let events = events(&sandbox, "deep");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["class"], "F4");
}

/// A raw NUL byte is not JSON, wherever it is.
#[test]
fn raw_nul_bytes() {
    for_every_hook(b"\0\0\0\0", "not JSON");
    for_every_hook(
        format!("{STOP}\0").as_bytes(),
        "not JSON: trailing characters",
    );
    for_every_hook(
        STOP.replace("bad-input", "bad\0input").as_bytes(),
        "not JSON: control character",
    );
}

/// Escaped (`\u0000`), a NUL is an ordinary character of a string: every hook does its usual
/// work, and what it records and reports keeps the NUL, in valid JSON.
#[test]
fn escaped_nul_bytes_are_ordinary_characters() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let p = project.display().to_string();
    let run = |hook: &str, event: &str, extra: Value| {
        let line = payload("claude", "nul", &p, event, extra);
        sandbox
            .case(hook, format!("{line}\n"))
            .env("CLAUDE_PROJECT_DIR", &p)
            .run()
    };

    run(
        "schema-guard",
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_input": {"command": "echo a\u{0}b"}, "tool_use_id": "t1"}),
    )
    .assert_silent();

    let ran = run(
        "failure-classifier",
        "PostToolUseFailure",
        json!({"tool_name": "Bash", "tool_input": {"command": "fd\u{0} -e rs"}, "tool_use_id": "t2",
               "error": "Exit code 127\nbash: fd\u{0}: command not found"}),
    );
    let context = guidance(&ran);
    assert!(
        context.starts_with("selfheal F4 tool_substitution: "),
        "{context}"
    );
    assert!(context.contains("fd\u{0}: command not found"), "{context}");

    let file = project.join("n.txt");
    std::fs::write(&file, "a\0b\n").unwrap();
    let path = file.display().to_string();
    run(
        "patch-verifier",
        "PostToolUse",
        json!({"tool_name": "Write", "tool_input": {"file_path": path, "content": "a\u{0}b\n"},
               "tool_use_id": "t3", "tool_response": {"type": "create", "filePath": path,
               "content": "a\u{0}b\n", "structuredPatch": [], "originalFile": null}}),
    )
    .assert_silent();

    // The failure recorded above, NUL and all, is why the stop is refused.
    let ran = run(
        "budget-check",
        "Stop",
        json!({"stop_hook_active": false, "last_assistant_message": "done\u{0}"}),
    );
    assert!(ran.output.stderr.is_empty(), "{}", ran.stderr());
    let out = ran.stdout_json();
    assert_eq!(out["decision"], "block", "{out}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("fd\u{0}: command not found"),
        "{out}"
    );

    let events = events(&sandbox, "nul");
    let hooks: Vec<&str> = events.iter().map(|e| e["hook"].as_str().unwrap()).collect();
    assert_eq!(
        hooks,
        ["failure-classifier", "patch-verifier", "budget-check"]
    );
    assert_eq!(events[0]["class"], "F4");
    assert_eq!(events[0]["evidence"], "bash: fd\u{0}: command not found");
    assert_eq!(events[0]["intent"], "run:fd\u{0}");
    assert!(events[1]["evidence"]
        .as_str()
        .unwrap()
        .starts_with("verified"));
}

/// One line of 15 MiB, just under the stdin cap (over it, the payload is refused whole: see
/// `a_hundred_megabytes_on_stdin`): classified and verified as usual, and what goes to the
/// client and into the store stays small.
#[test]
fn a_huge_single_line() {
    const LINE: usize = 15 * 1024 * 1024;
    let big = "x".repeat(LINE);
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let p = project.display().to_string();

    // A failing command whose output is one huge line, the error at its end.
    let line = payload(
        "claude",
        "huge",
        &p,
        "PostToolUseFailure",
        json!({"tool_name": "Bash", "tool_input": {"command": "curl http://localhost/"},
               "tool_use_id": "t1", "error": format!("Exit code 7\n{big} curl: (7) Failed to \
               connect to localhost port 80: Connection refused")}),
    );
    assert!(line.len() > LINE && line.len() < 16 * 1024 * 1024);
    let ran = sandbox
        .case("failure-classifier", format!("{line}\n"))
        .run();
    assert!(guidance(&ran).starts_with("selfheal F1 "));

    // A Codex patch adding a file of one huge line, reported as a success; Codex runs the
    // classifier and the verifier side by side on it. Landed: verified, silently.
    let patch = format!("*** Begin Patch\n*** Add File: big.txt\n+{big}\n*** End Patch\n");
    let run_patch = |hook: &str, id: &str| {
        let line = payload(
            "codex",
            "huge",
            &p,
            "PostToolUse",
            json!({"tool_name": "apply_patch", "tool_input": {"command": patch}, "tool_use_id": id,
                   "tool_response": "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. \
                   Updated the following files:\nA big.txt\n"}),
        );
        sandbox.case(hook, line).run()
    };
    std::fs::write(project.join("big.txt"), format!("{big}\n")).unwrap();
    run_patch("failure-classifier", "c1").assert_silent();
    run_patch("patch-verifier", "c1").assert_silent();
    // Not landed (the file cut short): F3, in a short message.
    std::fs::write(project.join("big.txt"), &big[..1000]).unwrap();
    run_patch("failure-classifier", "c2").assert_silent();
    let context = guidance(&run_patch("patch-verifier", "c2"));
    assert!(context.starts_with("selfheal F3 "), "{context}");
    assert!(context.contains("big.txt"), "{context}");

    let events = events(&sandbox, "huge");
    let verdicts: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["hook"].as_str().unwrap(),
                e["class"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("failure-classifier", "F1"),
            ("failure-classifier", "ok"),
            ("patch-verifier", "-"),
            ("failure-classifier", "ok"),
            ("patch-verifier", "F3"),
        ]
    );
    for e in &events {
        for field in ["evidence", "excerpt"] {
            let chars = e[field].as_str().map_or(0, |s| s.chars().count());
            assert!(chars <= 2000, "{} {field}: {chars} chars", e["hook"]);
        }
    }
}

/// What a hook said to the client: exit 0, nothing on stderr, one JSON document whose
/// additional context stays within the guidance limit.
fn guidance(ran: &Ran) -> String {
    assert_eq!(ran.code(), Some(0), "stderr: {}", ran.stderr());
    assert!(ran.output.stderr.is_empty(), "stderr: {}", ran.stderr());
    let out = ran.stdout_json();
    let text = out["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or_else(|| panic!("no additionalContext: {out}"))
        .to_owned();
    assert!(
        text.chars().count() <= 1500,
        "{} chars",
        text.chars().count()
    );
    text
}

fn events(sandbox: &Sandbox, session: &str) -> Vec<Value> {
    sandbox
        .selfheal(&["events", "--session", session, "--json"])
        .assert_success()
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bad_arguments_do_not_stop_the_hook() {
    let sandbox = Sandbox::new();
    let ran = sandbox
        .case("budget-check", STOP)
        .arg("--dialect")
        .arg("gemini")
        .run();
    let line = ran.assert_fail_open("budget-check");
    assert!(line.contains("unknown dialect 'gemini'"), "{line}");
    // It still did its work, with the detected dialect.
    let events = sandbox.selfheal(&["events", "--session", "bad-input", "--json"]);
    assert!(events
        .assert_success()
        .stdout()
        .contains(r#""client":"claude""#));
}

#[test]
fn dialect_flag_overrides_detection() {
    let sandbox = Sandbox::new();
    sandbox
        .case("budget-check", STOP)
        .arg("--dialect")
        .arg("codex")
        .run()
        .assert_silent();
    let events = sandbox.selfheal(&["events", "--session", "bad-input", "--json"]);
    assert!(events
        .assert_success()
        .stdout()
        .contains(r#""client":"codex""#));
}

#[test]
fn a_corrupt_db_is_moved_aside_and_the_event_still_recorded() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.db().parent().unwrap()).unwrap();
    std::fs::write(sandbox.db(), b"this is not a database".repeat(500)).unwrap();
    let line = sandbox
        .case("budget-check", STOP)
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("was corrupt; moved it to"), "{line}");
    let moved: Vec<_> = std::fs::read_dir(sandbox.db().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state.db.corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    let events = sandbox.selfheal(&["events", "--session", "bad-input", "--json"]);
    assert_eq!(events.assert_success().stdout().lines().count(), 1);
}

#[test]
fn a_locked_db_fails_open_and_writes_nothing() {
    let sandbox = Sandbox::new();
    // Create the DB, then hold its write lock from another connection.
    sandbox.case("budget-check", STOP).run().assert_silent();
    let holder = Connection::open(sandbox.db()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Writers wait for the lock and give up; in WAL a reader (schema-guard allowing a call)
    // is not blocked at all.
    for hook in ["failure-classifier", "budget-check"] {
        let payload = if hook == "failure-classifier" {
            POST
        } else {
            STOP
        };
        let started = std::time::Instant::now();
        let line = sandbox.case(hook, payload).run().assert_fail_open(hook);
        assert!(line.contains("locked by another process"), "{line}");
        // Nothing is committed while the lock is held: the hook sees a stuck lock and gives
        // up after BUSY_TIMEOUT, not after the cap for a lock that keeps moving.
        assert!(
            started.elapsed() < selfheal_state::BUSY_PROGRESS_TIMEOUT,
            "waited {:?}",
            started.elapsed()
        );
    }
    holder.execute_batch("ROLLBACK").unwrap();
    let events = sandbox.selfheal(&["events", "--session", "bad-input", "--json"]);
    assert_eq!(
        events.assert_success().stdout().lines().count(),
        1,
        "only the event from before the lock"
    );
}

/// A place where another user can run budget-check and reach its state: file modes do not stop
/// root, so when the suite runs as root the permission cases run the hook as `nobody`, from a
/// copy of the binary in a world-traversable directory (the checkout and /tmp may be private).
fn nobody_can_run_programs() -> bool {
    use std::os::unix::process::CommandExt;
    std::process::Command::new("/bin/sh")
        .args(["-c", "exit 0"])
        .uid(65534)
        .gid(65534)
        .status()
        .is_ok_and(|s| s.success())
}

struct Unprivileged {
    dir: std::path::PathBuf,
    uid: Option<u32>,
}

impl Unprivileged {
    /// `None`, with a line on stderr, when this machine lets no other user run programs at
    /// all (seen: a libc of mode 0700): the check would then say nothing about selfheal.
    fn new(name: &str) -> Option<Unprivileged> {
        let root = euid() == 0;
        if root && !nobody_can_run_programs() {
            eprintln!(
                "SKIPPED {name}: uid 65534 cannot run any program here (shared libraries \
                 unreadable), so file modes cannot be tested; run the suite on a normal machine"
            );
            return None;
        }
        let base = if root {
            std::path::PathBuf::from("/var/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("selfheal-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("state")).unwrap();
        chmod(&dir, 0o755);
        std::fs::copy(
            crate::support::bin("budget-check"),
            dir.join("budget-check"),
        )
        .unwrap();
        chmod(&dir.join("budget-check"), 0o755);
        Some(Unprivileged {
            dir,
            uid: root.then_some(65534),
        })
    }

    /// The precondition of every permission case: the user can reach and run the hook, and
    /// with a writable state directory the same run records.
    fn assert_it_records(&self) {
        chmod(&self.dir.join("state"), 0o777);
        let ran = self.run();
        assert!(
            ran.output.stderr.is_empty(),
            "precondition: {}",
            ran.stderr()
        );
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.join("state/state.db")
    }

    /// budget-check with `STOP` on stdin, as the unprivileged user.
    fn run(&self) -> crate::support::Ran {
        let mut command = std::process::Command::new(self.dir.join("budget-check"));
        command
            .env_clear()
            .env("SELFHEAL_DB", self.db())
            .env("HOME", &self.dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(uid) = self.uid {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(uid);
        }
        let mut child = command.spawn().expect("spawn");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(STOP.as_bytes())
            .unwrap();
        crate::support::Ran {
            output: child.wait_with_output().unwrap(),
        }
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        chmod(&self.dir.join("state"), 0o755);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_read_only_state_directory_fails_open() {
    let Some(place) = Unprivileged::new("rodir") else {
        return;
    };
    place.assert_it_records();
    std::fs::remove_file(place.db()).unwrap();
    chmod(&place.dir.join("state"), 0o555);
    let line = place.run().assert_fail_open("budget-check");
    assert!(line.contains("ermission denied"), "{line}");
    assert!(!place.db().exists());
}

#[test]
fn an_unreadable_db_fails_open() {
    let Some(place) = Unprivileged::new("unreadable") else {
        return;
    };
    place.assert_it_records();
    chmod(&place.db(), 0o000);
    let line = place.run().assert_fail_open("budget-check");
    assert!(
        line.contains("cannot be opened: Permission denied"),
        "{line}"
    );
}

#[test]
fn a_db_path_that_is_a_directory_fails_open() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.db()).unwrap();
    let line = sandbox
        .case("budget-check", STOP)
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("state database"), "{line}");
}

/// schema-guard on a Claude Bash call of `command`, in a project of the sandbox.
fn claude_bash_call(sandbox: &Sandbox, session: &str, command: &str) -> Case {
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let line = payload(
        "claude",
        session,
        &project.display().to_string(),
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_use_id": "t1", "tool_input": {"command": command}}),
    );
    sandbox.case("schema-guard", format!("{line}\n"))
}

/// A refused call that quotes a huge argument: the refusal (shown and stored) stays one
/// compact block.
#[test]
fn a_refusal_of_a_huge_call_stays_small() {
    let sandbox = Sandbox::new();
    let command = format!("vim {}", "x".repeat(4 * 1024 * 1024));
    let ran = claude_bash_call(&sandbox, "huge-refusal", &command).run();
    assert_eq!(ran.code(), Some(0), "stderr: {}", ran.stderr());
    let out = ran.stdout_json();
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
    let reason = out["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(reason.starts_with("selfheal F2 "), "{}", &reason[..80]);
    assert!(
        reason.chars().count() <= 1600,
        "{} chars",
        reason.chars().count()
    );
    let stored: i64 = Connection::open(sandbox.db())
        .unwrap()
        .query_row("SELECT max(length(evidence)) FROM events", [], |r| r.get(0))
        .unwrap();
    assert!(stored <= 1600, "{stored} chars stored");
}

/// A client that stops reading before the hook answers: the answer is lost, but the hook is
/// not killed by SIGPIPE on the way (it still exits 0), and its refusal is on record.
#[test]
fn a_reader_gone_before_the_answer_does_not_kill_the_hook() {
    let sandbox = Sandbox::new();
    let ran = claude_bash_call(&sandbox, "gone-reader", "vim a.txt")
        .stdout_closed()
        .run();
    assert_eq!(ran.code(), Some(0), "stderr: {}", ran.stderr());
    let denied: i64 = Connection::open(sandbox.db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM events WHERE session_id = 'gone-reader' AND decision = 'deny'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(denied, 1);
}
