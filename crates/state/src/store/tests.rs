use std::os::unix::fs::PermissionsExt;

use super::*;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "selfheal-state-{name}-{}-{}",
            std::process::id(),
            now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key() -> SessionKey {
    SessionKey::new("claude", "s1")
}

fn event(hook_event_name: &str) -> NewEvent<'_> {
    NewEvent {
        hook: "failure-classifier",
        hook_event_name,
        decision: "none",
        ..NewEvent::default()
    }
}

#[test]
fn creates_private_directory_and_file_with_the_current_schema() {
    let tmp = TempDir::new("create");
    let path = tmp.0.join("nested/selfheal/state.db");
    let store = Store::open(&path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(store.schema_version().unwrap(), schema::VERSION);
    let journal: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");

    drop(store);
    // Reopening runs no DDL: the schema is already there.
    Store::open(&path).unwrap();
}

#[test]
fn events_budgets_and_files_round_trip() {
    let tmp = TempDir::new("roundtrip");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    store
        .write(|tx| {
            tx.touch_session(&key(), Some("/p"), 30)?;
            let id = tx.insert_event(
                &key(),
                &NewEvent {
                    tool_name: Some("Bash"),
                    class: Some(Class::F1),
                    action: Some(Action::Retry),
                    decision: "context",
                    exit_code: Some(7),
                    ..event("PostToolUseFailure")
                },
            )?;
            assert_eq!(tx.add_budget(&key(), Budget::Retries, 1)?, 1);
            assert_eq!(tx.add_budget(&key(), Budget::Retries, 2)?, 3);
            tx.set_budget(&key(), Budget::CostTokens, 1234)?;
            tx.record_file_seen(&key(), "/p/a.rs", Some("abc"), Some(id))?;
            Ok(())
        })
        .unwrap();
    store
        .read(|tx| {
            let events = tx.events(&key(), 10)?;
            assert_eq!(events.len(), 1);
            assert_eq!(events[0].class.as_deref(), Some("F1"));
            assert_eq!(events[0].action.as_deref(), Some("retry"));
            assert_eq!(events[0].exit_code, Some(7));
            let usage = tx.budget_usage(&key())?;
            assert_eq!(usage.get(Budget::Retries), 3);
            assert_eq!(usage.get(Budget::CostTokens), 1234);
            let seen = tx.file_seen(&key(), "/p/a.rs")?.unwrap();
            assert_eq!(seen.content_hash.as_deref(), Some("abc"));
            assert_eq!(
                tx.session(&key())?.unwrap().project_root.as_deref(),
                Some("/p")
            );
            // The same id under the other client is another session.
            assert!(tx.events(&SessionKey::new("codex", "s1"), 10)?.is_empty());
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let tmp = TempDir::new("rollback");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let result: Result<(), StateError> = store.write(|tx| {
        tx.touch_session(&key(), None, 30)?;
        tx.insert_event(&key(), &event("Stop"))?;
        Err(StateError::NoPath)
    });
    assert!(result.is_err());
    store
        .read(|tx| {
            assert!(tx.session(&key())?.is_none());
            assert!(tx.events(&key(), 10)?.is_empty());
            Ok(())
        })
        .unwrap();
}

#[test]
fn concurrent_writers_lose_no_update() {
    let tmp = TempDir::new("concurrent");
    let path = tmp.0.join("state.db");
    Store::open(&path).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for _ in 0..50 {
                    store
                        .write(|tx| {
                            tx.touch_session(&key(), None, 30)?;
                            tx.insert_event(&key(), &event("PostToolUse"))?;
                            tx.add_budget(&key(), Budget::Retries, 1)?;
                            Ok(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    store
        .read(|tx| {
            assert_eq!(tx.budget_usage(&key())?.get(Budget::Retries), 400);
            assert_eq!(tx.events(&key(), 1000)?.len(), 400);
            Ok(())
        })
        .unwrap();
    assert!(store.integrity_ok().unwrap());
}

#[test]
fn a_corrupt_file_is_moved_aside_and_replaced() {
    let tmp = TempDir::new("corrupt");
    let path = tmp.0.join("state.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let store = Store::open(&path).unwrap();
    let Some(StateError::Corrupt {
        moved_to: Some(moved),
        ..
    }) = store.recovered()
    else {
        panic!(
            "expected a recovery, got {:?}",
            store.recovered().map(|e| e.to_string())
        );
    };
    assert_eq!(
        std::fs::read(moved).unwrap(),
        vec![0x5a; 8192],
        "kept as it was"
    );
    assert_eq!(store.schema_version().unwrap(), schema::VERSION);
}

#[test]
fn a_newer_schema_is_refused_not_rewritten() {
    let tmp = TempDir::new("newer");
    let path = tmp.0.join("state.db");
    Store::open(&path).unwrap();
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert!(matches!(
        Store::open(&path),
        Err(StateError::NewerSchema { found: 99, .. })
    ));
}

#[test]
fn a_held_write_lock_turns_into_busy_after_the_timeout() {
    let tmp = TempDir::new("busy");
    let path = tmp.0.join("state.db");
    Store::open(&path).unwrap();
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut store = Store::open(&path).unwrap();
    let result = store.write(|tx| tx.touch_session(&key(), None, 30));
    assert!(matches!(result, Err(StateError::Busy { .. })), "{result:?}");
    holder.execute_batch("ROLLBACK").unwrap();
    store
        .write(|tx| tx.touch_session(&key(), None, 30))
        .unwrap();
}

#[test]
fn old_sessions_are_pruned_once_a_day() {
    let tmp = TempDir::new("prune");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let old = SessionKey::new("codex", "old");
    store
        .write(|tx| {
            tx.touch_session(&old, None, 30)?;
            tx.insert_event(&old, &event("Stop"))?;
            Ok(())
        })
        .unwrap();
    store
        .conn
        .execute_batch(
            "UPDATE sessions SET started_at = started_at - 31 * 86400000;
             UPDATE events SET ts = ts - 31 * 86400000;",
        )
        .unwrap();
    // The first new session already pruned (nothing was old then) and set the next run a day
    // ahead, so a second new session does not prune.
    store
        .write(|tx| tx.touch_session(&key(), None, 30).map(drop))
        .unwrap();
    assert!(store.read(|tx| tx.session(&old)).unwrap().is_some());
    store
        .conn
        .execute(
            "UPDATE meta SET value = '0' WHERE key = 'next_prune_at'",
            [],
        )
        .unwrap();
    store
        .write(|tx| {
            tx.touch_session(&SessionKey::new("claude", "s2"), None, 30)
                .map(drop)
        })
        .unwrap();
    store
        .read(|tx| {
            assert!(tx.session(&old)?.is_none());
            assert!(tx.events(&old, 10)?.is_empty());
            assert!(tx.session(&key())?.is_some());
            Ok(())
        })
        .unwrap();
}

#[test]
fn reset_forgets_one_session_only() {
    let tmp = TempDir::new("reset");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let other = SessionKey::new("claude", "s2");
    store
        .write(|tx| {
            for k in [&key(), &other] {
                tx.touch_session(k, None, 30)?;
                tx.insert_event(k, &event("Stop"))?;
                tx.add_budget(k, Budget::Replans, 1)?;
            }
            assert_eq!(tx.delete_session(&key())?, 3);
            Ok(())
        })
        .unwrap();
    store
        .read(|tx| {
            assert!(tx.session(&key())?.is_none());
            assert_eq!(tx.events(&other, 10)?.len(), 1);
            Ok(())
        })
        .unwrap();
}

#[test]
fn failures_are_counted_by_fingerprint() {
    let tmp = TempDir::new("failures");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let with = |name, outcome, class| NewEvent {
        fingerprint: Some("fp".into()),
        outcome: Some(outcome),
        class,
        ..event(name)
    };
    let count = store
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            tx.insert_event(&key(), &with("PreToolUse", "unknown", None))?;
            tx.insert_event(&key(), &with("PostToolUseFailure", "failure", None))?;
            tx.insert_event(&key(), &with("PostToolUse", "unknown", Some(Class::F2)))?;
            tx.insert_event(&key(), &with("PostToolUse", "success", Some(Class::Ok)))?;
            tx.failure_count(&key(), "fp")
        })
        .unwrap();
    assert_eq!(count, 2);
}

#[test]
fn a_version_one_database_is_migrated() {
    let tmp = TempDir::new("migrate");
    let path = tmp.0.join("state.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::VERSION);
    let index: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'events_fingerprint'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);
}

#[test]
fn the_wal_stays_small_across_many_short_lived_writers() {
    let tmp = TempDir::new("walsize");
    let path = tmp.0.join("state.db");
    for _ in 0..200 {
        let mut store = Store::open(&path).unwrap();
        store
            .write(|tx| {
                tx.touch_session(&key(), None, 30)?;
                tx.insert_event(&key(), &event("PostToolUse")).map(drop)
            })
            .unwrap();
    }
    // Checkpointed and truncated by the writer that finds it past the limit: never more than
    // the limit plus one transaction, whatever the number of writers.
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    assert!(wal > 0, "the WAL is kept between writers");
    assert!(
        wal <= super::WAL_CHECKPOINT_BYTES + 16 * 4120,
        "WAL grew to {wal} bytes"
    );
}

#[test]
fn read_only_open_creates_nothing_and_sees_committed_rows() {
    let tmp = TempDir::new("readonly");
    let path = tmp.0.join("state.db");
    assert!(Store::open_read_only(&path).unwrap().is_none());
    assert!(!path.exists(), "a read never creates the database");
    let mut writer = Store::open(&path).unwrap();
    writer
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            tx.add_budget(&key(), Budget::Retries, 2).map(drop)
        })
        .unwrap();
    let mut reader = Store::open_read_only(&path).unwrap().unwrap();
    let used = reader.read(|tx| tx.budget_usage(&key())).unwrap();
    assert_eq!(used.get(Budget::Retries), 2);
    assert!(reader
        .write(|tx| tx.add_budget(&key(), Budget::Retries, 1))
        .is_err());
}

#[test]
fn a_version_three_database_is_migrated_to_what_budget_check_keeps() {
    let tmp = TempDir::new("migrate-v3");
    let path = tmp.0.join("state.db");
    {
        let conn = Connection::open(&path).unwrap();
        for m in &schema::MIGRATIONS[..3] {
            conn.execute_batch(m).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO sessions (client, session_id, started_at, last_seen)
             VALUES ('claude', 's1', 1, 7);
             INSERT INTO events (client, session_id, ts, hook, hook_event_name, decision)
             VALUES ('claude', 's1', 7, 'budget-check', 'Stop', 'none');",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::VERSION);
    let names = |sql: &str| -> Vec<String> {
        let mut stmt = store.conn.prepare(sql).unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    };
    let indexes =
        names("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'");
    // Denials are looked up through their own index; by call id alone, nothing is.
    assert!(indexes.contains(&"events_denied".to_owned()), "{indexes:?}");
    assert!(
        !indexes.contains(&"events_tool_use".to_owned()),
        "{indexes:?}"
    );
    // When a session was last seen is its newest event's time, not a column.
    let columns = names("SELECT name FROM pragma_table_info('sessions')");
    assert!(!columns.contains(&"last_seen".to_owned()), "{columns:?}");
    store
        .write(|tx| {
            let old = tx.events(&key(), 10)?;
            assert_eq!(old.len(), 1);
            assert_eq!(old[0].intent, None, "rows from before keep no intent");
            assert!(tx.transcripts(&key())?.is_empty());
            assert_eq!(tx.stop_state(&key(), "")?, StopRow::default());
            let session = tx.session(&key())?.unwrap();
            assert_eq!((session.started_at, session.last_seen), (1, 7));
            Ok(())
        })
        .unwrap();
}

/// Every hook touches its session: for one that exists that must write nothing (a page in
/// every commit), unless the session learns its project root.
#[test]
fn touching_a_known_session_writes_nothing_and_it_is_last_seen_at_its_newest_event() {
    let tmp = TempDir::new("touch");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    store
        .write(|tx| tx.touch_session(&key(), None, 30))
        .unwrap();
    let unseen = store.read(|tx| tx.session(&key())).unwrap().unwrap();
    assert_eq!(
        unseen.last_seen, unseen.started_at,
        "no event yet: its start"
    );
    store
        .write(|tx| {
            tx.touch_session(&key(), Some("/p"), 30)?;
            tx.insert_event(&key(), &event("Stop")).map(drop)
        })
        .unwrap();
    store
        .conn
        .execute("UPDATE events SET ts = ts + 5000", [])
        .unwrap();
    let before = store.conn.total_changes();
    store
        .write(|tx| tx.touch_session(&key(), Some("/elsewhere"), 30))
        .unwrap();
    assert_eq!(store.conn.total_changes(), before, "no row changed");
    let seen = store.read(|tx| tx.session(&key())).unwrap().unwrap();
    assert_eq!(seen.project_root.as_deref(), Some("/p"));
    assert_eq!(seen.started_at, unseen.started_at);
    assert!(seen.last_seen >= seen.started_at + 5000, "{seen:?}");
}

fn call<'a>(
    name: &'a str,
    outcome: &'a str,
    class: Option<Class>,
    fingerprint: &str,
    intent: &str,
    tool_use_id: &'a str,
) -> NewEvent<'a> {
    NewEvent {
        tool_name: Some("Bash"),
        tool_use_id: Some(tool_use_id),
        fingerprint: Some(fingerprint.into()),
        intent: Some(intent.into()),
        outcome: Some(outcome),
        class,
        ..event(name)
    }
}

#[test]
fn failures_stay_unresolved_until_a_later_call_of_the_same_intent_works() {
    let tmp = TempDir::new("unresolved");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let unresolved = |store: &mut Store| -> Vec<String> {
        store
            .read(|tx| tx.unresolved_failures(&key(), None, 10))
            .unwrap()
            .into_iter()
            .map(|r| r.tool_use_id.unwrap())
            .collect()
    };
    store
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            // A refused call never ran; a successful heredoc write (F4) and a changed answer
            // (F6) are no failures; Codex's unknown outcome is one for F1.
            // The agent's edit-test loop (`task`) is no fault.
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUseFailure",
                    "failure",
                    Some(Class::Task),
                    "t",
                    "run:cargo test",
                    "t1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PreToolUse",
                    "unknown",
                    Some(Class::F2),
                    "a",
                    "run:vim",
                    "p1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUse",
                    "success",
                    Some(Class::F4),
                    "b",
                    "run:cat",
                    "w1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUse",
                    "unknown",
                    Some(Class::F6),
                    "c",
                    "run:git status",
                    "q1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUse",
                    "unknown",
                    Some(Class::F1),
                    "d",
                    "run:curl",
                    "c1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUseFailure",
                    "failure",
                    Some(Class::F2),
                    "e",
                    "run:git log",
                    "g1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUseFailure",
                    "failure",
                    Some(Class::F4),
                    "f",
                    "run:fd",
                    "f1",
                ),
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(unresolved(&mut store), ["f1", "g1", "c1"]);
    store
        .write(|tx| {
            // A call schema-guard denied never ran: what the batch says of it counts neither
            // as a failure nor as a success.
            tx.insert_event(
                &key(),
                &NewEvent {
                    decision: "deny",
                    ..call(
                        "PreToolUse",
                        "unknown",
                        Some(Class::F7),
                        "d",
                        "run:curl",
                        "d1",
                    )
                },
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolBatch",
                    "unknown",
                    Some(Class::F4),
                    "d",
                    "run:curl",
                    "d1",
                ),
            )?;
            tx.insert_event(
                &key(),
                &call(
                    "PostToolBatch",
                    "unknown",
                    Some(Class::F2),
                    "d",
                    "run:curl",
                    "d1",
                ),
            )?;
            // The same call recorded again by another hook is not a later success.
            tx.insert_event(
                &key(),
                &call("PostToolUse", "success", None, "d", "run:curl", "c1"),
            )?;
            // Argument repair: the same program, other arguments. It also cures the F4: a call
            // that works after the wrong tool is taken for the other tool.
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUse",
                    "success",
                    Some(Class::Ok),
                    "e2",
                    "run:git log",
                    "g2",
                ),
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(unresolved(&mut store), ["c1"]);
    store
        .write(|tx| {
            // The curl answers now (the classifier may call the changed answer F6).
            tx.insert_event(
                &key(),
                &call(
                    "PostToolUse",
                    "unknown",
                    Some(Class::F6),
                    "d",
                    "run:curl",
                    "c2",
                ),
            )?;
            Ok(())
        })
        .unwrap();
    assert!(unresolved(&mut store).is_empty());
}

#[test]
fn a_patch_verifier_finding_is_a_failure_whatever_the_client_said() {
    let tmp = TempDir::new("verifier");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let ids = store
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            let edit = |hook, class| NewEvent {
                hook,
                tool_name: Some("Edit"),
                tool_use_id: Some("e1"),
                fingerprint: Some("x".into()),
                intent: Some("file:/p/a.rs".into()),
                outcome: Some("success"),
                class,
                agent_id: Some("sub"),
                ..event("PostToolUse")
            };
            tx.insert_event(&key(), &edit("patch-verifier", Some(Class::F3)))?;
            // The classifier's row of the same call, written after it, resolves nothing.
            tx.insert_event(&key(), &edit("failure-classifier", Some(Class::Ok)))?;
            let all = tx.unresolved_failures(&key(), None, 10)?;
            let mine = tx.unresolved_failures(&key(), Some("sub"), 10)?;
            let others = tx.unresolved_failures(&key(), Some("other"), 10)?;
            Ok((all.len(), mine.len(), others.len()))
        })
        .unwrap();
    assert_eq!(ids, (1, 1, 0));
}

#[test]
fn a_transcript_reading_is_stored_only_over_the_offset_it_started_from() {
    let tmp = TempDir::new("transcripts");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let row = |offset, tokens| TranscriptRow {
        path: "/t.jsonl".into(),
        byte_offset: offset,
        tokens,
        last_message: Some("m".into()),
        last_message_tokens: 5,
    };
    store
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            assert!(tx.advance_transcript(&key(), 0, &row(100, 10))?);
            // A second reader that also started at 0 lost the race: nothing counted twice.
            assert!(!tx.advance_transcript(&key(), 0, &row(100, 10))?);
            assert!(tx.advance_transcript(&key(), 100, &row(250, 30))?);
            let other = TranscriptRow {
                path: "/sub.jsonl".into(),
                ..row(10, 7)
            };
            assert!(tx.advance_transcript(&key(), 0, &other)?);
            assert_eq!(tx.transcript_tokens(&key())?, 37);
            assert_eq!(tx.transcripts(&key())?[1], row(250, 30));
            Ok(())
        })
        .unwrap();
}

