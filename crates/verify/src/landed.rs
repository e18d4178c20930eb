//! Did the edit land? Every file the call touched is read back and compared with what the call
//! said it wrote: a Codex patch's added files, hunks, moves and deletions; a Claude Edit's
//! replacements, a Write's content, a NotebookEdit's cell.
//!
//! After an edit the old content is gone, so a patch hunk is checked backwards: the lines it
//! leaves (context and `+` lines) must be in the file, together and in hunk order, found the way
//! Codex finds a hunk ([`selfheal_patch::locate`] on the reversed hunks). That also rebuilds the
//! content before the edit, which the sanity checks use to tell a file the edit broke from one
//! that was broken already.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use selfheal_patch::{FileOp, Hunk, HunkLine};
use selfheal_protocol::{ToolArgs, ToolCall, ToolKind};
use serde_json::Value;

use crate::text::{count, lines_differ, same_text};
use crate::{Finding, What};
use selfheal_patch::quote;

/// Files above this size are not read back (their existence is still checked).
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Lines listed per hunk in a message.
const MAX_LINES_SHOWN: usize = 5;

/// What the file held before the edit, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Before {
    Unknown,
    /// The edit created it.
    New,
    Text(String),
}

/// A file the edit left on disk, read back.
#[derive(Debug, Clone)]
pub struct FileState {
    /// The path as shown to the agent: as the call wrote it, or relative to the session's cwd.
    pub shown: String,
    pub path: PathBuf,
    /// Its content now.
    pub now: String,
    pub before: Before,
    /// The text the edit wrote into it (added lines, `new_string`, the content): conflict
    /// markers count only when the edit itself wrote them.
    pub written: String,
}

/// The verdict on whether the edit landed.
#[derive(Debug, Default)]
pub struct Landing {
    pub findings: Vec<Finding>,
    /// The files the edit left, read back, for the sanity checks and the configured checks.
    pub files: Vec<FileState>,
    /// How many files the edit was meant to touch.
    pub total: usize,
}

/// Reads a file back: `Ok(None)` when it does not exist, `Err(())` when it cannot be checked
/// (unreadable, a directory, too large).
fn read(path: &Path) -> Result<Option<String>, ()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Err(()),
        Ok(m) if !m.is_file() || m.len() > MAX_BYTES => Err(()),
        Ok(_) => match std::fs::read(path) {
            Ok(bytes) => Ok(Some(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(()),
        },
    }
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Where paths are resolved, and how they are shown.
pub struct Place<'a> {
    pub cwd: Option<&'a Path>,
}

impl Place<'_> {
    fn resolve(&self, raw: &str) -> Option<PathBuf> {
        let path = Path::new(raw);
        if path.is_absolute() {
            Some(path.to_path_buf())
        } else {
            self.cwd.map(|cwd| cwd.join(path))
        }
    }

    fn shown(&self, raw: &str, path: &Path) -> String {
        if Path::new(raw).is_relative() {
            return raw.to_owned();
        }
        match self.cwd.and_then(|cwd| path.strip_prefix(cwd).ok()) {
            Some(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
            _ => raw.to_owned(),
        }
    }
}

/// Checks one tool call against the disk. `response` is the client's `tool_response`.
pub fn check(call: &ToolCall<'_>, response: Option<&Value>, place: &Place<'_>) -> Landing {
    match (call.kind, call.args()) {
        (ToolKind::Patch, ToolArgs::Patch { patch }) => check_patch(patch, place),
        (ToolKind::Write, ToolArgs::Write { file_path, content }) if !file_path.is_empty() => {
            check_write(file_path, content, response, place)
        }
        (ToolKind::Edit, ToolArgs::Edit { file_path, .. })
            if call.name == "NotebookEdit" && !file_path.is_empty() =>
        {
            check_notebook(file_path, call.input, place)
        }
        (
            ToolKind::Edit,
            ToolArgs::Edit {
                file_path,
                replacements,
            },
        ) if !file_path.is_empty() && !replacements.is_empty() => {
            let edits: Vec<Replacement<'_>> = replacements
                .iter()
                .map(|r| Replacement {
                    old_string: r.old_string,
                    new_string: r.new_string,
                    replace_all: r.replace_all,
                })
                .collect();
            check_edit(file_path, &edits, response, place)
        }
        _ => Landing::default(),
    }
}

