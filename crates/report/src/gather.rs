//! The report's data: every session's counts read in one read transaction, then the limits
//! from each session's project configuration.

use std::collections::HashMap;
use std::path::Path;

use selfheal_config::{Config, ConfigFiles};
use selfheal_model::{Action, Budget, BudgetLimits, BudgetUsage, Class};
use selfheal_state::{
    EscalationRow, SessionKey, SessionRow, StateError, Store, TallyRow, TimelineRow, Tx,
};

use crate::ReportError;

/// Evidence kept per timeline event: enough for a hover title.
const TIMELINE_EVIDENCE_CHARS: u32 = 200;

/// Which sessions to report on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'a> {
    /// The sessions with this id (one per client that used it); an error when there is none.
    pub session_id: Option<&'a str>,
    /// Only sessions seen at or after this instant (ms since the epoch).
    pub since_ms: Option<i64>,
    /// At most this many, the most recently seen.
    pub limit: Option<usize>,
    /// Read each session's events too, for a timeline.
    pub timeline: bool,
    /// Measure b_l up to now, as budget-check does at the next stop (`selfheal status`: what
    /// is left); otherwise up to the session's last event (a report: what it had used).
    pub live: bool,
}

/// What the hooks did, session by session, most recently seen first.
#[derive(Debug, Clone)]
pub struct Report {
    pub generated_at: i64,
    pub since_ms: Option<i64>,
    pub sessions: Vec<SessionReport>,
    /// Things the reader should know that did not stop the report (a project configuration
    /// that no longer loads: its session shows the default limits).
    pub warnings: Vec<String>,
}

/// How a session's events were decided, by the `decision` recorded with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decisions {
    /// `context`: recovery guidance (or a session summary) injected for the agent.
    pub guidance: u64,
    /// `deny`: a tool call schema-guard refused.
    pub denied: u64,
    /// `block`: a stop budget-check refused (corrective retry).
    pub stops_refused: u64,
    /// `halt`: the session was halted (its time or token budget spent).
    pub halted: u64,
    /// `rewrite`: a call's input rewritten.
    pub rewritten: u64,
}

impl Decisions {
    /// (the decision as recorded, how many): the JSON keys.
    pub fn by_name(&self) -> [(&'static str, u64); 5] {
        [
            ("context", self.guidance),
            ("deny", self.denied),
            ("block", self.stops_refused),
            ("halt", self.halted),
            ("rewrite", self.rewritten),
        ]
    }

    fn add(&mut self, other: &Decisions) {
        self.guidance += other.guidance;
        self.denied += other.denied;
        self.stops_refused += other.stops_refused;
        self.halted += other.halted;
        self.rewritten += other.rewritten;
    }
}

/// Events per class: the taxonomy's classes in order, then the events no class was given
/// (session starts, stops, denials without one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCounts {
    pub by_class: [u64; Class::ALL.len()],
    pub unclassified: u64,
}

impl ClassCounts {
    pub fn get(&self, class: Class) -> u64 {
        self.by_class[class as usize]
    }

    /// Events of the fault classes `F1`…`F7`.
    pub fn faults(&self) -> u64 {
        Class::ALL
            .into_iter()
            .filter(|c| c.is_fault())
            .map(|c| self.get(c))
            .sum()
    }

    /// (class, count) in taxonomy order, then `unclassified`.
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        let mut out: Vec<_> = Class::ALL
            .into_iter()
            .map(|c| (c.as_str(), self.get(c)))
            .collect();
        out.push(("unclassified", self.unclassified));
        out
    }

    fn add(&mut self, other: &ClassCounts) {
        for (a, b) in self.by_class.iter_mut().zip(other.by_class) {
            *a += b;
        }
        self.unclassified += other.unclassified;
    }
}

/// One session.
#[derive(Debug, Clone)]
pub struct SessionReport {
    pub session: SessionRow,
    /// The profile of the configuration the limits come from.
    pub profile: &'static str,
    pub limits: BudgetLimits,
    /// What the session used; b_l up to now or to its last event (see [`Selection::live`]).
    pub used: BudgetUsage,
    pub events: u64,
    pub tool_calls: u64,
    pub classes: ClassCounts,
    /// Events per recovery action, cheapest first, then any action this selfheal does not know.
    pub actions: Vec<(String, u64)>,
    pub decisions: Decisions,
    pub escalations: Vec<EscalationRow>,
    /// Every event, oldest first, when the selection asked for a timeline.
    pub timeline: Vec<TimelineRow>,
}

impl SessionReport {
    /// Budgets whose use reached the limit.
    pub fn spent(&self) -> Vec<Budget> {
        Budget::ALL
            .into_iter()
            .filter(|&b| self.used.get(b) >= self.limits.get(b))
            .collect()
    }
}

/// All sessions of a report added up.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub sessions: u64,
    pub events: u64,
    pub tool_calls: u64,
    pub classes: ClassCounts,
    pub actions: Vec<(String, u64)>,
    pub decisions: Decisions,
    pub escalations: u64,
}

impl Report {
    pub fn totals(&self) -> Totals {
        let mut totals = Totals {
            actions: Action::ALL
                .into_iter()
                .map(|a| (a.as_str().to_owned(), 0))
                .collect(),
            ..Totals::default()
        };
        for s in &self.sessions {
            totals.sessions += 1;
            totals.events += s.events;
            totals.tool_calls += s.tool_calls;
            totals.classes.add(&s.classes);
            totals.decisions.add(&s.decisions);
            totals.escalations += s.escalations.len() as u64;
            for (name, n) in &s.actions {
                match totals.actions.iter_mut().find(|(a, _)| a == name) {
                    Some((_, total)) => *total += n,
                    None => totals.actions.push((name.clone(), *n)),
                }
            }
        }
        totals
    }
}

