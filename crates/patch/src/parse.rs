//! Parsing an `apply_patch` text, as Codex does.
//!
//! Mirrors `codex-rs/apply-patch/src/parser.rs` (`parse_patch` → `parse_patch_text`: trim, split
//! into lines, check the `*** Begin Patch` / `*** End Patch` boundaries, strictly and then
//! through a `<<EOF` heredoc wrapper) and `streaming_parser.rs` (`StreamingPatchParser`, which
//! the newest Codex feeds every patch through). Where Codex's rule is odd, it is kept and noted.

use std::fmt;

use crate::{quote, FileOp, Hunk, HunkLine, Patch};

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";
const ENVIRONMENT_ID: &str = "*** Environment ID:";
const CONTEXT: &str = "@@ ";
const EMPTY_CONTEXT: &str = "@@";

const FILE_HEADERS: &str =
    "\"*** Add File: <path>\", \"*** Update File: <path>\", \"*** Delete File: <path>\"";

/// Why a patch text is not a patch Codex would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the patch text where the problem is.
    pub line: usize,
    /// What is wrong, and what was expected there.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Parses an `apply_patch` text (the `command` of Codex's `apply_patch` tool) as Codex does.
///
/// A patch with no file operation (`*** Begin Patch` directly followed by `*** End Patch`) is
/// refused here, although Codex's parser accepts it: Codex then fails the call with "No files
/// were modified." (`apply_hunks_to_files`).
pub fn parse(text: &str) -> Result<Patch, ParseError> {
    let lines = patch_lines(text);
    let body = boundaries(&lines)?;
    let mut parser = Parser::default();
    let (last, middle) = match body.split_last() {
        Some(split) => split,
        None => return Err(error(1, "the patch is empty")),
    };
    // The first line is `*** Begin Patch` (checked above); Codex's state machine starts there.
    for &(number, line) in middle.iter().skip(1) {
        parser.line(number, line)?;
    }
    // `StreamingPatchParser::finish`: the last line (`*** End Patch`, checked above) ends the
    // patch whatever mode the parser is in.
    parser.end_patch(last.0, last.1.trim())?;
    if parser.ops.is_empty() {
        return Err(error(
            last.0,
            "the patch has no file operation: put \"*** Add File: <path>\", \
             \"*** Update File: <path>\" or \"*** Delete File: <path>\" between \
             \"*** Begin Patch\" and \"*** End Patch\" (Codex fails an empty patch with \
             \"No files were modified.\")",
        ));
    }
    Ok(Patch {
        ops: parser.ops,
        environment_id: parser.environment_id,
    })
}

/// `patch.trim().lines()` (`parse_patch_text`), each line with its 1-based number in `text`
/// and without a trailing `\r` (`push_delta` strips one more after `lines()` has stripped
/// `\r\n`).
fn patch_lines(text: &str) -> Vec<(usize, &str)> {
    let start = text.len() - text.trim_start().len();
    let first = 1 + text[..start].bytes().filter(|&b| b == b'\n').count();
    text.trim()
        .lines()
        .enumerate()
        .map(|(i, line)| (first + i, line.strip_suffix('\r').unwrap_or(line)))
        .collect()
}

/// `check_patch_boundaries_lenient`: the first line must trim to `*** Begin Patch` and the last
/// to `*** End Patch`; failing that, a heredoc wrapper (`<<EOF`, `<<'EOF'` or `<<"EOF"` as the
/// first line, a last line ending in `EOF`, at least 4 lines) is stripped and the inside checked
/// instead, whose error then stands.
fn boundaries<'a, 'b>(lines: &'b [(usize, &'a str)]) -> Result<&'b [(usize, &'a str)], ParseError> {
    let strict = match strict_boundaries(lines) {
        Ok(()) => return Ok(lines),
        Err(e) => e,
    };
    if let [(_, first), .., (_, last)] = lines {
        if matches!(*first, "<<EOF" | "<<'EOF'" | "<<\"EOF\"")
            && last.ends_with("EOF")
            && lines.len() >= 4
        {
            let inner = &lines[1..lines.len() - 1];
            strict_boundaries(inner)?;
            return Ok(inner);
        }
    }
    Err(strict)
}

/// `check_start_and_end_lines_strict`: a wrong first line is reported before a wrong last line.
fn strict_boundaries(lines: &[(usize, &str)]) -> Result<(), ParseError> {
    match lines {
        [] => Err(error(
            1,
            "the patch is empty: it must start with \"*** Begin Patch\" and end with \"*** End Patch\"",
        )),
        [(n, first), ..] if first.trim() != BEGIN_PATCH => Err(error(
            *n,
            format!(
                "the first line of the patch must be \"*** Begin Patch\", got {}",
                quote(first, 80)
            ),
        )),
        [.., (n, last)] if last.trim() != END_PATCH || lines.len() < 2 => Err(error(
            *n,
            format!(
                "the last line of the patch must be \"*** End Patch\", got {}",
                quote(last, 80)
            ),
        )),
        _ => Ok(()),
    }
}

