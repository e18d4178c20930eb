//! Looking through prefixes (`A=1`, `env`, `sudo`, `timeout 10`, `xargs` …) to the command
//! that really runs, and a small getopt for reading any command's arguments.

use crate::lex::Word;

/// A command's arguments, read getopt-style.
#[derive(Debug, Default)]
pub(crate) struct Opts<'a> {
    /// Short options in order, with their argument when the option takes one.
    pub shorts: Vec<(char, Option<&'a str>)>,
    /// Long options (name without `--`) with their `=value` or separate argument.
    pub longs: Vec<(&'a str, Option<&'a str>)>,
    /// Positional arguments.
    pub pos: Vec<&'a Word>,
    /// Index in the arguments where positionals start when parsing stopped at the first one
    /// (`posix`), else the number of arguments.
    pub rest: usize,
}

impl<'a> Opts<'a> {
    /// Reads `args`. `short_arg`: short options taking an argument (attached or next word);
    /// `long_arg`: long options (space-separated) taking a separate argument when not written
    /// `--opt=value`;
    /// `posix`: options end at the first positional (else they may appear anywhere). `--`
    /// always ends options.
    pub(crate) fn parse(
        args: &'a [Word],
        short_arg: &str,
        long_arg: &str,
        posix: bool,
    ) -> Opts<'a> {
        let mut o = Opts {
            rest: args.len(),
            ..Opts::default()
        };
        let mut i = 0;
        while i < args.len() {
            let t = args[i].text.as_str();
            if t == "--" {
                o.pos.extend(&args[i + 1..]);
                o.rest = i + 1;
                return o;
            }
            if let Some(long) = t.strip_prefix("--") {
                match long.split_once('=') {
                    Some((name, val)) => {
                        o.longs.push((name, Some(val)));
                        i += 1;
                    }
                    None if listed(long_arg, long) => {
                        o.longs
                            .push((long, args.get(i + 1).map(|w| w.text.as_str())));
                        i += 2;
                    }
                    None => {
                        o.longs.push((long, None));
                        i += 1;
                    }
                }
                continue;
            }
            if t.len() > 1 && t.starts_with('-') {
                let body = &t[1..];
                let mut skip_next = false;
                for (k, c) in body.char_indices() {
                    if short_arg.contains(c) {
                        let attached = &body[k + c.len_utf8()..];
                        if attached.is_empty() {
                            o.shorts.push((c, args.get(i + 1).map(|w| w.text.as_str())));
                            skip_next = true;
                        } else {
                            o.shorts.push((c, Some(attached)));
                        }
                        break;
                    }
                    o.shorts.push((c, None));
                }
                i += if skip_next { 2 } else { 1 };
                continue;
            }
            if posix {
                o.pos.extend(&args[i..]);
                o.rest = i;
                return o;
            }
            o.pos.push(&args[i]);
            i += 1;
        }
        o
    }

    pub(crate) fn has(&self, c: char) -> bool {
        self.shorts.iter().any(|(s, _)| *s == c)
    }

    pub(crate) fn count(&self, c: char) -> usize {
        self.shorts.iter().filter(|(s, _)| *s == c).count()
    }

    pub(crate) fn val(&self, c: char) -> Option<&'a str> {
        self.shorts.iter().rev().find(|(s, _)| *s == c)?.1
    }

    pub(crate) fn long(&self, name: &str) -> bool {
        self.longs.iter().any(|(n, _)| *n == name)
    }

    pub(crate) fn long_val(&self, name: &str) -> Option<&'a str> {
        self.longs.iter().rev().find(|(n, _)| *n == name)?.1
    }

    /// `-c` or `--name`.
    pub(crate) fn flag(&self, c: char, name: &str) -> bool {
        self.has(c) || self.long(name)
    }

    /// The value of `-c` or `--name`.
    pub(crate) fn value(&self, c: char, name: &str) -> Option<&'a str> {
        self.val(c).or_else(|| self.long_val(name))
    }

    pub(crate) fn pos_text(&self, k: usize) -> Option<&'a str> {
        self.pos.get(k).map(|w| w.text.as_str())
    }
}

