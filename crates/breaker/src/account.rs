//! The texts budget-check writes: the corrective prompt of a refused stop, the account of a
//! stop with the goal unmet, and the SessionStart summary.

use selfheal_config::Config;
use selfheal_model::{Budget, BudgetLimits, BudgetUsage, Class};
use selfheal_state::{FailureRow, Unresolved};

use crate::goal::{Criteria, Goal};

/// Failures listed in a prompt at most (the newest; one per intent).
pub const MAX_FAILURES: usize = 5;
/// Lines and characters of a failing criterion's output quoted.
const OUTPUT_LINES: usize = 15;
const OUTPUT_CHARS: usize = 900;
const EVIDENCE_CHARS: usize = 240;

/// Why a stop with the goal unmet is let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// b_l or b_k: the session must end now.
    SessionSpent,
    /// `[stop] max_refusals` reached.
    RefusalCap,
    /// `stop_hook_active`, and nothing changed since the last refusal.
    NoProgress,
    /// b_p spent: no corrective retry left.
    ReplansSpent,
}

impl Reason {
    /// The code stored with the escalation (one escalation per code and session).
    pub fn code(self, spent: &[Budget]) -> String {
        match self {
            Reason::SessionSpent => {
                let keys: Vec<&str> = spent.iter().map(|b| b.key()).collect();
                format!("{}_spent", keys.join("+"))
            }
            Reason::RefusalCap => "refusal_cap".into(),
            Reason::NoProgress => "no_progress".into(),
            Reason::ReplansSpent => "replans_spent".into(),
        }
    }

    pub fn text(self, spent: &[Budget], refusals: u64) -> String {
        match self {
            Reason::SessionSpent => {
                let names: Vec<String> = spent
                    .iter()
                    .map(|b| format!("{} ({})", budget_name(*b), b.symbol()))
                    .collect();
                format!("the {} budget is spent", names.join(" and "))
            }
            Reason::RefusalCap if refusals == 0 => {
                "refusing a stop is turned off ([stop] max_refusals = 0)".into()
            }
            Reason::RefusalCap => format!(
                "the stop was already refused {refusals} time(s), the most allowed ([stop] max_refusals)"
            ),
            Reason::NoProgress => {
                "nothing changed since the last refused stop (no successful tool call, the same check result)".into()
            }
            Reason::ReplansSpent => "the replan budget (b_p) is spent".into(),
        }
    }
}

fn budget_name(b: Budget) -> &'static str {
    match b {
        Budget::Retries => "retry",
        Budget::Replans => "replan",
        Budget::Substitutions => "substitution",
        Budget::ModelEscalations => "model escalation",
        Budget::LatencySecs => "time",
        Budget::CostTokens => "token",
    }
}