#[test]
fn refusals_count_per_agent_and_for_the_session() {
    let tmp = TempDir::new("stops");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    store
        .write(|tx| {
            tx.touch_session(&key(), None, 30)?;
            assert_eq!(tx.record_refusal(&key(), "", "fp1", 3)?, 1);
            assert_eq!(tx.record_refusal(&key(), "", "fp2", 5)?, 2);
            assert_eq!(tx.record_refusal(&key(), "agent-a", "fp3", 6)?, 1);
            tx.set_criteria_passed(&key(), Some(4))?;
            assert_eq!(tx.stop_refusals(&key())?, 3);
            let main = tx.stop_state(&key(), "")?;
            assert_eq!(
                (
                    main.refusals,
                    main.fingerprint.as_deref(),
                    main.refusal_event,
                    main.passed_upto
                ),
                (2, Some("fp2"), Some(5), Some(4))
            );
            // Rows after event 4: one read-only call (no change), one write.
            let ran = |ro: bool| NewEvent {
                tool_name: Some("Bash"),
                read_only: Some(ro),
                outcome: Some("success"),
                class: Some(Class::Ok),
                ..event("PostToolUse")
            };
            for _ in 0..4 {
                tx.insert_event(&key(), &event("Stop"))?;
            }
            tx.insert_event(&key(), &ran(true))?;
            assert_eq!(tx.changes_since(&key(), 4)?, 0);
            assert_eq!(tx.successes_since(&key(), None, 4)?, 1);
            assert_eq!(tx.successes_since(&key(), Some("agent-a"), 4)?, 0);
            tx.insert_event(&key(), &ran(false))?;
            assert_eq!(tx.changes_since(&key(), 4)?, 1);
            assert_eq!(tx.last_event_id(&key())?, 6);
            assert_eq!(tx.delete_session(&key())?, 6 + 2 + 1);
            Ok(())
        })
        .unwrap();
}

