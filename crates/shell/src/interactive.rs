//! Commands that would stall a session with no terminal: editors, pagers, prompts, REPLs,
//! commands that read a standard input nobody gives, and commands that never end.

use crate::lex::Word;
use crate::parse::{parse, Base, Cmd, Kind};
use crate::resolve::{
    has_word, inline_script, listed, resolve, shell_opts, sudo_opts, xargs_opts, Layer, Opts,
    SHELLS,
};
use crate::{git, Interactive, MAX_SCRIPT_DEPTH};

/// What is known around one program of a simple command.
struct Ctx<'a> {
    /// Standard input is given (or unknown): nothing waits on the caller's input.
    stdin: bool,
    /// Standard output goes to a pipe or a file, not to the caller.
    stdout_taken: bool,
    /// It ends by itself anyway: under `timeout`, or in the background.
    bounded: bool,
    /// This layer is a wrapper around another program (`sudo -n vim`).
    has_inner: bool,
    env: &'a [(&'a str, &'a str)],
    cmd: &'a Cmd,
}

impl Ctx<'_> {
    fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The first file this command's own redirections write.
    fn written_file(&self) -> Option<&str> {
        self.cmd.redirs.iter().find_map(|r| r.written_file())
    }
}

pub(crate) fn find(src: &str, depth: u32, base: Base) -> Option<Interactive> {
    if depth > MAX_SCRIPT_DEPTH {
        return None;
    }
    let cmds = parse(src, depth, base);
    for cmd in &cmds {
        if cmd.kind != Kind::Simple {
            continue;
        }
        let r = resolve(&cmd.words);
        for (idx, layer) in r.layers.iter().enumerate() {
            let ctx = Ctx {
                stdin: cmd.stdin || layer.null_stdin,
                stdout_taken: cmd.stdout_taken,
                bounded: r.bounded || cmd.background,
                has_inner: idx + 1 < r.layers.len(),
                env: &r.env,
                cmd,
            };
            if let Some(script) = inline_script(layer) {
                let inner = Base {
                    stdin: ctx.stdin,
                    stdout_taken: ctx.stdout_taken,
                    background: ctx.bounded,
                };
                if let Some(hit) = find(&script, depth + 1, inner) {
                    return Some(hit);
                }
            }
            if let Some(hit) = check(layer, &ctx) {
                return Some(hit);
            }
        }
    }
    None
}

fn hit(
    program: &str,
    reason: impl Into<String>,
    suggestion: impl Into<String>,
) -> Option<Interactive> {
    Some(Interactive {
        program: program.to_string(),
        reason: reason.into(),
        suggestion: suggestion.into(),
    })
}

/// Programs whose arguments hold another command (so `--help` there is not theirs).
const WRAPPERS: &str = "env sudo doas time nohup nice ionice timeout exec command builtin stdbuf \
    xargs unbuffer ssh scp sftp su watch eval";

/// Full-screen editors.
pub(crate) const EDITORS: &str =
    "vim vi nvim vim.basic vim.tiny vim.nox vimx gvim view rvim rview \
    vimdiff nvi nano pico micro joe jed ne mg hx helix kak mcedit sudoedit jove emacs emacsclient \
    ed red ex";

const VIM_LIKE: &str =
    "vim vi nvim vim.basic vim.tiny vim.nox vimx gvim view rvim rview vimdiff nvi ex";

const PAGERS: &str = "less more most pg";

const TUIS: &str = "htop btop bpytop glances nmon iftop nethogs bmon ctop k9s lazygit lazydocker \
    gitui tig ranger nnn mc vifm atop iotop nvtop bashtop";

/// Started with no arguments and no input, these wait at a prompt.
const BARE_REPLS: &str = "jshell scala clojure clj sbcl guile racket ocaml utop swipl tclsh wish \
    groovysh kotlinc gforth spark-shell pyspark bc dc nslookup ftp telnet irb pry ipython bpython \
    ptpython";

const EDITOR_REASON: &str =
    "opens an interactive editor; the tool has no terminal, so the call hangs until it times out";
const REPL_REASON: &str =
    "starts an interactive prompt that waits for input nobody gives; the call hangs until it times \
        out";
const STDIN_REASON: &str =
    "reads standard input, which is never given here; the call hangs until it times out";
const FOREVER_REASON: &str = "never ends by itself; the call hangs until it times out";

fn check(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let name = l.name;
    let args = l.args;
    if name.is_empty() {
        return None;
    }
    if !listed(WRAPPERS, name) && has_word(args, "--version --help") {
        return None;
    }
    if listed(VIM_LIKE, name) {
        return vim(l, ctx);
    }
    if listed(EDITORS, name) {
        return editor(l, ctx);
    }
    if listed(PAGERS, name) {
        return pager(l, ctx);
    }
    if listed(TUIS, name) {
        return tui(l, ctx);
    }
    if is_python(name) {
        return python(l, ctx);
    }
    if is_pip(name) {
        return pip(name, args, ctx);
    }
    if listed(SHELLS, name) {
        return shell(l, ctx);
    }
    if listed(BARE_REPLS, name) {
        return bare_repl(l, ctx);
    }
    match name {
        "man" => man(l, ctx),
        "git" => git_rule(l, ctx),
        "npm" | "yarn" | "poetry" => package_init(l, ctx),
        "bun" => package_init(l, ctx).or_else(|| deno_bun(l, ctx)),
        "deno" => deno_bun(l, ctx),
        "apt" | "apt-get" | "aptitude" => apt(l, ctx),
        "conda" | "mamba" | "micromamba" => conda(l, ctx),
        "ssh" => ssh(l, ctx),
        "scp" | "sftp" => scp(l, ctx),
        "crontab" | "visudo" | "vipw" | "vigr" | "systemctl" | "kubectl" | "fc"
            if launches_editor(l) =>
        {
            editor_launcher(l, ctx)
        }
        "su" => hit(
            "su",
            "asks for a password on the terminal; the call hangs until it times out",
            "run the command as the current user, or `sudo -n <command>` (fails instead of \
                prompting)",
        ),
        "login" => hit(
            "login",
            "asks for a user name and password",
            "run the command directly",
        ),
        "passwd" => passwd(l),
        "sudo" | "doas" => sudo(l, ctx),
        "read" | "mapfile" | "readarray" => read(l, ctx),
        "select" if !ctx.stdin => hit(
            "select",
            "`select` waits for a choice on standard input",
            "pick the value in the script, or give input: `echo 1 | …`",
        ),
        "xargs" => xargs(l, ctx),
        "node" | "nodejs" | "ts-node" | "tsx" => node(l, ctx),
        "ruby" | "perl" | "lua" | "luajit" | "julia" => script_runner(l, ctx),
        "php" => php(l, ctx),
        "R" => r_lang(l, ctx),
        "ghci" | "ghc" | "stack" | "cabal" | "iex" | "erl" | "rails" | "flask" => {
            other_repl(l, ctx)
        }
        "psql" | "mysql" | "mariadb" | "sqlite3" | "sqlite" | "duckdb" | "redis-cli"
        | "mongosh" | "mongo" | "pgcli" | "mycli" | "litecli" | "cqlsh" => database(l, ctx),
        "gdb" | "lldb" => debugger(l, ctx),
        "top" => top(l, ctx),
        "fzf" => fzf(l),
        "watch" => watch(l, ctx),
        "tail" => tail(l, ctx),
        "journalctl" | "dmesg" => follow_logs(l, ctx),
        "docker" | "podman" | "kubectl" => containers(l, ctx),
        "ping" | "ping6" => ping(l, ctx),
        "sleep" if !ctx.bounded && has_word(args, "infinity inf") => hit(
            "sleep",
            FOREVER_REASON,
            "sleep for a bounded time: `sleep 5`",
        ),
        "yes" if !ctx.stdout_taken && !ctx.bounded => hit(
            "yes",
            "prints forever; the call hangs until it times out",
            "pipe it into the command that asks: `yes | <command>`",
        ),
        _ => stdin_filter(l, ctx),
    }
}

