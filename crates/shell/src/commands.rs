//! The simple commands of a line as plain data, for callers that reason about what ran
//! (the failure classifier: which program printed this, what it was asked for).

use crate::parse::{parse, Base, Kind};
use crate::resolve::resolve;

/// One simple command that would run, looked through its prefixes (`A=1`, `env`, `sudo`,
/// `time`, `timeout`, `xargs`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The basename of the program that really runs (`/usr/bin/python3 -m x` → `python3`).
    pub program: String,
    /// Its arguments, quotes removed.
    pub args: Vec<String>,
    /// Its standard input is given (a pipe, a redirection, a heredoc, a here-string).
    pub stdin_given: bool,
    /// Its standard input is a heredoc.
    pub heredoc: bool,
    /// The index (in the returned list) of the command piped into this one.
    pub piped_from: Option<usize>,
    /// Its standard output goes into a pipe, a file or a substitution.
    pub stdout_taken: bool,
}

/// The simple commands of the line, in execution order; assignment-only commands and
/// compound-command redirections are left out.
pub fn commands(line: &str) -> Vec<Command> {
    let parsed = parse(line, 0, Base::default());
    // Indices shift as entries are dropped; map old → new for `piped_from`.
    let mut index = vec![None; parsed.len()];
    let mut out: Vec<Command> = Vec::new();
    for (i, cmd) in parsed.iter().enumerate() {
        if cmd.kind != Kind::Simple {
            continue;
        }
        let resolved = resolve(&cmd.words);
        let Some(last) = resolved.last() else {
            continue;
        };
        index[i] = Some(out.len());
        out.push(Command {
            program: last.name.to_owned(),
            args: last.args.iter().map(|w| w.text.clone()).collect(),
            stdin_given: cmd.stdin,
            heredoc: cmd.heredoc,
            piped_from: cmd.upstream.and_then(|u| index.get(u).copied().flatten()),
            stdout_taken: cmd.stdout_taken,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(line: &str) -> Vec<String> {
        commands(line).into_iter().map(|c| c.program).collect()
    }

    #[test]
    fn looks_through_prefixes_and_lists() {
        assert_eq!(
            programs("cd x && RUST_LOG=1 timeout 5 /usr/bin/cargo test; sleep 2 || echo hi"),
            ["cd", "cargo", "sleep", "echo"]
        );
        let c = &commands("sudo -n python3 -m pytest -q")[0];
        assert_eq!(c.program, "python3");
        assert_eq!(c.args, ["-m", "pytest", "-q"]);
    }

    #[test]
    fn pipes_and_heredocs() {
        let cmds = commands("curl -sS 'http://x/a?b=1' | jq -r .version");
        assert_eq!(cmds[1].program, "jq");
        assert_eq!(cmds[1].piped_from, Some(0));
        assert!(cmds[1].stdin_given);
        assert!(cmds[0].stdout_taken);
        assert_eq!(cmds[0].args[1], "http://x/a?b=1");
        let cmds = commands("python3 - <<'EOF'\nprint(1)\nEOF");
        assert!(cmds[0].heredoc);
    }

    #[test]
    fn assignments_alone_are_not_commands() {
        assert_eq!(programs("A=1; B=2 ls"), ["ls"]);
        assert!(commands("").is_empty());
    }
}