/// Random tool events mixing every class, outcome, hook and event, repeated tool-use ids,
/// fingerprints, intents, agents and denied calls (a fixed seed: the same sessions each run).
struct RandomEvents {
    seed: u64,
    /// Ids for a denial that comes before every row of its call, as the clients have it.
    denied: Vec<String>,
}

impl RandomEvents {
    const CLASSES: [Option<Class>; 10] = [
        None,
        Some(Class::Ok),
        Some(Class::Task),
        Some(Class::F1),
        Some(Class::F2),
        Some(Class::F3),
        Some(Class::F4),
        Some(Class::F5),
        Some(Class::F6),
        Some(Class::F7),
    ];
    const IDS: [&'static str; 5] = ["c1", "c2", "c3", "c4", "c5"];

    fn new(seed: u64) -> RandomEvents {
        RandomEvents {
            seed,
            denied: Vec::new(),
        }
    }

    fn pick(&mut self, n: usize) -> usize {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.seed >> 33) as usize % n
    }

    /// One of `n` indexes, or none.
    fn maybe(&mut self, n: usize) -> Option<usize> {
        let i = self.pick(n + 1);
        (i < n).then_some(i)
    }

    fn event(&mut self) -> NewEvent<'static> {
        NewEvent {
            hook: ["failure-classifier", "patch-verifier", "schema-guard"][self.pick(3)],
            hook_event_name: [
                "PostToolUse",
                "PostToolUseFailure",
                "PreToolUse",
                "PostToolBatch",
                "Stop",
            ][self.pick(5)],
            tool_name: [None, Some("Bash"), Some("Edit")][self.pick(3)],
            tool_use_id: self.maybe(5).map(|i| Self::IDS[i]),
            agent_id: [None, Some("sub"), Some("other")][self.pick(3)],
            fingerprint: self.maybe(3).map(|i| format!("fp{i}")),
            intent: self.maybe(3).map(|i| format!("run:p{i}")),
            outcome: [None, Some("success"), Some("failure"), Some("unknown")][self.pick(4)],
            class: Self::CLASSES[self.pick(Self::CLASSES.len())],
            decision: ["none", "context", "deny"][self.pick(3)],
            ..NewEvent::default()
        }
    }

    /// As [`RandomEvents::event`], in the order the clients have: a call is denied before it
    /// would run, so a denial takes a new id, which later rows may then carry.
    fn event_in_order(&mut self) -> NewEvent<'static> {
        let mut e = self.event();
        if e.hook_event_name == "PreToolUse" && e.decision == "deny" {
            let id: &'static str = format!("d{}", self.denied.len()).leak();
            self.denied.push(id.to_owned());
            e.tool_use_id = Some(id);
        } else if !self.denied.is_empty() && self.pick(4) == 0 {
            let i = self.pick(self.denied.len());
            e.tool_use_id = Some(self.denied[i].clone().leak());
        }
        e
    }
}