/// `name` is one of the space-separated words of `list`.
pub(crate) fn listed(list: &str, name: &str) -> bool {
    list.split_ascii_whitespace().any(|w| w == name)
}

/// Some word of `args` is exactly one of the space-separated words of `any`.
pub(crate) fn has_word(args: &[Word], any: &str) -> bool {
    args.iter().any(|w| listed(any, &w.text))
}

/// One program in a chain of wrappers: its name and its arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer<'a> {
    /// The basename of the program word (`/usr/bin/vim` → `vim`).
    pub name: &'a str,
    pub args: &'a [Word],
    /// Its standard input is `/dev/null` (run by `xargs`).
    pub null_stdin: bool,
}

/// A simple command, looked through its prefixes.
#[derive(Debug, Default)]
pub(crate) struct Resolved<'a> {
    /// Assignments in prefix position and given to `env` / `sudo`: (name, value).
    pub env: Vec<(&'a str, &'a str)>,
    /// Outermost program first; the last is the command that really runs.
    pub layers: Vec<Layer<'a>>,
    /// Run under `timeout`: it ends by itself.
    pub bounded: bool,
}

impl<'a> Resolved<'a> {
    /// The command that really runs.
    pub(crate) fn last(&self) -> Option<&Layer<'a>> {
        self.layers.last()
    }
}

/// The basename of a program word.
pub(crate) fn prog_name(w: &Word) -> &str {
    w.text.rsplit('/').next().unwrap_or("")
}

fn split_assign(text: &str) -> (&str, &str) {
    let (name, value) = text.split_once('=').unwrap_or((text, ""));
    (name.trim_end_matches('+'), value)
}

/// Walks prefixes and wrappers down to the command that runs.
pub(crate) fn resolve(words: &[Word]) -> Resolved<'_> {
    let mut r = Resolved::default();
    let mut k = 0;
    while k < words.len() && words[k].assign {
        r.env.push(split_assign(&words[k].text));
        k += 1;
    }
    let mut null_stdin = false;
    while k < words.len() && r.layers.len() < 16 {
        let name = prog_name(&words[k]);
        let args = &words[k + 1..];
        r.layers.push(Layer {
            name,
            args,
            null_stdin,
        });
        let inner = match name {
            "env" => {
                let o = Opts::parse(args, "uCS", "unset chdir split-string", true);
                let mut j = o.rest;
                while j < args.len() && args[j].text.contains('=') {
                    r.env.push(split_assign(&args[j].text));
                    j += 1;
                }
                Some(j)
            }
            "sudo" | "doas" => {
                let o = sudo_opts(args, name);
                let mut j = o.rest;
                while j < args.len() && args[j].assign {
                    r.env.push(split_assign(&args[j].text));
                    j += 1;
                }
                Some(j)
            }
            "time" => Some(Opts::parse(args, "fo", "format output", true).rest),
            "nohup" | "builtin" | "unbuffer" => Some(Opts::parse(args, "", "", true).rest),
            "nice" => Some(Opts::parse(args, "n", "adjustment", true).rest),
            "ionice" => {
                let o = Opts::parse(args, "cnpPu", "class classdata pid pgid uid", true);
                (!(o.has('p') || o.has('P') || o.has('u'))).then_some(o.rest)
            }
            "timeout" => {
                r.bounded = true;
                let o = Opts::parse(args, "sk", "signal kill-after", true);
                Some(o.rest + 1)
            }
            "exec" => Some(Opts::parse(args, "a", "", true).rest),
            // `uv run CMD`, `poetry run CMD`, `bundle exec CMD`, …
            "uv" | "poetry" | "pipenv" | "pdm" | "bundle" => {
                let verb = if name == "bundle" { "exec" } else { "run" };
                let o = Opts::parse(args, "", "", true);
                if o.pos_text(0) == Some(verb) {
                    let after = o.rest + 1;
                    let o2 = Opts::parse(&args[after.min(args.len())..], "", "with python", true);
                    Some(after + o2.rest)
                } else {
                    None
                }
            }
            "command" => {
                let o = Opts::parse(args, "", "", true);
                (!(o.has('v') || o.has('V'))).then_some(o.rest)
            }
            "stdbuf" => Some(Opts::parse(args, "ioe", "input output error", true).rest),
            "xargs" => {
                let o = xargs_opts(args);
                if !o.flag('o', "open-tty") {
                    null_stdin = true;
                }
                Some(o.rest)
            }
            _ => None,
        };
        match inner {
            Some(off) if off < args.len() => k += 1 + off,
            _ => break,
        }
    }
    r
}

