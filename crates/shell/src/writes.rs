//! Which paths a command line would write or delete, and which it writes from a heredoc.

use std::collections::HashSet;

use crate::lex::Word;
use crate::parse::{parse, Base, Cmd, Kind};
use crate::resolve::{inline_script, listed, resolve, Layer, Opts};
use crate::{git, WriteTarget, MAX_SCRIPT_DEPTH};

/// Write targets in order, without duplicates.
#[derive(Default)]
pub(crate) struct Targets {
    pub list: Vec<WriteTarget>,
    seen: HashSet<(String, &'static str)>,
}

pub(crate) fn collect(src: &str, depth: u32, out: &mut Targets) {
    if depth > MAX_SCRIPT_DEPTH {
        return;
    }
    for cmd in parse(src, depth, Base::default()) {
        if cmd.kind != Kind::Test {
            for r in &cmd.redirs {
                if let Some(f) = r.written_file() {
                    push(out, f, "redirect");
                }
            }
        }
        if cmd.kind != Kind::Simple {
            continue;
        }
        let r = resolve(&cmd.words);
        for layer in &r.layers {
            if let Some(script) = inline_script(layer) {
                collect(&script, depth + 1, out);
            }
        }
        if let Some(last) = r.last() {
            command_writes(last, out);
        }
    }
}

fn push(out: &mut Targets, path: &str, via: &'static str) {
    if path.is_empty() || crate::lex::is_device(path) {
        return;
    }
    if out.seen.insert((path.to_string(), via)) {
        out.list.push(WriteTarget {
            path: path.to_string(),
            via,
        });
    }
}

fn push_all<'a>(out: &mut Targets, words: impl IntoIterator<Item = &'a Word>, via: &'static str) {
    for w in words {
        push(out, &w.text, via);
    }
}

/// Programs that change the files they are given (for `find -exec`).
const WRITERS: &str =
    "rm rmdir unlink shred mv cp sed perl chmod chown chgrp truncate touch mkdir ln tee dd install";

