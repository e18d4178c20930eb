//! What the hooks did, read back from the state database: sessions, tool calls, events per
//! class, the recovery actions and decisions recorded (guidance injected, calls denied, stops
//! refused, halts), budgets used/limit, escalations.
//!
//! [`gather`] reads (one read transaction); [`text`], [`json`] and [`html`] render;
//! [`export_jsonl`] streams every event as JSON Lines.

mod duration;
mod export;
mod gather;
pub mod html;
pub mod json;
mod svg;
pub mod text;

use std::fmt;
use std::path::PathBuf;

use selfheal_state::StateError;

pub use duration::{format_span, parse_duration, DurationError, Span};
pub use export::export_jsonl;
pub use gather::{gather, ClassCounts, Decisions, Report, Selection, SessionReport, Totals};
pub use text::Style;

#[derive(Debug)]
pub enum ReportError {
    State(StateError),
    /// No session has this id.
    UnknownSession {
        id: String,
        db: PathBuf,
    },
    /// Writing the output.
    Io(std::io::Error),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::State(e) => e.fmt(f),
            ReportError::UnknownSession { id, db } => write!(
                f,
                "no session '{id}' in {} (see `selfheal status` for recent ones)",
                db.display()
            ),
            ReportError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::State(e) => Some(e),
            ReportError::Io(e) => Some(e),
            ReportError::UnknownSession { .. } => None,
        }
    }
}

impl From<StateError> for ReportError {
    fn from(e: StateError) -> ReportError {
        ReportError::State(e)
    }
}

impl From<std::io::Error> for ReportError {
    fn from(e: std::io::Error) -> ReportError {
        ReportError::Io(e)
    }
}
