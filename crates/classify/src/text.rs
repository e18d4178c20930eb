//! Working with outcome text: a bounded head and tail, lines with their role, a normalised
//! form for comparing outputs across calls, error signatures and similarity.

use sha2::{Digest, Sha256};

/// How much of an output is scanned: a 1 MB output costs the same as a 64 KB one.
pub const HEAD: usize = 32 * 1024;
pub const TAIL: usize = 32 * 1024;

/// The head and tail of `text`, cut at char boundaries; the middle is what is skipped.
pub fn bounded(text: &str) -> (&str, &str) {
    head_and_tail(text, HEAD, TAIL)
}

/// At most `head` bytes from the start and `tail` from the end, cut at char boundaries;
/// the whole text and "" when it is no longer than both.
fn head_and_tail(text: &str, head: usize, tail: usize) -> (&str, &str) {
    if text.len() <= head + tail {
        return (text, "");
    }
    let mut h = head;
    while !text.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = text.len() - tail;
    while !text.is_char_boundary(t) {
        t += 1;
    }
    (&text[..h], &text[t..])
}

/// A line of output, and whether it is a program's own diagnostic (`prog: …`, `error: …`)
/// rather than data it printed.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub text: &'a str,
    pub diagnostic: bool,
}

/// Splits the bounded text into lines; `data` says that the command prints data (grep, cat,
/// git log, jq, …), in which case only lines that look like diagnostics are marked so.
pub fn lines<'a>(text: &'a str, programs: &[&str], data: bool) -> Vec<Line<'a>> {
    let (head, tail) = bounded(text);
    head.lines()
        .chain(tail.lines())
        .map(|l| Line {
            text: l,
            diagnostic: !data || is_diagnostic(l, programs),
        })
        .collect()
}

const DIAGNOSTIC_PREFIXES: &[&str] = &[
    "error:",
    "error[",
    "fatal:",
    "warning:",
    "usage:",
    "Error:",
    "ERROR:",
    "Usage:",
    "FATAL:",
    "parse error",
    "Traceback",
    "bash:",
    "sh:",
    "/bin/bash:",
    "/bin/sh:",
    "/usr/bin/bash:",
    "zsh:",
    // Helpers a program runs for it (git runs ssh), and servers talking through it.
    "ssh:",
    "remote:",
];

fn is_diagnostic(line: &str, programs: &[&str]) -> bool {
    if DIAGNOSTIC_PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    // `prog: …`, `prog (child): …`, `/usr/bin/prog: …`
    let Some((head, _)) = line.split_once(':') else {
        return false;
    };
    let head = head.trim_end_matches(" (child)");
    let name = head.rsplit('/').next().unwrap_or(head);
    programs.contains(&name)
}

