//! `selfheal report`, `selfheal gc` and `selfheal export`: the command-line face of
//! `selfheal-report`, and pruning.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use selfheal_config::{Config, ConfigFiles};
use selfheal_report::{html, json, parse_duration, text, ReportError, Selection, Span, Style};
use selfheal_state::{default_db_path, format_rfc3339, now_ms, Pruned, Store};

/// The window of a report without `--since` or `--session`.
const DEFAULT_SINCE: &str = "7d";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn style(self) -> Style {
        let color = match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Style { color }
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Sessions seen in this window: 30m, 12h, 7d, 2w (default 7d; with --session, no limit)
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// The session with this id (as the client reports it)
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// One JSON object (kind "selfheal.report", version 1) instead of tables
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write a self-contained HTML page with a timeline per session to FILE
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Colour the tables
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Remove sessions not seen for this long: 30m, 12h, 7d, 2w (default: [state]
    /// retention_days of the user's configuration)
    #[arg(long, value_name = "DURATION")]
    older_than: Option<String>,
    /// Then rewrite the database file to give the freed space back (takes the write lock for
    /// as long as it runs)
    #[arg(long)]
    vacuum: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// JSON Lines: one object per event, every column (the only format)
    #[arg(long, required = true)]
    json: bool,
    /// Only the session with this id
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Only events recorded in this window: 30m, 12h, 7d, 2w
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

fn db_path() -> Result<PathBuf> {
    Ok(default_db_path(env)?)
}

fn missing(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "no state database at {}: nothing recorded yet (set SELFHEAL_DB to read another)",
        path.display()
    )
}

/// The existing database, opened for reading: a missing one is an error, not created.
fn open_existing() -> Result<Store> {
    let path = db_path()?;
    if !path.exists() {
        return Err(missing(&path));
    }
    let opened = Store::open_read_only(&path)
        .with_context(|| format!("opening the state database {}", path.display()))?;
    match opened {
        Some(store) => Ok(store),
        // Another schema version: opening it for writing migrates it, or says it is newer.
        None => open_for_writing(&path),
    }
}

fn open_for_writing(path: &Path) -> Result<Store> {
    let store = Store::open(path)
        .with_context(|| format!("opening the state database {}", path.display()))?;
    if let Some(recovered) = store.recovered() {
        eprintln!("selfheal: warning: {recovered}");
    }
    Ok(store)
}

/// `--since` as the instant it names.
fn since(duration: &str) -> Result<i64> {
    Ok(parse_duration(duration)?.before(now_ms()))
}

/// A library error for anyhow, keeping an I/O error itself (a closed pipe stays quiet).
fn lift(e: ReportError) -> anyhow::Error {
    match e {
        ReportError::Io(io) => io.into(),
        other => other.into(),
    }
}

pub fn report(args: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    // Parsed first: a bad duration is the error to report, whatever the database.
    let since_ms = match (&args.since, &args.session) {
        (Some(d), _) => Some(since(d)?),
        (None, None) => Some(since(DEFAULT_SINCE)?),
        (None, Some(_)) => None,
    };
    let mut store = open_existing()?;
    let selection = Selection {
        session_id: args.session.as_deref(),
        since_ms,
        limit: None,
        timeline: args.html.is_some(),
        live: false,
    };
    let report = selfheal_report::gather(&mut store, &selection, &env).map_err(lift)?;
    for warning in &report.warnings {
        eprintln!("selfheal: warning: {warning}");
    }
    if let Some(file) = &args.html {
        let mut page = Vec::new();
        html::write_html(&report, &mut page)?;
        std::fs::write(file, page).with_context(|| format!("writing {}", file.display()))?;
        writeln!(
            out,
            "wrote {} ({} session{})",
            file.display(),
            report.sessions.len(),
            if report.sessions.len() == 1 { "" } else { "s" }
        )?;
        return Ok(());
    }
    if args.json {
        writeln!(out, "{}", json::report_json(&report))?;
        return Ok(());
    }
    text::write_report(&report, args.color.style(), out)?;
    Ok(())
}

pub fn export(args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let since_ms = args.since.as_deref().map(since).transpose()?;
    let mut store = open_existing()?;
    selfheal_report::export_jsonl(&mut store, args.session.as_deref(), since_ms, out)
        .map_err(lift)?;
    Ok(())
}

pub fn gc(args: &GcArgs, out: &mut dyn Write) -> Result<()> {
    let older_than = match &args.older_than {
        Some(d) => parse_duration(d)?,
        None => {
            let files = ConfigFiles::discover(None, None, env);
            let config = Config::load(&files).context("loading the configuration")?;
            Span::days(config.retention_days)
        }
    };
    let path = db_path()?;
    if !path.exists() {
        return Err(missing(&path));
    }
    let mut store = open_for_writing(&path)?;
    let cutoff = older_than.before(now_ms());
    let (sessions, pruned) = store.write(|tx| {
        let sessions = tx.sessions_seen_before(cutoff)?;
        Ok((sessions, tx.prune_before(cutoff)?))
    })?;
    for s in &sessions {
        writeln!(
            out,
            "removed {} session {} (last seen {})",
            text::clean(&s.client),
            text::clean(&s.session_id),
            format_rfc3339(s.last_seen)
        )?;
    }
    writeln!(
        out,
        "{} (not seen since {})",
        removed_line(&pruned),
        format_rfc3339(cutoff)
    )?;
    // Cheap: the WAL is small. Deleted pages stay in the file for later writes to reuse. Only
    // an optimisation: what was removed is committed whether or not it runs.
    if let Err(e) = store.checkpoint() {
        eprintln!("selfheal: warning: checkpoint after gc: {e}");
    }
    let pages = store.page_stats()?;
    if args.vacuum {
        let before = file_size(&path);
        store.vacuum()?;
        writeln!(
            out,
            "vacuumed {}: {} → {} bytes",
            path.display(),
            before,
            file_size(&path)
        )?;
    } else if pages.free_pages > 0 {
        writeln!(
            out,
            "{} bytes free in {} for later writes (`selfheal gc --vacuum` gives them back)",
            pages.free_pages * pages.page_size,
            path.display()
        )?;
    }
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn removed_line(p: &Pruned) -> String {
    format!(
        "removed {} session{}: {} events, {} budgets, {} files seen, {} escalations, {} transcripts, {} stop states",
        p.sessions,
        if p.sessions == 1 { "" } else { "s" },
        p.events,
        p.budgets,
        p.files_seen,
        p.escalations,
        p.transcripts,
        p.stops
    )
}
