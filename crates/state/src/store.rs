use std::cell::Cell;
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use selfheal_model::{Action, Budget, BudgetUsage, Class};

use crate::schema;
use crate::time::now_ms;
use crate::StateError;

/// How long a hook waits for another process's write lock while nobody commits anything
/// before failing open: a lock held that long is stuck, not busy. Transactions last about a
/// millisecond, so a stuck lock delays the agent by no more than this.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a hook waits in all while others keep committing: a queue of dozens of parallel
/// hooks on a loaded machine drains in well under this, and losing an event to a busy (not
/// stuck) database would undercount the budgets.
pub const BUSY_PROGRESS_TIMEOUT: Duration = Duration::from_secs(5);

const DAY_MS: i64 = 86_400_000;

/// The WAL size past which a writer checkpoints: about a dozen transactions of a few pages.
/// Small enough that rebuilding the WAL index on open costs little, large enough that the
/// checkpoint's fsyncs are paid once per many hooks.
const WAL_CHECKPOINT_BYTES: u64 = 256 * 1024;

thread_local! {
    /// The WAL file of this thread's connection: every commit writes it, so a change of its
    /// size or modification time while waiting means the lock is moving, not stuck.
    static WAL_FILE: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
    /// When this wait began, when the WAL last changed, and how it looked then.
    static WAIT: Cell<Option<(Instant, Instant, WalStamp)>> = const { Cell::new(None) };
}

/// The WAL's size and modification time (seconds, nanoseconds).
type WalStamp = (u64, i64, i64);

fn wal_stamp() -> WalStamp {
    use std::os::unix::fs::MetadataExt;
    WAL_FILE.with_borrow(|wal| {
        wal.as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or((0, 0, 0), |m| (m.size(), m.mtime(), m.mtime_nsec()))
    })
}

/// SQLite's busy handler: retry every half millisecond or so, for as long as other processes
/// keep committing (up to [`BUSY_PROGRESS_TIMEOUT`]), and give up once nothing has been
/// committed for [`BUSY_TIMEOUT`]. SQLite's own schedule (sleeps growing to 100 ms) lets dozens
/// of parallel hooks take every turn from a waiter until it gives up.
fn wait_for_lock(attempt: i32) -> bool {
    let now = Instant::now();
    let stamp = wal_stamp();
    let (began, progressed) = WAIT.with(|wait| {
        let (began, mut progressed, last) = match wait.get() {
            Some(w) if attempt > 0 => w,
            _ => (now, now, stamp),
        };
        if stamp != last {
            progressed = now;
        }
        wait.set(Some((began, progressed, stamp)));
        (began, progressed)
    });
    if now.duration_since(progressed) >= BUSY_TIMEOUT
        || now.duration_since(began) >= BUSY_PROGRESS_TIMEOUT
    {
        return false;
    }
    // Jitter, so that waiters woken together do not collide again.
    let jitter = u64::from(now.duration_since(began).subsec_nanos() % 700);
    std::thread::sleep(Duration::from_micros(300 + jitter));
    true
}

/// An exclusive lock on `<db>.lock`, held while it lives; waits at most [`BUSY_TIMEOUT`].
fn migration_lock(db: &Path) -> Result<std::fs::File, StateError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|source| StateError::Io {
            path: path.clone(),
            source,
        })?;
    let since = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if since.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Busy {
                    path: db.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StateError::Io { path, source })
            }
        }
    }
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Rows are keyed by the client and its session id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub client: String,
    pub session_id: String,
}

impl SessionKey {
    pub fn new(client: impl Into<String>, session_id: impl Into<String>) -> SessionKey {
        SessionKey {
            client: client.into(),
            session_id: session_id.into(),
        }
    }
}

/// An open state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Set when the database had to be moved aside and recreated while opening.
    recovered: Option<StateError>,
}

