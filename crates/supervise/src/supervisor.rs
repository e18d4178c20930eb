//! The attempt loop, free of processes: everything it does to the world goes through [`Env`],
//! so it is tested with a scripted one.
//!
//! 1. Run the task. Goal met (criteria pass, no unresolved failure, clean exit): done.
//! 2. A transient API failure: wait (exponential backoff with jitter) and run the same prompt
//!    again.
//! 3. Any other failure (unverified, stalled): a corrective attempt whose prompt carries the
//!    failure context and the goal — unless this attempt's output is at least
//!    [`LOOP_THRESHOLD`] similar to the previous failed one: then it is a loop, and retrying
//!    stops at once (escalation).
//! 4. Attempts spent on unverified work: scope reduction — the agent is asked for 3–5
//!    independent subtasks, each runs as an attempt of its own, then the criteria decide.
//! 5. Otherwise: escalate (a record in the DB, the notify command, a non-zero exit).

use std::time::Duration;

use serde_json::{json, Value};

use crate::attempt::{early_mode, goal_met, ClientRun, Criterion, DbFacts, Mode, Phase};
use crate::similarity::{similarity, LOOP_THRESHOLD};
use crate::{backoff, decompose, prompt};

/// What one attempt needs from the process layer.
pub struct Spec<'a> {
    /// 1-based over the whole run.
    pub n: usize,
    pub phase: Phase,
    pub prompt: &'a str,
    /// For the progress line: `attempt 2/3`, `subtask 1/4`, `planning`.
    pub label: String,
    /// Whether the hooks check the `--verify` criteria at Stop (not while planning or in a
    /// subtask, which cannot meet the whole goal alone).
    pub verify_in_hooks: bool,
}

/// The world, as the supervisor sees it.
pub trait Env {
    /// Runs the client once.
    fn launch(&mut self, spec: &Spec<'_>) -> ClientRun;
    /// Runs the `--verify` criteria.
    fn verify(&mut self) -> Vec<Criterion>;
    /// What the state DB knows about a session.
    fn facts(&mut self, session: Option<&str>) -> DbFacts;
    fn sleep(&mut self, d: Duration);
    /// A random number in `0.0 ..= 1.0` (backoff jitter).
    fn unit(&mut self) -> f64;
    /// Records the escalation (setting `escalation_id` in it) and runs the notify command
    /// with it; returns what became of the notification.
    fn escalate(&mut self, session: Option<&str>, record: &mut Value) -> String;
}

/// The run's settings.
#[derive(Clone, Debug)]
pub struct Plan {
    pub goal: String,
    pub max_attempts: usize,
    pub backoff_base_ms: u64,
    pub silence_secs: u64,
    pub decompose: bool,
    pub has_criteria: bool,
}

/// One attempt in the report.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub n: usize,
    pub phase: Phase,
    /// `goal`, `retry`, `corrective`, `plan`, `subtask`.
    pub prompt_kind: &'static str,
    pub prompt: String,
    pub run: ClientRun,
    pub criteria: Vec<Criterion>,
    pub facts: DbFacts,
    /// `None`: the goal (or the subtask) was met.
    pub mode: Option<Mode>,
    /// Similarity to the previous failed attempt of the same phase.
    pub similarity: Option<f64>,
    /// What the supervisor did next: `done`, `backoff_retry`, `corrective_retry`,
    /// `stop_loop`, `decompose`, `next_subtask`, `escalate`.
    pub action: &'static str,
    pub backoff_ms: Option<u64>,
}

/// How the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    SucceededAfterDecomposition,
    Escalated,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::SucceededAfterDecomposition => "succeeded_after_decomposition",
            Outcome::Escalated => "escalated",
        }
    }
}

/// Why the run was escalated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Loop,
    AttemptsExhausted,
    DecompositionFailed,
    ClientError,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Loop => "run_loop",
            Reason::AttemptsExhausted => "run_attempts_exhausted",
            Reason::DecompositionFailed => "run_decomposition_failed",
            Reason::ClientError => "run_client_error",
        }
    }
}

pub struct Supervised {
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub reason_text: Option<String>,
    pub attempts: Vec<AttemptRecord>,
    pub subtasks: Vec<String>,
    /// The criteria as last run (after decomposition: over the whole task).
    pub final_criteria: Vec<Criterion>,
    pub escalation: Option<Value>,
}

pub fn supervise(env: &mut dyn Env, plan: &Plan) -> Supervised {
    let mut s = Supervisor {
        env,
        plan,
        attempts: Vec::new(),
        transient_retries: 0,
    };
    s.run()
}

