//! budget-check: the circuit breaker at Stop, SubagentStop and SessionStart.
//!
//! - **SessionStart** records the session's start (b_l counts from it) and, with
//!   `[session_start] summary = true`, tells the agent its budget and success criteria.
//! - **Stop / SubagentStop** check the goal: the success criteria (`[verify] commands`; at Stop
//!   only, since a sub-agent does a part of the task) and the failures no later call resolved
//!   (a sub-agent: its own). Goal met: the stop goes through. Goal unmet and a replan (b_p)
//!   left: the stop is refused with a corrective prompt, and the replan spent. Otherwise the stop
//!   goes through with an account for the user and an escalation (recorded, and the
//!   `[escalate] command` run with it on stdin); with the time or token budget spent the
//!   session is halted (`continue: false`).
//! - **Never a loop**: a stop is not refused again when nothing changed since the last refusal
//!   (`stop_hook_active`, no successful call, the same check result), nor more than
//!   `[stop] max_refusals` times in a session; Codex has no cap of its own.
//!
//! As in the classifier, the slow work happens outside the write transaction: the transcripts
//! are read (b_k, from a remembered byte offset) and the criteria run before it; the one
//! `BEGIN IMMEDIATE` transaction then re-reads what it decides on, decides and records.

mod account;
mod escalate;
mod goal;
mod tokens;

use std::path::{Path, PathBuf};
use std::time::Duration;

use selfheal_hook::{record_event, record_event_of_touched, Context, Hook, HookError};
use selfheal_model::{Action, Budget, BudgetLimits, BudgetUsage};
use selfheal_protocol::{Dialect, HookEvent, HookInput, Response, Verdict};
use selfheal_state::{
    format_rfc3339, now_ms, NewEscalation, SessionKey, StateError, TranscriptRow, Tx, Unresolved,
};
use serde_json::{json, Value};

pub use account::Reason;
pub use escalate::{helper_main, HELPER_FLAG};
pub use goal::{run as run_checks, Check, Criteria};
pub use tokens::Reading;

pub const HOOK: Hook = Hook {
    name: selfheal_hook::names::BUDGET_CHECK,
    summary: "Stop, SubagentStop, SessionStart: the circuit breaker over the session's budgets",
    events: &["SessionStart", "Stop", "SubagentStop"],
    applies: always,
    decide,
};

/// Unresolved failures looked at, at most (newest first). Each costs the Stop a row read and a
/// probe for a denial (about 10 µs): in a session that fails call after call, this bounds the
/// search, and the account says "at least" this many.
const FAILURES: u32 = 20;

fn always(_: &HookInput, _: Dialect) -> bool {
    true
}

fn decide(ctx: &mut Context) -> Result<Response, HookError> {
    match ctx.event {
        HookEvent::SessionStart => session_start(ctx),
        _ => stop(ctx),
    }
}

fn session_start(ctx: &mut Context) -> Result<Response, HookError> {
    let summary = ctx.config.session_start_summary;
    let verdict = selfheal_hook::Verdict {
        decision: if summary { "context" } else { "none" },
        ..selfheal_hook::Verdict::NONE
    };
    // Touching the session creates it with its start time: b_l counts from here.
    let used = ctx.write(|tx, ctx| {
        record_event(tx, ctx, &verdict, &[])?;
        tx.budget_usage(&ctx.session_key())
    })?;
    if !summary {
        return Ok(Response::proceed());
    }
    let root = ctx.project_root();
    Ok(Response::new(Verdict::AddContext(
        account::session_summary(&ctx.config, &used, root.as_deref()),
    )))
}

/// What the store knew before the slow work.
#[derive(Default)]
struct Known {
    transcripts: Vec<TranscriptRow>,
    last_event: i64,
    /// The criteria passed before and no call since could have changed anything.
    still_passing: bool,
}

/// What the transaction decided, with what the texts after it need.
enum Decision {
    Allow,
    Refuse(String),
    Escalate(Escalation),
}

struct Escalation {
    reason: Reason,
    code: String,
    text: String,
    /// The row written, or `None` when this reason was already escalated in the session.
    id: Option<i64>,
    failures: Unresolved,
    used: BudgetUsage,
    refusals: u64,
}

