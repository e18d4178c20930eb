//! Matching an `Update File`'s hunks against the file, as Codex does.
//!
//! Mirrors `compute_replacements` (`codex-rs/apply-patch/src/lib.rs`, in the newest Codex
//! `file_update.rs`), `seek_sequence.rs`, and `text_file.rs` (`SourceFile`: lines split at `\n`,
//! a `\r` before it belongs to the line ending, each line keeps its own ending).

use std::fmt;
use std::hash::Hasher;

use crate::{quote, quote_lines, Hunk};

/// How loosely a hunk's lines matched the file: Codex's `seek_sequence` tries each level over
/// the whole search range before the next, so an exact match further down wins over a fuzzy
/// one nearer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fuzz {
    /// Byte for byte.
    Exact,
    /// Equal once trailing whitespace is cut (`trim_end`).
    TrailingWhitespace,
    /// Equal once leading and trailing whitespace are cut (`trim`).
    Whitespace,
    /// Equal once trimmed and typographic dashes, quotes and odd spaces are made ASCII.
    Unicode,
}

impl Fuzz {
    const ALL: [Fuzz; 4] = [
        Fuzz::Exact,
        Fuzz::TrailingWhitespace,
        Fuzz::Whitespace,
        Fuzz::Unicode,
    ];
}

/// Where one hunk lands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 0-based index of the hunk.
    pub hunk: usize,
    /// 0-based index of the file line the hunk's `@@ context` matched, and how.
    pub context: Option<(usize, Fuzz)>,
    /// 0-based index of the first file line the hunk replaces; for a hunk without old lines,
    /// the insertion point.
    pub start: usize,
    /// How many file lines the hunk replaces (its old lines, less a trailing empty one when
    /// Codex had to drop it to match).
    pub len: usize,
    /// How loosely the old lines matched (`Exact` when there are none).
    pub fuzz: Fuzz,
    /// Codex found the old lines only after dropping their last line, an empty one (which it
    /// takes for the file's final newline), and dropped a trailing empty new line with it.
    pub dropped_trailing_empty: bool,
    /// The hunk has no old lines (only `+` lines): Codex appends its lines at the end of the
    /// file, wherever its `@@ context` matched.
    pub appended: bool,
}

impl Location {
    /// 1-based file line where the hunk starts (the insertion point for an appended hunk).
    pub fn first_line(&self) -> usize {
        self.start + 1
    }
}

/// What a [`MatchError`] could not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchErrorKind {
    /// The hunk's `@@ context` line (Codex: "Failed to find context '…' in <path>").
    Context,
    /// The hunk's old lines (Codex: "Failed to find expected lines in <path>:").
    Lines,
}

/// A hunk Codex would not find in the file (it then fails the whole call and changes nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError {
    /// 0-based index of the hunk.
    pub hunk: usize,
    /// 1-based line of the hunk in the patch text.
    pub line: usize,
    /// Whether the `@@ context` line or the old lines were not found.
    pub kind: MatchErrorKind,
    /// The lines not found: the context line, or all the hunk's old lines.
    pub expected: Vec<String>,
    /// What is wrong, where Codex searched, and what the file has instead where that can be
    /// told. It says "the file" for the file: [`MatchError::message_for`] names it.
    pub message: String,
    /// Byte offset of "the file" (the first mention of the file) in `message`.
    file_at: usize,
}

impl MatchError {
    /// The message with the file named: `… these lines are not in src/app.py after hunk 1 …`.
    pub fn message_for(&self, path: &str) -> String {
        match self.message.get(self.file_at..) {
            Some(rest) if rest.starts_with(THE_FILE) => format!(
                "{}{path}{}",
                &self.message[..self.file_at],
                &rest[THE_FILE.len()..]
            ),
            _ => self.message.clone(),
        }
    }
}

const THE_FILE: &str = "the file";

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MatchError {}

