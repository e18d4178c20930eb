//! `selfheal install` and `selfheal uninstall`: the command-line face of `selfheal-install`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use selfheal_install::backups::Backups;
use selfheal_install::codex_trust::hooks_list;
use selfheal_install::registration::HOOK_BINARIES;
use selfheal_install::{
    apply, plan_install, plan_uninstall, Action, InstallRequest, Locations, Plan, Scope,
};
use selfheal_protocol::Dialect;
pub use selfheal_run::{find_executable, is_executable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Client {
    Claude,
    Codex,
}

impl Client {
    pub fn dialect(self) -> Dialect {
        match self {
            Client::Claude => Dialect::Claude,
            Client::Codex => Dialect::Codex,
        }
    }

    /// Claude Code's hooks usually belong to a project; Codex's to the user (a project's
    /// `.codex/` loads only once the project is trusted).
    fn default_scope(self) -> Result<Scope> {
        Ok(match self {
            Client::Claude => Scope::Project(std::env::current_dir()?),
            Client::Codex => Scope::User,
        })
    }
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// The user's configuration, for every project (the default for codex)
    #[arg(long, conflicts_with = "project")]
    user: bool,
    /// One project's configuration (the default for claude: the current directory)
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

impl ScopeArgs {
    fn scope(&self, client: Client) -> Result<Scope> {
        if self.user {
            return Ok(Scope::User);
        }
        match &self.project {
            Some(dir) if !dir.is_dir() => bail!("--project {}: no such directory", dir.display()),
            Some(dir) => Ok(Scope::Project(dir.canonicalize()?)),
            None => client.default_scope(),
        }
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The client to register the hooks in
    client: Client,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Where the hook binaries are (default: beside this selfheal binary)
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// Print the changes as a diff; write nothing
    #[arg(long)]
    dry_run: bool,
    /// Codex with --project: also mark the project trusted (Codex ignores an untrusted
    /// project's .codex/ directory, hooks included)
    #[arg(long)]
    trust_project: bool,
    /// The codex executable to check the trust with (default: `codex` on PATH; the check is
    /// skipped when there is none)
    #[arg(long, value_name = "PATH")]
    codex: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The client to take the hooks out of (default: both)
    client: Option<Client>,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Print the changes as a diff; write nothing
    #[arg(long)]
    dry_run: bool,
}

/// Where backups of the files install touches go: beside the state database.
pub fn backups() -> Result<Backups> {
    let db = selfheal_state::default_db_path(|k| std::env::var(k).ok())?;
    Ok(Backups::new(
        db.parent().unwrap_or(Path::new(".")).join("backups"),
    ))
}

pub fn locations() -> Result<Locations> {
    Ok(Locations::from_env(|k| std::env::var(k).ok())?)
}

/// The directory of the hook binaries: `--bin-dir`, else the one this binary runs from.
fn bin_dir(given: Option<&Path>) -> Result<PathBuf> {
    let dir = match given {
        Some(dir) => dir
            .canonicalize()
            .with_context(|| format!("--bin-dir {}", dir.display()))?,
        None => std::env::current_exe()?
            .canonicalize()?
            .parent()
            .context("the selfheal binary has no directory")?
            .to_owned(),
    };
    let missing: Vec<&str> = HOOK_BINARIES
        .into_iter()
        .filter(|hook| !is_executable(&dir.join(hook)))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} not found (or not executable) in {}; build them (`cargo install --path .`) or pass \
             --bin-dir DIR where they are",
            missing.join(", "),
            dir.display()
        );
    }
    Ok(dir)
}

/// The first `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    find_executable(Path::new(name), std::env::var("PATH").ok().as_deref())
}