struct Supervisor<'a> {
    env: &'a mut dyn Env,
    plan: &'a Plan,
    attempts: Vec<AttemptRecord>,
    transient_retries: u32,
}

impl Supervisor<'_> {
    fn run(&mut self) -> Supervised {
        let max = self.plan.max_attempts.max(1);
        let mut prompt = self.plan.goal.clone();
        let mut kind = "goal";
        let mut stop: Option<(Reason, String)> = None;
        for i in 1..=max {
            let spec = Spec {
                n: self.attempts.len() + 1,
                phase: Phase::Main,
                prompt: &prompt,
                label: format!("attempt {i}/{max}"),
                verify_in_hooks: true,
            };
            let mut rec = self.attempt(spec, kind, true);
            let last = i == max;
            match rec.mode {
                None => {
                    rec.action = "done";
                    self.attempts.push(rec);
                    return self.finish(Outcome::Succeeded, None, Vec::new(), Vec::new());
                }
                Some(Mode::ClientError) => {
                    let why = rec.run.spawn_error.clone().unwrap_or_default();
                    rec.action = "escalate";
                    self.attempts.push(rec);
                    stop = Some((
                        Reason::ClientError,
                        format!("the agent could not be started: {why}"),
                    ));
                    break;
                }
                Some(Mode::Transient) => {
                    if !last {
                        self.back_off(rec);
                        kind = "retry";
                        continue;
                    }
                }
                Some(Mode::Unverified) => {
                    let previous = self
                        .attempts
                        .iter()
                        .rev()
                        .find(|a| a.phase == Phase::Main && a.mode == Some(Mode::Unverified));
                    if let Some(p) = previous {
                        let sim = similarity(&p.run.signature(), &rec.run.signature());
                        rec.similarity = Some(sim);
                        if sim >= LOOP_THRESHOLD {
                            rec.action = "stop_loop";
                            let text = format!(
                                "attempt {} repeated attempt {} ({:.0}% similar): the agent is \
                                 going round in circles",
                                rec.n,
                                p.n,
                                sim * 100.0
                            );
                            self.attempts.push(rec);
                            stop = Some((Reason::Loop, text));
                            break;
                        }
                    }
                }
                Some(Mode::Stalled) => {}
            }
            if last {
                rec.action = "escalate";
                self.attempts.push(rec);
                break;
            }
            rec.action = "corrective_retry";
            prompt = prompt::corrective(
                &self.plan.goal,
                i + 1,
                max,
                &prompt::Previous {
                    run: &rec.run,
                    criteria: &rec.criteria,
                    facts: &rec.facts,
                    silence_secs: self.plan.silence_secs,
                },
            );
            kind = "corrective";
            self.attempts.push(rec);
        }

        let last_mode = self.attempts.last().and_then(|a| a.mode);
        let (reason, text) = stop.unwrap_or_else(|| {
            (
                Reason::AttemptsExhausted,
                format!(
                    "{} attempt(s) did not reach the goal (last: {})",
                    self.attempts.len(),
                    last_mode.map_or("?", Mode::name)
                ),
            )
        });
        if reason == Reason::AttemptsExhausted
            && last_mode == Some(Mode::Unverified)
            && self.plan.decompose
        {
            if let Some(last) = self.attempts.last_mut() {
                last.action = "decompose";
            }
            return self.decompose();
        }
        self.finish(
            Outcome::Escalated,
            Some((reason, text)),
            Vec::new(),
            Vec::new(),
        )
    }

    /// Runs one attempt and checks it: the goal (criteria, unresolved failures, exit) for the
    /// task, only the session (unresolved failures, exit) for planning and subtasks.
    /// Records a transient failure and waits out its backoff (exponential, with jitter).
    fn back_off(&mut self, mut rec: AttemptRecord) {
        self.transient_retries += 1;
        let d = backoff::delay(
            self.plan.backoff_base_ms,
            self.transient_retries,
            self.env.unit(),
        );
        rec.action = "backoff_retry";
        rec.backoff_ms = Some(d.as_millis() as u64);
        self.attempts.push(rec);
        self.env.sleep(d);
    }

    fn attempt(&mut self, spec: Spec<'_>, kind: &'static str, check_goal: bool) -> AttemptRecord {
        let run = self.env.launch(&spec);
        let mut mode = early_mode(&run);
        let mut criteria = Vec::new();
        let mut facts = DbFacts::default();
        if matches!(mode, None | Some(Mode::Stalled)) {
            facts = self.env.facts(run.session_id.as_deref());
        }
        if mode.is_none() {
            if check_goal && self.plan.has_criteria {
                criteria = self.env.verify();
            }
            if !goal_met(&run, &criteria, &facts) {
                mode = Some(Mode::Unverified);
            }
        }
        AttemptRecord {
            n: spec.n,
            phase: spec.phase,
            prompt_kind: kind,
            prompt: spec.prompt.to_owned(),
            run,
            criteria,
            facts,
            mode,
            similarity: None,
            action: "",
            backoff_ms: None,
        }
    }

    /// Scope reduction.
    fn decompose(&mut self) -> Supervised {
        let failed = self.attempts.len();
        let ask = decompose::prompt(&self.plan.goal, failed);
        let spec = Spec {
            n: self.attempts.len() + 1,
            phase: Phase::Plan,
            prompt: &ask,
            label: "planning subtasks".to_owned(),
            verify_in_hooks: false,
        };
        let mut rec = self.attempt(spec, "plan", false);
        let answer = rec.run.last_message().unwrap_or("").to_owned();
        let parts =
            decompose::parse(&answer).or_else(|| decompose::parse(&rec.run.messages.join("\n")));
        let Some(parts) = parts else {
            rec.action = "escalate";
            self.attempts.push(rec);
            let text = "the agent gave no usable split into subtasks".to_owned();
            return self.finish(
                Outcome::Escalated,
                Some((Reason::DecompositionFailed, text)),
                Vec::new(),
                Vec::new(),
            );
        };
        rec.mode = None;
        rec.action = "next_subtask";
        self.attempts.push(rec);

        let n = parts.len();
        let mut failed_parts = Vec::new();
        for (idx, part) in parts.iter().enumerate() {
            let i = idx + 1;
            let text = decompose::part_prompt(&self.plan.goal, part, i, n);
            let mut tries = 0u32;
            loop {
                tries += 1;
                let spec = Spec {
                    n: self.attempts.len() + 1,
                    phase: Phase::Part { i, n },
                    prompt: &text,
                    label: format!("subtask {i}/{n}"),
                    verify_in_hooks: false,
                };
                let mut rec = self.attempt(spec, "subtask", false);
                if rec.mode == Some(Mode::Transient) && (tries as usize) < self.plan.max_attempts {
                    self.back_off(rec);
                    continue;
                }
                if rec.mode.is_some() {
                    failed_parts.push(i);
                }
                rec.action = if i == n { "verify" } else { "next_subtask" };
                self.attempts.push(rec);
                break;
            }
        }
        let criteria = if self.plan.has_criteria {
            self.env.verify()
        } else {
            Vec::new()
        };
        let met = if self.plan.has_criteria {
            criteria.iter().all(|c| c.passed)
        } else {
            failed_parts.is_empty()
        };
        if met {
            return self.finish(Outcome::SucceededAfterDecomposition, None, parts, criteria);
        }
        let mut text = format!("the task was split into {n} subtasks and is still not done");
        if !failed_parts.is_empty() {
            let list: Vec<String> = failed_parts.iter().map(|i| i.to_string()).collect();
            text.push_str(&format!(" (subtask {} failed)", list.join(", ")));
        }
        let failing = criteria.iter().filter(|c| !c.passed).count();
        if failing > 0 {
            text.push_str(&format!("; {failing} success criterion/criteria fail"));
        }
        self.finish(
            Outcome::Escalated,
            Some((Reason::DecompositionFailed, text)),
            parts,
            criteria,
        )
    }

    fn finish(
        &mut self,
        outcome: Outcome,
        reason: Option<(Reason, String)>,
        subtasks: Vec<String>,
        criteria: Vec<Criterion>,
    ) -> Supervised {
        let attempts = std::mem::take(&mut self.attempts);
        let final_criteria = if criteria.is_empty() {
            attempts
                .iter()
                .rev()
                .find(|a| !a.criteria.is_empty())
                .map(|a| a.criteria.clone())
                .unwrap_or_default()
        } else {
            criteria
        };
        let mut out = Supervised {
            outcome,
            reason: reason.as_ref().map(|r| r.0),
            reason_text: reason.as_ref().map(|r| r.1.clone()),
            attempts,
            subtasks,
            final_criteria,
            escalation: None,
        };
        if let Some((reason, text)) = reason {
            let mut record = escalation_record(self.plan, &out, reason, &text);
            let session = out
                .attempts
                .iter()
                .rev()
                .find_map(|a| a.run.session_id.clone());
            let notified = self.env.escalate(session.as_deref(), &mut record);
            record["notified"] = json!(notified);
            out.escalation = Some(record);
        }
        out
    }
}

