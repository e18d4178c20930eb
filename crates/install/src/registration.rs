//! What registering the suite means for each client: the hook tree of the shipped files
//! (`hooks.example.json` for Claude Code, `profiles/codex/hooks.json` for Codex, compiled in so
//! the installed binary needs no checkout), with every command pointing at a binary by its
//! absolute path.

use std::path::Path;

use selfheal_protocol::Dialect;
use serde_json::Value;

use crate::json_doc::Json;

/// The hook binaries a registration runs.
pub const HOOK_BINARIES: [&str; 4] = [
    "schema-guard",
    "failure-classifier",
    "patch-verifier",
    "budget-check",
];

const CLAUDE: &str = include_str!("../../../hooks.example.json");
const CODEX: &str = include_str!("../../../profiles/codex/hooks.json");

/// The `{"hooks": {…}}` tree for `dialect`, each command `<bindir>/<hook> --dialect …`, keys in
/// the shipped files' order.
pub fn hooks_json(dialect: Dialect, bindir: &Path) -> Json {
    let mut tree =
        Json::parse(shipped_text(dialect)).expect("the shipped hook files are valid JSON (tested)");
    let Some(Json::Object(events)) = tree.get_mut("hooks") else {
        return tree;
    };
    for (_, groups) in events {
        let Json::Array(groups) = groups else {
            continue;
        };
        for group in groups {
            let Some(Json::Array(handlers)) = group.get_mut("hooks") else {
                continue;
            };
            for handler in handlers {
                let Some(Json::String(command)) = handler.get_mut("command") else {
                    continue;
                };
                *command = absolute_command(command, bindir);
            }
        }
    }
    tree
}

/// [`hooks_json`] as a `serde_json::Value`.
pub fn hooks(dialect: Dialect, bindir: &Path) -> Value {
    hooks_json(dialect, bindir).to_value()
}

/// `schema-guard --dialect codex` -> `/abs/bin/schema-guard --dialect codex`.
fn absolute_command(command: &str, bindir: &Path) -> String {
    let (program, rest) = command.split_once(' ').unwrap_or((command, ""));
    let path = shell_quote(&bindir.join(program).to_string_lossy());
    if rest.is_empty() {
        path
    } else {
        format!("{path} {rest}")
    }
}

fn shipped_text(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Claude => CLAUDE,
        Dialect::Codex => CODEX,
    }
}

/// The shipped tree, commands as written there (`schema-guard --dialect claude`).
pub fn shipped(dialect: Dialect) -> Value {
    serde_json::from_str(shipped_text(dialect))
        .expect("the shipped hook files are valid JSON (tested)")
}

/// Calls `f` on every handler object (`hooks.<Event>[].hooks[]`) of a hook tree.
pub fn for_each_handler(tree: &mut Value, mut f: impl FnMut(&mut Value)) {
    let Some(events) = tree.get_mut("hooks").and_then(Value::as_object_mut) else {
        return;
    };
    for groups in events.values_mut() {
        for group in groups.as_array_mut().into_iter().flatten() {
            for handler in group
                .get_mut("hooks")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                f(handler);
            }
        }
    }
}

/// The hook binary a handler command runs, when it is one of ours: the program's file name is
/// one of [`HOOK_BINARIES`] and it carries `--dialect`. Both clients run commands through a
/// shell, so the program may be quoted.
pub fn our_binary(command: &str) -> Option<&'static str> {
    let program = first_word(command);
    let name = program.rsplit('/').next().unwrap_or(&program);
    let hook = HOOK_BINARIES.into_iter().find(|h| *h == name)?;
    command.contains("--dialect").then_some(hook)
}

/// The program of a shell command line as the shell reads it (single and double quotes).
pub fn first_word(command: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in command.trim_start().chars() {
        match (quote, c) {
            (None, ' ' | '\t') => break,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, c) => out.push(c),
        }
    }
    out
}

/// Quotes a path for `sh -c` when it holds anything beyond the plainly safe characters.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_command_is_one_of_ours_with_its_dialect() {
        for dialect in [Dialect::Claude, Dialect::Codex] {
            let mut tree = shipped(dialect);
            let mut n = 0;
            for_each_handler(&mut tree, |h| {
                let command = h["command"].as_str().unwrap();
                assert!(our_binary(command).is_some(), "{command}");
                assert!(
                    command.ends_with(&format!("--dialect {dialect}")),
                    "{command}"
                );
                n += 1;
            });
            assert!(n >= 6, "{dialect}: {n} handlers");
        }
    }

    #[test]
    fn commands_get_absolute_quoted_paths() {
        let tree = hooks(Dialect::Codex, Path::new("/opt/my tools/bin"));
        let command = tree["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap();
        assert_eq!(command, "'/opt/my tools/bin/schema-guard' --dialect codex");
        assert_eq!(our_binary(command), Some("schema-guard"));
        assert_eq!(first_word(command), "/opt/my tools/bin/schema-guard");
    }

    #[test]
    fn other_commands_are_not_ours() {
        assert_eq!(our_binary("/usr/bin/schema-guard-x --dialect claude"), None);
        assert_eq!(our_binary("schema-guard"), None, "no dialect: not ours");
        assert_eq!(our_binary("echo budget-check --dialect codex"), None);
        assert_eq!(
            our_binary("\"/a b/budget-check\" --dialect codex"),
            Some("budget-check")
        );
    }
}
