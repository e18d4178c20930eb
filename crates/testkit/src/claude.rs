//! Claude Code: the project's `.claude/settings.json` written by `selfheal install claude`,
//! and the environment that points Claude at the scripted model.

use std::path::Path;
use std::process::Command;

pub fn setup(project: &Path, home: &Path, hooks_dir: &Path) {
    crate::selfheal_install(
        hooks_dir,
        home,
        &[],
        &["claude", "--project", &project.to_string_lossy()],
    );
}

/// What points Claude at the scripted model on `port`, offline.
pub fn env(command: &mut Command, config_dir: &Path, port: u16) {
    command
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "sk-ant-dummy-key")
        .env("CLAUDE_CONFIG_DIR", config_dir)
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_DISABLE_BACKGROUND_TASKS", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("IS_SANDBOX", "1");
}

pub fn command(
    command: &mut Command,
    config_dir: &Path,
    debug_log: &Path,
    port: u16,
    prompt: &str,
) {
    env(command, config_dir, port);
    command
        .args(["-p", prompt, "--output-format", "json"])
        .args(["--permission-mode", "bypassPermissions", "--debug-file"])
        .arg(debug_log);
}
