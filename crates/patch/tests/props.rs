//! Properties: `parse`, `locate` and `apply` never panic, on arbitrary text and on near-valid
//! patches with random mutations; and a patch cut from a file lands where it was cut.

use proptest::prelude::*;
use selfheal_patch::{apply, locate, parse, FileOp, Hunk, HunkLine};

mod patch_checks;
use patch_checks::check_hunks;

/// Lines a patch is made of, valid and not, whitespace-padded variants included.
const TOKENS: &[&str] = &[
    "*** Begin Patch",
    "*** End Patch",
    "*** Add File: a.txt",
    "*** Update File: f.txt",
    "*** Delete File: d.txt",
    "*** Move to: g.txt",
    "*** End of File",
    "*** Environment ID: env",
    "@@",
    "@@ ",
    "@@ fn main() {",
    "@@ x",
    " x",
    " y",
    " ",
    "-x",
    "-y",
    "- z ",
    "+x",
    "+new",
    "+",
    "",
    "   ",
    "\t",
    "x",
    "@@x",
    "***",
    "<<EOF",
    "<<'EOF'",
    "EOF",
    "  *** End Patch  ",
    " *** Update File: f.txt",
    "+\u{2014}\u{201C}",
    "-\u{00A0}x",
];

/// File lines to match against: repeats and near-repeats on purpose.
const FILE_LINES: &[&str] = &[
    "x",
    "y",
    " x",
    "x  ",
    "",
    "fn main() {",
    " z",
    "\u{2014}x",
    "\u{00A0}x",
    "new",
];

