//! Working with outcome text: a bounded head and tail, lines with their role, a normalised
//! form for comparing outputs across calls, error signatures and similarity.

use sha2::{Digest, Sha256};

/// How much of an output is scanned: a 1 MB output costs the same as a 64 KB one.
pub const HEAD: usize = 32 * 1024;
pub const TAIL: usize = 32 * 1024;

/// The head and tail of `text`, cut at char boundaries; the middle is what is skipped.
pub fn bounded(text: &str) -> (&str, &str) {
    if text.len() <= HEAD + TAIL {
        return (text, "");
    }
    let mut h = HEAD;
    while !text.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = text.len() - TAIL;
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

/// Output with what differs between identical runs taken out: durations, timestamps,
/// temporary paths, hex addresses, process ids. Digits that are data (counts, versions,
/// hashes) stay.
pub fn normalise(text: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static VOLATILE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?",
            r"|\b\d\d:\d\d:\d\d(?:\.\d+)?\b",
            r"|\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|sec|secs|seconds|milliseconds)\b",
            r"|/tmp/[^\s'\x22:]*|/private/var/folders/[^\s'\x22:]*",
            r"|\b0x[0-9a-fA-F]+\b",
            r"|\bpid[ =:]?\d+\b",
            r"|-[0-9a-f]{16}\b",
        ))
        .expect("volatile pattern")
    });
    let (head, tail) = bounded(text);
    let mut out = VOLATILE.replace_all(head, "~").into_owned();
    if !tail.is_empty() {
        out.push('\n');
        out.push_str(&VOLATILE.replace_all(tail, "~"));
    }
    out.trim().to_owned()
}

pub fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A short head and tail of `text`, for the store (the caller redacts it).
pub fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let half = max / 2;
    let mut h = half;
    while !text.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = text.len() - half;
    while !text.is_char_boundary(t) {
        t += 1;
    }
    format!("{}\n…\n{}", &text[..h], &text[t..])
}

/// The error signature of a failure: the deciding line with what varies between attempts
/// (numbers, quoted names, paths) taken out, so that the same error from another command, or
/// after an edit that moved it, has the same signature.
pub fn signature(line: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static VARIABLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d+|/\S+|\s+").expect("variable pattern"));
    let line = line.trim();
    let cut = line.char_indices().nth(200).map_or(line.len(), |(i, _)| i);
    let normalised = VARIABLE.replace_all(&line[..cut], |c: &regex::Captures<'_>| {
        let m = &c[0];
        if m.trim().is_empty() {
            " ".to_owned()
        } else if m.starts_with('/') {
            "/~".to_owned()
        } else {
            "#".to_owned()
        }
    });
    hash(&normalised)
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
    use regex::Regex;
    use std::sync::LazyLock;
    static PRIMARY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^(?:FAILED \S+|E\s{2,}\S.*|error(?:\[E\d+\])?: .*|(?:FAIL|ERROR): \S+|",
            r"---- \S+ stdout ----|test \S+ \.\.\. FAILED|.*panicked at .*|",
            r"[A-Za-z_][\w.]*(?:Error|Exception): .*|--- FAIL: \S+|\S+: .*(?:No such file|not found|cannot).*)$"
        ))
        .expect("primary pattern")
    });
    let (head, tail) = bounded(text);
    let picked: Vec<&str> = head
        .lines()
        .chain(tail.lines())
        .map(str::trim_end)
        .filter(|l| PRIMARY.is_match(l))
        .filter(|l| {
            !l.starts_with("error: could not compile") && !l.starts_with("error: test failed")
        })
        .take(3)
        .collect();
    (!picked.is_empty()).then(|| picked.join("\n"))
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
    fn normalise_keeps_data_digits_and_drops_timings() {
        assert_eq!(
            normalise("5 passed in 0.01s at 2026-11-21T10:00:00Z"),
            "5 passed in ~ at ~"
        );
        assert_ne!(
            normalise("41 data/orders.csv"),
            normalise("37 data/orders.csv")
        );
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
