use std::fmt;

/// The six per-session budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Budget {
    /// b_r: every Retry and Argument repair guidance.
    Retries,
    /// b_p: every Replan guidance and every Stop refused for a corrective retry.
    Replans,
    /// b_s: every Tool substitution guidance.
    Substitutions,
    /// b_m: every escalation to a stronger model (the runner).
    ModelEscalations,
    /// b_l: wall-clock seconds since the session started.
    LatencySecs,
    /// b_k: tokens spent, read from the client's transcript.
    CostTokens,
}

impl Budget {
    pub const ALL: [Budget; 6] = [
        Budget::Retries,
        Budget::Replans,
        Budget::Substitutions,
        Budget::ModelEscalations,
        Budget::LatencySecs,
        Budget::CostTokens,
    ];

    /// The name used in config (`[budget]`), the DB and reports.
    pub fn key(self) -> &'static str {
        match self {
            Budget::Retries => "retries",
            Budget::Replans => "replans",
            Budget::Substitutions => "substitutions",
            Budget::ModelEscalations => "model_escalations",
            Budget::LatencySecs => "latency_secs",
            Budget::CostTokens => "cost_tokens",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Budget::Retries => "b_r",
            Budget::Replans => "b_p",
            Budget::Substitutions => "b_s",
            Budget::ModelEscalations => "b_m",
            Budget::LatencySecs => "b_l",
            Budget::CostTokens => "b_k",
        }
    }

    pub fn from_key(key: &str) -> Option<Budget> {
        Budget::ALL.into_iter().find(|b| b.key() == key)
    }

    /// Counted from recorded actions, as opposed to measured (time, tokens).
    pub fn is_counted(self) -> bool {
        !matches!(self, Budget::LatencySecs | Budget::CostTokens)
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A value per budget: the limits from config, or what a session has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetValues([u64; 6]);

pub type BudgetLimits = BudgetValues;
pub type BudgetUsage = BudgetValues;

impl BudgetValues {
    pub fn get(&self, budget: Budget) -> u64 {
        self.0[budget as usize]
    }

    pub fn set(&mut self, budget: Budget, value: u64) {
        self.0[budget as usize] = value;
    }

    pub fn add(&mut self, budget: Budget, amount: u64) {
        self.0[budget as usize] = self.0[budget as usize].saturating_add(amount);
    }

    /// What is left of `self` (limits) after `used`.
    pub fn remaining(&self, used: &BudgetUsage, budget: Budget) -> u64 {
        self.get(budget).saturating_sub(used.get(budget))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Budget, u64)> + '_ {
        Budget::ALL.into_iter().map(|b| (b, self.get(b)))
    }
}
