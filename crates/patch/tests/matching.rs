//! Locating hunks and applying them, as Codex does.

use selfheal_patch::{apply, locate, parse, FileOp, Fuzz, Hunk, Location, MatchErrorKind};

/// The hunks of a one-file update patch written as its body (the lines after the header).
fn hunks(body: &str) -> Vec<Hunk> {
    let text = format!("*** Begin Patch\n*** Update File: f\n{body}\n*** End Patch\n");
    match parse(&text).unwrap().ops.remove(0) {
        FileOp::Update { hunks, .. } => hunks,
        other => panic!("{other:?}"),
    }
}

fn one(content: &str, body: &str) -> Location {
    let mut locations = locate(content, &hunks(body)).unwrap();
    assert_eq!(locations.len(), 1);
    locations.remove(0)
}

#[test]
fn exact_match() {
    let l = one("a\nb\nc\n", "@@\n b\n-c\n+C");
    assert_eq!((l.start, l.len, l.fuzz), (1, 2, Fuzz::Exact));
    assert_eq!(l.first_line(), 2);
    assert!(!l.appended && !l.dropped_trailing_empty);
    assert_eq!(
        apply("a\nb\nc\n", &hunks("@@\n b\n-c\n+C")).unwrap(),
        "a\nb\nC\n"
    );
}

#[test]
fn fuzz_trailing_whitespace() {
    let l = one("a\nb   \nc\t\n", "@@\n-b\n-c\n+x");
    assert_eq!((l.start, l.fuzz), (1, Fuzz::TrailingWhitespace));
    // And the other way round: the patch has the trailing blanks.
    assert_eq!(one("a\nb\n", "@@\n-b  ").fuzz, Fuzz::TrailingWhitespace);
}

#[test]
fn fuzz_surrounding_whitespace() {
    let l = one(
        "def f():\n        return 1\n",
        "@@\n-    return 1\n+    return 2",
    );
    assert_eq!((l.start, l.fuzz), (1, Fuzz::Whitespace));
    // Replaced lines are written as the patch has them.
    assert_eq!(
        apply(
            "def f():\n        return 1\n",
            &hunks("@@\n-    return 1\n+    return 2")
        )
        .unwrap(),
        "def f():\n    return 2\n"
    );
}

#[test]
fn fuzz_unicode_punctuation() {
    let content = "title = \u{201C}Hello \u{2014} world\u{201D}\nit\u{2019}s\u{00A0}here\n";
    let l = one(content, "@@\n-title = \"Hello - world\"\n-it's here\n+done");
    assert_eq!((l.start, l.fuzz), (0, Fuzz::Unicode));
    // Every listed code point: dashes, quotes, odd spaces.
    let fancy = "\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2015}\u{2212} \u{2018}\u{2019}\u{201A}\u{201B} \u{201C}\u{201D}\u{201E}\u{201F} a\u{00A0}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200A}\u{202F}\u{205F}\u{3000}b\n";
    let plain = format!("------- '''' \"\"\"\" a{}b", " ".repeat(13));
    let l = one(fancy, &format!("@@\n-{plain}"));
    assert_eq!(l.fuzz, Fuzz::Unicode);
}

#[test]
fn no_fuzz_beyond_codex() {
    // Inner whitespace and case are not fuzzed.
    assert!(locate("a  b\n", &hunks("@@\n-a b")).is_err());
    assert!(locate("Hello\n", &hunks("@@\n-hello")).is_err());
}

#[test]
fn an_exact_match_further_down_wins_over_a_fuzzy_one_nearer() {
    let l = one("x  \nfoo\nx\n", "@@\n-x");
    assert_eq!((l.start, l.fuzz), (2, Fuzz::Exact));
}

#[test]
fn multiple_hunks_in_order() {
    let content = "fn a() {\n    1\n}\nfn b() {\n    1\n}\nfn c() {\n    1\n}\n";
    let hs = hunks("@@ fn b() {\n-    1\n+    2\n@@ fn c() {\n-    1\n+    3");
    let ls = locate(content, &hs).unwrap();
    assert_eq!(ls.len(), 2);
    assert_eq!(
        (ls[0].hunk, ls[0].context, ls[0].start),
        (0, Some((3, Fuzz::Exact)), 4)
    );
    assert_eq!(
        (ls[1].hunk, ls[1].context, ls[1].start),
        (1, Some((6, Fuzz::Exact)), 7)
    );
    assert_eq!(
        apply(content, &hs).unwrap(),
        "fn a() {\n    1\n}\nfn b() {\n    2\n}\nfn c() {\n    3\n}\n"
    );
}

#[test]
fn the_same_lines_twice_take_the_next_occurrence() {
    let hs = hunks("@@\n-x\n+y\n@@\n-x\n+z");
    let ls = locate("x\nx\n", &hs).unwrap();
    assert_eq!((ls[0].start, ls[1].start), (0, 1));
    assert_eq!(apply("x\nx\n", &hs).unwrap(), "y\nz\n");
}

