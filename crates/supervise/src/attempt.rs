//! What an attempt came to, and its failure mode.

use std::path::PathBuf;
use std::time::Duration;

/// Which part of the run an attempt belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The task itself (the first attempt, retries and corrective attempts).
    Main,
    /// Asking the agent for subtasks (scope reduction).
    Plan,
    /// Subtask `i` (1-based) of `n`.
    Part { i: usize, n: usize },
}

impl Phase {
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Plan => "plan",
            Phase::Part { .. } => "subtask",
        }
    }
}

/// One run of the client, as the process layer saw it.
#[derive(Clone, Debug, Default)]
pub struct ClientRun {
    pub session_id: Option<String>,
    /// The client's pid, which is also its process group id.
    pub pid: Option<u32>,
    pub exit_code: Option<i32>,
    /// The client could not be started.
    pub spawn_error: Option<String>,
    /// Silent for `--silence` seconds: the group was killed.
    pub stalled: bool,
    /// No process of the group was left when the attempt ended.
    pub group_gone: bool,
    pub duration: Duration,
    /// The attempt's log file (stdout and stderr of the client).
    pub log: PathBuf,
    /// The log's last lines.
    pub log_tail: String,
    /// What the agent said, in order.
    pub messages: Vec<String>,
    /// The tool calls the agent made (`Bash: cargo test`), in order.
    pub actions: Vec<String>,
    /// Errors the client reported about the session itself (API errors, failed turns).
    pub errors: Vec<String>,
}

impl ClientRun {
    /// What the attempt produced, for comparing attempts: its messages and actions.
    pub fn signature(&self) -> String {
        let mut out = String::new();
        for a in &self.actions {
            out.push_str(a);
            out.push('\n');
        }
        for m in &self.messages {
            out.push_str(m);
            out.push('\n');
        }
        out
    }

    pub fn last_message(&self) -> Option<&str> {
        self.messages.last().map(String::as_str)
    }
}

/// One success criterion (`--verify`) and its result.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    pub command: String,
    pub passed: bool,
    /// `exit 1`, `timed out after 300 s`, …
    pub result: String,
    /// Trimmed and redacted.
    pub output: String,
}

/// A failure of the session that no later call resolved (from the state DB).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub class: String,
    /// What the call was about: a file, a program, a tool.
    pub what: String,
    pub evidence: String,
}

/// What the state DB knows about a session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DbFacts {
    /// The newest unresolved failures, at most the number looked at.
    pub unresolved: Vec<Failure>,
    /// There are more than `unresolved` holds.
    pub unresolved_more: bool,
    /// The session's last errors and recovery actions, one line each, oldest first.
    pub recent: Vec<String>,
}

/// How an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No output for `--silence` seconds; killed.
    Stalled,
    /// The model API refused for a passing reason: rate limit, overloaded, 5xx.
    Transient,
    /// It ended, but the goal is not met: a criterion failed, a failure is unresolved, or the
    /// client exited non-zero.
    Unverified,
    /// The client could not be started.
    ClientError,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Stalled => "stalled",
            Mode::Transient => "transient",
            Mode::Unverified => "unverified",
            Mode::ClientError => "client_error",
        }
    }
}

/// The failure mode known from the run alone, before any goal check: `None` means the goal
/// check decides.
pub fn early_mode(run: &ClientRun) -> Option<Mode> {
    if run.spawn_error.is_some() {
        return Some(Mode::ClientError);
    }
    if run.stalled {
        return Some(Mode::Stalled);
    }
    let failed = run.exit_code != Some(0) || !run.errors.is_empty();
    if failed {
        let mut texts: Vec<&str> = run.errors.iter().map(String::as_str).collect();
        if texts.is_empty() {
            texts.push(&run.log_tail);
        }
        if texts.iter().any(|t| is_transient(t)) {
            return Some(Mode::Transient);
        }
    }
    None
}

