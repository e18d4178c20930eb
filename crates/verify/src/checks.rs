//! `[[patch.checks]]`: commands run on each edited file whose path matches a glob, without a
//! shell, with a timeout (the process group is killed when it passes). The runner is
//! `selfheal-run`, shared with budget-check's `[verify] commands`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use selfheal_config::PatchCheck;

use crate::landed::FileState;
use crate::{Finding, What};
use selfheal_redact::clip;

/// How much of a failed check's output reaches the agent.
const MAX_OUTPUT: usize = 600;

/// Runs every configured check that matches a file; returns what failed, and warnings for
/// checks that could not run (not found, timed out): those are the configuration's problem,
/// not the edit's.
pub fn run(checks: &[PatchCheck], files: &[FileState], root: &Path) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    if checks.is_empty() || files.is_empty() {
        return (findings, warnings);
    }
    let canonical_root = std::fs::canonicalize(root).ok();
    let mut ran: HashSet<Vec<String>> = HashSet::new();
    for check in checks {
        for f in files {
            let rel = relative(&f.path, root, canonical_root.as_deref());
            if !check
                .globs
                .iter()
                .any(|g| glob_matches(g, rel.as_deref(), &f.path))
            {
                continue;
            }
            let file = f.path.to_string_lossy();
            let argv: Vec<String> = check
                .command
                .iter()
                .map(|a| a.replace("{file}", &file))
                .collect();
            if !ran.insert(argv.clone()) {
                continue;
            }
            let shown: Vec<String> = check
                .command
                .iter()
                .map(|a| a.replace("{file}", &f.shown))
                .collect();
            let shown = shown.join(" ");
            let timeout = Duration::from_secs(check.timeout_secs);
            let outcome = selfheal_run::run(&argv, root, None, timeout);
            if outcome.spawn_error.is_some() || outcome.timed_out {
                warnings.push(format!(
                    "[[patch.checks]] `{shown}`: {}; not reported to the agent",
                    outcome.describe(timeout)
                ));
            } else if !outcome.success() {
                let output = outcome.output.trim();
                let output = if output.is_empty() {
                    String::new()
                } else {
                    format!(": {}", clip(output, MAX_OUTPUT))
                };
                findings.push(Finding {
                    path: f.shown.clone(),
                    what: What::Check,
                    detail: format!("`{shown}` failed ({}){output}", outcome.describe(timeout)),
                });
            }
        }
    }
    (findings, warnings)
}

/// The path relative to the project root, `/`-separated; `None` outside it.
fn relative(path: &Path, root: &Path, canonical_root: Option<&Path>) -> Option<String> {
    let rel: PathBuf = match path.strip_prefix(root) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => {
            let canonical = std::fs::canonicalize(path).ok()?;
            canonical.strip_prefix(canonical_root?).ok()?.to_path_buf()
        }
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    (!rel.is_empty()).then_some(rel)
}

/// `[scope]` glob semantics: a pattern starting with `/` matches the absolute path, others the
/// path relative to the project root (a pattern without `/` matches a name at any depth).
fn glob_matches(pattern: &str, relative: Option<&str>, absolute: &Path) -> bool {
    match pattern.strip_prefix('/') {
        Some(abs) => {
            let absolute = absolute.to_string_lossy();
            selfheal_guard::glob::matches(abs, absolute.trim_start_matches('/'))
        }
        None => relative.is_some_and(|rel| selfheal_guard::glob::matches(pattern, rel)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landed::Before;

    fn state(root: &Path, rel: &str) -> FileState {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "x\n").unwrap();
        FileState {
            shown: rel.into(),
            path,
            now: "x\n".into(),
            before: Before::Unknown,
            written: String::new(),
        }
    }

    fn check(glob: &str, command: &[&str], timeout_secs: u64) -> PatchCheck {
        PatchCheck {
            globs: vec![glob.into()],
            command: command.iter().map(|s| s.to_string()).collect(),
            timeout_secs,
        }
    }

    #[test]
    fn a_failing_check_is_reported_with_its_output_and_a_passing_one_is_not() {
        let root =
            std::env::temp_dir().join(format!("selfheal-verify-checks-{}", std::process::id()));
        let files = vec![state(&root, "src/a.rs"), state(&root, "notes.md")];
        let checks = vec![
            check(
                "*.rs",
                &["sh", "-c", "echo \"bad: $1\" >&2; exit 3", "sh", "{file}"],
                10,
            ),
            check("*.md", &["true", "{file}"], 10),
            check("/nowhere/**", &["false"], 10),
        ];
        let (found, warnings) = run(&checks, &files, &root);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "src/a.rs");
        assert_eq!(found[0].what, What::Check);
        assert!(
            found[0].detail.starts_with(
                "`sh -c echo \"bad: $1\" >&2; exit 3 sh src/a.rs` failed (exit 3): bad: /"
            ),
            "{}",
            found[0].detail
        );
        assert!(found[0].detail.ends_with("src/a.rs"), "{}", found[0].detail);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_check_that_hangs_is_killed_and_only_warned_about() {
        let root =
            std::env::temp_dir().join(format!("selfheal-verify-hang-{}", std::process::id()));
        let files = vec![state(&root, "a.json")];
        let started = std::time::Instant::now();
        let (found, warnings) = run(
            &[check("*.json", &["sh", "-c", "sleep 30 & wait"], 1)],
            &files,
            &root,
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(found.is_empty());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("timed out after 1 s"),
            "{}",
            warnings[0]
        );
        let (found, warnings) = run(&[check("*", &["selfheal-no-such-check"], 1)], &files, &root);
        assert!(found.is_empty());
        assert!(warnings[0].contains("could not start"), "{}", warnings[0]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
