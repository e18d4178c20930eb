//! The four hook binaries: which events each acts on, and what it does with them.
//!
//! Until their own behaviour lands (schema-guard: issue B, failure-classifier: C,
//! patch-verifier: D, budget-check: E) each records the events it is registered for and
//! answers nothing.

use selfheal_protocol::{HookEvent, Response, ToolCall};

use crate::{record_event, Context, HookError};

/// One hook binary.
#[derive(Clone, Copy)]
pub struct Hook {
    pub name: &'static str,
    pub summary: &'static str,
    /// The events it is registered for; any other event is ignored without opening the DB.
    pub events: &'static [&'static str],
    pub decide: fn(&mut Context) -> Result<Response, HookError>,
}

impl Hook {
    pub fn handles(&self, event: &HookEvent) -> bool {
        self.events.contains(&event.name())
    }
}

pub const SCHEMA_GUARD: Hook = Hook {
    name: "schema-guard",
    summary: "PreToolUse: refuses malformed or out-of-scope tool calls before they run",
    events: &["PreToolUse"],
    decide: record_tool_event,
};

pub const FAILURE_CLASSIFIER: Hook = Hook {
    name: "failure-classifier",
    summary: "PostToolUse, PostToolUseFailure, PostToolBatch: classifies every tool outcome",
    events: &["PostToolUse", "PostToolUseFailure", "PostToolBatch"],
    decide: record_tool_event,
};

pub const PATCH_VERIFIER: Hook = Hook {
    name: "patch-verifier",
    summary: "PostToolUse of edits: checks that every edit landed as intended",
    events: &["PostToolUse"],
    decide: record_edit_event,
};

pub const BUDGET_CHECK: Hook = Hook {
    name: "budget-check",
    summary: "Stop, SubagentStop, SessionStart: the circuit breaker over the session's budgets",
    events: &["SessionStart", "Stop", "SubagentStop"],
    decide: record_session_event,
};

fn tool_calls(ctx: &Context) -> Vec<ToolCall<'_>> {
    match ctx.event {
        HookEvent::PostToolBatch => ctx.input.batch_calls(),
        _ => ctx.input.tool_call(ctx.dialect).into_iter().collect(),
    }
}

fn record_tool_event(ctx: &mut Context) -> Result<Response, HookError> {
    ctx.write(|tx, ctx| record_event(tx, ctx, "none", &tool_calls(ctx)))?;
    Ok(Response::proceed())
}

fn record_edit_event(ctx: &mut Context) -> Result<Response, HookError> {
    let is_edit = ctx
        .input
        .tool_call(ctx.dialect)
        .is_some_and(|call| call.kind.is_edit());
    if !is_edit {
        return Ok(Response::proceed());
    }
    record_tool_event(ctx)
}

fn record_session_event(ctx: &mut Context) -> Result<Response, HookError> {
    ctx.write(|tx, ctx| record_event(tx, ctx, "none", &[]))?;
    Ok(Response::proceed())
}
