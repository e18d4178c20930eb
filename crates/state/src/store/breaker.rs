//! What budget-check (the circuit breaker at Stop) reads and keeps: how far each transcript was
//! read and the tokens counted in it, the refused stops per agent, the success criteria's last
//! pass, and the session's failures that no later call resolved.

use std::collections::HashMap;

use rusqlite::params;

use super::{SessionKey, Tx};
use crate::StateError;

/// How far one transcript file was read, and what was counted in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranscriptRow {
    pub path: String,
    /// Bytes read so far: always the end of a complete line.
    pub byte_offset: u64,
    /// Tokens counted in those bytes.
    pub tokens: u64,
    /// Claude writes one line per content block of a message, each with the message's usage:
    /// the last message counted, and what was counted for it.
    pub last_message: Option<String>,
    pub last_message_tokens: u64,
}

/// The stop state of one agent of a session (`agent` = `""` for the main agent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopRow {
    pub agent: String,
    /// Stops refused so far.
    pub refusals: u64,
    /// The goal check's state (a hash) at the last refusal.
    pub fingerprint: Option<String>,
    /// The event recorded with the last refusal.
    pub refusal_event: Option<i64>,
    /// The success criteria last passed with every event up to this id recorded (main agent).
    pub passed_upto: Option<i64>,
    /// No failure of this agent's (every agent's, for the main agent) before this event is
    /// unresolved: where the next search for them starts.
    pub resolved_below: Option<i64>,
}

/// What an account of an unresolved failure shows of its event: what the call was and how it
/// failed, not the rest of the row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureRow {
    pub id: i64,
    pub ts: i64,
    pub tool_name: Option<String>,
    pub tool_use_id: Option<String>,
    pub fingerprint: Option<String>,
    pub intent: Option<String>,
    pub class: Option<String>,
    pub evidence: Option<String>,
    pub excerpt: Option<String>,
}

/// What one search for unresolved failures found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unresolved {
    /// The failures' events, newest first, at most the limit asked for.
    pub ids: Vec<i64>,
    /// What is shown of them: the newest failure per intent (per fingerprint for a call without
    /// one; a call with neither stands alone), newest first, at most the number asked for.
    pub shown: Vec<FailureRow>,
    /// Where the next search may start: no failure before this event is unresolved. `None`
    /// when the search stopped at its limit, before the events it started from.
    pub resume_from: Option<i64>,
}

impl Unresolved {
    /// Whether the search stopped at its limit, so that there may be more failures than `ids`.
    pub fn capped(&self) -> bool {
        self.resume_from.is_none() && !self.ids.is_empty()
    }
}

/// One search's unresolved failures, newest first, and where the next search may start.
struct Search {
    found: Vec<OpenFailure>,
    resume_from: Option<i64>,
}

/// An unresolved failure: its event, and what it was about (its intent, else its fingerprint).
struct OpenFailure {
    id: i64,
    what: Option<String>,
}

/// A call that ran and did what it was asked, as far as the record says: `ok`; `task` (the
/// tool worked, what is left is the work itself, which the success criteria judge); no class
/// and a success the client reported; or a class that describes the call's circumstances
/// rather than a failure of it (`F4` the wrong tool, `F5` a stale view, `F6` an answer that
/// contradicts an earlier one) when the client said it succeeded, or said nothing at
/// PostToolUse (Codex shell output). Claude's PostToolBatch rows are the calls that had no
/// hook of their own (refused edits, denied calls): they count only when they say success.
/// Never a call schema-guard denied, nor patch-verifier's finding that an edit did not land.
/// The pass at Stop decides this in Rust too (`Verdict::of`), held to this by the tests.
pub(super) const WORKED: &str = "s.hook_event_name <> 'PreToolUse' AND s.tool_name IS NOT NULL
    AND NOT (s.hook = 'patch-verifier' AND s.class IN ('F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7'))
    AND (s.class IN ('ok', 'task')
         OR (s.class IS NULL AND s.outcome = 'success')
         OR (s.class IN ('F4', 'F5', 'F6') AND (s.outcome = 'success'
             OR (coalesce(s.outcome, 'unknown') = 'unknown' AND s.hook_event_name = 'PostToolUse'))))
    AND NOT EXISTS (SELECT 1 FROM events d WHERE d.tool_use_id = s.tool_use_id
        AND d.client = s.client AND d.session_id = s.session_id
        AND d.hook_event_name = 'PreToolUse' AND d.decision = 'deny')";

