//! JSON for machines. The shapes are an interface: add keys, never rename or remove one.
//!
//! `selfheal report --json`, one object:
//!
//! ```text
//! { "kind": "selfheal.report", "version": 1,
//!   "generated_at": RFC 3339, "since": RFC 3339 | null,
//!   "sessions": [ {
//!       "client", "session_id", "project_root" (or null), "started_at", "last_seen",
//!       "span_secs", "profile",
//!       "events": n, "tool_calls": n,
//!       "classes":   { "ok", "task", "F1" … "F7", "unclassified": n },
//!       "actions":   { "retry", "argument_repair", "tool_substitution", "context_refresh",
//!                      "replan", "graceful_degradation", "escalate", "terminate": n },
//!       "decisions": { "context", "deny", "block", "halt", "rewrite": n },
//!       "budgets":   { "retries", "replans", "substitutions", "model_escalations",
//!                      "latency_secs", "cost_tokens": { "used": n, "limit": n } },
//!       "spent":     [ budget keys whose use reached the limit ],
//!       "escalations": [ { "id", "ts", "reason", "summary", "budget_spent" } ] } ],
//!   "totals": { "sessions", "events", "tool_calls", "classes", "actions", "decisions",
//!               "escalations": n } }
//! ```
//!
//! `selfheal status --json`: per session `client`, `session_id`, `started_at`, `last_seen`,
//! `project_root`, `profile`, `budgets`, `classes` as above and `escalations` (a count); one
//! object with `--session` (when one client used the id), else an array.
//!
//! `selfheal export --json` and `selfheal events --json`: one event per line, every column
//! (see [`event_json`]).

use selfheal_model::Budget;
use selfheal_state::{format_rfc3339, EventRow};
use serde_json::{json, Map, Value};

use crate::gather::{ClassCounts, Decisions, Report, SessionReport};

pub const REPORT_KIND: &str = "selfheal.report";
pub const REPORT_VERSION: u32 = 1;

fn counts<'a>(pairs: impl IntoIterator<Item = (&'a str, u64)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, n)| (k.to_owned(), json!(n)))
            .collect(),
    )
}

fn classes(c: &ClassCounts) -> Value {
    counts(c.named())
}

fn decisions(d: &Decisions) -> Value {
    counts(d.by_name())
}

fn actions(a: &[(String, u64)]) -> Value {
    counts(a.iter().map(|(k, n)| (k.as_str(), *n)))
}

fn budgets(s: &SessionReport) -> Value {
    let mut out = Map::new();
    for budget in Budget::ALL {
        out.insert(
            budget.key().to_owned(),
            json!({"used": s.used.get(budget), "limit": s.limits.get(budget)}),
        );
    }
    Value::Object(out)
}

fn session(s: &SessionReport) -> Value {
    let r = &s.session;
    let escalations: Vec<Value> = s
        .escalations
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "ts": format_rfc3339(e.ts),
                "reason": e.reason,
                "summary": e.summary,
                // Stored as JSON text: given as JSON, or as the text when it does not parse.
                "budget_spent": e.budget_spent.as_deref().map(|b| {
                    serde_json::from_str::<Value>(b).unwrap_or_else(|_| json!(b))
                }),
            })
        })
        .collect();
    json!({
        "client": r.client,
        "session_id": r.session_id,
        "project_root": r.project_root,
        "started_at": format_rfc3339(r.started_at),
        "last_seen": format_rfc3339(r.last_seen),
        "span_secs": (r.last_seen - r.started_at).max(0) / 1000,
        "profile": s.profile,
        "events": s.events,
        "tool_calls": s.tool_calls,
        "classes": classes(&s.classes),
        "actions": actions(&s.actions),
        "decisions": decisions(&s.decisions),
        "budgets": budgets(s),
        "spent": s.spent().into_iter().map(Budget::key).collect::<Vec<_>>(),
        "escalations": escalations,
    })
}

/// `selfheal report --json`.
pub fn report_json(report: &Report) -> Value {
    let t = report.totals();
    json!({
        "kind": REPORT_KIND,
        "version": REPORT_VERSION,
        "generated_at": format_rfc3339(report.generated_at),
        "since": report.since_ms.map(format_rfc3339),
        "sessions": report.sessions.iter().map(session).collect::<Vec<_>>(),
        "totals": {
            "sessions": t.sessions,
            "events": t.events,
            "tool_calls": t.tool_calls,
            "classes": classes(&t.classes),
            "actions": actions(&t.actions),
            "decisions": decisions(&t.decisions),
            "escalations": t.escalations,
        },
    })
}

/// One session as `selfheal status --json` has always given it.
pub fn status_json(s: &SessionReport) -> Value {
    let r = &s.session;
    json!({
        "client": r.client,
        "session_id": r.session_id,
        "started_at": format_rfc3339(r.started_at),
        "last_seen": format_rfc3339(r.last_seen),
        "project_root": r.project_root,
        "profile": s.profile,
        "budgets": budgets(s),
        "classes": classes(&s.classes),
        "escalations": s.escalations.len(),
    })
}

/// One event, every column: `ts` as RFC 3339 and `ts_ms` as recorded (ms since the epoch).
pub fn event_json(r: &EventRow) -> Value {
    json!({
        "id": r.id,
        "ts": format_rfc3339(r.ts),
        "ts_ms": r.ts,
        "client": r.client,
        "session_id": r.session_id,
        "hook": r.hook,
        "hook_event_name": r.hook_event_name,
        "tool_name": r.tool_name,
        "tool_use_id": r.tool_use_id,
        "tool_kind": r.tool_kind,
        "agent_id": r.agent_id,
        "fingerprint": r.fingerprint,
        "outcome": r.outcome,
        "exit_code": r.exit_code,
        "class": r.class,
        "action": r.action,
        "decision": r.decision,
        "error_signature": r.error_signature,
        "evidence": r.evidence,
        "read_only": r.read_only,
        "mutates": r.mutates,
        "output_hash": r.output_hash,
        "excerpt": r.excerpt,
        "intent": r.intent,
    })
}
