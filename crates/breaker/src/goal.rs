//! The goal check at Stop: the success criteria (`[verify] commands`, each run without a
//! shell from the project root, all within `[verify] timeout_secs`) and the session's
//! unresolved failures.

use std::path::Path;
use std::time::{Duration, Instant};

use selfheal_run::Outcome;
use selfheal_state::Unresolved;
use sha2::{Digest, Sha256};

/// One success criterion and how it came out.
#[derive(Debug, Clone)]
pub struct Check {
    pub argv: Vec<String>,
    pub outcome: Outcome,
    /// The time it was given.
    pub timeout: Duration,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.outcome.success()
    }

    /// `cargo test --quiet`, `sh -c 'make check'`
    pub fn command(&self) -> String {
        shown(&self.argv)
    }

    pub fn result(&self) -> String {
        self.outcome.describe(self.timeout)
    }
}

/// A command line as a person would type it: words with spaces or shell characters quoted.
pub fn shown(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the success criteria say.
#[derive(Debug, Clone)]
pub enum Criteria {
    /// None configured, or not checked at this event (SubagentStop).
    None,
    /// They passed before and nothing that could change the project ran since.
    StillPassing,
    Ran(Vec<Check>),
}

impl Criteria {
    pub fn failing(&self) -> Vec<&Check> {
        match self {
            Criteria::Ran(checks) => checks.iter().filter(|c| !c.passed()).collect(),
            _ => Vec::new(),
        }
    }

    /// Ran now and every one passed.
    pub fn passed_now(&self) -> bool {
        matches!(self, Criteria::Ran(checks) if checks.iter().all(Check::passed))
    }
}

/// Runs every criterion in `root`, one after the other, all within `total`: a command gets
/// what is left of it, and once it is used up the rest count as failed without running.
pub fn run(commands: &[Vec<String>], root: &Path, total: Duration) -> Vec<Check> {
    let deadline = Instant::now() + total;
    commands
        .iter()
        .map(|argv| {
            let left = deadline.saturating_duration_since(Instant::now());
            let outcome = if left.is_zero() {
                Outcome {
                    status: None,
                    output: String::new(),
                    timed_out: true,
                    spawn_error: None,
                }
            } else {
                selfheal_run::run(argv, root, None, left)
            };
            Check {
                argv: argv.clone(),
                outcome,
                timeout: left,
            }
        })
        .collect()
}

/// The goal check as a whole.
pub struct Goal<'a> {
    pub criteria: &'a Criteria,
    pub failures: &'a Unresolved,
}

impl Goal<'_> {
    pub fn met(&self) -> bool {
        self.failures.ids.is_empty() && self.criteria.failing().is_empty()
    }

    /// A hash of what the check found: the same unresolved failures and the same criteria
    /// results (exit status and output, digits left out so that timings do not count as
    /// change). Equal fingerprints across two stops = no change in between.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for id in &self.failures.ids {
            h.update(id.to_le_bytes());
        }
        h.update([0xff]);
        if let Criteria::Ran(checks) = self.criteria {
            for c in checks {
                h.update(c.command().as_bytes());
                h.update([0]);
                h.update(format!("{:?}/{}", c.outcome.status, c.outcome.timed_out).as_bytes());
                h.update([0]);
                let shape: String = c
                    .outcome
                    .output
                    .chars()
                    .filter(|ch| !ch.is_ascii_digit())
                    .collect();
                h.update(shape.as_bytes());
                h.update([0]);
            }
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn criteria_share_one_deadline() {
        let checks = run(
            &[
                argv(&["sh", "-c", "echo ok"]),
                argv(&["sh", "-c", "sleep 5"]),
                argv(&["true"]),
            ],
            Path::new("/"),
            Duration::from_millis(400),
        );
        assert!(checks[0].passed());
        assert!(checks[1].outcome.timed_out);
        assert!(!checks[2].passed(), "no time left: counted as failed");
        let criteria = Criteria::Ran(checks);
        assert_eq!(criteria.failing().len(), 2);
        assert!(!criteria.passed_now());
    }

    #[test]
    fn commands_are_shown_quoted() {
        assert_eq!(
            shown(&argv(&["sh", "-c", "make check", "it's", ""])),
            "sh -c 'make check' 'it'\\''s' ''"
        );
    }

    #[test]
    fn the_fingerprint_ignores_timings() {
        let make = |out: &str| {
            Criteria::Ran(vec![Check {
                argv: argv(&["t"]),
                outcome: Outcome {
                    status: Some(1),
                    output: out.into(),
                    timed_out: false,
                    spawn_error: None,
                },
                timeout: Duration::from_secs(1),
            }])
        };
        let (a, b, c) = (
            make("1 failed in 0.12s"),
            make("1 failed in 0.31s"),
            make("2 failed, test_y"),
        );
        let fp = |c: &Criteria| {
            Goal {
                criteria: c,
                failures: &Unresolved::default(),
            }
            .fingerprint()
        };
        assert_eq!(fp(&a), fp(&b));
        assert_ne!(fp(&a), fp(&c));
    }
}
