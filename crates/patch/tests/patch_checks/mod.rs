//! What matching parsed hunks against a file must always satisfy, shared by the bounded
//! property tests (`tests/props.rs`) and the cargo-fuzz target (`fuzz/fuzz_targets/patch.rs`).

use selfheal_patch::{apply, locate, Hunk};

/// `locate` and `apply` agree; what they find is within the file and in order; a miss names
/// its hunk. Returns whether the hunks were found.
pub fn check_hunks(content: &str, hunks: &[Hunk]) -> bool {
    let located = locate(content, hunks);
    let applied = apply(content, hunks);
    assert_eq!(located.is_ok(), applied.is_ok());
    match located {
        Ok(locations) => {
            assert_eq!(locations.len(), hunks.len());
            let file_lines = content.lines().count() + 1;
            let mut end = 0;
            for l in &locations {
                assert!(l.start + l.len <= file_lines);
                if !l.appended {
                    assert!(l.start >= end, "{locations:?}");
                    end = l.start + l.len;
                }
            }
            let out = applied.unwrap();
            assert!(out.is_empty() || out.ends_with('\n'));
            true
        }
        Err(e) => {
            assert!(e.hunk < hunks.len());
            assert_eq!(e.line, hunks[e.hunk].line);
            assert!(!e.expected.is_empty());
            assert!(e.to_string().starts_with(&format!("hunk {} ", e.hunk + 1)));
            let _ = e.message_for("some/file.txt");
            false
        }
    }
}