pub fn install(args: &InstallArgs, out: &mut dyn Write) -> Result<()> {
    let scope = args.scope.scope(args.client)?;
    if args.trust_project && !(args.client == Client::Codex && matches!(scope, Scope::Project(_))) {
        bail!("--trust-project applies to `install codex --project DIR` only");
    }
    let request = InstallRequest {
        dialect: args.client.dialect(),
        scope: scope.clone(),
        bindir: bin_dir(args.bin_dir.as_deref())?,
        trust_project: args.trust_project,
    };
    let loc = locations()?;
    let plan = plan_install(&request, &loc)?;
    let changed = show_or_apply(&plan, args.dry_run, out)?;
    if !args.dry_run && !changed {
        writeln!(
            out,
            "selfheal is already installed in {}: nothing to change",
            loc.hooks_file(request.dialect, &scope).display()
        )?;
    }
    for note in &plan.notes {
        writeln!(out, "note: {note}")?;
    }
    if args.client == Client::Codex && !args.dry_run {
        check_codex_trust(&plan, &loc, &scope, args.codex.as_deref(), out)?;
    }
    Ok(())
}

pub fn uninstall(args: &UninstallArgs, out: &mut dyn Write) -> Result<()> {
    let loc = locations()?;
    let backups = backups()?;
    let clients = match args.client {
        Some(c) => vec![c],
        None => vec![Client::Claude, Client::Codex],
    };
    for client in clients {
        let scope = args.scope.scope(client)?;
        let plan = plan_uninstall(client.dialect(), &scope, &loc, &backups)?;
        if !show_or_apply(&plan, args.dry_run, out)? && !args.dry_run {
            writeln!(
                out,
                "no selfheal hooks in {}: nothing to remove",
                loc.hooks_file(client.dialect(), &scope).display()
            )?;
        }
    }
    Ok(())
}

/// Prints the diff (dry run) or applies the plan and says what was written; whether anything
/// changes.
fn show_or_apply(plan: &Plan, dry_run: bool, out: &mut dyn Write) -> Result<bool> {
    if plan.is_noop() {
        if dry_run {
            writeln!(out, "nothing to change")?;
        }
        return Ok(false);
    }
    if dry_run {
        out.write_all(plan.diff().as_bytes())?;
        return Ok(true);
    }
    for applied in apply(plan, &backups()?)? {
        let verb = match applied.action {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Removed => "removed",
        };
        writeln!(
            out,
            "{verb} {} (backup: {})",
            applied.path.display(),
            applied.backup.display()
        )?;
    }
    Ok(true)
}

/// Asks Codex itself whether it trusts each installed hook; an error naming the ones it does
/// not. Skipped, with a note, when there is no codex to ask.
fn check_codex_trust(
    plan: &Plan,
    loc: &Locations,
    scope: &Scope,
    codex: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(codex) = codex.map(Path::to_owned).or_else(|| on_path("codex")) else {
        writeln!(
            out,
            "note: codex is not on PATH, so its own view of the trust was not checked \
             (`selfheal doctor` does once it is)"
        )?;
        return Ok(());
    };
    let cwd = match scope {
        Scope::Project(dir) => dir.clone(),
        Scope::User => std::env::current_dir()?,
    };
    let listed = hooks_list(&codex, Some(&loc.codex_home), &cwd, Duration::from_secs(30))
        .map_err(anyhow::Error::msg)?;
    let mut bad = Vec::new();
    for entry in &plan.trust {
        match listed.iter().find(|h| h.key == entry.key) {
            Some(h) if h.current_hash == entry.hash && h.trust_status == "trusted" => {}
            Some(h) => bad.push(format!(
                "{}: codex says {} with hash {} (selfheal wrote {})",
                entry.key, h.trust_status, h.current_hash, entry.hash
            )),
            None => bad.push(format!("{}: codex does not list it", entry.key)),
        }
    }
    if !bad.is_empty() {
        bail!(
            "codex ({}) does not run these hooks:\n  {}",
            codex.display(),
            bad.join("\n  ")
        );
    }
    writeln!(
        out,
        "✓ codex ({}) trusts all {} selfheal hooks",
        codex.display(),
        plan.trust.len()
    )?;
    Ok(())
}
