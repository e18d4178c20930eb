use std::fmt;

use serde_json::{json, Map, Value};

use crate::dialect::Dialect;
use crate::event::HookEvent;

/// What a hook decided about the event it was given.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing to say: the client goes on as if the hook were absent.
    Proceed,
    /// Text for the model, next to the tool result or prompt.
    AddContext(String),
    /// The tool call does not run; the reason goes to the model.
    Deny(String),
    /// The agent may not stop yet: it continues with the reason as its next instruction.
    RefuseStop(String),
    /// The session stops now.
    Halt(String),
    /// The tool call runs with this input instead.
    RewriteInput(Value),
}

impl Verdict {
    pub fn form(&self) -> &'static str {
        match self {
            Verdict::Proceed => "proceed",
            Verdict::AddContext(_) => "context",
            Verdict::Deny(_) => "deny",
            Verdict::RefuseStop(_) => "refuse-stop",
            Verdict::Halt(_) => "halt",
            Verdict::RewriteInput(_) => "rewrite",
        }
    }
}

/// A verdict, plus a line for the user (shown in the client's UI, never to the model).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub verdict: Verdict,
    pub user_message: Option<String>,
}

impl Response {
    pub fn proceed() -> Response {
        Response {
            verdict: Verdict::Proceed,
            user_message: None,
        }
    }

    pub fn new(verdict: Verdict) -> Response {
        Response {
            verdict,
            user_message: None,
        }
    }