/// Locates every hunk in `content` (the current file), in order, as Codex would; `Err` names
/// the first hunk that cannot be found.
pub fn locate(content: &str, hunks: &[Hunk]) -> Result<Vec<Location>, MatchError> {
    let source = Source::new(content);
    plan(&source, hunks).map(|(locations, _)| locations)
}

/// The file content Codex would write for these hunks (for verification after the fact):
/// replaced and inserted lines take the file's first line ending (`\n` when it has none),
/// other lines keep theirs, and the result always ends with a line ending
/// (`text_file.rs`: "Updates have historically added a trailing newline").
pub fn apply(content: &str, hunks: &[Hunk]) -> Result<String, MatchError> {
    let source = Source::new(content);
    let (_, mut replacements) = plan(&source, hunks)?;
    // `compute_replacements` ends with a stable sort on the start index.
    replacements.sort_by_key(|r| r.start);

    let mut out = String::with_capacity(content.len() + 64);
    if source.bom {
        out.push('\u{feff}');
    }
    let ending = source.preferred_ending;
    let mut push = |text: &str, own: Option<&str>| {
        out.push_str(text);
        out.push_str(own.unwrap_or(ending));
    };
    let mut cursor = 0;
    for r in &replacements {
        let start = r.start.clamp(cursor, source.lines.len());
        for i in cursor..start {
            push(source.lines[i], source.endings[i]);
        }
        for text in &r.new {
            push(text, None);
        }
        cursor = (start + r.old_len).min(source.lines.len());
    }
    for i in cursor..source.lines.len() {
        push(source.lines[i], source.endings[i]);
    }
    Ok(out)
}

/// A file split as Codex's `SourceFile` splits it.
struct Source<'a> {
    /// A leading UTF-8 byte order mark, set aside while matching and written back.
    bom: bool,
    lines: Vec<&'a str>,
    /// Each line's ending (`"\n"` or `"\r\n"`); `None` for a last line without one.
    endings: Vec<Option<&'static str>>,
    /// The first line ending in the file, `"\n"` if it has none.
    preferred_ending: &'static str,
}

impl<'a> Source<'a> {
    fn new(content: &'a str) -> Self {
        // Codex's main line reads the BOM as part of the first line; a later Codex strips it
        // before matching. Stripping it is the lenient reading (a guard must not refuse a
        // patch Codex may accept).
        let (content, bom) = match content.strip_prefix('\u{feff}') {
            Some(rest) => (rest, true),
            None => (content, false),
        };
        let mut lines = Vec::new();
        let mut endings = Vec::new();
        let mut preferred = None;
        let mut rest = content;
        while let Some(i) = rest.find('\n') {
            let line = &rest[..i];
            let (text, ending) = match line.strip_suffix('\r') {
                Some(text) => (text, "\r\n"),
                None => (line, "\n"),
            };
            preferred.get_or_insert(ending);
            lines.push(text);
            endings.push(Some(ending));
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            lines.push(rest);
            endings.push(None);
        }
        Source {
            bom,
            lines,
            endings,
            preferred_ending: preferred.unwrap_or("\n"),
        }
    }
}

/// `(start_index, old_len, new_lines)` of `compute_replacements`.
struct Replacement {
    start: usize,
    old_len: usize,
    new: Vec<String>,
}

