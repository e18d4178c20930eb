//! The apply_patch parser, and matching what it parsed against a file's text.
//!
//! Input: the patch text, optionally followed by a NUL byte and the file's text. Every update
//! is also matched against a file made of its own old lines, which Codex's search must always
//! find: that takes the fuzzer deep into the matching code without guessing a file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selfheal_patch::{parse, FileOp, Hunk};

#[path = "../../crates/patch/tests/patch_checks/mod.rs"]
mod patch_checks;
use patch_checks::check_hunks;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (patch_text, file) = match text.split_once('\0') {
        Some((patch, file)) => (patch, Some(file)),
        None => (&*text, None),
    };
    let patch = match parse(patch_text) {
        Ok(patch) => patch,
        Err(e) => {
            assert!(e.line >= 1 && !e.message.is_empty(), "{e:?}");
            assert!(e.line <= patch_text.split('\n').count() + 1, "{e:?}");
            return;
        }
    };
    assert!(!patch.ops.is_empty());
    let _ = patch.paths();
    for op in &patch.ops {
        assert!(op.line() >= 1);
        let _ = (op.destination(), op.added_content());
        let FileOp::Update { hunks, .. } = op else {
            continue;
        };
        assert!(!hunks.is_empty() && hunks.iter().all(|h| !h.lines.is_empty()));
        if let Some(file) = file {
            check_hunks(file, hunks);
        }
        let own = own_old_lines(hunks);
        let found = check_hunks(&own, hunks);
        // Exact copies of every context and old line, in order, are always found, unless
        // the file's own reading changes them (a CR ends a line, a BOM is set aside) or
        // `*** End of File` pins a hunk to the end.
        let plain = hunks.iter().all(|h| {
            !h.end_of_file
                && h.context
                    .iter()
                    .map(String::as_str)
                    .chain(h.old_lines())
                    .all(|l| !l.contains('\r'))
        }) && !own.starts_with('\u{feff}');
        assert!(found || !plain, "own lines not found: {own:?} {hunks:?}");
    }
});

/// A file holding each hunk's `@@` context line and old lines, in patch order.
fn own_old_lines(hunks: &[Hunk]) -> String {
    let mut file = String::new();
    for hunk in hunks {
        for line in hunk
            .context
            .iter()
            .map(String::as_str)
            .chain(hunk.old_lines())
        {
            file.push_str(line);
            file.push('\n');
        }
    }
    file
}
