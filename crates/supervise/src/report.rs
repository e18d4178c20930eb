//! The run report: JSON (attempts, durations, failure modes, actions, outcome) and a human
//! summary.

use std::time::Duration;

use serde_json::{json, Value};

use crate::attempt::{Criterion, Phase};
use crate::supervisor::{Outcome, Supervised};

/// What the report says about the run besides the attempts.
pub struct RunInfo<'a> {
    pub run_id: &'a str,
    pub agent: &'a str,
    pub goal: &'a str,
    pub started: &'a str,
    pub duration: Duration,
    pub run_dir: &'a str,
    pub exit_code: u8,
}

pub fn criteria_json(criteria: &[Criterion]) -> Value {
    Value::Array(
        criteria
            .iter()
            .map(|c| {
                json!({"command": c.command, "passed": c.passed, "result": c.result,
                       "output": c.output})
            })
            .collect(),
    )
}

pub fn json(info: &RunInfo<'_>, s: &Supervised) -> Value {
    let attempts: Vec<Value> = s
        .attempts
        .iter()
        .map(|a| {
            let (subtask, of) = match a.phase {
                Phase::Part { i, n } => (Some(i), Some(n)),
                _ => (None, None),
            };
            json!({
                "n": a.n,
                "phase": a.phase.name(),
                "subtask": subtask,
                "subtasks": of,
                "prompt_kind": a.prompt_kind,
                "prompt": a.prompt,
                "session_id": a.run.session_id,
                "pid": a.run.pid,
                "log": a.run.log.display().to_string(),
                "duration_ms": a.run.duration.as_millis() as u64,
                "exit_code": a.run.exit_code,
                "stalled": a.run.stalled,
                "group_gone": a.run.group_gone,
                "spawn_error": a.run.spawn_error,
                "failure_mode": a.mode.map(|m| m.name()),
                "client_errors": a.run.errors,
                "success_criteria": criteria_json(&a.criteria),
                "unresolved_failures": a.facts.unresolved.iter()
                    .map(|f| json!({"class": f.class, "what": f.what, "evidence": f.evidence}))
                    .collect::<Vec<_>>(),
                "unresolved_failures_complete": !a.facts.unresolved_more,
                "recent_events": a.facts.recent,
                "actions": a.run.actions,
                "last_action": a.run.actions.last(),
                "last_message": a.run.last_message(),
                "similarity_to_previous": a.similarity,
                "next": a.action,
                "backoff_ms": a.backoff_ms,
                "log_tail": if a.run.stalled || a.mode.is_some() {
                    Some(a.run.log_tail.clone())
                } else {
                    None
                },
            })
        })
        .collect();
    json!({
        "kind": "selfheal.run",
        "run_id": info.run_id,
        "agent": info.agent,
        "goal": info.goal,
        "started": info.started,
        "duration_ms": info.duration.as_millis() as u64,
        "run_dir": info.run_dir,
        "outcome": s.outcome.name(),
        "exit_code": info.exit_code,
        "reason": s.reason.map(|r| r.code()),
        "reason_text": s.reason_text,
        "attempts": attempts,
        "subtasks": s.subtasks,
        "success_criteria": criteria_json(&s.final_criteria),
        "escalation": s.escalation,
    })
}

/// A few lines for a person (cron mails them).
pub fn summary(info: &RunInfo<'_>, s: &Supervised) -> String {
    let mut out = match s.outcome {
        Outcome::Succeeded => format!(
            "selfheal run {}: succeeded after {} attempt(s) in {}",
            info.run_id,
            s.attempts.len(),
            secs(info.duration)
        ),
        Outcome::SucceededAfterDecomposition => format!(
            "selfheal run {}: succeeded after splitting the task into {} subtasks ({} attempts, {})",
            info.run_id,
            s.subtasks.len(),
            s.attempts.len(),
            secs(info.duration)
        ),
        Outcome::Escalated => format!(
            "selfheal run {}: NOT DONE, escalated — {} ({} attempts, {})",
            info.run_id,
            s.reason_text.as_deref().unwrap_or("?"),
            s.attempts.len(),
            secs(info.duration)
        ),
    };
    out.push('\n');
    for a in &s.attempts {
        let label = match a.phase {
            Phase::Main => format!("attempt {}", a.n),
            Phase::Plan => "planning".to_owned(),
            Phase::Part { i, n } => format!("subtask {i}/{n}"),
        };
        let how = match a.mode {
            None => "ok".to_owned(),
            Some(m) => m.name().to_owned(),
        };
        let mut line = format!("  {label}: {how}, {}", secs(a.run.duration));
        if let Some(code) = a.run.exit_code {
            line.push_str(&format!(", exit {code}"));
        }
        let failing: Vec<&str> = a
            .criteria
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.command.as_str())
            .collect();
        if !failing.is_empty() {
            line.push_str(&format!(", failing: {}", failing.join("; ")));
        }
        if !a.facts.unresolved.is_empty() {
            line.push_str(&format!(
                ", {}{} unresolved failure(s)",
                if a.facts.unresolved_more {
                    "at least "
                } else {
                    ""
                },
                a.facts.unresolved.len()
            ));
        }
        if let Some(sim) = a.similarity {
            line.push_str(&format!(", {:.0}% like the previous", sim * 100.0));
        }
        line.push_str(&format!(" → {}", a.action));
        if let Some(ms) = a.backoff_ms {
            line.push_str(&format!(" after {:.1} s", ms as f64 / 1000.0));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(e) = &s.escalation {
        out.push_str(&format!(
            "  escalation #{}: {}\n",
            e["escalation_id"],
            e["notified"].as_str().unwrap_or("")
        ));
    }
    out.push_str(&format!("  logs and report: {}\n", info.run_dir));
    out
}

fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
