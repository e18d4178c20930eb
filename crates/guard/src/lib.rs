//! schema-guard: refuses bad tool calls before they run.

mod glob;
mod scope;

pub use scope::Scope;
