//! selfheal's configuration, layered (later wins): built-in defaults < compiled-in profile
//! (`strict`, `balanced`, `lenient`; sources in `profiles/`) < `~/.config/selfheal/config.toml`
//! < the project's `.selfheal.toml` < `$SELFHEAL_CONFIG`. Lists replace the list of an
//! earlier layer, except `[[classifier.rules]]`, which add up. A bad file is a
//! [`ConfigError`] naming the file, line and key.

mod error;
mod layer;
pub mod trust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use selfheal_model::{Budget, BudgetLimits, Class};

pub use error::ConfigError;
use layer::Layer;

/// A policy profile compiled into the binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Strict,
    Balanced,
    Lenient,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Strict, Profile::Balanced, Profile::Lenient];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Balanced => "balanced",
            Profile::Lenient => "lenient",
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            Profile::Strict => include_str!("../../../profiles/strict.toml"),
            Profile::Balanced => include_str!("../../../profiles/balanced.toml"),
            Profile::Lenient => include_str!("../../../profiles/lenient.toml"),
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A command run without a shell: program and arguments.
pub type Argv = Vec<String>;

/// An extra classifier rule from `[[classifier.rules]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierRule {
    pub class: Class,
    /// A regular expression over the outcome text (checked to compile when loaded).
    pub pattern: String,
    /// Higher wins over built-in rules of lower priority.
    pub priority: i32,
    /// Tool names the rule applies to; empty = all.
    pub tools: Vec<String>,
}

/// A check run on every file an edit touched whose path matches (`[[patch.checks]]`,
/// patch-verifier): `command` without a shell, `{file}` replaced by the file's absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchCheck {
    /// Globs (the `[scope]` syntax) over the path relative to the project root; any one matches.
    pub globs: Vec<String>,
    pub command: Argv,
    pub timeout_secs: u64,
}

/// The default of `timeout_secs` in `[[patch.checks]]`.
pub const PATCH_CHECK_TIMEOUT_SECS: u64 = 10;

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub profile: Profile,
    pub budget: BudgetLimits,
    pub max_repeats: u32,
    pub similarity: f64,
    pub scope_allow: Vec<String>,
    pub scope_deny: Vec<String>,
    pub verify_commands: Vec<Argv>,
    pub verify_timeout_secs: u64,
    pub escalate_command: Option<Argv>,
    pub escalate_timeout_secs: u64,
    pub classifier_rules: Vec<ClassifierRule>,
    pub retention_days: u64,
    /// `[mcp.schemas]`: MCP tool name (`mcp__<server>__<tool>`) → the JSON Schema file its
    /// arguments must match. Relative paths are resolved against the directory of the config
    /// file that names them; the files are read only when schema-guard sees such a call.
    pub mcp_schemas: BTreeMap<String, PathBuf>,
    /// `[stop] max_refusals`: budget-check refuses at most this many stops per session, whatever
    /// budget is left (Codex has no cap of its own). 0 = never refuse, only account.
    pub stop_max_refusals: u32,
    /// `[session_start] summary`: budget-check tells the agent, at SessionStart, its budget
    /// and the success criteria in one paragraph.
    pub session_start_summary: bool,
    /// `[[patch.checks]]`: commands patch-verifier runs on edited files matching a glob.
    pub patch_checks: Vec<PatchCheck>,
    /// The files that were read, lowest layer first.
    pub files: Vec<PathBuf>,
    /// The project file's commands, left out: the user has not trusted it as it is.
    pub untrusted: Option<trust::Untrusted>,
}

impl Default for Config {
    /// The built-in defaults (the same values as `profiles/balanced.toml`; a test keeps them so).
    fn default() -> Config {
        let mut budget = BudgetLimits::default();
        for (b, v) in [
            (Budget::Retries, 6),
            (Budget::Replans, 3),
            (Budget::Substitutions, 3),
            (Budget::ModelEscalations, 1),
            (Budget::LatencySecs, 7200),
            (Budget::CostTokens, 5_000_000),
        ] {
            budget.set(b, v);
        }
        Config {
            profile: Profile::Balanced,
            budget,
            max_repeats: 3,
            similarity: 0.85,
            scope_allow: Vec::new(),
            scope_deny: Vec::new(),
            verify_commands: Vec::new(),
            verify_timeout_secs: 300,
            escalate_command: None,
            escalate_timeout_secs: 10,
            classifier_rules: Vec::new(),
            retention_days: 30,
            mcp_schemas: BTreeMap::new(),
            stop_max_refusals: 4,
            session_start_summary: false,
            patch_checks: Vec::new(),
            files: Vec::new(),
            untrusted: None,
        }
    }
}

