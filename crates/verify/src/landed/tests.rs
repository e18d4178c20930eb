use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;

use super::*;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "selfheal-verify-landed-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn run(&self, name: &str, input: Value, response: Option<Value>) -> Landing {
        let call = ToolCall {
            kind: ToolKind::of(name),
            name,
            tool_use_id: None,
            input: &input,
            outcome: None,
        };
        check(&call, response.as_ref(), &Place { cwd: Some(&self.0) })
    }

    fn patch(&self, patch: &str) -> Landing {
        self.run("apply_patch", json!({ "command": patch }), None)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn details(l: &Landing) -> Vec<String> {
    l.findings
        .iter()
        .map(|f| format!("{}: {}", f.path, f.detail))
        .collect()
}

const THREE: &str = "*** Begin Patch
*** Update File: a.txt
@@
 one
-two
+TWO
 three
*** Update File: b.txt
@@
 alpha
-beta
+BETA
 gamma
*** Add File: c.txt
+new
+file
*** End Patch
";

#[test]
fn a_patch_that_landed_everywhere_has_no_finding_and_rebuilds_the_old_content() {
    let d = Dir::new();
    d.write("a.txt", "one\nTWO\nthree\n");
    d.write("b.txt", "alpha\nBETA\ngamma\n");
    d.write("c.txt", "new\nfile\n");
    let l = d.patch(THREE);
    assert!(l.findings.is_empty(), "{:?}", details(&l));
    assert_eq!(l.total, 3);
    assert_eq!(l.files.len(), 3);
    // Only a file that must parse gets its old content rebuilt.
    assert_eq!(l.files[0].before, Before::Unknown);
    assert_eq!(l.files[2].before, Before::New);
    assert_eq!(l.files[0].written, "TWO");
    d.write("c.toml", "a = 1\nb = 20\n");
    let l = d.patch(
        "*** Begin Patch\n*** Update File: c.toml\n@@\n a = 1\n-b = 2\n+b = 20\n*** End Patch\n",
    );
    assert_eq!(l.files[0].before, Before::Text("a = 1\nb = 2\n".into()));
}

#[test]
fn one_file_of_three_unchanged_is_named_with_its_hunk_and_line() {
    let d = Dir::new();
    d.write("a.txt", "one\nTWO\nthree\n");
    d.write("b.txt", "alpha\nbeta\ngamma\n");
    d.write("c.txt", "new\nfile\n");
    let l = d.patch(THREE);
    assert_eq!(
        details(&l),
        ["b.txt: hunk 1 (patch line 9) was not applied: its old lines are still at file line 1"]
    );
}

#[test]
fn missing_added_lines_are_listed_with_their_patch_lines() {
    let d = Dir::new();
    // Half applied: the removal happened, the addition did not.
    d.write("a.txt", "one\nthree\n");
    let l = d.patch(
        "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n+2\n three\n*** End Patch\n",
    );
    assert_eq!(
        details(&l),
        ["a.txt: hunk 1 (patch line 3): missing +\"TWO\" (patch line 6), +\"2\" (patch line 7)"]
    );
}

#[test]
fn add_delete_and_move_are_checked() {
    let d = Dir::new();
    d.write("cut.txt", "line 1\nline 2\n");
    d.write("gone.txt", "still here\n");
    let l = d.patch(
        "*** Begin Patch\n*** Add File: cut.txt\n+line 1\n+line 2\n+line 3\n+line 4\n\
         *** Delete File: gone.txt\n*** Add File: never.txt\n+x\n*** End Patch\n",
    );
    let got = details(&l);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got[0].starts_with("cut.txt: is cut short: it holds 2 of 4 lines (14 of 28 bytes)"),
        "{}",
        got[0]
    );
    assert_eq!(got[1], "gone.txt: still exists (the patch deletes it)");
    assert_eq!(got[2], "never.txt: was not created (the patch adds it)");

    // A move done right, and one left half done (the source is still there).
    let d = Dir::new();
    d.write("src/new.rs", "fn a() {}\nfn b() -> u8 { 2 }\n");
    let moved = "*** Begin Patch\n*** Update File: src/old.rs\n*** Move to: src/new.rs\n@@\n fn a() {}\n-fn b() {}\n+fn b() -> u8 { 2 }\n*** End Patch\n";
    let l = d.patch(moved);
    assert!(l.findings.is_empty(), "{:?}", details(&l));
    d.write("src/old.rs", "fn a() {}\nfn b() {}\n");
    let l = d.patch(moved);
    assert_eq!(
        details(&l),
        ["src/old.rs: still exists: the patch moves it to src/new.rs"]
    );
    std::fs::remove_file(d.0.join("src/new.rs")).unwrap();
    let l = d.patch(moved);
    assert_eq!(l.findings.len(), 2, "{:?}", details(&l));
    assert_eq!(
        details(&l)[1],
        "src/new.rs: is missing: the patch moves src/old.rs here"
    );
}

