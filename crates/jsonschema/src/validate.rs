//! An instance against the compiled nodes. Locations are built only for a violation; a run
//! stops as soon as it has as many violations as asked for.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::compile::{join, Keywords, Node, TYPE_NAMES};
use crate::value::{describe, is_multiple_of, json_eq, num_cmp, short, type_bits};
use crate::{Schema, Violation};

/// Values of an `enum` listed in a message; more are cut to "…".
const ENUM_SHOWN: usize = 8;
/// Property names listed in an "unexpected property" message.
const NAMES_SHOWN: usize = 10;

pub(crate) fn validate(schema: &Schema, instance: &Value, limit: usize) -> Vec<Violation> {
    let mut run = Run::new(schema, limit);
    run.check(0, instance, &Loc::Root);
    run.out
}

/// Where a value is in the instance, as a chain back to the root.
#[derive(Clone, Copy)]
enum Loc<'a> {
    Root,
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl Loc<'_> {
    fn pointer(&self) -> String {
        match self {
            Loc::Root => String::new(),
            Loc::Key(parent, key) => join(&parent.pointer(), key),
            Loc::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }
}

struct Run<'s> {
    schema: &'s Schema,
    out: Vec<Violation>,
    limit: usize,
}

impl<'s> Run<'s> {
    fn new(schema: &'s Schema, limit: usize) -> Run<'s> {
        Run {
            schema,
            out: Vec::new(),
            limit,
        }
    }

    fn full(&self) -> bool {
        self.out.len() >= self.limit
    }

    fn push(&mut self, loc: &Loc<'_>, message: String) {
        if !self.full() {
            self.out.push(Violation {
                pointer: loc.pointer(),
                message,
            });
        }
    }

    /// Whether `instance` matches node `node`, without keeping why.
    fn matches(&self, node: usize, instance: &Value) -> bool {
        let mut run = Run::new(self.schema, 1);
        run.check(node, instance, &Loc::Root);
        run.out.is_empty()
    }

    /// The violations of `instance` against `node` alone, up to this run's limit.
    fn violations(&self, node: usize, instance: &Value, loc: &Loc<'_>) -> Vec<Violation> {
        let mut run = Run::new(self.schema, self.limit);
        run.check(node, instance, loc);
        run.out
    }

    fn check(&mut self, node: usize, instance: &Value, loc: &Loc<'_>) {
        if self.full() {
            return;
        }
        let k = match &self.schema.nodes[node] {
            Node::Bool(true) => return,
            Node::Bool(false) => return self.push(loc, "no value is allowed here".into()),
            Node::Keywords(k) => k,
        };
        if let Some(types) = k.types {
            if types & type_bits(instance) == 0 {
                // Nothing else about a value of the wrong type helps to fix it.
                return self.push(
                    loc,
                    format!("expected {}, got {}", type_list(types), describe(instance)),
                );
            }
        }
        if let Some(c) = &k.const_ {
            if !json_eq(c, instance) {
                self.push(
                    loc,
                    format!("expected {}, got {}", short(c), describe(instance)),
                );
            }
        }
        if let Some(values) = &k.enum_ {
            if !values.iter().any(|v| json_eq(v, instance)) {
                self.push(
                    loc,
                    format!(
                        "expected one of {}, got {}",
                        enum_list(values),
                        short(instance)
                    ),
                );
            }
        }
        if let Some(target) = k.reference {
            self.check(target, instance, loc);
        }
        match instance {
            Value::Number(_) => self.number(k, instance, loc),
            Value::String(s) => self.string(k, s, loc),
            Value::Array(items) => self.array(k, items, loc),
            Value::Object(map) => self.object(k, map, loc),
            _ => {}
        }
        for &sub in &k.all_of {
            self.check(sub, instance, loc);
        }
        if !k.any_of.is_empty() && !k.any_of.iter().any(|&s| self.matches(s, instance)) {
            self.none_matches(&k.any_of, "anyOf", instance, loc);
        }
        if !k.one_of.is_empty() {
            let matching: Vec<usize> = (0..k.one_of.len())
                .filter(|&i| self.matches(k.one_of[i], instance))
                .collect();
            match matching.len() {
                0 => self.none_matches(&k.one_of, "oneOf", instance, loc),
                1 => {}
                _ => {
                    let which: Vec<String> =
                        matching.iter().map(|i| format!("#{}", i + 1)).collect();
                    self.push(
                        loc,
                        format!(
                            "matches alternatives {} of oneOf; it must match exactly one",
                            which.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(not) = k.not {
            if self.matches(not, instance) {
                self.push(loc, "must not match the schema under `not`".into());
            }
        }
    }

    fn number(&mut self, k: &Keywords, instance: &Value, loc: &Loc<'_>) {
        let Value::Number(n) = instance else { return };
        let bounds = [
            (&k.minimum, ">=", Ordering::Less, None),
            (
                &k.exclusive_minimum,
                ">",
                Ordering::Less,
                Some(Ordering::Equal),
            ),
            (&k.maximum, "<=", Ordering::Greater, None),
            (
                &k.exclusive_maximum,
                "<",
                Ordering::Greater,
                Some(Ordering::Equal),
            ),
        ];
        for (bound, op, wrong, also_wrong) in bounds {
            if let Some(b) = bound {
                let ord = num_cmp(n, b);
                if ord == wrong || Some(ord) == also_wrong {
                    self.push(loc, format!("must be {op} {b}, got {n}"));
                }
            }
        }
        if let Some(m) = &k.multiple_of {
            if !is_multiple_of(n, m) {
                self.push(loc, format!("must be a multiple of {m}, got {n}"));
            }
        }
    }

    fn string(&mut self, k: &Keywords, s: &str, loc: &Loc<'_>) {
        if k.min_length.is_some() || k.max_length.is_some() {
            let len = s.chars().count() as u64;
            if let Some(min) = k.min_length.filter(|&min| len < min) {
                self.push(
                    loc,
                    format!("must be at least {min} characters long, got {len}"),
                );
            }
            if let Some(max) = k.max_length.filter(|&max| len > max) {
                self.push(
                    loc,
                    format!("must be at most {max} characters long, got {len}"),
                );
            }
        }
        if let Some(re) = &k.pattern {
            if !re.is_match(s) {
                self.push(
                    loc,
                    format!(
                        "must match the pattern {}, got {}",
                        short(&Value::String(re.as_str().to_owned())),
                        short(&Value::String(s.to_owned()))
                    ),
                );
            }
        }
    }

    fn array(&mut self, k: &Keywords, items: &[Value], loc: &Loc<'_>) {
        let len = items.len() as u64;
        if let Some(min) = k.min_items.filter(|&min| len < min) {
            self.push(loc, format!("must have at least {min} items, got {len}"));
        }
        if let Some(max) = k.max_items.filter(|&max| len > max) {
            self.push(loc, format!("must have at most {max} items, got {len}"));
        }
        for (i, item) in items.iter().enumerate() {
            if self.full() {
                return;
            }
            let node = match k.prefix_items.get(i) {
                Some(&node) => Some(node),
                None => k.items,
            };
            if let Some(node) = node {
                self.check(node, item, &Loc::Index(loc, i));
            }
        }
        if k.unique_items {
            'outer: for i in 0..items.len() {
                for j in i + 1..items.len() {
                    if json_eq(&items[i], &items[j]) {
                        self.push(
                            loc,
                            format!("items must be unique, but items {i} and {j} are equal"),
                        );
                        break 'outer;
                    }
                }
            }
        }
    }

    fn object(&mut self, k: &Keywords, map: &Map<String, Value>, loc: &Loc<'_>) {
        let len = map.len() as u64;
        if let Some(min) = k.min_properties.filter(|&min| len < min) {
            self.push(
                loc,
                format!("must have at least {min} properties, got {len}"),
            );
        }
        if let Some(max) = k.max_properties.filter(|&max| len > max) {
            self.push(
                loc,
                format!("must have at most {max} properties, got {len}"),
            );
        }
        for (name, node) in &k.properties {
            if let Some(value) = map.get(name) {
                self.check(*node, value, &Loc::Key(loc, name));
            }
        }
        if !k.pattern_properties.is_empty() || k.additional_properties.is_some() {
            // In name order, whatever order the map keeps.
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            for name in names {
                if self.full() {
                    return;
                }
                let here = Loc::Key(loc, name);
                let value = &map[name];
                let mut matched = k.properties.binary_search_by(|(p, _)| p.cmp(name)).is_ok();
                for (re, node) in &k.pattern_properties {
                    if re.is_match(name) {
                        matched = true;
                        self.check(*node, value, &here);
                    }
                }
                match k.additional_properties {
                    Some(node) if !matched => {
                        if matches!(self.schema.nodes[node], Node::Bool(false)) {
                            self.push(&here, unexpected(k));
                        } else {
                            self.check(node, value, &here);
                        }
                    }
                    _ => {}
                }
            }
        }
        for name in &k.required {
            if !map.contains_key(name) {
                self.push(&Loc::Key(loc, name), "required property missing".into());
            }
        }
    }

    /// Explains why no alternative of `anyOf`/`oneOf` matches: the one alternative of the
    /// instance's type, if only one has it; the types wanted, if none has it; else the
    /// alternative with the fewest violations.
    fn none_matches(
        &mut self,
        alternatives: &[usize],
        keyword: &str,
        instance: &Value,
        loc: &Loc<'_>,
    ) {
        let bits = type_bits(instance);
        let declared: Vec<Option<u8>> = alternatives
            .iter()
            .map(|&a| self.declared_types(a))
            .collect();
        let candidates: Vec<usize> = (0..alternatives.len())
            .filter(|&i| declared[i].is_none_or(|t| t & bits != 0))
            .collect();
        match candidates.as_slice() {
            [] => {
                let all = declared.iter().fold(0, |acc, t| acc | t.unwrap_or(0));
                self.push(
                    loc,
                    format!("expected {}, got {}", type_list(all), describe(instance)),
                );
            }
            [only] => {
                let found = self.violations(alternatives[*only], instance, loc);
                self.out.extend(found);
                self.out.truncate(self.limit);
            }
            _ => {
                let (best, found) = candidates
                    .iter()
                    .map(|&i| (i, self.violations(alternatives[i], instance, loc)))
                    .min_by_key(|(_, v)| v.len())
                    .expect("two or more candidates");
                self.push(
                    loc,
                    format!(
                        "matches none of the {} alternatives of {keyword}; the closest, #{}, \
                         fails with:",
                        alternatives.len(),
                        best + 1
                    ),
                );
                self.out.extend(found);
                self.out.truncate(self.limit);
            }
        }
    }

    /// The types node `node` allows, when it says (following `$ref`s); `None` = any.
    fn declared_types(&self, node: usize) -> Option<u8> {
        match &self.schema.nodes[node] {
            Node::Bool(true) => None,
            Node::Bool(false) => Some(0),
            Node::Keywords(k) => match (k.types, k.reference) {
                (Some(t), _) => Some(t),
                (None, Some(r)) => self.declared_types(r),
                (None, None) => None,
            },
        }
    }
}

/// `integer or null`, in the spec's order of types; `integer` left out beside `number`.
fn type_list(bits: u8) -> String {
    let names: Vec<&str> = TYPE_NAMES
        .iter()
        .filter(|(name, bit)| {
            bits & bit != 0 && !(*name == "integer" && bits & crate::compile::NUMBER != 0)
        })
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(" or ")
    }
}

fn enum_list(values: &[Value]) -> String {
    let mut shown: Vec<String> = values.iter().take(ENUM_SHOWN).map(short).collect();
    if values.len() > ENUM_SHOWN {
        shown.push("…".to_owned());
    }
    shown.join(", ")
}

/// The message for a property that `additionalProperties: false` refuses.
fn unexpected(k: &Keywords) -> String {
    let mut allowed: Vec<String> = k
        .properties
        .iter()
        .take(NAMES_SHOWN)
        .map(|(name, _)| name.clone())
        .collect();
    if k.properties.len() > NAMES_SHOWN {
        allowed.push("…".to_owned());
    }
    allowed.extend(k.pattern_properties.iter().map(|(re, _)| {
        format!(
            "names matching {}",
            short(&Value::String(re.as_str().to_owned()))
        )
    }));
    if allowed.is_empty() {
        "unexpected property; none are allowed here".to_owned()
    } else {
        format!("unexpected property; allowed: {}", allowed.join(", "))
    }
}