/// `StreamingParserMode`, less `NotStarted` (the first line is checked before).
#[derive(Debug, Default, Clone, Copy)]
enum Mode {
    #[default]
    Started,
    Add,
    Delete,
    Update {
        header: usize,
    },
    Ended {
        at: usize,
    },
}

#[derive(Debug, Default)]
struct Parser {
    ops: Vec<FileOp>,
    mode: Mode,
    environment_id: Option<String>,
}

impl Parser {
    /// `StreamingPatchParser::process_line` for one line after `*** Begin Patch`.
    fn line(&mut self, n: usize, line: &str) -> Result<(), ParseError> {
        let trimmed = line.trim();
        match self.mode {
            Mode::Started => {
                if self.header(n, trimmed)? {
                    return Ok(());
                }
                Err(error(
                    n,
                    format!(
                        "expected a file header ({FILE_HEADERS}) after \"*** Begin Patch\", got {}",
                        quote(trimmed, 100)
                    ),
                ))
            }
            Mode::Add => {
                if self.header(n, trimmed)? {
                    return Ok(());
                }
                // The content lines keep everything after the `+`, whitespace included.
                if let (Some(text), Some(FileOp::Add { lines, .. })) =
                    (line.strip_prefix('+'), self.ops.last_mut())
                {
                    lines.push(text.to_string());
                    return Ok(());
                }
                Err(error(
                    n,
                    format!(
                        "expected a line starting with '+' (every line of an added file starts \
                         with '+', an empty one too) or a file header, got {}",
                        quote(trimmed, 100)
                    ),
                ))
            }
            Mode::Delete => {
                if self.header(n, trimmed)? {
                    return Ok(());
                }
                Err(error(
                    n,
                    format!(
                        "\"*** Delete File:\" takes no lines: expected a file header \
                         ({FILE_HEADERS}) or \"*** End Patch\", got {}",
                        quote(trimmed, 100)
                    ),
                ))
            }
            Mode::Update { .. } => self.update_line(n, line),
            Mode::Ended { at } => {
                if trimmed.is_empty() {
                    return Ok(());
                }
                Err(error(
                    n,
                    format!(
                        "the patch already ended with \"*** End Patch\" at line {at}; \
                         nothing may follow it, got {}",
                        quote(trimmed, 100)
                    ),
                ))
            }
        }
    }

    /// `handle_hunk_headers_and_end_patch`: a file header, `*** End Patch`, or (only right
    /// after `*** Begin Patch`) `*** Environment ID:`. `s` is the line trimmed on both sides,
    /// or only at its end inside an `Update File` (Codex's `update_line`).
    fn header(&mut self, n: usize, s: &str) -> Result<bool, ParseError> {
        if matches!(self.mode, Mode::Started) {
            if let Some(id) = s.strip_prefix(ENVIRONMENT_ID) {
                let id = id.trim();
                if self.environment_id.is_some() {
                    return Err(error(n, "\"*** Environment ID:\" may be given only once"));
                }
                if id.is_empty() {
                    return Err(error(n, "\"*** Environment ID:\" needs an id after it"));
                }
                self.environment_id = Some(id.to_string());
                return Ok(true);
            }
        }
        if s == END_PATCH {
            self.end_patch(n, s)?;
            return Ok(true);
        }
        if let Some(path) = s.strip_prefix(ADD_FILE) {
            self.ensure_update_not_empty(n, s)?;
            self.ops.push(FileOp::Add {
                path: path.to_string(),
                lines: Vec::new(),
                line: n,
            });
            self.mode = Mode::Add;
            return Ok(true);
        }
        if let Some(path) = s.strip_prefix(DELETE_FILE) {
            self.ensure_update_not_empty(n, s)?;
            self.ops.push(FileOp::Delete {
                path: path.to_string(),
                line: n,
            });
            self.mode = Mode::Delete;
            return Ok(true);
        }
        if let Some(path) = s.strip_prefix(UPDATE_FILE) {
            self.ensure_update_not_empty(n, s)?;
            self.ops.push(FileOp::Update {
                path: path.to_string(),
                move_to: None,
                hunks: Vec::new(),
                line: n,
            });
            self.mode = Mode::Update { header: n };
            return Ok(true);
        }
        Ok(false)
    }

    fn end_patch(&mut self, n: usize, s: &str) -> Result<(), ParseError> {
        self.ensure_update_not_empty(n, s)?;
        if !matches!(self.mode, Mode::Ended { .. }) {
            self.mode = Mode::Ended { at: n };
        }
        Ok(())
    }