fn valid_patch() -> Vec<String> {
    [
        "*** Begin Patch",
        "*** Update File: f.txt",
        "@@ fn main() {",
        " x",
        "-y",
        "+new",
        "@@",
        "-x",
        "+x2",
        "*** End of File",
        "*** Add File: a.txt",
        "+hello",
        "*** Delete File: d.txt",
        "*** End Patch",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Insert(usize, usize),
    Replace(usize, usize),
    Swap(usize, usize),
    PadStart(usize, usize),
    PadEnd(usize, usize),
    CarriageReturn(usize),
    Truncate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = 0usize..64;
    let t = 0..TOKENS.len();
    prop_oneof![
        i.clone().prop_map(Mutation::Delete),
        i.clone().prop_map(Mutation::Duplicate),
        (i.clone(), t.clone()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (i.clone(), t).prop_map(|(i, t)| Mutation::Replace(i, t)),
        (i.clone(), 0usize..64).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (i.clone(), 1usize..4).prop_map(|(i, n)| Mutation::PadStart(i, n)),
        (i.clone(), 1usize..4).prop_map(|(i, n)| Mutation::PadEnd(i, n)),
        i.clone().prop_map(Mutation::CarriageReturn),
        (i, 0usize..20).prop_map(|(i, n)| Mutation::Truncate(i, n)),
    ]
}

fn mutate(lines: &mut Vec<String>, m: &Mutation) {
    let n = lines.len();
    if n == 0 {
        lines.push(String::new());
        return;
    }
    match *m {
        Mutation::Delete(i) => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::Insert(i, t) => lines.insert(i % (n + 1), TOKENS[t].to_string()),
        Mutation::Replace(i, t) => lines[i % n] = TOKENS[t].to_string(),
        Mutation::Swap(a, b) => lines.swap(a % n, b % n),
        Mutation::PadStart(i, k) => lines[i % n].insert_str(0, &" ".repeat(k)),
        Mutation::PadEnd(i, k) => lines[i % n].push_str(&"\t ".repeat(k)),
        Mutation::CarriageReturn(i) => lines[i % n].push('\r'),
        Mutation::Truncate(i, k) => {
            let l = &mut lines[i % n];
            let cut = l.char_indices().nth(k).map_or(l.len(), |(b, _)| b);
            l.truncate(cut);
        }
    }
}

/// Runs every update of a parsed patch against `content` and checks what must always hold.
fn exercise(text: &str, content: &str) {
    let Ok(patch) = parse(text) else { return };
    assert!(!patch.ops.is_empty());
    for op in &patch.ops {
        assert!(op.line() >= 1);
        let FileOp::Update { hunks, .. } = op else {
            continue;
        };
        assert!(!hunks.is_empty());
        assert!(hunks.iter().all(|h| !h.lines.is_empty()));
        check_hunks(content, hunks);
    }
}

fn file_content() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0..FILE_LINES.len(), 0..12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(ix, crlf, final_newline)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut s = ix
                .iter()
                .map(|&i| FILE_LINES[i])
                .collect::<Vec<_>>()
                .join(eol);
            if final_newline && !s.is_empty() {
                s.push_str(eol);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), content in any::<String>()) {
        exercise(&text, &content);
    }

    #[test]
    fn arbitrary_lines_never_panic(
        lines in prop::collection::vec(prop::sample::select(TOKENS), 0..24),
        content in file_content(),
    ) {
        exercise(&lines.join("\n"), &content);
        // Framed, so that more of them get past the boundary checks.
        exercise(&format!("*** Begin Patch\n{}\n*** End Patch", lines.join("\n")), &content);
    }

    #[test]
    fn mutated_patches_never_panic(
        mutations in prop::collection::vec(mutation(), 0..6),
        content in file_content(),
        crlf in any::<bool>(),
        heredoc in any::<bool>(),
    ) {
        let mut lines = valid_patch();
        for m in &mutations {
            mutate(&mut lines, m);
        }
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        if heredoc {
            text = format!("<<'EOF'\n{text}\nEOF\n");
        }
        exercise(&text, &content);
    }

    /// A patch cut from a file of distinct lines lands exactly where it was cut.
    #[test]
    fn a_patch_cut_from_the_file_lands_where_it_was_cut(
        n in 1usize..60,
        cuts in prop::collection::vec((0usize..60, 1usize..5, 0usize..3, any::<bool>()), 1..6),
        crlf in any::<bool>(),
    ) {
        let lines: Vec<String> = (0..n).map(|i| format!("line {i}")).collect();
        let eol = if crlf { "\r\n" } else { "\n" };
        let content: String = lines.iter().map(|l| format!("{l}{eol}")).collect();

        // Disjoint windows, in file order: (start, len, added lines, first line kept as context).
        let mut windows = Vec::new();
        let mut next = 0;
        let mut sorted = cuts.clone();
        sorted.sort();
        for (start, len, added, keep) in sorted {
            let start = start.max(next);
            if start + len > n {
                break;
            }
            windows.push((start, len, added, keep));
            next = start + len;
        }
        prop_assume!(!windows.is_empty());

        let mut hunks = Vec::new();
        let mut expected: Vec<String> = Vec::new();
        let mut cursor = 0;
        for (k, &(start, len, added, keep)) in windows.iter().enumerate() {
            let mut hunk_lines = Vec::new();
            expected.extend(lines[cursor..start].iter().cloned());
            for (j, line) in lines[start..start + len].iter().enumerate() {
                if keep && j == 0 {
                    hunk_lines.push(HunkLine::Context(line.clone()));
                    expected.push(line.clone());
                } else {
                    hunk_lines.push(HunkLine::Remove(line.clone()));
                }
            }
            for a in 0..added {
                let text = format!("new {k}.{a}");
                hunk_lines.push(HunkLine::Add(text.clone()));
                expected.push(text);
            }
            cursor = start + len;
            hunks.push(Hunk { context: None, lines: hunk_lines, end_of_file: false, line: k + 1 });
        }
        expected.extend(lines[cursor..].iter().cloned());

        let locations = locate(&content, &hunks).unwrap();
        for (l, &(start, len, _, _)) in locations.iter().zip(&windows) {
            prop_assert_eq!((l.start, l.len), (start, len));
        }
        let out = apply(&content, &hunks).unwrap();
        let want: String = expected.iter().map(|l| format!("{l}{eol}")).collect();
        prop_assert_eq!(out, want);
    }
}
