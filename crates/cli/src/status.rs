use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use selfheal_config::{Config, ConfigFiles};
use selfheal_model::{Budget, BudgetUsage, Class};
use selfheal_state::{format_rfc3339, now_ms, SessionKey, SessionRow, Store};
use serde_json::{json, Map, Value};

const WEEK_MS: i64 = 7 * 86_400_000;

struct SessionStatus {
    session: SessionRow,
    config: Config,
    used: BudgetUsage,
    classes: Vec<(Option<String>, u64)>,
    escalations: u64,
}

pub fn print(
    store: &mut Store,
    session_id: Option<&str>,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let sessions = match session_id {
        Some(id) => crate::sessions(store, id)?,
        None => store.read(|tx| tx.recent_sessions(now_ms() - WEEK_MS, 50))?,
    };
    let mut statuses = Vec::new();
    for session in sessions {
        let key = SessionKey::new(&session.client, &session.session_id);
        let (used, classes, escalations) = store.read(|tx| {
            Ok((
                tx.budget_usage(&key)?,
                tx.class_counts(&key)?,
                tx.escalation_count(&key)?,
            ))
        })?;
        statuses.push(SessionStatus {
            config: session_config(&session)?,
            session,
            used,
            classes,
            escalations,
        });
    }
    if as_json {
        let all: Vec<Value> = statuses.iter().map(to_json).collect();
        let value = match session_id {
            Some(_) if all.len() == 1 => all.into_iter().next().expect("one"),
            _ => Value::Array(all),
        };
        writeln!(out, "{value}")?;
        return Ok(());
    }
    if statuses.is_empty() {
        writeln!(
            out,
            "no sessions recorded in the last 7 days ({})",
            store.path().display()
        )?;
    }
    for (i, s) in statuses.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        print_one(s, out)?;
    }
    Ok(())
}

/// The limits that apply to a session: its project's configuration.
fn session_config(session: &SessionRow) -> Result<Config> {
    let root = session.project_root.as_deref().map(Path::new);
    let files = ConfigFiles::discover(None, root, |k| std::env::var(k).ok());
    Config::load(&files).context("loading the configuration")
}

fn print_one(s: &SessionStatus, out: &mut dyn Write) -> Result<()> {
    let r = &s.session;
    writeln!(out, "{} session {}", r.client, r.session_id)?;
    writeln!(
        out,
        "  started {}   last seen {}   project {}",
        format_rfc3339(r.started_at),
        format_rfc3339(r.last_seen),
        r.project_root.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "  {:<22} {:>8} {:>10}   profile {}",
        "budget",
        "used",
        "limit",
        s.config.profile.name()
    )?;
    for budget in Budget::ALL {
        let used = s.used.get(budget);
        let limit = s.config.budget.get(budget);
        let mark = if used >= limit { "  spent" } else { "" };
        writeln!(
            out,
            "  {:<22} {:>8} {:>10}{mark}",
            format!("{} {}", budget.symbol(), budget.key()),
            used,
            limit
        )?;
    }
    let classes: Vec<String> = class_counts(s)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    writeln!(
        out,
        "  events by class: {}",
        if classes.is_empty() {
            "none".to_owned()
        } else {
            classes.join(", ")
        }
    )?;
    writeln!(out, "  escalations: {}", s.escalations)?;
    Ok(())
}

/// Counts for every class in taxonomy order, then `unclassified`.
fn class_counts(s: &SessionStatus) -> Vec<(&'static str, u64)> {
    let count = |name: Option<&str>| {
        s.classes
            .iter()
            .filter(|(c, _)| c.as_deref() == name)
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let mut counts: Vec<_> = Class::ALL
        .into_iter()
        .map(|c| (c.as_str(), count(Some(c.as_str()))))
        .collect();
    counts.push(("unclassified", count(None)));
    counts
}

fn to_json(s: &SessionStatus) -> Value {
    let mut budgets = Map::new();
    for budget in Budget::ALL {
        budgets.insert(
            budget.key().to_owned(),
            json!({"used": s.used.get(budget), "limit": s.config.budget.get(budget)}),
        );
    }
    let classes: Map<String, Value> = class_counts(s)
        .into_iter()
        .map(|(c, n)| (c.to_owned(), json!(n)))
        .collect();
    json!({
        "client": s.session.client,
        "session_id": s.session.session_id,
        "started_at": format_rfc3339(s.session.started_at),
        "last_seen": format_rfc3339(s.session.last_seen),
        "project_root": s.session.project_root,
        "profile": s.config.profile.name(),
        "budgets": budgets,
        "classes": classes,
        "escalations": s.escalations,
    })
}