/// The escalation record: what the DB keeps and the notify command reads on stdin.
fn escalation_record(plan: &Plan, s: &Supervised, reason: Reason, text: &str) -> Value {
    let last = s.attempts.iter().rev().find(|a| a.phase == Phase::Main);
    let failures: Vec<Value> = last
        .map(|a| {
            a.facts
                .unresolved
                .iter()
                .map(|f| json!({"class": f.class, "what": f.what, "evidence": f.evidence}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "kind": "selfheal.run.escalation",
        "reason": reason.code(),
        "reason_text": text,
        "goal": plan.goal,
        "attempts": s.attempts.len(),
        "failure_modes": s.attempts.iter().map(|a| a.mode.map(Mode::name)).collect::<Vec<_>>(),
        "actions": s.attempts.iter().map(|a| a.action).collect::<Vec<_>>(),
        "success_criteria": crate::report::criteria_json(&s.final_criteria),
        "unresolved_failures": failures,
        "last_message": last.and_then(|a| a.run.last_message()),
        "subtasks": s.subtasks,
        "session_ids": s.attempts.iter().filter_map(|a| a.run.session_id.clone()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::attempt::Failure;

    /// A scripted world: each launch takes the next run, each verify the next result.
    #[derive(Default)]
    struct Fake {
        runs: VecDeque<ClientRun>,
        verifies: VecDeque<Vec<Criterion>>,
        facts: DbFacts,
        prompts: Vec<(String, Phase, bool)>,
        slept: Vec<Duration>,
        escalated: Vec<Value>,
    }

    impl Env for Fake {
        fn launch(&mut self, spec: &Spec<'_>) -> ClientRun {
            self.prompts.push((
                spec.prompt.to_owned(),
                spec.phase.clone(),
                spec.verify_in_hooks,
            ));
            self.runs.pop_front().expect("a scripted run left")
        }
        fn verify(&mut self) -> Vec<Criterion> {
            self.verifies.pop_front().expect("a scripted verify left")
        }
        fn facts(&mut self, _: Option<&str>) -> DbFacts {
            self.facts.clone()
        }
        fn sleep(&mut self, d: Duration) {
            self.slept.push(d);
        }
        fn unit(&mut self) -> f64 {
            1.0
        }
        fn escalate(&mut self, _: Option<&str>, record: &mut Value) -> String {
            record["escalation_id"] = json!(7);
            self.escalated.push(record.clone());
            "sent".into()
        }
    }

    fn ok(said: &str) -> ClientRun {
        ClientRun {
            exit_code: Some(0),
            session_id: Some(format!("s-{said}")),
            messages: vec![said.to_owned()],
            ..ClientRun::default()
        }
    }

    fn criterion(passed: bool, output: &str) -> Vec<Criterion> {
        vec![Criterion {
            command: "sh -c 'test -f done'".into(),
            passed,
            result: if passed { "exit 0" } else { "exit 1" }.into(),
            output: output.into(),
        }]
    }

    fn plan(max: usize) -> Plan {
        Plan {
            goal: "Create the file done.".into(),
            max_attempts: max,
            backoff_base_ms: 100,
            silence_secs: 5,
            decompose: true,
            has_criteria: true,
        }
    }

    #[test]
    fn exit_zero_with_a_failing_criterion_gets_a_corrective_retry() {
        let mut env = Fake {
            runs: [
                ok("I did it."),
                ok("Now created the file properly with touch."),
            ]
            .into(),
            verifies: [criterion(false, "NO-SUCH-FILE: done"), criterion(true, "")].into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(3));
        assert_eq!(s.outcome, Outcome::Succeeded);
        assert_eq!(s.attempts.len(), 2);
        assert_eq!(s.attempts[0].mode, Some(Mode::Unverified));
        assert_eq!(s.attempts[0].action, "corrective_retry");
        let second = &env.prompts[1].0;
        assert!(second.starts_with(prompt::MARKER));
        assert!(second.contains("NO-SUCH-FILE: done"));
        assert!(second.contains("Create the file done."));
        assert!(env.escalated.is_empty());
    }

    #[test]
    fn transient_failures_back_off_exponentially_then_succeed() {
        let limited = ClientRun {
            exit_code: Some(1),
            errors: vec!["API Error: 429 rate_limit_error".into()],
            ..ClientRun::default()
        };
        let mut env = Fake {
            runs: [limited.clone(), limited, ok("done")].into(),
            verifies: [criterion(true, "")].into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(3));
        assert_eq!(s.outcome, Outcome::Succeeded);
        assert_eq!(
            env.slept,
            [Duration::from_millis(100), Duration::from_millis(200)]
        );
        // The retry is the same task, not a corrective prompt.
        assert_eq!(env.prompts[1].0, "Create the file done.");
        assert_eq!(s.attempts[0].mode, Some(Mode::Transient));
        assert_eq!(s.attempts[0].action, "backoff_retry");
    }

    #[test]
    fn similar_failed_attempts_are_a_loop_and_escalate() {
        let facts = DbFacts {
            unresolved: vec![Failure {
                class: "F1".into(),
                what: "curl".into(),
                evidence: "Connection refused".into(),
            }],
            recent: vec![],
            ..DbFacts::default()
        };
        let mut env = Fake {
            runs: [
                ok("I could not reach the server."),
                ok("I could not reach the server!"),
            ]
            .into(),
            verifies: [criterion(false, "x"), criterion(false, "x")].into(),
            facts,
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(5));
        assert_eq!(s.outcome, Outcome::Escalated);
        assert_eq!(s.reason, Some(Reason::Loop));
        assert_eq!(s.attempts.len(), 2, "no third attempt, no decomposition");
        assert_eq!(s.attempts[1].action, "stop_loop");
        assert!(s.attempts[1].similarity.unwrap() >= LOOP_THRESHOLD);
        let record = &env.escalated[0];
        assert_eq!(record["reason"], "run_loop");
        assert_eq!(record["escalation_id"], 7);
        assert_eq!(record["unresolved_failures"][0]["class"], "F1");
        assert_eq!(s.escalation.as_ref().unwrap()["notified"], "sent");
    }

    #[test]
    fn spent_attempts_lead_to_decomposition_with_each_part_run() {
        let mut env = Fake {
            runs: [
                ok("made a"),
                ok("something entirely different happened this time around"),
                ok("[\"create a\", \"create b\", \"create c\"]"),
                ok("a done"),
                ok("b done"),
                ok("c done"),
            ]
            .into(),
            verifies: [
                criterion(false, "1"),
                criterion(false, "2"),
                criterion(true, ""),
            ]
            .into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(2));
        assert_eq!(s.outcome, Outcome::SucceededAfterDecomposition);
        assert_eq!(s.subtasks, ["create a", "create b", "create c"]);
        assert_eq!(s.attempts.len(), 6);
        assert_eq!(s.attempts[1].action, "decompose");
        assert_eq!(env.prompts[2].1, Phase::Plan);
        assert!(
            !env.prompts[2].2,
            "planning runs without the criteria in the hooks"
        );
        assert_eq!(env.prompts[3].1, Phase::Part { i: 1, n: 3 });
        assert!(env.prompts[4].0.starts_with("create b"));
        assert!(env.escalated.is_empty());
    }

    #[test]
    fn no_usable_split_escalates() {
        let mut env = Fake {
            runs: [ok("first try at it"), ok("I cannot split this.")].into(),
            verifies: [criterion(false, "1")].into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(1));
        assert_eq!(s.reason, Some(Reason::DecompositionFailed));
        assert_eq!(env.escalated.len(), 1);
    }

    #[test]
    fn a_stall_is_retried_with_its_context_and_exhaustion_without_decomposition() {
        let stalled = ClientRun {
            stalled: true,
            log_tail: "LAST-LINE".into(),
            ..ClientRun::default()
        };
        let mut env = Fake {
            runs: [stalled.clone(), stalled].into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(2));
        assert_eq!(s.reason, Some(Reason::AttemptsExhausted));
        assert!(env.prompts[1].0.contains("LAST-LINE"));
        assert_eq!(s.attempts.len(), 2, "a stall is not decomposed");
        assert_eq!(s.attempts[1].action, "escalate");
    }

    #[test]
    fn a_client_that_cannot_start_escalates_at_once() {
        let mut env = Fake {
            runs: [ClientRun {
                spawn_error: Some("No such file".into()),
                ..ClientRun::default()
            }]
            .into(),
            ..Fake::default()
        };
        let s = supervise(&mut env, &plan(3));
        assert_eq!(s.reason, Some(Reason::ClientError));
        assert_eq!(s.attempts.len(), 1);
    }
}