fn stop(ctx: &mut Context) -> Result<Response, HookError> {
    let key = ctx.session_key();
    let subagent = ctx.event == HookEvent::SubagentStop;
    let agent = if subagent {
        ctx.input.agent_id.clone()
    } else {
        None
    };
    let checks_criteria = !subagent && !ctx.config.verify_commands.is_empty();
    if let Some(untrusted) = &ctx.config.untrusted {
        let [verify, escalate, _] = selfheal_config::trust::COMMAND_KEYS;
        if !subagent && (untrusted.left_out(verify) || untrusted.left_out(escalate)) {
            let message = untrusted.message();
            ctx.warn(message);
        }
    }

    // The write below needs the store in any case: one connection serves the read too.
    ctx.store()?;
    // A failed read costs only a re-read of the transcripts and a run of the criteria; the
    // write below meets the same problem or succeeds.
    let known = ctx
        .read(|tx, _| {
            let transcripts = tx.transcripts(&key)?;
            // Only the criteria need to know where the session is.
            if !checks_criteria {
                return Ok(Known {
                    transcripts,
                    ..Known::default()
                });
            }
            let still_passing = match tx.stop_state(&key, "")?.passed_upto {
                Some(upto) => tx.changes_since(&key, upto)? == 0,
                None => false,
            };
            Ok(Known {
                transcripts,
                last_event: tx.last_event_id(&key)?,
                still_passing,
            })
        })
        .ok()
        .flatten()
        .unwrap_or_default();

    // The slow part, with no lock held: transcripts and the success criteria.
    let readings = read_transcripts(ctx, &known.transcripts);
    let root = ctx.project_root();
    let criteria = if !checks_criteria {
        Criteria::None
    } else if known.still_passing {
        Criteria::StillPassing
    } else if let Some(root) = &root {
        Criteria::Ran(goal::run(
            &ctx.config.verify_commands,
            Path::new(root),
            Duration::from_secs(ctx.config.verify_timeout_secs),
        ))
    } else {
        ctx.warn("the payload has no cwd: success criteria not checked");
        Criteria::None
    };

    let found = Found {
        key: &key,
        agent: agent.as_deref(),
        readings: &readings,
        criteria: &criteria,
        last_event: known.last_event,
        root: root.as_deref(),
    };
    let decision = ctx.write(|tx, ctx| settle(tx, ctx, &found))?;

    match decision {
        Decision::Allow => Ok(Response::proceed()),
        Decision::Refuse(text) => Ok(Response::new(Verdict::RefuseStop(text))),
        Decision::Escalate(e) => Ok(escalate(
            ctx,
            &key,
            agent.as_deref(),
            &criteria,
            root.as_deref(),
            e,
        )),
    }
}

/// The transcripts this event names (a sub-agent's own besides the session's), read on from
/// where the last reading stopped.
fn read_transcripts(ctx: &Context, known: &[TranscriptRow]) -> Vec<Reading> {
    let mut paths: Vec<&str> = Vec::new();
    for p in [
        ctx.input.transcript_path.as_deref(),
        ctx.input.agent_transcript_path.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        if !p.is_empty() && !paths.contains(&p) {
            paths.push(p);
        }
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let stored = known.iter().find(|t| t.path == p);
            tokens::read(ctx.dialect, Path::new(p), stored)
        })
        .collect()
}

/// What the slow work before the transaction found, and whose stop it is.
#[derive(Clone, Copy)]
struct Found<'a> {
    key: &'a SessionKey,
    /// The sub-agent stopping (SubagentStop), `None` for the main agent.
    agent: Option<&'a str>,
    readings: &'a [Reading],
    criteria: &'a Criteria,
    /// The session's last event when the criteria were run.
    last_event: i64,
    root: Option<&'a str>,
}