#[test]
fn a_hunk_that_only_matches_before_the_previous_one_fails() {
    let content = "one\ntwo\nthree\nfour\n";
    let hs = hunks("@@\n-three\n+3\n@@\n-one\n+1");
    let e = locate(content, &hs).unwrap_err();
    assert_eq!((e.hunk, e.line, e.kind), (1, 6, MatchErrorKind::Lines));
    assert_eq!(e.expected, vec!["one"]);
    assert_eq!(
        e.message,
        "hunk 2 (patch line 6): this line is not in the file after hunk 1 (which ends at file \
         line 3): \"one\"; it is at file line 1, before that: hunks must follow the order of the \
         file"
    );
    assert!(apply(content, &hs).is_err());
    assert_eq!(
        e.message_for("src/app.py"),
        "hunk 2 (patch line 6): this line is not in src/app.py after hunk 1 (which ends at file \
         line 3): \"one\"; it is at file line 1, before that: hunks must follow the order of the \
         file"
    );
}

#[test]
fn context_line_is_searched_first_and_lines_after_it() {
    let content = "class A:\n    x = 1\nclass B:\n    x = 1\n";
    let l = one(content, "@@ class B:\n-    x = 1\n+    x = 2");
    assert_eq!((l.context, l.start), (Some((2, Fuzz::Exact)), 3));
    assert_eq!(
        apply(content, &hunks("@@ class B:\n-    x = 1\n+    x = 2")).unwrap(),
        "class A:\n    x = 1\nclass B:\n    x = 2\n"
    );
}

#[test]
fn context_line_is_fuzzy_too() {
    let l = one("  class B:  \n    x = 1\n", "@@ class B:\n-    x = 1");
    assert_eq!(l.context, Some((0, Fuzz::Whitespace)));
}

#[test]
fn context_line_not_found() {
    let e = locate("a\nb\n", &hunks("@@ def missing():\n-a")).unwrap_err();
    assert_eq!((e.hunk, e.line, e.kind), (0, 3, MatchErrorKind::Context));
    assert_eq!(e.expected, vec!["def missing():"]);
    assert_eq!(
        e.to_string(),
        "hunk 1 (patch line 3): the @@ context line \"def missing():\" is not in the file"
    );
    assert_eq!(
        e.message_for("a.py"),
        "hunk 1 (patch line 3): the @@ context line \"def missing():\" is not in a.py"
    );
}

#[test]
fn context_line_before_the_previous_hunk() {
    let e = locate(
        "def a():\n    1\ndef b():\n    2\n",
        &hunks("@@ def b():\n-    2\n@@ def a():\n-    1"),
    )
    .unwrap_err();
    assert_eq!((e.hunk, e.kind), (1, MatchErrorKind::Context));
    assert!(
        e.message
            .contains("after hunk 1 (which ends at file line 4)"),
        "{e}"
    );
    assert!(
        e.message.contains("it is at file line 1, before that"),
        "{e}"
    );
}

#[test]
fn old_lines_must_follow_the_context_line() {
    let e = locate(
        "x = 1\nclass B:\n    y = 2\n",
        &hunks("@@ class B:\n-x = 1"),
    )
    .unwrap_err();
    assert_eq!(e.kind, MatchErrorKind::Lines);
    assert!(
        e.message
            .contains("after its @@ context line (file line 2)"),
        "{e}"
    );
    assert!(
        e.message.contains("it is at file line 1, before that"),
        "{e}"
    );
}

#[test]
fn end_of_file_matches_only_the_last_lines() {
    let content = "a\nb\na\nb\n";
    let l = one(content, "@@\n-a\n-b\n+c\n*** End of File");
    assert_eq!(l.start, 2);
    assert_eq!(
        apply(content, &hunks("@@\n-a\n-b\n+c\n*** End of File")).unwrap(),
        "a\nb\nc\n"
    );
    // Lines that are in the file but not at its end do not match (Codex has no fallback).
    let e = locate("a\nb\nc\n", &hunks("@@\n-a\n*** End of File")).unwrap_err();
    assert!(e.message.contains("at the end of the file"), "{e}");
    assert!(
        e.message
            .contains("it is at file line 1, which is not the end of the file"),
        "{e}"
    );
}

#[test]
fn trailing_empty_old_line_stands_for_the_final_newline() {
    // "-b" then an empty context line: the file has no empty line after "b".
    let hs = hunks("@@\n a\n-b\n+c\n");
    assert_eq!(hs[0].old_lines(), vec!["a", "b", ""]);
    let l = locate("a\nb\n", &hs).unwrap().remove(0);
    assert!(l.dropped_trailing_empty);
    assert_eq!((l.start, l.len), (0, 2));
    assert_eq!(apply("a\nb\n", &hs).unwrap(), "a\nc\n");
    // When the file has the empty line, it is matched as is.
    let l = locate("a\nb\n\nz\n", &hs).unwrap().remove(0);
    assert!(!l.dropped_trailing_empty);
    assert_eq!(l.len, 3);
}

