use std::fmt;
use std::path::PathBuf;

use selfheal_config::{Config, ConfigError, ConfigFiles};
use selfheal_protocol::{Dialect, HookEvent, HookInput};
use selfheal_state::{default_db_path, SessionKey, StateError, Store, Tx};

/// Looks an environment variable up; replaceable in tests.
pub type Env = Box<dyn Fn(&str) -> Option<String>>;

/// Everything a hook's decision may use. The store is opened on first use, so that a hook
/// which has nothing to do for an event never touches the database.
pub struct Context {
    pub hook: &'static str,
    pub input: HookInput,
    pub event: HookEvent,
    pub dialect: Dialect,
    pub config: Config,
    env: Env,
    store: Option<Store>,
    /// The read-only connection of a hook that only reads, kept open with the context.
    reader: Option<Store>,
    warnings: Vec<String>,
}

/// Why a hook could not decide. Every variant fails open.
#[derive(Debug)]
pub enum HookError {
    Config(ConfigError),
    State(StateError),
    Other(String),
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::Config(e) => e.fmt(f),
            HookError::State(e) => e.fmt(f),
            HookError::Other(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for HookError {}

impl From<StateError> for HookError {
    fn from(e: StateError) -> Self {
        HookError::State(e)
    }
}

impl From<ConfigError> for HookError {
    fn from(e: ConfigError) -> Self {
        HookError::Config(e)
    }
}

impl Context {
    pub(crate) fn new(
        hook: &'static str,
        input: HookInput,
        dialect: Dialect,
        env: Env,
    ) -> Result<Context, HookError> {
        let project_dir = project_dir_env(dialect, &env);
        let cwd = input.cwd.as_deref().map(PathBuf::from);
        let files = ConfigFiles::discover(project_dir.as_deref(), cwd.as_deref(), &env);
        let config = Config::load(&files)?;
        Ok(Context {
            hook,
            event: input.event(),
            input,
            dialect,
            config,
            env,
            store: None,
            reader: None,
            warnings: Vec::new(),
        })
    }

    pub fn env(&self, key: &str) -> Option<String> {
        (self.env)(key)
    }

    pub fn session_key(&self) -> SessionKey {
        crate::record::session_key(self.dialect, &self.input)
    }

    /// The project root: `CLAUDE_PROJECT_DIR` (Claude), else the git root above `cwd`, else
    /// `cwd`.
    pub fn project_root(&self) -> Option<String> {
        if let Some(dir) = project_dir_env(self.dialect, &self.env) {
            return Some(dir.display().to_string());
        }
        let cwd = PathBuf::from(self.input.cwd.as_deref()?);
        Some(
            ConfigFiles::project_root(&cwd)
                .unwrap_or(cwd)
                .display()
                .to_string(),
        )
    }

    /// The state store, opened on first use.
    pub fn store(&mut self) -> Result<&mut Store, HookError> {
        if self.store.is_none() {
            let path = default_db_path(&self.env)?;
            let store = Store::open(&path)?;
            if let Some(recovered) = store.recovered() {
                self.warnings.push(recovered.to_string());
            }
            self.store = Some(store);
        }
        Ok(self.store.as_mut().expect("opened above"))
    }

    /// Runs `f` in the hook's one write transaction (`BEGIN IMMEDIATE`), with read access to
    /// the context alongside.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>, &Context) -> Result<T, StateError>,
    ) -> Result<T, HookError> {
        self.store()?;
        let mut store = self.store.take().expect("opened above");
        let result = store.write(|tx| f(tx, self));
        self.store = Some(store);
        Ok(result?)
    }

    /// Runs `f` in a read transaction: on the store when it is open (a hook that writes
    /// afterwards opens it first, and parses the schema once), else on a read-only connection
    /// (no files created, no checkpoint on close); `Ok(None)` when there is no database yet.
    pub fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>, &Context) -> Result<T, StateError>,
    ) -> Result<Option<T>, HookError> {
        if let Some(mut store) = self.store.take() {
            let result = store.read(|tx| f(tx, self));
            self.store = Some(store);
            return Ok(Some(result?));
        }
        let mut reader = match self.reader.take() {
            Some(reader) => reader,
            None => {
                let path = default_db_path(&self.env)?;
                let Some(reader) = Store::open_read_only(&path)? else {
                    return Ok(None);
                };
                reader
            }
        };
        let result = reader.read(|tx| f(tx, self));
        self.reader = Some(reader);
        Ok(Some(result?))
    }

    /// Something the user should know that did not stop the hook (one stderr line each).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

fn project_dir_env(dialect: Dialect, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    // Only Claude sets it; a Codex session started from a Claude shell inherits a stale one.
    (dialect == Dialect::Claude)
        .then(|| env("CLAUDE_PROJECT_DIR"))
        .flatten()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
