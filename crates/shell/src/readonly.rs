//! Is every command of a line a known read-only one?

use crate::lex::Word;
use crate::parse::{parse, Base, Kind};
use crate::resolve::{has_word, inline_script, listed, resolve, Layer, Opts};
use crate::writes::sed_args;
use crate::{git, MAX_SCRIPT_DEPTH};

/// Wrappers that add nothing but run their inner command.
const TRANSPARENT: &str =
    "env time nice ionice timeout nohup command builtin stdbuf xargs sudo doas exec unbuffer";

/// Always read-only whatever their arguments (their redirections are checked apart).
const PLAIN: &str =
    "ls ll la dir vdir cat head wc grep egrep fgrep rg ag ack pwd echo printf stat \
    file du df which whereis type realpath readlink basename dirname cut tr test [ true false : nl \
    tac rev column diff cmp comm md5sum sha1sum sha256sum sha512sum sha224sum sha384sum cksum \
    b2sum od hexdump strings fold fmt expand unexpand paste join seq whoami id groups uname nproc \
    uptime free ps printenv locale arch tty cd pushd popd dirs lscpu lsblk getconf numfmt base64 \
    base32 zcat bzcat xzcat zgrep look jq gojq env set export declare local let shopt hash pgrep \
    lsof cal w who last ldd nm objdump readelf";

pub(crate) fn check(src: &str, depth: u32) -> bool {
    if depth > MAX_SCRIPT_DEPTH {
        return false;
    }
    let mut any = false;
    for cmd in parse(src, depth, Base::default()) {
        if cmd.kind != Kind::Test && cmd.redirs.iter().any(|r| r.written_file().is_some()) {
            return false;
        }
        if cmd.kind != Kind::Simple {
            continue;
        }
        let r = resolve(&cmd.words);
        let n = r.layers.len();
        for (i, layer) in r.layers.iter().enumerate() {
            if i + 1 < n {
                if !listed(TRANSPARENT, layer.name) {
                    return false;
                }
                continue;
            }
            if let Some(script) = inline_script(layer) {
                if !check(&script, depth + 1) {
                    return false;
                }
            } else if !read_only(layer) {
                return false;
            }
            any = true;
        }
    }
    any
}

fn read_only(l: &Layer<'_>) -> bool {
    let args = l.args;
    let name = l.name;
    if args.len() == 1 && matches!(args[0].text.as_str(), "--version" | "--help") {
        return true;
    }
    if listed(PLAIN, name) {
        return true;
    }
    match name {
        "tail" => {
            let o = Opts::parse(args, "ncs", "lines bytes pid sleep-interval", false);
            !(o.has('f') || o.has('F') || o.long("follow"))
        }
        "find" => !has_word(
            args,
            "-delete -exec -execdir -ok -okdir -fprint -fprint0 -fprintf -fls",
        ),
        "fd" | "fdfind" => {
            let o = Opts::parse(
                args,
                "etdEcjxX",
                "extension type max-depth exclude exec exec-batch",
                false,
            );
            !(o.flag('x', "exec") || o.flag('X', "exec-batch"))
        }
        "tree" => !args
            .iter()
            .any(|w| w.text == "-o" || w.text.starts_with("-o")),
        "hostname" => args.iter().all(|w| w.text.starts_with('-')),
        "date" => {
            let o = Opts::parse(args, "dfrs", "date file reference set", false);
            !o.flag('s', "set") && o.pos.iter().all(|w| w.text.starts_with('+'))
        }
        "uniq" => Opts::parse(args, "fsw", "", false).pos.len() <= 1,
        // `sort -o FILE` is a write target, which `is_read_only` checks apart.
        "sort" => true,
        "xxd" => Opts::parse(args, "cglnos", "", false).pos.len() <= 1,
        "yq" => !args.iter().any(|w| {
            w.text == "-i"
                || w.text == "--inplace"
                || w.text.starts_with("-i") && !w.text.starts_with("--")
        }),
        "sed" => {
            let s = sed_args(args);
            !s.in_place
                && !s.script_file
                && !s.scripts.is_empty()
                && s.scripts.iter().all(|sc| sed_script_read_only(sc))
        }
        "awk" | "gawk" | "mawk" | "nawk" => {
            let o = Opts::parse(args, "fvF", "file assign field-separator", false);
            !o.flag('f', "file")
                && o.pos_text(0).is_some_and(|p| {
                    !p.contains("system")
                        && !p.contains('>')
                        && !p.contains('|')
                        && !p.contains("close(")
                })
        }
        "git" => git_read_only(args),
        "command" => {
            let o = Opts::parse(args, "", "", true);
            o.has('v') || o.has('V')
        }
        "xargs" => true, // with no command it runs `echo`
        _ => false,
    }
}