/// `deno` (bare or `deno repl`) and `bun repl` start a REPL.
fn deno_bun(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdin {
        return None;
    }
    let o = Opts::parse(l.args, "", "", true);
    let repl = o.pos_text(0) == Some("repl") || (l.name == "deno" && l.args.is_empty());
    if !repl {
        return None;
    }
    hit(
        l.name,
        REPL_REASON,
        format!(
            "run a script: `{} run script.ts`, or `{} -e '<code>'`",
            l.name, l.name
        ),
    )
}

// ---- editors and pagers ----------------------------------------------------------------

fn edit_suggestion(files: &[&Word]) -> String {
    match files.iter().find(|w| w.text != "-") {
        Some(f) => {
            let f = quote(f);
            format!(
                "edit {f} with the file-edit tool, or a scripted edit such as `sed -i 's/OLD/NEW/' \
                    {f}`; to read it: `cat {f}`"
            )
        }
        None => {
            "use the file-edit tool, or a scripted edit such as `sed -i 's/OLD/NEW/' FILE`".into()
        }
    }
}

/// A `-c`/`+` Ex command that ends Vim.
fn vim_quits(cmd: &str) -> bool {
    let last = cmd
        .rsplit('|')
        .next()
        .unwrap_or("")
        .trim()
        .trim_start_matches(':');
    matches!(
        last.trim_end_matches('!'),
        "q" | "qa"
            | "qall"
            | "quit"
            | "quitall"
            | "wq"
            | "wqa"
            | "wqall"
            | "x"
            | "xa"
            | "xall"
            | "xit"
            | "exit"
            | "cq"
    )
}

fn vim(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "cSTuiwWst", "cmd startuptime", false);
    let silent_ex = o.has('s') && (o.has('e') || o.has('E'));
    let scripted = silent_ex
        || o.val('s').is_some() && !(o.has('e') || o.has('E'))
        || o.long("headless")
        || o.flag('h', "version")
        || o.shorts
            .iter()
            .any(|(c, v)| *c == 'c' && v.is_some_and(vim_quits))
        || l.args
            .iter()
            .any(|w| w.text.strip_prefix('+').is_some_and(vim_quits));
    if scripted {
        return None;
    }
    if l.name == "ex" && ctx.stdin {
        return None;
    }
    let files: Vec<&Word> = o
        .pos
        .iter()
        .copied()
        .filter(|w| !w.text.starts_with('+'))
        .collect();
    hit(l.name, EDITOR_REASON, edit_suggestion(&files))
}

fn editor(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let args = l.args;
    let o = Opts::parse(args, "", "", false);
    match l.name {
        "emacs" => {
            if has_word(args, "--batch -batch --script -script") {
                return None;
            }
        }
        "emacsclient" => {
            if o.flag('e', "eval") || o.flag('n', "no-wait") {
                return None;
            }
        }
        "ed" | "red" => {
            if ctx.stdin {
                return None;
            }
            return hit(
                l.name,
                "reads editing commands from standard input, which is never given here",
                "give it a script: `ed -s FILE <<'EOF' … w\nq\nEOF`, or use the file-edit tool",
            );
        }
        _ => {
            if o.has('V') || o.has('h') {
                return None;
            }
        }
    }
    hit(l.name, EDITOR_REASON, edit_suggestion(&o.pos))
}

fn pager(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "bhjkoOpPtTxyz", "", false);
    if o.flag('V', "version") {
        return None;
    }
    let follow = l.args.iter().any(|w| w.text == "+F");
    if ctx.stdout_taken && !follow {
        return None;
    }
    let files: Vec<String> = o
        .pos
        .iter()
        .filter(|w| !w.text.starts_with('+'))
        .map(|w| quote(w))
        .collect();
    if follow {
        return hit(
            l.name,
            "`+F` follows the file forever; the call hangs until it times out",
            format!("`tail -n 100 {}`", files.join(" ")),
        );
    }
    let suggestion = if files.is_empty() {
        "drop the pager: the output is captured anyway (`… | head -n 200` to shorten it)".into()
    } else {
        format!("`cat {0}` (or `head -n 200 {0}`)", files.join(" "))
    };
    hit(
        l.name,
        "is an interactive pager waiting for keystrokes; the call hangs until it times out",
        suggestion,
    )
}

fn man(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdout_taken {
        return None;
    }
    let o = Opts::parse(
        l.args,
        "PCMLmSsEeRrT",
        "pager config-file manpath locale systems sections encoding prompt",
        false,
    );
    let quiet_pager = |p: &str| {
        let first = p.split_whitespace().next().unwrap_or("");
        !p.is_empty() && !listed(PAGERS, first.rsplit('/').next().unwrap_or(""))
    };
    if o.value('P', "pager").is_some_and(quiet_pager)
        || ctx.env("MANPAGER").is_some_and(quiet_pager)
        || ctx.env("PAGER").is_some_and(quiet_pager) && ctx.env("MANPAGER").is_none()
        || o.flag('f', "whatis")
        || o.flag('k', "apropos")
        || o.flag('w', "where")
        || o.has('W')
        || o.long("path")
        || o.long("where-cat")
        || o.has('t')
        || o.has('T')
        || o.has('V')
        || o.has('h')
    {
        return None;
    }
    let page: Vec<String> = o.pos.iter().map(|w| quote(w)).collect();
    let page = if page.is_empty() {
        "PAGE".to_string()
    } else {
        page.join(" ")
    };
    hit(
        "man",
        "opens the manual in an interactive pager; the call hangs until it times out",
        format!("`man {page} | cat` (or `MANPAGER=cat man {page}`)"),
    )
}

