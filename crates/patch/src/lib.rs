//! The one parser of Codex's `apply_patch` format, and matching a patch against files.
//!
//! `schema-guard` uses it before a call runs (refuse a patch whose context is not in the file:
//! Codex fires PreToolUse for such a patch but no PostToolUse when it fails); `patch-verifier`
//! uses it after the edit (did every hunk land?). Both need Codex's own semantics, so this crate
//! mirrors Codex's implementation (`openai/codex`, `codex-rs/apply-patch`) rather than the
//! format's written grammar:
//!
//! * [`parse`] mirrors `parser.rs` + `streaming_parser.rs` (the newest Codex parses every patch
//!   through the line-by-line `StreamingPatchParser` after the boundary checks of `parser.rs`),
//!   including its leniencies: whitespace around markers, a `<<EOF` heredoc wrapper, a first
//!   hunk without `@@`, blank lines after `*** End of File`.
//! * [`locate`] and [`apply`] mirror `compute_replacements` (`lib.rs`, later `file_update.rs`),
//!   `seek_sequence.rs` (exact, then trailing whitespace, then surrounding whitespace, then
//!   normalised Unicode punctuation) and `text_file.rs` (line endings kept per line).
//!
//! Messages are written for the agent that has to fix its call: each names the patch line (and,
//! for a hunk that does not match, the file line) and says what was expected.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod matching;
mod parse;

use std::fmt;

pub use matching::{apply, locate, Fuzz, Location, MatchError, MatchErrorKind};
pub use parse::{parse, ParseError};

/// A parsed `apply_patch` call: its file operations, in patch order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The file operations, in the order Codex applies them.
    pub ops: Vec<FileOp>,
    /// `*** Environment ID: <id>` right after `*** Begin Patch`, which the newest Codex accepts
    /// (`streaming_parser.rs`); `None` for ordinary patches.
    pub environment_id: Option<String>,
}

impl Patch {
    /// Every path the patch touches (header paths and `*** Move to:` destinations), in order,
    /// each once.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = Vec::new();
        for path in self.ops.iter().flat_map(FileOp::paths) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        paths
    }
}

/// One file operation of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// `*** Add File: <path>` and its `+` lines (without the `+`). Codex writes every line
    /// followed by `\n`, and overwrites a file that exists.
    Add {
        /// The path as written after the marker (relative to the call's working directory,
        /// or absolute).
        path: String,
        /// The file's lines, without their leading `+`.
        lines: Vec<String>,
        /// 1-based line of the header in the patch text.
        line: usize,
    },
    /// `*** Delete File: <path>`.
    Delete {
        /// The path as written after the marker.
        path: String,
        /// 1-based line of the header in the patch text.
        line: usize,
    },
    /// `*** Update File: <path>`, an optional `*** Move to: <path>`, and its hunks.
    Update {
        /// The file to read and change.
        path: String,
        /// Where the changed file is written instead (the original is then removed).
        move_to: Option<String>,
        /// The hunks, in patch order (Codex requires them in file order too).
        hunks: Vec<Hunk>,
        /// 1-based line of the header in the patch text.
        line: usize,
    },
}

impl FileOp {
    /// The path in the operation's header: the file added, deleted, or read to be updated.
    pub fn path(&self) -> &str {
        match self {
            FileOp::Add { path, .. }
            | FileOp::Delete { path, .. }
            | FileOp::Update { path, .. } => path,
        }
    }