/// `compute_replacements`: each hunk's `@@ context` is searched from where the previous hunk
/// ended, then its old lines from after the context (or from where the previous hunk ended).
fn plan(
    source: &Source<'_>,
    hunks: &[Hunk],
) -> Result<(Vec<Location>, Vec<Replacement>), MatchError> {
    let lines = &source.lines;
    let mut seeker = Seeker::new(lines);
    let mut locations = Vec::with_capacity(hunks.len());
    let mut replacements = Vec::new();
    // Where the search for the next hunk starts (Codex's `line_index`).
    let mut line_index = 0;
    // Where that position came from, for messages.
    let mut after = After::Start;

    for (k, hunk) in hunks.iter().enumerate() {
        let mut context = None;
        if let Some(ctx) = &hunk.context {
            match seeker.seek(&[ctx.as_str()], line_index, false) {
                Some((i, fuzz)) => {
                    line_index = i + 1;
                    context = Some((i, fuzz));
                    after = After::Context(i);
                }
                None => return Err(context_error(&mut seeker, k, hunk, ctx, line_index, after)),
            }
        }

        let old = hunk.old_lines();
        let new = hunk.new_lines();
        if old.is_empty() {
            // A pure addition goes at the end of the file, wherever its context matched, and
            // leaves `line_index` where it was (after that context, if it has one).
            if let Some((i, _)) = context {
                after = After::ContextOf(k, i);
            }
            locations.push(Location {
                hunk: k,
                context,
                start: lines.len(),
                len: 0,
                fuzz: Fuzz::Exact,
                dropped_trailing_empty: false,
                appended: true,
            });
            replacements.push(Replacement {
                start: lines.len(),
                old_len: 0,
                new: new.iter().map(|s| s.to_string()).collect(),
            });
            continue;
        }

        let mut pattern: &[&str] = &old;
        let mut new_slice: &[&str] = &new;
        let mut dropped = false;
        let mut found = seeker.seek(pattern, line_index, hunk.end_of_file);
        // A trailing empty old line may stand for the file's final newline, which is no line
        // of its own: retry without it (and without a trailing empty new line).
        if found.is_none() && pattern.last() == Some(&"") {
            pattern = &pattern[..pattern.len() - 1];
            if new_slice.last() == Some(&"") {
                new_slice = &new_slice[..new_slice.len() - 1];
            }
            dropped = true;
            found = seeker.seek(pattern, line_index, hunk.end_of_file);
        }
        let Some((start, fuzz)) = found else {
            return Err(lines_error(&mut seeker, k, hunk, &old, line_index, after));
        };

        // Context lines stay as they are in the file (their exact text and ending): only the
        // runs between them are replaced (`context_line_indices`, newest Codex).
        let (mut old_start, mut new_start) = (0, 0);
        for (old_ctx, new_ctx) in hunk.context_indices() {
            if old_ctx >= pattern.len() || new_ctx >= new_slice.len() {
                break;
            }
            if old_start != old_ctx || new_start != new_ctx {
                replacements.push(Replacement {
                    start: start + old_start,
                    old_len: old_ctx.saturating_sub(old_start),
                    new: to_strings(new_slice.get(new_start..new_ctx)),
                });
            }
            old_start = old_ctx + 1;
            new_start = new_ctx + 1;
        }
        if old_start != pattern.len() || new_start != new_slice.len() {
            replacements.push(Replacement {
                start: start + old_start,
                old_len: pattern.len().saturating_sub(old_start),
                new: to_strings(new_slice.get(new_start..)),
            });
        }

        locations.push(Location {
            hunk: k,
            context,
            start,
            len: pattern.len(),
            fuzz,
            dropped_trailing_empty: dropped,
            appended: false,
        });
        line_index = start + pattern.len();
        after = After::Hunk(k, line_index);
    }
    Ok((locations, replacements))
}