impl Store {
    /// Opens (creating when missing: directory 0700, file 0600) and brings the schema up to
    /// date. A file that is not a usable database is moved aside and replaced, never reused:
    /// [`Store::recovered`] then says so.
    pub fn open(path: &Path) -> Result<Store, StateError> {
        match Store::open_once(path) {
            Err(e) if e.is_corrupt() => {
                let moved_to = quarantine(path)?;
                let mut store = Store::open_once(path)?;
                store.recovered = Some(StateError::Corrupt {
                    path: path.to_path_buf(),
                    moved_to: Some(moved_to),
                });
                Ok(store)
            }
            other => other,
        }
    }

    fn open_once(path: &Path) -> Result<Store, StateError> {
        let io = |source| StateError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io)?;
            }
        }
        if !path.exists() {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
        }
        let mut store = Store::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        // Per connection, no I/O; WAL itself is persistent and set once, at creation.
        // A hook process is usually the only connection, so SQLite would checkpoint and delete
        // the WAL on every close: four fsyncs and two unlinks, most of a hook's cost. Instead the
        // WAL stays, commits do not sync (NORMAL), and a writer that finds it past
        // `WAL_CHECKPOINT_BYTES` checkpoints before its transaction, which then restarts the
        // WAL and truncates the file (see `write`).
        let sql = |e| StateError::sqlite(path, e);
        store
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        store
            .conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(sql)?;
        store
            .conn
            .pragma_update(None, "journal_size_limit", 0)
            .map_err(sql)?;
        if store.user_version()? != schema::VERSION {
            // One process at a time creates or migrates: switching a new file to WAL happens
            // in rollback mode, where SQLite answers a lock conflict with an immediate busy
            // error, not a wait, and dozens of first hooks would lose their events to it.
            let _lock = migration_lock(path)?;
            let version = store.user_version()?;
            if version != schema::VERSION {
                store.migrate(version)?;
            }
        }
        Ok(store)
    }

    /// Opens an existing database for reading only: no file is created, no schema changed,
    /// and closing it costs no checkpoint. `Ok(None)` when there is no database yet (nothing
    /// recorded, so nothing to read). A database of another schema version reads as absent
    /// too: the next writer brings it up to date.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>, StateError> {
        if !path.exists() {
            return Ok(None);
        }
        let store = Store::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        if store.user_version()? != schema::VERSION {
            return Ok(None);
        }
        Ok(Some(store))
    }

    /// A connection with the busy timeout every hook relies on.
    fn connect(path: &Path, mode: OpenFlags) -> Result<Store, StateError> {
        let sql = |e| StateError::sqlite(path, e);
        let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sql)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        WAL_FILE.with_borrow_mut(|w| *w = Some(PathBuf::from(wal)));
        conn.busy_handler(Some(wait_for_lock)).map_err(sql)?;
        // Plans that do not depend on bound values: otherwise binding a `LIMIT ?` or a
        // parameter the planner looked at makes SQLite prepare the statement a second time.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(sql)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            recovered: None,
        })
    }

    fn user_version(&self) -> Result<i64, StateError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| StateError::sqlite(&self.path, e))
    }

    fn migrate(&mut self, found: i64) -> Result<(), StateError> {
        if found > schema::VERSION {
            return Err(StateError::NewerSchema {
                found,
                supported: schema::VERSION,
            });
        }
        let path = self.path.clone();
        let sql = |e| StateError::sqlite(&path, e);
        if found == 0 {
            // Outside any transaction, as SQLite requires; harmless if another process won.
            self.conn
                .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(sql)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        for migration in schema::MIGRATIONS.iter().skip(now.max(0) as usize) {
            tx.execute_batch(migration).map_err(sql)?;
        }
        if now < schema::VERSION {
            tx.pragma_update(None, "user_version", schema::VERSION)
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recovery that happened while opening, if any: to be reported, once.
    pub fn recovered(&self) -> Option<&StateError> {
        self.recovered.as_ref()
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed only if `f` succeeds.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        self.checkpoint_if_due();
        self.transaction(TransactionBehavior::Immediate, true, f)
    }

    /// Copies the WAL back once it passes `WAL_CHECKPOINT_BYTES`, so that the write that
    /// follows starts it over (and, with `journal_size_limit` 0, truncates the file): every
    /// first opener reads the whole WAL to rebuild its index, so it must stay small, and
    /// SQLite's own automatic checkpoint comes after the commit, too late for this process's
    /// write to restart the WAL (the next opener's rebuilt index forgets what was copied).
    /// PASSIVE: it takes no write lock, so other hooks go on writing while it syncs; a reader
    /// in the way merely postpones it.
    fn checkpoint_if_due(&self) {
        let wal = wal_path(&self.path);
        if std::fs::metadata(wal).is_ok_and(|m| m.len() > WAL_CHECKPOINT_BYTES) {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }

    /// Runs `f` in a read transaction: one consistent snapshot, no writes.
    pub fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        self.transaction(TransactionBehavior::Deferred, false, f)
    }

    fn transaction<T>(
        &mut self,
        behavior: TransactionBehavior,
        commit: bool,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(behavior)
            .map_err(|e| StateError::sqlite(&path, e))?;
        let wrapped = Tx {
            tx,
            path: &path,
            now: now_ms(),
        };
        let value = f(&wrapped)?;
        if commit {
            wrapped
                .tx
                .commit()
                .map_err(|e| StateError::sqlite(&path, e))?;
        }
        Ok(value)
    }

    /// `PRAGMA integrity_check` says `ok`.
    pub fn integrity_ok(&self) -> Result<bool, StateError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| StateError::sqlite(&self.path, e))?;
        Ok(result == "ok")
    }

    pub fn schema_version(&self) -> Result<i64, StateError> {
        self.user_version()
    }
}

