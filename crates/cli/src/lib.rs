//! `selfheal`, the command users live in.

mod doctor;
mod eval;
mod events;
mod install;
mod report;
mod status;
mod trust;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use selfheal_state::{default_db_path, SessionKey, SessionRow, Store};

#[derive(Debug, Parser)]
#[command(
    name = "selfheal",
    version,
    about = "Self-healing hooks for Codex CLI and Claude Code: see what they did",
    long_about = "Self-healing hooks for Codex CLI and Claude Code.\n\n\
        The hook binaries (schema-guard, failure-classifier, patch-verifier, budget-check) record \
        every event they act on in one SQLite database ($SELFHEAL_DB, else \
        $XDG_STATE_HOME/selfheal/state.db, else ~/.local/state/selfheal/state.db). \
        This command reads it."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Register the hooks in Claude Code or Codex CLI (merged into the existing settings;
    /// a backup of each file touched; Codex: trusted, and checked with codex itself)
    Install(install::InstallArgs),
    /// Take out exactly what `install` added
    Uninstall(install::UninstallArgs),
    /// Check that the suite is installed, configured and working: one line per check, the
    /// fix for each that fails, exit 1 if any does
    Doctor(doctor::DoctorArgs),
    /// The events recorded for a session, oldest first
    Events {
        /// The session id (as the client reports it)
        #[arg(long)]
        session: String,
        /// One JSON object a line instead of a table
        #[arg(long)]
        json: bool,
        /// At most this many of the most recent events
        #[arg(long, default_value_t = 10_000)]
        limit: u32,
    },
    /// Budgets used/limit and failures per class for a session, or the recent sessions
    Status {
        /// One session; without it, the sessions seen in the last 7 days
        #[arg(long)]
        session: Option<String>,
        /// JSON instead of a table
        #[arg(long)]
        json: bool,
        /// Colour the table: auto (a terminal, NO_COLOR unset), always, never
        #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
        color: report::ColorChoice,
    },
    /// Sessions, tool calls, events per class, actions taken, budgets used/limit and
    /// escalations, as tables, JSON (--json) or an HTML page with timelines (--html FILE)
    Report(report::ReportArgs),
    /// Remove sessions not seen for a while, with everything recorded about them
    Gc(report::GcArgs),
    /// Every recorded event as JSON Lines (one object per event, every column), for jq
    Export(report::ExportArgs),
    /// Forget everything recorded about a session (events, budgets, files seen)
    Reset {
        #[arg(long)]
        session: String,
    },
    /// Replay labelled cases (shared/corpus format) through the hooks and score the
    /// classifier: per-class precision and recall, confusion matrix, macro-F1
    Eval {
        /// A directory of case files (*.json)
        dir: std::path::PathBuf,
        /// One JSON object instead of tables
        #[arg(long)]
        json: bool,
        /// List every misclassified case with its evidence
        #[arg(long, short)]
        verbose: bool,
    },
    /// Let a project's .selfheal.toml make selfheal run its commands ([verify], [escalate],
    /// [[patch.checks]]), as the file is now: until then, and after any edit, they do not run
    Trust(trust::TrustArgs),
    /// Supervise an unattended agent job: launch `claude -p` / `codex exec` with the hooks,
    /// kill it when silent, verify the goal, retry by failure mode, escalate (exit 0 = done)
    Run(selfheal_supervise::Args),
}

/// Runs the command; errors are printed as one `selfheal: error: …` line and exit 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(cli, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`selfheal events … | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("selfheal: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    // Eval uses scratch databases of its own, never the user's.
    if let Command::Eval { dir, json, verbose } = &cli.command {
        return eval::run(dir, *json, *verbose, out);
    }
    match &cli.command {
        Command::Install(args) => return install::install(args, out),
        Command::Uninstall(args) => return install::uninstall(args, out),
        Command::Doctor(args) => return doctor::run(args, out),
        Command::Trust(args) => return trust::run(args, out),
        _ => {}
    }
    // These never create the database: a missing one is an error.
    match &cli.command {
        Command::Report(args) => return report::report(args, out),
        Command::Gc(args) => return report::gc(args, out),
        Command::Export(args) => return report::export(args, out),
        _ => {}
    }
    let mut store = open_store()?;
    match cli.command {
        Command::Events {
            session,
            json,
            limit,
        } => events::print(&mut store, &session, json, limit, out),
        Command::Status {
            session,
            json,
            color,
        } => status::print(&mut store, session.as_deref(), json, color.style(), out),
        Command::Report(_) | Command::Gc(_) | Command::Export(_) => unreachable!("handled above"),
        Command::Reset { session } => reset(&mut store, &session, out),
        Command::Run(args) => selfheal_supervise::run_exit(args),
        Command::Eval { .. }
        | Command::Install(_)
        | Command::Uninstall(_)
        | Command::Doctor(_)
        | Command::Trust(_) => unreachable!("handled above"),
    }
}

fn open_store() -> Result<Store> {
    let path = default_db_path(|k| std::env::var(k).ok())?;
    let store = Store::open(&path)
        .with_context(|| format!("opening the state database {}", path.display()))?;
    if let Some(recovered) = store.recovered() {
        eprintln!("selfheal: warning: {recovered}");
    }
    Ok(store)
}

/// The sessions with this id; an error naming it when there is none.
fn sessions(store: &mut Store, session_id: &str) -> Result<Vec<SessionRow>> {
    let rows = store.read(|tx| tx.sessions_with_id(session_id))?;
    if rows.is_empty() {
        anyhow::bail!(
            "no session '{session_id}' in {} (see `selfheal status` for recent ones)",
            store.path().display()
        );
    }
    Ok(rows)
}

fn reset(store: &mut Store, session_id: &str, out: &mut dyn Write) -> Result<()> {
    for session in sessions(store, session_id)? {
        let key = SessionKey::new(&session.client, &session.session_id);
        let removed = store.write(|tx| tx.delete_session(&key))?;
        writeln!(
            out,
            "reset {} session {session_id}: {removed} rows removed",
            session.client
        )?;
    }
    Ok(())
}