/// Commands that open `$EDITOR` on something.
fn launches_editor(l: &Layer<'_>) -> bool {
    let first = l.args.first().map(|w| w.text.as_str());
    match l.name {
        "crontab" => has_word(l.args, "-e"),
        "visudo" => !has_word(l.args, "-c --check -V --version -h --help"),
        "vipw" | "vigr" => true,
        "systemctl" => l.args.iter().any(|w| w.text == "edit"),
        "kubectl" => first == Some("edit"),
        "fc" => !has_word(l.args, "-l -s -e"),
        _ => false,
    }
}

fn editor_launcher(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let vars = match l.name {
        "systemctl" => "SYSTEMD_EDITOR EDITOR VISUAL",
        "kubectl" => "KUBE_EDITOR EDITOR",
        "fc" => "FCEDIT EDITOR",
        _ => "VISUAL EDITOR",
    };
    let editor = vars.split_ascii_whitespace().find_map(|v| ctx.env(v));
    if editor.is_some_and(|e| !interactive_editor(e)) {
        return None;
    }
    let suggestion = match l.name {
        "crontab" => "`(crontab -l; echo '<schedule> <command>') | crontab -`",
        "visudo" | "vipw" | "vigr" => {
            "write a file under /etc/sudoers.d/ with the edit tool, then `visudo -c`"
        }
        "systemctl" => {
            "write /etc/systemd/system/UNIT.d/override.conf with the edit tool, then \
             `systemctl daemon-reload`"
        }
        "kubectl" => "`kubectl patch …` or `kubectl apply -f FILE`",
        _ => "run the command again directly",
    };
    hit(l.name, EDITOR_REASON, suggestion)
}

// ---- git ------------------------------------------------------------------------------

/// Is this editor setting an interactive editor (or unset)?
fn interactive_editor(value: &str) -> bool {
    let mut words = value.split_whitespace();
    let Some(first) = words.next() else {
        return true;
    };
    let name = first.rsplit('/').next().unwrap_or("");
    if name == "emacs" && value.contains("batch") {
        return false;
    }
    listed(EDITORS, name)
}

fn git_rule(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let g = git::split(l.args);
    let sub = g.sub?;
    let args = g.args;
    let config = |key: &str| {
        g.config
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    };
    // GIT_EDITOR, then core.editor, then VISUAL, then EDITOR.
    let editor = ctx
        .env("GIT_EDITOR")
        .or_else(|| config("core.editor"))
        .or_else(|| ctx.env("VISUAL"))
        .or_else(|| ctx.env("EDITOR"));
    let editor_ok = editor.is_some_and(|e| !interactive_editor(e));
    let seq_editor = ctx
        .env("GIT_SEQUENCE_EDITOR")
        .or_else(|| config("sequence.editor"));
    let seq_ok = match seq_editor {
        Some(e) => !interactive_editor(e),
        None => editor_ok,
    };
    let line = render(l);
    let no_editor = format!("`GIT_EDITOR=true {line}`");
    let editor_hit = |what: &str, suggestion: String| {
        hit(
            "git",
            format!(
                "`git {sub}` {what}; the tool has no terminal, so the call hangs until it \
                times out"
            ),
            suggestion,
        )
    };
    match sub {
        "commit" => {
            let o = Opts::parse(
                args,
                "mFCct",
                "message file reuse-message reedit-message template author date cleanup trailer \
                    pathspec-from-file fixup squash",
                false,
            );
            if o.long("dry-run") || o.has('h') {
                return None;
            }
            if (o.flag('p', "patch") || o.long("interactive")) && !ctx.stdin {
                return editor_hit(
                    "asks hunk by hunk what to commit",
                    "stage the paths first (`git add PATH…`), then `git commit -m \"<message>\"`"
                        .into(),
                );
            }
            if o.value('F', "file") == Some("-") && !ctx.stdin {
                return editor_hit(
                    "reads the message from standard input, which is never given",
                    "`git commit -m \"<message>\"`".into(),
                );
            }
            let message =
                o.flag('m', "message") || o.flag('F', "file") || o.flag('C', "reuse-message");
            let fixup_edits = o
                .long_val("fixup")
                .is_some_and(|v| v.starts_with("amend:") || v.starts_with("reword:"));
            let opens = if o.flag('e', "edit") {
                true
            } else if o.long("no-edit") {
                false
            } else if o.flag('c', "reedit-message") || o.flag('t', "template") || o.long("squash") {
                true
            } else if message {
                false
            } else if o.long("fixup") {
                fixup_edits
            } else {
                true
            };
            if !opens || editor_ok {
                return None;
            }
            let suggestion = if o.long("amend") && !message {
                format!("`{line} --no-edit` (keeps the message) or `{line} -m \"<message>\"`")
            } else if message || o.flag('e', "edit") {
                no_editor
            } else {
                format!("`{line} -m \"<message>\"`")
            };
            editor_hit("opens an editor for the commit message", suggestion)
        }
        "rebase" => {
            let o = Opts::parse(args, "sXx", "onto strategy strategy-option exec", false);
            if (o.flag('i', "interactive") || o.long("edit-todo")) && !seq_ok {
                return editor_hit(
                    "opens an editor for the todo list",
                    format!(
                        "`GIT_SEQUENCE_EDITOR=true {line}` (keeps the todo as it is; use a `sed \
                            -i` script as GIT_SEQUENCE_EDITOR to reorder or squash), or a \
                            non-interactive `git rebase <base>`"
                    ),
                );
            }
            if o.long("continue") && !editor_ok {
                return editor_hit(
                    "opens an editor for the resolved commit's message",
                    no_editor,
                );
            }
            None
        }
        "merge" => {
            let o = Opts::parse(args, "msSX", "message strategy strategy-option file", false);
            if (o.flag('e', "edit") || o.long("continue")) && !editor_ok {
                return editor_hit("opens an editor for the merge message", no_editor);
            }
            None
        }
        "cherry-pick" | "revert" => {
            let o = Opts::parse(args, "mXs", "mainline strategy strategy-option", false);
            if o.flag('e', "edit") && !editor_ok {
                return editor_hit("opens an editor for the commit message", no_editor);
            }
            None
        }
        "tag" => {
            let o = Opts::parse(
                args,
                "mFu",
                "message file local-user cleanup sort contains no-contains points-at merged \
                    no-merged format",
                false,
            );
            let listing = o.flag('l', "list")
                || o.flag('d', "delete")
                || o.flag('v', "verify")
                || o.has('n')
                || o.pos.is_empty();
            let annotated = o.flag('a', "annotate")
                || o.flag('s', "sign")
                || o.has('u')
                || o.long("local-user");
            let message = o.flag('m', "message") || o.flag('F', "file");
            if !listing && (annotated && !message || o.flag('e', "edit")) && !editor_ok {
                return editor_hit(
                    "opens an editor for the tag message",
                    format!("`{line} -m \"<message>\"`"),
                );
            }
            None
        }
        "add" | "stage" => {
            let o = Opts::parse(args, "", "chmod pathspec-from-file", false);
            if o.flag('e', "edit") && !editor_ok {
                return editor_hit("opens an editor for the patch", "`git add PATH…`".into());
            }
            if (o.flag('p', "patch") || o.flag('i', "interactive")) && !ctx.stdin {
                return editor_hit(
                    "asks hunk by hunk what to stage",
                    "`git add PATH…` for whole files, or write the hunks to a patch and \
                     `git apply --cached PATCH`"
                        .into(),
                );
            }
            None
        }
        "checkout" | "reset" | "restore" | "stash" => {
            let o = Opts::parse(args, "bBsm", "source message pathspec-from-file", false);
            if o.flag('p', "patch") && !ctx.stdin {
                return editor_hit(
                    "asks hunk by hunk what to take",
                    format!("name whole paths instead of `-p`: `git {sub} … -- PATH…`"),
                );
            }
            None
        }
        "clean" => {
            let o = Opts::parse(args, "e", "exclude", false);
            if o.flag('i', "interactive") && !ctx.stdin {
                return editor_hit(
                    "asks interactively what to delete",
                    "`git clean -n` to list, then `git clean -f -- PATH…`".into(),
                );
            }
            None
        }
        "mergetool" => {
            if has_word(args, "--tool-help") {
                return None;
            }
            editor_hit(
                "starts an interactive merge tool",
                "resolve the conflicts with the file-edit tool, then `git add PATH…`".into(),
            )
        }
        "difftool" => {
            let o = Opts::parse(args, "xt", "extcmd tool", false);
            if o.long("tool-help") || o.flag('x', "extcmd") {
                return None;
            }
            editor_hit(
                "starts an interactive diff tool",
                "`git --no-pager diff`".into(),
            )
        }
        "config" => {
            let o = Opts::parse(args, "f", "file blob", false);
            if o.flag('e', "edit") && !editor_ok {
                return editor_hit(
                    "opens an editor on the configuration",
                    "`git config KEY VALUE`".into(),
                );
            }
            None
        }
        "notes" => {
            let o = Opts::parse(
                args,
                "mFCc",
                "message file reuse-message reedit-message ref",
                false,
            );
            let action = o.pos_text(0);
            let message =
                o.flag('m', "message") || o.flag('F', "file") || o.flag('C', "reuse-message");
            let opens =
                action == Some("edit") || matches!(action, Some("add" | "append")) && !message;
            if opens && !editor_ok {
                return editor_hit(
                    "opens an editor for the note",
                    format!("`{line} -m \"<note>\"`"),
                );
            }
            None
        }
        _ => None,
    }
}

