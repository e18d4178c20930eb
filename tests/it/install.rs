//! `selfheal install` / `uninstall` in temp homes and projects that already hold the user's
//! own configuration: merged without disturbing it, idempotent, backed up, and taken out
//! again byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{bin, Ran, Sandbox};

/// A Claude settings file as a user has it: other keys, their own hook, 4-space indents.
const CLAUDE_SETTINGS: &str = r#"{
    "permissions": {
        "allow": [
            "Bash(ls:*)"
        ]
    },
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {
                        "type": "command",
                        "command": "my-linter --strict"
                    }
                ]
            }
        ]
    },
    "model": "opus"
}
"#;

/// A Codex config with comments, odd spacing and a hook of the user's, trusted.
const CODEX_CONFIG: &str = r#"# My Codex setup -- keep this comment
model = "gpt-5.5"    # the one I like

[projects."/somewhere/else"]
trust_level = "trusted"

# my own hook, trusted by hand
[hooks.state."HOOKS_JSON:stop:0:0"]
trusted_hash = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
"#;

const CODEX_HOOKS: &str = r#"{
  "hooks": {
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done",
            "timeout": 5
          }
        ]
      }
    ]
  }
}
"#;

fn bin_dir() -> PathBuf {
    bin("selfheal").parent().unwrap().canonicalize().unwrap()
}

fn project(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.dir.join("project");
    fs::create_dir_all(dir.join(".claude")).unwrap();
    dir.canonicalize().unwrap()
}

/// `selfheal <args>` with no codex on PATH (so nothing asks a real client).
fn selfheal(sandbox: &Sandbox, args: &[&str]) -> Ran {
    let mut case = sandbox
        .case("selfheal", Vec::new())
        .env("PATH", "/usr/bin:/bin");
    for arg in args {
        case = case.arg(arg);
    }
    case.run()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Every `(event, group, handler, command)` of a hook tree.
fn handlers(tree: &Value) -> Vec<(String, usize, usize, String)> {
    let mut out = Vec::new();
    for (event, groups) in tree["hooks"].as_object().unwrap() {
        for (g, group) in groups.as_array().unwrap().iter().enumerate() {
            for (h, handler) in group["hooks"].as_array().unwrap().iter().enumerate() {
                let command = handler["command"].as_str().unwrap().to_owned();
                out.push((event.clone(), g, h, command));
            }
        }
    }
    out
}

fn is_ours(command: &str) -> bool {
    [
        "schema-guard",
        "failure-classifier",
        "patch-verifier",
        "budget-check",
    ]
    .iter()
    .any(|hook| command.starts_with(&format!("{}/{hook} --dialect ", bin_dir().display())))
}

#[test]
fn claude_install_merges_beside_the_users_settings_and_uninstall_gives_the_file_back() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let settings = project.join(".claude/settings.json");
    fs::write(&settings, CLAUDE_SETTINGS).unwrap();
    let dir = project.to_str().unwrap();

    let ran = selfheal(&sandbox, &["install", "claude", "--project", dir]);
    ran.assert_success();
    assert!(ran.stdout().contains("updated "), "{}", ran.stdout());
    let installed = fs::read_to_string(&settings).unwrap();
    let tree: Value = serde_json::from_str(&installed).unwrap();
    assert_eq!(tree["permissions"]["allow"][0], "Bash(ls:*)");
    assert_eq!(tree["model"], "opus");
    // The user's hook is still first; ours follow, every event of the shipped file.
    let all = handlers(&tree);
    assert_eq!(
        all.iter().filter(|h| h.3 == "my-linter --strict").count(),
        1
    );
    assert!(all.contains(&("PreToolUse".into(), 0, 0, "my-linter --strict".into())));
    let shipped: Value = serde_json::from_str(include_str!("../../hooks.example.json")).unwrap();
    let ours: Vec<_> = all.iter().filter(|h| is_ours(&h.3)).collect();
    assert_eq!(ours.len(), handlers(&shipped).len(), "{all:#?}");
    for (event, _, _, command) in &ours {
        assert!(command.ends_with("--dialect claude"), "{command}");
        assert!(shipped["hooks"].get(event).is_some(), "{event}");
    }
    assert!(
        installed.contains("\n    \"hooks\": {"),
        "kept 4-space indents:\n{installed}"
    );

    // Again: nothing changes, not even a byte.
    let again = selfheal(&sandbox, &["install", "claude", "--project", dir]);
    again.assert_success();
    assert!(
        again.stdout().contains("already installed"),
        "{}",
        again.stdout()
    );
    assert_eq!(fs::read_to_string(&settings).unwrap(), installed);

    selfheal(&sandbox, &["uninstall", "claude", "--project", dir]).assert_success();
    assert_eq!(fs::read_to_string(&settings).unwrap(), CLAUDE_SETTINGS);
}

