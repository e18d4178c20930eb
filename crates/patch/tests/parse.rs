//! The grammar, its leniencies, and every parse error.

use selfheal_patch::{parse, FileOp, Hunk, HunkLine, ParseError};

fn ctx(s: &str) -> HunkLine {
    HunkLine::Context(s.to_string())
}
fn rm(s: &str) -> HunkLine {
    HunkLine::Remove(s.to_string())
}
fn add(s: &str) -> HunkLine {
    HunkLine::Add(s.to_string())
}

fn hunks(op: &FileOp) -> &[Hunk] {
    match op {
        FileOp::Update { hunks, .. } => hunks,
        other => panic!("not an update: {other:?}"),
    }
}

fn err(text: &str) -> ParseError {
    parse(text).expect_err("should not parse")
}

#[test]
fn add_file() {
    let patch =
        parse("*** Begin Patch\n*** Add File: hello.txt\n+hello world\n+\n+  x \n*** End Patch\n")
            .unwrap();
    assert_eq!(
        patch.ops,
        vec![FileOp::Add {
            path: "hello.txt".into(),
            lines: vec!["hello world".into(), "".into(), "  x ".into()],
            line: 2,
        }]
    );
    assert_eq!(
        patch.ops[0].added_content().as_deref(),
        Some("hello world\n\n  x \n")
    );
    assert_eq!(patch.environment_id, None);
}

#[test]
fn add_file_without_lines_is_an_empty_file() {
    let patch = parse("*** Begin Patch\n*** Add File: empty.txt\n*** End Patch").unwrap();
    assert_eq!(patch.ops[0].added_content().as_deref(), Some(""));
}

#[test]
fn delete_file() {
    let patch = parse("*** Begin Patch\n*** Delete File: old.txt\n*** End Patch").unwrap();
    assert_eq!(
        patch.ops,
        vec![FileOp::Delete {
            path: "old.txt".into(),
            line: 2
        }]
    );
    assert_eq!(patch.ops[0].paths(), vec!["old.txt"]);
    assert_eq!(patch.ops[0].added_content(), None);
}

#[test]
fn update_file_with_bare_and_context_hunk_headers() {
    let text = "*** Begin Patch
*** Update File: src/app.py
@@
 import os
-x = 1
+x = 2
@@ def main():
     a = 1
-    return a
+    return a + 1
*** End Patch
";
    let patch = parse(text).unwrap();
    let FileOp::Update {
        path,
        move_to,
        hunks,
        line,
    } = &patch.ops[0]
    else {
        panic!()
    };
    assert_eq!((path.as_str(), move_to, *line), ("src/app.py", &None, 2));
    assert_eq!(
        hunks,
        &vec![
            Hunk {
                context: None,
                lines: vec![ctx("import os"), rm("x = 1"), add("x = 2")],
                end_of_file: false,
                line: 3,
            },
            Hunk {
                context: Some("def main():".into()),
                lines: vec![
                    ctx("    a = 1"),
                    rm("    return a"),
                    add("    return a + 1")
                ],
                end_of_file: false,
                line: 7,
            },
        ]
    );
    assert_eq!(hunks[1].old_lines(), vec!["    a = 1", "    return a"]);
    assert_eq!(hunks[1].new_lines(), vec!["    a = 1", "    return a + 1"]);
    assert_eq!(hunks[1].context_indices(), vec![(0, 0)]);
}

#[test]
fn first_hunk_may_leave_out_its_header() {
    let patch =
        parse("*** Begin Patch\n*** Update File: f.py\n import foo\n+bar\n*** End Patch").unwrap();
    assert_eq!(
        hunks(&patch.ops[0]),
        &[Hunk {
            context: None,
            lines: vec![ctx("import foo"), add("bar")],
            end_of_file: false,
            line: 3,
        }]
    );
}

#[test]
fn only_the_first_hunk_may_leave_out_its_header() {
    // After a hunk, a line that is no hunk line ends nothing: Codex wants "@@" there.
    let e = err("*** Begin Patch\n*** Update File: f\n-a\n+b\nfoo\n*** End Patch");
    assert_eq!(e.line, 5);
    assert!(e.message.contains("a new \"@@\" hunk"), "{e}");
    assert!(e.message.contains("got \"foo\""), "{e}");
}