// ---- package managers ------------------------------------------------------------------

fn package_init(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let name = l.name;
    let o = Opts::parse(l.args, "w", "workspace", false);
    let sub = o.pos_text(0)?;
    let yes = match name {
        "poetry" => o.flag('n', "no-interaction"),
        _ => o.flag('y', "yes") || ctx.env("npm_config_yes").is_some_and(|v| v == "true"),
    };
    let init = match name {
        "npm" => matches!(sub, "init" | "create" | "innit") && o.pos.len() == 1,
        "poetry" => sub == "init",
        _ => sub == "init",
    };
    if !init || yes || ctx.stdin {
        return None;
    }
    let flag = if name == "poetry" { "-n" } else { "-y" };
    hit(
        name,
        format!(
            "`{name} init` asks its questions interactively; the call hangs until it times out"
        ),
        format!("`{} {flag}`", render(l)),
    )
}

fn pip(name: &str, args: &[Word], ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(args, "r", "requirement", false);
    if o.pos_text(0) == Some("uninstall") && !o.flag('y', "yes") && !ctx.stdin {
        return hit(
            name,
            "`pip uninstall` asks for confirmation; the call hangs until it times out",
            format!("`{name} uninstall -y …`"),
        );
    }
    None
}

fn apt(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "otc", "option target-release config-file", false);
    let sub = o.pos_text(0)?;
    let changes = matches!(
        sub,
        "install"
            | "reinstall"
            | "remove"
            | "purge"
            | "upgrade"
            | "dist-upgrade"
            | "full-upgrade"
            | "autoremove"
            | "build-dep"
    );
    let yes = o.flag('y', "yes")
        || o.long("assume-yes")
        || o.count('q') >= 2
        || o.long_val("quiet") == Some("2")
        || o.long("force-yes");
    if !changes || yes || ctx.stdin || o.flag('s', "simulate") || o.long("dry-run") {
        return None;
    }
    hit(
        l.name,
        format!(
            "`{} {sub}` asks \"Do you want to continue? [Y/n]\"; the call hangs until it times out",
            l.name
        ),
        format!("`{} -y`", render(l)),
    )
}

fn conda(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "ncp", "name channel prefix file", false);
    let sub = o.pos_text(0)?;
    let changes = matches!(
        sub,
        "install" | "create" | "remove" | "uninstall" | "update" | "upgrade"
    );
    if !changes || o.flag('y', "yes") || ctx.stdin || o.long("dry-run") {
        return None;
    }
    hit(
        l.name,
        format!(
            "`{} {sub}` asks \"Proceed ([y]/n)?\"; the call hangs until it times out",
            l.name
        ),
        format!("`{} -y`", render(l)),
    )
}

// ---- remote logins and privileges ------------------------------------------------------

fn batch_mode(o: &Opts<'_>) -> bool {
    o.shorts.iter().any(|(c, v)| {
        *c == 'o'
            && v.is_some_and(|v| {
                let v = v.to_ascii_lowercase().replace([' ', '\t'], "=");
                let v: String = v
                    .split('=')
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("=");
                v == "batchmode=yes"
            })
    })
}

fn ssh(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "BbcDEeFIiJLlmOoPpQRSWw", "", true);
    if o.has('V') || o.has('G') || o.has('Q') || o.has('O') {
        return None;
    }
    let host = o.pos_text(0)?;
    let has_command = o.pos.len() > 1;
    let command = if has_command {
        o.pos[1..]
            .iter()
            .map(|w| quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        "'<command>'".to_string()
    };
    if !batch_mode(&o) {
        return hit(
            "ssh",
            "may prompt for a password, passphrase or host-key confirmation, and nobody can answer \
                it",
            format!("`ssh -o BatchMode=yes {host} {command}` (fails instead of prompting)"),
        );
    }
    if o.has('N') && !o.has('f') && !ctx.bounded {
        return hit(
            "ssh",
            "`-N` keeps the connection open forever",
            format!("`ssh -f -N -o BatchMode=yes {host}` (goes to the background)"),
        );
    }
    if !has_command && !ctx.stdin && !o.has('f') {
        return hit(
            "ssh",
            "opens an interactive remote shell; the call hangs until it times out",
            format!("`ssh -o BatchMode=yes {host} '<command>'`"),
        );
    }
    None
}

