//! `selfheal export --json`: every event as JSON Lines, streamed from one read transaction.

use std::io::{BufWriter, Write};

use selfheal_state::{EventFilter, SessionKey, Store};

use crate::json::event_json;
use crate::ReportError;

/// Writes one line per event the selection matches (all sessions, or the sessions with
/// `session_id`; events at or after `since_ms`), oldest first per session. Returns how many.
pub fn export_jsonl(
    store: &mut Store,
    session_id: Option<&str>,
    since_ms: Option<i64>,
    out: &mut dyn Write,
) -> Result<u64, ReportError> {
    let db = store.path().to_path_buf();
    let mut out = BufWriter::new(out);
    let written = store.read_with(|tx| -> Result<u64, ReportError> {
        let keys: Vec<Option<SessionKey>> = match session_id {
            None => vec![None],
            Some(id) => {
                let sessions = tx.sessions_with_id(id)?;
                if sessions.is_empty() {
                    return Err(ReportError::UnknownSession {
                        id: id.to_owned(),
                        db: db.clone(),
                    });
                }
                sessions
                    .into_iter()
                    .map(|s| Some(SessionKey::new(s.client, s.session_id)))
                    .collect()
            }
        };
        let mut written = 0;
        for key in &keys {
            let filter = EventFilter {
                session: key.as_ref(),
                since_ms,
            };
            written += tx.each_event(filter, |row| -> Result<(), ReportError> {
                serde_json::to_writer(&mut out, &event_json(&row)).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
                Ok(())
            })?;
        }
        Ok(written)
    })?;
    out.flush()?;
    Ok(written)
}
