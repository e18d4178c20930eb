use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum StateError {
    /// No place for the database could be worked out (no `$SELFHEAL_DB`, `$XDG_STATE_HOME` or
    /// `$HOME`).
    NoPath,
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another process held the write lock with nothing committed for [`crate::BUSY_TIMEOUT`]
    /// (stuck), or the lock stayed busy for [`crate::BUSY_PROGRESS_TIMEOUT`].
    Busy { path: PathBuf },
    /// The database was not usable; it was moved aside (and a new one made) or could not be.
    Corrupt {
        path: PathBuf,
        moved_to: Option<PathBuf>,
    },
    /// The database can be read but not written.
    ReadOnly { path: PathBuf },
    /// The database file cannot be opened at all (permissions, a directory in its place).
    CannotOpen { path: PathBuf, detail: String },
    /// The database was written by a newer selfheal.
    NewerSchema { found: i64, supported: i64 },
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::NoPath => f.write_str(
                "no state database path: set SELFHEAL_DB, XDG_STATE_HOME or HOME",
            ),
            StateError::Io { path, source } => {
                write!(f, "state database {}: {source}", path.display())
            }
            StateError::Busy { path } => write!(
                f,
                "state database {} is locked by another process (nothing committed for {} ms)",
                path.display(),
                crate::BUSY_TIMEOUT.as_millis()
            ),
            StateError::Corrupt {
                path,
                moved_to: Some(to),
            } => write!(
                f,
                "state database {} was corrupt; moved it to {} and started a new one",
                path.display(),
                to.display()
            ),
            StateError::Corrupt {
                path,
                moved_to: None,
            } => write!(f, "state database {} is corrupt", path.display()),
            StateError::ReadOnly { path } => {
                write!(f, "state database {} is read-only", path.display())
            }
            StateError::CannotOpen { path, detail } => {
                write!(f, "state database {} cannot be opened: {detail}", path.display())
            }
            StateError::NewerSchema { found, supported } => write!(
                f,
                "state database schema {found} is newer than this selfheal supports ({supported}); upgrade selfheal"
            ),
            StateError::Sqlite { path, source } => {
                write!(f, "state database {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { source, .. } => Some(source),
            StateError::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl StateError {
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> StateError {
        use rusqlite::ErrorCode as C;
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => StateError::Busy { path },
            Some(C::NotADatabase | C::DatabaseCorrupt) => StateError::Corrupt {
                path,
                moved_to: None,
            },
            Some(C::ReadOnly) => StateError::ReadOnly { path },
            Some(C::CannotOpen) => StateError::CannotOpen {
                detail: open_problem(&path),
                path,
            },
            _ => StateError::Sqlite { path, source },
        }
    }

    pub fn is_corrupt(&self) -> bool {
        matches!(self, StateError::Corrupt { .. })
    }
}

/// What the OS says about opening the file for writing, for a message better than SQLite's
/// "unable to open database file".
fn open_problem(path: &std::path::Path) -> String {
    if path.is_dir() {
        return "it is a directory".to_owned();
    }
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Err(e) => e.to_string(),
        Ok(_) => "unable to open database file".to_owned(),
    }
}
