//! The schema, versioned by `PRAGMA user_version`: DDL runs only when the version differs.

/// Each entry brings the schema from its index to the next version.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 0 → 1.
pub(crate) const V1: &str = "
CREATE TABLE sessions (
    client       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    project_root TEXT,
    PRIMARY KEY (client, session_id)
) WITHOUT ROWID;
CREATE INDEX sessions_last_seen ON sessions (last_seen);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    client          TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    ts              INTEGER NOT NULL,
    hook            TEXT NOT NULL,
    hook_event_name TEXT NOT NULL,
    tool_name       TEXT,
    tool_use_id     TEXT,
    tool_kind       TEXT,
    agent_id        TEXT,
    fingerprint     TEXT,
    outcome         TEXT,
    exit_code       INTEGER,
    class           TEXT,
    action          TEXT,
    decision        TEXT NOT NULL DEFAULT 'none',
    error_signature TEXT,
    evidence        TEXT
);
CREATE INDEX events_session ON events (client, session_id, id);

CREATE TABLE budgets (
    client     TEXT NOT NULL,
    session_id TEXT NOT NULL,
    budget     TEXT NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client, session_id, budget)
) WITHOUT ROWID;

CREATE TABLE files_seen (
    client       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    path         TEXT NOT NULL,
    content_hash TEXT,
    seen_at      INTEGER NOT NULL,
    event_id     INTEGER,
    PRIMARY KEY (client, session_id, path)
) WITHOUT ROWID;

CREATE TABLE escalations (
    id           INTEGER PRIMARY KEY,
    client       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    summary      TEXT,
    budget_spent TEXT
);
CREATE INDEX escalations_session ON escalations (client, session_id);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;
";

/// Version 1 → 2: the loop breaker looks calls up by fingerprint.
const V2: &str = "
CREATE INDEX events_fingerprint ON events (client, session_id, fingerprint);
";

/// Version 2 → 3: what the classifier compares across calls. `read_only` and `mutates` say
/// what the call could do to the project; `output_hash` is the normalised output's hash (the
/// same read-only command giving another answer); `excerpt` is a short, redacted head and
/// tail of the output (near-identical failures, names the session has seen).
const V3: &str = "
ALTER TABLE events ADD COLUMN read_only INTEGER;
ALTER TABLE events ADD COLUMN mutates INTEGER;
ALTER TABLE events ADD COLUMN output_hash TEXT;
ALTER TABLE events ADD COLUMN excerpt TEXT;
";

/// Version 3 → 4: what budget-check keeps. `intent` is what a call was for (`file:<path>`,
/// `run:<program> [<subcommand>]`, `tool:<name>`), so that a failure counts as resolved once a
/// later call with the same intent works. `transcripts` remembers, per transcript file, how far
/// it was read and the tokens counted in it (Claude repeats a message's usage on each of its
/// lines: the last message id and its count avoid counting it twice). `stops` holds, per agent
/// of a session (`''` = the main agent), the refused stops, the goal check's state at the last
/// refusal, and the last event id up to which the success criteria passed. Events are looked
/// up by tool call id too (a call schema-guard denied never ran).
const V4: &str = "
ALTER TABLE events ADD COLUMN intent TEXT;
CREATE INDEX events_tool_use ON events (tool_use_id);

CREATE TABLE transcripts (
    client              TEXT NOT NULL,
    session_id          TEXT NOT NULL,
    path                TEXT NOT NULL,
    byte_offset         INTEGER NOT NULL DEFAULT 0,
    tokens              INTEGER NOT NULL DEFAULT 0,
    last_message        TEXT,
    last_message_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client, session_id, path)
) WITHOUT ROWID;

CREATE TABLE stops (
    client        TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    agent         TEXT NOT NULL DEFAULT '',
    refusals      INTEGER NOT NULL DEFAULT 0,
    fingerprint   TEXT,
    refusal_event INTEGER,
    passed_upto   INTEGER,
    PRIMARY KEY (client, session_id, agent)
) WITHOUT ROWID;
";

/// Version 4 → 5: two indexes no hook reads through. `sessions_last_seen` served only the
/// daily prune (a scan of the sessions is fine once a day) and was rewritten by every hook,
/// since each touch moves `last_seen`; `escalations_session` indexed a table of a few rows
/// per session. Every hook process also parses each index's definition when it opens the
/// database.
const V5: &str = "
DROP INDEX IF EXISTS sessions_last_seen;
DROP INDEX IF EXISTS escalations_session;
";

/// Version 5 → 6: whether schema-guard denied a call is asked of every call the breaker looks
/// at. Through `events_tool_use` that read every row of the call's id (all of them, for a
/// client that reuses an id); the denials alone are a small index, written only when a call is
/// denied.
const V6: &str = "
CREATE INDEX IF NOT EXISTS events_denied ON events (tool_use_id, client, session_id)
    WHERE hook_event_name = 'PreToolUse' AND decision = 'deny';
";

/// Version 6 → 7: where budget-check's next search for unresolved failures may start. No failure
/// before `resolved_below` is unresolved, and none can become so (a later call only ever
/// resolves one), so each Stop reads the events since the oldest failure still open instead of
/// the whole session.
const V7: &str = "
ALTER TABLE stops ADD COLUMN resolved_below INTEGER;
";

/// Version 7 → 8: no hook looks events up by tool call id alone any more (denials have
/// `events_denied`), yet every insert wrote `events_tool_use`: one more page in each hook's
/// commit, and one more definition each hook parses. `selfheal eval` still asks by call id,
/// of a database it made for one case.
const V8: &str = "
DROP INDEX IF EXISTS events_tool_use;
";

/// Version 8 → 9: when a session was last seen is the time of its newest event, read through
/// `events_session` when a report or the prune asks (`store::SESSION_COLUMNS`). Kept in
/// `sessions`, it rewrote the session's row at every hook: one more page in every commit
/// (a WAL frame each later opener reads back), for a value only reports read.
const V9: &str = "
ALTER TABLE sessions DROP COLUMN last_seen;
";
