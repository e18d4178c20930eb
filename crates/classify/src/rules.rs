//! Text rules: the built-in ones from `rules.toml` (compiled in by build.rs) and the user's
//! `[[classifier.rules]]`. One pass over the text finds every rule literal; a built-in rule's
//! regex, compiled to a DFA at build time, runs only on a line with one of its literals, and
//! a user's regex is compiled only when the call is classified.

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
    /// The rule's `regex` from rules.toml, as a sparse DFA serialized by build.rs.
    pub dfa: Option<&'static [u8]>,
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

/// Every rule literal, found by a two-byte index (built by build.rs: `PATTERNS`, `OWNERS`,
/// `GROUPS`, `BIGRAMS`): no automaton to build, which would cost a hook process a millisecond
/// (an Aho-Corasick NFA over these literals, case-insensitive).
///
/// `BIGRAMS`: (first byte, second byte), lowercased, as a little-endian u16 per pair → 1 +
/// index into `GROUPS` (the literals sharing that prefix); 0 = none. `OWNERS`: literal → the
/// rules that carry it.
fn group_of(a: u8, b: u8) -> usize {
    let key = (usize::from(a.to_ascii_lowercase()) << 8) | usize::from(b.to_ascii_lowercase());
    usize::from(u16::from_le_bytes([BIGRAMS[2 * key], BIGRAMS[2 * key + 1]]))
}

/// Calls `found` with the index of every literal occurring in `text` (ASCII
/// case-insensitive), once per occurrence.
fn scan_literals(text: &str, mut found: impl FnMut(usize)) {
    let bytes = text.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        let group = group_of(bytes[i], bytes[i + 1]);
        if group == 0 {
            continue;
        }
        for &lit in GROUPS[group - 1] {
            let pattern = PATTERNS[lit];
            if bytes.len() - i >= pattern.len()
                && bytes[i..i + pattern.len()].eq_ignore_ascii_case(pattern)
            {
                found(lit);
            }
        }
    }
}

/// What build.rs's DFA bytes are embedded in (`DFA::from_bytes` reads them in place).
#[repr(C, align(4))]
struct Aligned<B: ?Sized>(B);

type Dfa = regex_automata::dfa::sparse::DFA<&'static [u8]>;

static COMPILED: LazyLock<Vec<OnceLock<Option<Dfa>>>> =
    LazyLock::new(|| RULES.iter().map(|_| OnceLock::new()).collect());

/// The rule's regex, read in place on first use: no compiling, no copying.
fn rule_regex(r: usize) -> Option<&'static Dfa> {
    COMPILED[r]
        .get_or_init(|| {
            let bytes = RULES[r].dfa?;
            // SAFETY: build.rs wrote these bytes with `to_bytes_little_endian` of the same
            // regex-automata (one version, from Cargo.lock), and the test below checks every
            // one with the validating `from_bytes`; validating here instead cost a failing
            // call 0.15 M instructions.
            #[cfg(target_endian = "little")]
            let dfa = unsafe { Dfa::from_bytes_unchecked(bytes) };
            #[cfg(not(target_endian = "little"))]
            let dfa = Dfa::from_bytes(bytes);
            Some(dfa.ok()?.0)
        })
        .as_ref()
}

fn is_match(dfa: &Dfa, line: &str) -> bool {
    use regex_automata::dfa::Automaton;
    matches!(
        dfa.try_search_fwd(&regex_automata::Input::new(line)),
        Ok(Some(_))
    )
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

/// The built-in rule that decides on these lines, if any: the highest priority that fires,
/// the first in the text among equals. Candidates are tried best first, so a regex is
/// compiled only while it could still change the verdict, and never for a rule below `floor`
/// (what a shape detector already found).
pub fn builtin_hit(obs: &Observation<'_>, lines: &[Line<'_>], floor: i32) -> Option<Hit> {
    // Every (rule, line) whose literal occurs there, in text order.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (l, line) in lines.iter().enumerate() {
        scan_literals(line.text, |lit| {
            for &r in OWNERS[lit] {
                let rule = &RULES[r];
                if (rule.anywhere || line.diagnostic)
                    && !candidates.contains(&(r, l))
                    && applies(rule, obs)
                {
                    candidates.push((r, l));
                }
            }
        });
    }
    // Stable: among equal priorities, text order stays.
    candidates.sort_by_key(|&(r, _)| std::cmp::Reverse(RULES[r].priority));
    let (r, l) = candidates
        .into_iter()
        .take_while(|&(r, _)| RULES[r].priority >= floor)
        .find(|&(r, l)| {
            RULES[r].dfa.is_none() || rule_regex(r).is_some_and(|dfa| is_match(dfa, lines[l].text))
        })?;
    let rule = &RULES[r];
    Some(Hit {
        rule: rule.id.to_owned(),
        class: rule.class,
        priority: rule.priority,
        kind: rule.kind,
        hint: rule.hint.to_owned(),
        line: lines[l].text.trim().to_owned(),
    })
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
            if let Some(bytes) = rule.dfa {
                if let Err(e) = Dfa::from_bytes(bytes) {
                    panic!("{}: the DFA build.rs wrote does not validate: {e}", rule.id);
                }
                assert!(rule_regex(i).is_some(), "{}", rule.id);
            }
            assert!(!rule.hint.is_empty(), "{}", rule.id);
        }
    }
}