#[test]
fn an_empty_line_in_a_hunk_is_an_empty_context_line() {
    let patch = parse("*** Begin Patch\n*** Update File: f\n@@\n a\n\n-b\n*** End Patch").unwrap();
    assert_eq!(
        hunks(&patch.ops[0])[0].lines,
        vec![ctx("a"), ctx(""), rm("b")]
    );
}

#[test]
fn hunk_lines_keep_their_whitespace() {
    let patch =
        parse("*** Begin Patch\n*** Update File: f\n@@\n-a  \n+b\t\n     \n*** End Patch").unwrap();
    assert_eq!(
        hunks(&patch.ops[0])[0].lines,
        vec![rm("a  "), add("b\t"), ctx("    ")]
    );
}

#[test]
fn end_of_file_marks_the_hunk_and_blank_lines_may_follow() {
    let text = "*** Begin Patch\n*** Update File: f\n@@\n-last\n+new last\n*** End of File\n\n\n@@ other\n-x\n+y\n*** End Patch";
    let patch = parse(text).unwrap();
    let h = hunks(&patch.ops[0]);
    assert!(h[0].end_of_file);
    assert!(!h[1].end_of_file);
    assert_eq!(h[1].line, 9);
}

#[test]
fn end_of_file_must_be_followed_by_a_new_hunk() {
    let e = err("*** Begin Patch\n*** Update File: f\n@@\n-a\n*** End of File\n-b\n*** End Patch");
    assert_eq!(e.line, 6);
    assert!(e.message.contains("after \"*** End of File\""), "{e}");
}

#[test]
fn end_of_file_before_any_line_is_an_error() {
    let e = err("*** Begin Patch\n*** Update File: f\n@@ ctx\n*** End of File\n*** End Patch");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("closes the hunk at line 3"), "{e}");
}

#[test]
fn move_to() {
    let patch = parse(
        "*** Begin Patch\n*** Update File: a/old.rs\n*** Move to: b/new.rs\n@@\n-x\n+y\n*** End Patch",
    )
    .unwrap();
    let op = &patch.ops[0];
    assert!(matches!(op, FileOp::Update { move_to: Some(to), .. } if to == "b/new.rs"));
    assert_eq!(op.path(), "a/old.rs");
    assert_eq!(op.destination(), "b/new.rs");
    assert_eq!(op.paths(), vec!["a/old.rs", "b/new.rs"]);
    assert_eq!(hunks(op)[0].line, 4);
}

#[test]
fn move_to_without_hunks_is_an_empty_update() {
    let e = err("*** Begin Patch\n*** Update File: a\n*** Move to: b\n*** End Patch");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("has no hunk"), "{e}");
}

#[test]
fn several_operations_with_their_lines() {
    let text = "*** Begin Patch
*** Add File: path/add.py
+abc
+def
*** Delete File: path/delete.py
*** Update File: path/update.py
*** Move to: path/update2.py
@@ def f():
-    pass
+    return 123
*** Add File: other.py
+content
*** End Patch";
    let patch = parse(text).unwrap();
    let lines: Vec<usize> = patch.ops.iter().map(FileOp::line).collect();
    assert_eq!(lines, vec![2, 5, 6, 11]);
    assert_eq!(
        patch.paths(),
        vec![
            "path/add.py",
            "path/delete.py",
            "path/update.py",
            "path/update2.py",
            "other.py"
        ]
    );
}

#[test]
fn whitespace_around_markers() {
    // Codex trims the boundary lines and, outside an update, the file headers; inside an update
    // it trims only the ends of lines ("@@ " and the headers with trailing blanks).
    let text = "  *** Begin Patch  \n   *** Update File: f.txt   \n@@   \n-a\n+b\n*** Add File: g.txt \n+x\n  *** End Patch   \n";
    let patch = parse(text).unwrap();
    assert_eq!(patch.ops[0].path(), "f.txt");
    assert_eq!(hunks(&patch.ops[0])[0].context, None);
    assert_eq!(patch.ops[1].path(), "g.txt");
}

