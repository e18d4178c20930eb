//! Where our hooks are registered now, for `selfheal doctor`: every file each client reads
//! hooks from, what of the suite each holds, and what is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use selfheal_protocol::Dialect;
use serde_json::Value;

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
