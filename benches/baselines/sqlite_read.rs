//! The floor of a stateful check: baseline (a) plus the least a hook can read from the state
//! database — open it read-only (`SELFHEAL_DB`) and look up one session row, which makes
//! SQLite read the schema and the WAL. What schema-guard pays beyond this is its own.
use std::io::{Read, Write};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

fn main() {
    let mut input = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut input);
    let path = std::env::var_os("SELFHEAL_DB").expect("SELFHEAL_DB");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).expect("open the state database");
    let started: Option<i64> = conn
        .query_row(
            "SELECT started_at FROM sessions WHERE client = ?1 AND session_id = ?2",
            ["claude", "bench"],
            |r| r.get(0),
        )
        .optional()
        .expect("read the state database");
    // As the hooks: the process exits without closing the database.
    std::mem::forget(conn);
    let _ = std::io::stdout().write_all(if started.is_some() { b"{}\n" } else { b"{ }\n" });
}