/// The decision, in the hook's one write transaction: everything it depends on is read again
/// here, so that parallel hooks (a sub-agent's stop, the classifier) cannot make it stale.
fn settle(tx: &Tx<'_>, ctx: &Context, found: &Found<'_>) -> Result<Decision, StateError> {
    let Found {
        key,
        agent,
        readings,
        criteria,
        last_event,
        root,
    } = *found;
    selfheal_hook::touch(tx, ctx)?;
    for r in readings {
        tx.advance_transcript(key, r.from, &r.row)?;
    }
    if !readings.is_empty() {
        tx.set_budget(key, Budget::CostTokens, tx.transcript_tokens(key)?)?;
    }
    match criteria {
        Criteria::Ran(_) if criteria.passed_now() => {
            tx.set_criteria_passed(key, Some(last_event))?
        }
        Criteria::Ran(_) => tx.set_criteria_passed(key, None)?,
        _ => {}
    }
    let scope = agent.unwrap_or("");
    let state = tx.stop_state(key, scope)?;
    let failures = tx.unresolved_failures_from(
        key,
        agent,
        FAILURES,
        account::MAX_FAILURES,
        state.resolved_below.unwrap_or(0),
    )?;
    if let Some(from) = failures
        .resume_from
        .filter(|&f| Some(f) != state.resolved_below)
    {
        tx.set_resolved_below(key, scope, from)?;
    }
    let goal = goal::Goal {
        criteria,
        failures: &failures,
    };
    if goal.met() {
        record_event_of_touched(tx, ctx, &selfheal_hook::Verdict::NONE, &[])?;
        return Ok(Decision::Allow);
    }

    let limits = &ctx.config.budget;
    let mut used = tx.budget_usage(key)?;
    let spent: Vec<Budget> = [Budget::LatencySecs, Budget::CostTokens]
        .into_iter()
        .filter(|b| limits.remaining(&used, *b) == 0)
        .collect();
    let refusals = tx.stop_refusals(key)?;
    let fingerprint = goal.fingerprint();
    let stuck = ctx.input.stop_hook_active == Some(true)
        && state.fingerprint.as_deref() == Some(fingerprint.as_str())
        && match state.refusal_event {
            Some(id) => tx.successes_since(key, agent, id)? == 0,
            None => false,
        };
    let reason = if !spent.is_empty() {
        Some(Reason::SessionSpent)
    } else if refusals >= u64::from(ctx.config.stop_max_refusals) {
        Some(Reason::RefusalCap)
    } else if stuck {
        Some(Reason::NoProgress)
    } else if limits.remaining(&used, Budget::Replans) == 0 {
        Some(Reason::ReplansSpent)
    } else {
        None
    };

    let Some(reason) = reason else {
        // Corrective retry: refuse the stop, spend a replan.
        let tried = tx.action_counts(key)?;
        tx.add_budget(key, Budget::Replans, 1)?;
        used.add(Budget::Replans, 1);
        let text = account::Corrective {
            goal,
            root,
            tried: &tried,
            refusal: refusals + 1,
            max_refusals: ctx.config.stop_max_refusals,
            limits,
            used: &used,
            subagent: agent.is_some(),
        }
        .render();
        let evidence = refusal_evidence(criteria, &failures);
        let verdict = selfheal_hook::Verdict {
            decision: "block",
            class: None,
            action: Some(Action::Replan),
            evidence: Some(&evidence),
        };
        let ids = record_event_of_touched(tx, ctx, &verdict, &[])?;
        tx.record_refusal(key, scope, &fingerprint, ids[0])?;
        return Ok(Decision::Refuse(text));
    };

    let code = reason.code(&spent);
    let text = reason.text(&spent, refusals);
    let id = if tx.escalation_reasons(key)?.contains(&code) {
        None
    } else {
        let summary = account::summary(&goal, root);
        let budget = budget_json(limits, &used).to_string();
        Some(tx.insert_escalation(
            key,
            &NewEscalation {
                reason: &code,
                summary: Some(&summary),
                budget_spent: Some(&budget),
            },
        )?)
    };
    let verdict = selfheal_hook::Verdict {
        decision: if reason == Reason::SessionSpent {
            "halt"
        } else {
            "none"
        },
        class: None,
        action: Some(Action::Escalate),
        evidence: Some(&text),
    };
    record_event_of_touched(tx, ctx, &verdict, &[])?;
    Ok(Decision::Escalate(Escalation {
        reason,
        code,
        text,
        id,
        failures,
        used,
        refusals,
    }))
}

/// One line for the event record: what made the check fail.
fn refusal_evidence(criteria: &Criteria, failures: &Unresolved) -> String {
    let mut parts: Vec<String> = criteria
        .failing()
        .iter()
        .map(|c| format!("`{}` {}", c.command(), c.result()))
        .collect();
    if !failures.ids.is_empty() {
        parts.push(account::failure_count(failures));
    }
    parts.join("; ")
}

