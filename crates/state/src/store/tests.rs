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
        .execute(
            "UPDATE sessions SET last_seen = last_seen - 31 * 86400000",
            [],
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
    // Checkpointed when each writer closes: no WAL left over, whatever the number of writers.
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    assert!(wal <= 64 * 4120, "WAL grew to {wal} bytes");
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