fn scp(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "cFiJloPSDXb", "", false);
    if l.name == "sftp" {
        if o.has('b') || batch_mode(&o) && ctx.stdin {
            return None;
        }
        return hit(
            "sftp",
            "opens an interactive file-transfer prompt (and may ask for a password)",
            "`sftp -b BATCHFILE HOST` or `scp -B -o BatchMode=yes SRC HOST:DST`",
        );
    }
    let remote = o.pos.iter().any(|w| {
        w.text
            .split_once(':')
            .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/'))
    });
    if !remote || o.has('B') || batch_mode(&o) {
        return None;
    }
    hit(
        "scp",
        "may prompt for a password or host-key confirmation, and nobody can answer it",
        format!(
            "`scp -B -o BatchMode=yes {}`",
            o.pos.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
        ),
    )
}

fn passwd(l: &Layer<'_>) -> Option<Interactive> {
    let query =
        "-S --status -l --lock -u --unlock -d --delete -e --expire --stdin -n -x -w -i -a --all";
    if has_word(l.args, query) {
        return None;
    }
    hit(
        "passwd",
        "asks for the new password on the terminal",
        "`echo 'USER:PASSWORD' | chpasswd` (as root)",
    )
}

fn sudo(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = sudo_opts(l.args, l.name);
    let inner: Vec<String> = l.args[o.rest..].iter().map(quote).collect();
    let inner = if inner.is_empty() {
        "<command>".to_string()
    } else {
        inner.join(" ")
    };
    if l.name == "sudo" && o.flag('e', "edit") {
        return hit("sudoedit", EDITOR_REASON, edit_suggestion(&o.pos));
    }
    let non_interactive = o.flag('n', "non-interactive")
        || o.flag('S', "stdin") && ctx.stdin
        || o.flag('A', "askpass");
    let harmless = !ctx.has_inner
        && (o.flag('V', "version")
            || o.flag('h', "help")
            || o.flag('K', "remove-timestamp")
            || o.flag('k', "reset-timestamp") && o.pos.is_empty()
            || o.shorts.is_empty() && o.longs.is_empty());
    if !non_interactive && !harmless {
        return hit(
            l.name,
            "may ask for a password on the terminal; the call hangs until it times out",
            format!(
                "`{} -n {inner}` (fails at once if a password would be needed)",
                l.name
            ),
        );
    }
    if (o.flag('i', "login") || o.flag('s', "shell")) && !ctx.has_inner && !ctx.stdin {
        return hit(
            l.name,
            "opens an interactive root shell; the call hangs until it times out",
            format!("`{} -n <command>`", l.name),
        );
    }
    None
}

// ---- reading standard input ------------------------------------------------------------

fn read(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "adinNptuCcOs", "", true);
    if ctx.stdin || o.has('t') || o.has('u') {
        return None;
    }
    hit(
        l.name,
        "waits for a line on standard input, which is never given; the call hangs until it times \
            out",
        format!(
            "give the value directly, or feed it: `{} <<< \"VALUE\"` / \
             `echo VALUE | {{ {}; … }}`",
            render(l),
            render(l)
        ),
    )
}

fn xargs(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = xargs_opts(l.args);
    if o.flag('p', "interactive") {
        return hit(
            "xargs",
            "`-p` asks for confirmation before each command",
            "drop `-p` (use `-t` to print each command instead)",
        );
    }
    if !ctx.stdin && !o.flag('a', "arg-file") {
        return hit(
            "xargs",
            STDIN_REASON,
            "pipe the arguments into it: `… | xargs …`, or `xargs -a FILE …`",
        );
    }
    None
}

/// Filters that read standard input when no file operand is given.
fn stdin_filter(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdin {
        return None;
    }
    let args = l.args;
    let files = |short_arg: &str, long_arg: &str, skip: usize| -> bool {
        let o = Opts::parse(args, short_arg, long_arg, false);
        o.pos.iter().skip(skip).any(|w| w.text != "-")
    };
    let waits = match l.name {
        "cat" | "tac" | "nl" | "rev" | "wc" | "base64" | "base32" | "md5sum" | "sha1sum"
        | "sha256sum" | "sha512sum" | "sha224sum" | "sha384sum" | "b2sum" | "cksum" | "strings"
        | "od" | "hexdump" | "fold" | "fmt" | "expand" | "unexpand" | "paste" | "column"
        | "xxd" => {
            let short_arg = match l.name {
                "tac" => "s",
                "nl" => "bdfhilnsvw",
                "base64" | "base32" | "fold" => "w",
                "strings" => "nte",
                "od" => "AjNSstw",
                "hexdump" => "efns",
                "fmt" => "pw",
                "expand" | "unexpand" => "t",
                "paste" => "d",
                "column" => "csoNRlWHEO",
                "xxd" => "cglnos",
                _ => "",
            };
            let o = Opts::parse(args, short_arg, "files0-from", false);
            !o.long("files0-from") && !o.pos.iter().any(|w| w.text != "-")
        }
        "head" | "tail" => !files(
            "nc",
            "lines bytes pid sleep-interval max-unchanged-stats",
            0,
        ),
        "sort" => {
            let o = Opts::parse(
                args,
                "kotST",
                "key output field-separator buffer-size temporary-directory files0-from",
                false,
            );
            !o.long("files0-from") && !o.pos.iter().any(|w| w.text != "-")
        }
        "uniq" => !files("fsw", "skip-fields skip-chars check-chars", 0),
        "cut" => !files(
            "bcdf",
            "bytes characters delimiter fields output-delimiter",
            0,
        ),
        "tr" => true,
        "tee" => true,
        "grep" | "egrep" | "fgrep" => {
            let o = Opts::parse(
                args,
                "efmABCdD",
                "regexp file max-count after-context before-context context devices directories \
                    exclude include exclude-dir exclude-from label",
                false,
            );
            let recursive = o.flag('r', "recursive") || o.flag('R', "dereference-recursive");
            let skip = if o.flag('e', "regexp") || o.flag('f', "file") {
                0
            } else {
                1
            };
            !recursive && !o.flag('V', "version") && !o.pos.iter().skip(skip).any(|w| w.text != "-")
        }
        "sed" => {
            let o = Opts::parse(args, "efl", "expression file line-length", false);
            let skip = if o.flag('e', "expression") || o.flag('f', "file") {
                0
            } else {
                1
            };
            !o.pos.iter().skip(skip).any(|w| w.text != "-")
        }
        "awk" | "gawk" | "mawk" | "nawk" => {
            let o = Opts::parse(args, "fvF", "file assign field-separator", false);
            let program_file = o.flag('f', "file");
            let begin_only = !program_file && o.pos_text(0).is_some_and(awk_begin_only);
            let skip = if program_file { 0 } else { 1 };
            !begin_only && !o.pos.iter().skip(skip).any(|w| w.text != "-" && !w.assign)
        }
        "jq" | "gojq" | "jaq" | "yq" => {
            let special = "--null-input --args --jsonargs --arg --argjson --slurpfile --rawfile -n";
            if has_word(args, special)
                || args.iter().any(|w| {
                    w.text.starts_with('-') && !w.text.starts_with("--") && w.text.contains('n')
                })
            {
                false
            } else {
                let o = Opts::parse(args, "fL", "from-file indent", false);
                let skip = if o.flag('f', "from-file") { 0 } else { 1 };
                !o.pos.iter().skip(skip).any(|w| w.text != "-")
            }
        }
        _ => false,
    };
    if !waits {
        return None;
    }
    let suggestion = match (l.name, ctx.written_file()) {
        ("cat" | "tee", Some(file)) => format!(
            "write {} with the file-edit tool, or give the content as a heredoc: `{} <<'EOF'` … \
                `EOF`",
            quote_str(file),
            render_cmd(ctx.cmd)
        ),
        ("tee", None) => format!(
            "give the content: `… | {0}` or `{0} <<'EOF'` … `EOF`",
            render(l)
        ),
        _ => format!(
            "give it input: a file argument, `< FILE`, a pipe or a heredoc (`{} < FILE`)",
            render(l)
        ),
    };
    hit(l.name, STDIN_REASON, suggestion)
}

