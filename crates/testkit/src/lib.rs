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
mod run;
mod script;
mod server;

use std::path::Path;

use serde_json::Value;

pub use run::{
    clients_dir, workspace_root, Client, Outcome, Run, CLAUDE_VERSION, CODEX_VERSION, HOOKS,
};
pub use script::{call, patch, shell, stall, text, Step, Turn, Wire};
pub use server::{ModelServer, Request, SPENT};

/// Rewrites every handler command `<hook> <args>` of a hooks tree to run the binary in
/// `hooks_dir` by its absolute path (what a user without the binaries on `PATH` writes).
pub(crate) fn absolutize_commands(hooks: &mut Value, hooks_dir: &Path) {
    let events = hooks["hooks"].as_object_mut().expect("hooks.hooks object");
    for groups in events.values_mut() {
        for group in groups.as_array_mut().expect("groups") {
            for handler in group["hooks"].as_array_mut().expect("handlers") {
                let command = handler["command"].as_str().expect("command").to_owned();
                let (program, rest) = command.split_once(' ').unwrap_or((&command, ""));
                assert!(
                    HOOKS.contains(&program),
                    "unexpected hook command {command:?}"
                );
                let path = hooks_dir.join(program);
                let path = shell_quote(&path.to_string_lossy());
                handler["command"] = Value::String(if rest.is_empty() {
                    path
                } else {
                    format!("{path} {rest}")
                });
            }
        }
    }
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