    /// `ensure_update_hunk_is_not_empty`, called when a header or `*** End Patch` closes the
    /// operation before it: an `Update File` needs a hunk, and its last hunk needs a line.
    fn ensure_update_not_empty(&self, n: usize, s: &str) -> Result<(), ParseError> {
        let Some(FileOp::Update { path, hunks, .. }) = self.ops.last() else {
            return Ok(());
        };
        if let (true, Mode::Update { header }) = (hunks.is_empty(), self.mode) {
            return Err(error(
                header,
                format!(
                    "\"*** Update File: {path}\" has no hunk: expected \"@@\" and lines starting \
                     with ' ', '-' or '+' after it (use \"*** Delete File:\" or \"*** Add File:\" \
                     to remove or create a file)"
                ),
            ));
        }
        if let Some(hunk) = hunks.last().filter(|h| h.lines.is_empty()) {
            return Err(empty_hunk(n, hunk.line, s));
        }
        Ok(())
    }

    /// The `UpdateFile` arm of `process_line`.
    fn update_line(&mut self, n: usize, line: &str) -> Result<(), ParseError> {
        // Inside an update Codex trims only the end of a line before looking for markers.
        let update_line = line.trim_end();
        if self.header(n, update_line)? {
            return Ok(());
        }
        let Some(FileOp::Update { move_to, hunks, .. }) = self.ops.last_mut() else {
            return Err(error(n, "internal error: an update without its operation"));
        };
        if hunks.last().is_some_and(|h| h.end_of_file) {
            // Blank lines may follow `*** End of File`; anything else must open a new hunk.
            if update_line.is_empty() {
                return Ok(());
            }
            if update_line != EMPTY_CONTEXT && !update_line.starts_with(CONTEXT) {
                return Err(error(
                    n,
                    format!(
                        "after \"*** End of File\" only a new \"@@\" hunk, a file header or \
                         \"*** End Patch\" may follow, got {}",
                        quote(line, 100)
                    ),
                ));
            }
        }
        if hunks.is_empty() && move_to.is_none() {
            if let Some(to) = update_line.strip_prefix(MOVE_TO) {
                *move_to = Some(to.to_string());
                return Ok(());
            }
        }
        let opens_hunk = update_line == EMPTY_CONTEXT || update_line.starts_with(CONTEXT);
        if let Some(hunk) = hunks.last().filter(|h| opens_hunk && h.lines.is_empty()) {
            return Err(empty_hunk(n, hunk.line, line));
        }
        if update_line == EMPTY_CONTEXT {
            hunks.push(new_hunk(None, n));
            return Ok(());
        }
        if let Some(context) = update_line.strip_prefix(CONTEXT) {
            hunks.push(new_hunk(Some(context.to_string()), n));
            return Ok(());
        }
        if update_line == END_OF_FILE {
            if let Some(hunk) = hunks.last_mut() {
                if hunk.lines.is_empty() {
                    return Err(error(
                        n,
                        format!(
                            "\"*** End of File\" closes the hunk at line {} before it has any \
                             line starting with ' ', '-' or '+'",
                            hunk.line
                        ),
                    ));
                }
                hunk.end_of_file = true;
            }
            // Codex ignores `*** End of File` before any hunk.
            return Ok(());
        }
        // An empty line is an empty context line; the prefix is cut from the untrimmed line.
        let hunk_line = if line.is_empty() {
            Some(HunkLine::Context(String::new()))
        } else if let Some(text) = line.strip_prefix(' ') {
            Some(HunkLine::Context(text.to_string()))
        } else if let Some(text) = line.strip_prefix('+') {
            Some(HunkLine::Add(text.to_string()))
        } else {
            line.strip_prefix('-')
                .map(|text| HunkLine::Remove(text.to_string()))
        };
        if let Some(hunk_line) = hunk_line {
            if hunks.is_empty() {
                // The first hunk may leave out its `@@`.
                hunks.push(new_hunk(None, n));
            }
            if let Some(hunk) = hunks.last_mut() {
                hunk.lines.push(hunk_line);
            }
            return Ok(());
        }
        if hunks.last().is_some_and(|h| !h.lines.is_empty()) {
            return Err(error(
                n,
                format!(
                    "expected a hunk line starting with ' ', '-' or '+', a new \"@@\" hunk, a \
                     file header or \"*** End Patch\", got {}",
                    quote(line, 100)
                ),
            ));
        }
        Err(error(
            n,
            format!(
                "expected a hunk line starting with ' ', '-' or '+', got {}",
                quote(line, 100)
            ),
        ))
    }
}

fn new_hunk(context: Option<String>, line: usize) -> Hunk {
    Hunk {
        context,
        lines: Vec::new(),
        end_of_file: false,
        line,
    }
}

fn empty_hunk(n: usize, hunk_line: usize, got: &str) -> ParseError {
    error(
        n,
        format!(
            "the hunk at line {hunk_line} has no line: expected lines starting with ' ', '-' or \
             '+' after its \"@@\", got {}",
            quote(got, 100)
        ),
    )
}