#[test]
fn hunk_context_keeps_inner_text() {
    let patch =
        parse("*** Begin Patch\n*** Update File: f\n@@  class A:   \n-a\n*** End Patch").unwrap();
    assert_eq!(
        hunks(&patch.ops[0])[0].context.as_deref(),
        Some(" class A:")
    );
}

#[test]
fn heredoc_wrapper() {
    for first in ["<<EOF", "<<'EOF'", "<<\"EOF\""] {
        let text = format!(
            "{first}\n*** Begin Patch\n*** Update File: f\n@@\n-a\n+b\n*** End Patch\nEOF\n"
        );
        let patch = parse(&text).unwrap();
        // Lines are numbered in the text as given, heredoc line included.
        assert_eq!(patch.ops[0].line(), 3);
        assert_eq!(hunks(&patch.ops[0])[0].line, 4);
    }
    // A mismatched quote is no heredoc.
    let e = err("<<\"EOF'\n*** Begin Patch\n*** Add File: f\n+a\n*** End Patch\nEOF");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("\"*** Begin Patch\""), "{e}");
    // Inside the heredoc, the inner boundary error stands.
    let e = err("<<EOF\n*** Begin Patch\n*** Update File: f\nEOF\n");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("last line"), "{e}");
}

#[test]
fn crlf_patch_text() {
    let text = "*** Begin Patch\r\n*** Update File: f\r\n@@ ctx\r\n-a\r\n+b\r\n*** End of File\r\n*** End Patch\r\n";
    let patch = parse(text).unwrap();
    let h = &hunks(&patch.ops[0])[0];
    assert_eq!(h.context.as_deref(), Some("ctx"));
    assert_eq!(h.lines, vec![rm("a"), add("b")]);
    assert!(h.end_of_file);
}

#[test]
fn line_numbers_count_leading_blank_lines() {
    let e = err("\n\n  \n*** Begin Patch\n*** Update File: f\nbad\n*** End Patch");
    assert_eq!(e.line, 6);
    assert_eq!(
        e.to_string(),
        "line 6: expected a hunk line starting with ' ', '-' or '+', got \"bad\""
    );
}

#[test]
fn environment_id() {
    let patch =
        parse("*** Begin Patch\n*** Environment ID: remote-1 \n*** Add File: a\n+x\n*** End Patch")
            .unwrap();
    assert_eq!(patch.environment_id.as_deref(), Some("remote-1"));
    let e = err("*** Begin Patch\n*** Environment ID: a\n*** Environment ID: b\n*** Add File: a\n+x\n*** End Patch");
    assert_eq!(e.line, 3);
    let e = err("*** Begin Patch\n*** Environment ID:   \n*** Add File: a\n+x\n*** End Patch");
    assert_eq!(e.line, 2);
    // Only right after "*** Begin Patch".
    let e = err("*** Begin Patch\n*** Add File: a\n+x\n*** Environment ID: b\n*** End Patch");
    assert_eq!(e.line, 4);
}

#[test]
fn a_repeated_end_patch_is_accepted_but_nothing_else_after_it() {
    assert!(parse("*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n\n*** End Patch").is_ok());
    let e = err(
        "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n*** Add File: b\n+y\n*** End Patch",
    );
    assert_eq!(e.line, 5);
    assert!(e.message.contains("already ended"), "{e}");
}

// ---- errors ----

#[test]
fn empty_text() {
    for text in ["", "   \n\n\t"] {
        let e = err(text);
        assert_eq!(e.line, 1);
        assert!(e.message.contains("empty"), "{e}");
    }
}

#[test]
fn missing_begin_patch() {
    let e = err("*** Update File: f\n@@\n-a\n*** End Patch");
    assert_eq!(e.line, 1);
    assert_eq!(
        e.message,
        "the first line of the patch must be \"*** Begin Patch\", got \"*** Update File: f\""
    );
    assert_eq!(err("*** End Patch").line, 1);
}

#[test]
fn missing_end_patch() {
    let e = err("*** Begin Patch\n*** Add File: a\n+x\n");
    assert_eq!(e.line, 3);
    assert!(
        e.message
            .starts_with("the last line of the patch must be \"*** End Patch\""),
        "{e}"
    );
    assert_eq!(err("*** Begin Patch").line, 1);
}

