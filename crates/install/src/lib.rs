//! `selfheal install` / `uninstall`: registering the hook suite in Claude Code and Codex CLI
//! by merging into the user's own files, trusting it in Codex, and taking out exactly what
//! was added.

pub mod backups;
pub mod codex_config;
pub mod codex_trust;
pub mod diff;
pub mod json_doc;
pub mod merge;
pub mod plan;
pub mod registered;
pub mod registration;

pub use plan::{
    apply, plan_install, plan_uninstall, Action, Applied, Change, InstallError, InstallRequest,
    Locations, Plan, Scope,
};