fn to_strings(lines: Option<&[&str]>) -> Vec<String> {
    lines
        .unwrap_or_default()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Where a search started, for messages.
#[derive(Debug, Clone, Copy)]
enum After {
    /// The start of the file.
    Start,
    /// Right after the hunk's `@@ context`, found at this 0-based file line.
    Context(usize),
    /// Right after hunk `.0` (0-based), which ended before 0-based file line `.1`.
    Hunk(usize, usize),
    /// Right after the `@@ context` of hunk `.0` (0-based, a hunk of added lines only), found
    /// at 0-based file line `.1`.
    ContextOf(usize, usize),
}

impl After {
    fn phrase(self) -> String {
        match self {
            After::Start => String::new(),
            After::Context(i) => {
                format!(" after its @@ context line (file line {})", i + 1)
            }
            After::ContextOf(k, i) => {
                format!(
                    " after the @@ context line of hunk {} (file line {})",
                    k + 1,
                    i + 1
                )
            }
            After::Hunk(k, end) => {
                format!(" after hunk {} (which ends at file line {end})", k + 1)
            }
        }
    }
}

fn context_error(
    seeker: &mut Seeker<'_>,
    k: usize,
    hunk: &Hunk,
    ctx: &str,
    line_index: usize,
    after: After,
) -> MatchError {
    let mut message = format!(
        "hunk {} (patch line {}): the @@ context line {} is not in ",
        k + 1,
        hunk.line,
        quote(ctx, 100),
    );
    let file_at = message.len();
    message.push_str(THE_FILE);
    message.push_str(&after.phrase());
    if line_index > 0 {
        if let Some((i, _)) = seeker.seek(&[ctx], 0, false) {
            message.push_str(&format!(
                "; it is at file line {}, before that: hunks must follow the order of the file",
                i + 1
            ));
        }
    }
    MatchError {
        hunk: k,
        line: hunk.line,
        kind: MatchErrorKind::Context,
        expected: vec![ctx.to_string()],
        message,
        file_at,
    }
}

fn lines_error(
    seeker: &mut Seeker<'_>,
    k: usize,
    hunk: &Hunk,
    old: &[&str],
    line_index: usize,
    after: After,
) -> MatchError {
    let what = if old.len() == 1 {
        "this line is"
    } else {
        "these lines are"
    };
    let place = if hunk.end_of_file {
        " at the end of the file (the hunk ends with \"*** End of File\")".to_string()
    } else {
        String::new()
    };
    let mut message = format!("hunk {} (patch line {}): {what} not in ", k + 1, hunk.line);
    let file_at = message.len();
    message.push_str(&format!(
        "{THE_FILE}{}{place}: {}",
        after.phrase(),
        quote_lines(old, 6)
    ));
    // Where the lines are after all, if they are (as Codex would search, trailing empty line
    // dropped too).
    let elsewhere = seeker
        .seek(old, 0, false)
        .or_else(|| match old.split_last() {
            Some((&"", rest)) if !rest.is_empty() => seeker.seek(rest, 0, false),
            _ => None,
        });
    let they = if old.len() == 1 { "it is" } else { "they are" };
    match elsewhere {
        Some((i, _)) if i < line_index => message.push_str(&format!(
            "; {they} at file line {}, before that: hunks must follow the order of the file",
            i + 1
        )),
        Some((i, _)) => message.push_str(&format!(
            "; {they} at file line {}, which is not the end of the file",
            i + 1
        )),
        None => {
            if let Some(hint) = closest(seeker, old, line_index) {
                message.push_str(&hint);
            }
        }
    }
    MatchError {
        hunk: k,
        line: hunk.line,
        kind: MatchErrorKind::Lines,
        expected: old.iter().map(|s| s.to_string()).collect(),
        message,
        file_at,
    }
}

/// The file block from `from` on most like `pattern` (most lines equal once trimmed), and its
/// first difference; `None` when no line of `pattern` is in that range.
fn closest(seeker: &mut Seeker<'_>, pattern: &[&str], from: usize) -> Option<String> {
    let lines = seeker.lines;
    let n = lines.len();
    if from >= n {
        return None;
    }
    // Each file line with the key (trimmed) of pattern line `j` votes for a block starting `j`
    // lines before it: linear in the matches, not in file × pattern. On repetitive text the
    // matches are file × pattern after all (a file of blank lines matches every blank pattern
    // line everywhere), so the rarest lines vote first, and lines that would take the votes
    // past a few passes over the file do not vote: a line found everywhere tells nothing of
    // where the block is.
    let mut votes = vec![0u32; n];
    let index = seeker.index(Fuzz::Whitespace);
    let mut voters: Vec<(usize, &[(u64, usize)])> = pattern
        .iter()
        .enumerate()
        .map(|(j, p)| (j, candidates(index, Fuzz::Whitespace, p)))
        .collect();
    voters.sort_by_key(|(_, c)| c.len());
    let mut budget = 4 * n + 1024;
    for (j, matches) in voters {
        budget = match budget.checked_sub(matches.len()) {
            Some(left) => left,
            None => break,
        };
        step(matches.len());
        for &(_, at) in matches {
            if at >= from + j {
                votes[at - j] += 1;
            }
        }
    }
    // Most votes; the first such block on a tie.
    let (start, votes) =
        votes.iter().enumerate().skip(from).fold(
            (0, 0),
            |best, (i, &v)| if v > best.1 { (i, v) } else { best },
        );
    if votes == 0 {
        return None;
    }
    // What is said is counted line by line (a key only picks candidates).
    let equal = pattern
        .iter()
        .zip(&lines[start..])
        .filter(|(p, l)| p.trim() == l.trim())
        .count();
    if equal == 0 {
        return None;
    }
    let mismatch = pattern
        .iter()
        .zip(&lines[start..])
        .position(|(p, l)| p.trim() != l.trim());
    let shown = pattern.len().min(n - start);
    let mut hint = format!(
        "; the closest block starts at file line {} ({equal} of {} lines equal ignoring \
         whitespace)",
        start + 1,
        pattern.len()
    );
    match mismatch {
        Some(j) => hint.push_str(&format!(
            ": at file line {} the file has {} where the patch expects {}",
            start + j + 1,
            quote(lines[start + j], 100),
            quote(pattern[j], 100)
        )),
        None if shown < pattern.len() => hint.push_str(&format!(
            ": the file ends after {shown} of them, before {}",
            quote(pattern[shown], 100)
        )),
        None => {}
    }
    Some(hint)
}

/// `seek_sequence`, made fast on big files without changing its answer. Positions are tried one
/// by one until that has cost about two passes over the file at a level (in lines compared);
/// from then on that level goes through an index of the file's lines (their keys at that level,
/// sorted), which yields the same first matching position.
struct Seeker<'a> {
    lines: &'a [&'a str],
    /// Lines a level may compare position by position before its index is built.
    budget: usize,
    /// Lines compared position by position so far, per fuzz level.
    scanned: [usize; 4],
    /// Per fuzz level, once built: `(key, position)` of every file line, sorted.
    index: [Option<Vec<(u64, usize)>>; 4],
}

