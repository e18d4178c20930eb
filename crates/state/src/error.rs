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
    /// Another process held the write lock for longer than [`crate::BUSY_TIMEOUT`].
    Busy { path: PathBuf },
    /// The database was not usable; it was moved aside (and a new one made) or could not be.
    Corrupt {
        path: PathBuf,
        moved_to: Option<PathBuf>,
    },
    /// The file or its directory cannot be written.
    ReadOnly { path: PathBuf },
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
                "state database {} is locked by another process (waited {} ms)",
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
            Some(C::ReadOnly | C::CannotOpen) if !writable(&path) => StateError::ReadOnly { path },
            _ => StateError::Sqlite { path, source },
        }
    }

    pub fn is_corrupt(&self) -> bool {
        matches!(self, StateError::Corrupt { .. })
    }
}

fn writable(path: &std::path::Path) -> bool {
    std::fs::OpenOptions::new().append(true).open(path).is_ok()
}
