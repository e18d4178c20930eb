//! Per-session state in one SQLite database shared by every hook process.
//!
//! Concurrency: Codex and Claude run matching hooks in parallel and sub-agents share a
//! session, so every read-modify-write runs in one `BEGIN IMMEDIATE` transaction
//! ([`Store::write`]) under a busy timeout, on a WAL database. Rows are keyed by
//! ([`SessionKey`]): client and session id.

mod error;
mod path;
mod schema;
mod store;
mod time;

pub use error::StateError;
pub use path::default_db_path;
/// The schema version this build writes (`selfheal doctor` checks a database is at it).
pub use schema::VERSION as SCHEMA_VERSION;
pub use store::{
    CallRow, EscalationRow, EventFilter, EventRow, FailureRow, FileSeen, NewEscalation, NewEvent,
    PageStats, Pruned, SessionKey, SessionRow, StopRow, Store, TallyRow, TimelineRow,
    TranscriptRow, Tx, Unresolved, BUSY_PROGRESS_TIMEOUT, BUSY_TIMEOUT,
};
pub use time::{format_rfc3339, now_ms};
