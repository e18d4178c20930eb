//! What install and uninstall change, file by file, worked out before anything is written (so
//! `--dry-run` shows exactly what a real run does), and applied with a backup of each file.

use std::fs;
use std::path::{Path, PathBuf};

use selfheal_protocol::Dialect;

use crate::backups::{Backup, Backups};
use crate::codex_config;
use crate::codex_trust::{trust_entries, TrustEntry};
use crate::json_doc::{detect_indent, Json};
use crate::merge;
use crate::registration::{hooks_json, our_binary};

/// Whose configuration: the user's (every project) or one project's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    User,
    Project(PathBuf),
}

/// Where each client keeps its configuration.
#[derive(Debug, Clone)]
pub struct Locations {
    /// `~/.claude`, or `$CLAUDE_CONFIG_DIR`
    pub claude_dir: PathBuf,
    /// `~/.codex`, or `$CODEX_HOME`
    pub codex_home: PathBuf,
}

impl Locations {
    /// From the environment as the clients read it. `HOME` must be set unless both client
    /// variables are.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Locations, InstallError> {
        let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let home = var("HOME");
        let under_home = |dir: &str| {
            home.as_ref()
                .map(|h| h.join(dir))
                .ok_or_else(|| InstallError::Environment("HOME is not set".into()))
        };
        Ok(Locations {
            claude_dir: var("CLAUDE_CONFIG_DIR").map_or_else(|| under_home(".claude"), Ok)?,
            codex_home: var("CODEX_HOME").map_or_else(|| under_home(".codex"), Ok)?,
        })
    }

    /// The file the hooks go into.
    pub fn hooks_file(&self, dialect: Dialect, scope: &Scope) -> PathBuf {
        match (dialect, scope) {
            (Dialect::Claude, Scope::User) => self.claude_dir.join("settings.json"),
            (Dialect::Claude, Scope::Project(dir)) => dir.join(".claude/settings.json"),
            (Dialect::Codex, Scope::User) => self.codex_home.join("hooks.json"),
            (Dialect::Codex, Scope::Project(dir)) => dir.join(".codex/hooks.json"),
        }
    }

    /// Codex's user config, where trust is recorded whatever the scope.
    pub fn codex_config(&self) -> PathBuf {
        self.codex_home.join("config.toml")
    }
}

#[derive(Debug)]
pub enum InstallError {
    Environment(String),
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        path: PathBuf,
        message: String,
    },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    Backup {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::Environment(m) => f.write_str(m),
            InstallError::Read { path, source } => {
                write!(f, "reading {}: {source}", path.display())
            }
            InstallError::Parse { path, message } => write!(f, "{}: {message}", path.display()),
            InstallError::Write { path, source } => {
                write!(f, "writing {}: {source}", path.display())
            }
            InstallError::Backup { path, source } => {
                write!(f, "backing up {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for InstallError {}

/// One file's change: `after: None` removes the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Change {
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Things the user should know (a Codex project that is not trusted, …).
    pub notes: Vec<String>,
    /// Codex: the trust entries of our handlers once the plan is applied, to check against
    /// the client's own answer.
    pub trust: Vec<TrustEntry>,
}

impl Plan {
    /// Whether applying it changes anything.
    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(Change::is_noop)
    }

    /// A unified diff of every change.
    pub fn diff(&self) -> String {
        self.changes
            .iter()
            .map(|c| {
                let name = c.path.display().to_string();
                crate::diff::unified(
                    if c.before.is_some() {
                        &name
                    } else {
                        "/dev/null"
                    },
                    if c.after.is_some() {
                        &name
                    } else {
                        "/dev/null"
                    },
                    c.before.as_deref().unwrap_or(""),
                    c.after.as_deref().unwrap_or(""),
                )
            })
            .collect()
    }
}

/// What install needs to know.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    pub dialect: Dialect,
    pub scope: Scope,
    /// The directory holding the hook binaries (absolute).
    pub bindir: PathBuf,
    /// Codex, project scope: also mark the project trusted, without which Codex ignores its
    /// `.codex/` directory.
    pub trust_project: bool,
}

fn read(path: &Path) -> Result<Option<String>, InstallError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// A hooks file parsed, or `{}` when it is missing or blank.
fn parse_json(path: &Path, text: Option<&str>) -> Result<Json, InstallError> {
    match text {
        Some(t) if !t.trim().is_empty() => Json::parse(t).map_err(|e| InstallError::Parse {
            path: path.to_owned(),
            message: format!("not valid JSON: {e}"),
        }),
        _ => Ok(Json::Object(Vec::new())),
    }
}