/// Moves a corrupt database and its WAL/SHM files aside: `state.db.corrupt-<ms>`.
fn quarantine(path: &Path) -> Result<PathBuf, StateError> {
    let stamp = now_ms();
    let moved = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
    std::fs::rename(path, &moved).map_err(|source| StateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", moved.display()));
        }
    }
    Ok(moved)
}

/// An event to record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewEvent<'a> {
    pub hook: &'a str,
    pub hook_event_name: &'a str,
    pub tool_name: Option<&'a str>,
    pub tool_use_id: Option<&'a str>,
    pub tool_kind: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub fingerprint: Option<String>,
    /// `success`, `failure` or `unknown` (as far as the client said).
    pub outcome: Option<&'a str>,
    pub exit_code: Option<i32>,
    pub class: Option<Class>,
    pub action: Option<Action>,
    /// `none`, `context`, `deny`, `block`, `halt` or `rewrite`.
    pub decision: &'a str,
    pub error_signature: Option<String>,
    pub evidence: Option<String>,
    /// The call only reads (a known read-only command, a read or search tool).
    pub read_only: Option<bool>,
    /// The call may change the project (an edit tool, a shell write, a mutating git command).
    pub mutates: Option<bool>,
    pub output_hash: Option<String>,
    /// A short, redacted head and tail of the output.
    pub excerpt: Option<String>,
    /// What the call was for: `file:<absolute path>`, `run:<program> [<subcommand>]` or
    /// `tool:<name>`; a later call with the same intent that works resolves a failure.
    pub intent: Option<String>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub client: String,
    pub session_id: String,
    pub ts: i64,
    pub hook: String,
    pub hook_event_name: String,
    pub tool_name: Option<String>,
    pub tool_use_id: Option<String>,
    pub tool_kind: Option<String>,
    pub agent_id: Option<String>,
    pub fingerprint: Option<String>,
    pub outcome: Option<String>,
    pub exit_code: Option<i32>,
    pub class: Option<String>,
    pub action: Option<String>,
    pub decision: String,
    pub error_signature: Option<String>,
    pub evidence: Option<String>,
    pub read_only: Option<bool>,
    pub mutates: Option<bool>,
    pub output_hash: Option<String>,
    pub excerpt: Option<String>,
    pub intent: Option<String>,
}