#[test]
fn a_hunk_with_only_added_lines_is_appended_at_the_end() {
    // Even with a context line: Codex finds it, then appends at the end of the file.
    let content = "def a():\n    pass\ndef b():\n    pass\n";
    let hs = hunks("@@ def a():\n+    # new");
    let l = locate(content, &hs).unwrap().remove(0);
    assert!(l.appended);
    assert_eq!((l.context, l.start, l.len), (Some((0, Fuzz::Exact)), 4, 0));
    assert_eq!(
        apply(content, &hs).unwrap(),
        format!("{content}    # new\n")
    );
    // Into an empty file.
    assert_eq!(apply("", &hunks("@@\n+first")).unwrap(), "first\n");
    // The context must still be there.
    assert!(locate(content, &hunks("@@ def z():\n+x")).is_err());
}

#[test]
fn stale_old_lines_show_what_the_file_has() {
    let e = locate(
        "a = 1\nb = 2\nc = 3\n",
        &hunks("@@\n a = 1\n-b = 9\n+b = 3\n c = 3"),
    )
    .unwrap_err();
    assert_eq!(e.expected, vec!["a = 1", "b = 9", "c = 3"]);
    assert_eq!(
        e.message,
        "hunk 1 (patch line 3): these lines are not in the file: \"a = 1\", \"b = 9\", \"c = 3\"; \
         the closest block starts at file line 1 (2 of 3 lines equal ignoring whitespace): at \
         file line 2 the file has \"b = 2\" where the patch expects \"b = 9\""
    );
}

#[test]
fn lines_past_the_end_of_the_file() {
    let e = locate("a\nb\n", &hunks("@@\n a\n b\n-c")).unwrap_err();
    assert!(
        e.message
            .contains("the file ends after 2 of them, before \"c\""),
        "{e}"
    );
}

#[test]
fn crlf_content_keeps_its_line_endings() {
    let content = "one\r\ntwo\r\nthree\r\n";
    let hs = hunks("@@\n one\n-two\n+2\n+2b");
    let l = locate(content, &hs).unwrap().remove(0);
    assert_eq!((l.start, l.fuzz), (0, Fuzz::Exact));
    assert_eq!(apply(content, &hs).unwrap(), "one\r\n2\r\n2b\r\nthree\r\n");
}

#[test]
fn mixed_line_endings_keep_each_lines_own() {
    // New lines take the first ending in the file; untouched and context lines keep theirs.
    let content = "a\nb\r\nc\n";
    assert_eq!(
        apply(content, &hunks("@@\n a\n b\n-c\n+C")).unwrap(),
        "a\nb\r\nC\n"
    );
    let content = "a\r\nb\nc\r\n";
    assert_eq!(
        apply(content, &hunks("@@\n-a\n+A\n b")).unwrap(),
        "A\r\nb\nc\r\n"
    );
}

#[test]
fn context_lines_stay_as_the_file_has_them() {
    // A context line matched with fuzz is not rewritten to the patch's text.
    let content = "if x:   \n    y = 1\n";
    assert_eq!(
        apply(content, &hunks("@@\n if x:\n-    y = 1\n+    y = 2")).unwrap(),
        "if x:   \n    y = 2\n"
    );
}

#[test]
fn a_missing_final_newline_is_added() {
    assert_eq!(apply("a\nb", &hunks("@@\n-a\n+A")).unwrap(), "A\nb\n");
    assert_eq!(apply("a\r\nb", &hunks("@@\n-a\n+A")).unwrap(), "A\r\nb\r\n");
}

#[test]
fn byte_order_mark_is_kept_and_not_matched() {
    let content = "\u{feff}first\nsecond\n";
    let l = one(content, "@@\n-first\n+1st");
    assert_eq!((l.start, l.fuzz), (0, Fuzz::Exact));
    assert_eq!(
        apply(content, &hunks("@@\n-first\n+1st")).unwrap(),
        "\u{feff}1st\nsecond\n"
    );
}

#[test]
fn deleting_lines_only() {
    assert_eq!(apply("a\nb\nc\n", &hunks("@@\n a\n-b")).unwrap(), "a\nc\n");
}

#[test]
fn empty_file_and_empty_hunk_list() {
    assert_eq!(locate("", &[]).unwrap(), vec![]);
    assert_eq!(apply("x", &[]).unwrap(), "x\n");
    assert!(locate("", &hunks("@@\n-a")).is_err());
}

#[test]
fn messages_name_where_the_search_started() {
    let content = "class A:\n    a = 1\nclass B:\n    b = 1\n";
    // After an appended hunk with a context, the search goes on after that context.
    let e = locate(content, &hunks("@@ class B:\n+# end\n@@\n-    a = 1")).unwrap_err();
    assert!(
        e.message
            .contains("after the @@ context line of hunk 1 (file line 3)"),
        "{e}"
    );
    assert!(
        e.message.contains("it is at file line 2, before that"),
        "{e}"
    );
}
