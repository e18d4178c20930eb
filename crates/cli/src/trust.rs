//! `selfheal trust [DIR]`: let a project's `.selfheal.toml` make selfheal run its commands, as
//! the file is now (`selfheal_config::trust`). `--revoke` takes that back.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use selfheal_config::{trust, Config, ConfigFiles};

#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    /// The project: its `.selfheal.toml`, or a directory in it (default: the current one),
    /// found as the hooks find it (up to the git root)
    pub path: Option<PathBuf>,
    /// Take the trust back: the file's commands no longer run
    #[arg(long)]
    pub revoke: bool,
}

pub fn run(args: &TrustArgs, out: &mut dyn Write) -> Result<()> {
    let env = |k: &str| std::env::var(k).ok();
    let start = match &args.path {
        Some(p) => p.clone(),
        None => std::env::current_dir().context("the current directory")?,
    };
    let (dir, named) = if start.is_file() {
        (
            start.parent().unwrap_or(Path::new(".")).to_path_buf(),
            Some(start.clone()),
        )
    } else {
        (start.clone(), None)
    };
    let files = ConfigFiles::discover(None, Some(&dir), env);
    let Some(project) = named.or(files.project.clone()) else {
        bail!(
            "no .selfheal.toml in {} or above it up to its git root",
            dir.display()
        );
    };
    let Some(trust_file) = files.trust.clone() else {
        bail!("no config directory to keep the trust in: HOME and XDG_CONFIG_HOME are unset");
    };
    if args.revoke {
        let was = trust::revoke(&trust_file, &project)?;
        let what = if was {
            "no longer trusted"
        } else {
            "was not trusted"
        };
        writeln!(
            out,
            "{}: {what}; its commands do not run",
            project.display()
        )?;
        return Ok(());
    }
    // The bytes shown are the bytes trusted; a file with errors is not trusted.
    let text = std::fs::read_to_string(&project)
        .with_context(|| format!("cannot read {}", project.display()))?;
    let name = project.display().to_string();
    let config =
        Config::from_sources(&[(&name, &text)]).context("not trusted: fix the file first")?;
    let digest = trust::trust(&trust_file, &project, text.as_bytes())?;
    writeln!(
        out,
        "{}: trusted as it is now ({}); any edit takes the trust back",
        project.display(),
        &digest[..7 + 12]
    )?;
    let [verify, escalate, checks] = trust::COMMAND_KEYS;
    let mut runs = Vec::new();
    for argv in &config.verify_commands {
        runs.push(format!("{verify}: {}", argv.join(" ")));
    }
    if let Some(argv) = &config.escalate_command {
        runs.push(format!("{escalate}: {}", argv.join(" ")));
    }
    for check in &config.patch_checks {
        runs.push(format!(
            "{checks} {}: {}",
            check.globs.join(", "),
            check.command.join(" ")
        ));
    }
    if runs.is_empty() {
        writeln!(out, "it runs no command now")?;
    } else {
        writeln!(out, "selfheal will run:")?;
        for line in runs {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}
