//! What `selfheal report`, `gc` and `export` read and remove: read-only tallies of a session's
//! events, its escalations, a light timeline, every event streamed, and pruning by cutoff.
//! Every per-session query goes through `events_session (client, session_id, id)`; the
//! sessions and escalations tables are small enough to scan.

use rusqlite::params;

use super::{
    event_row, session_row, EventRow, SessionKey, SessionRow, Store, Tx, EVENT_COLUMNS,
    SESSION_COLUMNS,
};
use crate::StateError;

/// The tables that hold rows of a session, besides `sessions` itself.
const SESSION_TABLES: [&str; 6] = [
    "events",
    "budgets",
    "files_seen",
    "escalations",
    "transcripts",
    "stops",
];

/// How many of a session's events share a class, an action and a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    pub class: Option<String>,
    pub action: Option<String>,
    pub decision: String,
    pub events: u64,
}

/// One escalation as budget-check recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRow {
    pub id: i64,
    pub ts: i64,
    pub reason: String,
    pub summary: Option<String>,
    /// JSON: what of each budget was spent.
    pub budget_spent: Option<String>,
}

/// An event as a timeline draws it: no output excerpt, the evidence cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRow {
    pub id: i64,
    pub ts: i64,
    pub hook: String,
    pub hook_event_name: String,
    pub tool_name: Option<String>,
    pub agent_id: Option<String>,
    pub outcome: Option<String>,
    pub exit_code: Option<i32>,
    pub class: Option<String>,
    pub action: Option<String>,
    pub decision: String,
    pub evidence: Option<String>,
}

/// Which events to stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFilter<'a> {
    /// One session; `None` = every session.
    pub session: Option<&'a SessionKey>,
    /// Only events at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
}

/// The rows removed by pruning, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub events: u64,
    pub budgets: u64,
    pub files_seen: u64,
    pub escalations: u64,
    pub transcripts: u64,
    pub stops: u64,
}

/// The database file's pages: what a VACUUM could give back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageStats {
    pub page_size: u64,
    pub pages: u64,
    /// Pages no row uses (reused by later writes; only VACUUM returns them to the OS).
    pub free_pages: u64,
}

/// The sessions last seen before `?1`. Only one that started before it can be: each of those
/// costs a step down `events_session` for its newest event, the others nothing, so that the
/// daily prune inside a hook's transaction does not walk every session's events.
fn seen_before() -> String {
    format!(
        "SELECT * FROM (SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.started_at < ?1)
         WHERE last_seen < ?1"
    )
}