/// What the classifier compares a call with: an event's columns without its texts (the
/// evidence and the excerpt, read by id when needed), so that reading a session's recent
/// calls costs a hook little.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub id: i64,
    pub ts: i64,
    pub tool_use_id: Option<String>,
    pub tool_kind: Option<String>,
    pub fingerprint: Option<String>,
    pub class: Option<String>,
    pub action: Option<String>,
    pub error_signature: Option<String>,
    pub read_only: Option<bool>,
    pub mutates: Option<bool>,
    pub output_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub client: String,
    pub session_id: String,
    pub started_at: i64,
    pub last_seen: i64,
    pub project_root: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSeen {
    pub content_hash: Option<String>,
    pub seen_at: i64,
    pub event_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalation<'a> {
    pub reason: &'a str,
    pub summary: Option<&'a str>,
    /// JSON: what of each budget was spent.
    pub budget_spent: Option<&'a str>,
}

/// One transaction. Every method is a statement or two on it.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    path: &'c Path,
    now: i64,
}

const EVENT_COLUMNS: &str = "id, client, session_id, ts, hook, hook_event_name, tool_name, \
    tool_use_id, tool_kind, agent_id, fingerprint, outcome, exit_code, class, action, decision, \
    error_signature, evidence, read_only, mutates, output_hash, excerpt, intent";