/// `b_r 2/6, b_p 3/3, …, b_l 12m/2h, b_k 120000/5000000`
pub fn budgets(limits: &BudgetLimits, used: &BudgetUsage) -> String {
    Budget::ALL
        .into_iter()
        .map(|b| {
            let show = |v: u64| match b {
                Budget::LatencySecs => duration(v),
                _ => v.to_string(),
            };
            format!(
                "{} {}/{}",
                b.symbol(),
                show(used.get(b)),
                show(limits.get(b))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// What a failure's call was, for a person: `` `curl` ``, `` `src/lib.rs` ``, `` `mcp__x__y` ``.
pub fn what(row: &FailureRow, root: Option<&str>) -> String {
    let intent = row.intent.as_deref().unwrap_or("");
    let shown = if let Some(file) = intent.strip_prefix("file:") {
        match root.and_then(|r| file.strip_prefix(r)) {
            Some(rel) => rel.trim_start_matches('/').to_owned(),
            None => file.to_owned(),
        }
    } else if let Some(run) = intent.strip_prefix("run:") {
        run.to_owned()
    } else if let Some(tool) = intent.strip_prefix("tool:") {
        tool.to_owned()
    } else {
        row.tool_name.clone().unwrap_or_else(|| "a call".into())
    };
    format!("{} `{shown}`", row.tool_name.as_deref().unwrap_or("call"))
}

/// "3 unresolved failure(s)"; "at least 20 …" when the search stopped at its limit.
pub fn failure_count(failures: &Unresolved) -> String {
    let n = failures.ids.len();
    if failures.capped() {
        format!("at least {n} unresolved failure(s)")
    } else {
        format!("{n} unresolved failure(s)")
    }
}

fn next_step(class: Option<Class>) -> &'static str {
    match class {
        Some(Class::F1) => "retry it once the service answers, or get the result another way",
        Some(Class::F2) => "correct the arguments the error names and run it again",
        Some(Class::F3) => "run it again and check that the output is complete",
        Some(Class::F4) => "do it with the tool meant for it",
        Some(Class::F5) => "re-read the file as it is now, then redo the change",
        Some(Class::F6) => "find out which observation is right before relying on either",
        Some(Class::F7) => "stop repeating it and take a different approach",
        _ => "make it succeed, or say why it cannot",
    }
}

fn failure_line(f: &FailureRow, root: Option<&str>) -> String {
    let class: Option<Class> = f.class.as_deref().and_then(|c| c.parse().ok());
    let evidence = f
        .evidence
        .as_deref()
        .or(f.excerpt.as_deref())
        .unwrap_or("")
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let evidence = selfheal_redact::redact_clipped(evidence.trim(), EVIDENCE_CHARS);
    let mut line = format!(
        "- {} {} — {}",
        f.class.as_deref().unwrap_or("?"),
        class.map_or("failure", Class::name),
        what(f, root)
    );
    if !evidence.is_empty() {
        line.push_str(&format!(": {evidence}"));
    }
    line.push_str(&format!(" → {}.", next_step(class)));
    line
}

fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines.len().saturating_sub(OUTPUT_LINES);
    let text = lines[start..].join("\n");
    let text = selfheal_redact::redact(&text).into_owned();
    let count = text.chars().count();
    if count <= OUTPUT_CHARS {
        return text;
    }
    let cut: String = text.chars().skip(count - OUTPUT_CHARS).collect();
    format!("…{cut}")
}

/// The goal check's findings, one block per part (criteria, then failures).
fn findings(goal: &Goal<'_>, root: Option<&str>) -> String {
    let mut out = String::new();
    if let Criteria::Ran(checks) = goal.criteria {
        out.push_str(&format!(
            "Success criteria (run from {}):\n",
            root.unwrap_or("the project root")
        ));
        for c in checks {
            if c.passed() {
                out.push_str(&format!("- `{}` — passed\n", c.command()));
                continue;
            }
            out.push_str(&format!("- `{}` — FAILED ({})", c.command(), c.result()));
            let t = tail(&c.outcome.output);
            if t.is_empty() {
                out.push('\n');
            } else {
                out.push_str(":\n");
                for line in t.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    if !goal.failures.ids.is_empty() {
        out.push_str("Unresolved failures (no later success of the same command or file):\n");
        for f in &goal.failures.shown {
            out.push_str(&failure_line(f, root));
            out.push('\n');
        }
    }
    out
}

/// The reason given with a refused stop: what the goal check says, the failures with their
/// evidence, what was tried, what to do next.
pub struct Corrective<'a> {
    pub goal: Goal<'a>,
    pub root: Option<&'a str>,
    /// (action, times) given in this session.
    pub tried: &'a [(String, u64)],
    /// This refusal's number, and the cap.
    pub refusal: u64,
    pub max_refusals: u32,
    pub limits: &'a BudgetLimits,
    /// Usage after this refusal was counted.
    pub used: &'a BudgetUsage,
    pub subagent: bool,
}

impl Corrective<'_> {
    pub fn render(&self) -> String {
        let who = if self.subagent {
            "this sub-agent's work"
        } else {
            "the task"
        };
        let mut out = format!(
            "selfheal: not done yet — {who} fails its goal check, so this stop is refused \
             (corrective retry {} of at most {}; replans left {}/{}).\n",
            self.refusal,
            self.max_refusals,
            self.limits.remaining(self.used, Budget::Replans),
            self.limits.get(Budget::Replans),
        );
        out.push_str(&findings(&self.goal, self.root));
        let tried: Vec<String> = self
            .tried
            .iter()
            .map(|(action, n)| format!("{} ×{n}", action.replace('_', " ")))
            .collect();
        if !tried.is_empty() {
            out.push_str(&format!(
                "Already tried in this session: {}.\n",
                tried.join(", ")
            ));
        }
        let failing: Vec<String> = self
            .goal
            .criteria
            .failing()
            .iter()
            .map(|c| format!("`{}`", c.command()))
            .collect();
        out.push_str("Next: fix the cause named above");
        if !failing.is_empty() {
            out.push_str(&format!(
                ", run {} yourself until it passes",
                failing.join(" and ")
            ));
        }
        out.push_str(
            ", then finish. Do not repeat what already failed. If it cannot be done, say plainly \
             what is not done and why, then stop.",
        );
        out
    }
}

/// The account of a stop let through with the goal unmet (for the user, and the record).
pub struct Account<'a> {
    pub goal: Goal<'a>,
    pub root: Option<&'a str>,
    pub reason: String,
    pub limits: &'a BudgetLimits,
    pub used: &'a BudgetUsage,
    pub session_id: &'a str,
    pub subagent: bool,
    /// What became of the escalation: `Escalated (record #3); … notified.`
    pub escalation_note: String,
}

impl Account<'_> {
    /// One paragraph for the user.
    pub fn message(&self) -> String {
        let who = if self.subagent {
            "a sub-agent"
        } else {
            "the session"
        };
        let mut parts = Vec::new();
        let failing = self.goal.criteria.failing();
        if !failing.is_empty() {
            let list: Vec<String> = failing
                .iter()
                .map(|c| format!("`{}` {}", c.command(), c.result()))
                .collect();
            parts.push(format!(
                "{} success criteri{} failing ({})",
                failing.len(),
                if failing.len() == 1 { "on" } else { "a" },
                list.join("; ")
            ));
        }
        if !self.goal.failures.ids.is_empty() {
            let list: Vec<String> = self
                .goal
                .failures
                .shown
                .iter()
                .map(|f| {
                    format!(
                        "{} {}",
                        f.class.as_deref().unwrap_or("?"),
                        what(f, self.root)
                    )
                })
                .collect();
            parts.push(format!(
                "{}: {}",
                failure_count(self.goal.failures),
                list.join(", ")
            ));
        }
        let mut text = format!(
            "selfheal: {who} stopped with its goal unmet — {}. {}. Budget used: {}.",
            self.reason,
            capitalise(&parts.join("; ")),
            budgets(self.limits, self.used)
        );
        text.push(' ');
        text.push_str(&self.escalation_note);
        text.push_str(&format!(
            " Details: `selfheal status --session {}`.",
            self.session_id
        ));
        text
    }
}

/// The goal check's findings as kept with an escalation record.
pub fn summary(goal: &Goal<'_>, root: Option<&str>) -> String {
    findings(goal, root).trim_end().to_owned()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => s.to_owned(),
    }
}