#[test]
fn claude_user_install_follows_claude_config_dir_and_a_created_file_goes_again() {
    let sandbox = Sandbox::new();
    let config_dir = sandbox.dir.join("claude-config");
    let run = |args: &[&str]| {
        let mut case = sandbox
            .case("selfheal", Vec::new())
            .env("PATH", "/usr/bin:/bin")
            .env("CLAUDE_CONFIG_DIR", config_dir.to_str().unwrap());
        for arg in args {
            case = case.arg(arg);
        }
        case.run()
    };
    run(&["install", "claude", "--user"]).assert_success();
    let settings = config_dir.join("settings.json");
    assert!(handlers(&json(&settings)).iter().all(|h| is_ours(&h.3)));
    assert!(!sandbox.dir.join("home/.claude/settings.json").exists());
    let ran = run(&["uninstall", "claude", "--user"]);
    ran.assert_success();
    assert!(ran.stdout().contains("removed "), "{}", ran.stdout());
    assert!(
        !settings.exists(),
        "install created it, uninstall removes it"
    );
}

#[test]
fn codex_install_trusts_every_handler_keeps_the_config_and_uninstall_restores_both_files() {
    let sandbox = Sandbox::new();
    let codex_home = sandbox.dir.join("home/.codex");
    fs::create_dir_all(&codex_home).unwrap();
    let codex_home = codex_home.canonicalize().unwrap();
    let hooks_json = codex_home.join("hooks.json");
    let config_toml = codex_home.join("config.toml");
    let config = CODEX_CONFIG.replace("HOOKS_JSON", hooks_json.to_str().unwrap());
    fs::write(&config_toml, &config).unwrap();
    fs::write(&hooks_json, CODEX_HOOKS).unwrap();

    let ran = selfheal(&sandbox, &["install", "codex"]);
    ran.assert_success();
    assert!(
        ran.stdout().contains("codex is not on PATH"),
        "{}",
        ran.stdout()
    );

    let tree = json(&hooks_json);
    let all = handlers(&tree);
    assert!(
        all.contains(&("Stop".into(), 0, 0, "notify-send done".into())),
        "{all:#?}"
    );
    let installed_config = fs::read_to_string(&config_toml).unwrap();
    // Every line the user wrote is still there, comments included, in order.
    let mut lines = installed_config.lines();
    for line in config.lines() {
        assert!(
            lines.any(|l| l == line),
            "lost {line:?}:\n{installed_config}"
        );
    }
    let parsed: toml::Table = installed_config.parse().unwrap();
    let state = parsed["hooks"]["state"].as_table().unwrap();
    let ours: Vec<_> = all.iter().filter(|h| is_ours(&h.3)).collect();
    assert!(ours.len() >= 6, "{all:#?}");
    for (event, g, h, command) in &ours {
        assert!(command.ends_with("--dialect codex"), "{command}");
        let snake = selfheal_testkit::codex::snake_case(event);
        let key = format!("{}:{snake}:{g}:{h}", hooks_json.display());
        let hash = state
            .get(&key)
            .and_then(|e| e["trusted_hash"].as_str())
            .unwrap_or_else(|| panic!("no trust for {key}:\n{installed_config}"));
        assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    }
    assert_eq!(state.len(), ours.len() + 1, "ours plus the user's own");

    selfheal(&sandbox, &["install", "codex"]).assert_success();
    assert_eq!(fs::read_to_string(&config_toml).unwrap(), installed_config);

    selfheal(&sandbox, &["uninstall", "codex"]).assert_success();
    assert_eq!(fs::read_to_string(&hooks_json).unwrap(), CODEX_HOOKS);
    assert_eq!(fs::read_to_string(&config_toml).unwrap(), config);
}

