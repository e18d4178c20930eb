//! schema-guard: refuses malformed, stalling, out-of-scope, stale or looping tool calls before
//! they run (PreToolUse, both clients). A refusal costs no budget; its reason says what to
//! change so that the next call succeeds.

pub mod glob;
mod mcp;
mod patch;
mod scope;

use std::path::{Path, PathBuf};

use selfheal_hook::seen::{absolute, content_hash};
use selfheal_hook::{record_event, Context, Hook, HookError, Verdict};
use selfheal_model::{exhausted_budgets, Action, Budget, Class};
use selfheal_protocol::{Dialect, HookInput, Response, ToolArgs, ToolCall, ToolKind};
use selfheal_state::{StateError, Tx};

pub use scope::Scope;

/// A Codex patch as parsed from the call.
type ParsedPatch = Result<selfheal_patch::Patch, selfheal_patch::ParseError>;

pub const HOOK: Hook = Hook {
    name: selfheal_hook::names::SCHEMA_GUARD,
    summary: "PreToolUse: refuses malformed or out-of-scope tool calls before they run",
    events: &["PreToolUse"],
    applies: has_tool,
    decide,
};

fn has_tool(input: &HookInput, _: Dialect) -> bool {
    input.tool_name.is_some()
}

/// A refusal's reason at most, in characters: one compact block, as the classifier's guidance.
const MAX_REASON: usize = 1500;

/// Why a call is refused: its class, the recovery it asks for, and the reason for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub class: Class,
    pub action: Action,
    pub reason: String,
}

impl Refusal {
    fn new(class: Class, action: Action, reason: impl Into<String>) -> Refusal {
        // A reason may quote the call (its command line, a bad argument's value), and it is
        // both shown and stored: no secret of the call may be in it, nor all of a huge one.
        Refusal {
            class,
            action,
            reason: selfheal_redact::redact_clipped(&reason.into(), MAX_REASON),
        }
    }

    /// The text the model sees: a stable tag first, as all selfheal guidance.
    pub fn message(&self) -> String {
        format!("selfheal {} {}: {}", self.class, self.action, self.reason)
    }
}

fn decide(ctx: &mut Context) -> Result<Response, HookError> {
    // What the checks could not do (an unusable MCP schema); said on stderr, never blocking.
    let mut warnings = Vec::new();
    let refusal = {
        let Some(call) = ctx.input.tool_call(ctx.dialect) else {
            return Ok(Response::proceed());
        };
        // A patch is parsed once, for every check that needs it.
        let patch = match call.args() {
            ToolArgs::Patch { patch } => Some(selfheal_patch::parse(patch)),
            _ => None,
        };
        let patch = patch.as_ref();
        match stateless(ctx, &call, patch, &mut warnings) {
            Some(refusal) => Some(refusal),
            None => {
                let targets = edit_targets(ctx, &call, patch);
                let read_only = is_read_only(&call);
                let fingerprint = call.fingerprint();
                for w in warnings.drain(..) {
                    ctx.warn(w);
                }
                if read_only && targets.is_empty() {
                    // Nothing in the session's state can refuse it: no store at all.
                    return Ok(Response::proceed());
                }
                // No database yet: nothing recorded, nothing to refuse on.
                ctx.read(|tx, ctx| session_facts(tx, ctx, &targets, &fingerprint, read_only))?
                    .and_then(|facts| stateful(ctx, &facts))
            }
        }
    };
    for w in warnings {
        ctx.warn(w);
    }
    let Some(refusal) = refusal else {
        return Ok(Response::proceed());
    };
    let message = refusal.message();
    // A separate write transaction, only on this rare path: the allow path stays read-only.
    ctx.write(|tx, ctx| {
        let call: Vec<ToolCall<'_>> = ctx.input.tool_call(ctx.dialect).into_iter().collect();
        let verdict = Verdict {
            decision: "deny",
            class: Some(refusal.class),
            action: Some(refusal.action),
            evidence: Some(&refusal.reason),
        };
        record_event(tx, ctx, &verdict, &call).map(drop)
    })?;
    Ok(Response::new(selfheal_protocol::Verdict::Deny(message)))
}

/// Checks that need nothing but the call, the disk and the config. A check that cannot be
/// made says why in `warnings` and lets the call through.
fn stateless(
    ctx: &Context,
    call: &ToolCall<'_>,
    patch: Option<&ParsedPatch>,
    warnings: &mut Vec<String>,
) -> Option<Refusal> {
    // Only a tool named in `[mcp.schemas]` costs anything: its schema is read for its call.
    if let Some(file) = ctx.config.mcp_schemas.get(call.name) {
        match mcp::check(call.name, file, call.input) {
            Ok(Some(refusal)) => return Some(refusal),
            Ok(None) => {}
            Err(warning) => warnings.push(warning),
        }
    }
    let cwd = ctx
        .input
        .cwd
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_default();
    match call.args() {
        ToolArgs::Shell { command } => {
            if selfheal_shell::is_blank(command) {
                return Some(Refusal::new(
                    Class::F2,
                    Action::ArgumentRepair,
                    "the command is empty. Give the shell command to run in `command`.",
                ));
            }
            if let Some(found) = selfheal_shell::interactive(command) {
                return Some(Refusal::new(
                    Class::F2,
                    Action::ArgumentRepair,
                    format!(
                        "`{}` would wait for input that never comes ({}); the tool has no terminal. \
                         Use the non-interactive form: {}",
                        found.program, found.reason, found.suggestion
                    ),
                ));
            }
        }
        ToolArgs::Patch { .. } => {
            if let Some(refusal) = patch.and_then(|p| patch::check(p, &cwd)) {
                return Some(refusal);
            }
        }
        _ => {}
    }
    scope_refusal(ctx, call, patch, &cwd)
}