/// After the transaction: the escalation command (detached), and the response.
fn escalate(
    ctx: &mut Context,
    key: &SessionKey,
    agent: Option<&str>,
    criteria: &Criteria,
    root: Option<&str>,
    e: Escalation,
) -> Response {
    let limits = ctx.config.budget;
    let goal = goal::Goal {
        criteria,
        failures: &e.failures,
    };
    let note = match (e.id, &ctx.config.escalate_command) {
        (None, _) => "Already escalated for this reason.".to_owned(),
        (Some(id), None) => {
            format!("Escalated (record #{id}); no [escalate] command is configured.")
        }
        (Some(id), Some(command)) => {
            let record = record_json(ctx, key, agent, &goal, root, &e, id);
            let dir = root
                .map(PathBuf::from)
                .or_else(|| ctx.input.cwd.as_deref().map(PathBuf::from))
                .filter(|d| d.is_dir())
                .unwrap_or_else(|| PathBuf::from("/"));
            let shown = goal::shown(command);
            match escalate::notify(
                command,
                ctx.config.escalate_timeout_secs,
                &dir,
                record.to_string().as_bytes(),
                ctx.env("PATH").as_deref(),
            ) {
                Ok(()) => format!("Escalated (record #{id}); the record was sent to `{shown}`."),
                Err(why) => {
                    ctx.warn(format!("[escalate] command did not start: {why}"));
                    format!("Escalated (record #{id}); `{shown}` could not be started: {why}.")
                }
            }
        }
    };
    let message = account::Account {
        goal,
        root,
        reason: e.text.clone(),
        limits: &limits,
        used: &e.used,
        session_id: &key.session_id,
        subagent: agent.is_some(),
        escalation_note: note,
    }
    .message();
    let response = if e.reason == Reason::SessionSpent {
        Response::new(Verdict::Halt(format!(
            "selfheal: session halted — {}.",
            e.text
        )))
    } else {
        Response::proceed()
    };
    response.with_user_message(message)
}

fn budget_json(limits: &BudgetLimits, used: &BudgetUsage) -> Value {
    Value::Object(
        Budget::ALL
            .into_iter()
            .map(|b| {
                (
                    b.key().to_owned(),
                    json!({"symbol": b.symbol(), "used": used.get(b), "limit": limits.get(b)}),
                )
            })
            .collect(),
    )
}

/// The escalation record the `[escalate] command` reads on stdin.
fn record_json(
    ctx: &Context,
    key: &SessionKey,
    agent: Option<&str>,
    goal: &goal::Goal<'_>,
    root: Option<&str>,
    e: &Escalation,
    id: i64,
) -> Value {
    let criteria: Vec<Value> = match goal.criteria {
        Criteria::Ran(checks) => checks
            .iter()
            .map(|c| {
                json!({
                    "command": c.argv,
                    "passed": c.passed(),
                    "result": c.result(),
                    "output": selfheal_redact::redact(&c.outcome.output),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let failures: Vec<Value> = goal
        .failures
        .shown
        .iter()
        .map(|f| {
            json!({
                "class": f.class,
                "tool": f.tool_name,
                "what": account::what(f, root),
                "evidence": f.evidence.as_deref().map(selfheal_redact::redact),
                "at": format_rfc3339(f.ts),
            })
        })
        .collect();
    json!({
        "kind": "selfheal.escalation",
        "escalation_id": id,
        "ts": format_rfc3339(now_ms()),
        "client": key.client,
        "session_id": key.session_id,
        "agent_id": agent,
        "event": ctx.event.name(),
        "project_root": root,
        "reason": e.code,
        "reason_text": e.text,
        "halted": e.reason == Reason::SessionSpent,
        "success_criteria": criteria,
        "unresolved_failures": failures,
        "unresolved_failure_count": goal.failures.ids.len(),
        "unresolved_failure_count_exact": !goal.failures.capped(),
        "stop_refusals": e.refusals,
        "budget": budget_json(&ctx.config.budget, &e.used),
        "summary": account::summary(goal, root),
    })
}