/// A call that worked and is not the agent's edit-test loop: progress, for the loop check.
const SUCCEEDED: &str = "coalesce(s.class, '') <> 'task'";

/// A fault-class call that failed: the client said so; or it did not say (Codex shell output)
/// and the class means failure (`F1` no answer, `F2` a malformed call, `F3` unusable output,
/// `F7` a failing call repeated); or patch-verifier found the edit did not land as intended,
/// whatever the client said. A call schema-guard denied is none: it never ran (its refusal
/// told the agent what to do instead). The pass at Stop decides this in Rust (`Verdict::of`);
/// this query form is what the tests hold it to.
#[cfg(test)]
pub(super) const FAILED: &str = "s.hook_event_name <> 'PreToolUse' AND s.tool_name IS NOT NULL
    AND s.class IN ('F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7')
    AND (s.outcome = 'failure'
         OR (coalesce(s.outcome, 'unknown') = 'unknown' AND s.class IN ('F1', 'F2', 'F3', 'F7'))
         OR s.hook = 'patch-verifier')
    AND NOT EXISTS (SELECT 1 FROM events d WHERE d.tool_use_id = s.tool_use_id
        AND d.client = s.client AND d.session_id = s.session_id
        AND d.hook_event_name = 'PreToolUse' AND d.decision = 'deny')";

