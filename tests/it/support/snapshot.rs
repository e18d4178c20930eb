//! Snapshot files: `assert_snapshot("report/text.txt", &output)` compares the output with
//! `tests/snapshots/report/text.txt`; with `UPDATE_SNAPSHOTS=1` it (re)writes the file instead.
//! On a mismatch the message shows the changed lines with their neighbours.

use std::path::{Path, PathBuf};

pub fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

pub fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} ({e}); run with UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from snapshot {} (- snapshot, + output; UPDATE_SNAPSHOTS=1 accepts \
             the output):\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// The changed lines of a line diff (longest common subsequence), each hunk with two lines
/// of context.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // lcs[i][j]: the common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
    let mut out = String::new();
    let mut shown_to = 0;
    for &k in &changed {
        let from = k.saturating_sub(2).max(shown_to);
        if from > shown_to && shown_to > 0 {
            out.push_str("  …\n");
        }
        let to = (k + 3).min(lines.len());
        for (mark, line) in &lines[from.max(shown_to)..to] {
            out.push_str(&format!("{mark} {line}\n"));
        }
        shown_to = shown_to.max(to);
    }
    if out.is_empty() {
        // Only the last line's end differs.
        out.push_str("(the texts differ in their final line break)\n");
    }
    out
}

/// Replaces what differs between runs with placeholders of the same width, so that tables
/// stay aligned: RFC 3339 instants (`2026-11-21T19:06:17.123Z`) and times of day
/// (`19:06:17`).
pub fn normalise_times(text: &str) -> String {
    const INSTANT: &str = "YYYY-MM-DDTHH:MM:SS.mmmZ";
    const TIME: &str = "HH:MM:SS";
    let matches = |bytes: &[u8], pattern: &str| {
        bytes.len() >= pattern.len()
            && pattern.bytes().zip(bytes).all(|(p, &b)| match p {
                b'd' => b.is_ascii_digit(),
                p => p == b,
            })
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if matches(rest, "dddd-dd-ddTdd:dd:dd.dddZ") {
            out.push_str(INSTANT);
            at += INSTANT.len();
        } else if matches(rest, "dd:dd:dd") {
            out.push_str(TIME);
            at += TIME.len();
        } else {
            let c = text[at..].chars().next().unwrap();
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

#[test]
fn the_diff_shows_changed_lines_with_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n");
    assert_eq!(d, "  b\n  c\n- d\n+ D\n  e\n  f\n");
    assert!(diff("x\n", "x").contains("final line break"));
}

#[test]
fn times_are_normalised_to_the_same_width() {
    let text = "at 2026-11-21T19:06:17.123Z | #3 19:06:17 x | 12:3";
    assert_eq!(
        normalise_times(text),
        "at YYYY-MM-DDTHH:MM:SS.mmmZ | #3 HH:MM:SS x | 12:3"
    );
}
