//! patch-verifier: after every edit (PostToolUse of Codex `apply_patch`, Claude `Edit`,
//! `MultiEdit`, `Write`, `NotebookEdit`) it reads each file the edit touched back from disk
//! and checks that the edit landed, all of it, and that the result is sane. A partial
//! application is a failure even when the tool said success: recorded as F3 (incomplete
//! output), with the cheapest recovery that has budget left, and one block of guidance naming
//! exactly what is missing (file, hunk, line).
//!
//! Three stages, all before the one write transaction: did it land ([`landed`]), is it sane
//! ([`sane`]: conflict markers, JSON/TOML/YAML), and the configured `[[patch.checks]]`
//! ([`checks`]). The transaction then records the verdict, spends budget, and records the new
//! content hash of every touched file (so that the session's own edit never reads as someone
//! else's change, F5, to schema-guard and the classifier).

pub mod checks;
pub mod landed;
pub mod sane;
mod text;

use std::path::Path;

use selfheal_config::PatchCheck;
use selfheal_hook::{Context, Hook, HookError};
use selfheal_model::{choose_action, Action, Class};
use selfheal_protocol::{Dialect, HookInput, Response, ToolCall, Verdict};
use selfheal_state::NewEvent;
use serde_json::Value;
use sha2::{Digest, Sha256};

use selfheal_redact::clip;

pub const HOOK: Hook = Hook {
    name: selfheal_hook::names::PATCH_VERIFIER,
    summary: "PostToolUse of edits: checks that every edit landed as intended",
    events: &["PostToolUse"],
    applies: is_edit,
    decide,
};

fn is_edit(input: &HookInput, dialect: Dialect) -> bool {
    input
        .tool_call(dialect)
        .is_some_and(|call| call.kind.is_edit())
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum What {
    /// The disk does not hold what the edit said it wrote.
    NotLanded,
    /// Conflict markers the edit wrote.
    Markers,
    /// A JSON/TOML/YAML file that no longer parses.
    Parse,
    /// A configured `[[patch.checks]]` command failed.
    Check,
}

impl What {
    fn key(self) -> &'static str {
        match self {
            What::NotLanded => "not-landed",
            What::Markers => "markers",
            What::Parse => "parse",
            What::Check => "check",
        }
    }

    /// What to do about it, one sentence.
    fn advice(self) -> &'static str {
        match self {
            What::NotLanded => {
                "Read each file named again and redo the part of the edit that is missing; do \
                 not report this edit as done until the file holds it."
            }
            What::Markers => {
                "Resolve the conflict: keep the intended text and delete every \
                 <<<<<<< / ======= / >>>>>>> line."
            }
            What::Parse => "Fix the syntax at the place named so that the file parses again.",
            What::Check => "Fix what the check reports, then run it again.",
        }
    }
}

/// One thing wrong with one file after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, as shown to the agent.
    pub path: String,
    pub what: What,
    pub detail: String,
}

/// The stateless verdict on one edit.
#[derive(Debug, Default)]
pub struct Verification {
    pub findings: Vec<Finding>,
    /// How many files the edit was meant to touch.
    pub files: usize,
    /// For stderr: checks that could not run.
    pub warnings: Vec<String>,
}

/// Verifies one edit call against the disk: landing, sanity, then the configured checks (run
/// in `root`). `cwd` resolves relative paths.
pub fn verify(
    call: &ToolCall<'_>,
    response: Option<&Value>,
    cwd: Option<&Path>,
    root: Option<&Path>,
    checks: &[PatchCheck],
) -> Verification {
    let landing = landed::check(call, response, &landed::Place { cwd });
    let mut findings = landing.findings;
    findings.extend(sane::check(&landing.files));
    let mut warnings = Vec::new();
    if let Some(root) = root.or(cwd) {
        let (found, warned) = checks::run(checks, &landing.files, root);
        findings.extend(found);
        warnings = warned;
    }
    Verification {
        findings,
        files: landing.total,
        warnings,
    }
}

/// The guidance's parts: a one-line summary (the evidence) and the full list with what to do.
pub fn describe(tool: &str, v: &Verification) -> (String, String) {
    let first = &v.findings[0];
    let mut files: Vec<&str> = Vec::new();
    for f in v.findings.iter().filter(|f| f.what == What::NotLanded) {
        if !files.contains(&f.path.as_str()) {
            files.push(&f.path);
        }
    }
    let summary = if !files.is_empty() && v.files > 1 {
        format!(
            "{tool} reported success, but {} of {} files {} not as the edit says: {}: {}",
            files.len(),
            v.files,
            if files.len() == 1 { "is" } else { "are" },
            first.path,
            first.detail
        )
    } else if first.what == What::NotLanded {
        format!("{tool} reported success, but {}", subject(first))
    } else {
        format!("after the {tool}, {}", subject(first))
    };
    let mut hint = String::from("What is wrong:");
    const MAX_LISTED: usize = 8;
    for f in v.findings.iter().take(MAX_LISTED) {
        hint.push_str(&format!("\n- {}: {}", f.path, clip(&f.detail, 320)));
    }
    if v.findings.len() > MAX_LISTED {
        hint.push_str(&format!("\n- … and {} more", v.findings.len() - MAX_LISTED));
    }
    let mut kinds: Vec<What> = v.findings.iter().map(|f| f.what).collect();
    kinds.sort();
    kinds.dedup();
    hint.push('\n');
    hint.push_str(
        &kinds
            .iter()
            .map(|k| k.advice())
            .collect::<Vec<_>>()
            .join(" "),
    );
    (summary, hint)
}

