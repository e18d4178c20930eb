//! Bad input for the patch parser, beside `props.rs` (never panic on random and mutated
//! patches): the printed form of any patch parses back to it, whatever its lines hold (NUL,
//! control characters, any Unicode); and hostile sizes (huge single lines, many hunks, long
//! runs of equal lines) finish quickly. The bounded fallback of `fuzz/fuzz_targets/patch.rs`
//! that runs with `cargo test`.
//!
//! Each property runs a fixed number of cases (well under 2 s each in a debug build);
//! `PROPTEST_CASES=N` runs N instead.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use selfheal_patch::{apply, locate, parse, FileOp, Hunk, HunkLine, Patch};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Prints a patch as Codex expects it, and gives every operation and hunk the patch line it
/// is printed on (counting from `first`).
fn print(patch: &mut Patch, eol: &str, first: usize) -> String {
    let mut out = Vec::new();
    let line = |text: String, out: &mut Vec<String>| {
        out.push(text);
        first + out.len() - 1
    };
    line("*** Begin Patch".into(), &mut out);
    if let Some(id) = &patch.environment_id {
        line(format!("*** Environment ID: {id}"), &mut out);
    }
    for op in &mut patch.ops {
        match op {
            FileOp::Add {
                path,
                lines,
                line: n,
            } => {
                *n = line(format!("*** Add File: {path}"), &mut out);
                for l in lines {
                    line(format!("+{l}"), &mut out);
                }
            }
            FileOp::Delete { path, line: n } => {
                *n = line(format!("*** Delete File: {path}"), &mut out);
            }
            FileOp::Update {
                path,
                move_to,
                hunks,
                line: n,
            } => {
                *n = line(format!("*** Update File: {path}"), &mut out);
                if let Some(to) = move_to {
                    line(format!("*** Move to: {to}"), &mut out);
                }
                for hunk in hunks {
                    hunk.line = match &hunk.context {
                        Some(context) => line(format!("@@ {context}"), &mut out),
                        None => line("@@".into(), &mut out),
                    };
                    for l in &hunk.lines {
                        line(l.to_string(), &mut out);
                    }
                    if hunk.end_of_file {
                        line("*** End of File".into(), &mut out);
                    }
                }
            }
        }
    }
    line("*** End Patch".into(), &mut out);
    out.push(String::new());
    out.join(eol)
}

/// A line's text: anything but a line break (NUL, control characters and odd Unicode
/// included).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\r\n]{0,12}",
        "[\\x00-\\x09\\x0b\\x0c\\x0e-\\x1f \t\u{a0}\u{feff}\u{2028}*@+-]{0,6}",
        Just("*** End Patch".to_string()),
        Just("@@".to_string()),
    ]
}

/// Text Codex reads back unchanged where it trims: no surrounding whitespace, not empty.
fn trimmed() -> impl Strategy<Value = String> {
    "[^\r\n]{1,12}".prop_map(|s| match s.trim() {
        "" => "x".to_string(),
        t => t.to_string(),
    })
}

fn hunk() -> impl Strategy<Value = Hunk> {
    let line = prop_oneof![
        text().prop_map(HunkLine::Context),
        text().prop_map(HunkLine::Remove),
        text().prop_map(HunkLine::Add),
    ];
    (
        prop::option::of(trimmed()),
        prop::collection::vec(line, 1..6),
        any::<bool>(),
    )
        .prop_map(|(context, lines, end_of_file)| Hunk {
            context,
            lines,
            end_of_file,
            line: 0,
        })
}

