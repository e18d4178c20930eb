//! The recovery policy: which actions fit which class, and the choice among them.

use crate::action::Action;
use crate::budget::{Budget, BudgetLimits, BudgetUsage};
use crate::class::Class;

impl Class {
    /// The actions that fit this class, cheapest first. `ok` and `task` have none: the agent's
    /// normal loop is not disturbed.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Class::Ok | Class::Task => &[],
            // Repeated F1 stays F1; its action escalates as budget is spent.
            Class::F1 => &[
                Retry,
                ToolSubstitution,
                GracefulDegradation,
                Escalate,
                Terminate,
            ],
            Class::F2 => &[
                ArgumentRepair,
                Replan,
                GracefulDegradation,
                Escalate,
                Terminate,
            ],
            Class::F3 => &[Retry, Replan, GracefulDegradation, Escalate, Terminate],
            Class::F4 => &[
                ToolSubstitution,
                Replan,
                GracefulDegradation,
                Escalate,
                Terminate,
            ],
            Class::F5 | Class::F6 => &[
                ContextRefresh,
                Replan,
                GracefulDegradation,
                Escalate,
                Terminate,
            ],
            Class::F7 => &[Replan, GracefulDegradation, Escalate, Terminate],
        }
    }
}

/// The chosen action and the budget it consumes (to be recorded with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub action: Action,
    pub consumes: Option<Budget>,
}

/// The budgets whose exhaustion ends the session's recovery: time or tokens spent, or every
/// recovery budget (retries, replans, substitutions) used up. Empty while recovery may go on.
pub fn exhausted_budgets(limits: &BudgetLimits, used: &BudgetUsage) -> Vec<Budget> {
    let spent = |b: Budget| limits.remaining(used, b) == 0;
    let session: Vec<Budget> = [Budget::LatencySecs, Budget::CostTokens]
        .into_iter()
        .filter(|b| spent(*b))
        .collect();
    if !session.is_empty() {
        return session;
    }
    let recovery = [Budget::Retries, Budget::Replans, Budget::Substitutions];
    if recovery.iter().all(|b| spent(*b)) {
        return recovery.to_vec();
    }
    Vec::new()
}

/// The cheapest action that fits `class`, has budget left and was not already tried for this
/// fault (`tried`). When the session's time or token budget is spent, only escalation and
/// termination remain. `None` for `ok` and `task`.
pub fn choose_action(
    class: Class,
    limits: &BudgetLimits,
    used: &BudgetUsage,
    tried: &[Action],
) -> Option<Choice> {
    let session_spent = [Budget::LatencySecs, Budget::CostTokens]
        .into_iter()
        .any(|b| limits.remaining(used, b) == 0);
    class
        .actions()
        .iter()
        .copied()
        .filter(|a| !session_spent || *a >= Action::Escalate)
        .filter(|a| *a == Action::Terminate || !tried.contains(a))
        .find(|a| match a.budget() {
            Some(b) => limits.remaining(used, b) > 0,
            None => true,
        })
        .map(|action| Choice {
            action,
            consumes: action.budget(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> BudgetLimits {
        let mut l = BudgetLimits::default();
        for (b, v) in [
            (Budget::Retries, 2),
            (Budget::Replans, 1),
            (Budget::Substitutions, 1),
            (Budget::ModelEscalations, 1),
            (Budget::LatencySecs, 3600),
            (Budget::CostTokens, 1_000_000),
        ] {
            l.set(b, v);
        }
        l
    }

    fn pick(class: Class, used: &BudgetUsage, tried: &[Action]) -> Option<Action> {
        choose_action(class, &limits(), used, tried).map(|c| c.action)
    }

    #[test]
    fn ok_and_task_get_no_action() {
        let used = BudgetUsage::default();
        assert_eq!(pick(Class::Ok, &used, &[]), None);
        assert_eq!(pick(Class::Task, &used, &[]), None);
    }

    #[test]
    fn cheapest_fitting_action_first() {
        let used = BudgetUsage::default();
        assert_eq!(pick(Class::F1, &used, &[]), Some(Action::Retry));
        assert_eq!(pick(Class::F2, &used, &[]), Some(Action::ArgumentRepair));
        assert_eq!(pick(Class::F4, &used, &[]), Some(Action::ToolSubstitution));
        assert_eq!(pick(Class::F5, &used, &[]), Some(Action::ContextRefresh));
        assert_eq!(pick(Class::F7, &used, &[]), Some(Action::Replan));
        let choice = choose_action(Class::F1, &limits(), &used, &[]).unwrap();
        assert_eq!(choice.consumes, Some(Budget::Retries));
    }

    #[test]
    fn spent_budget_moves_on_to_the_next_action() {
        let mut used = BudgetUsage::default();
        used.set(Budget::Retries, 2);
        assert_eq!(pick(Class::F1, &used, &[]), Some(Action::ToolSubstitution));
        used.set(Budget::Substitutions, 1);
        assert_eq!(
            pick(Class::F1, &used, &[]),
            Some(Action::GracefulDegradation)
        );
        assert_eq!(
            pick(Class::F1, &used, &[Action::GracefulDegradation]),
            Some(Action::Escalate)
        );
        assert_eq!(
            pick(
                Class::F1,
                &used,
                &[Action::GracefulDegradation, Action::Escalate]
            ),
            Some(Action::Terminate)
        );
    }

    #[test]
    fn tried_actions_are_skipped_for_the_same_fault() {
        let used = BudgetUsage::default();
        assert_eq!(
            pick(Class::F5, &used, &[Action::ContextRefresh]),
            Some(Action::Replan)
        );
    }

    #[test]
    fn spent_session_time_leaves_only_escalation() {
        let mut used = BudgetUsage::default();
        used.set(Budget::LatencySecs, 3600);
        assert_eq!(pick(Class::F2, &used, &[]), Some(Action::Escalate));
        assert_eq!(
            pick(Class::F2, &used, &[Action::Escalate]),
            Some(Action::Terminate)
        );
    }

    #[test]
    fn exhaustion_is_time_or_tokens_or_every_recovery_budget() {
        let mut used = BudgetUsage::default();
        assert!(exhausted_budgets(&limits(), &used).is_empty());
        used.set(Budget::Retries, 2);
        used.set(Budget::Replans, 1);
        assert!(
            exhausted_budgets(&limits(), &used).is_empty(),
            "substitutions left"
        );
        used.set(Budget::Substitutions, 1);
        assert_eq!(exhausted_budgets(&limits(), &used).len(), 3);
        let mut late = BudgetUsage::default();
        late.set(Budget::CostTokens, 1_000_000);
        assert_eq!(
            exhausted_budgets(&limits(), &late),
            vec![Budget::CostTokens]
        );
    }

    #[test]
    fn every_fault_class_ends_in_escalation_then_termination() {
        for class in Class::ALL.into_iter().filter(|c| c.is_fault()) {
            let actions = class.actions();
            assert_eq!(
                &actions[actions.len() - 2..],
                &[Action::Escalate, Action::Terminate]
            );
            assert!(
                actions.windows(2).all(|w| w[0] < w[1]),
                "{class} not in cost order"
            );
        }
    }
}
