//! One tool outcome, in the form the classifier reasons about: what ran, what the client
//! said of it, and the text it left.

use selfheal_protocol::{Dialect, ToolArgs, ToolCall, ToolKind};
use selfheal_shell::Command;
use serde_json::Value;

/// Programs whose output is data: a failure word in what they print is not a failure.
const DATA_PROGRAMS: &[&str] = &[
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "cat",
    "tac",
    "head",
    "tail",
    "less",
    "more",
    "sed",
    "awk",
    "gawk",
    "jq",
    "yq",
    "find",
    "ls",
    "tree",
    "git",
    "diff",
    "echo",
    "printf",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "nl",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "column",
    "file",
    "stat",
    "du",
    "df",
    "env",
    "printenv",
    "which",
    "type",
    "journalctl",
    "fold",
    "paste",
    "join",
    "comm",
    "base64",
    "sqlite3",
    "bat",
    "zcat",
    "gunzip",
    "tar",
    "unzip",
    "readlink",
    "realpath",
    "basename",
    "dirname",
    "date",
    "pwd",
    "whoami",
    "id",
    "uname",
];

/// Programs whose exit status 1 is an answer (no match, a difference, false).
fn answers_with_exit_1(commands: &[Command]) -> bool {
    commands.last().is_some_and(|c| {
        matches!(
            c.program.as_str(),
            "grep" | "egrep" | "fgrep" | "rg" | "diff" | "cmp" | "test" | "[" | "[["
        ) || (c.program == "git" && c.args.iter().any(|a| a == "--exit-code" || a == "--quiet"))
    })
}

pub struct Observation<'a> {
    pub dialect: Dialect,
    pub kind: ToolKind,
    pub name: &'a str,
    pub call: &'a ToolCall<'a>,
    /// The shell command line, for shell calls.
    pub command: Option<&'a str>,
    pub commands: Vec<Command>,
    /// `Some(true)` failed, `Some(false)` succeeded, `None` the client did not say (Codex).
    pub failed: Option<bool>,
    pub exit_code: Option<i32>,
    /// What the call printed (or the client's error text for it).
    pub text: &'a str,
    /// The client's raw response object, for the flags it carries (Claude).
    pub response: Option<&'a Value>,
}

impl<'a> Observation<'a> {
    pub fn new(
        dialect: Dialect,
        call: &'a ToolCall<'a>,
        response: Option<&'a Value>,
        exit_code_hint: Option<i32>,
    ) -> Observation<'a> {
        static NONE: selfheal_protocol::Outcome = selfheal_protocol::Outcome {
            output: String::new(),
            exit_code: None,
            error: None,
            interrupted: false,
            interpretation: None,
        };
        // Borrowed: the output can be megabytes, and is only read.
        let outcome = call.outcome.as_ref().unwrap_or(&NONE);
        let command = match call.args() {
            ToolArgs::Shell { command } => Some(command),
            _ => None,
        };
        let exit_code = outcome.exit_code.or(exit_code_hint);
        let commands = command.map(selfheal_shell::commands).unwrap_or_default();
        // Claude reads grep/diff/test's exit 1 as an answer (`returnCodeInterpretation`);
        // an exit code from Codex's transcript gets the same reading here.
        let failed = outcome.failed().or_else(|| {
            exit_code_hint.map(|c| c != 0 && !(c == 1 && answers_with_exit_1(&commands)))
        });
        // Claude's failure text is `Exit code N\n<output>`; its tool errors carry no output.
        let text = match (&outcome.error, outcome.output.is_empty()) {
            (Some(error), true) => error.as_str(),
            _ => outcome.output.as_str(),
        };
        Observation {
            dialect,
            kind: call.kind,
            name: call.name,
            call,
            command,
            commands,
            failed,
            exit_code,
            text,
            response,
        }
    }

    pub fn programs(&self) -> impl Iterator<Item = &str> {
        self.commands.iter().map(|c| c.program.as_str())
    }

    /// The program whose standard output the text mostly is: the last command of the line.
    pub fn printer(&self) -> Option<&Command> {
        self.commands.iter().rev().find(|c| !c.stdout_taken)
    }

    /// Whether what the command prints is data (a listing, a file, a search), so that only
    /// its diagnostic lines may say it failed.
    pub fn prints_data(&self) -> bool {
        match self.kind {
            ToolKind::Shell => self
                .printer()
                .is_some_and(|c| DATA_PROGRAMS.contains(&c.program.as_str())),
            // A failed read's text is the client's error, not the file.
            ToolKind::Read | ToolKind::Search => self.failed != Some(true),
            _ => false,
        }
    }

    /// A response flag (Claude), e.g. `persistedOutputPath`.
    pub fn flag(&self, key: &str) -> Option<&'a Value> {
        self.response.and_then(|r| r.get(key))
    }

    /// `--help`, `-h`, `--version`: output that is documentation.
    pub fn asks_for_help(&self) -> bool {
        self.commands.iter().any(|c| {
            c.args
                .iter()
                .any(|a| matches!(a.as_str(), "--help" | "-h" | "--version" | "-V" | "help"))
        })
    }
}

