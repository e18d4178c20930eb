//! A hook binary's description. Each hook's decision lives in its own crate: schema-guard in
//! `selfheal-guard`, failure-classifier in `selfheal-classify`, patch-verifier in
//! `selfheal-verify`, budget-check in `selfheal-breaker`.

use selfheal_protocol::{Dialect, HookEvent, HookInput, Response};

use crate::{Context, HookError};

/// The names the hooks record their events under, for a hook that reads another's.
pub mod names {
    pub const SCHEMA_GUARD: &str = "schema-guard";
    pub const FAILURE_CLASSIFIER: &str = "failure-classifier";
    pub const PATCH_VERIFIER: &str = "patch-verifier";
    pub const BUDGET_CHECK: &str = "budget-check";
}

/// One hook binary.
#[derive(Clone, Copy)]
pub struct Hook {
    pub name: &'static str,
    pub summary: &'static str,
    /// The events it is registered for; any other event is ignored without opening the DB.
    pub events: &'static [&'static str],
    /// Whether a payload of one of those events concerns it at all; checked before any config
    /// or state is read, so that an irrelevant call costs only the parse.
    pub applies: fn(&HookInput, Dialect) -> bool,
    pub decide: fn(&mut Context) -> Result<Response, HookError>,
}

impl Hook {
    pub fn handles(&self, event: &HookEvent) -> bool {
        self.events.contains(&event.name())
    }
}