/// Every path the call would write, as written in it.
fn write_targets(call: &ToolCall<'_>, patch: Option<&ParsedPatch>) -> Vec<String> {
    match call.args() {
        ToolArgs::Edit { file_path, .. } | ToolArgs::Write { file_path, .. } => {
            vec![file_path.to_owned()]
        }
        ToolArgs::Patch { .. } => patch.map(patch::paths).unwrap_or_default(),
        ToolArgs::Shell { command } => selfheal_shell::write_targets(command)
            .into_iter()
            .map(|t| t.path)
            .collect(),
        _ => Vec::new(),
    }
}

fn scope_refusal(
    ctx: &Context,
    call: &ToolCall<'_>,
    patch: Option<&ParsedPatch>,
    cwd: &Path,
) -> Option<Refusal> {
    let config = &ctx.config;
    if config.scope_allow.is_empty() && config.scope_deny.is_empty() {
        return None;
    }
    let root = ctx
        .project_root()
        .map(PathBuf::from)
        .unwrap_or_else(|| cwd.to_path_buf());
    let home = ctx.env("HOME").map(PathBuf::from);
    let scope = Scope::new(&config.scope_allow, &config.scope_deny, &root, home);
    let reasons: Vec<String> = write_targets(call, patch)
        .iter()
        .filter_map(|target| scope.check(target, cwd).err())
        .collect();
    if reasons.is_empty() {
        return None;
    }
    Some(Refusal::new(
        Class::F2,
        Action::ArgumentRepair,
        format!(
            "{}. Write only inside the allowed paths; if this file really must change, stop and \
             say so instead.",
            reasons.join("; ")
        ),
    ))
}

/// Files an edit tool would change, resolved, for the staleness check. Shell writes are left
/// out: a shell command does not claim to know the file's content.
fn edit_targets(ctx: &Context, call: &ToolCall<'_>, patch: Option<&ParsedPatch>) -> Vec<PathBuf> {
    let raw = match call.args() {
        ToolArgs::Edit { file_path, .. } | ToolArgs::Write { file_path, .. } => {
            vec![file_path.to_owned()]
        }
        ToolArgs::Patch { .. } => patch.map(patch::existing_targets).unwrap_or_default(),
        _ => Vec::new(),
    };
    raw.iter()
        .filter(|p| !p.is_empty())
        .map(|p| absolute(ctx, p))
        .collect()
}

fn is_read_only(call: &ToolCall<'_>) -> bool {
    match call.args() {
        ToolArgs::Shell { command } => selfheal_shell::is_read_only(command),
        _ => matches!(call.kind, ToolKind::Read | ToolKind::Search),
    }
}

/// What the session's state says about this call, read in one transaction.
struct Facts {
    /// Files changed on disk since the session last saw them.
    stale: Vec<PathBuf>,
    /// How often this exact call failed before (0 for read-only calls: they are exempt).
    failures: u64,
    /// Budgets whose exhaustion ends recovery (empty for read-only calls: always allowed).
    exhausted: Vec<Budget>,
}

fn session_facts(
    tx: &Tx<'_>,
    ctx: &Context,
    targets: &[PathBuf],
    fingerprint: &str,
    read_only: bool,
) -> Result<Facts, StateError> {
    let key = ctx.session_key();
    let mut stale = Vec::new();
    for path in targets {
        if let Some(seen) = tx.file_seen(&key, &path.to_string_lossy())? {
            if seen.content_hash != content_hash(path) {
                stale.push(path.clone());
            }
        }
    }
    if read_only {
        return Ok(Facts {
            stale,
            failures: 0,
            exhausted: Vec::new(),
        });
    }
    let exhausted = match tx.session_usage(&key)? {
        Some(used) => exhausted_budgets(&ctx.config.budget, &used),
        None => Vec::new(),
    };
    Ok(Facts {
        stale,
        failures: tx.failure_count(&key, fingerprint)?,
        exhausted,
    })
}

fn stateful(ctx: &Context, facts: &Facts) -> Option<Refusal> {
    if !facts.exhausted.is_empty() {
        let spent: Vec<String> = facts
            .exhausted
            .iter()
            .map(|b| format!("{} ({})", b.key(), b.symbol()))
            .collect();
        return Some(Refusal::new(
            Class::F7,
            Action::Escalate,
            format!(
                "this session's recovery budget is spent: {}. No more changes: stop now and \
                 report to the user what is done, what is not, and what failed, so that a human \
                 can take over. Read-only calls are still allowed.",
                spent.join(", ")
            ),
        ));
    }
    if !facts.stale.is_empty() {
        let files: Vec<String> = facts
            .stale
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return Some(Refusal::new(
            Class::F5,
            Action::ContextRefresh,
            format!(
                "{} changed since this session last read or wrote it (someone else edited it). \
                 Read it again, then make the edit against its current content.",
                files.join(", ")
            ),
        ));
    }
    let max = u64::from(ctx.config.max_repeats);
    if facts.failures >= max {
        return Some(Refusal::new(
            Class::F7,
            Action::Replan,
            format!(
                "this exact call already failed {} times in this session ([loop] max_repeats = \
                 {max}). Repeating it will fail again: stop, say what you learned from the \
                 failures, and take a different approach (other arguments, another tool, or a \
                 smaller step).",
                facts.failures
            ),
        ));
    }
    None
}