/// Programs whose answer changes by itself: comparing two runs says nothing.
const VOLATILE: &[&str] = &[
    "date",
    "ps",
    "top",
    "uptime",
    "free",
    "vmstat",
    "iostat",
    "sleep",
    "who",
    "w",
    "last",
    "journalctl",
    "watch",
    "tail",
    "dmesg",
    "time",
    "random",
    "uuidgen",
    "mktemp",
];

/// A query whose answer can be compared with an earlier one: an HTTP GET, a package
/// manager's metadata, besides the shell's known read-only commands.
pub fn is_query(obs: &Observation<'_>) -> bool {
    if obs.kind != ToolKind::Shell || obs.commands.is_empty() {
        return false;
    }
    if obs.programs().any(|p| VOLATILE.contains(&p)) {
        return false;
    }
    obs.commands.iter().all(|c| {
        let sub = c
            .args
            .iter()
            .find(|a| !a.starts_with('-'))
            .map(String::as_str);
        match c.program.as_str() {
            "curl" | "wget" | "http" | "xh" => !c.args.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "-X" | "--request"
                        | "-d"
                        | "--data"
                        | "--data-raw"
                        | "--data-binary"
                        | "-F"
                        | "--form"
                        | "-T"
                        | "--upload-file"
                        | "-o"
                        | "-O"
                        | "--output"
                        | "--json"
                ) || a.starts_with("--data")
            }),
            "cargo" => matches!(sub, Some("metadata" | "tree" | "pkgid" | "version")),
            "npm" | "pnpm" | "yarn" => matches!(sub, Some("ls" | "list" | "view" | "why")),
            "pip" | "pip3" => matches!(sub, Some("list" | "show" | "freeze")),
            "git" => matches!(
                sub,
                Some(
                    "rev-parse"
                        | "status"
                        | "log"
                        | "show"
                        | "branch"
                        | "describe"
                        | "diff"
                        | "ls-files"
                        | "tag"
                )
            ),
            "jq" | "head" | "grep" | "wc" | "sort" | "cat" | "cut" | "sed" | "awk" | "tr" => true,
            _ => selfheal_shell::is_read_only(&c.program),
        }
    })
}

