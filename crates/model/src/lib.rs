//! The behaviour model of `shared/design/taxonomy.md` as types: every outcome gets one
//! [`Class`]; recovery [`Action`]s are ordered by cost; six per-session [`Budget`]s bound them;
//! [`choose_action`] picks the cheapest action that fits the class and still has budget.

mod action;
mod budget;
mod class;
mod policy;

pub use action::Action;
pub use budget::{Budget, BudgetLimits, BudgetUsage};
pub use class::{Class, ParseClassError};
pub use policy::{choose_action, exhausted_budgets, Choice};