/// What one read transaction gives for a session.
struct Counted {
    session: SessionRow,
    used: BudgetUsage,
    tally: Vec<TallyRow>,
    tool_calls: u64,
    escalations: Vec<EscalationRow>,
    timeline: Vec<TimelineRow>,
}

/// Reads the selected sessions. `env` is the environment the configuration is found with
/// (`HOME`, `XDG_CONFIG_HOME`, `SELFHEAL_CONFIG`).
pub fn gather(
    store: &mut Store,
    selection: &Selection<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Report, ReportError> {
    let (generated_at, counted) = store.read(|tx| {
        let Some(sessions) = select(tx, selection)? else {
            return Ok((tx.now(), None));
        };
        let counted = sessions
            .into_iter()
            .map(|s| count(tx, s, selection))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((tx.now(), Some(counted)))
    })?;
    let Some(counted) = counted else {
        return Err(ReportError::UnknownSession {
            id: selection.session_id.unwrap_or_default().to_owned(),
            db: store.path().to_path_buf(),
        });
    };
    let mut warnings = Vec::new();
    // Sessions of one project share its configuration: read once.
    let mut configs: HashMap<Option<String>, Config> = HashMap::new();
    let sessions = counted
        .into_iter()
        .map(|c| {
            let root = c.session.project_root.clone();
            let config = configs
                .entry(root.clone())
                .or_insert_with(|| config_for(root.as_deref(), env, &mut warnings));
            session_report(c, config)
        })
        .collect();
    Ok(Report {
        generated_at,
        since_ms: selection.since_ms,
        sessions,
        warnings,
    })
}

/// The selected sessions; `None` when the selection names a session id no session has.
fn select(tx: &Tx<'_>, selection: &Selection<'_>) -> Result<Option<Vec<SessionRow>>, StateError> {
    let mut sessions = match selection.session_id {
        Some(id) => {
            let mut rows = tx.sessions_with_id(id)?;
            if rows.is_empty() {
                return Ok(None);
            }
            if let Some(since) = selection.since_ms {
                rows.retain(|s| s.last_seen >= since);
            }
            rows
        }
        None => tx.sessions_seen_since(selection.since_ms.unwrap_or(i64::MIN))?,
    };
    if let Some(limit) = selection.limit {
        sessions.truncate(limit);
    }
    Ok(Some(sessions))
}

fn count(
    tx: &Tx<'_>,
    session: SessionRow,
    selection: &Selection<'_>,
) -> Result<Counted, StateError> {
    let key = SessionKey::new(&session.client, &session.session_id);
    // The store measures b_l up to the transaction's start.
    let mut used = tx.budget_usage(&key)?;
    if !selection.live {
        used.set(
            Budget::LatencySecs,
            ((session.last_seen - session.started_at).max(0) / 1000) as u64,
        );
    }
    Ok(Counted {
        used,
        tally: tx.event_tally(&key)?,
        tool_calls: tx.tool_call_count(&key)?,
        escalations: tx.escalations(&key)?,
        timeline: if selection.timeline {
            tx.timeline(&key, TIMELINE_EVIDENCE_CHARS)?
        } else {
            Vec::new()
        },
        session,
    })
}

/// The configuration a session's limits come from: its project's; the defaults, with a
/// warning, when that no longer loads.
fn config_for(
    project_root: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Config {
    let files = ConfigFiles::discover(None, project_root.map(Path::new), env);
    Config::load(&files).unwrap_or_else(|e| {
        warnings.push(format!(
            "the configuration of project {} does not load ({e}); its sessions show the default limits",
            project_root.unwrap_or("-")
        ));
        Config::default()
    })
}

fn session_report(c: Counted, config: &Config) -> SessionReport {
    let mut classes = ClassCounts::default();
    let mut actions: Vec<(String, u64)> = Action::ALL
        .into_iter()
        .map(|a| (a.as_str().to_owned(), 0))
        .collect();
    let mut decisions = Decisions::default();
    let mut events = 0;
    for row in &c.tally {
        events += row.events;
        match row.class.as_deref().and_then(|c| c.parse::<Class>().ok()) {
            Some(class) => classes.by_class[class as usize] += row.events,
            None => classes.unclassified += row.events,
        }
        if let Some(action) = &row.action {
            match actions.iter_mut().find(|(a, _)| a == action) {
                Some((_, n)) => *n += row.events,
                None => actions.push((action.clone(), row.events)),
            }
        }
        let slot = match row.decision.as_str() {
            "context" => &mut decisions.guidance,
            "deny" => &mut decisions.denied,
            "block" => &mut decisions.stops_refused,
            "halt" => &mut decisions.halted,
            "rewrite" => &mut decisions.rewritten,
            _ => continue,
        };
        *slot += row.events;
    }
    SessionReport {
        session: c.session,
        profile: config.profile.name(),
        limits: config.budget,
        used: c.used,
        events,
        tool_calls: c.tool_calls,
        classes,
        actions,
        decisions,
        escalations: c.escalations,
        timeline: c.timeline,
    }
}