/// Test runners, builds and checkers: they write build output, not the project.
fn builds(obs: &Observation<'_>) -> bool {
    obs.commands.iter().all(|c| {
        let sub = c
            .args
            .iter()
            .find(|a| !a.starts_with('-'))
            .map(String::as_str);
        match c.program.as_str() {
            "cargo" => {
                matches!(
                    sub,
                    Some(
                        "test"
                            | "build"
                            | "check"
                            | "clippy"
                            | "run"
                            | "bench"
                            | "doc"
                            | "nextest"
                            | "fmt"
                    )
                ) && (sub != Some("fmt") || c.args.iter().any(|a| a == "--check"))
            }
            "pytest" | "tox" | "nox" | "mypy" | "pyflakes" | "flake8" | "ruff" | "pylint"
            | "eslint" | "tsc" | "jest" | "vitest" | "mocha" | "go" | "cd" | "true" | "sleep" => {
                true
            }
            p if p.starts_with("python") => {
                c.args.windows(2).any(|w| {
                    w[0] == "-m"
                        && matches!(
                            w[1].as_str(),
                            "pytest"
                                | "unittest"
                                | "pyflakes"
                                | "mypy"
                                | "flake8"
                                | "json.tool"
                                | "py_compile"
                                | "compileall"
                        )
                }) || c
                    .args
                    .first()
                    .is_some_and(|a| a == "-c" || a.ends_with(".py"))
            }
            "npm" | "pnpm" | "yarn" => matches!(sub, Some("test" | "run" | "lint" | "build")),
            "bash" | "sh" => c.args.first().is_some_and(|a| a == "-n"),
            _ => false,
        }
    })
}

/// Whether a shell call that is not read-only may have changed the project: a shell write,
/// a mutating git command, or anything not known to only query (`query`) or build.
pub fn may_write(obs: &Observation<'_>, query: bool) -> bool {
    let command = obs.command.unwrap_or("");
    !selfheal_shell::write_targets(command).is_empty() || !(query || builds(obs))
}

/// The names a missing-path failure is about: arguments of the call that its message
/// mentions, quoted names in the message, or the path a failed Read named.
pub fn missing_names(obs: &Observation<'_>, line: &str) -> Vec<String> {
    let mut raw: Vec<String> = Vec::new();
    for quote in ['\'', '`', '"'] {
        let mut parts = line.split(quote);
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), Some(())) {
            if !inside.is_empty() && !inside.contains(' ') {
                raw.push(inside.to_owned());
            }
        }
    }
    for c in &obs.commands {
        for a in &c.args {
            if !a.starts_with('-') && a.len() > 2 && line.contains(a.as_str()) {
                raw.push(a.clone());
            }
        }
    }
    if let Some(path) = crate::detect::read_path(obs) {
        raw.push(path);
    }
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let trimmed = r.trim_end_matches('/');
        let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
        // Keep names specific enough to mean something when found in earlier output.
        for name in [trimmed, base] {
            if name.len() >= 4 && !name.starts_with('/') && !out.iter().any(|o| o == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// The manifest a package manager's query reads without naming it (`cargo metadata` reads
/// Cargo.toml), absolute.
pub fn implied_reads(obs: &Observation<'_>, ctx: &selfheal_hook::Context) -> Vec<String> {
    let mut out = Vec::new();
    for c in &obs.commands {
        let manifest = match c.program.as_str() {
            "cargo" => "Cargo.toml",
            "npm" | "pnpm" | "yarn" => "package.json",
            "pip" | "pip3" | "poetry" | "uv" => "pyproject.toml",
            "go" => "go.mod",
            _ => continue,
        };
        let path = selfheal_hook::seen::absolute(ctx, manifest);
        out.push(path.to_string_lossy().into_owned());
    }
    out
}

/// Files a successful shell call read (`cat f`, `grep x f`, `wc -l f`), absolute, at most 8.
pub fn files_read(
    obs: &Observation<'_>,
    ctx: &selfheal_hook::Context,
    read_only: bool,
) -> Vec<String> {
    if obs.kind != ToolKind::Shell || !read_only {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in &obs.commands {
        for a in c.args.iter().filter(|a| !a.starts_with('-')) {
            let path = selfheal_hook::seen::absolute(ctx, a);
            if out.len() < 8 && path.is_file() {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out
}
