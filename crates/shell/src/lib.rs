//! What a shell command line does, statically.
//!
//! The agent's Bash tool runs `bash -c "<command>"`. Before it runs, selfheal's hooks want to
//! know, in well under a millisecond and without ever panicking:
//!
//! - [`interactive`]: would it stall the session? Editors, pagers, password prompts, REPLs
//!   and filters with no input, `git commit` without a message, commands that never end
//!   (`tail -f`, `watch`, `top`). The answer carries a concrete non-interactive form.
//! - [`write_targets`]: which paths the obvious shell writes touch (redirections, `tee`,
//!   `sed -i`, `rm`, `mv`, `cp`, …), as written, for scope checks.
//! - [`is_read_only`]: is every command a known read-only one (for loop detection)?
//! - [`heredoc_writes`]: files written from a heredoc (`cat > f <<EOF`), a tool-selection
//!   failure where the agent has an edit tool.
//! - [`is_blank`]: nothing to run at all.
//! - [`commands`]: the simple commands that would run, as plain data.
//!
//! A hand-written, lenient lexer and parser read the line: quotes, escapes, `$'…'`,
//! operators, redirections with fd numbers, heredocs (their bodies are data), `$( … )`,
//! backticks, process substitution, comments, compound commands. Prefixes are looked
//! through: `A=1 cmd`, `env`, `sudo`, `time`, `nohup`, `nice`, `timeout`, `exec`, `command`,
//! `builtin`, `stdbuf`, `xargs`; so are `bash -c '…'` and `eval '…'`. Any input is
//! accepted: unterminated quotes run to the end, stray operators are skipped, nesting is
//! bounded.

mod commands;
mod git;
mod interactive;
mod lex;
mod parse;
mod readonly;
mod resolve;
mod writes;

pub use commands::{commands, Command};

/// How deep `bash -c '…'` inside `bash -c '…'` is followed.
const MAX_SCRIPT_DEPTH: u32 = 4;

/// A command that would wait for a terminal, or forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interactive {
    /// The program as named in the command, basename only (`vim`, `git`, `sudo`, `read`).
    pub program: String,
    /// Why it stalls, in a short clause that follows the program's name (`vim opens …`).
    pub reason: String,
    /// The non-interactive form to use instead, with commands in backticks.
    pub suggestion: String,
}

/// A path a command would write, create, change or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTarget {
    /// The path word as written, quotes removed; `~`, `$VAR` and globs left as they are.
    pub path: String,
    /// How it is written: `redirect`, `tee`, `sed -i`, `perl -i`, `rm`, `rmdir`, `unlink`,
    /// `shred`, `mv`, `cp`, `install`, `ln`, `touch`, `mkdir`, `truncate`, `dd`, `chmod`,
    /// `chown`, `chgrp`, `git checkout`, `git restore`, `git rm`, `git mv`, `git clean`,
    /// `curl -o`, `wget -O`, `sort -o`, `rsync`, `find -delete`, `find -exec`, `find -fprint`.
    pub via: &'static str,
}

/// The first command of the line that would stall a session with no terminal, if any.
///
/// Commands given input (a pipe, `<`, a heredoc, a here-string) do not count as waiting for
/// it; commands under `timeout` or in the background do not count as never ending.
pub fn interactive(command: &str) -> Option<Interactive> {
    interactive::find(command, 0, parse::Base::default())
}

/// The paths the line's obvious shell writes would touch, in order, without duplicates.
/// Unknown commands contribute nothing.
pub fn write_targets(command: &str) -> Vec<WriteTarget> {
    let mut out = writes::Targets::default();
    writes::collect(command, 0, &mut out);
    out.list
}

/// True only when every command of the line is a known read-only one (`ls`, `cat`, `grep`,
/// `git status`, `sed -n '1,20p' f`, …), nothing is written, and nothing would stall.
pub fn is_read_only(command: &str) -> bool {
    readonly::check(command, 0)
        && write_targets(command).is_empty()
        && interactive(command).is_none()
}

/// Files written from a heredoc: `cat > f <<EOF`, `cat <<EOF > f`, `tee f <<EOF`,
/// `cat <<EOF | tee f`.
pub fn heredoc_writes(command: &str) -> Vec<String> {
    let mut out = writes::Targets::default();
    writes::heredoc_collect(command, 0, &mut out);
    out.list.into_iter().map(|t| t.path).collect()
}

/// True when the line holds no command: empty, whitespace, or comments only.
pub fn is_blank(command: &str) -> bool {
    lex::lex(command, 0)
        .iter()
        .all(|t| matches!(t, lex::Tok::Op(lex::Op::Newline)))
}