impl<'a> Seeker<'a> {
    fn new(lines: &'a [&'a str]) -> Self {
        Seeker {
            lines,
            budget: 2 * lines.len() + 256,
            scanned: [0; 4],
            index: [None, None, None, None],
        }
    }

    /// The first position at or after `start` where `pattern` matches, trying each [`Fuzz`]
    /// level over the whole range before the next. An empty pattern matches at `start`. With
    /// `eof`, only the last position is tried (if it is not before `start`): Codex's doc
    /// comment promises a fallback to the whole range, but its code has none.
    fn seek(&mut self, pattern: &[&str], start: usize, eof: bool) -> Option<(usize, Fuzz)> {
        if pattern.is_empty() {
            return Some((start, Fuzz::Exact));
        }
        let (n, m) = (self.lines.len(), pattern.len());
        if m > n {
            return None;
        }
        let last = n - m;
        let from = if eof { last.max(start) } else { start };
        if from > last {
            return None;
        }
        Fuzz::ALL
            .into_iter()
            .find_map(|fuzz| self.scan(pattern, from, last, fuzz).map(|i| (i, fuzz)))
    }

    /// The first `i` in `from..=last` where `pattern` matches at `fuzz`.
    fn scan(&mut self, pattern: &[&str], from: usize, last: usize, fuzz: Fuzz) -> Option<usize> {
        let lines = self.lines;
        let at = |i: usize| {
            lines[i..i + pattern.len()]
                .iter()
                .zip(pattern)
                .all(|(l, p)| equal(fuzz, l, p))
        };
        let level = fuzz as usize;
        let mut next = from;
        if self.index[level].is_none() {
            // The budget is in lines compared, not positions tried: on repetitive text (a run
            // of blank lines, a table of equal rows) each position may compare most of the
            // pattern before it fails.
            while next <= last && self.scanned[level] < self.budget {
                let mut compared = 0;
                let found = lines[next..next + pattern.len()]
                    .iter()
                    .zip(pattern)
                    .all(|(l, p)| {
                        compared += 1;
                        equal(fuzz, l, p)
                    });
                self.scanned[level] += compared;
                if found {
                    return Some(next);
                }
                next += 1;
            }
            if next > last {
                return None;
            }
        }
        // The rest of the range through the index: anchor on the pattern line with the fewest
        // candidates (none at all means no match at this level).
        let index = self.index(fuzz);
        let (j, anchors) = pattern
            .iter()
            .enumerate()
            .map(|(j, p)| (j, candidates(index, fuzz, p)))
            .min_by_key(|(_, c)| c.len())?;
        let first = anchors.partition_point(|&(_, p)| p < next + j);
        anchors[first..]
            .iter()
            .map(|&(_, p)| p - j)
            .take_while(|&i| i <= last)
            .find(|&i| at(i))
    }

    /// The index of the file's lines at `fuzz`, built on first use.
    fn index(&mut self, fuzz: Fuzz) -> &[(u64, usize)] {
        let lines = self.lines;
        self.index[fuzz as usize].get_or_insert_with(|| {
            let mut index: Vec<(u64, usize)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (key(fuzz, l), i))
                .collect();
            index.sort_unstable();
            index
        })
    }
}

