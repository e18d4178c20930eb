use std::fmt;
use std::str::FromStr;

/// Exactly one of these per tool outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// The tool did what was asked.
    Ok,
    /// The tool worked and says the work is not done (a failing test, a compile error). The
    /// agent's own edit-test loop: no guidance, no budget, until it turns into `F7`.
    Task,
    /// Tool timeout or unavailability (transient).
    F1,
    /// Schema / argument failure: the call itself was malformed.
    F2,
    /// Malformed or incomplete output.
    F3,
    /// Incorrect tool selection.
    F4,
    /// Stale or insufficient context.
    F5,
    /// Contradictory evidence.
    F6,
    /// Control-loop failure: repetition without progress.
    F7,
}

impl Class {
    pub const ALL: [Class; 9] = [
        Class::Ok,
        Class::Task,
        Class::F1,
        Class::F2,
        Class::F3,
        Class::F4,
        Class::F5,
        Class::F6,
        Class::F7,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Task => "task",
            Class::F1 => "F1",
            Class::F2 => "F2",
            Class::F3 => "F3",
            Class::F4 => "F4",
            Class::F5 => "F5",
            Class::F6 => "F6",
            Class::F7 => "F7",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::Ok => "success",
            Class::Task => "task-level failure",
            Class::F1 => "tool timeout / unavailability",
            Class::F2 => "schema / argument failure",
            Class::F3 => "malformed / incomplete output",
            Class::F4 => "incorrect tool selection",
            Class::F5 => "stale / insufficient context",
            Class::F6 => "contradictory evidence",
            Class::F7 => "control-loop failure",
        }
    }

    /// An orchestration fault, the kind selfheal recovers from (not `ok`, not `task`).
    pub fn is_fault(self) -> bool {
        !matches!(self, Class::Ok | Class::Task)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseClassError(pub String);

impl fmt::Display for ParseClassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown class '{}' (expected ok, task or F1 … F7)",
            self.0
        )
    }
}

impl std::error::Error for ParseClassError {}

impl FromStr for Class {
    type Err = ParseClassError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseClassError(s.to_owned()))
    }
}