#[test]
fn a_hook_the_user_adds_after_install_survives_uninstall_still_trusted() {
    let sandbox = Sandbox::new();
    let codex_home = sandbox.dir.join("home/.codex");
    selfheal(&sandbox, &["install", "codex"]).assert_success();
    let codex_home = codex_home.canonicalize().unwrap();
    let hooks_json = codex_home.join("hooks.json");
    let config_toml = codex_home.join("config.toml");

    // The user adds a PreToolUse group after ours (index 1) and trusts it there.
    let mut tree = json(&hooks_json);
    tree["hooks"]["PreToolUse"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"hooks": [{"type": "command", "command": "audit-log", "timeout": 5}]}
        ));
    fs::write(&hooks_json, serde_json::to_string_pretty(&tree).unwrap()).unwrap();
    let key = |g: usize| format!("{}:pre_tool_use:{g}:0", hooks_json.display());
    let mut config = fs::read_to_string(&config_toml).unwrap();
    config.push_str(&format!(
        "\n[hooks.state.\"{}\"]\ntrusted_hash = \"sha256:user\"\n",
        key(1)
    ));
    fs::write(&config_toml, &config).unwrap();

    selfheal(&sandbox, &["uninstall", "codex"]).assert_success();
    let tree = json(&hooks_json);
    assert_eq!(
        handlers(&tree),
        vec![("PreToolUse".into(), 0, 0, "audit-log".into())]
    );
    let parsed: toml::Table = fs::read_to_string(&config_toml).unwrap().parse().unwrap();
    let state = parsed["hooks"]["state"].as_table().unwrap();
    assert_eq!(state.len(), 1, "{state:#?}");
    assert_eq!(state[&key(0)]["trusted_hash"].as_str(), Some("sha256:user"));
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let settings = project.join(".claude/settings.json");
    fs::write(&settings, CLAUDE_SETTINGS).unwrap();
    let ran = selfheal(
        &sandbox,
        &[
            "install",
            "claude",
            "--project",
            project.to_str().unwrap(),
            "--dry-run",
        ],
    );
    ran.assert_success();
    let diff = ran.stdout();
    assert!(
        diff.starts_with(&format!(
            "--- {}\n+++ {}\n@@ ",
            settings.display(),
            settings.display()
        )),
        "{diff}"
    );
    assert!(diff.contains("schema-guard --dialect claude"), "{diff}");
    assert!(
        diff.lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .count()
            <= 2,
        "only additions, bar a closing bracket:\n{diff}"
    );
    assert_eq!(fs::read_to_string(&settings).unwrap(), CLAUDE_SETTINGS);
    assert!(!sandbox.dir.join("state/backups").exists());
}

#[test]
fn a_settings_file_that_is_not_json_is_named_and_left_alone() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let settings = project.join(".claude/settings.json");
    fs::write(&settings, "{ \"hooks\": oops }").unwrap();
    let ran = selfheal(
        &sandbox,
        &["install", "claude", "--project", project.to_str().unwrap()],
    );
    assert_eq!(ran.code(), Some(1));
    let err = ran.stderr();
    assert!(err.starts_with("selfheal: error: "), "{err}");
    assert!(
        err.contains(&settings.display().to_string()) && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&settings).unwrap(),
        "{ \"hooks\": oops }"
    );
}

#[test]
fn missing_hook_binaries_are_named() {
    let sandbox = Sandbox::new();
    let empty = sandbox.dir.join("empty-bin");
    fs::create_dir_all(&empty).unwrap();
    let ran = selfheal(
        &sandbox,
        &["install", "codex", "--bin-dir", empty.to_str().unwrap()],
    );
    assert_eq!(ran.code(), Some(1));
    assert!(
        ran.stderr()
            .contains("schema-guard, failure-classifier, patch-verifier, budget-check not found"),
        "{}",
        ran.stderr()
    );
    assert!(!sandbox.dir.join("home/.codex/hooks.json").exists());
}

#[test]
fn a_codex_project_install_says_the_project_must_be_trusted_or_trusts_it() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let dir = project.to_str().unwrap();
    let ran = selfheal(&sandbox, &["install", "codex", "--project", dir]);
    ran.assert_success();
    assert!(
        ran.stdout().contains("only for a trusted project"),
        "{}",
        ran.stdout()
    );
    assert!(project.join(".codex/hooks.json").exists());
    let config = sandbox.dir.join("home/.codex/config.toml");
    let parsed: toml::Table = fs::read_to_string(&config).unwrap().parse().unwrap();
    let key = format!("{dir}/.codex/hooks.json:pre_tool_use:0:0");
    assert!(parsed["hooks"]["state"].get(&key).is_some(), "{parsed:#?}");
    assert!(parsed.get("projects").is_none());

    let ran = selfheal(
        &sandbox,
        &["install", "codex", "--project", dir, "--trust-project"],
    );
    ran.assert_success();
    assert!(
        !ran.stdout().contains("only for a trusted project"),
        "{}",
        ran.stdout()
    );
    let parsed: toml::Table = fs::read_to_string(&config).unwrap().parse().unwrap();
    assert_eq!(
        parsed["projects"][dir]["trust_level"].as_str(),
        Some("trusted")
    );
}