/// An awk program made of a `BEGIN { … }` block alone never reads its input.
fn awk_begin_only(program: &str) -> bool {
    let Some(rest) = program.trim_start().strip_prefix("BEGIN") else {
        return false;
    };
    if program.contains("getline") {
        return false;
    }
    let rest = rest.trim_start();
    if !rest.starts_with('{') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') => quote = Some('"'),
            (None, '{') => depth += 1,
            (None, '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return rest[i + 1..]
                        .trim_matches(|c: char| c.is_whitespace() || c == ';')
                        .is_empty();
                }
            }
            _ => {}
        }
    }
    false
}

// ---- REPLs -----------------------------------------------------------------------------

pub(crate) fn is_python(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_pip(name: &str) -> bool {
    name.strip_prefix("pip")
        .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn python(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "cmWXQ", "check-hash-based-pycs", true);
    if o.has('V') || o.has('h') {
        return None;
    }
    if let Some(module) = o.val('m') {
        match module {
            "pip" | "pip3" => return pip(l.name, &l.args[o.rest..], ctx),
            "pdb" | "ipdb" if !ctx.stdin => {
                return hit(
                    l.name,
                    "starts an interactive debugger; the call hangs until it times out",
                    "run the script directly, adding prints or `breakpoint()`-free assertions",
                )
            }
            "IPython" | "code" | "asyncio" if o.pos.is_empty() && !ctx.stdin => {
                return hit(l.name, REPL_REASON, format!("`{} -c '<code>'`", l.name))
            }
            _ => return None,
        }
    }
    let script = o.pos_text(0);
    if let (Some(s), Some(sub)) = (script, o.pos_text(1)) {
        if s.ends_with("manage.py")
            && matches!(sub, "shell" | "dbshell" | "shell_plus")
            && !has_word(l.args, "-c --command")
            && !ctx.stdin
        {
            return hit(
                l.name,
                REPL_REASON,
                format!("`{} {s} shell -c '<code>'`", l.name),
            );
        }
    }
    let code = o.has('c');
    let needs_input = !code && matches!(script, None | Some("-"));
    if (needs_input || o.has('i')) && !ctx.stdin {
        return hit(
            l.name,
            REPL_REASON,
            format!(
                "`{0} -c '<code>'`, `{0} script.py`, or code on standard input: \
                 `{0} - <<'EOF'` … `EOF`",
                l.name
            ),
        );
    }
    None
}

fn node(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(
        l.args,
        "rCep",
        "require import loader experimental-loader conditions eval print input-type title",
        true,
    );
    if o.flag('v', "version") || o.flag('h', "help") || ctx.stdin {
        return None;
    }
    let code = o.flag('e', "eval")
        || o.flag('p', "print")
        || o.long("test")
        || o.long("run")
        || o.flag('c', "check")
        || o.long("v8-options");
    let needs_input = !code && matches!(o.pos_text(0), None | Some("-"));
    if needs_input || o.flag('i', "interactive") {
        return hit(
            l.name,
            REPL_REASON,
            format!(
                "`{0} -e '<code>'`, `{0} script.js`, or `{0} - <<'EOF'` … `EOF`",
                l.name
            ),
        );
    }
    None
}

fn script_runner(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = match l.name {
        "julia" => Opts::parse(
            l.args,
            "eEpLJCt",
            "eval print load sysimage threads project",
            true,
        ),
        "ruby" => Opts::parse(l.args, "eIrCEFx", "", true),
        "perl" => Opts::parse(l.args, "eEIM", "", true),
        _ => Opts::parse(l.args, "el", "", true),
    };
    if ctx.stdin || o.flag('v', "version") || o.has('V') || o.has('h') {
        return None;
    }
    let code = o.flag('e', "eval") || o.has('E') || o.flag('p', "print") && l.name == "julia";
    let script = o.pos_text(0);
    let repl = o.has('i') && l.name != "perl";
    let reads_program = !code && matches!(script, None | Some("-"));
    let loops_over_input =
        code && matches!(l.name, "perl" | "ruby") && (o.has('n') || o.has('p')) && o.pos.is_empty();
    if repl || reads_program {
        let example = format!("`{} -e '<code>'`", l.name);
        let reason = if matches!(l.name, "perl" | "ruby") && !repl {
            "reads its program from standard input, which is never given; the call hangs until it \
                times out"
        } else {
            REPL_REASON
        };
        return hit(l.name, reason, format!("{example} or `{} script`", l.name));
    }
    if loops_over_input {
        return hit(
            l.name,
            STDIN_REASON,
            format!("name the input files: `{} FILE…`", render(l)),
        );
    }
    None
}

fn php(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdin {
        return None;
    }
    if has_word(l.args, "-a --interactive") || l.args.is_empty() {
        return hit("php", REPL_REASON, "`php -r '<code>'` or `php script.php`");
    }
    None
}

fn r_lang(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "ef", "file", true);
    if ctx.stdin
        || o.has('e')
        || o.flag('f', "file")
        || o.pos_text(0) == Some("CMD")
        || o.long("version")
    {
        return None;
    }
    hit(
        "R",
        REPL_REASON,
        "`Rscript -e '<code>'` or `Rscript script.R`",
    )
}

