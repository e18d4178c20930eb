//! The hook protocol of both clients, in one place.
//!
//! What Codex CLI 0.169.0 and Claude Code 2.1.328 send on a hook's stdin ([`HookInput`]),
//! which client sent it ([`Dialect`]), the tool call it describes in a client-neutral form
//! ([`ToolCall`]), and how a decision is written back so that the client accepts it
//! ([`render`]). Ground truth: `shared/protocols/*.md` and the captured fixtures.

mod dialect;
mod event;
mod input;
mod output;
mod tool;
mod transcript;

pub use dialect::{detect_dialect, Dialect, ParseDialectError};
pub use event::HookEvent;
pub use input::{parse_input, read_capped, BatchCall, HookInput, InputError, STDIN_CAP};
pub use output::{render, RenderError, Response, Verdict};
pub use tool::{Outcome, ToolArgs, ToolCall, ToolKind};
pub use transcript::codex_exit_code;