fn git_read_only(args: &[Word]) -> bool {
    let g = git::split(args);
    let Some(sub) = g.sub else {
        return true; // `git --version`, `git --help`
    };
    let args = g.args;
    let writes_output = args
        .iter()
        .any(|w| w.text == "--output" || w.text.starts_with("--output="));
    match sub {
        "status" | "log" | "show" | "diff" | "rev-parse" | "ls-files" | "ls-tree" | "blame"
        | "annotate" | "describe" | "shortlog" | "grep" | "cat-file" | "show-ref"
        | "merge-base" | "for-each-ref" | "rev-list" | "name-rev" | "whatchanged"
        | "count-objects" | "show-branch" | "cherry" | "var" | "check-ignore" | "check-attr"
        | "version" | "diff-tree" | "diff-files" | "diff-index" | "range-diff" => !writes_output,
        "branch" => {
            let o = Opts::parse(
                args,
                "u",
                "set-upstream-to contains no-contains merged no-merged points-at sort format",
                false,
            );
            let modifies = ['d', 'D', 'm', 'M', 'c', 'C', 'u', 'f']
                .iter()
                .any(|c| o.has(*c))
                || [
                    "delete",
                    "move",
                    "copy",
                    "set-upstream-to",
                    "unset-upstream",
                    "edit-description",
                    "force",
                    "create-reflog",
                    "track",
                ]
                .iter()
                .any(|n| o.long(n));
            let lists = o.has('l')
                || o.has('a')
                || o.has('r')
                || [
                    "list",
                    "all",
                    "remotes",
                    "show-current",
                    "contains",
                    "no-contains",
                    "merged",
                    "no-merged",
                    "points-at",
                ]
                .iter()
                .any(|n| o.long(n));
            !modifies && (o.pos.is_empty() || lists)
        }
        "remote" => {
            let o = Opts::parse(args, "", "", false);
            match o.pos_text(0) {
                None => true,
                Some(s) => matches!(s, "show" | "get-url"),
            }
        }
        "tag" => {
            let o = Opts::parse(args, "", "contains sort format points-at", false);
            !o.flag('d', "delete") && (o.pos.is_empty() || o.flag('l', "list"))
        }
        "stash" => matches!(args.first().map(|w| w.text.as_str()), Some("list" | "show")),
        "worktree" => args.first().is_some_and(|w| w.text == "list"),
        "submodule" => args.first().is_some_and(|w| w.text == "status"),
        "reflog" => matches!(args.first().map(|w| w.text.as_str()), None | Some("show")),
        "config" => {
            let getter = "--get --get-all --get-regexp --list -l --show-origin --get-urlmatch";
            let setter = "--unset --unset-all --add --replace-all --rename-section \
                --remove-section -e --edit";
            if has_word(args, setter) {
                return false;
            }
            let o = Opts::parse(args, "f", "file blob type default", false);
            has_word(args, getter)
                || matches!(o.pos_text(0), Some("get" | "list"))
                || o.pos.len() == 1
        }
        _ => false,
    }
}

/// A sed script that prints or transforms, and neither writes files (`w`, `s///w`) nor runs
/// commands (`e`, `s///e`).
pub(crate) fn sed_script_read_only(script: &str) -> bool {
    let b = script.as_bytes();
    let n = b.len();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < n && matches!(b[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    // Index after the part that ends at an unescaped `delim`.
    let part = |mut i: usize, delim: u8| -> usize {
        while i < n && b[i] != delim {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        (i + 1).min(n + 1)
    };
    let to_eol = |mut i: usize| -> usize {
        while i < n && b[i] != b'\n' {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        i
    };
    loop {
        while i < n && matches!(b[i], b' ' | b'\t' | b'\n' | b';') {
            i += 1;
        }
        if i >= n {
            return true;
        }
        // Addresses.
        loop {
            skip_ws(&mut i);
            if i >= n {
                return true;
            }
            match b[i] {
                b'0'..=b'9' | b'+' | b'~' => {
                    i += 1;
                    while i < n && (b[i].is_ascii_digit() || b[i] == b'~') {
                        i += 1;
                    }
                }
                b'$' => i += 1,
                b'/' => {
                    i = part(i + 1, b'/');
                    while i < n && matches!(b[i], b'I' | b'M') {
                        i += 1;
                    }
                }
                b'\\' if i + 1 < n => {
                    i = part(i + 2, b[i + 1]);
                }
                _ => {}
            }
            skip_ws(&mut i);
            if i < n && b[i] == b',' {
                i += 1;
                continue;
            }
            break;
        }
        skip_ws(&mut i);
        while i < n && b[i] == b'!' {
            i += 1;
            skip_ws(&mut i);
        }
        if i >= n {
            return true;
        }
        let cmd = b[i];
        i += 1;
        match cmd {
            b'{' | b'}' | b'=' | b'd' | b'D' | b'g' | b'G' | b'h' | b'H' | b'x' | b'n' | b'N'
            | b'p' | b'P' | b'z' | b'F' | b'l' | b'q' | b'Q' | b'L' => {
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            b':' | b'b' | b't' | b'T' => {
                while i < n && b[i] != b';' && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'a' | b'i' | b'c' | b'r' | b'R' | b'#' => i = to_eol(i),
            b's' => {
                if i >= n {
                    return false;
                }
                let delim = b[i];
                if delim == b'\\' || delim == b'\n' {
                    return false;
                }
                i = part(i + 1, delim);
                i = part(i, delim);
                while i < n && !matches!(b[i], b';' | b'\n' | b'}' | b' ' | b'\t') {
                    match b[i] {
                        b'w' | b'W' | b'e' => return false,
                        b'g' | b'p' | b'i' | b'I' | b'm' | b'M' | b'0'..=b'9' => i += 1,
                        _ => return false,
                    }
                }
            }
            b'y' => {
                if i >= n {
                    return false;
                }
                let delim = b[i];
                i = part(i + 1, delim);
                i = part(i, delim);
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sed_script_read_only as ro;

    #[test]
    fn sed_scripts() {
        for s in [
            "1,200p",
            "/foo/,/bar/p",
            "s/a/b/g",
            "$!N;P;D",
            "10q",
            "/^#/d; s|x|y|2",
            "y/abc/xyz/",
            "2i\\\nhello",
            "/x/{p;q}",
        ] {
            assert!(ro(s), "{s}");
        }
        for s in ["w out", "s/a/b/w out", "1e date", "s/a/b/e", "/x/W log"] {
            assert!(!ro(s), "{s}");
        }
    }
}
