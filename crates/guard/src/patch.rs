//! Codex `apply_patch` before it runs: the grammar, and whether every hunk will find its place.
//! Codex fires PreToolUse for a patch whose context is not in the file but no PostToolUse
//! when it then fails, so this is the one place to catch it.

use std::path::Path;

use selfheal_model::{Action, Class};
use selfheal_patch::{FileOp, ParseError, Patch};

use crate::Refusal;

/// The refusal for a patch that Codex would reject or misapply, if any. Paths are relative to
/// `cwd`, as Codex reads them.
pub fn check(parsed: &Result<Patch, ParseError>, cwd: &Path) -> Option<Refusal> {
    let patch = match parsed {
        Ok(patch) => patch,
        Err(e) => {
            return Some(Refusal::new(
                Class::F2,
                Action::ArgumentRepair,
                format!(
                    "the patch is malformed: {e}. A patch is `*** Begin Patch`, then per file \
                     `*** Add File: p` / `*** Update File: p` (optionally `*** Move to: q`) / \
                     `*** Delete File: p`, hunks starting with `@@`, lines starting with ' ', \
                     '-' or '+', and `*** End Patch`."
                ),
            ))
        }
    };
    for op in &patch.ops {
        let path = op.path();
        let on_disk = cwd.join(path);
        let missing = || {
            Refusal::new(
                Class::F2,
                Action::ArgumentRepair,
                format!(
                    "{path} does not exist, so it cannot be updated or deleted (if it existed \
                     earlier, it was moved or deleted since: list the directory again). To \
                     create it, use `*** Add File: {path}`."
                ),
            )
        };
        match op {
            FileOp::Add { .. } if on_disk.exists() => {
                return Some(Refusal::new(
                    Class::F2,
                    Action::ArgumentRepair,
                    format!(
                        "{path} already exists; `*** Add File` would overwrite all of it. Change \
                         it with `*** Update File: {path}` and hunks against its current content \
                         (or delete it first if replacing it whole is really meant)."
                    ),
                ))
            }
            FileOp::Delete { .. } if !on_disk.is_file() => return Some(missing()),
            FileOp::Update { hunks, .. } => {
                let Ok(content) = std::fs::read_to_string(&on_disk) else {
                    return Some(missing());
                };
                if let Err(e) = selfheal_patch::locate(&content, hunks) {
                    return Some(Refusal::new(
                        Class::F5,
                        Action::ContextRefresh,
                        format!(
                            "the patch does not fit {path} as it is now: {e}. Read {path} again \
                             and rebuild the hunk from its current lines (context and '-' lines \
                             must match the file exactly, in order)."
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// Every path the patch writes, deletes or moves to; none for a patch that did not parse
/// (it is refused for that).
pub fn paths(parsed: &Result<Patch, ParseError>) -> Vec<String> {
    parsed
        .as_ref()
        .map(|p| p.paths().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The existing files the patch changes (Update and Delete), whose staleness matters.
pub fn existing_targets(parsed: &Result<Patch, ParseError>) -> Vec<String> {
    parsed
        .as_ref()
        .map(|p| {
            p.ops
                .iter()
                .filter(|op| !matches!(op, FileOp::Add { .. }))
                .map(|op| op.path().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