fn command_writes(l: &Layer<'_>, out: &mut Targets) {
    let args = l.args;
    match l.name {
        "tee" => {
            let o = Opts::parse(args, "", "", false);
            push_all(out, o.pos.iter().copied().filter(|w| w.text != "-"), "tee");
        }
        "sed" => {
            let s = sed_args(args);
            if s.in_place {
                push_all(out, s.files, "sed -i");
            }
        }
        "perl" => {
            let p = perl_args(args);
            if p.in_place {
                push_all(out, p.files, "perl -i");
            }
        }
        "rm" => push_all(out, Opts::parse(args, "", "", false).pos, "rm"),
        "rmdir" => push_all(out, Opts::parse(args, "", "", false).pos, "rmdir"),
        "unlink" => push_all(out, Opts::parse(args, "", "", false).pos, "unlink"),
        "shred" => push_all(
            out,
            Opts::parse(args, "ns", "iterations size", false).pos,
            "shred",
        ),
        "mv" => {
            let o = Opts::parse(args, "tS", "target-directory suffix", false);
            push_all(out, o.pos.iter().copied(), "mv");
            if let Some(t) = o.value('t', "target-directory") {
                push(out, t, "mv");
            }
        }
        "cp" | "install" => {
            let short_arg = if l.name == "cp" { "tS" } else { "mogStZ" };
            let long_arg = "target-directory suffix mode owner group context";
            let o = Opts::parse(args, short_arg, long_arg, false);
            let via = if l.name == "cp" { "cp" } else { "install" };
            if l.name == "install" && o.flag('d', "directory") {
                push_all(out, o.pos.iter().copied(), via);
            } else if let Some(t) = o.value('t', "target-directory") {
                push(out, t, via);
            } else if o.pos.len() >= 2 {
                if let Some(last) = o.pos.last() {
                    push(out, &last.text, via);
                }
            }
        }
        "ln" => {
            let o = Opts::parse(args, "tS", "target-directory suffix", false);
            if let Some(t) = o.value('t', "target-directory") {
                push(out, t, "ln");
            } else if o.pos.len() >= 2 {
                if let Some(last) = o.pos.last() {
                    push(out, &last.text, "ln");
                }
            } else if let Some(src) = o.pos.first() {
                let base = src
                    .text
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                push(out, base, "ln");
            }
        }
        "touch" => push_all(
            out,
            Opts::parse(args, "dtr", "date reference", false).pos,
            "touch",
        ),
        "mkdir" => push_all(
            out,
            Opts::parse(args, "mZ", "mode context", false).pos,
            "mkdir",
        ),
        "truncate" => push_all(
            out,
            Opts::parse(args, "sr", "size reference", false).pos,
            "truncate",
        ),
        "dd" => {
            for w in args {
                if let Some(f) = w.text.strip_prefix("of=") {
                    push(out, f, "dd");
                }
            }
        }
        "chmod" => {
            let mut reference = false;
            let mut operands = Vec::new();
            let mut options_done = false;
            for w in args {
                let t = w.text.as_str();
                if !options_done && t == "--" {
                    options_done = true;
                } else if !options_done && t.starts_with("--") {
                    reference |= t.starts_with("--reference");
                } else if !options_done
                    && t.len() > 1
                    && t.starts_with('-')
                    && t[1..].chars().all(|c| "RvcfHLP".contains(c))
                {
                } else {
                    operands.push(w);
                }
            }
            let skip = usize::from(!reference);
            push_all(out, operands.into_iter().skip(skip), "chmod");
        }
        "chown" | "chgrp" => {
            let o = Opts::parse(args, "", "", false);
            let skip = usize::from(!o.long("reference"));
            let via = if l.name == "chown" { "chown" } else { "chgrp" };
            push_all(out, o.pos.iter().copied().skip(skip), via);
        }
        "git" => git_writes(args, out),
        "curl" => {
            let o = Opts::parse(
                args,
                "AbcCdDeEFHKmorTuUwxXyYzPQt",
                "output user-agent header data request url config cookie cookie-jar form proxy \
                    user max-time connect-timeout write-out referer retry output-dir cert key \
                    cacert",
                false,
            );
            for (c, v) in &o.shorts {
                if *c == 'o' {
                    push(out, v.unwrap_or(""), "curl -o");
                }
            }
            for (n, v) in &o.longs {
                if *n == "output" {
                    push(out, v.unwrap_or(""), "curl -o");
                }
            }
        }
        "wget" => {
            let o = Opts::parse(
                args,
                "OoaPeUTtwQlADRIXiB",
                "output-document output-file append-output directory-prefix execute user-agent \
                    timeout tries wait header",
                false,
            );
            if let Some(f) = o.value('O', "output-document") {
                if f != "-" {
                    push(out, f, "wget -O");
                }
            }
        }
        "sort" => {
            let o = Opts::parse(
                args,
                "kotST",
                "key output field-separator buffer-size temporary-directory",
                false,
            );
            if let Some(f) = o.value('o', "output") {
                push(out, f, "sort -o");
            }
        }
        "find" => find_writes(args, out),
        "rsync" => {
            let o = Opts::parse(
                args,
                "eBfT",
                "exclude include exclude-from include-from filter rsh rsync-path partial-dir \
                    temp-dir compare-dest copy-dest link-dest backup-dir suffix chmod chown \
                    log-file password-file files-from timeout bwlimit max-size min-size out-format",
                false,
            );
            if o.pos.len() >= 2 {
                if let Some(dst) = o.pos.last() {
                    let remote = dst
                        .text
                        .split_once(':')
                        .is_some_and(|(h, _)| !h.is_empty() && !h.contains('/'));
                    if !remote {
                        push(out, &dst.text, "rsync");
                    }
                }
            }
        }
        _ => {}
    }
}

