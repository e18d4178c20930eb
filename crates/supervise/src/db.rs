//! What the state DB knows about an attempt's session, and the escalation record. The
//! unresolved failures are the state crate's own query (the one budget-check uses at Stop).

use std::path::Path;

use selfheal_state::{EventRow, FailureRow, NewEscalation, SessionKey, Store};

use crate::attempt::{DbFacts, Failure};

/// Unresolved failures looked at, at most: a report after the job, not on a hook's hot path.
const FAILURES: u32 = 50;
/// Recent events read for the "last errors and actions".
const RECENT: u32 = 200;
const RECENT_LINES: usize = 8;

pub fn facts(db: &Path, client: &str, session: &str) -> Result<DbFacts, String> {
    let Some(mut store) = Store::open_read_only(db).map_err(|e| e.to_string())? else {
        return Ok(DbFacts::default());
    };
    let key = SessionKey::new(client, session);
    store
        .read(|tx| {
            // One more than are kept: whether there are more than the report lists.
            let unresolved = tx.unresolved_failures(&key, None, FAILURES + 1)?;
            let events = tx.events(&key, RECENT)?;
            Ok((unresolved, events))
        })
        .map(|(unresolved, events)| DbFacts {
            unresolved_more: unresolved.len() > FAILURES as usize,
            unresolved: unresolved
                .iter()
                .take(FAILURES as usize)
                .map(failure)
                .collect(),
            recent: recent(&events),
        })
        .map_err(|e| e.to_string())
}

fn failure(row: &FailureRow) -> Failure {
    Failure {
        class: row.class.clone().unwrap_or_else(|| "?".into()),
        what: what(row),
        evidence: row
            .evidence
            .as_deref()
            .map(|e| selfheal_redact::redact(e).into_owned())
            .unwrap_or_default(),
    }
}

/// The file, program or tool a call was about (its recorded intent).
fn what(row: &FailureRow) -> String {
    let intent = row.intent.as_deref().unwrap_or("");
    ["file:", "run:", "tool:"]
        .iter()
        .find_map(|p| intent.strip_prefix(p))
        .map(str::to_owned)
        .or_else(|| row.tool_name.clone())
        .unwrap_or_else(|| "a call".into())
}

/// The last failures and recovery actions of the session, one line each.
fn recent(events: &[EventRow]) -> Vec<String> {
    let lines: Vec<String> = events
        .iter()
        .filter(|e| {
            e.action.is_some()
                || e.class.as_deref().is_some_and(|c| c.starts_with('F'))
                || e.decision == "deny"
        })
        .map(|e| {
            let mut line = format!(
                "{} {}",
                e.hook_event_name,
                e.tool_name.as_deref().unwrap_or("")
            )
            .trim_end()
            .to_owned();
            if let Some(c) = &e.class {
                line.push_str(&format!(" {c}"));
            }
            if let Some(a) = &e.action {
                line.push_str(&format!(" → {a}"));
            }
            if e.decision != "none" {
                line.push_str(&format!(" ({})", e.decision));
            }
            if let Some(ev) = &e.evidence {
                line.push_str(&format!(": {}", selfheal_redact::redact(ev)));
            }
            line
        })
        .collect();
    let skip = lines.len().saturating_sub(RECENT_LINES);
    lines[skip..].to_vec()
}

pub fn insert_escalation(
    db: &Path,
    client: &str,
    session: &str,
    reason: &str,
    summary: &str,
    detail: &str,
) -> Result<i64, String> {
    let mut store = Store::open(db).map_err(|e| e.to_string())?;
    let key = SessionKey::new(client, session);
    store
        .write(|tx| {
            tx.insert_escalation(
                &key,
                &NewEscalation {
                    reason,
                    summary: Some(summary),
                    budget_spent: Some(detail),
                },
            )
        })
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfheal_model::Class;
    use selfheal_state::{NewEvent, StateError, Tx};

    /// The report lists the newest `FAILURES` unresolved failures, and says when there are more.
    #[test]
    fn more_unresolved_failures_than_are_listed_are_said_to_be_more() {
        let dir =
            std::env::temp_dir().join(format!("selfheal-supervise-db-{}", std::process::id()));
        let db = dir.join("state.db");
        let key = SessionKey::new("claude", "s");
        let fail = |tx: &Tx<'_>, i: u32| -> Result<(), StateError> {
            let call = format!("c{i}");
            let event = NewEvent {
                hook: "failure-classifier",
                hook_event_name: "PostToolUseFailure",
                tool_name: Some("Bash"),
                tool_use_id: Some(&call),
                class: Some(Class::F1),
                outcome: Some("failure"),
                decision: "none",
                intent: Some("run:curl".into()),
                ..NewEvent::default()
            };
            tx.insert_event(&key, &event).map(drop)
        };
        let mut store = Store::open(&db).unwrap();
        store
            .write(|tx| {
                tx.touch_session(&key, None, 30)?;
                (0..FAILURES).try_for_each(|i| fail(tx, i))
            })
            .unwrap();
        let all = facts(&db, "claude", "s").unwrap();
        assert_eq!(all.unresolved.len(), FAILURES as usize);
        assert!(!all.unresolved_more);
        store.write(|tx| fail(tx, FAILURES)).unwrap();
        let some = facts(&db, "claude", "s").unwrap();
        assert_eq!(some.unresolved.len(), FAILURES as usize);
        assert!(some.unresolved_more);
        let _ = std::fs::remove_dir_all(dir);
    }
}