fn other_repl(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdin {
        return None;
    }
    let args = l.args;
    let first = args.first().map(|w| w.text.as_str());
    let repl = match l.name {
        "ghci" => !has_word(args, "-e"),
        "ghc" => has_word(args, "--interactive"),
        "stack" => matches!(first, Some("ghci" | "repl")) && !has_word(args, "-e"),
        "cabal" => matches!(first, Some("repl" | "v2-repl" | "new-repl")),
        "iex" => !has_word(args, "-e --eval"),
        "erl" => !has_word(args, "-noshell -noinput -detached -eval"),
        "rails" => matches!(first, Some("console" | "c" | "dbconsole" | "db")),
        "flask" => first == Some("shell"),
        _ => false,
    };
    if !repl {
        return None;
    }
    let suggestion = match l.name {
        "rails" => "`rails runner '<code>'`".to_string(),
        "ghci" | "ghc" | "stack" | "cabal" => {
            "`ghci -e '<expr>' FILE` or `runghc FILE`".to_string()
        }
        "iex" => "`elixir -e '<code>'` or `mix run -e '<code>'`".to_string(),
        "erl" => "`erl -noshell -eval '<expr>, init:stop().'`".to_string(),
        _ => "give it input on standard input, or run a script".to_string(),
    };
    hit(l.name, REPL_REASON, suggestion)
}

fn bare_repl(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.stdin {
        return None;
    }
    let o = Opts::parse(l.args, "rI", "", true);
    let repl = match l.name {
        "irb" | "pry" | "ipython" | "bpython" | "ptpython" => o.pos.is_empty() && !o.has('c'),
        "bc" | "dc" => o.pos.is_empty() && !o.has('e') && !o.has('v') && !o.has('h'),
        "nslookup" | "ftp" | "telnet" => l.args.is_empty(),
        _ => l.args.is_empty(),
    };
    if !repl {
        return None;
    }
    hit(
        l.name,
        REPL_REASON,
        format!(
            "run a script file, or give the input: `{} <<'EOF'` … `EOF`",
            l.name
        ),
    )
}

fn database(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let args = l.args;
    let name = l.name;
    let repl_hit = |suggestion: String| {
        hit(
            name,
            "opens an interactive database prompt; the call hangs until it times out",
            suggestion,
        )
    };
    match name {
        "psql" => {
            let o = Opts::parse(
                args,
                "cdfhLopPRTUvF",
                "command dbname file host log-file output port pset record-separator table-attr \
                    username set variable field-separator",
                false,
            );
            if o.flag('W', "password") {
                return hit(
                    "psql",
                    "`-W` asks for a password on the terminal",
                    "set PGPASSWORD (or a ~/.pgpass entry) and pass `-w` (never prompt)",
                );
            }
            if ctx.stdin
                || o.flag('c', "command")
                || o.flag('f', "file")
                || o.flag('l', "list")
                || o.has('V')
                || o.has('?')
            {
                return None;
            }
            repl_hit(format!("`{} -c '<SQL>'`", render(l)))
        }
        "mysql" | "mariadb" => {
            if has_word(args, "-p --password") {
                return hit(
                    name,
                    "`-p` without a value asks for the password on the terminal",
                    "pass it via MYSQL_PWD or an option file (`--defaults-extra-file`), not a \
                        prompt",
                );
            }
            let execute = args.iter().any(|w| {
                let t = w.text.as_str();
                t == "--execute"
                    || t.starts_with("--execute=")
                    || t.starts_with("-e") && !t.starts_with("--")
            });
            if ctx.stdin || execute || has_word(args, "-V") {
                return None;
            }
            repl_hit(format!("`{} -e '<SQL>'`", render(l)))
        }
        "sqlite3" | "sqlite" | "duckdb" => {
            let with_arg = "-cmd -separator -newline -nullvalue -init -vfs -mmap -heap -pagecache \
                -lookaside -maxsize -escape";
            let mut positional = 0;
            let mut i = 0;
            while i < args.len() {
                let t = args[i].text.as_str();
                if listed(with_arg, t) {
                    i += 2;
                    continue;
                }
                if !t.starts_with('-') || t == "-" {
                    positional += 1;
                }
                i += 1;
            }
            let quick = has_word(args, "-version -help -c -s -json -csv") && name == "duckdb"
                || has_word(args, "-version -help");
            if ctx.stdin || positional >= 2 || quick {
                return None;
            }
            repl_hit(format!(
                "`{} DB '<SQL>'` (the SQL as the second argument) or `{} DB < script.sql`",
                name, name
            ))
        }
        "redis-cli" => {
            let o = Opts::parse(args, "hpsaunrid", "user pass", false);
            let modes = "scan bigkeys memkeys hotkeys latency latency-history stat rdb pipe eval \
                cluster functions-rdb ldb";
            if ctx.stdin
                || !o.pos.is_empty()
                || modes.split_ascii_whitespace().any(|m| o.long(m))
                || o.has('v')
            {
                return None;
            }
            repl_hit(format!("`{} PING` (the command as arguments)", render(l)))
        }
        "mongosh" | "mongo" => {
            let script =
                has_word(args, "--eval -f --file") || args.iter().any(|w| w.text.ends_with(".js"));
            if ctx.stdin || script {
                return None;
            }
            repl_hit(format!("`{} --eval '<js>'`", render(l)))
        }
        "cqlsh" | "mycli" | "litecli" => {
            if ctx.stdin || has_word(args, "-e --execute -f --file") {
                return None;
            }
            repl_hit(format!("`{} -e '<query>'`", render(l)))
        }
        _ => {
            if ctx.stdin {
                return None;
            }
            repl_hit("pipe the SQL into it, or use `psql -c`".into())
        }
    }
}

fn debugger(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let batch = match l.name {
        "gdb" => has_word(l.args, "-batch --batch -v"),
        _ => has_word(l.args, "-b --batch -v"),
    };
    if batch || ctx.stdin {
        return None;
    }
    let suggestion = match l.name {
        "gdb" => "`gdb -batch -ex run -ex bt --args PROGRAM ARGS…`",
        _ => "`lldb --batch -o run -o bt -- PROGRAM ARGS…`",
    };
    hit(
        l.name,
        "starts an interactive debugger; the call hangs until it times out",
        suggestion,
    )
}

// ---- full-screen and never-ending programs ---------------------------------------------

fn top(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "dnpuUwoOsEl", "", false);
    if o.has('v') || o.has('h') || o.val('l').is_some() {
        return None;
    }
    let batch = o.has('b');
    if batch && (o.has('n') || ctx.bounded) {
        return None;
    }
    let reason = if batch {
        FOREVER_REASON
    } else {
        "is a full-screen program that needs a terminal; the call hangs until it times out"
    };
    hit("top", reason, "`top -b -n 1` (one snapshot)")
}

fn tui(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if l.name == "iotop" {
        let o = Opts::parse(l.args, "dnpuP", "", false);
        if o.has('b') && (o.has('n') || ctx.bounded) {
            return None;
        }
    }
    let suggestion = match l.name {
        "tig" | "lazygit" | "gitui" => "`git --no-pager log --oneline -n 20` / `git status`",
        "k9s" => "`kubectl get pods -A`",
        "lazydocker" | "ctop" => "`docker ps`",
        "ranger" | "nnn" | "mc" | "vifm" => "`ls -la`",
        "iftop" | "nethogs" | "bmon" => "`ss -tunap` / `ip -s link`",
        "iotop" => "`iotop -b -n 1`",
        "nvtop" => "`nvidia-smi`",
        _ => "`top -b -n 1` or `ps aux --sort=-%cpu | head`",
    };
    hit(
        l.name,
        "is a full-screen program that needs a terminal; the call hangs until it times out",
        suggestion,
    )
}

