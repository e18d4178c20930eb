//! `git [global options] <subcommand> <args>`.

use crate::lex::Word;

/// A git invocation split at its subcommand.
pub(crate) struct GitCall<'a> {
    /// `-c key=value` settings, in order.
    pub config: Vec<(&'a str, &'a str)>,
    /// The subcommand (`commit`), if any.
    pub sub: Option<&'a str>,
    /// The subcommand's arguments.
    pub args: &'a [Word],
}

/// Splits git's arguments (after the program word) at the subcommand.
pub(crate) fn split(args: &[Word]) -> GitCall<'_> {
    let mut config = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        match t {
            "-c" => {
                if let Some(kv) = args.get(i + 1) {
                    let (k, v) = kv
                        .text
                        .split_once('=')
                        .unwrap_or((kv.text.as_str(), "true"));
                    config.push((k, v));
                }
                i += 2;
            }
            "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--super-prefix"
            | "--config-env" | "--list-cmds" | "--attr-source" => i += 2,
            _ if t.starts_with('-') => i += 1,
            _ => break,
        }
    }
    GitCall {
        config,
        sub: args.get(i).map(|w| w.text.as_str()),
        args: args.get(i + 1..).unwrap_or(&[]),
    }
}