/// The document written back in the file's own indentation, ending as the file ended.
fn render_json(doc: &Json, before: Option<&str>) -> String {
    let indent = before.map_or_else(|| "  ".to_owned(), detect_indent);
    let mut text = doc.pretty(&indent);
    if before.is_none_or(|b| b.ends_with('\n') || b.trim().is_empty()) {
        text.push('\n');
    }
    text
}

fn parse_toml(path: &Path, text: Option<&str>) -> Result<toml_edit::DocumentMut, InstallError> {
    codex_config::parse(text.unwrap_or("")).map_err(|e| InstallError::Parse {
        path: path.to_owned(),
        message: format!("not valid TOML: {e}"),
    })
}

fn shape_error(path: &Path, message: impl std::fmt::Display) -> InstallError {
    InstallError::Parse {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

/// Codex's trust key names the file by its absolute path.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let path = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // The directory exists for the user scope and for a project; the file may not yet.
    match (
        path.parent().and_then(|p| p.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path,
    }
}

/// Codex names a trusted project by its absolute path.
fn absolute_dir(dir: &Path) -> PathBuf {
    dir.canonicalize()
        .unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(dir))
}

fn key_of(file: &Path, (event, g, h): &merge::Slot) -> String {
    format!(
        "{}:{}:{g}:{h}",
        file.display(),
        crate::codex_trust::snake_case(event)
    )
}

pub fn plan_install(req: &InstallRequest, loc: &Locations) -> Result<Plan, InstallError> {
    let mut plan = Plan::default();
    let hooks_path = loc.hooks_file(req.dialect, &req.scope);
    let before = read(&hooks_path)?;
    let mut doc = parse_json(&hooks_path, before.as_deref())?;
    let ours = hooks_json(req.dialect, &req.bindir);
    let mut moves = Vec::new();
    let mut stale = Vec::new();
    if merge::ours(&doc).to_value() != ours.to_value() {
        // An older registration (other paths, other timeouts) is replaced as a whole.
        (moves, stale) = merge::remove_ours(&mut doc);
        merge::add(&mut doc, &ours).map_err(|e| shape_error(&hooks_path, e))?;
    }
    let after = render_json(&doc, before.as_deref());
    let after = if Some(&after) == before.as_ref()
        || before
            .as_deref()
            .is_some_and(|b| parse_json(&hooks_path, Some(b)).ok() == Some(doc.clone()))
    {
        before.clone()
    } else {
        Some(after)
    };
    plan.changes.push(Change {
        path: hooks_path.clone(),
        before,
        after,
    });

    if req.dialect == Dialect::Codex {
        let config_path = loc.codex_config();
        let before = read(&config_path)?;
        let mut config = parse_toml(&config_path, before.as_deref())?;
        let key_file = absolute(&hooks_path);
        let trust: Vec<TrustEntry> = trust_entries(&key_file, &doc.to_value())
            .into_iter()
            .filter(|e| our_binary(&e.command).is_some())
            .collect();
        let stale: Vec<String> = stale
            .iter()
            .map(|slot| key_of(&key_file, slot))
            .filter(|k| !trust.iter().any(|e| &e.key == k))
            .collect();
        let moves: Vec<(String, String)> = moves
            .iter()
            .map(|(from, to)| (key_of(&key_file, from), key_of(&key_file, to)))
            .collect();
        codex_config::remove_trust(&mut config, &stale, &moves);
        codex_config::set_trust(&mut config, &trust).map_err(|e| shape_error(&config_path, e))?;
        if let Scope::Project(dir) = &req.scope {
            let dir = absolute_dir(dir);
            let dir = dir.to_string_lossy();
            if req.trust_project {
                codex_config::trust_project(&mut config, &dir)
                    .map_err(|e| shape_error(&config_path, e))?;
            } else if !codex_config::project_trusted(&config, &dir) {
                plan.notes.push(format!(
                    "Codex loads {} only for a trusted project: add `[projects.\"{dir}\"] \
                     trust_level = \"trusted\"` to {} (or run again with --trust-project)",
                    hooks_path.display(),
                    config_path.display()
                ));
            }
        }
        let after = config.to_string();
        plan.changes.push(Change {
            path: config_path,
            after: if before.as_deref().unwrap_or("") == after {
                before.clone()
            } else {
                Some(after)
            },
            before,
        });
        plan.trust = trust;
    }
    Ok(plan)
}

pub fn plan_uninstall(
    dialect: Dialect,
    scope: &Scope,
    loc: &Locations,
    backups: &Backups,
) -> Result<Plan, InstallError> {
    let mut plan = Plan::default();
    let hooks_path = loc.hooks_file(dialect, scope);
    let before = read(&hooks_path)?;
    let mut doc = parse_json(&hooks_path, before.as_deref())?;
    let (moves, removed) = merge::remove_ours(&mut doc);
    let after = if removed.is_empty() {
        before.clone()
    } else {
        restore_exactly(&hooks_path, backups, doc.is_empty_container(), |text| {
            parse_json(&hooks_path, Some(text)).is_ok_and(|d| d.to_value() == doc.to_value())
        })?
        .unwrap_or_else(|| Some(render_json(&doc, before.as_deref())))
    };
    plan.changes.push(Change {
        path: hooks_path.clone(),
        before,
        after,
    });

    if dialect == Dialect::Codex {
        let config_path = loc.codex_config();
        let before = read(&config_path)?;
        let mut config = parse_toml(&config_path, before.as_deref())?;
        let key_file = absolute(&hooks_path);
        let stale: Vec<String> = removed.iter().map(|s| key_of(&key_file, s)).collect();
        let moves: Vec<(String, String)> = moves
            .iter()
            .map(|(from, to)| (key_of(&key_file, from), key_of(&key_file, to)))
            .collect();
        codex_config::remove_trust(&mut config, &stale, &moves);
        let text = config.to_string();
        let after = if before.as_deref().unwrap_or("") == text {
            before.clone()
        } else {
            let semantic = toml_value(&text);
            restore_exactly(&config_path, backups, text.trim().is_empty(), |old| {
                toml_value(old).is_some() && toml_value(old) == semantic
            })?
            .unwrap_or(Some(text))
        };
        plan.changes.push(Change {
            path: config_path,
            before,
            after,
        });
    }
    Ok(plan)
}

fn toml_value(text: &str) -> Option<toml::Table> {
    text.parse::<toml::Table>().ok()
}

/// What the file should hold once ours is out, when the latest backup says it exactly: its
/// bytes if they mean the same as what is left (so install + uninstall gives the file back
/// byte for byte), or no file at all if there was none and nothing is left. `None`: no such
/// backup, write what is left.
fn restore_exactly(
    path: &Path,
    backups: &Backups,
    nothing_left: bool,
    same_meaning: impl Fn(&str) -> bool,
) -> Result<Option<Option<String>>, InstallError> {
    let latest = backups
        .latest(path)
        .map_err(|source| InstallError::Backup {
            path: path.to_owned(),
            source,
        })?;
    Ok(match latest {
        Some((_, Backup::Absent)) if nothing_left => Some(None),
        Some((_, Backup::Content(text))) if same_meaning(&text) => Some(Some(text)),
        _ => None,
    })
}

/// What applying did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub path: PathBuf,
    pub action: Action,
    pub backup: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Removed,
}

/// Writes every change that changes something, each after a backup of the file as it was.
/// Each file is replaced atomically (a temporary file renamed over it), keeping its mode.
pub fn apply(plan: &Plan, backups: &Backups) -> Result<Vec<Applied>, InstallError> {
    let mut done = Vec::new();
    for change in plan.changes.iter().filter(|c| !c.is_noop()) {
        let path = &change.path;
        let before = match &change.before {
            Some(text) => Backup::Content(text.clone()),
            None => Backup::Absent,
        };
        let backup = backups
            .save(path, &before)
            .map_err(|source| InstallError::Backup {
                path: path.clone(),
                source,
            })?;
        let write_error = |source| InstallError::Write {
            path: path.clone(),
            source,
        };
        let action = match &change.after {
            None => {
                fs::remove_file(path).map_err(write_error)?;
                Action::Removed
            }
            Some(text) => {
                write_atomically(path, text).map_err(write_error)?;
                if change.before.is_some() {
                    Action::Updated
                } else {
                    Action::Created
                }
            }
        };
        done.push(Applied {
            path: path.clone(),
            action,
            backup,
        });
    }
    Ok(done)
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.selfheal-{}", std::process::id()));
    let result = (|| {
        fs::write(&tmp, text)?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