#[test]
fn patch_without_operations() {
    let e = err("*** Begin Patch\n*** End Patch");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("no file operation"), "{e}");
}

#[test]
fn invalid_file_header() {
    let e = err("*** Begin Patch\n*** Modify File: a\n*** End Patch");
    assert_eq!(e.line, 2);
    assert!(e.message.starts_with("expected a file header"), "{e}");
    // The marker needs its space: "*** Add File:" with no path is no header.
    assert_eq!(err("*** Begin Patch\n*** Add File:\n*** End Patch").line, 2);
}

#[test]
fn add_file_line_without_plus() {
    let e = err("*** Begin Patch\n*** Add File: a\n+x\ny\n*** End Patch");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("starting with '+'"), "{e}");
    // An empty line too.
    assert_eq!(
        err("*** Begin Patch\n*** Add File: a\n+x\n\n+y\n*** End Patch").line,
        4
    );
}

#[test]
fn delete_file_takes_no_lines() {
    let e = err("*** Begin Patch\n*** Delete File: a\n-x\n*** End Patch");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("takes no lines"), "{e}");
}

#[test]
fn update_without_hunks() {
    let e = err("*** Begin Patch\n*** Update File: test.py\n*** End Patch");
    assert_eq!(e.line, 2);
    assert!(
        e.message
            .contains("\"*** Update File: test.py\" has no hunk"),
        "{e}"
    );
    let e = err("*** Begin Patch\n*** Update File: a\n*** Delete File: b\n*** End Patch");
    assert_eq!(e.line, 2);
}

#[test]
fn hunk_without_lines() {
    for (text, line) in [
        ("*** Begin Patch\n*** Update File: f\n@@\n*** End Patch", 4),
        (
            "*** Begin Patch\n*** Update File: f\n@@\n@@\n-a\n*** End Patch",
            4,
        ),
        (
            "*** Begin Patch\n*** Update File: f\n@@ x\n*** Update File: g\n@@\n-a\n*** End Patch",
            4,
        ),
    ] {
        let e = err(text);
        assert_eq!(e.line, line, "{e}");
        assert!(e.message.contains("the hunk at line 3 has no line"), "{e}");
    }
}

#[test]
fn unexpected_hunk_line() {
    let e = err("*** Begin Patch\n*** Update File: f\n@@\nfoo\n*** End Patch");
    assert_eq!(e.line, 4);
    assert_eq!(
        e.message,
        "expected a hunk line starting with ' ', '-' or '+', got \"foo\""
    );
    // A header written without its space is no header.
    let e = err("*** Begin Patch\n*** Update File: f\n-a\n@@foo\n*** End Patch");
    assert_eq!(e.line, 4);
    // A tab-indented line is no context line.
    assert_eq!(
        err("*** Begin Patch\n*** Update File: f\n@@\n\tx\n*** End Patch").line,
        4
    );
    // A second "*** Move to:" is a stray line.
    assert_eq!(
        err("*** Begin Patch\n*** Update File: f\n*** Move to: g\n*** Move to: h\n@@\n-a\n*** End Patch").line,
        4
    );
}

#[test]
fn inside_an_update_a_header_indented_is_a_context_line() {
    // Codex trims only the end of lines inside an update, so " *** Add File: b" is context.
    let patch =
        parse("*** Begin Patch\n*** Update File: f\n@@\n-a\n *** Add File: b\n*** End Patch")
            .unwrap();
    assert_eq!(
        hunks(&patch.ops[0])[0].lines,
        vec![rm("a"), ctx("*** Add File: b")]
    );
}

#[test]
fn long_lines_are_cut_in_messages() {
    let long = "x".repeat(500);
    let e = err(&format!(
        "*** Begin Patch\n*** Update File: f\n@@\n{long}\n*** End Patch"
    ));
    assert!(e.message.len() < 250, "{}", e.message.len());
    assert!(e.message.ends_with('…'), "{e}");
}

#[test]
fn error_is_std_error() {
    let e: Box<dyn std::error::Error> = Box::new(err("nope"));
    assert!(e.to_string().starts_with("line 1: "));
}
