//! `locate` against a literal transcription of Codex's `seek_sequence` and the search of
//! `compute_replacements`, on files long enough for `locate`'s line index to be used.

use proptest::prelude::*;
use selfheal_patch::{locate, Fuzz, Hunk, HunkLine};

/// Codex's `seek_sequence` (`codex-rs/apply-patch/src/seek_sequence.rs`), as written, with the
/// level that matched added.
fn seek_sequence(
    lines: &[String],
    pattern: &[String],
    start: usize,
    eof: bool,
) -> Option<(usize, Fuzz)> {
    if pattern.is_empty() {
        return Some((start, Fuzz::Exact));
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let search_start = if eof && lines.len() >= pattern.len() {
        let eof_start = lines.len() - pattern.len();
        eof_start.max(start)
    } else {
        start
    };
    for i in search_start..=lines.len().saturating_sub(pattern.len()) {
        if lines[i..i + pattern.len()] == *pattern {
            return Some((i, Fuzz::Exact));
        }
    }
    for i in search_start..=lines.len().saturating_sub(pattern.len()) {
        let mut ok = true;
        for (p_idx, pat) in pattern.iter().enumerate() {
            if lines[i + p_idx].trim_end() != pat.trim_end() {
                ok = false;
                break;
            }
        }
        if ok {
            return Some((i, Fuzz::TrailingWhitespace));
        }
    }
    for i in search_start..=lines.len().saturating_sub(pattern.len()) {
        let mut ok = true;
        for (p_idx, pat) in pattern.iter().enumerate() {
            if lines[i + p_idx].trim() != pat.trim() {
                ok = false;
                break;
            }
        }
        if ok {
            return Some((i, Fuzz::Whitespace));
        }
    }
    fn normalise(s: &str) -> String {
        s.trim()
            .chars()
            .map(|c| match c {
                '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
                | '\u{2212}' => '-',
                '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
                '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => '"',
                '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2004}' | '\u{2005}' | '\u{2006}'
                | '\u{2007}' | '\u{2008}' | '\u{2009}' | '\u{200A}' | '\u{202F}' | '\u{205F}'
                | '\u{3000}' => ' ',
                other => other,
            })
            .collect::<String>()
    }
    for i in search_start..=lines.len().saturating_sub(pattern.len()) {
        let mut ok = true;
        for (p_idx, pat) in pattern.iter().enumerate() {
            if normalise(&lines[i + p_idx]) != normalise(pat) {
                ok = false;
                break;
            }
        }
        if ok {
            return Some((i, Fuzz::Unicode));
        }
    }
    None
}

/// The search of Codex's `compute_replacements`: per hunk, `(context position, start, len)`,
/// or the index of the first hunk not found.
type Found = (Option<(usize, Fuzz)>, usize, usize, Fuzz);

fn codex_locate(lines: &[String], hunks: &[Hunk]) -> Result<Vec<Found>, usize> {
    let mut out = Vec::new();
    let mut line_index = 0;
    for (k, chunk) in hunks.iter().enumerate() {
        let mut context = None;
        if let Some(ctx) = &chunk.context {
            match seek_sequence(lines, std::slice::from_ref(ctx), line_index, false) {
                Some((idx, fuzz)) => {
                    line_index = idx + 1;
                    context = Some((idx, fuzz));
                }
                None => return Err(k),
            }
        }
        let old: Vec<String> = chunk.old_lines().iter().map(|s| s.to_string()).collect();
        if old.is_empty() {
            out.push((context, lines.len(), 0, Fuzz::Exact));
            continue;
        }
        let mut pattern: &[String] = &old;
        let mut found = seek_sequence(lines, pattern, line_index, chunk.end_of_file);
        if found.is_none() && pattern.last().is_some_and(String::is_empty) {
            pattern = &pattern[..pattern.len() - 1];
            found = seek_sequence(lines, pattern, line_index, chunk.end_of_file);
        }
        match found {
            Some((start, fuzz)) => {
                out.push((context, start, pattern.len(), fuzz));
                line_index = start + pattern.len();
            }
            None => return Err(k),
        }
    }
    Ok(out)
}

/// Few distinct lines with fuzzy look-alikes, so that matches are many and levels mixed.
const ALPHABET: &[&str] = &[
    "a",
    "a ",
    " a",
    "\ta\t",
    "b",
    "b  ",
    "c",
    "",
    "  ",
    "x \u{2014} y",
    "x - y",
    " x - y ",
    "\u{201C}q\u{201D}",
    "\"q\"",
    "}",
    "fn f() {",
    "fn f() {  ",
];

fn hunk_strategy() -> impl Strategy<Value = Hunk> {
    let line = prop::sample::select(ALPHABET).prop_map(str::to_string);
    (
        prop::option::weighted(0.3, line.clone()),
        prop::collection::vec((0u8..3, line), 1..4),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(context, lines, end_of_file)| Hunk {
            context,
            lines: lines
                .into_iter()
                .map(|(kind, text)| match kind {
                    0 => HunkLine::Context(text),
                    1 => HunkLine::Remove(text),
                    _ => HunkLine::Add(text),
                })
                .collect(),
            end_of_file,
            line: 1,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn locate_finds_what_codex_finds(
        file in prop::collection::vec(prop::sample::select(ALPHABET), 0..700),
        hunks in prop::collection::vec(hunk_strategy(), 1..8),
    ) {
        let content: String = file.iter().map(|l| format!("{l}\n")).collect();
        let lines: Vec<String> = file.iter().map(|l| l.to_string()).collect();
        let ours = locate(&content, &hunks);
        match codex_locate(&lines, &hunks) {
            Ok(found) => {
                let ours = ours.expect("Codex finds every hunk");
                let ours: Vec<Found> = ours.iter().map(|l| (l.context, l.start, l.len, l.fuzz)).collect();
                prop_assert_eq!(ours, found);
            }
            Err(k) => prop_assert_eq!(ours.expect_err("Codex fails a hunk").hunk, k),
        }
    }
}