    pub fn with_user_message(mut self, message: impl Into<String>) -> Response {
        self.user_message = Some(message.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The client does not accept this form at this event (it would ignore the output, or
    /// treat it as something else).
    Unsupported {
        dialect: Dialect,
        event: String,
        form: &'static str,
    },
    /// A reason or text the client requires is empty (Codex fails open on a reasonless deny).
    EmptyText { form: &'static str },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Unsupported {
                dialect,
                event,
                form,
            } => write!(f, "{dialect} does not accept a {form} output at {event}"),
            RenderError::EmptyText { form } => write!(f, "a {form} output needs a non-empty text"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Writes `response` for `event` exactly as `dialect` accepts it: `Ok(None)` means print
/// nothing. Each supported form matches one that was observed to work against the real client
/// (`shared/protocols/*.md`); Codex's fields are all within its output JSON Schemas.
pub fn render(
    dialect: Dialect,
    event: &HookEvent,
    response: &Response,
) -> Result<Option<String>, RenderError> {
    use HookEvent as E;
    let unsupported = |form| RenderError::Unsupported {
        dialect,
        event: event.name().to_owned(),
        form,
    };
    let mut out = Map::new();
    let form = response.verdict.form();
    let text = |t: &str| {
        if t.trim().is_empty() {
            Err(RenderError::EmptyText { form })
        } else {
            Ok(Value::String(t.to_owned()))
        }
    };
    let codex = dialect == Dialect::Codex;

    match &response.verdict {
        Verdict::Proceed => {}
        Verdict::AddContext(context) => {
            let accepted = match event {
                E::PreToolUse | E::PostToolUse | E::SessionStart | E::UserPromptSubmit => true,
                E::SubagentStart => true,
                E::PostToolUseFailure | E::PostToolBatch => !codex,
                // Claude treats Stop context as "continue"; Codex rejects it.
                _ => false,
            };
            if !accepted {
                return Err(unsupported(form));
            }
            out.insert(
                "hookSpecificOutput".into(),
                json!({"hookEventName": event.name(), "additionalContext": text(context)?}),
            );
        }
        Verdict::Deny(reason) => match event {
            E::PreToolUse => {
                out.insert(
                    "hookSpecificOutput".into(),
                    json!({
                        "hookEventName": "PreToolUse",
                        "permissionDecision": "deny",
                        "permissionDecisionReason": text(reason)?,
                    }),
                );
            }
            E::PermissionRequest => {
                out.insert(
                    "hookSpecificOutput".into(),
                    json!({
                        "hookEventName": "PermissionRequest",
                        "decision": {"behavior": "deny", "message": text(reason)?},
                    }),
                );
            }
            _ => return Err(unsupported(form)),
        },
        Verdict::RefuseStop(reason) => match event {
            E::Stop | E::SubagentStop => {
                out.insert("decision".into(), json!("block"));
                out.insert("reason".into(), text(reason)?);
            }
            _ => return Err(unsupported(form)),
        },
        Verdict::Halt(reason) => {
            let accepted = match event {
                E::SessionStart | E::UserPromptSubmit | E::Stop | E::SubagentStop => true,
                // Codex: `continue:false` at PreToolUse is "unsupported" (fails open) and at
                // PostToolUse only replaces the tool output.
                E::PreToolUse | E::PostToolUse | E::PostToolUseFailure | E::PostToolBatch => !codex,
                _ => false,
            };
            if !accepted {
                return Err(unsupported(form));
            }
            out.insert("continue".into(), json!(false));
            out.insert("stopReason".into(), text(reason)?);
        }
        Verdict::RewriteInput(input) => {
            if *event != E::PreToolUse || !input.is_object() {
                return Err(unsupported(form));
            }
            // Codex runs a rewrite only together with "allow". Claude runs it without a
            // decision, which keeps the user's own permission rules in force.
            let specific = if codex {
                json!({"hookEventName": "PreToolUse", "permissionDecision": "allow", "updatedInput": input})
            } else {
                json!({"hookEventName": "PreToolUse", "updatedInput": input})
            };
            out.insert("hookSpecificOutput".into(), specific);
        }
    }

    if let Some(message) = &response.user_message {
        // Codex reads output only for events it has an output schema for.
        if codex && !codex_has_output_schema(event) {
            return Err(unsupported("user message"));
        }
        out.insert(
            "systemMessage".into(),
            text(message).map_err(|_| RenderError::EmptyText {
                form: "user message",
            })?,
        );
    }

    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::Object(out).to_string()))
}

/// Codex 0.169.0 embeds an output schema for these events only (no SessionEnd; it never sends
/// Claude's PostToolUseFailure, PostToolBatch or StopFailure).
fn codex_has_output_schema(event: &HookEvent) -> bool {
    use HookEvent as E;
    matches!(
        event,
        E::PreToolUse
            | E::PostToolUse
            | E::PermissionRequest
            | E::Stop
            | E::SubagentStart
            | E::SubagentStop
            | E::SessionStart
            | E::UserPromptSubmit
            | E::PreCompact
            | E::PostCompact
            | E::Interrupt
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(
        dialect: Dialect,
        event: HookEvent,
        verdict: Verdict,
    ) -> Result<Option<Value>, RenderError> {
        render(dialect, &event, &Response::new(verdict))
            .map(|o| o.map(|s| serde_json::from_str(&s).unwrap()))
    }

    #[test]
    fn proceed_prints_nothing() {
        assert_eq!(
            r(Dialect::Codex, HookEvent::Stop, Verdict::Proceed),
            Ok(None)
        );
    }

    #[test]
    fn context_names_the_event() {
        let v = r(
            Dialect::Claude,
            HookEvent::PostToolUseFailure,
            Verdict::AddContext("x".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            v["hookSpecificOutput"]["hookEventName"],
            "PostToolUseFailure"
        );
        assert_eq!(v["hookSpecificOutput"]["additionalContext"], "x");
    }

    #[test]
    fn forms_a_client_would_misread_are_refused() {
        assert!(r(
            Dialect::Codex,
            HookEvent::Stop,
            Verdict::AddContext("x".into())
        )
        .is_err());
        assert!(r(
            Dialect::Claude,
            HookEvent::Stop,
            Verdict::AddContext("x".into())
        )
        .is_err());
        assert!(r(
            Dialect::Codex,
            HookEvent::PreToolUse,
            Verdict::Halt("x".into())
        )
        .is_err());
        assert!(r(
            Dialect::Codex,
            HookEvent::PostToolUseFailure,
            Verdict::AddContext("x".into())
        )
        .is_err());
        assert!(r(
            Dialect::Claude,
            HookEvent::PostToolUse,
            Verdict::RefuseStop("x".into())
        )
        .is_err());
        assert_eq!(
            r(
                Dialect::Codex,
                HookEvent::PreToolUse,
                Verdict::Deny(" ".into())
            ),
            Err(RenderError::EmptyText { form: "deny" })
        );
    }

    #[test]
    fn user_message_rides_along() {
        let out = render(
            Dialect::Codex,
            &HookEvent::Stop,
            &Response::new(Verdict::Proceed).with_user_message("budget spent"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(out, r#"{"systemMessage":"budget spent"}"#);
    }
}