impl Tx<'_> {
    /// Every transcript read for this session.
    pub fn transcripts(&self, key: &SessionKey) -> Result<Vec<TranscriptRow>, StateError> {
        self.collect(
            "SELECT path, byte_offset, tokens, last_message, last_message_tokens
             FROM transcripts WHERE client = ?1 AND session_id = ?2 ORDER BY path",
            params![key.client, key.session_id],
            |r| {
                Ok(TranscriptRow {
                    path: r.get(0)?,
                    byte_offset: r.get::<_, i64>(1)?.max(0) as u64,
                    tokens: r.get::<_, i64>(2)?.max(0) as u64,
                    last_message: r.get(3)?,
                    last_message_tokens: r.get::<_, i64>(4)?.max(0) as u64,
                })
            },
        )
    }

    /// Stores what was read of a transcript from offset `from` on, unless another process
    /// stored a later reading meanwhile (its offset is no longer `from`): then that one stays,
    /// and nothing is counted twice. Returns whether this reading was stored.
    pub fn advance_transcript(
        &self,
        key: &SessionKey,
        from: u64,
        row: &TranscriptRow,
    ) -> Result<bool, StateError> {
        self.tx
            .execute(
                "INSERT INTO transcripts (client, session_id, path, byte_offset, tokens,
                    last_message, last_message_tokens)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT DO UPDATE SET byte_offset = excluded.byte_offset,
                    tokens = excluded.tokens, last_message = excluded.last_message,
                    last_message_tokens = excluded.last_message_tokens
                 WHERE transcripts.byte_offset = ?8",
                params![
                    key.client,
                    key.session_id,
                    row.path,
                    row.byte_offset as i64,
                    row.tokens as i64,
                    row.last_message,
                    row.last_message_tokens as i64,
                    from as i64
                ],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The tokens counted over all of the session's transcripts.
    pub fn transcript_tokens(&self, key: &SessionKey) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "SELECT coalesce(sum(tokens), 0) FROM transcripts
                 WHERE client = ?1 AND session_id = ?2",
                params![key.client, key.session_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// The stop state of one agent (`""` = the main agent); all zero when it has none yet.
    pub fn stop_state(&self, key: &SessionKey, agent: &str) -> Result<StopRow, StateError> {
        Ok(self
            .stop_rows(key)?
            .into_iter()
            .find(|r| r.agent == agent)
            .unwrap_or_else(|| StopRow {
                agent: agent.to_owned(),
                ..StopRow::default()
            }))
    }

    /// Stops refused in the whole session, every agent together.
    pub fn stop_refusals(&self, key: &SessionKey) -> Result<u64, StateError> {
        Ok(self.stop_rows(key)?.iter().map(|r| r.refusals).sum())
    }

    /// Every agent's stop state in the session: a few rows, from one statement that a Stop
    /// prepares once for all its questions about them.
    fn stop_rows(&self, key: &SessionKey) -> Result<Vec<StopRow>, StateError> {
        self.collect(
            "SELECT agent, refusals, fingerprint, refusal_event, passed_upto, resolved_below
             FROM stops WHERE client = ?1 AND session_id = ?2",
            params![key.client, key.session_id],
            |r| {
                Ok(StopRow {
                    agent: r.get(0)?,
                    refusals: r.get::<_, i64>(1)?.max(0) as u64,
                    fingerprint: r.get(2)?,
                    refusal_event: r.get(3)?,
                    passed_upto: r.get(4)?,
                    resolved_below: r.get(5)?,
                })
            },
        )
    }

    /// Counts a refused stop of `agent`, with the goal check's state and the event recorded
    /// for it. Returns the agent's refusals so far.
    pub fn record_refusal(
        &self,
        key: &SessionKey,
        agent: &str,
        fingerprint: &str,
        event_id: i64,
    ) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "INSERT INTO stops (client, session_id, agent, refusals, fingerprint, refusal_event)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5)
                 ON CONFLICT DO UPDATE SET refusals = refusals + 1,
                    fingerprint = excluded.fingerprint, refusal_event = excluded.refusal_event
                 RETURNING refusals",
                params![key.client, key.session_id, agent, fingerprint, event_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// Remembers that the success criteria passed with every event up to `upto` recorded
    /// (`None`: they failed, or were not run).
    pub fn set_criteria_passed(
        &self,
        key: &SessionKey,
        upto: Option<i64>,
    ) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO stops (client, session_id, agent, passed_upto) VALUES (?1, ?2, '', ?3)
                 ON CONFLICT DO UPDATE SET passed_upto = excluded.passed_upto",
                params![key.client, key.session_id, upto],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Remembers where the next search for `agent`'s unresolved failures may start
    /// (`Unresolved::resume_from`).
    pub fn set_resolved_below(
        &self,
        key: &SessionKey,
        agent: &str,
        id: i64,
    ) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO stops (client, session_id, agent, resolved_below)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET resolved_below = excluded.resolved_below",
                params![key.client, key.session_id, agent, id],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The id of the session's latest event (0 when it has none).
    pub fn last_event_id(&self, key: &SessionKey) -> Result<i64, StateError> {
        self.tx
            .query_row(
                "SELECT coalesce(max(id), 0) FROM events WHERE client = ?1 AND session_id = ?2",
                params![key.client, key.session_id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Tool calls after event `after` that may have changed something (not known read-only).
    pub fn changes_since(&self, key: &SessionKey, after: i64) -> Result<u64, StateError> {
        self.count(
            "SELECT count(*) FROM events s WHERE s.client = ?1 AND s.session_id = ?2 AND s.id > ?3
                AND s.tool_name IS NOT NULL AND s.hook_event_name <> 'PreToolUse'
                AND coalesce(s.read_only, 0) = 0",
            params![key.client, key.session_id, after],
        )
    }

    /// Tool calls after event `after` that succeeded outright, by `agent` when given.
    pub fn successes_since(
        &self,
        key: &SessionKey,
        agent: Option<&str>,
        after: i64,
    ) -> Result<u64, StateError> {
        self.count(
            &format!(
                "SELECT count(*) FROM events s WHERE s.client = ?1 AND s.session_id = ?2
                    AND s.id > ?3 AND (?4 IS NULL OR s.agent_id = ?4) AND {WORKED}
                    AND {SUCCEEDED}"
            ),
            params![key.client, key.session_id, after, agent],
        )
    }

    /// The session's failures that no later call resolved, newest first, at most `limit`;
    /// only those of `agent` when given.
    ///
    /// A failure (see `FAILED`) is resolved by a later, different call that worked (see
    /// `WORKED`) with the same fingerprint (the same call again) or the same intent (the same
    /// file, the same program); an `F4` (the wrong tool) by any later call that worked, since
    /// its cure is another tool.
    pub fn unresolved_failures(
        &self,
        key: &SessionKey,
        agent: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FailureRow>, StateError> {
        let search = self.search_unresolved(key, agent, limit, 0)?;
        let ids: Vec<i64> = search.found.iter().map(|f| f.id).collect();
        self.failure_rows(&ids)
    }

    /// [`Tx::unresolved_failures`] among the events from `from` on, for a caller that knows no
    /// earlier failure is unresolved (a previous search's `resume_from`), with whole rows for
    /// at most `shown` of them (see [`Unresolved::shown`]). A failure once resolved stays so:
    /// later events only add calls that worked. (A call is denied by a PreToolUse before it
    /// runs, so a denial never comes after the rows it voids.)
    pub fn unresolved_failures_from(
        &self,
        key: &SessionKey,
        agent: Option<&str>,
        limit: u32,
        shown: usize,
        from: i64,
    ) -> Result<Unresolved, StateError> {
        let search = self.search_unresolved(key, agent, limit, from)?;
        let mut seen: Vec<&str> = Vec::new();
        let mut chosen = Vec::new();
        for f in &search.found {
            if chosen.len() == shown {
                break;
            }
            match f.what.as_deref() {
                Some(what) if seen.contains(&what) => continue,
                Some(what) => seen.push(what),
                None => {}
            }
            chosen.push(f.id);
        }
        Ok(Unresolved {
            shown: self.failure_rows(&chosen)?,
            ids: search.found.iter().map(|f| f.id).collect(),
            resume_from: search.resume_from,
        })
    }

    /// The unresolved failures from event `from` on, newest first, at most `limit`, and where
    /// the next search may start ([`Unresolved::resume_from`]).
    ///
    /// One pass, newest first, so that what worked later is known when each failure is
    /// reached: a query asking that of every failure scanned the later events once per
    /// failure, quadratic in the session's length (8 ms at Stop for 150 failures).
    fn search_unresolved(
        &self,
        key: &SessionKey,
        agent: Option<&str>,
        limit: u32,
        from: i64,
    ) -> Result<Search, StateError> {
        // Only the columns that decide, and whether schema-guard denied the call; the verdict
        // is `Verdict::of` (what `FAILED` and `WORKED` say). Preparing a statement with every
        // column and both definitions cost more than the pass itself, at every Stop.
        const PASS: &str = "SELECT s.id, s.tool_use_id, s.agent_id, s.fingerprint, s.intent,
                s.class, s.outcome, s.hook, s.hook_event_name,
                EXISTS (SELECT 1 FROM events d WHERE d.tool_use_id = s.tool_use_id
                    AND d.client = s.client AND d.session_id = s.session_id
                    AND d.hook_event_name = 'PreToolUse' AND d.decision = 'deny')
             FROM events s
             WHERE s.client = ?1 AND s.session_id = ?2 AND s.id >= ?3
               AND s.tool_name IS NOT NULL AND s.hook_event_name <> 'PreToolUse'
             ORDER BY s.id DESC";
        let pass = || -> rusqlite::Result<Search> {
            let mut stmt = self.tx.prepare_cached(PASS)?;
            let mut rows = stmt.query(params![key.client, key.session_id, from])?;
            let mut later = LaterWorked::default();
            let mut unresolved = Vec::new();
            let mut newest = None;
            let mut complete = false;
            while unresolved.len() < limit as usize {
                let Some(r) = rows.next()? else {
                    complete = true;
                    break;
                };
                let id: i64 = r.get(0)?;
                newest.get_or_insert(id);
                // Borrowed from the row: most rows are read and passed over.
                let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str_or_null()?));
                let call = text(1)?;
                let fingerprint = text(3)?;
                let intent = text(4)?;
                let class = text(5)?;
                let verdict = Verdict::of(
                    class,
                    text(6)?,
                    r.get_ref(7)?.as_str()?,
                    r.get_ref(8)?.as_str()?,
                    r.get(9)?,
                );
                match verdict {
                    Some(Verdict::Failed) => {
                        let agent_id = text(2)?;
                        let mine = agent.is_none_or(|a| agent_id == Some(a));
                        if mine && !later.resolves(call, fingerprint, intent, class == Some("F4")) {
                            unresolved.push(OpenFailure {
                                id,
                                what: intent.or(fingerprint).map(str::to_owned),
                            });
                        }
                    }
                    Some(Verdict::Worked) => later.add(call, fingerprint, intent),
                    None => {}
                }
            }
            // The oldest failure still open, else past the newest call read.
            let resume_from = complete.then(|| {
                unresolved
                    .last()
                    .map(|f| f.id)
                    .or(newest.map(|id| id + 1))
                    .unwrap_or(from)
            });
            Ok(Search {
                found: unresolved,
                resume_from,
            })
        };
        pass().map_err(|e| self.err(e))
    }

    /// These events as failures are shown, in this order.
    fn failure_rows(&self, ids: &[i64]) -> Result<Vec<FailureRow>, StateError> {
        // Only for what is reported: a few, often none.
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let fetch = || -> rusqlite::Result<Vec<FailureRow>> {
            let mut row = self.tx.prepare_cached(
                "SELECT ts, tool_name, tool_use_id, fingerprint, intent, class, evidence, excerpt
                 FROM events WHERE id = ?1",
            )?;
            ids.iter()
                .map(|&id| {
                    row.query_row([id], |r| {
                        Ok(FailureRow {
                            id,
                            ts: r.get(0)?,
                            tool_name: r.get(1)?,
                            tool_use_id: r.get(2)?,
                            fingerprint: r.get(3)?,
                            intent: r.get(4)?,
                            class: r.get(5)?,
                            evidence: r.get(6)?,
                            excerpt: r.get(7)?,
                        })
                    })
                })
                .collect()
        };
        fetch().map_err(|e| self.err(e))
    }

    /// How often each recovery action was given in the session (`stop` counts refused stops
    /// as recorded with their events), most used first.
    pub fn action_counts(&self, key: &SessionKey) -> Result<Vec<(String, u64)>, StateError> {
        self.collect(
            "SELECT action, count(*) AS n FROM events
             WHERE client = ?1 AND session_id = ?2 AND action IS NOT NULL
             GROUP BY action ORDER BY n DESC, action",
            params![key.client, key.session_id],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
        )
    }

    /// The reasons of the session's escalations, oldest first.
    pub fn escalation_reasons(&self, key: &SessionKey) -> Result<Vec<String>, StateError> {
        self.collect(
            "SELECT reason FROM escalations WHERE client = ?1 AND session_id = ?2 ORDER BY id",
            params![key.client, key.session_id],
            |r| r.get(0),
        )
    }

    fn count(&self, sql: &str, params: impl rusqlite::Params) -> Result<u64, StateError> {
        self.tx
            .query_row(sql, params, |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }
}

/// What [`Tx::unresolved_failures`] makes of a tool call past PreToolUse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Failed,
    Worked,
}

impl Verdict {
    /// `FAILED` and `WORKED` (which exclude each other) for one call, given whether
    /// schema-guard denied it; `None` for neither. The test
    /// `unresolved_failures_agree_with_their_definition_as_a_query` holds the two together.
    fn of(
        class: Option<&str>,
        outcome: Option<&str>,
        hook: &str,
        hook_event_name: &str,
        denied: bool,
    ) -> Option<Verdict> {
        if denied {
            return None;
        }
        let fault = matches!(class, Some("F1" | "F2" | "F3" | "F4" | "F5" | "F6" | "F7"));
        let outcome = outcome.unwrap_or("unknown");
        let verifier = hook == "patch-verifier";
        let failed = fault
            && (outcome == "failure"
                || (outcome == "unknown" && matches!(class, Some("F1" | "F2" | "F3" | "F7")))
                || verifier);
        if failed {
            return Some(Verdict::Failed);
        }
        // As SQL has it: a verifier's row without a class is not known to be no fault.
        let no_verifier_fault = !verifier || class.is_some_and(|_| !fault);
        let worked = no_verifier_fault
            && match class {
                Some("ok" | "task") => true,
                None => outcome == "success",
                Some("F4" | "F5" | "F6") => {
                    outcome == "success"
                        || (outcome == "unknown" && hook_event_name == "PostToolUse")
                }
                Some(_) => false,
            };
        worked.then_some(Verdict::Worked)
    }
}

/// The calls that worked after the point a newest-first pass has reached, as far as resolving
/// a failure needs them.
#[derive(Default)]
struct LaterWorked {
    by_fingerprint: HashMap<String, Calls>,
    by_intent: HashMap<String, Calls>,
    any: Option<Calls>,
}

impl LaterWorked {
    fn add(&mut self, call: Option<&str>, fingerprint: Option<&str>, intent: Option<&str>) {
        for (map, key) in [
            (&mut self.by_fingerprint, fingerprint),
            (&mut self.by_intent, intent),
        ] {
            let Some(key) = key else { continue };
            match map.get_mut(key) {
                Some(calls) => calls.add(call),
                None => {
                    let mut calls = Calls::None;
                    calls.add(call);
                    map.insert(key.to_owned(), calls);
                }
            }
        }
        Calls::add(self.any.get_or_insert(Calls::None), call);
    }

    /// Whether a later call other than `call` worked with the same fingerprint or intent
    /// (any later call, for an `F4`).
    fn resolves(
        &self,
        call: Option<&str>,
        fingerprint: Option<&str>,
        intent: Option<&str>,
        any: bool,
    ) -> bool {
        let other = |calls: Option<&Calls>| calls.is_some_and(|c| c.other_than(call));
        other(fingerprint.and_then(|f| self.by_fingerprint.get(f)))
            || other(intent.and_then(|i| self.by_intent.get(i)))
            || (any && other(self.any.as_ref()))
    }
}

/// Later calls that worked, as far as "another call than this one" needs them.
enum Calls {
    None,
    /// All of them had this tool-use id.
    One(String),
    /// Calls of different ids, or one without an id: another call than any.
    Others,
}

impl Calls {
    fn add(&mut self, call: Option<&str>) {
        *self = match (std::mem::replace(self, Calls::None), call) {
            (Calls::None, Some(id)) => Calls::One(id.to_owned()),
            (Calls::One(same), Some(id)) if same == id => Calls::One(same),
            _ => Calls::Others,
        };
    }

    fn other_than(&self, call: Option<&str>) -> bool {
        match (self, call) {
            (Calls::None, _) => false,
            (Calls::One(id), Some(call)) => id != call,
            _ => true,
        }
    }
}
