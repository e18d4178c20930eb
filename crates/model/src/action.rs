use std::fmt;
use std::str::FromStr;

use crate::budget::Budget;

/// Recovery actions, declared cheapest first: the derived order is the cost order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// The same call again, after a wait.
    Retry,
    /// The same tool with corrected arguments.
    ArgumentRepair,
    /// Another tool.
    ToolSubstitution,
    /// Re-read / re-list / re-query before acting.
    ContextRefresh,
    /// Stop repeating; a different approach.
    Replan,
    /// Finish what can be finished; state what is not done.
    GracefulDegradation,
    /// Record, notify a human, stop spending.
    Escalate,
    /// Stop the session.
    Terminate,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Retry,
        Action::ArgumentRepair,
        Action::ToolSubstitution,
        Action::ContextRefresh,
        Action::Replan,
        Action::GracefulDegradation,
        Action::Escalate,
        Action::Terminate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::ArgumentRepair => "argument_repair",
            Action::ToolSubstitution => "tool_substitution",
            Action::ContextRefresh => "context_refresh",
            Action::Replan => "replan",
            Action::GracefulDegradation => "graceful_degradation",
            Action::Escalate => "escalate",
            Action::Terminate => "terminate",
        }
    }

    /// The per-session budget each use of this action consumes, if any.
    pub fn budget(self) -> Option<Budget> {
        match self {
            Action::Retry | Action::ArgumentRepair => Some(Budget::Retries),
            Action::ToolSubstitution => Some(Budget::Substitutions),
            Action::Replan => Some(Budget::Replans),
            Action::ContextRefresh
            | Action::GracefulDegradation
            | Action::Escalate
            | Action::Terminate => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown action '{s}'"))
    }
}
