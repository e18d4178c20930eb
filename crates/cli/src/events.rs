use std::io::Write;

use anyhow::Result;
use selfheal_state::{format_rfc3339, SessionKey, Store};

pub fn print(
    store: &mut Store,
    session_id: &str,
    as_json: bool,
    limit: u32,
    out: &mut dyn Write,
) -> Result<()> {
    let mut rows = Vec::new();
    for session in crate::sessions(store, session_id)? {
        let key = SessionKey::new(&session.client, &session.session_id);
        rows.extend(store.read(|tx| tx.events(&key, limit))?);
    }
    rows.sort_by_key(|r| r.id);
    if as_json {
        for row in &rows {
            writeln!(out, "{}", selfheal_report::json::event_json(row))?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:<7} {:<19} {:<19} {:<14} {:<5} {:<20} DECISION",
        "TIME", "CLIENT", "HOOK", "EVENT", "TOOL", "CLASS", "ACTION"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<24} {:<7} {:<19} {:<19} {:<14} {:<5} {:<20} {}",
            format_rfc3339(r.ts),
            r.client,
            r.hook,
            r.hook_event_name,
            r.tool_name.as_deref().unwrap_or("-"),
            r.class.as_deref().unwrap_or("-"),
            r.action.as_deref().unwrap_or("-"),
            r.decision
        )?;
    }
    Ok(())
}
