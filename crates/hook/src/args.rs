use selfheal_protocol::Dialect;

/// A hook's command line: `--dialect claude|codex` and nothing else that matters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub dialect: Option<Dialect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsOutcome {
    Run(Args),
    Help,
    Version,
}

/// Hand-rolled rather than clap: a hook must never exit 2 on a bad flag (Claude reads exit 2 as
/// "block"), and the start-up cost stays minimal. Problems are returned as warnings; the hook
/// runs anyway, detecting the dialect itself.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> (ArgsOutcome, Vec<String>) {
    let mut parsed = Args::default();
    let mut warnings = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return (ArgsOutcome::Help, warnings),
            "-V" | "--version" => return (ArgsOutcome::Version, warnings),
            "--dialect" => args.next(),
            other => match other.strip_prefix("--dialect=") {
                Some(v) => Some(v.to_owned()),
                None => {
                    warnings.push(format!("ignoring unknown argument '{other}'"));
                    continue;
                }
            },
        };
        match value.as_deref().map(str::parse::<Dialect>) {
            Some(Ok(d)) => parsed.dialect = Some(d),
            Some(Err(e)) => warnings.push(format!("{e}; detecting it from the payload")),
            None => warnings.push("--dialect needs a value (claude or codex)".to_owned()),
        }
    }
    (ArgsOutcome::Run(parsed), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> (ArgsOutcome, Vec<String>) {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn dialect_flag_both_spellings() {
        let want = ArgsOutcome::Run(Args {
            dialect: Some(Dialect::Codex),
        });
        assert_eq!(parse(&["--dialect", "codex"]), (want.clone(), vec![]));
        assert_eq!(parse(&["--dialect=codex"]), (want, vec![]));
    }

    #[test]
    fn bad_arguments_warn_and_run_anyway() {
        let (outcome, warnings) = parse(&["--dialect", "gemini", "--frobnicate"]);
        assert_eq!(outcome, ArgsOutcome::Run(Args::default()));
        assert_eq!(warnings.len(), 2);
        let (outcome, warnings) = parse(&["--dialect"]);
        assert_eq!(outcome, ArgsOutcome::Run(Args::default()));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&["--help"]).0, ArgsOutcome::Help);
        assert_eq!(parse(&["-V"]).0, ArgsOutcome::Version);
    }
}