/// Output with what differs between identical runs taken out, for comparing failures:
/// numbers (durations, timestamps, ids, line numbers), temporary paths and hex addresses.
/// Hand-written rather than a regex: a hook process would pay the compile on every failure.
pub fn normalise(text: &str) -> String {
    let (head, tail) = bounded(text);
    let mut out = String::with_capacity(head.len() + tail.len() + 1);
    for part in [head, tail] {
        let mut rest = part;
        while let Some(c) = rest.chars().next() {
            if c.is_ascii_digit() {
                let end = rest
                    .find(|ch: char| !(ch.is_ascii_hexdigit() || ch == '.' || ch == 'x'))
                    .unwrap_or(rest.len());
                out.push('#');
                rest = &rest[end..];
            } else if rest.starts_with("/tmp/") || rest.starts_with("/private/var/folders/") {
                let end = rest
                    .find(|ch: char| ch.is_whitespace() || matches!(ch, '\'' | '"' | ':'))
                    .unwrap_or(rest.len());
                out.push('~');
                rest = &rest[end..];
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out.push('\n');
    }
    out.trim().to_owned()
}

pub fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A short head and tail of `text`, for the store (the caller redacts it).
pub fn excerpt(text: &str, max: usize) -> String {
    match head_and_tail(text, max / 2, max / 2) {
        (whole, "") => whole.to_owned(),
        (head, tail) => format!("{head}\n…\n{tail}"),
    }
}

/// The error signature of a failure: the deciding line with what varies between attempts
/// (numbers, quoted names, paths) taken out, so that the same error from another command, or
/// after an edit that moved it, has the same signature.
pub fn signature(line: &str) -> String {
    let line = line.trim();
    let cut = line.char_indices().nth(200).map_or(line.len(), |(i, _)| i);
    let mut out = String::new();
    for word in line[..cut].split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.starts_with('/') {
            out.push_str("/~");
            continue;
        }
        let mut in_digits = false;
        for c in word.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
    }
    hash(&out)
}

/// Similarity of two texts in [0, 1]: the Dice coefficient of their line sets, where lines
/// are compared after normalisation. Cheap, and blind to reordering of identical lines.
pub fn similarity(a: &str, b: &str) -> f64 {
    use std::collections::HashSet;
    let set = |t: &str| -> HashSet<String> {
        t.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (set(a), set(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(&b).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// The lines that say *which* failure this is (the first failing test, the first compiler
/// error, the exception), joined: the source of its signature. `None` when there are none.
pub fn signature_source(text: &str) -> Option<String> {
    let (head, tail) = bounded(text);
    let picked: Vec<&str> = head
        .lines()
        .chain(tail.lines())
        .map(str::trim_end)
        .filter(|l| is_primary(l))
        .take(3)
        .collect();
    (!picked.is_empty()).then(|| picked.join("\n"))
}

/// A line that names a failure: a failing test, a compiler error, an exception, a missing
/// thing. Summaries (`error: could not compile`) say nothing of which failure it is.
fn is_primary(line: &str) -> bool {
    if line.starts_with("error: could not compile") || line.starts_with("error: test failed") {
        return false;
    }
    const STARTS: &[&str] = &[
        "FAILED ",
        "error[E",
        "error: ",
        "FAIL: ",
        "ERROR: ",
        "---- ",
        "--- FAIL: ",
    ];
    if STARTS.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    if line.starts_with("E  ") && line.len() > 4 {
        return true;
    }
    if line.starts_with("test ") && line.ends_with("... FAILED") {
        return true;
    }
    if line.contains("panicked at") {
        return true;
    }
    // `ValueError: …`, `module.SomeException: …` at the start of the line.
    if let Some((name, _)) = line.split_once(": ") {
        let ident = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if ident && (name.ends_with("Error") || name.ends_with("Exception")) {
            return true;
        }
        if !name.contains(' ')
            && ["No such file", "not found", "cannot"]
                .iter()
                .any(|m| line.contains(m))
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_at_char_boundaries() {
        let text = "é".repeat(HEAD + 10);
        let (h, t) = bounded(&text);
        assert!(h.len() <= HEAD && t.len() <= TAIL && !t.is_empty());
    }

    #[test]
    fn normalise_drops_numbers_and_temporary_paths() {
        assert_eq!(
            normalise("5 passed in 0.01s at 2026-11-21T10:00:00Z"),
            normalise("5 passed in 0.03s at 2026-11-21T10:07:00Z")
        );
        assert_ne!(normalise("ValueError: x"), normalise("KeyError: x"));
        assert_eq!(
            normalise("FileNotFoundError: /tmp/pytest-of-u/pytest-3/x"),
            normalise("FileNotFoundError: /tmp/pytest-of-u/pytest-4/x")
        );
    }

    #[test]
    fn signatures_ignore_numbers_and_paths() {
        assert_eq!(
            signature("error[E0308]: mismatched types at /a/b.rs:9"),
            signature("error[E0308]: mismatched types at /c/d.rs:12")
        );
        assert_ne!(
            signature("error[E0308]: mismatched types"),
            signature("error[E0599]: no method named `summ`")
        );
    }

    #[test]
    fn diagnostic_lines_of_data_commands() {
        let l = lines(
            "src/a.rs:6: error: x\ngrep: b: No such file",
            &["grep"],
            true,
        );
        assert!(!l[0].diagnostic && l[1].diagnostic);
        let l = lines("c38f1ba fix: connection refused", &["git"], true);
        assert!(!l[0].diagnostic);
    }

    #[test]
    fn similarity_of_line_sets() {
        assert_eq!(similarity("a\nb", "a\nb"), 1.0);
        assert_eq!(similarity("a\nb", "c\nd"), 0.0);
        assert!(similarity("a\nb\nc\nd", "a\nb\nc\ne") >= 0.75);
    }
}
