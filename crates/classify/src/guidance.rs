//! The text the agent gets: one compact block that starts with a stable tag
//! (`selfheal F2 argument_repair:`), then what failed, what to do next, and the budget left.

use selfheal_model::{Action, Budget, BudgetLimits, BudgetUsage, Class};
use selfheal_redact::clip;

use crate::rules::Hit;

/// The whole block stays under this, whatever the evidence.
pub const MAX_CHARS: usize = 1500;
const MAX_EVIDENCE: usize = 400;

pub fn render(
    class: Class,
    action: Action,
    hit: &Hit,
    evidence: &str,
    limits: &BudgetLimits,
    used: &BudgetUsage,
) -> String {
    render_hint(class, action, &hit.hint, evidence, limits, used)
}

/// The same block for any hook's finding (patch-verifier's too): `hint` says what to do next.
pub fn render_hint(
    class: Class,
    action: Action,
    hint: &str,
    evidence: &str,
    limits: &BudgetLimits,
    used: &BudgetUsage,
) -> String {
    let evidence = clip(evidence, MAX_EVIDENCE);
    let next = match action {
        Action::Retry | Action::ArgumentRepair | Action::ToolSubstitution | Action::ContextRefresh => {
            hint.to_owned()
        }
        Action::Replan => {
            if class == Class::F7 {
                hint.to_owned()
            } else {
                format!(
                    "{hint} This has failed before: do not repeat the same step; choose a different approach and state it first."
                )
            }
        }
        Action::GracefulDegradation => "The recovery budget for this is spent. Finish what can be finished, and state clearly what is not done and why.".to_owned(),
        Action::Escalate => "The recovery budget is spent: stop here, summarise what failed and what you tried, and ask the user how to go on.".to_owned(),
        Action::Terminate => "Stop now: the session's budget is spent.".to_owned(),
    };
    let left: Vec<String> = [Budget::Retries, Budget::Replans, Budget::Substitutions]
        .into_iter()
        .map(|b| {
            format!(
                "{} {}/{}",
                b.key(),
                limits.remaining(used, b),
                limits.get(b)
            )
        })
        .collect();
    let head = format!("selfheal {class} {action}: {} — ", class.name());
    let tail = format!(" Budget left: {}.", left.join(", "));
    let body = format!("`{evidence}`. {next}");
    let room = MAX_CHARS.saturating_sub(head.chars().count() + tail.chars().count());
    format!("{head}{}{tail}", clip(&body, room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_the_tag_and_stays_short() {
        let mut limits = BudgetLimits::default();
        limits.set(Budget::Retries, 3);
        let hit = Hit::new("x", Class::F2, 1, "bad", "fix it ".repeat(500));
        let text = render(
            Class::F2,
            Action::ArgumentRepair,
            &hit,
            &"e".repeat(5000),
            &limits,
            &BudgetUsage::default(),
        );
        assert!(text.starts_with("selfheal F2 argument_repair: "), "{text}");
        assert!(text.chars().count() <= MAX_CHARS);
        assert!(text.ends_with("substitutions 0/0."), "{text}");
    }
}
