//! What a tool call was for, coarser than its fingerprint: a failure counts as resolved once a
//! later call with the same intent works (budget-check). The same file for file tools, the same
//! program (and subcommand) for shell commands, the same tool otherwise.

use selfheal_protocol::{ToolArgs, ToolCall, ToolKind};

use crate::Context;

/// Commands around the one that matters: set-up (`cd dir && cargo test`) and reporting
/// (`…; echo "exit=$?"`, `echo attempt >> log; curl …`).
const AROUND: &[&str] = &[
    "cd", "pushd", "popd", "export", "set", "source", ".", "true", "false", ":", "unset", "ulimit",
    "echo", "printf", "sleep", "exit", "wait",
];

/// `file:<absolute path>`, `run:<program> [<subcommand>]`, `tool:<name>`; `None` when the call
/// names nothing to go by (an empty command, a patch that does not parse).
pub fn intent(ctx: &Context, call: &ToolCall<'_>) -> Option<String> {
    match call.kind {
        ToolKind::Shell => {
            let ToolArgs::Shell { command } = call.args() else {
                return None;
            };
            shell_intent(command)
        }
        ToolKind::Edit | ToolKind::Write | ToolKind::Read | ToolKind::Patch => {
            let first = crate::seen::files_touched(call).into_iter().next()?;
            Some(format!(
                "file:{}",
                crate::seen::absolute(ctx, &first).display()
            ))
        }
        _ => Some(format!("tool:{}", call.name)),
    }
}

/// The line's main command, as its program and, when the next word looks like a subcommand
/// (`git log`, `cargo test`, `python3 -m pytest`), that too. The main command is the last one
/// that is neither set-up or reporting (`cd`, `echo`, …) nor reading another's output through
/// a pipe (`cargo test 2>&1 | tail`): in `a && b` or `a; b` it is `b` the line was for.
pub fn shell_intent(command: &str) -> Option<String> {
    let commands = selfheal_shell::commands(command);
    let main = commands
        .iter()
        .rev()
        .find(|c| c.piped_from.is_none() && !AROUND.contains(&c.program.as_str()))
        .or_else(|| commands.iter().rev().find(|c| c.piped_from.is_none()))
        .or_else(|| commands.first())?;
    let mut intent = format!("run:{}", main.program);
    let mut args = main.args.iter();
    match args.next().map(String::as_str) {
        Some("-m") if main.program.starts_with("python") => {
            if let Some(module) = args.next() {
                intent.push_str(" -m ");
                intent.push_str(module);
            }
        }
        Some(word) if is_subcommand(word) => {
            intent.push(' ');
            intent.push_str(word);
        }
        _ => {}
    }
    Some(intent)
}

fn is_subcommand(word: &str) -> bool {
    word.len() <= 32
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_intents() {
        let i = |c: &str| shell_intent(c);
        assert_eq!(i("cargo test --quiet").as_deref(), Some("run:cargo test"));
        assert_eq!(
            i("cd /p && git log --oneline | head").as_deref(),
            Some("run:git log")
        );
        assert_eq!(
            i("python3 -m pytest -q tests/").as_deref(),
            Some("run:python3 -m pytest")
        );
        assert_eq!(
            i("curl -sf http://localhost:8080/health").as_deref(),
            Some("run:curl")
        );
        assert_eq!(i("ls /tmp/x").as_deref(), Some("run:ls"));
        assert_eq!(
            i("FOO=1 sudo make check").as_deref(),
            Some("run:make check")
        );
        assert_eq!(i("cd /p").as_deref(), Some("run:cd"));
        assert_eq!(
            i("echo attempt >> attempts.log; curl -sS http://127.0.0.1:9/health").as_deref(),
            Some("run:curl")
        );
        assert_eq!(
            i("cargo build && cargo test 2>&1 | tail -20; echo \"exit=$?\"").as_deref(),
            Some("run:cargo test")
        );
        assert_eq!(i("echo hi | wc -l").as_deref(), Some("run:echo hi"));
        assert_eq!(i("").as_deref(), None);
    }
}