/// Whether an error text from the client names a transient API failure: a rate limit, an
/// overloaded service, an HTTP 5xx.
pub fn is_transient(text: &str) -> bool {
    let lower = text.to_lowercase();
    const PHRASES: [&str; 13] = [
        "rate limit",
        "rate_limit",
        "ratelimit",
        "too many requests",
        "overloaded",
        "internal server error",
        "bad gateway",
        "service unavailable",
        "gateway timeout",
        "temporarily unavailable",
        "server_error",
        "server error",
        "try again later",
    ];
    if PHRASES.iter().any(|p| lower.contains(p)) {
        return true;
    }
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "429" | "500" | "502" | "503" | "504" | "529"))
}

/// The goal check: every criterion passed, no failure is unresolved, the client exited 0
/// without an error.
pub fn goal_met(run: &ClientRun, criteria: &[Criterion], facts: &DbFacts) -> bool {
    run.exit_code == Some(0)
        && run.errors.is_empty()
        && criteria.iter().all(|c| c.passed)
        && facts.unresolved.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exit: Option<i32>, errors: &[&str]) -> ClientRun {
        ClientRun {
            exit_code: exit,
            errors: errors.iter().map(|s| s.to_string()).collect(),
            ..ClientRun::default()
        }
    }

    #[test]
    fn transient_api_failures_are_recognised() {
        for t in [
            "API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"}}",
            "unexpected status 503 Service Unavailable",
            "Overloaded",
            "exceeded retry limit, last status: 529",
            "stream error: 502 Bad Gateway",
            "Rate limit reached for gpt-5.5",
        ] {
            assert!(is_transient(t), "{t}");
        }
        for t in [
            "API Error: 400 invalid_request_error: prompt is too long",
            "error: test failed at line 4290",
            "401 Unauthorized",
        ] {
            assert!(!is_transient(t), "{t}");
        }
    }

    #[test]
    fn modes_from_the_run() {
        assert_eq!(
            early_mode(&ClientRun {
                stalled: true,
                ..ClientRun::default()
            }),
            Some(Mode::Stalled)
        );
        assert_eq!(
            early_mode(&run(Some(1), &["API Error: 529 overloaded_error"])),
            Some(Mode::Transient)
        );
        // The same words from a successful run (the agent talking about rate limits) are not
        // a failure of the run.
        let mut ok = run(Some(0), &[]);
        ok.messages
            .push("I added rate limit handling (HTTP 429).".into());
        assert_eq!(early_mode(&ok), None);
        assert_eq!(early_mode(&run(Some(1), &["boom"])), None);
        let mut tail = run(Some(1), &[]);
        tail.log_tail = "[stderr] Error: 503 Service Unavailable".into();
        assert_eq!(early_mode(&tail), Some(Mode::Transient));
        assert_eq!(
            early_mode(&ClientRun {
                spawn_error: Some("no such file".into()),
                ..ClientRun::default()
            }),
            Some(Mode::ClientError)
        );
    }

    #[test]
    fn exit_zero_alone_is_not_the_goal() {
        let ok = run(Some(0), &[]);
        let failing = Criterion {
            command: "make check".into(),
            passed: false,
            result: "exit 2".into(),
            output: "FAIL".into(),
        };
        assert!(goal_met(&ok, &[], &DbFacts::default()));
        assert!(!goal_met(&ok, &[failing], &DbFacts::default()));
        let facts = DbFacts {
            unresolved: vec![Failure {
                class: "F1".into(),
                what: "curl".into(),
                evidence: "connection refused".into(),
            }],
            recent: vec![],
            ..DbFacts::default()
        };
        assert!(!goal_met(&ok, &[], &facts));
        assert!(!goal_met(&run(Some(1), &[]), &[], &DbFacts::default()));
        assert!(!goal_met(
            &run(Some(0), &["API Error"]),
            &[],
            &DbFacts::default()
        ));
    }
}
