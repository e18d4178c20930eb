//! Telling a person: the `[escalate] command` gets the escalation record as JSON on stdin.
//!
//! It must never hold the stop up. budget-check hands the record to a helper — its own binary
//! started again in a hidden mode ([`HELPER_FLAG`]) in a process group of its own, with no
//! stdout or stderr shared with the client — and exits; the helper runs the command (no shell)
//! and kills its whole group once `[escalate] timeout_secs` pass. The stop waits only for the
//! helper to start and take the record (a pipe write), a few milliseconds.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The hidden first argument that makes budget-check the escalation helper:
/// `budget-check --selfheal-escalate <timeout secs> <dir> -- <program> <args…>`.
pub const HELPER_FLAG: &str = "--selfheal-escalate";

/// The record the helper reads on stdin is capped at this size.
const MAX_RECORD: u64 = 1024 * 1024;

/// Starts the escalation command for `record` without waiting for it; `Err` says why it
/// could not start. The program is looked up first, so that a wrong name is reported here
/// rather than lost in the detached helper.
pub fn notify(
    command: &[String],
    timeout_secs: u64,
    dir: &Path,
    record: &[u8],
    path_var: Option<&str>,
) -> Result<(), String> {
    let program = command.first().ok_or("no program given")?;
    if !runnable(program, dir, path_var) {
        return Err(format!("`{program}` is not an executable file on PATH"));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find budget-check: {e}"))?;
    let mut argv = vec![
        exe.to_string_lossy().into_owned(),
        HELPER_FLAG.to_owned(),
        timeout_secs.to_string(),
        dir.to_string_lossy().into_owned(),
        "--".to_owned(),
    ];
    argv.extend(command.iter().cloned());
    selfheal_run::spawn_detached(&argv, dir, record).map(drop)
}

fn runnable(program: &str, dir: &Path, path_var: Option<&str>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return is_exe(&dir.join(program));
    }
    path_var
        .unwrap_or("")
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|d| is_exe(&Path::new(d).join(program)))
}

/// If this process was started as the escalation helper, does the helper's work and returns
/// true (the process should then exit). Otherwise returns false at once.
pub fn helper_main(args: &[OsString]) -> bool {
    if args.get(1).and_then(|a| a.to_str()) != Some(HELPER_FLAG) {
        return false;
    }
    let rest: Vec<String> = args[2..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (Some(timeout), Some(dir), Some("--")) = (
        rest.first().and_then(|t| t.parse::<u64>().ok()),
        rest.get(1),
        rest.get(2).map(String::as_str),
    ) else {
        return true;
    };
    let command = &rest[3..];
    let mut record = Vec::new();
    let _ = std::io::stdin()
        .lock()
        .take(MAX_RECORD)
        .read_to_end(&mut record);
    let dir = PathBuf::from(dir);
    let _ = selfheal_run::run(
        command,
        &dir,
        Some(&record),
        Duration::from_secs(timeout.max(1)),
    );
    true
}
