use selfheal_model::{Action, Class};
use selfheal_protocol::{Dialect, HookInput, ToolCall};
use selfheal_state::{NewEvent, SessionKey, StateError, Tx};

use crate::Context;

pub fn session_key(dialect: Dialect, input: &HookInput) -> SessionKey {
    SessionKey::new(dialect.as_str(), input.session_id.clone())
}

/// What a hook made of an event, as recorded with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict<'a> {
    /// `none`, `context`, `deny`, `block`, `halt` or `rewrite`.
    pub decision: &'a str,
    pub class: Option<Class>,
    pub action: Option<Action>,
    /// The line(s) that decided it, or the reason given.
    pub evidence: Option<&'a str>,
}

impl Verdict<'_> {
    pub const NONE: Verdict<'static> = Verdict {
        decision: "none",
        class: None,
        action: None,
        evidence: None,
    };
}

/// Touches the session (creates it, marks it seen, prunes when due) inside the caller's
/// transaction: once per hook run, before its events are written.
pub fn touch(tx: &Tx<'_>, ctx: &Context) -> Result<(), StateError> {
    tx.touch_session(
        &ctx.session_key(),
        ctx.project_root().as_deref(),
        ctx.config.retention_days,
    )
}

/// The row for one tool call: who saw it, the call, its outcome as the client told it, and
/// the verdict. Hooks that know more (the classifier) override fields.
pub fn call_event<'a>(
    ctx: &'a Context,
    verdict: &Verdict<'a>,
    call: &ToolCall<'a>,
) -> NewEvent<'a> {
    let outcome = call.outcome.as_ref();
    NewEvent {
        tool_name: Some(call.name),
        tool_use_id: call.tool_use_id,
        tool_kind: Some(call.kind.as_str()),
        fingerprint: Some(call.fingerprint()),
        outcome: outcome.map(|o| match o.failed() {
            Some(true) => "failure",
            Some(false) => "success",
            None => "unknown",
        }),
        exit_code: outcome.and_then(|o| o.exit_code),
        intent: crate::intent(ctx, call),
        ..base_event(ctx, verdict)
    }
}

fn base_event<'a>(ctx: &'a Context, verdict: &Verdict<'a>) -> NewEvent<'a> {
    NewEvent {
        hook: ctx.hook,
        hook_event_name: &ctx.input.hook_event_name,
        agent_id: ctx.input.agent_id.as_deref(),
        decision: verdict.decision,
        class: verdict.class,
        action: verdict.action,
        evidence: verdict.evidence.map(str::to_owned),
        ..NewEvent::default()
    }
}

/// Records the event (one row per tool call; a PostToolBatch gives one per call, other
/// events one) and touches the session, inside the caller's transaction. Returns the ids of
/// the rows written.
pub fn record_event(
    tx: &Tx<'_>,
    ctx: &Context,
    verdict: &Verdict<'_>,
    calls: &[ToolCall<'_>],
) -> Result<Vec<i64>, StateError> {
    touch(tx, ctx)?;
    record_event_of_touched(tx, ctx, verdict, calls)
}

/// [`record_event`] for a caller that touched the session earlier in this transaction: the
/// upsert again would cost a statement and change nothing.
pub fn record_event_of_touched(
    tx: &Tx<'_>,
    ctx: &Context,
    verdict: &Verdict<'_>,
    calls: &[ToolCall<'_>],
) -> Result<Vec<i64>, StateError> {
    let key = ctx.session_key();
    if calls.is_empty() {
        return Ok(vec![tx.insert_event(&key, &base_event(ctx, verdict))?]);
    }
    calls
        .iter()
        .map(|call| tx.insert_event(&key, &call_event(ctx, verdict, call)))
        .collect()
}
