//! Test support for driving the real clients end to end, offline:
//!
//! - [`ModelServer`]: a scripted model on 127.0.0.1 that speaks the Responses API (Codex CLI)
//!   and the Messages API (Claude Code), both streaming, takes one scripted [`Turn`] per agent
//!   request and records every request body;
//! - [`Run`]: one client run in a private HOME / client home / project directory, with our
//!   hooks registered as a user registers them (Claude: `hooks.example.json` as the project's
//!   `.claude/settings.json`; Codex: `profiles/codex/hooks.json` as `$CODEX_HOME/hooks.json`,
//!   every handler trusted by hash), bounded by a timeout, in its own process group that is
//!   killed as a whole.
//!
//! The clients come from `scripts/install-clients.sh` (`target/clients/`); nothing here
//! downloads anything.

mod claude;
pub mod codex;
mod http;
mod job;
mod run;
mod script;
mod server;

use std::path::Path;

pub use job::Job;
pub use run::{
    clients_dir, workspace_root, Client, Outcome, Run, CLAUDE_VERSION, CODEX_VERSION, HOOKS,
};
pub use script::{call, http_error, patch, shell, stall, text, Step, Turn, Wire};
pub use selfheal_run::group_members as pgrp_members;
pub use server::{ModelServer, Request, SPENT};

/// Registers our hooks the way a user does: the real `selfheal install` (built beside the
/// hooks in `hooks_dir`), run with the run's `HOME`, so every end-to-end run also proves that
/// install writes what the clients load (and, for Codex, trust).
pub(crate) fn selfheal_install(
    hooks_dir: &Path,
    home: &Path,
    envs: &[(&str, &Path)],
    args: &[&str],
) {
    let selfheal = hooks_dir.join("selfheal");
    let mut command = std::process::Command::new(&selfheal);
    command
        .arg("install")
        .args(args)
        .arg("--bin-dir")
        .arg(hooks_dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home);
    for (k, v) in envs {
        command.env(k, v);
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", selfheal.display()));
    assert!(
        out.status.success(),
        "selfheal install {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