impl Tx<'_> {
    /// Sessions last seen at or after `since_ms`, most recent first (ties by client and id, so
    /// that the order is stable).
    pub fn sessions_seen_since(&self, since_ms: i64) -> Result<Vec<SessionRow>, StateError> {
        self.collect(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s
                 WHERE last_seen >= ?1 ORDER BY last_seen DESC, s.client, s.session_id"
            ),
            params![since_ms],
            session_row,
        )
    }

    /// Sessions last seen before `cutoff_ms`, oldest first: what pruning at that cutoff removes.
    pub fn sessions_seen_before(&self, cutoff_ms: i64) -> Result<Vec<SessionRow>, StateError> {
        self.collect(
            &format!("{} ORDER BY last_seen, client, session_id", seen_before()),
            params![cutoff_ms],
            session_row,
        )
    }

    /// The session's events counted by (class, action, decision).
    pub fn event_tally(&self, key: &SessionKey) -> Result<Vec<TallyRow>, StateError> {
        self.collect(
            "SELECT class, action, decision, count(*) FROM events
             WHERE client = ?1 AND session_id = ?2
             GROUP BY class, action, decision ORDER BY class, action, decision",
            params![key.client, key.session_id],
            |r| {
                Ok(TallyRow {
                    class: r.get(0)?,
                    action: r.get(1)?,
                    decision: r.get(2)?,
                    events: r.get::<_, i64>(3)?.max(0) as u64,
                })
            },
        )
    }

    /// The session's tool calls: events naming a tool, one per tool call id (several hooks
    /// record the same call); an event without an id counts on its own.
    pub fn tool_call_count(&self, key: &SessionKey) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "SELECT count(DISTINCT coalesce(tool_use_id, '#' || id)) FROM events
                 WHERE client = ?1 AND session_id = ?2 AND tool_name IS NOT NULL",
                params![key.client, key.session_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// The session's escalations, oldest first.
    pub fn escalations(&self, key: &SessionKey) -> Result<Vec<EscalationRow>, StateError> {
        self.collect(
            "SELECT id, ts, reason, summary, budget_spent FROM escalations
             WHERE client = ?1 AND session_id = ?2 ORDER BY id",
            params![key.client, key.session_id],
            |r| {
                Ok(EscalationRow {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    reason: r.get(2)?,
                    summary: r.get(3)?,
                    budget_spent: r.get(4)?,
                })
            },
        )
    }

    /// The session's events, oldest first, without their output excerpts and with at most
    /// `evidence_chars` characters of evidence each.
    pub fn timeline(
        &self,
        key: &SessionKey,
        evidence_chars: u32,
    ) -> Result<Vec<TimelineRow>, StateError> {
        self.collect(
            "SELECT id, ts, hook, hook_event_name, tool_name, agent_id, outcome, exit_code, class,
                    action, decision, substr(evidence, 1, ?3)
             FROM events WHERE client = ?1 AND session_id = ?2 ORDER BY id",
            params![key.client, key.session_id, evidence_chars],
            |r| {
                Ok(TimelineRow {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    hook: r.get(2)?,
                    hook_event_name: r.get(3)?,
                    tool_name: r.get(4)?,
                    agent_id: r.get(5)?,
                    outcome: r.get(6)?,
                    exit_code: r.get(7)?,
                    class: r.get(8)?,
                    action: r.get(9)?,
                    decision: r.get(10)?,
                    evidence: r.get(11)?,
                })
            },
        )
    }

    /// Calls `f` with every event the filter selects, oldest first, one row at a time (never
    /// the whole table in memory). Returns how many there were.
    pub fn each_event<E: From<StateError>>(
        &self,
        filter: EventFilter<'_>,
        mut f: impl FnMut(EventRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        // One statement per filter shape: with plans that ignore bound values (QPSG), an
        // `?1 IS NULL OR …` would never use the session index.
        let mut conditions = Vec::new();
        if filter.session.is_some() {
            conditions.push("client = ?1 AND session_id = ?2");
        }
        if filter.since_ms.is_some() {
            conditions.push("ts >= ?3");
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events{}{} ORDER BY id",
            if conditions.is_empty() { "" } else { " WHERE " },
            conditions.join(" AND ")
        );
        let mut stmt = self.tx.prepare(&sql).map_err(|e| self.err(e))?;
        let bind = |stmt: &mut rusqlite::Statement<'_>| -> rusqlite::Result<()> {
            if let Some(key) = filter.session {
                stmt.raw_bind_parameter(1, &key.client)?;
                stmt.raw_bind_parameter(2, &key.session_id)?;
            }
            if let Some(since) = filter.since_ms {
                stmt.raw_bind_parameter(3, since)?;
            }
            Ok(())
        };
        bind(&mut stmt).map_err(|e| self.err(e))?;
        let mut rows = stmt.raw_query();
        let mut n = 0;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            f(event_row(row).map_err(|e| self.err(e))?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Deletes every session last seen before `cutoff_ms`, with all its rows.
    pub fn prune_before(&self, cutoff_ms: i64) -> Result<Pruned, StateError> {
        // Events go first: a session pruned then has none, and is last seen at its start.
        let filter = format!(
            "(client, session_id) IN (SELECT client, session_id FROM ({}))",
            seen_before()
        );
        let mut removed = [0u64; SESSION_TABLES.len()];
        for (table, n) in SESSION_TABLES.iter().zip(removed.iter_mut()) {
            *n = self
                .tx
                .execute(
                    &format!("DELETE FROM {table} WHERE {filter}"),
                    params![cutoff_ms],
                )
                .map_err(|e| self.err(e))? as u64;
        }
        let sessions = self
            .tx
            .execute(
                &format!("DELETE FROM sessions WHERE {filter}"),
                params![cutoff_ms],
            )
            .map_err(|e| self.err(e))? as u64;
        let [events, budgets, files_seen, escalations, transcripts, stops] = removed;
        Ok(Pruned {
            sessions,
            events,
            budgets,
            files_seen,
            escalations,
            transcripts,
            stops,
        })
    }
}

impl Store {
    /// [`Store::read`] for work whose errors are not only the store's (writing what it reads
    /// somewhere): one read transaction, never committed.
    pub fn read_with<T, E: From<StateError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
            .map_err(|e| StateError::sqlite(&path, e))?;
        let wrapped = Tx {
            tx,
            path: &path,
            now: crate::time::now_ms(),
        };
        let value = f(&wrapped);
        drop(wrapped);
        value
    }

    /// Copies the WAL into the database and truncates it: cheap (the WAL stays small), and
    /// what a prune deleted no longer sits in the WAL file.
    pub fn checkpoint(&self) -> Result<(), StateError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| StateError::sqlite(&self.path, e))
    }

    /// Rewrites the database file without its free pages. Takes a moment and the write lock
    /// for as long: for `selfheal gc --vacuum`, never for a hook.
    pub fn vacuum(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch("VACUUM")
            .map_err(|e| StateError::sqlite(&self.path, e))
    }

    pub fn page_stats(&self) -> Result<PageStats, StateError> {
        let pragma = |name: &str| {
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as u64)
                .map_err(|e| StateError::sqlite(&self.path, e))
        };
        Ok(PageStats {
            page_size: pragma("page_size")?,
            pages: pragma("page_count")?,
            free_pages: pragma("freelist_count")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewEvent;
    use crate::time::now_ms;
    use selfheal_model::Class;

    fn temp_store(name: &str) -> (std::path::PathBuf, Store) {
        let dir = std::env::temp_dir().join(format!(
            "selfheal-state-report-{name}-{}-{}",
            std::process::id(),
            now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("state.db")).unwrap();
        (dir, store)
    }

    fn call<'a>(tool_use_id: Option<&'a str>, class: Class, decision: &'a str) -> NewEvent<'a> {
        NewEvent {
            hook: "failure-classifier",
            hook_event_name: "PostToolUse",
            tool_name: Some("Bash"),
            tool_use_id,
            class: Some(class),
            decision,
            evidence: Some("é".repeat(50)),
            ..NewEvent::default()
        }
    }

    #[test]
    fn tallies_count_calls_once_and_stream_by_filter() {
        let (dir, mut store) = temp_store("tally");
        let a = SessionKey::new("claude", "a");
        let b = SessionKey::new("codex", "b");
        store
            .write(|tx| {
                for key in [&a, &b] {
                    tx.touch_session(key, None, 30)?;
                }
                // One call seen by two hooks, one call without an id, a session start.
                tx.insert_event(&a, &call(Some("t1"), Class::F2, "context"))?;
                tx.insert_event(&a, &call(Some("t1"), Class::F3, "none"))?;
                tx.insert_event(&a, &call(None, Class::Ok, "none"))?;
                tx.insert_event(
                    &a,
                    &NewEvent {
                        hook: "budget-check",
                        hook_event_name: "SessionStart",
                        decision: "none",
                        ..NewEvent::default()
                    },
                )?;
                tx.insert_event(&b, &call(Some("t9"), Class::Ok, "none"))?;
                Ok(())
            })
            .unwrap();
        store
            .read(|tx| {
                assert_eq!(tx.tool_call_count(&a)?, 2);
                let tally = tx.event_tally(&a)?;
                assert_eq!(tally.iter().map(|t| t.events).sum::<u64>(), 4);
                assert!(tally.contains(&TallyRow {
                    class: Some("F2".into()),
                    action: None,
                    decision: "context".into(),
                    events: 1,
                }));
                let timeline = tx.timeline(&a, 10)?;
                assert_eq!(timeline.len(), 4);
                assert_eq!(
                    timeline[0].evidence.as_deref(),
                    Some("é".repeat(10).as_str())
                );
                Ok(())
            })
            .unwrap();
        let mut seen = Vec::new();
        let all = store
            .read_with(|tx| {
                tx.each_event(EventFilter::default(), |row| -> Result<(), StateError> {
                    seen.push(row.id);
                    Ok(())
                })
            })
            .unwrap();
        assert_eq!((all, seen), (5, vec![1, 2, 3, 4, 5]));
        let only_b = store
            .read_with(|tx| {
                tx.each_event(
                    EventFilter {
                        session: Some(&b),
                        since_ms: Some(0),
                    },
                    |row| {
                        assert_eq!(row.session_id, "b");
                        Ok::<(), StateError>(())
                    },
                )
            })
            .unwrap();
        assert_eq!(only_b, 1);
        let future = store
            .read_with(|tx| {
                tx.each_event(
                    EventFilter {
                        session: None,
                        since_ms: Some(now_ms() + 60_000),
                    },
                    |_| Ok::<(), StateError>(()),
                )
            })
            .unwrap();
        assert_eq!(future, 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn pruning_by_cutoff_counts_what_each_table_lost() {
        let (dir, mut store) = temp_store("prune");
        let old = SessionKey::new("claude", "old");
        let new = SessionKey::new("claude", "new");
        // Started as long ago as `old`, but seen since: its newest event keeps it.
        let long = SessionKey::new("claude", "long");
        store
            .write(|tx| {
                for key in [&old, &new, &long] {
                    tx.touch_session(key, None, 30)?;
                    tx.insert_event(key, &call(Some("t"), Class::F1, "context"))?;
                    tx.add_budget(key, selfheal_model::Budget::Retries, 1)?;
                }
                tx.insert_event(&old, &call(None, Class::Ok, "none"))?;
                tx.record_file_seen(&old, "/p/a", None, None)?;
                tx.tx
                    .execute_batch(
                        "UPDATE sessions SET started_at = started_at - 3600000
                            WHERE session_id IN ('old', 'long');
                         UPDATE events SET ts = ts - 3600000 WHERE session_id = 'old';",
                    )
                    .unwrap();
                Ok(())
            })
            .unwrap();
        let cutoff = now_ms() - 60_000;
        let (before, pruned) = store
            .write(|tx| Ok((tx.sessions_seen_before(cutoff)?, tx.prune_before(cutoff)?)))
            .unwrap();
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].session_id, "old");
        assert_eq!(
            pruned,
            Pruned {
                sessions: 1,
                events: 2,
                budgets: 1,
                files_seen: 1,
                ..Pruned::default()
            }
        );
        let left = store.read(|tx| tx.sessions_seen_since(0)).unwrap();
        let left: Vec<&str> = left.iter().map(|s| s.session_id.as_str()).collect();
        assert_eq!(left.len(), 2);
        assert!(left.contains(&"new") && left.contains(&"long"), "{left:?}");
        store.checkpoint().unwrap();
        store.vacuum().unwrap();
        assert_eq!(store.page_stats().unwrap().free_pages, 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
