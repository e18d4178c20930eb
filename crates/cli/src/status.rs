//! `selfheal status`: the short form of `selfheal report`, live. One session in detail, or the
//! last week's sessions one a line; b_l is measured up to now, as budget-check would.

use std::io::Write;

use anyhow::Result;
use selfheal_report::{gather, json, text, ReportError, Selection, Style};
use selfheal_state::{now_ms, Store};
use serde_json::Value;

const WEEK_MS: i64 = 7 * 86_400_000;
/// Sessions listed at most without `--session`.
const RECENT: usize = 50;

pub fn print(
    store: &mut Store,
    session_id: Option<&str>,
    as_json: bool,
    style: Style,
    out: &mut dyn Write,
) -> Result<()> {
    let selection = Selection {
        session_id,
        since_ms: session_id.is_none().then(|| now_ms() - WEEK_MS),
        limit: session_id.is_none().then_some(RECENT),
        timeline: false,
        live: true,
    };
    let report = gather(store, &selection, &|k| std::env::var(k).ok()).map_err(|e| match e {
        ReportError::Io(io) => anyhow::Error::from(io),
        other => other.into(),
    })?;
    for warning in &report.warnings {
        eprintln!("selfheal: warning: {warning}");
    }
    if as_json {
        let all: Vec<Value> = report.sessions.iter().map(json::status_json).collect();
        let value = match session_id {
            Some(_) if all.len() == 1 => all.into_iter().next().expect("one"),
            _ => Value::Array(all),
        };
        writeln!(out, "{value}")?;
        return Ok(());
    }
    if report.sessions.is_empty() {
        writeln!(
            out,
            "no sessions recorded in the last 7 days ({})",
            store.path().display()
        )?;
        return Ok(());
    }
    if session_id.is_none() {
        text::write_sessions(&report, style, out)?;
        return Ok(());
    }
    for (i, s) in report.sessions.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        text::write_session_detail(s, style, out)?;
    }
    Ok(())
}