/// The one-pass search for unresolved failures finds exactly what the definition, a query
/// with a `NOT EXISTS` per failure, finds: on random sessions mixing every class, outcome,
/// hook and event, repeated tool-use ids, fingerprints, intents, agents and denied calls.
#[test]
fn unresolved_failures_agree_with_their_definition_as_a_query() {
    let definition = format!(
        "SELECT f.id FROM events f
         WHERE f.client = ?1 AND f.session_id = ?2 AND (?3 IS NULL OR f.agent_id = ?3)
           AND {failed}
           AND NOT EXISTS (
               SELECT 1 FROM events s
               WHERE s.client = f.client AND s.session_id = f.session_id AND s.id > f.id
                 AND (s.tool_use_id IS NULL OR f.tool_use_id IS NULL
                      OR s.tool_use_id <> f.tool_use_id)
                 AND {worked}
                 AND (s.fingerprint = f.fingerprint OR s.intent = f.intent
                      OR f.class = 'F4'))
         ORDER BY f.id DESC LIMIT ?4",
        failed = breaker::FAILED.replace("s.", "f."),
        worked = breaker::WORKED,
    );
    let mut random = RandomEvents::new(0x5eed);
    let tmp = TempDir::new("unresolved-definition");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let mut compared = 0;
    for session in 0..40 {
        let key = SessionKey::new("claude", format!("random-{session}"));
        let events: Vec<NewEvent> = (0..60).map(|_| random.event()).collect();
        store
            .write(|tx| {
                tx.touch_session(&key, None, 30)?;
                for e in &events {
                    tx.insert_event(&key, e)?;
                }
                Ok(())
            })
            .unwrap();
        for agent in [None, Some("sub"), Some("other")] {
            for limit in [3, 50] {
                let (found, defined) = store
                    .read(|tx| {
                        let found: Vec<i64> = tx
                            .unresolved_failures(&key, agent, limit)?
                            .iter()
                            .map(|r| r.id)
                            .collect();
                        let defined = tx.collect(
                            &definition,
                            params![key.client, key.session_id, agent, limit],
                            |r| r.get::<_, i64>(0),
                        )?;
                        Ok((found, defined))
                    })
                    .unwrap();
                assert_eq!(
                    found, defined,
                    "session {session}, agent {agent:?}, limit {limit}"
                );
                compared += usize::from(!defined.is_empty());
            }
        }
    }
    // The sessions exercised the search: most comparisons had failures to find.
    assert!(
        compared > 150,
        "{compared} of 240 comparisons found a failure"
    );
}

