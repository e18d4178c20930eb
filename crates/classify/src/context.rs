//! What the session's history decides that the text alone cannot: a name seen earlier and
//! gone now (F5), an observation that contradicts an earlier one (F6), repetition without
//! progress (F7).

use std::path::Path;

use selfheal_hook::seen::{absolute, content_hash};
use selfheal_hook::Context;
use selfheal_model::Class;
use selfheal_state::{CallRow, StateError, Tx};

use crate::rules::Hit;
use crate::Prepared;

/// The classifier's earlier tool events in this session, oldest first.
pub struct History {
    pub rows: Vec<CallRow>,
}

/// Events read back for context: enough for three attempts with edits and reads between.
pub const WINDOW: u32 = 30;

impl History {
    pub fn load(tx: &Tx<'_>, ctx: &Context) -> Result<History, StateError> {
        let rows = tx.recent_calls(&ctx.session_key(), crate::HOOK.name, WINDOW)?;
        Ok(History { rows })
    }

    /// Attempts: calls that are neither edits nor read-only observations, newest last. These
    /// are what repeats or oscillates; edits and reads between them do not break a run.
    fn attempts(&self) -> impl DoubleEndedIterator<Item = &CallRow> {
        self.rows
            .iter()
            .filter(|r| r.read_only != Some(true) && !is_edit_row(r))
    }
}

