//! A hook binary's description, and the two whose own decisions are still to come
//! (patch-verifier: issue D, budget-check: E): until then each records the events it is
//! registered for and answers nothing. schema-guard lives in `selfheal-guard`,
//! failure-classifier in `selfheal-classify`.

use selfheal_protocol::{Dialect, HookEvent, HookInput, Response, ToolCall};

use crate::{record_event, Context, HookError, Verdict};

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

pub const PATCH_VERIFIER: Hook = Hook {
    name: "patch-verifier",
    summary: "PostToolUse of edits: checks that every edit landed as intended",
    events: &["PostToolUse"],
    applies: is_edit,
    decide: record_tool_event,
};

pub const BUDGET_CHECK: Hook = Hook {
    name: "budget-check",
    summary: "Stop, SubagentStop, SessionStart: the circuit breaker over the session's budgets",
    events: &["SessionStart", "Stop", "SubagentStop"],
    applies: always,
    decide: record_session_event,
};

fn tool_calls(ctx: &Context) -> Vec<ToolCall<'_>> {
    match ctx.event {
        HookEvent::PostToolBatch => ctx.input.batch_calls(),
        _ => ctx.input.tool_call(ctx.dialect).into_iter().collect(),
    }
}

fn record_tool_event(ctx: &mut Context) -> Result<Response, HookError> {
    ctx.write(|tx, ctx| {
        let calls = tool_calls(ctx);
        let ids = record_event(tx, ctx, &Verdict::NONE, &calls)?;
        for (call, id) in calls.iter().zip(ids) {
            crate::seen::record_seen(tx, ctx, call, Some(id))?;
        }
        Ok(())
    })?;
    Ok(Response::proceed())
}

fn always(_: &HookInput, _: Dialect) -> bool {
    true
}

fn is_edit(input: &HookInput, dialect: Dialect) -> bool {
    input
        .tool_call(dialect)
        .is_some_and(|call| call.kind.is_edit())
}

fn record_session_event(ctx: &mut Context) -> Result<Response, HookError> {
    ctx.write(|tx, ctx| record_event(tx, ctx, &Verdict::NONE, &[]))?;
    Ok(Response::proceed())
}
