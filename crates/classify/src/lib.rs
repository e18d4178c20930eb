//! failure-classifier: puts every tool outcome in one class (`ok`, `task`, `F1`…`F7`, see
//! `shared/design/taxonomy.md`), records it, and gives the agent the cheapest recovery that
//! fits and has budget left.
//!
//! Three stages: the text (rules as data, `rules.toml`, plus the user's), the call's shape
//! (`detect`), and the session's history (`context`), which has the last word.

mod context;
mod detect;
pub mod guidance;
mod observe;
mod rules;
mod text;

use selfheal_hook::{names, Context, Hook, HookError};
use selfheal_model::{choose_action, Action, BudgetUsage, Class};
use selfheal_protocol::{Dialect, HookEvent, HookInput, Response, ToolCall, ToolKind, Verdict};
use selfheal_state::{NewEvent, StateError, Tx};

pub use observe::Observation;
pub use rules::Hit;

pub const HOOK: Hook = Hook {
    name: names::FAILURE_CLASSIFIER,
    summary: "PostToolUse, PostToolUseFailure, PostToolBatch: classifies every tool outcome",
    events: &["PostToolUse", "PostToolUseFailure", "PostToolBatch"],
    applies: has_calls,
    decide,
};

fn has_calls(input: &HookInput, _: Dialect) -> bool {
    input.tool_name.is_some() || input.tool_calls.as_ref().is_some_and(|c| !c.is_empty())
}

/// How much output is kept in the store per event.
const EXCERPT: usize = 1200;
/// How much of the deciding line is kept with the event: one line of output can be
/// megabytes long.
const EVIDENCE: usize = 1200;

/// The classification of one call without the session's history, and what the history
/// check needs of it.
pub struct Prepared {
    pub fingerprint: String,
    pub hit: Option<Hit>,
    /// The class before context: the hit's, or `ok`.
    pub class_before: Class,
    pub read_only: bool,
    pub mutates: bool,
    /// A query whose answer can be compared with an earlier one (F6).
    pub observes: bool,
    pub signature: Option<String>,
    pub normalised: Option<String>,
    pub output_hash: Option<String>,
    pub excerpt: Option<String>,
    /// Names the failure says are missing (F2 vs F5).
    pub missing_names: Vec<String>,
    pub edit_path: Option<String>,
    /// Files the call read (absolute), to record as seen and to compare (F6).
    pub reads: Vec<String>,
    /// Files a query reads without naming them (a package manifest).
    pub consults: Vec<String>,
    pub exit_code: Option<i32>,
    pub outcome: &'static str,
}

/// The stateless verdict on one outcome: the best finding of the text rules and the shape
/// detectors, or `None` when nothing is wrong.
pub fn classify_text(obs: &Observation<'_>, config: &selfheal_config::Config) -> Option<Hit> {
    if obs.kind == ToolKind::Shell && obs.asks_for_help() && obs.failed != Some(true) {
        return None;
    }
    let programs: Vec<&str> = obs.programs().collect();
    let lines = text::lines(obs.text, &programs, obs.prints_data());
    // The shape detectors first: what they score, a text rule must reach to matter.
    let shapes = detect::findings(obs);
    let floor = shapes.iter().map(|h| h.priority).max().unwrap_or(i32::MIN);
    let mut hits: Vec<Hit> = rules::builtin_hit(obs, &lines, floor).into_iter().collect();
    hits.extend(rules::user_hits(&config.classifier_rules, obs, &lines));
    hits.extend(shapes);
    hits.sort_by_key(|h| std::cmp::Reverse(h.priority));
    let mut best = hits.into_iter().next();
    if let Some(h) = &mut best {
        if h.kind == Some("parse-input") {
            h.class = detect::parse_input_class(obs);
            if h.class == Class::F3 {
                h.hint = "The response did not parse as JSON: it is cut, empty or another format. Look at it raw (`curl -i`), then retry once.".into();
            } else if h.class == Class::F2 {
                h.hint = "The JSON typed into the command is invalid: fix it (quotes, commas, brackets) and call again.".into();
            }
        }
    }
    match best {
        Some(h) => Some(h),
        // A failure the rules do not know: the command ran and said no.
        None if obs.failed == Some(true)
            && matches!(obs.kind, ToolKind::Shell | ToolKind::Mcp | ToolKind::Other) =>
        {
            Some(Hit::new(
                "nonzero-exit",
                Class::Task,
                0,
                obs.text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or(""),
                "",
            ))
        }
        None => None,
    }
}