/// `pred` holds for every item; stops at the first that fails or errs.
fn all_ok<T>(
    items: impl Iterator<Item = T>,
    mut pred: impl FnMut(&T) -> Result<bool, StateError>,
) -> Result<bool, StateError> {
    for item in items {
        if !pred(&item)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn is_edit_row(r: &CallRow) -> bool {
    matches!(r.tool_kind.as_deref(), Some("edit" | "write" | "patch"))
}

fn class_of(r: &CallRow) -> Option<Class> {
    r.class.as_deref().and_then(|c| c.parse().ok())
}

/// A failure of the kinds that F7 is about (not transient F1, not context F5/F6).
fn repeatable(class: Class) -> bool {
    matches!(class, Class::F2 | Class::F3 | Class::Task | Class::F7)
}

/// The class after context; `hit` is the text's verdict (`None` = nothing wrong seen).
pub fn refine(
    tx: &Tx<'_>,
    ctx: &Context,
    history: &History,
    p: &Prepared,
    hit: Option<Hit>,
) -> Result<Option<Hit>, StateError> {
    let key = ctx.session_key();
    // A name the session saw earlier is gone now: stale context, not a bad argument.
    if let Some(h) = &hit {
        match h.kind {
            Some("missing-path") if h.class == Class::F2 => {
                for needle in &p.missing_names {
                    if tx.mentioned(&key, needle)? {
                        return Ok(Some(Hit::new(
                            "seen-then-gone",
                            Class::F5,
                            h.priority,
                            &h.line,
                            format!(
                                "`{needle}` was there earlier in this session and is gone now: \
                                 it was moved, renamed or deleted since. List again (ls, git \
                                 branch, the tool's own listing) and use the current name."
                            ),
                        )));
                    }
                }
            }
            Some("stale-edit") => {
                if let Some(path) = &p.edit_path {
                    let abs = absolute(ctx, path);
                    if let Some(seen) = tx.file_seen(&key, &abs.to_string_lossy())? {
                        if seen.content_hash != content_hash(&abs) {
                            return Ok(Some(Hit::new(
                                "changed-since-read",
                                Class::F5,
                                h.priority,
                                &h.line,
                                format!("{path} changed since you read it. Read it again and edit what it says now."),
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    let current = hit.as_ref().map_or(Class::Ok, |h| h.class);
    if repeatable(current) {
        if let Some(f7) = loop_failure(tx, ctx, history, p, hit.as_ref())? {
            return Ok(Some(f7));
        }
    }
    if matches!(current, Class::Ok | Class::Task) {
        if let Some(f6) = contradiction(tx, ctx, history, p)? {
            return Ok(Some(f6));
        }
    }
    Ok(hit)
}

fn loop_failure(
    tx: &Tx<'_>,
    ctx: &Context,
    history: &History,
    p: &Prepared,
    hit: Option<&Hit>,
) -> Result<Option<Hit>, StateError> {
    let n = ctx.config.max_repeats.max(2) as usize;
    let line = hit.map_or("", |h| h.line.as_str());
    let replan = |rule: &str, what: String| {
        Some(Hit::new(
            rule,
            Class::F7,
            200,
            line,
            format!(
                "{what}. Stop repeating it: state in one sentence why it keeps failing, choose a \
                 different approach (another command, a smaller step, reading the code it points \
                 at), and say what you will do before doing it."
            ),
        ))
    };
    // The same failing call, the Nth time, failing the same way (a call whose failure
    // changes between edits is the agent's normal edit-test loop).
    let same_call = history
        .rows
        .iter()
        .filter(|r| r.fingerprint.as_deref() == Some(p.fingerprint.as_str()))
        .filter(|r| class_of(r).is_some_and(repeatable))
        .filter(|r| r.error_signature == p.signature)
        .count();
    if same_call + 1 >= n {
        return Ok(replan(
            "same-call-repeated",
            format!("This exact call has now failed {} times", same_call + 1),
        ));
    }
    let Some(signature) = &p.signature else {
        return Ok(None);
    };
    // The run of failed attempts just before this one (a success ends it).
    let mut run: Vec<&CallRow> = Vec::new();
    for r in history.attempts().rev() {
        match class_of(r) {
            Some(c) if repeatable(c) => run.push(r),
            _ => break,
        }
    }
    // The same error N times in a row, whatever command produced it.
    let same_sig = run
        .iter()
        .take(n - 1)
        .filter(|r| r.error_signature.as_deref() == Some(signature.as_str()))
        .count();
    if same_sig + 1 >= n {
        return Ok(replan(
            "same-error-repeated",
            format!("The same error has now come back {n} times in a row"),
        ));
    }
    // A/B/A/B: two alternating failures, judged at the fourth.
    if run.len() >= 3 {
        let sig = |r: &CallRow| r.error_signature.clone().unwrap_or_default();
        let (b, a2, b2) = (sig(run[0]), sig(run[1]), sig(run[2]));
        if !b.is_empty() && a2 == *signature && b2 == b && b != *signature {
            return Ok(replan(
                "oscillation",
                "The last fixes alternate between two failures (A/B/A/B)".to_owned(),
            ));
        }
    }
    // Near-identical outputs over the last N attempts of this call, with nothing changed.
    if let Some(current) = &p.normalised {
        let similar: Vec<&CallRow> = history
            .rows
            .iter()
            .rev()
            .take_while(|r| r.mutates != Some(true))
            .filter(|r| class_of(r).is_some_and(repeatable))
            .take(n - 1)
            .collect();
        let near_identical = |r: &&CallRow| -> Result<bool, StateError> {
            Ok(tx.excerpt(r.id)?.is_some_and(|e| {
                crate::text::similarity(&crate::text::normalise(&e), current)
                    >= ctx.config.similarity
            }))
        };
        if similar.len() + 1 >= n && all_ok(similar.iter().copied(), near_identical)? {
            return Ok(replan(
                "near-identical-failures",
                format!("The last {n} attempts failed with near-identical output"),
            ));
        }
    }
    Ok(None)
}

/// The same observation gave another answer, or a file the session read changed, with no
/// write by the session in between.
fn contradiction(
    tx: &Tx<'_>,
    ctx: &Context,
    history: &History,
    p: &Prepared,
) -> Result<Option<Hit>, StateError> {
    let since_last = |pred: &dyn Fn(&CallRow) -> bool| -> Option<(&CallRow, bool)> {
        let mut wrote = false;
        for r in history.rows.iter().rev() {
            if pred(r) {
                return Some((r, wrote));
            }
            wrote |= r.mutates == Some(true);
        }
        None
    };
    if let Some((prev, wrote)) = since_last(&|r| r.fingerprint.as_deref() == Some(&p.fingerprint)) {
        if !wrote {
            let prev_class = class_of(prev);
            // Only an answer that was one: after a failure, a new answer is a recovery.
            let answer_changed = p.observes
                && prev_class == Some(Class::Ok)
                && p.output_hash.is_some()
                && prev.output_hash.is_some()
                && prev.output_hash != p.output_hash;
            let pass_then_fail = prev_class == Some(Class::Ok) && p.class_before == Class::Task;
            if answer_changed || pass_then_fail {
                let what = if pass_then_fail {
                    "This passed the last time it ran, and nothing was changed since"
                } else {
                    "The same query gave a different answer the last time, with no change by you in between"
                };
                return Ok(Some(Hit::new(
                    "contradiction",
                    Class::F6,
                    150,
                    &format!("{what}."),
                    "Something else changes this (another process, a flaky test, a service behind a load balancer). Query it once more to see which answer holds, and do not build on either until it is explained.",
                )));
            }
        }
    }
    // A file this session read changed on disk, and the session did not write it.
    if !p.observes || (p.reads.is_empty() && p.consults.is_empty()) {
        return Ok(None);
    }
    let key = ctx.session_key();
    for (path, seen) in tx.files_seen(&key, 5)? {
        if !p
            .reads
            .iter()
            .chain(&p.consults)
            .any(|r| Path::new(r) == Path::new(&path))
        {
            continue;
        }
        let wrote = history
            .rows
            .iter()
            .any(|r| r.ts >= seen.seen_at && r.mutates == Some(true));
        if !wrote
            && seen.content_hash.is_some()
            && seen.content_hash != content_hash(Path::new(&path))
        {
            return Ok(Some(Hit::new(
                "file-changed-under-you",
                Class::F6,
                150,
                &format!("{path} differs from what this session read, and it did not write it"),
                format!("{path} was changed by someone else since you read it. Read it again and reconcile before relying on either view."),
            )));
        }
    }
    Ok(None)
}