/// What is shown of unresolved failures: the newest per intent (else fingerprint), at most
/// `SHOWN`; rows with neither each count.
const SHOWN: usize = 3;

fn newest_per_intent(failures: &[FailureRow]) -> Vec<FailureRow> {
    let mut seen = Vec::new();
    let mut shown = Vec::new();
    for f in failures {
        let what = f.intent.clone().or_else(|| f.fingerprint.clone());
        if what.is_some() && seen.contains(&what) {
            continue;
        }
        seen.push(what);
        shown.push(f.clone());
        if shown.len() == SHOWN {
            break;
        }
    }
    shown
}

/// Each Stop searches only from where the last one left off: on random sessions recorded a
/// few events at a time, that search finds what a search of the whole session finds, every
/// time, for each agent and limit.
#[test]
fn a_search_resumed_where_the_last_stopped_finds_what_a_whole_search_finds() {
    let mut random = RandomEvents::new(0x0dd5eed);
    let tmp = TempDir::new("unresolved-resumed");
    let mut store = Store::open(&tmp.0.join("state.db")).unwrap();
    let (mut compared, mut skipped) = (0, 0);
    for session in 0..30 {
        let key = SessionKey::new("claude", format!("random-{session}"));
        random.denied.clear();
        let mut recorded = 0;
        while recorded < 80 {
            let batch: Vec<NewEvent> = (0..1 + random.pick(6))
                .map(|_| random.event_in_order())
                .collect();
            recorded += batch.len();
            store
                .write(|tx| {
                    tx.touch_session(&key, None, 30)?;
                    for e in &batch {
                        tx.insert_event(&key, e)?;
                    }
                    for (agent, scope) in [(None, ""), (Some("sub"), "sub")] {
                        for limit in [3, 50] {
                            let scope = format!("{scope}/{limit}");
                            let from = tx.stop_state(&key, &scope)?.resolved_below;
                            let resumed = tx.unresolved_failures_from(
                                &key,
                                agent,
                                limit,
                                SHOWN,
                                from.unwrap_or(0),
                            )?;
                            let whole = tx.unresolved_failures(&key, agent, limit)?;
                            let at = format!(
                                "session {session}, after {recorded} events, agent {agent:?}, \
                                 limit {limit}, from {from:?}"
                            );
                            let ids: Vec<i64> = whole.iter().map(|r| r.id).collect();
                            assert_eq!(resumed.ids, ids, "{at}");
                            assert_eq!(resumed.shown, newest_per_intent(&whole), "{at}");
                            match resumed.resume_from {
                                Some(next) => {
                                    assert!(next >= from.unwrap_or(0), "never moves back");
                                    tx.set_resolved_below(&key, &scope, next)?;
                                    compared += usize::from(from.is_some_and(|f| f > 0));
                                }
                                None => skipped += 1,
                            }
                        }
                    }
                    Ok(())
                })
                .unwrap();
        }
    }
    // Most searches resumed past the session's start, and some stopped at their limit.
    assert!(compared > 1000, "{compared} resumed searches");
    assert!(skipped > 50, "{skipped} searches stopped at their limit");
}