/// `(key, position)` of the file lines whose form at `fuzz` may equal `line`'s, by position.
fn candidates<'i>(index: &'i [(u64, usize)], fuzz: Fuzz, line: &str) -> &'i [(u64, usize)] {
    let k = key(fuzz, line);
    let start = index.partition_point(|&(h, _)| h < k);
    let end = start + index[start..].partition_point(|&(h, _)| h == k);
    &index[start..end]
}

/// Counts a step of a search (a line compared, a vote cast), so that tests can bound the work
/// of a search on text made to blow it up; nothing outside tests.
#[cfg(test)]
fn step(n: usize) {
    tests::STEPS.with(|s| s.set(s.get() + n));
}

#[cfg(not(test))]
fn step(_: usize) {}

/// Whether two lines are equal at a fuzz level (`seek_sequence`'s four comparisons).
fn equal(fuzz: Fuzz, a: &str, b: &str) -> bool {
    step(1);
    match fuzz {
        Fuzz::Exact => a == b,
        Fuzz::TrailingWhitespace => a.trim_end() == b.trim_end(),
        Fuzz::Whitespace => a.trim() == b.trim(),
        Fuzz::Unicode => normalised(a).eq(normalised(b)),
    }
}

/// A hash of a line's form at a fuzz level: lines equal at that level have the same key.
fn key(fuzz: Fuzz, line: &str) -> u64 {
    let mut h = FxHasher::default();
    match fuzz {
        Fuzz::Exact => h.write(line.as_bytes()),
        Fuzz::TrailingWhitespace => h.write(line.trim_end().as_bytes()),
        Fuzz::Whitespace => h.write(line.trim().as_bytes()),
        Fuzz::Unicode => normalised(line).for_each(|c| h.write_u32(c as u32)),
    }
    h.finish()
}

/// `seek_sequence`'s `normalise`: trimmed, with typographic dashes, quotes and odd spaces
/// made ASCII.
fn normalised(s: &str) -> impl Iterator<Item = char> + '_ {
    s.trim().chars().map(|c| match c {
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => '"',
        '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2004}' | '\u{2005}' | '\u{2006}'
        | '\u{2007}' | '\u{2008}' | '\u{2009}' | '\u{200A}' | '\u{202F}' | '\u{205F}'
        | '\u{3000}' => ' ',
        other => other,
    })
}