    /// Every path the operation touches: its header path, then its `*** Move to:` destination.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            FileOp::Update {
                path,
                move_to: Some(to),
                ..
            } => vec![path, to],
            op => vec![op.path()],
        }
    }

    /// The path the operation's result lives at afterwards: the move destination of a moved
    /// update, else [`FileOp::path`] (what Codex's `Hunk::path` returns).
    pub fn destination(&self) -> &str {
        match self {
            FileOp::Update {
                move_to: Some(to), ..
            } => to,
            op => op.path(),
        }
    }

    /// 1-based line of the operation's header in the patch text.
    pub fn line(&self) -> usize {
        match self {
            FileOp::Add { line, .. }
            | FileOp::Delete { line, .. }
            | FileOp::Update { line, .. } => *line,
        }
    }

    /// The content Codex writes for an `Add File`: every line followed by `\n`
    /// (`parser.rs`: `contents.push_str(line); contents.push('\n')`). `None` for other operations.
    pub fn added_content(&self) -> Option<String> {
        match self {
            FileOp::Add { lines, .. } => Some(lines.iter().fold(String::new(), |mut s, l| {
                s.push_str(l);
                s.push('\n');
                s
            })),
            _ => None,
        }
    }
}

/// One hunk of an `Update File` (Codex's `UpdateFileChunk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The text after `@@ ` (Codex searches for it as a whole line before the hunk's lines);
    /// `None` for a bare `@@` or a first hunk written without `@@`.
    pub context: Option<String>,
    /// The hunk's lines, in order.
    pub lines: Vec<HunkLine>,
    /// The hunk was followed by `*** End of File`: its old lines must be the file's last lines.
    pub end_of_file: bool,
    /// 1-based line of the hunk in the patch text: its `@@` line, or its first line when it has
    /// none.
    pub line: usize,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// ` text` (or an empty line, which Codex reads as an empty context line).
    Context(String),
    /// `-text`.
    Remove(String),
    /// `+text`.
    Add(String),
}

impl HunkLine {
    /// The line's text, without its prefix.
    pub fn text(&self) -> &str {
        match self {
            HunkLine::Context(t) | HunkLine::Remove(t) | HunkLine::Add(t) => t,
        }
    }
}

impl Hunk {
    /// The lines the hunk expects in the file (context and removed lines), in order.
    pub fn old_lines(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                HunkLine::Context(t) | HunkLine::Remove(t) => Some(t.as_str()),
                HunkLine::Add(_) => None,
            })
            .collect()
    }

    /// The lines the hunk leaves in their place (context and added lines), in order.
    pub fn new_lines(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                HunkLine::Context(t) | HunkLine::Add(t) => Some(t.as_str()),
                HunkLine::Remove(_) => None,
            })
            .collect()
    }

    /// Pairs of indices into [`Hunk::old_lines`] and [`Hunk::new_lines`] of the context lines
    /// (Codex's `UpdateFileChunk::context_line_indices`): Codex keeps those file lines as they
    /// are rather than rewriting them.
    pub fn context_indices(&self) -> Vec<(usize, usize)> {
        let (mut old, mut new) = (0, 0);
        let mut pairs = Vec::new();
        for line in &self.lines {
            match line {
                HunkLine::Context(_) => {
                    pairs.push((old, new));
                    old += 1;
                    new += 1;
                }
                HunkLine::Remove(_) => old += 1,
                HunkLine::Add(_) => new += 1,
            }
        }
        pairs
    }
}

/// `text` quoted for a message (JSON-style escapes), cut to `max` characters.
pub fn quote(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

/// Lines quoted and listed for a message, at most `max` of them.
pub(crate) fn quote_lines<S: AsRef<str>>(lines: &[S], max: usize) -> String {
    let mut out = lines
        .iter()
        .take(max)
        .map(|l| quote(l.as_ref(), 100))
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > max {
        out.push_str(&format!(" … (+{} more)", lines.len() - max));
    }
    out
}

impl fmt::Display for HunkLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HunkLine::Context(t) => write!(f, " {t}"),
            HunkLine::Remove(t) => write!(f, "-{t}"),
            HunkLine::Add(t) => write!(f, "+{t}"),
        }
    }
}

#[cfg(test)]
mod quote_tests {
    #[test]
    fn quote_cuts_and_marks() {
        assert_eq!(super::quote("abcdef", 3), "\"abc\"…");
        assert_eq!(super::quote("a\tb", 9), "\"a\\tb\"");
    }
}
