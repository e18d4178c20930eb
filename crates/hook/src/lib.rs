//! What every hook binary does around its own decision: read stdin (capped), parse it, tell the
//! client, load config, open the state store only when the hook asks for it, render the
//! response in the client's exact format, and fail open.
//!
//! Fail open: whatever goes wrong — bad arguments, garbage on stdin, a bad config, a locked or
//! corrupt database, a panic — the process exits 0 with nothing on stdout and one line on
//! stderr, so the agent is never blocked by accident. Only a [`Response`] a hook returns on
//! purpose reaches stdout.

mod args;
mod context;
mod hooks;
mod intent;
mod record;
mod runner;
pub mod seen;

pub use args::{parse_args, Args, ArgsOutcome};
pub use context::{Context, Env, HookError};
pub use hooks::{names, Hook};
pub use intent::{intent, shell_intent};
pub use record::{call_event, record_event, record_event_of_touched, session_key, touch, Verdict};
pub use runner::{process_main, run, run_with, Io};