fn git_writes(args: &[Word], out: &mut Targets) {
    let g = git::split(args);
    let args = g.args;
    match g.sub {
        Some("checkout") => {
            if let Some(dd) = args.iter().position(|w| w.text == "--") {
                push_all(out, &args[dd + 1..], "git checkout");
            } else {
                let o = Opts::parse(args, "bB", "", false);
                if o.pos.len() == 1 && o.pos[0].text == "." {
                    push(out, ".", "git checkout");
                }
            }
        }
        Some("restore") => {
            let o = Opts::parse(args, "s", "source pathspec-from-file", false);
            if o.flag('S', "staged") && !o.flag('W', "worktree") {
                return;
            }
            push_all(out, o.pos.iter().copied(), "git restore");
        }
        Some("rm") => {
            let o = Opts::parse(args, "", "pathspec-from-file", false);
            if o.long("cached") || o.flag('n', "dry-run") {
                return;
            }
            push_all(out, o.pos.iter().copied(), "git rm");
        }
        Some("mv") => {
            let o = Opts::parse(args, "", "", false);
            if o.flag('n', "dry-run") {
                return;
            }
            push_all(out, o.pos.iter().copied(), "git mv");
        }
        Some("clean") => {
            let o = Opts::parse(args, "e", "exclude", false);
            if o.flag('n', "dry-run") || !o.flag('f', "force") {
                return;
            }
            if o.pos.is_empty() {
                push(out, ".", "git clean");
            } else {
                push_all(out, o.pos.iter().copied(), "git clean");
            }
        }
        _ => {}
    }
}

fn find_writes(args: &[Word], out: &mut Targets) {
    let mut i = 0;
    // Leading options: -H -L -P -D debugopts -Olevel.
    while i < args.len() {
        match args[i].text.as_str() {
            "-H" | "-L" | "-P" => i += 1,
            "-D" => i += 2,
            t if t.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    let start = i;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t.starts_with('-') || t == "(" || t == "!" || t == ")" {
            break;
        }
        i += 1;
    }
    let roots: Vec<&str> = if i > start {
        args[start..i].iter().map(|w| w.text.as_str()).collect()
    } else {
        vec!["."]
    };
    let expr = &args[i.min(args.len())..];
    let mut delete = false;
    let mut exec = false;
    for (j, w) in expr.iter().enumerate() {
        match w.text.as_str() {
            "-delete" => delete = true,
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let mut cmd = expr[j + 1..]
                    .iter()
                    .take_while(|w| w.text != ";" && w.text != "+");
                let mut prog = cmd.next().map(crate::resolve::prog_name).unwrap_or("");
                if prog == "sudo" {
                    prog = cmd.next().map(crate::resolve::prog_name).unwrap_or("");
                }
                let mut in_place =
                    || cmd.any(|w| w.text.starts_with("-i") || w.text.starts_with("--in-place"));
                exec |= listed(WRITERS, prog) && (!matches!(prog, "sed" | "perl") || in_place());
            }
            "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                if let Some(f) = expr.get(j + 1) {
                    push(out, &f.text, "find -fprint");
                }
            }
            _ => {}
        }
    }
    for (flag, via) in [(delete, "find -delete"), (exec, "find -exec")] {
        if flag {
            for r in &roots {
                push(out, r, via);
            }
        }
    }
}

/// `sed`'s arguments.
pub(crate) struct SedArgs<'a> {
    pub in_place: bool,
    /// Scripts given inline (`-e`, or the first operand).
    pub scripts: Vec<&'a str>,
    /// A script comes from a file (`-f`): its content is unknown.
    pub script_file: bool,
    pub files: Vec<&'a Word>,
}

