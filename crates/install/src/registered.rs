//! Where our hooks are registered now, for `selfheal doctor`: every file each client reads
//! hooks from, what of the suite each holds, and what is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use selfheal_protocol::Dialect;
use serde_json::Value;

use crate::codex_trust::trust_entries;
use crate::plan::Locations;
use crate::registration::{first_word, our_binary, shipped};

/// One file a client reads hooks from.
#[derive(Debug, Clone)]
pub struct HookFile {
    pub dialect: Dialect,
    pub path: PathBuf,
    /// The `{"hooks": {…}}` tree it holds (`config.toml`'s `[hooks]` made JSON); `None` when
    /// the file is missing.
    pub tree: Option<Value>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// One handler of the suite: event, matcher, binary.
pub type Slot = (String, Option<String>, &'static str);

impl HookFile {
    /// Our handlers in this file, and the program path each command runs.
    pub fn ours(&self) -> Vec<(Slot, String)> {
        let mut out = Vec::new();
        let Some(events) = self.tree.as_ref().and_then(|t| t["hooks"].as_object()) else {
            return out;
        };
        for (event, groups) in events {
            for group in groups.as_array().into_iter().flatten() {
                let matcher = group["matcher"].as_str().map(str::to_owned);
                for handler in group["hooks"].as_array().into_iter().flatten() {
                    let command = handler["command"].as_str().unwrap_or_default();
                    if let Some(hook) = our_binary(command) {
                        out.push(((event.clone(), matcher.clone(), hook), first_word(command)));
                    }
                }
            }
        }
        out
    }
}

/// The files `dialect` reads hooks from, for a session in `project`.
pub fn hook_files(dialect: Dialect, loc: &Locations, project: &Path) -> Vec<HookFile> {
    let paths = match dialect {
        Dialect::Claude => vec![
            loc.claude_dir.join("settings.json"),
            project.join(".claude/settings.json"),
            project.join(".claude/settings.local.json"),
        ],
        Dialect::Codex => vec![
            loc.codex_home.join("hooks.json"),
            loc.codex_config(),
            project.join(".codex/hooks.json"),
        ],
    };
    paths
        .into_iter()
        .map(|path| {
            let (tree, error) = match std::fs::read_to_string(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
                Err(e) => (None, Some(e.to_string())),
                Ok(text) => match read_tree(&path, &text) {
                    Ok(tree) => (Some(tree), None),
                    Err(e) => (None, Some(e)),
                },
            };
            HookFile {
                dialect,
                path,
                tree,
                error,
            }
        })
        .collect()
}

fn read_tree(path: &Path, text: &str) -> Result<Value, String> {
    if path.extension().is_some_and(|e| e == "toml") {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let hooks = table
            .get("hooks")
            .cloned()
            .unwrap_or(toml::Value::Table(Default::default()));
        let mut hooks = serde_json::to_value(hooks).map_err(|e| e.to_string())?;
        // `[hooks.state]` holds trust, not an event.
        if let Some(map) = hooks.as_object_mut() {
            map.remove("state");
        }
        Ok(serde_json::json!({ "hooks": hooks }))
    } else if text.trim().is_empty() {
        Ok(serde_json::json!({}))
    } else {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
    }
}

/// What the shipped registration holds for `dialect`.
pub fn expected(dialect: Dialect) -> BTreeSet<Slot> {
    let file = HookFile {
        dialect,
        path: PathBuf::new(),
        tree: Some(shipped(dialect)),
        error: None,
    };
    file.ours().into_iter().map(|(slot, _)| slot).collect()
}

/// The suite's handlers that none of `files` registers.
pub fn missing(dialect: Dialect, files: &[HookFile]) -> Vec<Slot> {
    let found: BTreeSet<Slot> = files
        .iter()
        .flat_map(|f| f.ours())
        .map(|(s, _)| s)
        .collect();
    expected(dialect)
        .into_iter()
        .filter(|s| !found.contains(s))
        .collect()
}

/// Our handlers in Codex hook `files`, and the trust keys of those `config` (the user's
/// `config.toml`) does not trust at their current hash: Codex skips those without a word.
pub fn codex_untrusted(
    files: &[HookFile],
    config: &toml_edit::DocumentMut,
) -> (usize, Vec<String>) {
    let mut total = 0;
    let mut untrusted = Vec::new();
    for file in files.iter().filter(|f| f.dialect == Dialect::Codex) {
        let Some(tree) = &file.tree else { continue };
        for entry in trust_entries(&crate::plan::absolute(&file.path), tree) {
            if our_binary(&entry.command).is_none() {
                continue;
            }
            total += 1;
            if crate::codex_config::trusted_hash(config, &entry.key) != Some(entry.hash.as_str()) {
                untrusted.push(entry.key);
            }
        }
    }
    (total, untrusted)
}

/// Whether a session of `dialect` in `project` already runs the whole suite from the user's
/// own registration (and, for Codex, trusts all of it): then `selfheal run` adds none of its
/// own, which would run every hook twice.
pub fn fully_installed(dialect: Dialect, loc: &Locations, project: &Path) -> bool {
    let files = hook_files(dialect, loc, project);
    if files.iter().any(|f| f.error.is_some()) || !missing(dialect, &files).is_empty() {
        return false;
    }
    match dialect {
        Dialect::Claude => true,
        Dialect::Codex => {
            let text = std::fs::read_to_string(loc.codex_config()).unwrap_or_default();
            crate::codex_config::parse(&text)
                .is_ok_and(|config| codex_untrusted(&files, &config).1.is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backups::Backups;
    use crate::plan::{apply, plan_install, InstallRequest, Scope};

    #[test]
    fn an_install_is_seen_as_complete_and_an_edited_codex_hook_as_untrusted() {
        let dir = std::env::temp_dir().join(format!("selfheal-registered-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let project = dir.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let loc = Locations {
            claude_dir: dir.join("claude"),
            codex_home: dir.join("codex"),
        };
        let backups = Backups::new(dir.join("backups"));
        for dialect in [Dialect::Claude, Dialect::Codex] {
            assert!(!fully_installed(dialect, &loc, &project), "{dialect}");
            let request = InstallRequest {
                dialect,
                scope: Scope::User,
                bindir: PathBuf::from("/opt/selfheal/bin"),
                trust_project: false,
            };
            apply(&plan_install(&request, &loc).unwrap(), &backups).unwrap();
            assert!(fully_installed(dialect, &loc, &project), "{dialect}");
        }
        let hooks = loc.codex_home.join("hooks.json");
        let text = std::fs::read_to_string(&hooks).unwrap();
        std::fs::write(
            &hooks,
            text.replacen("\"timeout\": 30", "\"timeout\": 31", 1),
        )
        .unwrap();
        assert!(!fully_installed(Dialect::Codex, &loc, &project));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