fn fzf(l: &Layer<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "fq", "filter query", false);
    if o.flag('f', "filter") {
        return None;
    }
    hit(
        "fzf",
        "is an interactive fuzzy finder that needs a terminal",
        "`fzf --filter=QUERY` (non-interactive), or `grep`",
    )
}

fn watch(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(l.args, "nq", "interval", true);
    if ctx.bounded || o.flag('g', "chgexit") || o.flag('v', "version") || o.flag('h', "help") {
        return None;
    }
    let inner: Vec<String> = o.pos.iter().map(|w| quote(w)).collect();
    let inner = if inner.is_empty() {
        "<command>".to_string()
    } else {
        inner.join(" ")
    };
    hit(
        "watch",
        "re-runs its command forever; the call hangs until it times out",
        format!(
            "run it once: `{inner}`, or a bounded loop: `for i in 1 2 3; do {inner}; sleep 2; \
            done`"
        ),
    )
}

fn tail(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = Opts::parse(
        l.args,
        "ncs",
        "lines bytes sleep-interval pid max-unchanged-stats",
        false,
    );
    let follow = o.has('f') || o.has('F') || o.long("follow");
    if !follow {
        return stdin_filter(l, ctx);
    }
    if ctx.bounded || o.long("pid") {
        return None;
    }
    let files: Vec<String> = o.pos.iter().map(|w| quote(w)).collect();
    let files = if files.is_empty() {
        "FILE".to_string()
    } else {
        files.join(" ")
    };
    hit(
        "tail",
        "follows the file forever; the call hangs until it times out",
        format!("`tail -n 100 {files}` (or bound it: `timeout 10 tail -f {files}`)"),
    )
}

/// A short-option cluster among `args` holds `c` (`-f`, `-fu`).
fn short_flag(args: &[Word], c: char) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        t.len() > 1
            && t.starts_with('-')
            && !t.starts_with("--")
            && t[1..].chars().all(|ch| ch.is_ascii_alphabetic())
            && t[1..].contains(c)
    })
}

fn follow_logs(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.bounded {
        return None;
    }
    let follow = match l.name {
        "dmesg" => {
            short_flag(l.args, 'w')
                || short_flag(l.args, 'W')
                || has_word(l.args, "--follow --follow-new")
        }
        _ => {
            short_flag(l.args, 'f')
                || has_word(l.args, "--follow")
                || l.args.iter().any(|w| w.text.starts_with("--follow="))
        }
    };
    if !follow {
        return None;
    }
    let suggestion = match l.name {
        "dmesg" => "`dmesg | tail -n 100`",
        _ => "`journalctl --no-pager -n 200` (add `-u UNIT` as needed)",
    };
    hit(
        l.name,
        "follows the log forever; the call hangs until it times out",
        suggestion,
    )
}

fn containers(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.bounded {
        return None;
    }
    let o = Opts::parse(
        l.args,
        "Hcln",
        "host context log-level config namespace kubeconfig",
        false,
    );
    let subs: Vec<&str> = o.pos.iter().take(3).map(|w| w.text.as_str()).collect();
    let logs = subs.first() == Some(&"logs")
        || subs.len() > 1
            && matches!(subs[0], "compose" | "container" | "service")
            && subs[1] == "logs";
    let follow = short_flag(l.args, 'f') || has_word(l.args, "--follow");
    if logs && follow {
        return hit(
            l.name,
            "follows the logs forever; the call hangs until it times out",
            format!("`{} logs --tail 200 …` without `-f`", l.name),
        );
    }
    if l.name == "kubectl" {
        let watch = has_word(l.args, "-w --watch --watch-only");
        if subs.first() == Some(&"get") && watch
            || matches!(subs.first(), Some(&"port-forward" | &"proxy" | &"attach"))
        {
            return hit(
                "kubectl",
                FOREVER_REASON,
                "`kubectl get …` without `--watch`; start \
                long-running forwards in the background with a timeout",
            );
        }
    } else if subs.first() == Some(&"attach") {
        return hit(
            l.name,
            "attaches to the container's terminal and never returns",
            format!("`{} logs --tail 200 CONTAINER`", l.name),
        );
    }
    None
}

fn ping(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    if ctx.bounded {
        return None;
    }
    let bounded = l.args.iter().any(|w| {
        let t = w.text.as_str();
        t.starts_with("-c")
            || t.starts_with("-w")
            || t.starts_with("--count")
            || t.starts_with("--deadline")
    }) || short_flag(l.args, 'c')
        || short_flag(l.args, 'w')
        || has_word(l.args, "-V -h");
    if bounded {
        return None;
    }
    let host = l
        .args
        .iter()
        .rev()
        .find(|w| !w.text.starts_with('-'))
        .map(quote)
        .unwrap_or_else(|| "HOST".into());
    hit(l.name, FOREVER_REASON, format!("`{} -c 4 {host}`", l.name))
}

fn shell(l: &Layer<'_>, ctx: &Ctx<'_>) -> Option<Interactive> {
    let o = shell_opts(l.args);
    if o.has('c') || o.long("command") || ctx.stdin {
        return None;
    }
    if o.has('s') || o.pos.is_empty() {
        return hit(
            l.name,
            "starts an interactive shell that waits for commands; the call hangs until it times \
             out",
            format!("`{} -c '<commands>'` or `{} script.sh`", l.name, l.name),
        );
    }
    None
}

// ---- rendering suggestions -------------------------------------------------------------

/// A word as it could be typed again.
fn quote(w: &Word) -> String {
    if w.expands {
        let escaped = w.text.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("\"{escaped}\"");
    }
    quote_str(&w.text)
}

fn quote_str(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-~^".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The program and its arguments, as they could be typed again.
fn render(l: &Layer<'_>) -> String {
    let mut out = l.name.to_string();
    for w in l.args {
        out.push(' ');
        out.push_str(&quote(w));
    }
    out
}

/// A whole simple command with its redirections (for the heredoc suggestion).
fn render_cmd(cmd: &Cmd) -> String {
    let mut parts: Vec<String> = cmd.words.iter().map(quote).collect();
    for r in &cmd.redirs {
        if let Some(f) = r.written_file() {
            let op = if matches!(
                r.kind,
                crate::lex::RedirKind::Append | crate::lex::RedirKind::AppendErr
            ) {
                ">>"
            } else {
                ">"
            };
            parts.push(format!("{op} {}", quote_str(f)));
        }
    }
    parts.join(" ")
}