pub(crate) fn sudo_opts<'a>(args: &'a [Word], name: &str) -> Opts<'a> {
    if name == "doas" {
        return Opts::parse(args, "uC", "", true);
    }
    Opts::parse(
        args,
        "ugpCDrtTUR",
        "user group prompt close-from chdir role type command-timeout other-user host chroot",
        true,
    )
}

pub(crate) fn xargs_opts(args: &[Word]) -> Opts<'_> {
    Opts::parse(
        args,
        "aEdILnPs",
        "arg-file eof delimiter replace max-lines max-args max-procs max-chars process-slot-var",
        true,
    )
}

/// Shells that take `-c STRING`.
pub(crate) const SHELLS: &str = "bash sh zsh dash ksh mksh ash fish tcsh csh yash";

pub(crate) fn shell_opts(args: &[Word]) -> Opts<'_> {
    Opts::parse(args, "oO", "rcfile init-file", true)
}

/// The command string a layer runs in a local shell: `bash -c 'STRING'`, `eval 'A' 'B'`.
pub(crate) fn inline_script(layer: &Layer<'_>) -> Option<String> {
    if layer.name == "eval" {
        let parts: Vec<&str> = layer.args.iter().map(|w| w.text.as_str()).collect();
        return Some(parts.join(" "));
    }
    if !listed(SHELLS, layer.name) {
        return None;
    }
    let o = shell_opts(layer.args);
    if let Some(cmd) = o.long_val("command") {
        return Some(cmd.to_string());
    }
    if o.has('c') {
        return o.pos_text(0).map(str::to_string);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Base};

    fn chain(src: &str) -> Vec<String> {
        let cmds = parse(src, 0, Base::default());
        let r = resolve(&cmds[0].words);
        r.layers.iter().map(|l| l.name.to_string()).collect()
    }

    #[test]
    fn wrappers() {
        assert_eq!(
            chain("A=1 env -i B=2 sudo -n -u me nice -n 5 vim f"),
            ["env", "sudo", "nice", "vim"]
        );
        assert_eq!(chain("timeout -s KILL 10 tail -f x"), ["timeout", "tail"]);
        assert_eq!(chain("command -v vim"), ["command"]);
        assert_eq!(chain("xargs -I{} -n 1 rm {}"), ["xargs", "rm"]);
        assert_eq!(chain("/usr/bin/vim"), ["vim"]);
        assert_eq!(chain("EDITOR=vim"), Vec::<String>::new());
    }

    #[test]
    fn getopt() {
        let cmds = parse("x -am msg --file=f --date 1 -- -r", 0, Base::default());
        let o = Opts::parse(&cmds[0].words[1..], "m", "date", false);
        assert_eq!(o.shorts, [('a', None), ('m', Some("msg"))]);
        assert_eq!(o.longs, [("file", Some("f")), ("date", Some("1"))]);
        assert_eq!(o.pos_text(0), Some("-r"));
    }
}