impl Landing {
    fn found(&mut self, shown: &str, detail: String) {
        self.findings.push(Finding {
            path: shown.to_owned(),
            what: What::NotLanded,
            detail,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Codex apply_patch

fn check_patch(text: &str, place: &Place<'_>) -> Landing {
    let mut out = Landing::default();
    // A patch Codex could not parse never ran (no PostToolUse fires for it).
    let Ok(patch) = selfheal_patch::parse(text) else {
        return out;
    };
    let patch_lines: Vec<&str> = text.lines().collect();
    for (i, op) in patch.ops.iter().enumerate() {
        // A later operation on the same path decides what is there now.
        let paths = op.paths();
        if patch.ops[i + 1..]
            .iter()
            .any(|later| later.paths().iter().any(|p| paths.contains(p)))
        {
            continue;
        }
        let Some(path) = place.resolve(op.destination()) else {
            continue;
        };
        out.total += 1;
        let shown = place.shown(op.destination(), &path);
        match op {
            FileOp::Add { .. } => {
                let expected = op.added_content().unwrap_or_default();
                match read(&path) {
                    Ok(None) => out.found(&shown, "was not created (the patch adds it)".into()),
                    Ok(Some(now)) => {
                        if let Some(diff) = compare(&now, &expected, "the patch") {
                            out.found(&shown, diff);
                        }
                        out.files.push(FileState {
                            shown,
                            path,
                            now,
                            before: Before::New,
                            written: expected,
                        });
                    }
                    Err(()) => {}
                }
            }
            FileOp::Delete { .. } => {
                if exists(&path) {
                    out.found(&shown, "still exists (the patch deletes it)".into());
                }
            }
            FileOp::Update {
                path: from,
                move_to,
                hunks,
                ..
            } => {
                if let Some(to) = move_to {
                    if let Some(source) = place.resolve(from) {
                        if source != path && exists(&source) {
                            out.found(
                                &place.shown(from, &source),
                                format!("still exists: the patch moves it to {to}"),
                            );
                        }
                    }
                }
                match read(&path) {
                    Ok(None) => {
                        let detail = match move_to {
                            Some(_) => format!("is missing: the patch moves {from} here"),
                            None => "is missing (the patch updates it)".to_owned(),
                        };
                        out.found(&shown, detail);
                    }
                    Ok(Some(now)) => {
                        let want_before = crate::sane::parses(&path);
                        let before = match check_hunks(&now, hunks, &patch_lines, want_before) {
                            Ok(before) => before.map_or(Before::Unknown, Before::Text),
                            Err(problems) => {
                                for p in problems {
                                    out.found(&shown, p);
                                }
                                Before::Unknown
                            }
                        };
                        let written = hunks
                            .iter()
                            .flat_map(|h| &h.lines)
                            .filter_map(|l| match l {
                                HunkLine::Add(t) => Some(t.as_str()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join("\n");
                        out.files.push(FileState {
                            shown,
                            path,
                            now,
                            before,
                            written,
                        });
                    }
                    Err(()) => {}
                }
            }
        }
    }
    out
}

/// What a hunk does, which decides how it is checked backwards.
#[derive(PartialEq)]
enum Shape {
    /// Old and new lines: its new lines must be in the file where Codex put them.
    Replace,
    /// Only `+` lines: Codex appends them at the end of the file.
    Append,
    /// Only `-` lines: nothing of it is left to find.
    Remove,
}

fn shape(h: &Hunk) -> Shape {
    if h.old_lines().is_empty() {
        Shape::Append
    } else if h.new_lines().is_empty() {
        Shape::Remove
    } else {
        Shape::Replace
    }
}

/// The hunk turned around: its `+` lines are what it expects to find, its `-` lines what it
/// would put back.
fn reversed(h: &Hunk) -> Hunk {
    Hunk {
        context: h.context.clone(),
        lines: h
            .lines
            .iter()
            .map(|l| match l {
                HunkLine::Add(t) => HunkLine::Remove(t.clone()),
                HunkLine::Remove(t) => HunkLine::Add(t.clone()),
                HunkLine::Context(t) => HunkLine::Context(t.clone()),
            })
            .collect(),
        end_of_file: h.end_of_file,
        line: h.line,
    }
}

/// Checks every hunk of an update against the file as it is now. `Ok` with the content before
/// the patch when it can be rebuilt; `Err` with one message per hunk that did not land.
fn check_hunks(
    now: &str,
    hunks: &[Hunk],
    patch_lines: &[&str],
    want_before: bool,
) -> Result<Option<String>, Vec<String>> {
    let mut problems = Vec::new();
    let replaced: Vec<(usize, Hunk)> = hunks
        .iter()
        .enumerate()
        .filter(|(_, h)| shape(h) == Shape::Replace)
        .map(|(k, h)| (k, reversed(h)))
        .collect();
    let back: Vec<Hunk> = replaced.iter().map(|(_, h)| h.clone()).collect();
    let mut file_lines: Option<HashSet<&str>> = None;
    match selfheal_patch::locate(now, &back) {
        Ok(found) => {
            // A hunk that only drops lines around the ones it keeps leaves lines that were
            // there before too: its old lines, still in place, tell it did not land.
            let mut lines: Option<Vec<&str>> = None;
            for ((k, _), at) in replaced.iter().zip(&found) {
                let h = &hunks[*k];
                let (old, new) = (h.old_lines(), h.new_lines());
                if old.len() <= new.len() {
                    continue;
                }
                let lines = lines.get_or_insert_with(|| now.lines().collect());
                let from = (at.start + new.len()).saturating_sub(old.len());
                let still = (from..=at.start).find(|&i| {
                    lines.get(i..i + old.len()).is_some_and(|window| {
                        window.iter().zip(&old).all(|(a, b)| a.trim() == b.trim())
                    })
                });
                if let Some(i) = still {
                    problems.push(format!(
                        "hunk {} (patch line {}) was not applied: its old lines are still at \
                         file line {}",
                        k + 1,
                        h.line,
                        i + 1
                    ));
                }
            }
        }
        Err(whole) => {
            for (k, rev) in &replaced {
                if selfheal_patch::locate(now, std::slice::from_ref(rev)).is_err() {
                    problems.push(diagnose(now, &hunks[*k], *k, patch_lines, &mut file_lines));
                }
            }
            if problems.is_empty() {
                // Each hunk is there on its own, but not in the order the patch gives.
                let k = replaced.get(whole.hunk).map_or(whole.hunk, |(k, _)| *k);
                problems.push(format!(
                    "hunk {} (patch line {}): its lines are in the file, but not after the \
                     hunks before it as the patch orders them",
                    k + 1,
                    hunks[k].line
                ));
            }
        }
    }
    for (k, h) in hunks.iter().enumerate() {
        match shape(h) {
            Shape::Replace => {}
            Shape::Append => {
                // The added lines, together, anywhere (Codex puts them at the end).
                let block = Hunk {
                    context: None,
                    end_of_file: false,
                    ..reversed(h)
                };
                if selfheal_patch::locate(now, &[block]).is_err() {
                    problems.push(diagnose(now, h, k, patch_lines, &mut file_lines));
                }
            }
            Shape::Remove => {
                let gone = h.old_lines();
                // Lines of punctuation alone (`}`) are everywhere: only telling ones count.
                let telling = gone.iter().any(|l| l.chars().any(char::is_alphanumeric));
                if telling {
                    if let Ok(at) = selfheal_patch::locate(now, std::slice::from_ref(h)) {
                        problems.push(format!(
                            "hunk {} (patch line {}) was not applied: the lines it removes are \
                             still at file line {}",
                            k + 1,
                            h.line,
                            at[0].first_line()
                        ));
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // The content before the patch, when every hunk can be turned back in one pass (only
    // the parse check needs it).
    if want_before && replaced.len() == hunks.len() {
        Ok(selfheal_patch::apply(now, &back).ok())
    } else {
        Ok(None)
    }
}

/// Why one hunk is not in the file: not applied at all, or which of its `+` lines are missing.
fn diagnose<'a>(
    now: &'a str,
    h: &Hunk,
    k: usize,
    patch_lines: &[&str],
    file_lines: &mut Option<HashSet<&'a str>>,
) -> String {
    let head = format!("hunk {} (patch line {})", k + 1, h.line);
    if !h.old_lines().is_empty() {
        if let Ok(at) = selfheal_patch::locate(now, std::slice::from_ref(h)) {
            return format!(
                "{head} was not applied: its old lines are still at file line {}",
                at[0].first_line()
            );
        }
    }
    let present = file_lines.get_or_insert_with(|| now.lines().map(str::trim).collect());
    // The patch line of each hunk line: after the `@@` line when the hunk has one.
    let has_header = patch_lines
        .get(h.line.saturating_sub(1))
        .is_some_and(|l| l.trim_start().starts_with("@@"));
    let first = h.line + usize::from(has_header);
    let missing: Vec<String> = h
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l {
            HunkLine::Add(t) if !present.contains(t.trim()) => {
                Some(format!("+{} (patch line {})", quote(t, 80), first + i))
            }
            _ => None,
        })
        .collect();
    if missing.is_empty() {
        return format!(
            "{head}: its lines are in the file, but not together as the hunk puts them"
        );
    }
    let mut list: Vec<String> = missing.iter().take(MAX_LINES_SHOWN).cloned().collect();
    if missing.len() > MAX_LINES_SHOWN {
        list.push(format!("… (+{} more)", missing.len() - MAX_LINES_SHOWN));
    }
    let removed_left = h
        .lines
        .iter()
        .filter(|l| matches!(l, HunkLine::Remove(t) if present.contains(t.trim()) && t.chars().any(char::is_alphanumeric)))
        .count();
    let left = if removed_left > 0 {
        format!("; {removed_left} of its - lines are still in the file")
    } else {
        String::new()
    };
    format!("{head}: missing {}{left}", list.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Claude Write, Edit, MultiEdit, NotebookEdit

/// One replacement of an Edit (or of a MultiEdit's list).
#[derive(Debug, Clone, Copy)]
pub struct Replacement<'a> {
    pub old_string: &'a str,
    pub new_string: &'a str,
    pub replace_all: bool,
}

fn response_str<'v>(response: Option<&'v Value>, key: &str) -> Option<&'v str> {
    response?.get(key)?.as_str()
}

fn check_write(raw: &str, content: &str, response: Option<&Value>, place: &Place<'_>) -> Landing {
    let mut out = Landing::default();
    let Some(path) = place.resolve(raw) else {
        return out;
    };
    out.total = 1;
    let shown = place.shown(raw, &path);
    let before = match response.and_then(|r| r.get("originalFile")) {
        Some(Value::String(s)) => Before::Text(s.clone()),
        Some(Value::Null) => Before::New,
        _ => Before::Unknown,
    };
    match read(&path) {
        Ok(None) => out.found(&shown, "does not exist: the Write did not land".into()),
        Ok(Some(now)) => {
            if let Some(diff) = compare(&now, content, "the Write") {
                out.found(&shown, diff);
            }
            out.files.push(FileState {
                shown,
                path,
                now,
                before,
                written: content.to_owned(),
            });
        }
        Err(()) => {}
    }
    out
}

/// The content Claude's Edit makes of `original` (its `applyEdit`): the first occurrence, or
/// every one with `replace_all`; an empty `new_string` takes the line's newline with it.
/// `None` when an `old_string` is not in the content as written (Claude then matched it with
/// its quotes normalised, which this does not redo).
fn apply_edits(original: &str, edits: &[Replacement<'_>]) -> Option<String> {
    let mut content = original.to_owned();
    for e in edits {
        if e.old_string.is_empty() {
            if !content.is_empty() {
                return None;
            }
            content = e.new_string.to_owned();
            continue;
        }
        let with_newline = format!("{}\n", e.old_string);
        let old = if e.new_string.is_empty()
            && !e.old_string.ends_with('\n')
            && content.contains(&with_newline)
        {
            with_newline.as_str()
        } else {
            e.old_string
        };
        if !content.contains(old) {
            return None;
        }
        content = if e.replace_all {
            content.replace(old, e.new_string)
        } else {
            content.replacen(old, e.new_string, 1)
        };
    }
    Some(content)
}

fn check_edit(
    raw: &str,
    edits: &[Replacement<'_>],
    response: Option<&Value>,
    place: &Place<'_>,
) -> Landing {
    let mut out = Landing::default();
    let Some((path, shown, now)) = edited_file(raw, place, "the edit", &mut out) else {
        return out;
    };
    let original = response_str(response, "originalFile");
    let user_modified = response
        .and_then(|r| r.get("userModified"))
        .and_then(Value::as_bool)
        == Some(true);
    let expected = original
        .filter(|_| !user_modified)
        .and_then(|o| apply_edits(o, edits));
    let exact = expected.as_deref().is_some_and(|e| same_text(&now, e));
    if !exact {
        let cut = expected
            .as_deref()
            .filter(|e| e.len() > now.len() && e.starts_with(now.as_str()));
        let counted = count_problems(&now, edits, expected.as_deref());
        // Text another hook reformatted is still the edit landed: only a cut-off file or a
        // replacement missing from both views is a failure.
        let landed =
            cut.is_none() && (counted.is_empty() || structured_patch_landed(&now, response));
        if !landed {
            for p in counted {
                out.found(&shown, p);
            }
            if let Some(e) = cut {
                out.found(
                    &shown,
                    compare(&now, e, "the edit").unwrap_or_else(|| "is cut short".into()),
                );
            }
        }
    }
    let before = match original {
        Some(o) => Before::Text(o.to_owned()),
        None if edits.first().is_some_and(|e| e.old_string.is_empty()) => Before::New,
        None => Before::Unknown,
    };
    let written = edits
        .iter()
        .map(|e| e.new_string)
        .collect::<Vec<_>>()
        .join("\n");
    out.files.push(FileState {
        shown,
        path,
        now,
        before,
        written,
    });
    out
}

/// `new_string` as often as the edit leaves it, `old_string` no more often than it leaves it.
/// Without Claude's `originalFile` the expectation is: `new_string` at least once, and a
/// unique `old_string` gone (unless a `new_string` contains it).
fn count_problems(now: &str, edits: &[Replacement<'_>], expected: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, e) in edits.iter().enumerate() {
        let label = if edits.len() > 1 {
            format!("edit {}: ", i + 1)
        } else {
            String::new()
        };
        if !e.new_string.is_empty() {
            let rewritten_later = expected.is_none()
                && edits[i + 1..].iter().any(|l| {
                    !l.old_string.is_empty()
                        && (l.old_string.contains(e.new_string)
                            || e.new_string.contains(l.old_string))
                });
            let want = expected.map_or(1, |x| count(x, e.new_string));
            let have = count(now, e.new_string);
            if have < want && !rewritten_later {
                out.push(format!(
                    "{label}new_string {} appears {} in the file; the edit should leave it {}",
                    quote(e.new_string, 120),
                    times(have),
                    times(want)
                ));
            }
        }
        if !e.old_string.is_empty() {
            let allowed = match expected {
                Some(x) => count(x, e.old_string),
                None if edits.iter().any(|o| o.new_string.contains(e.old_string)) => usize::MAX,
                None => 0,
            };
            let have = count(now, e.old_string);
            if have > allowed {
                out.push(format!(
                    "{label}old_string {} is still there {}{}",
                    quote(e.old_string, 120),
                    times(have),
                    if e.replace_all {
                        " (replace_all replaces every one)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    out
}

fn times(n: usize) -> String {
    match n {
        0 => "0 times".into(),
        1 => "once".into(),
        n => format!("{n} times"),
    }
}

/// Claude's `structuredPatch` (the diff it computed of its own result): every hunk's new side
/// (context and `+` lines) is in the file, in order.
fn structured_patch_landed(now: &str, response: Option<&Value>) -> bool {
    let Some(hunks) = response
        .and_then(|r| r.get("structuredPatch"))
        .and_then(Value::as_array)
        .filter(|h| !h.is_empty())
    else {
        return false;
    };
    let back: Vec<Hunk> = hunks
        .iter()
        .map(|h| Hunk {
            context: None,
            lines: h
                .get("lines")
                .and_then(Value::as_array)
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|l| match l.split_at_checked(1) {
                            Some(("+", t)) => Some(HunkLine::Remove(t.to_owned())),
                            Some(("-", t)) => Some(HunkLine::Add(t.to_owned())),
                            Some((" ", t)) => Some(HunkLine::Context(t.to_owned())),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            end_of_file: false,
            line: 0,
        })
        .filter(|h| !h.old_lines().is_empty())
        .collect();
    !back.is_empty() && selfheal_patch::locate(now, &back).is_ok()
}

/// The file an in-place edit touched, as it is now: (path, the name to show, its text).
/// `None` when there is nothing to check; a file that is gone is recorded in `out` first.
fn edited_file(
    raw: &str,
    place: &Place<'_>,
    edit: &str,
    out: &mut Landing,
) -> Option<(PathBuf, String, String)> {
    let path = place.resolve(raw)?;
    out.total = 1;
    let shown = place.shown(raw, &path);
    match read(&path) {
        Ok(Some(now)) => Some((path, shown, now)),
        Ok(None) => {
            out.found(&shown, format!("does not exist after {edit}"));
            None
        }
        Err(()) => None,
    }
}

fn check_notebook(raw: &str, input: &Value, place: &Place<'_>) -> Landing {
    let mut out = Landing::default();
    let Some((path, shown, now)) = edited_file(raw, place, "the NotebookEdit", &mut out) else {
        return out;
    };
    let new_source = input
        .get("new_source")
        .and_then(Value::as_str)
        .unwrap_or("");
    let cell_id = input.get("cell_id").and_then(Value::as_str);
    let mode = input
        .get("edit_mode")
        .and_then(Value::as_str)
        .unwrap_or("replace");
    // A notebook that does not parse is the sanity check's to report.
    if let Ok(notebook) = serde_json::from_str::<Value>(&now) {
        let cells = notebook
            .get("cells")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let id_of = |c: &Value| c.get("id").and_then(Value::as_str).map(str::to_owned);
        if mode == "delete" {
            if let Some(id) = cell_id {
                if cells.iter().any(|c| id_of(c).as_deref() == Some(id)) {
                    out.found(
                        &shown,
                        format!("cell {id} is still there (edit_mode delete)"),
                    );
                }
            }
        } else {
            let source = |c: &Value| match c.get("source") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts.iter().filter_map(Value::as_str).collect(),
                _ => String::new(),
            };
            if !cells.iter().any(|c| same_text(&source(c), new_source)) {
                out.found(
                    &shown,
                    format!("no cell holds new_source {}", quote(new_source, 120)),
                );
            }
        }
    }
    out.files.push(FileState {
        shown,
        path,
        now,
        before: Before::Unknown,
        written: new_source.to_owned(),
    });
    out
}

// ---------------------------------------------------------------------------------------------

/// How the content on disk differs from what `who` wrote; `None` when it is the same (line
/// endings, trailing white space and quote style aside).
fn compare(now: &str, expected: &str, who: &str) -> Option<String> {
    if same_text(now, expected) {
        return None;
    }
    let want = expected.lines().count();
    let have = now.lines().count();
    if now.trim().is_empty() {
        return Some(format!(
            "is empty; {who} wrote {want} lines ({} bytes)",
            expected.len()
        ));
    }
    if expected.starts_with(now) {
        let last = now.lines().last().unwrap_or("");
        return Some(format!(
            "is cut short: it holds {have} of {want} lines ({} of {} bytes) and ends at line \
             {have} with {}; the rest of what {who} wrote is missing",
            now.len(),
            expected.len(),
            quote(last, 80)
        ));
    }
    Some(match lines_differ(now, expected) {
        Some((line, found, wanted)) => {
            let show =
                |l: Option<&str>| l.map_or_else(|| "the end of the file".into(), |l| quote(l, 80));
            format!(
                "differs from what {who} wrote at line {line}: expected {}, found {}",
                show(wanted),
                show(found)
            )
        }
        None => format!("differs from what {who} wrote ({have} lines, expected {want})"),
    })
}

#[cfg(test)]
mod tests;
