//! Bad input and a bad environment: exit 0, nothing on stdout, one clear line on stderr,
//! nothing half-written — for every hook.

use rusqlite::Connection;

use crate::support::{euid, Sandbox, HOOKS};

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