pub(crate) fn sed_args(args: &[Word]) -> SedArgs<'_> {
    let mut s = SedArgs {
        in_place: false,
        scripts: Vec::new(),
        script_file: false,
        files: Vec::new(),
    };
    let mut operands: Vec<&Word> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        i += 1;
        if t == "--" {
            operands.extend(&args[i..]);
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            match name {
                "in-place" => s.in_place = true,
                "expression" => {
                    let v = val.or_else(|| args.get(i).map(|w| w.text.as_str()));
                    if val.is_none() {
                        i += 1;
                    }
                    s.scripts.extend(v);
                }
                "file" => {
                    if val.is_none() {
                        i += 1;
                    }
                    s.script_file = true;
                }
                "line-length" if val.is_none() => i += 1,
                _ => {}
            }
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            let body = &t[1..];
            for (k, c) in body.char_indices() {
                let rest = &body[k + c.len_utf8()..];
                match c {
                    'i' => {
                        s.in_place = true;
                        // BSD: `-i ''` (an empty suffix as its own word).
                        if rest.is_empty() && args.get(i).is_some_and(|w| w.text.is_empty()) {
                            i += 1;
                        }
                        break;
                    }
                    'e' | 'f' | 'l' => {
                        let v = if rest.is_empty() {
                            i += 1;
                            args.get(i - 1).map(|w| w.text.as_str())
                        } else {
                            Some(rest)
                        };
                        match c {
                            'e' => s.scripts.extend(v),
                            'f' => s.script_file = true,
                            _ => {}
                        }
                        break;
                    }
                    _ => {}
                }
            }
            continue;
        }
        operands.push(&args[i - 1]);
    }
    let mut operands = operands.into_iter();
    if s.scripts.is_empty() && !s.script_file {
        if let Some(script) = operands.next() {
            s.scripts.push(script.text.as_str());
        }
    }
    s.files = operands.collect();
    s
}

/// `perl`'s arguments, for `-i`.
pub(crate) struct PerlArgs<'a> {
    pub in_place: bool,
    pub files: Vec<&'a Word>,
}

pub(crate) fn perl_args(args: &[Word]) -> PerlArgs<'_> {
    let mut in_place = false;
    let mut code = false;
    let mut i = 0;
    let mut operands: &[Word] = &[];
    while i < args.len() {
        let t = args[i].text.as_str();
        i += 1;
        if t == "--" {
            operands = &args[i..];
            break;
        }
        if t.len() > 1 && t.starts_with('-') {
            let body = &t[1..];
            for (k, c) in body.char_indices() {
                let rest = &body[k + c.len_utf8()..];
                match c {
                    'i' => {
                        in_place = true;
                        break;
                    }
                    'e' | 'E' => {
                        code = true;
                        if rest.is_empty() {
                            i += 1;
                        }
                        break;
                    }
                    'I' => {
                        if rest.is_empty() {
                            i += 1;
                        }
                        break;
                    }
                    'M' | 'm' | 'x' => break,
                    _ => {}
                }
            }
            continue;
        }
        operands = &args[i - 1..];
        break;
    }
    let skip = usize::from(!code);
    PerlArgs {
        in_place,
        files: operands.iter().skip(skip).collect(),
    }
}

pub(crate) fn heredoc_collect(src: &str, depth: u32, out: &mut Targets) {
    if depth > MAX_SCRIPT_DEPTH {
        return;
    }
    let cmds = parse(src, depth, Base::default());
    for cmd in &cmds {
        if cmd.kind != Kind::Simple {
            continue;
        }
        let r = resolve(&cmd.words);
        for layer in &r.layers {
            if let Some(script) = inline_script(layer) {
                heredoc_collect(&script, depth + 1, out);
            }
        }
        let Some(last) = r.last() else { continue };
        let fed_by_heredoc_cat = cmd
            .upstream
            .and_then(|up| cmds.get(up))
            .is_some_and(|up| up.heredoc && is_plain_cat(up));
        if cmd.heredoc && last.name == "cat" && is_plain_cat(cmd) {
            for r in &cmd.redirs {
                if let Some(f) = r.written_file() {
                    add(out, f);
                }
            }
        }
        if last.name == "tee" && (cmd.heredoc || fed_by_heredoc_cat) {
            let o = Opts::parse(last.args, "", "", false);
            for w in o.pos {
                if w.text != "-" {
                    add(out, &w.text);
                }
            }
        }
    }
}

/// `cat` with no file operands (so it copies its standard input).
fn is_plain_cat(cmd: &Cmd) -> bool {
    let r = resolve(&cmd.words);
    r.last().is_some_and(|l| {
        l.name == "cat"
            && Opts::parse(l.args, "", "", false)
                .pos
                .iter()
                .all(|w| w.text == "-")
    })
}

fn add(out: &mut Targets, path: &str) {
    push(out, path, "heredoc");
}