fn calls_of<'c>(ctx: &'c Context) -> Vec<ToolCall<'c>> {
    match ctx.event {
        HookEvent::PostToolBatch => ctx.input.batch_calls(),
        _ => ctx.input.tool_call(ctx.dialect).into_iter().collect(),
    }
}

fn decide(ctx: &mut Context) -> Result<Response, HookError> {
    // Everything that needs no state is worked out before the transaction starts.
    let prepared: Vec<Prepared> = {
        let response = if ctx.event == HookEvent::PostToolBatch {
            None
        } else {
            ctx.input.tool_response.as_ref()
        };
        calls_of(ctx)
            .iter()
            .map(|call| prepare(ctx, call, response))
            .collect()
    };
    if prepared.is_empty() {
        return Ok(Response::proceed());
    }
    let texts = ctx.write(|tx, ctx| {
        selfheal_hook::touch(tx, ctx)?;
        let history = context::History::load(tx, ctx)?;
        // Read when a fault needs a recovery chosen: `ok` and `task` spend nothing.
        let mut used = None;
        // A batch repeats calls that already had their own hook: count each once. A call
        // schema-guard refused did not run: its refusal already told the agent why.
        let handled: Vec<String> = if ctx.event == HookEvent::PostToolBatch {
            let since = history.rows.first().map_or(0, |r| r.id);
            tx.tool_uses_since(&ctx.session_key(), since)?
                .into_iter()
                .filter(|(_, hook, decision)| {
                    hook == HOOK.name || (hook == names::SCHEMA_GUARD && decision == "deny")
                })
                .map(|(id, _, _)| id)
                .collect()
        } else {
            Vec::new()
        };
        let mut texts = Vec::new();
        for (call, p) in calls_of(ctx).iter().zip(&prepared) {
            if call
                .tool_use_id
                .is_some_and(|id| handled.iter().any(|h| h == id))
            {
                continue;
            }
            if let Some(text) = settle(tx, ctx, &history, &mut used, call, p)? {
                texts.push(text);
            }
        }
        Ok(texts)
    })?;
    if texts.is_empty() {
        return Ok(Response::proceed());
    }
    Ok(Response::new(Verdict::AddContext(texts.join("\n\n"))))
}

fn prepare(ctx: &Context, call: &ToolCall<'_>, response: Option<&serde_json::Value>) -> Prepared {
    // Codex says nothing of a shell call's exit code; its transcript does.
    let exit_code_hint = match (ctx.dialect, call.kind, ctx.input.transcript_path.as_deref()) {
        (Dialect::Codex, ToolKind::Shell, Some(path)) => call
            .tool_use_id
            .and_then(|id| selfheal_protocol::codex_exit_code(std::path::Path::new(path), id)),
        _ => None,
    };
    let obs = Observation::new(ctx.dialect, call, response, exit_code_hint);
    let hit = classify_text(&obs, &ctx.config);
    let class_before = hit.as_ref().map_or(Class::Ok, |h| h.class);
    let command = obs.command.unwrap_or("");
    let read_only = match obs.kind {
        ToolKind::Shell => selfheal_shell::is_read_only(command),
        ToolKind::Read | ToolKind::Search => true,
        _ => false,
    };
    // Each shell analysis once: every one of them lexes the command again.
    let query = !read_only && observe::is_query(&obs);
    let observes = obs.failed != Some(true) && (read_only || query);
    let mutates = obs.kind.is_edit()
        || (obs.kind == ToolKind::Shell && !read_only && observe::may_write(&obs, query));
    let failed = !matches!(class_before, Class::Ok);
    let (signature, normalised) = if failed {
        let sig_source = text::signature_source(obs.text)
            .unwrap_or_else(|| hit.as_ref().map_or(String::new(), |h| h.line.clone()));
        (
            Some(text::signature(&sig_source)),
            Some(text::normalise(obs.text)),
        )
    } else {
        (None, None)
    };
    let output_hash = observes.then(|| text::hash(obs.text.trim()));
    let keep = failed || read_only || observes;
    let excerpt =
        keep.then(|| selfheal_redact::redact(&text::excerpt(obs.text, EXCERPT)).into_owned());
    let missing_names = match &hit {
        Some(h) if h.kind == Some("missing-path") => observe::missing_names(&obs, &h.line),
        _ => Vec::new(),
    };
    let edit_path = detect::read_path(&obs);
    let reads = if obs.failed != Some(true) {
        observe::files_read(&obs, ctx, read_only)
    } else {
        Vec::new()
    };
    let consults = if observes {
        observe::implied_reads(&obs, ctx)
    } else {
        Vec::new()
    };
    Prepared {
        fingerprint: call.fingerprint(),
        hit,
        class_before,
        read_only,
        mutates,
        observes,
        signature,
        normalised,
        output_hash,
        excerpt,
        missing_names,
        edit_path,
        reads,
        consults,
        exit_code: obs.exit_code,
        outcome: match obs.failed {
            Some(true) => "failure",
            Some(false) => "success",
            None => "unknown",
        },
    }
}