/// "data.txt is cut short", "f.py: new_string … appears 0 times".
fn subject(f: &Finding) -> String {
    const VERBS: [&str; 6] = ["is ", "was ", "does ", "still ", "has ", "differs "];
    if VERBS.iter().any(|v| f.detail.starts_with(v)) {
        format!("{} {}", f.path, f.detail)
    } else {
        format!("{}: {}", f.path, f.detail)
    }
}

/// The same fault seen again (the same problems in the same files) moves the recovery on to
/// the next action.
fn fault_signature(findings: &[Finding]) -> String {
    let mut keys: Vec<String> = findings
        .iter()
        .map(|f| format!("{}:{}", f.what.key(), f.path))
        .collect();
    keys.sort();
    keys.dedup();
    let digest = Sha256::digest(keys.join("\n").as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("patch-verifier:{hex}")
}

/// How far back in the session an earlier attempt at the same fault is looked for.
const HISTORY: u32 = 200;
/// How much of the report is stored with the event.
const EXCERPT: usize = 1200;

fn decide(ctx: &mut Context) -> Result<Response, HookError> {
    // Everything that needs no state is worked out before the transaction starts.
    let verification = {
        let Some(call) = ctx.input.tool_call(ctx.dialect) else {
            return Ok(Response::proceed());
        };
        let cwd = ctx.input.cwd.as_deref().map(Path::new);
        // The client said the call failed: the classifier handles that. A cwd that is not
        // here is a payload from another machine: nothing on this disk to compare.
        let failed = call.outcome.as_ref().and_then(|o| o.failed()) == Some(true);
        if failed || cwd.is_some_and(|c| !c.is_dir()) {
            Verification::default()
        } else {
            let root = ctx.project_root();
            verify(
                &call,
                ctx.input.tool_response.as_ref(),
                cwd,
                root.as_deref().map(Path::new),
                &ctx.config.patch_checks,
            )
        }
    };
    for w in &verification.warnings {
        ctx.warn(w.clone());
    }
    // The project's checks were left out, untrusted: said wherever they would have run.
    if let Some(untrusted) = &ctx.config.untrusted {
        if verification.files > 0 && untrusted.left_out(selfheal_config::trust::COMMAND_KEYS[2]) {
            let message = untrusted.message();
            ctx.warn(message);
        }
    }
    let text = ctx.write(|tx, ctx| {
        selfheal_hook::touch(tx, ctx)?;
        let Some(call) = ctx.input.tool_call(ctx.dialect) else {
            return Ok(None);
        };
        let key = ctx.session_key();
        if verification.findings.is_empty() {
            let evidence = (verification.files > 0)
                .then(|| format!("verified: {} file(s) as the edit says", verification.files));
            let verdict = selfheal_hook::Verdict {
                evidence: evidence.as_deref(),
                ..selfheal_hook::Verdict::NONE
            };
            let id = tx.insert_event(
                &key,
                &NewEvent {
                    mutates: Some(true),
                    ..selfheal_hook::call_event(ctx, &verdict, &call)
                },
            )?;
            selfheal_hook::seen::record_seen(tx, ctx, &call, Some(id))?;
            return Ok(None);
        }
        let (summary, hint) = describe(call.name, &verification);
        let summary = selfheal_redact::redact(&summary).into_owned();
        let hint = selfheal_redact::redact(&hint).into_owned();
        let signature = fault_signature(&verification.findings);
        let tried: Vec<Action> = tx
            .events(&key, HISTORY)?
            .into_iter()
            .filter(|r| r.hook == HOOK.name && r.error_signature.as_deref() == Some(&signature))
            .filter_map(|r| r.action.as_deref().and_then(|a| a.parse().ok()))
            .collect();
        let mut used = tx.budget_usage(&key)?;
        let class = Class::F3;
        let choice = choose_action(class, &ctx.config.budget, &used, &tried);
        let verdict = selfheal_hook::Verdict {
            decision: if choice.is_some() { "context" } else { "none" },
            class: Some(class),
            action: choice.map(|c| c.action),
            evidence: Some(&summary),
        };
        let id = tx.insert_event(
            &key,
            &NewEvent {
                error_signature: Some(signature.clone()),
                mutates: Some(true),
                excerpt: Some(clip(&hint, EXCERPT)),
                ..selfheal_hook::call_event(ctx, &verdict, &call)
            },
        )?;
        // The hash of what is on disk now, whatever the verdict: the session has this view.
        selfheal_hook::seen::record_seen(tx, ctx, &call, Some(id))?;
        let Some(choice) = choice else {
            return Ok(None);
        };
        if let Some(budget) = choice.consumes {
            tx.add_budget(&key, budget, 1)?;
            used.add(budget, 1);
        }
        Ok(Some(selfheal_classify::guidance::render_hint(
            class,
            choice.action,
            &hint,
            &summary,
            &ctx.config.budget,
            &used,
        )))
    })?;
    Ok(match text {
        Some(text) => Response::new(Verdict::AddContext(text)),
        None => Response::proceed(),
    })
}