fn op() -> impl Strategy<Value = FileOp> {
    prop_oneof![
        (trimmed(), prop::collection::vec(text(), 0..5)).prop_map(|(path, lines)| FileOp::Add {
            path,
            lines,
            line: 0
        }),
        trimmed().prop_map(|path| FileOp::Delete { path, line: 0 }),
        (
            trimmed(),
            prop::option::of(trimmed()),
            prop::collection::vec(hunk(), 1..4)
        )
            .prop_map(|(path, move_to, hunks)| FileOp::Update {
                path,
                move_to,
                hunks,
                line: 0
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    /// Printed and parsed back, a patch is what it was: line numbers, NUL bytes and
    /// lookalike markers inside lines included, with LF or CRLF, bare or in a heredoc.
    #[test]
    fn a_printed_patch_parses_back_to_itself(
        ops in prop::collection::vec(op(), 1..5),
        environment_id in prop::option::of(trimmed()),
        crlf in any::<bool>(),
        heredoc in any::<bool>(),
    ) {
        let mut patch = Patch { ops, environment_id };
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = print(&mut patch, eol, 1 + usize::from(heredoc));
        if heredoc {
            text = format!("<<'EOF'{eol}{text}EOF{eol}");
        }
        prop_assert_eq!(parse(&text), Ok(patch), "{:?}", text);
    }

    /// Each update of a printed patch matches a file made of its own lines, and applying it
    /// there leaves its new lines.
    #[test]
    fn an_update_applies_to_the_file_it_was_cut_from(
        hunks in prop::collection::vec(
            // `*** End of File` pins a hunk to the end of the file: props.rs's business.
            hunk().prop_map(|h| Hunk { end_of_file: false, ..h }),
            1..4,
        ),
    ) {
        // A file is read with a leading BOM set aside (the text strategies make no CR).
        prop_assume!(!hunks
            .iter()
            .flat_map(|h| h.context.iter().map(String::as_str).chain(h.old_lines()))
            .next()
            .is_some_and(|l| l.starts_with('\u{feff}')));
        let mut file = String::new();
        for h in &hunks {
            for l in h.context.iter().map(String::as_str).chain(h.old_lines()) {
                file.push_str(l);
                file.push('\n');
            }
        }
        let mut patch = Patch {
            ops: vec![FileOp::Update { path: "f".into(), move_to: None, hunks, line: 0 }],
            environment_id: None,
        };
        let text = print(&mut patch, "\n", 1);
        let parsed = parse(&text).unwrap();
        let FileOp::Update { hunks, .. } = &parsed.ops[0] else { unreachable!() };
        let found = locate(&file, hunks);
        prop_assert!(found.is_ok(), "{:?}\n{}", found, text);
        let out = apply(&file, hunks).unwrap();
        for h in hunks {
            for l in h.new_lines() {
                prop_assert!(out.lines().any(|o| o == l), "{:?} not in {:?}", l, out);
            }
        }
    }
}

/// Big and repetitive inputs stay well within a hook's time, in a debug build.
#[test]
fn hostile_sizes_finish_quickly() {
    const MB: usize = 1 << 20;
    let big_line = "x".repeat(4 * MB);
    let many = 50_000;
    let cases: Vec<(&str, String, String)> = vec![
        (
            "a 4 MiB added line",
            format!("*** Begin Patch\n*** Add File: a\n+{big_line}\n*** End Patch\n"),
            String::new(),
        ),
        (
            "a 4 MiB line replaced",
            format!("*** Begin Patch\n*** Update File: a\n@@ {big_line}\n-{big_line}\n+y\n*** End Patch\n"),
            format!("{big_line}\n{big_line}\n"),
        ),
        (
            "a 4 MiB line with NUL bytes, not in the file",
            format!("*** Begin Patch\n*** Update File: a\n-{}\n+y\n*** End Patch\n", "\0".repeat(4 * MB)),
            format!("{big_line}\n"),
        ),
        (
            "50,000 hunks",
            format!(
                "*** Begin Patch\n*** Update File: a\n{}*** End Patch\n",
                (0..many).map(|i| format!("@@\n-{i}\n+{i}!\n")).collect::<String>()
            ),
            (0..many).map(|i| format!("{i}\n")).collect(),
        ),
        (
            "50,000 hunks, the last one missing",
            format!(
                "*** Begin Patch\n*** Update File: a\n{}*** End Patch\n",
                (0..=many).map(|i| format!("@@\n-{i}\n+{i}!\n")).collect::<String>()
            ),
            (0..many).map(|i| format!("{i}\n")).collect(),
        ),
        (
            // The search costs pattern × file lines at worst, as Codex's own `seek_sequence`
            // does (2,000 in 20,000 take seconds even in release): this size stays bounded.
            "200 equal lines sought in 2,000 that never hold them all",
            format!(
                "*** Begin Patch\n*** Update File: a\n{}+b\n*** End Patch\n",
                "-a\n".repeat(200)
            ),
            format!("{}b\n", "a\n".repeat(199)).repeat(10),
        ),
        (
            "1 MiB of markers",
            format!("*** Begin Patch\n{}*** End Patch\n", "*** End of File\n@@\n".repeat(MB / 20)),
            String::new(),
        ),
        (
            "1 MiB without a line break",
            format!("*** Begin Patch {}", "@@ ".repeat(MB / 3)),
            String::new(),
        ),
    ];
    for (name, patch, file) in &cases {
        let started = Instant::now();
        if let Ok(patch) = parse(patch) {
            for op in &patch.ops {
                if let FileOp::Update { hunks, .. } = op {
                    let _ = locate(file, hunks);
                    let _ = apply(file, hunks);
                }
            }
        }
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
    }
}