#[test]
fn appended_and_removed_blocks_are_checked_too() {
    let d = Dir::new();
    d.write("a.py", "import os\n\ndef main():\n    pass\n");
    let l = d.patch(
        "*** Begin Patch\n*** Update File: a.py\n@@\n+def extra():\n+    return 1\n*** End Patch\n",
    );
    assert_eq!(l.findings.len(), 1, "{:?}", details(&l));
    assert!(l.findings[0].detail.contains("missing +\"def extra():\""));
    let l = d.patch("*** Begin Patch\n*** Update File: a.py\n@@\n-import os\n*** End Patch\n");
    assert_eq!(
        details(&l),
        ["a.py: hunk 1 (patch line 3) was not applied: the lines it removes are still at file line 1"]
    );
    // Removing a lone brace is not checked: braces are everywhere.
    d.write("b.rs", "}\n");
    assert!(d
        .patch("*** Begin Patch\n*** Update File: b.rs\n@@\n-}\n*** End Patch\n")
        .findings
        .is_empty());
}

#[test]
fn hunks_out_of_order_are_reported() {
    let d = Dir::new();
    d.write("a.txt", "X\nb\nc\nA\n");
    let l =
        d.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+A\n@@\n-x\n+X\n*** End Patch\n");
    assert_eq!(l.findings.len(), 1, "{:?}", details(&l));
    assert!(l.findings[0]
        .detail
        .contains("not after the hunks before it"));
}

#[test]
fn a_large_file_is_verified_and_fuzz_is_allowed_as_codex_allows_it() {
    let d = Dir::new();
    let mut content: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
    content = content.replace("line 5000\n", "line 5000 changed\n");
    // Codex matched the context with trailing white space ignored and kept the file's line.
    content = content.replace("line 4999\n", "line 4999  \n");
    d.write("big.txt", &content);
    let l = d.patch(
        "*** Begin Patch\n*** Update File: big.txt\n@@\n line 4999\n-line 5000\n+line 5000 changed\n line 5001\n*** End Patch\n",
    );
    assert!(l.findings.is_empty(), "{:?}", details(&l));
}

#[test]
fn claude_write_cut_short_or_missing() {
    let d = Dir::new();
    let content: String = (1..=10).map(|i| format!("row {i}\n")).collect();
    d.write("out.txt", &content[..content.find("row 4").unwrap()]);
    let p = d.0.join("out.txt").display().to_string();
    let l = d.run(
        "Write",
        json!({"file_path": p, "content": content}),
        Some(json!({"type": "create", "originalFile": null})),
    );
    let got = details(&l);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("out.txt: is cut short: it holds 3 of 10 lines"),
        "{}",
        got[0]
    );
    assert_eq!(l.files[0].before, Before::New);

    d.write("out.txt", &content.replace("\n", "\r\n"));
    assert!(d
        .run("Write", json!({"file_path": p, "content": content}), None)
        .findings
        .is_empty());

    let l = d.run(
        "Write",
        json!({"file_path": d.0.join("nope.txt"), "content": "x"}),
        None,
    );
    assert_eq!(
        details(&l),
        ["nope.txt: does not exist: the Write did not land"]
    );
}

fn edit_response(original: &str, old: &str, new: &str, all: bool) -> Value {
    json!({"originalFile": original, "oldString": old, "newString": new, "replaceAll": all,
           "structuredPatch": [], "userModified": false})
}

#[test]
fn claude_edit_whose_replacement_appears_zero_times() {
    let d = Dir::new();
    let original = "fn main() {\n    println!(\"old\");\n}\n";
    d.write("src/lib.rs", original);
    let p = d.0.join("src/lib.rs").display().to_string();
    let input = json!({"file_path": p, "old_string": "println!(\"old\");",
                       "new_string": "println!(\"new\");", "replace_all": false});
    let response = edit_response(original, "println!(\"old\");", "println!(\"new\");", false);
    let l = d.run("Edit", input.clone(), Some(response.clone()));
    assert_eq!(
        details(&l),
        [
            "src/lib.rs: new_string \"println!(\\\"new\\\");\" appears 0 times in the file; the edit should leave it once",
            "src/lib.rs: old_string \"println!(\\\"old\\\");\" is still there once",
        ]
    );
    // Landed: nothing to say, and the content before is known.
    d.write("src/lib.rs", &original.replace("old", "new"));
    let l = d.run("Edit", input, Some(response));
    assert!(l.findings.is_empty(), "{:?}", details(&l));
    assert_eq!(l.files[0].before, Before::Text(original.into()));
}