/// A small fast hasher (the multiply-rotate of rustc's FxHash); keys only pick candidates,
/// which are then compared in full.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
        self.add(bytes.len() as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        pub(super) static STEPS: Cell<usize> = const { Cell::new(0) };
    }

    /// Lines compared and votes cast by `f`.
    fn steps_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
        STEPS.with(|s| s.set(0));
        let out = f();
        (out, STEPS.with(Cell::get))
    }

    fn update(body: &str) -> Vec<Hunk> {
        let text = format!("*** Begin Patch\n*** Update File: a\n@@\n{body}*** End Patch\n");
        match crate::parse(&text).expect("parses").ops.remove(0) {
            crate::FileOp::Update { hunks, .. } => hunks,
            _ => unreachable!(),
        }
    }

    /// On repetitive text every position matches most of a pattern before it fails, and every
    /// line is a candidate for every pattern line: searching a stale hunk and hinting at its
    /// closest block still take work in proportion to the file, not to file × hunk.
    #[test]
    fn a_stale_hunk_in_repetitive_text_costs_work_linear_in_the_file() {
        let n = 10_000;
        for (file, line) in [("\n".repeat(n), ""), ("x\n".repeat(n), "x")] {
            let run = format!(" {line}\n").repeat(40);
            let hunks = update(&format!("{run}-stale\n{run}"));
            let (found, steps) = steps_of(|| locate(&file, &hunks));
            let err = found.expect_err("the stale line is nowhere");
            assert!(err.message.contains("closest block"), "{}", err.message);
            assert!(steps < 40 * n, "{steps} steps for {n} lines of {line:?}");
        }
    }

    /// `seek_sequence` as Codex writes it: every level over the whole range, one by one.
    fn naive(lines: &[&str], pattern: &[&str], start: usize, eof: bool) -> Option<(usize, Fuzz)> {
        if pattern.is_empty() {
            return Some((start, Fuzz::Exact));
        }
        if pattern.len() > lines.len() {
            return None;
        }
        let last = lines.len() - pattern.len();
        let from = if eof { last.max(start) } else { start };
        Fuzz::ALL.into_iter().find_map(|fuzz| {
            (from..=last)
                .find(|&i| (0..pattern.len()).all(|j| equal(fuzz, lines[i + j], pattern[j])))
                .map(|i| (i, fuzz))
        })
    }

    /// Every start position of a file long enough for the index, so that the hand-over from
    /// the linear scan to the index is crossed at every offset.
    #[test]
    fn seek_agrees_with_the_naive_search_at_every_start() {
        const ALPHABET: [&str; 8] = ["a", "a ", " a", "b", "", "x \u{2014} y", "x - y", "c"];
        let mut state: u32 = 12345;
        let mut next = |n: usize| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as usize % n
        };
        let lines: Vec<&str> = (0..300).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
        let patterns: Vec<Vec<&str>> = (0..24)
            .map(|_| {
                (0..1 + next(3))
                    .map(|_| ALPHABET[next(ALPHABET.len())])
                    .collect()
            })
            .collect();
        // One seeker for all (its index takes over once the budget is spent), and fresh ones
        // with small budgets (the hand-over falls at every offset).
        let mut shared = Seeker::new(&lines);
        for (p, pattern) in patterns.iter().enumerate() {
            for start in 0..=lines.len() {
                for eof in [false, true] {
                    let want = naive(&lines, pattern, start, eof);
                    assert_eq!(
                        shared.seek(pattern, start, eof),
                        want,
                        "{pattern:?} {start} {eof}"
                    );
                    if p < 10 {
                        let mut fresh = Seeker::new(&lines);
                        fresh.budget = (start + p) % 7;
                        assert_eq!(fresh.seek(pattern, start, eof), want, "{pattern:?} {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn keys_agree_with_equality() {
        for (a, b) in [
            ("a", "a  "),
            ("  a", "a"),
            ("x \u{2014} y", "x - y"),
            ("\u{201C}q\u{201D}", "\"q\""),
            ("a\u{00A0}b", "a b"),
        ] {
            for fuzz in Fuzz::ALL {
                if equal(fuzz, a, b) {
                    assert_eq!(key(fuzz, a), key(fuzz, b), "{fuzz:?} {a:?} {b:?}");
                }
            }
        }
    }
}