impl Tx<'_> {
    fn err(&self, e: rusqlite::Error) -> StateError {
        StateError::sqlite(self.path, e)
    }

    /// The time this transaction began (ms since the epoch).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Records that the session is alive (creating it on first sight). A new
    /// session is also the moment to prune old ones, at most once a day.
    pub fn touch_session(
        &self,
        key: &SessionKey,
        project_root: Option<&str>,
        retention_days: u64,
    ) -> Result<(), StateError> {
        // One statement, and no write for a session that exists: a row comes back only when
        // it was created now, or when it learns its project root. A session that starts now
        // was created now (or in this same millisecond, when pruning is merely checked once
        // more: it runs once a day).
        let started_at: Option<i64> = self
            .tx
            .query_row(
                "INSERT INTO sessions (client, session_id, started_at, project_root)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET project_root = excluded.project_root
                    WHERE project_root IS NULL AND excluded.project_root IS NOT NULL
                 RETURNING started_at",
                params![key.client, key.session_id, self.now, project_root],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if started_at == Some(self.now) {
            self.prune_if_due(retention_days)?;
        }
        Ok(())
    }

    pub fn session(&self, key: &SessionKey) -> Result<Option<SessionRow>, StateError> {
        self.tx
            .query_row(
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions s
                     WHERE s.client = ?1 AND s.session_id = ?2"
                ),
                params![key.client, key.session_id],
                session_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every session with this id (normally one; the same id under two clients is possible).
    pub fn sessions_with_id(&self, session_id: &str) -> Result<Vec<SessionRow>, StateError> {
        self.collect(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s
                 WHERE s.session_id = ?1 ORDER BY s.client"
            ),
            params![session_id],
            session_row,
        )
    }

    /// Sessions seen since `since_ms`, most recent first.
    pub fn recent_sessions(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<SessionRow>, StateError> {
        self.collect(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s
                 WHERE last_seen >= ?1 ORDER BY last_seen DESC LIMIT ?2"
            ),
            params![since_ms, limit],
            session_row,
        )
    }

    pub fn insert_event(&self, key: &SessionKey, e: &NewEvent<'_>) -> Result<i64, StateError> {
        self.tx
            .execute(
                "INSERT INTO events (client, session_id, ts, hook, hook_event_name, tool_name,
                    tool_use_id, tool_kind, agent_id, fingerprint, outcome, exit_code, class,
                    action, decision, error_signature, evidence, read_only, mutates, output_hash,
                    excerpt, intent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22)",
                params![
                    key.client,
                    key.session_id,
                    self.now,
                    e.hook,
                    e.hook_event_name,
                    e.tool_name,
                    e.tool_use_id,
                    e.tool_kind,
                    e.agent_id,
                    e.fingerprint,
                    e.outcome,
                    e.exit_code,
                    e.class.map(Class::as_str),
                    e.action.map(Action::as_str),
                    e.decision,
                    e.error_signature,
                    e.evidence,
                    e.read_only,
                    e.mutates,
                    e.output_hash,
                    e.excerpt,
                    e.intent,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The session's events, oldest first; at most `limit` of the most recent.
    pub fn events(&self, key: &SessionKey, limit: u32) -> Result<Vec<EventRow>, StateError> {
        let mut rows = self.collect(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE client = ?1 AND session_id = ?2
                 ORDER BY id DESC LIMIT ?3"
            ),
            params![key.client, key.session_id, limit],
            event_row,
        )?;
        rows.reverse();
        Ok(rows)
    }

    /// The last `limit` tool calls `hook` recorded in the session, oldest first.
    pub fn recent_calls(
        &self,
        key: &SessionKey,
        hook: &str,
        limit: u32,
    ) -> Result<Vec<CallRow>, StateError> {
        let mut rows = self.collect(
            "SELECT id, ts, tool_use_id, tool_kind, fingerprint, class, action, error_signature,
                    read_only, mutates, output_hash
             FROM events WHERE client = ?1 AND session_id = ?2 AND hook = ?3
                               AND tool_name IS NOT NULL
             ORDER BY id DESC LIMIT ?4",
            params![key.client, key.session_id, hook, limit],
            |r| {
                Ok(CallRow {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    tool_use_id: r.get(2)?,
                    tool_kind: r.get(3)?,
                    fingerprint: r.get(4)?,
                    class: r.get(5)?,
                    action: r.get(6)?,
                    error_signature: r.get(7)?,
                    read_only: r.get(8)?,
                    mutates: r.get(9)?,
                    output_hash: r.get(10)?,
                })
            },
        )?;
        rows.reverse();
        Ok(rows)
    }

    /// (tool_use_id, hook, decision) of the session's events from `since_id` on that name a
    /// tool call: which hook already handled a call, and how.
    pub fn tool_uses_since(
        &self,
        key: &SessionKey,
        since_id: i64,
    ) -> Result<Vec<(String, String, String)>, StateError> {
        self.collect(
            "SELECT tool_use_id, hook, decision FROM events
             WHERE client = ?1 AND session_id = ?2 AND id >= ?3 AND tool_use_id IS NOT NULL",
            params![key.client, key.session_id, since_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// The stored excerpt of an event's output.
    pub fn excerpt(&self, event_id: i64) -> Result<Option<String>, StateError> {
        self.tx
            .query_row(
                "SELECT excerpt FROM events WHERE id = ?1",
                params![event_id],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// How many times a call with this fingerprint has failed in the session: the client said
    /// so, or it was classified as anything but `ok`.
    pub fn failure_count(&self, key: &SessionKey, fingerprint: &str) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "SELECT count(*) FROM events
                 WHERE client = ?1 AND session_id = ?2 AND fingerprint = ?3
                   AND hook_event_name <> 'PreToolUse'
                   AND (outcome = 'failure' OR (class IS NOT NULL AND class <> 'ok'))",
                params![key.client, key.session_id, fingerprint],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Every event recorded for these tool calls, oldest first (any session).
    pub fn events_for_tool_uses(&self, ids: &[String]) -> Result<Vec<EventRow>, StateError> {
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.collect(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE tool_use_id = ?1 ORDER BY id"),
                params![id],
                event_row,
            )?);
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// Whether the session's recorded outputs (excerpts) or files seen mention `needle`: a
    /// name the agent saw earlier. Runs only on the rare missing-path failure.
    pub fn mentioned(&self, key: &SessionKey, needle: &str) -> Result<bool, StateError> {
        if needle.is_empty() {
            return Ok(false);
        }
        self.tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM events WHERE client = ?1 AND session_id = ?2
                        AND instr(excerpt, ?3) > 0)
                    OR EXISTS (SELECT 1 FROM files_seen WHERE client = ?1 AND session_id = ?2
                        AND instr(path, ?3) > 0)",
                params![key.client, key.session_id, needle],
                |r| r.get::<_, bool>(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The files this session has seen, most recent first, at most `limit`.
    pub fn files_seen(
        &self,
        key: &SessionKey,
        limit: u32,
    ) -> Result<Vec<(String, FileSeen)>, StateError> {
        self.collect(
            "SELECT path, content_hash, seen_at, event_id FROM files_seen
             WHERE client = ?1 AND session_id = ?2 ORDER BY seen_at DESC LIMIT ?3",
            params![key.client, key.session_id, limit],
            |r| {
                Ok((
                    r.get(0)?,
                    FileSeen {
                        content_hash: r.get(1)?,
                        seen_at: r.get(2)?,
                        event_id: r.get(3)?,
                    },
                ))
            },
        )
    }

    /// Events per class (`None` = not classified).
    pub fn class_counts(&self, key: &SessionKey) -> Result<Vec<(Option<String>, u64)>, StateError> {
        self.collect(
            "SELECT class, count(*) FROM events WHERE client = ?1 AND session_id = ?2
             GROUP BY class ORDER BY class",
            params![key.client, key.session_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Adds to a budget's use and returns the new total.
    pub fn add_budget(
        &self,
        key: &SessionKey,
        budget: Budget,
        amount: u64,
    ) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "INSERT INTO budgets (client, session_id, budget, used) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET used = used + excluded.used
                 RETURNING used",
                params![key.client, key.session_id, budget.key(), amount as i64],
                |r| r.get::<_, i64>(0),
            )
            .map(|v| v as u64)
            .map_err(|e| self.err(e))
    }

    /// Sets a measured budget (tokens) to a value.
    pub fn set_budget(
        &self,
        key: &SessionKey,
        budget: Budget,
        value: u64,
    ) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO budgets (client, session_id, budget, used) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET used = excluded.used",
                params![key.client, key.session_id, budget.key(), value as i64],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// What the session has used of each budget; latency is measured from its start.
    pub fn budget_usage(&self, key: &SessionKey) -> Result<BudgetUsage, StateError> {
        Ok(self.session_usage(key)?.unwrap_or_default())
    }

    /// What the session has spent, b_l included; `None` for a session the store has never
    /// seen (it has spent nothing, whatever the clock says).
    pub fn session_usage(&self, key: &SessionKey) -> Result<Option<BudgetUsage>, StateError> {
        // One statement: the session (no row: unknown) and its budget rows, if any.
        let rows = self.collect(
            "SELECT s.started_at, b.budget, b.used FROM sessions s
             LEFT JOIN budgets b ON b.client = s.client AND b.session_id = s.session_id
             WHERE s.client = ?1 AND s.session_id = ?2",
            params![key.client, key.session_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            },
        )?;
        let Some(&(started_at, _, _)) = rows.first() else {
            return Ok(None);
        };
        let mut usage = BudgetUsage::default();
        for (_, name, used) in rows {
            if let (Some(budget), Some(used)) = (name.as_deref().and_then(Budget::from_key), used) {
                usage.set(budget, used.max(0) as u64);
            }
        }
        usage.set(
            Budget::LatencySecs,
            ((self.now - started_at).max(0) / 1000) as u64,
        );
        Ok(Some(usage))
    }

    pub fn record_file_seen(
        &self,
        key: &SessionKey,
        path: &str,
        content_hash: Option<&str>,
        event_id: Option<i64>,
    ) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO files_seen (client, session_id, path, content_hash, seen_at, event_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO UPDATE SET content_hash = excluded.content_hash,
                    seen_at = excluded.seen_at, event_id = excluded.event_id",
                params![
                    key.client,
                    key.session_id,
                    path,
                    content_hash,
                    self.now,
                    event_id
                ],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn file_seen(&self, key: &SessionKey, path: &str) -> Result<Option<FileSeen>, StateError> {
        self.tx
            .query_row(
                "SELECT content_hash, seen_at, event_id FROM files_seen
                 WHERE client = ?1 AND session_id = ?2 AND path = ?3",
                params![key.client, key.session_id, path],
                |r| {
                    Ok(FileSeen {
                        content_hash: r.get(0)?,
                        seen_at: r.get(1)?,
                        event_id: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn insert_escalation(
        &self,
        key: &SessionKey,
        e: &NewEscalation<'_>,
    ) -> Result<i64, StateError> {
        self.tx
            .execute(
                "INSERT INTO escalations (client, session_id, ts, reason, summary, budget_spent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    key.client,
                    key.session_id,
                    self.now,
                    e.reason,
                    e.summary,
                    e.budget_spent
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn escalation_count(&self, key: &SessionKey) -> Result<u64, StateError> {
        self.tx
            .query_row(
                "SELECT count(*) FROM escalations WHERE client = ?1 AND session_id = ?2",
                params![key.client, key.session_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Forgets everything about one session. Returns the number of rows removed.
    pub fn delete_session(&self, key: &SessionKey) -> Result<u64, StateError> {
        let mut removed = 0;
        for table in [
            "events",
            "budgets",
            "files_seen",
            "escalations",
            "transcripts",
            "stops",
            "sessions",
        ] {
            removed += self
                .tx
                .execute(
                    &format!("DELETE FROM {table} WHERE client = ?1 AND session_id = ?2"),
                    params![key.client, key.session_id],
                )
                .map_err(|e| self.err(e))? as u64;
        }
        Ok(removed)
    }

    /// Deletes sessions not seen for `retention_days`, at most once a day (a `meta` row
    /// remembers when it is next due). Returns the number of sessions removed.
    pub fn prune_if_due(&self, retention_days: u64) -> Result<u64, StateError> {
        let due: Option<i64> = self
            .tx
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_prune_at'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if due.is_some_and(|at| at > self.now) {
            return Ok(0);
        }
        let removed = self.prune(retention_days)?;
        self.tx
            .execute(
                "INSERT INTO meta (key, value) VALUES ('next_prune_at', ?1)
                 ON CONFLICT DO UPDATE SET value = excluded.value",
                params![(self.now + DAY_MS).to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(removed)
    }

    /// Deletes every session last seen more than `retention_days` ago.
    pub fn prune(&self, retention_days: u64) -> Result<u64, StateError> {
        let cutoff = self.now - (retention_days as i64).saturating_mul(DAY_MS);
        Ok(self.prune_before(cutoff)?.sessions)
    }

    fn collect<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StateError> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params, map)
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<T>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }
}

/// A session's row as [`session_row`] reads it, from `sessions s`: when it was last seen is its
/// newest event's time (its start, before it has one), one step down `events_session`.
const SESSION_COLUMNS: &str = "s.client, s.session_id, s.started_at,
    coalesce((SELECT e.ts FROM events e WHERE e.client = s.client AND e.session_id = s.session_id
        ORDER BY e.id DESC LIMIT 1), s.started_at) AS last_seen,
    s.project_root";

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        client: r.get(0)?,
        session_id: r.get(1)?,
        started_at: r.get(2)?,
        last_seen: r.get(3)?,
        project_root: r.get(4)?,
    })
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        client: r.get(1)?,
        session_id: r.get(2)?,
        ts: r.get(3)?,
        hook: r.get(4)?,
        hook_event_name: r.get(5)?,
        tool_name: r.get(6)?,
        tool_use_id: r.get(7)?,
        tool_kind: r.get(8)?,
        agent_id: r.get(9)?,
        fingerprint: r.get(10)?,
        outcome: r.get(11)?,
        exit_code: r.get(12)?,
        class: r.get(13)?,
        action: r.get(14)?,
        decision: r.get(15)?,
        error_signature: r.get(16)?,
        evidence: r.get(17)?,
        read_only: r.get(18)?,
        mutates: r.get(19)?,
        output_hash: r.get(20)?,
        excerpt: r.get(21)?,
        intent: r.get(22)?,
    })
}

mod breaker;
pub use breaker::{FailureRow, StopRow, TranscriptRow, Unresolved};
mod report;
pub use report::{EscalationRow, EventFilter, PageStats, Pruned, TallyRow, TimelineRow};

#[cfg(test)]
mod tests;