#[test]
fn replace_all_and_multi_edit_count_every_replacement() {
    let d = Dir::new();
    let original = "a = x\nb = x\nc = x\n";
    d.write("v.txt", "a = y\nb = x\nc = y\n");
    let p = d.0.join("v.txt").display().to_string();
    let l = d.run(
        "Edit",
        json!({"file_path": p, "old_string": "x", "new_string": "y", "replace_all": true}),
        Some(edit_response(original, "x", "y", true)),
    );
    assert_eq!(
        details(&l),
        [
            "v.txt: new_string \"y\" appears 2 times in the file; the edit should leave it 3 times",
            "v.txt: old_string \"x\" is still there once (replace_all replaces every one)",
        ]
    );
    // MultiEdit without the original: each edit's new_string must be there.
    d.write("m.txt", "alpha\nBETA\n");
    let l = d.run(
        "MultiEdit",
        json!({"file_path": d.0.join("m.txt"), "edits": [
            {"old_string": "beta", "new_string": "BETA"},
            {"old_string": "gamma", "new_string": "GAMMA"}]}),
        None,
    );
    assert_eq!(
        details(&l),
        ["m.txt: edit 2: new_string \"GAMMA\" appears 0 times in the file; the edit should leave it once"]
    );
}

#[test]
fn an_edit_reformatted_by_someone_else_still_landed_but_a_cut_one_did_not() {
    let d = Dir::new();
    let original = "x = 1\ny = 2\nz = 3\n";
    let response = json!({"originalFile": original, "userModified": false,
        "structuredPatch": [{"oldStart": 2, "oldLines": 1, "newStart": 2, "newLines": 1,
                             "lines": ["-y = 2", "+y = 20"]}]});
    let input = |p: &Path| json!({"file_path": p, "old_string": "y = 2", "new_string": "y = 20"});
    // A formatter aligned the file after the edit: new_string is there, old_string gone.
    d.write("f.py", "x  = 1\ny = 20\nz  = 3\n");
    let l = d.run("Edit", input(&d.0.join("f.py")), Some(response.clone()));
    assert!(l.findings.is_empty(), "{:?}", details(&l));
    // Cut off after the edited line: what the edit should have left is longer.
    d.write("f.py", "x = 1\ny = 20\n");
    let l = d.run("Edit", input(&d.0.join("f.py")), Some(response));
    assert_eq!(l.findings.len(), 1, "{:?}", details(&l));
    assert!(l.findings[0]
        .detail
        .starts_with("is cut short: it holds 2 of 3 lines"));
}

#[test]
fn notebook_cells_are_checked() {
    let d = Dir::new();
    let nb = json!({"cells": [{"id": "c1", "cell_type": "code", "source": ["print(1)\n", "x = 2"]}],
                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5});
    d.write("n.ipynb", &nb.to_string());
    let p = d.0.join("n.ipynb").display().to_string();
    let ok = d.run(
        "NotebookEdit",
        json!({"notebook_path": p, "cell_id": "c1", "new_source": "print(1)\nx = 2"}),
        None,
    );
    assert!(ok.findings.is_empty(), "{:?}", details(&ok));
    let missing = d.run(
        "NotebookEdit",
        json!({"notebook_path": p, "cell_id": "c1", "new_source": "y = 3"}),
        None,
    );
    assert_eq!(
        details(&missing),
        ["n.ipynb: no cell holds new_source \"y = 3\""]
    );
    let deleted = d.run(
        "NotebookEdit",
        json!({"notebook_path": p, "cell_id": "c1", "new_source": "", "edit_mode": "delete"}),
        None,
    );
    assert_eq!(
        details(&deleted),
        ["n.ipynb: cell c1 is still there (edit_mode delete)"]
    );
}

#[test]
fn relative_paths_without_a_cwd_and_unparsable_patches_are_skipped() {
    let input = json!({"command": "*** Begin Patch\n*** Add File: x\n+1\n*** End Patch\n"});
    let call = ToolCall {
        kind: ToolKind::Patch,
        name: "apply_patch",
        tool_use_id: None,
        input: &input,
        outcome: None,
    };
    let l = check(&call, None, &Place { cwd: None });
    assert_eq!((l.total, l.findings.len()), (0, 0));
    let d = Dir::new();
    assert_eq!(d.patch("not a patch").total, 0);
}

#[test]
fn a_hunk_that_only_drops_lines_beside_kept_ones_is_caught_when_not_applied() {
    let d = Dir::new();
    d.write("k.txt", "keep\ndrop me\nother\n");
    for patch in [
        // The kept line first, then the dropped one; and the other way round.
        "*** Begin Patch\n*** Update File: k.txt\n@@\n keep\n-drop me\n*** End Patch\n",
        "*** Begin Patch\n*** Update File: k.txt\n@@\n-drop me\n other\n*** End Patch\n",
    ] {
        let l = d.patch(patch);
        assert_eq!(l.findings.len(), 1, "{patch}: {:?}", details(&l));
        assert!(
            l.findings[0].detail.contains("was not applied"),
            "{:?}",
            details(&l)
        );
    }
    d.write("k.txt", "keep\nother\n");
    assert!(d
        .patch("*** Begin Patch\n*** Update File: k.txt\n@@\n keep\n-drop me\n*** End Patch\n")
        .findings
        .is_empty());
    // An insertion after a kept line is not mistaken for one.
    d.write("k.txt", "keep\nnew\nother\n");
    assert!(d
        .patch("*** Begin Patch\n*** Update File: k.txt\n@@\n keep\n+new\n*** End Patch\n")
        .findings
        .is_empty());
}