/// Context, recovery choice, budget and record for one call, in the hook's transaction.
/// Returns the guidance to inject, if any.
fn settle(
    tx: &Tx<'_>,
    ctx: &Context,
    history: &context::History,
    used: &mut Option<BudgetUsage>,
    call: &ToolCall<'_>,
    p: &Prepared,
) -> Result<Option<String>, StateError> {
    let key = ctx.session_key();
    let hit = context::refine(tx, ctx, history, p, p.hit.clone())?;
    let class = hit.as_ref().map_or(Class::Ok, |h| h.class);
    // Actions already tried for this same call move the choice on to the next one.
    let tried: Vec<Action> = history
        .rows
        .iter()
        .filter(|r| r.fingerprint.as_deref() == Some(p.fingerprint.as_str()))
        .filter_map(|r| r.action.as_deref().and_then(|a| a.parse().ok()))
        .collect();
    let choice = if class.is_fault() {
        let used = match used {
            Some(used) => used,
            None => used.insert(tx.budget_usage(&key)?),
        };
        choose_action(class, &ctx.config.budget, used, &tried)
    } else {
        None
    };
    let evidence = hit
        .as_ref()
        .map(|h| selfheal_redact::redact_clipped(&h.line, EVIDENCE));
    let verdict = selfheal_hook::Verdict {
        decision: if choice.is_some() { "context" } else { "none" },
        class: Some(class),
        action: choice.map(|c| c.action),
        evidence: evidence.as_deref(),
    };
    let id = tx.insert_event(
        &key,
        &NewEvent {
            // What the classifier knows beyond the client: the outcome with Codex's exit code
            // from the transcript, and what later calls compare against.
            fingerprint: Some(p.fingerprint.clone()),
            outcome: Some(p.outcome),
            exit_code: p.exit_code,
            error_signature: p.signature.clone(),
            read_only: Some(p.read_only),
            mutates: Some(p.mutates),
            output_hash: p.output_hash.clone(),
            excerpt: p.excerpt.clone(),
            ..selfheal_hook::call_event(ctx, &verdict, call)
        },
    )?;
    selfheal_hook::seen::record_seen(tx, ctx, call, Some(id))?;
    for path in &p.reads {
        let hash = selfheal_hook::seen::content_hash(std::path::Path::new(path));
        tx.record_file_seen(&key, path, hash.as_deref(), Some(id))?;
    }
    let (Some(choice), Some(hit), Some(used)) = (choice, hit, used.as_mut()) else {
        return Ok(None);
    };
    if let Some(budget) = choice.consumes {
        tx.add_budget(&key, budget, 1)?;
        used.add(budget, 1);
    }
    Ok(Some(guidance::render(
        class,
        choice.action,
        &hit,
        evidence.as_deref().unwrap_or(""),
        &ctx.config.budget,
        used,
    )))
}
