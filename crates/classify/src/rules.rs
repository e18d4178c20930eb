//! Text rules: the built-in ones from `rules.toml` (compiled in by build.rs) and the user's
//! `[[classifier.rules]]`. One pass over the text finds every rule literal; a rule's regex is
//! compiled only when one of its literals was seen, and only once.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use selfheal_config::ClassifierRule;
use selfheal_model::Class;

use crate::observe::Observation;
use crate::text::Line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// Whatever the client said.
    Any,
    /// Not when the client reported success.
    Failure,
}

/// A built-in rule (see `rules.toml` for what each field means).
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub class: Class,
    pub priority: i32,
    pub any: &'static [&'static str],
    pub regex: Option<&'static str>,
    pub tools: &'static [&'static str],
    pub programs: &'static [&'static str],
    pub on: On,
    pub anywhere: bool,
    pub kind: Option<&'static str>,
    pub hint: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

/// What a rule found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: String,
    pub class: Class,
    pub priority: i32,
    pub kind: Option<&'static str>,
    pub hint: String,
    /// The line that decided it.
    pub line: String,
}

/// Every rule literal, found by a two-byte index: no automaton to build, which would cost a
/// hook process a millisecond (an Aho-Corasick NFA over these literals, case-insensitive).
struct Literals {
    /// (first byte, second byte), lowercased → 1 + index into `groups`; 0 = none.
    table: Vec<u16>,
    /// Literal indices sharing a two-byte prefix.
    groups: Vec<Vec<usize>>,
    patterns: Vec<&'static [u8]>,
    /// Literal index → the rules that carry it.
    owners: Vec<Vec<usize>>,
}

fn bigram(a: u8, b: u8) -> usize {
    (usize::from(a.to_ascii_lowercase()) << 8) | usize::from(b.to_ascii_lowercase())
}

impl Literals {
    /// Calls `found` with the index of every literal occurring in `text` (ASCII
    /// case-insensitive), once per occurrence.
    fn scan(&self, text: &str, mut found: impl FnMut(usize)) {
        let bytes = text.as_bytes();
        for i in 0..bytes.len().saturating_sub(1) {
            let group = self.table[bigram(bytes[i], bytes[i + 1])];
            if group == 0 {
                continue;
            }
            for &lit in &self.groups[usize::from(group) - 1] {
                let pattern = self.patterns[lit];
                if bytes.len() - i >= pattern.len()
                    && bytes[i..i + pattern.len()].eq_ignore_ascii_case(pattern)
                {
                    found(lit);
                }
            }
        }
    }
}

static LITERALS: LazyLock<Literals> = LazyLock::new(|| {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut patterns: Vec<&'static [u8]> = Vec::new();
    let mut owners: Vec<Vec<usize>> = Vec::new();
    for (r, rule) in RULES.iter().enumerate() {
        for lit in rule.any {
            let i = *index.entry(lit).or_insert_with(|| {
                patterns.push(lit.as_bytes());
                owners.push(Vec::new());
                patterns.len() - 1
            });
            if !owners[i].contains(&r) {
                owners[i].push(r);
            }
        }
    }
    let mut table = vec![0u16; 1 << 16];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        // build.rs guarantees at least two bytes.
        let key = bigram(p[0], p[1]);
        if table[key] == 0 {
            groups.push(Vec::new());
            table[key] = groups.len() as u16;
        }
        groups[usize::from(table[key]) - 1].push(i);
    }
    Literals {
        table,
        groups,
        patterns,
        owners,
    }
});

static COMPILED: LazyLock<Vec<OnceLock<Option<Regex>>>> =
    LazyLock::new(|| RULES.iter().map(|_| OnceLock::new()).collect());

fn rule_regex(r: usize) -> Option<&'static Regex> {
    COMPILED[r]
        .get_or_init(|| RULES[r].regex.and_then(|re| Regex::new(re).ok()))
        .as_ref()
}

fn applies(rule: &Rule, obs: &Observation<'_>) -> bool {
    if rule.on == On::Failure && obs.failed == Some(false) {
        return false;
    }
    if !rule.tools.is_empty() && !rule.tools.contains(&obs.kind.as_str()) {
        return false;
    }
    if !rule.programs.is_empty() && !obs.programs().any(|p| rule.programs.contains(&p)) {
        return false;
    }
    true
}

/// The built-in rules that fire on these lines, best first.
pub fn builtin_hits(obs: &Observation<'_>, lines: &[Line<'_>]) -> Vec<Hit> {
    let lits = &*LITERALS;
    let mut hits: Vec<Hit> = Vec::new();
    let mut fired = vec![false; RULES.len()];
    for line in lines {
        let mut seen: Vec<usize> = Vec::new();
        lits.scan(line.text, |lit| seen.push(lit));
        for lit in seen {
            for &r in &lits.owners[lit] {
                if fired[r] {
                    continue;
                }
                let rule = &RULES[r];
                if !(rule.anywhere || line.diagnostic) || !applies(rule, obs) {
                    continue;
                }
                if rule.regex.is_some() && !rule_regex(r).is_some_and(|re| re.is_match(line.text)) {
                    continue;
                }
                fired[r] = true;
                hits.push(Hit {
                    rule: rule.id.to_owned(),
                    class: rule.class,
                    priority: rule.priority,
                    kind: rule.kind,
                    hint: rule.hint.to_owned(),
                    line: line.text.trim().to_owned(),
                });
            }
        }
    }
    hits.sort_by_key(|h| std::cmp::Reverse(h.priority));
    hits
}

/// The user's rules that fire, compiled now (config loading checked that they compile).
pub fn user_hits(rules: &[ClassifierRule], obs: &Observation<'_>, lines: &[Line<'_>]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if !rule.tools.is_empty() && !rule.tools.iter().any(|t| t == obs.name) {
            continue;
        }
        let Ok(re) = Regex::new(&rule.pattern) else {
            continue;
        };
        if let Some(line) = lines.iter().find(|l| re.is_match(l.text)) {
            hits.push(Hit {
                rule: format!("config-{}", i + 1),
                class: rule.class,
                priority: rule.priority,
                kind: None,
                hint: String::new(),
                line: line.text.trim().to_owned(),
            });
        }
    }
    hits
}

impl Hit {
    /// A finding made in code rather than by a text rule.
    pub fn new(
        rule: &str,
        class: Class,
        priority: i32,
        line: &str,
        hint: impl Into<String>,
    ) -> Hit {
        Hit {
            rule: rule.to_owned(),
            class,
            priority,
            kind: None,
            hint: hint.into(),
            line: line.trim().to_owned(),
        }
    }

    pub fn with_kind(mut self, kind: &'static str) -> Hit {
        self.kind = Some(kind);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_regex_compiles_and_every_literal_is_lowercase() {
        for (i, rule) in RULES.iter().enumerate() {
            if rule.regex.is_some() {
                assert!(rule_regex(i).is_some(), "{}", rule.id);
            }
            assert!(!rule.hint.is_empty(), "{}", rule.id);
        }
    }
}
