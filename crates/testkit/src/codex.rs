//! Codex CLI: `$CODEX_HOME/config.toml` pointing at the scripted model, then our hooks
//! registered and trusted by `selfheal install codex`, as a user does.

use std::fs;
use std::path::Path;
use std::process::Command;

pub use selfheal_install::codex_trust::{canonical_json, snake_case, trust_entries};

/// A Codex `config.toml` that points Codex at the scripted model on `port`.
pub(crate) fn mock_config(port: u16) -> String {
    format!(
        r#"model = "gpt-5.5"
model_provider = "mock"
sandbox_mode = "danger-full-access"
approval_policy = "never"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:{port}/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0
"#
    )
}

pub fn setup(codex_home: &Path, home: &Path, hooks_dir: &Path, port: u16) {
    fs::create_dir_all(codex_home).unwrap();
    fs::write(codex_home.join("config.toml"), mock_config(port)).unwrap();
    crate::selfheal_install(
        hooks_dir,
        home,
        &[("CODEX_HOME", codex_home)],
        &["codex", "--user"],
    );
}

/// What points Codex at its home (whose config names the scripted model), offline.
pub fn env(command: &mut Command, codex_home: &Path) {
    command
        .env("CODEX_HOME", codex_home)
        .env("MOCK_API_KEY", "dummy-key");
}

pub fn command(command: &mut Command, codex_home: &Path, prompt: &str) {
    env(command, codex_home);
    command.args(["exec", "--skip-git-repo-check", "--json", prompt]);
}

/// What `codex app-server` says of the hooks of a Codex home set up by [`setup`]: which it
/// lists, with what hash, trusted or not (the version-proof view of which hooks Codex runs).
pub fn hooks_list(
    codex_home: &Path,
    cwd: &Path,
    timeout: std::time::Duration,
) -> Vec<selfheal_install::codex_trust::ListedHook> {
    let exe = crate::Client::Codex.executable();
    selfheal_install::codex_trust::hooks_list(&exe, Some(codex_home), cwd, timeout)
        .unwrap_or_else(|e| panic!("{e}"))
}