/// Where the file layers are, found from the environment and the session's directories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFiles {
    pub user: Option<PathBuf>,
    pub project: Option<PathBuf>,
    /// `$SELFHEAL_CONFIG`: must exist when set.
    pub explicit: Option<PathBuf>,
    /// Where the user's trust in project files is kept (it may not exist): see [`trust`].
    pub trust: Option<PathBuf>,
}

impl ConfigFiles {
    /// `project_dir` is `CLAUDE_PROJECT_DIR` when the client gives it; otherwise `.selfheal.toml`
    /// is looked for from `cwd` up to the git root.
    pub fn discover(
        project_dir: Option<&Path>,
        cwd: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> ConfigFiles {
        let user_dir = env("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))
            .map(|dir| dir.join("selfheal"));
        let user = user_dir
            .as_ref()
            .map(|dir| dir.join("config.toml"))
            .filter(|p| p.is_file());
        let trust = user_dir.map(|dir| dir.join(trust::FILE_NAME));
        let project = match project_dir {
            Some(dir) => Some(dir.join(".selfheal.toml")).filter(|p| p.is_file()),
            None => cwd.and_then(find_project_file),
        };
        let explicit = env("SELFHEAL_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        ConfigFiles {
            user,
            project,
            explicit,
            trust,
        }
    }

    /// The project root this discovery used: the directory of `.selfheal.toml` or the git root.
    pub fn project_root(cwd: &Path) -> Option<PathBuf> {
        cwd.ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf)
    }
}

fn find_project_file(cwd: &Path) -> Option<PathBuf> {
    for dir in cwd.ancestors() {
        let candidate = dir.join(".selfheal.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

impl Config {
    /// Reads and merges every layer.
    pub fn load(files: &ConfigFiles) -> Result<Config, ConfigError> {
        let mut file_layers = Vec::new();
        if let Some(path) = &files.user {
            file_layers.push(Layer::read(path)?);
        }
        let mut untrusted = None;
        if let Some(path) = &files.project {
            let (mut layer, text) = Layer::read_text(path)?;
            let keys = layer.command_keys();
            // The trust file is read only for a project file that would run something.
            let trusted = |t: &PathBuf| trust::is_trusted(t, path, text.as_bytes());
            if !keys.is_empty() && !files.trust.as_ref().is_some_and(trusted) {
                layer.drop_commands();
                untrusted = Some(trust::Untrusted {
                    file: path.clone(),
                    keys,
                });
            }
            file_layers.push(layer);
        }
        if let Some(path) = &files.explicit {
            if !path.is_file() {
                return Err(ConfigError::new(
                    path.display().to_string(),
                    None,
                    None,
                    "SELFHEAL_CONFIG names a file that does not exist",
                ));
            }
            file_layers.push(Layer::read(path)?);
        }
        let mut config = Config::from_layers(file_layers)?;
        config.untrusted = untrusted;
        Ok(config)
    }

    /// Merges file layers given as (name, TOML text), lowest first. For tests and `--config`.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let layers = sources
            .iter()
            .map(|(name, text)| Layer::parse(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        Config::from_layers(layers)
    }

    fn from_layers(file_layers: Vec<Layer>) -> Result<Config, ConfigError> {
        // The highest layer that names a profile chooses it.
        let mut profile = Profile::Balanced;
        for layer in &file_layers {
            if let Some(p) = layer.profile {
                profile = p;
            }
        }
        let mut config = Config {
            profile,
            ..Config::default()
        };
        // The defaults are the balanced profile (a test keeps them equal): parse only the others.
        if profile != Profile::Balanced {
            Layer::parse(&format!("profile {}", profile.name()), profile.source())?
                .apply(&mut config);
        }
        for layer in &file_layers {
            layer.apply(&mut config);
            if let Some(path) = &layer.path {
                config.files.push(path.clone());
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
