//! Claude Code: the project's `.claude/settings.json` made from `hooks.example.json` as a user
//! merges it, and the environment that points Claude at the scripted model.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::run::workspace_root;

pub fn setup(project: &Path, hooks_dir: &Path) {
    let example = workspace_root().join("hooks.example.json");
    let mut settings: Value = serde_json::from_str(&fs::read_to_string(&example).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    crate::absolutize_commands(&mut settings, hooks_dir);
    let dir = project.join(".claude");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("settings.json"),
        serde_json::to_string_pretty(&settings).unwrap(),
    )
    .unwrap();
}

pub fn command(
    command: &mut Command,
    config_dir: &Path,
    debug_log: &Path,
    port: u16,
    prompt: &str,
) {
    command
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "sk-ant-dummy-key")
        .env("CLAUDE_CONFIG_DIR", config_dir)
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_DISABLE_BACKGROUND_TASKS", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("IS_SANDBOX", "1")
        .args(["-p", prompt, "--output-format", "json"])
        .args(["--permission-mode", "bypassPermissions", "--debug-file"])
        .arg(debug_log);
}