/// The SessionStart paragraph: the budget, the success criteria, and what happens at Stop.
pub fn session_summary(config: &Config, used: &BudgetUsage, root: Option<&str>) -> String {
    let l = &config.budget;
    let mut text = format!(
        "selfheal: this session runs on a recovery budget of {} retries, {} replans, {} tool \
         substitutions and {} model escalation(s), {} of wall-clock time and {} tokens",
        l.get(Budget::Retries),
        l.get(Budget::Replans),
        l.get(Budget::Substitutions),
        l.get(Budget::ModelEscalations),
        duration(l.get(Budget::LatencySecs)),
        l.get(Budget::CostTokens),
    );
    if Budget::ALL.iter().any(|b| used.get(*b) > 0) {
        text.push_str(&format!(" (used so far: {})", budgets(l, used)));
    }
    text.push_str(". ");
    if config.verify_commands.is_empty() {
        text.push_str(
            "No success criteria are configured; before you finish, make sure no tool failure \
             is left unresolved.",
        );
    } else {
        let list: Vec<String> = config
            .verify_commands
            .iter()
            .map(|c| format!("`{}`", crate::goal::shown(c)))
            .collect();
        text.push_str(&format!(
            "Before you finish, these success criteria must pass (run from {}): {}; and no tool \
             failure may be left unresolved.",
            root.unwrap_or("the project root"),
            list.join(", ")
        ));
    }
    text.push_str(&format!(
        " A stop that does not meet them is refused with what fails (at most {} times, each \
         using a replan); once the budget is spent the session ends and a person is told.",
        config.stop_max_refusals
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_as_used_over_limit() {
        let config = Config::default();
        let mut used = BudgetUsage::default();
        used.set(Budget::Replans, 3);
        used.set(Budget::LatencySecs, 750);
        let text = budgets(&config.budget, &used);
        assert!(text.starts_with("b_r 0/6, b_p 3/3,"), "{text}");
        assert!(text.contains("b_l 12m/2h"), "{text}");
        assert!(text.ends_with("b_k 0/5000000"), "{text}");
    }

    #[test]
    fn the_session_summary_names_budget_and_criteria() {
        let config = Config {
            verify_commands: vec![vec!["cargo".into(), "test".into()]],
            ..Config::default()
        };
        let text = session_summary(&config, &BudgetUsage::default(), Some("/p"));
        assert!(text.contains("3 replans"), "{text}");
        assert!(text.contains("`cargo test`"), "{text}");
        assert!(text.contains("run from /p"), "{text}");
        assert!(!text.contains('\n'), "one paragraph");
    }
}
