//! From a schema document to a graph of checked nodes. Every subschema is compiled once, by its
//! location in the document, so that `$ref`s to the same place share a node and recursive
//! schemas (a tree of comments) compile to a cycle instead of recursing forever.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Number, Value};

use crate::value::kind;
use crate::{Schema, SchemaError};

/// Instance types as bits; `INTEGER` is a subset of `NUMBER`.
pub(crate) const NULL: u8 = 1;
pub(crate) const BOOLEAN: u8 = 2;
pub(crate) const OBJECT: u8 = 4;
pub(crate) const ARRAY: u8 = 8;
pub(crate) const NUMBER: u8 = 16;
pub(crate) const STRING: u8 = 32;
pub(crate) const INTEGER: u8 = 64;

pub(crate) const TYPE_NAMES: [(&str, u8); 7] = [
    ("null", NULL),
    ("boolean", BOOLEAN),
    ("object", OBJECT),
    ("array", ARRAY),
    ("number", NUMBER),
    ("string", STRING),
    ("integer", INTEGER),
];

/// Deeper than this, a schema is refused rather than risk the stack.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// `true` accepts everything, `false` nothing.
    Bool(bool),
    Keywords(Box<Keywords>),
}

/// The keywords of one schema object that this validator checks; indexes are nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keywords {
    pub types: Option<u8>,
    pub enum_: Option<Vec<Value>>,
    pub const_: Option<Value>,
    pub reference: Option<usize>,

    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub exclusive_minimum: Option<Number>,
    pub exclusive_maximum: Option<Number>,
    pub multiple_of: Option<Number>,

    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<Regex>,

    pub prefix_items: Vec<usize>,
    pub items: Option<usize>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,

    /// Sorted by name, so that violations come in a stable order.
    pub properties: Vec<(String, usize)>,
    pub pattern_properties: Vec<(Regex, usize)>,
    pub additional_properties: Option<usize>,
    pub required: Vec<String>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,

    pub all_of: Vec<usize>,
    pub any_of: Vec<usize>,
    pub one_of: Vec<usize>,
    pub not: Option<usize>,
}

pub(crate) fn compile(root: &Value) -> Result<Schema, SchemaError> {
    let mut compiler = Compiler {
        root,
        nodes: Vec::new(),
        pointers: Vec::new(),
        at: HashMap::new(),
        depth: 0,
    };
    compiler.node(root, String::new())?;
    no_cycles(&compiler.nodes, &compiler.pointers)?;
    Ok(Schema {
        nodes: compiler.nodes,
    })
}

fn error(pointer: &str, message: impl Into<String>) -> SchemaError {
    SchemaError {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

/// `pointer` extended by one reference token, escaped (`~` → `~0`, `/` → `~1`).
pub(crate) fn join(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    /// Where each node is in the document (a JSON pointer).
    pointers: Vec<String>,
    /// Node by location: a subschema compiles once however often it is referenced.
    at: HashMap<String, usize>,
    depth: usize,
}

impl<'a> Compiler<'a> {
    fn node(&mut self, schema: &'a Value, pointer: String) -> Result<usize, SchemaError> {
        if let Some(&index) = self.at.get(&pointer) {
            return Ok(index);
        }
        if self.depth >= MAX_DEPTH {
            return Err(error(&pointer, "the schema is nested too deeply"));
        }
        let index = self.nodes.len();
        // A placeholder, so that a reference back to this node while it compiles finds it.
        self.nodes.push(Node::Bool(true));
        self.pointers.push(pointer.clone());
        self.at.insert(pointer.clone(), index);
        self.depth += 1;
        let node = match schema {
            Value::Bool(b) => Ok(Node::Bool(*b)),
            Value::Object(map) => self
                .keywords(map, &pointer)
                .map(|k| Node::Keywords(Box::new(k))),
            other => Err(error(
                &pointer,
                format!(
                    "a schema must be an object or a boolean, not {}",
                    kind(other)
                ),
            )),
        };
        self.depth -= 1;
        self.nodes[index] = node?;
        Ok(index)
    }

    fn sub(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<Option<usize>, SchemaError> {
        match map.get(key) {
            Some(schema) => self.node(schema, join(pointer, key)).map(Some),
            None => Ok(None),
        }
    }

    /// `allOf`, `anyOf`, `oneOf`, `prefixItems`: a non-empty list of schemas.
    fn sub_list(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<Vec<usize>, SchemaError> {
        let Some(value) = map.get(key) else {
            return Ok(Vec::new());
        };
        let at = join(pointer, key);
        match value {
            Value::Array(list) if !list.is_empty() => list
                .iter()
                .enumerate()
                .map(|(i, schema)| self.node(schema, join(&at, &i.to_string())))
                .collect(),
            _ => Err(error(&at, "must be a non-empty array of schemas")),
        }
    }

    /// Schemas by name: `properties`, `patternProperties`.
    fn sub_map(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<Vec<(String, usize)>, SchemaError> {
        let Some(value) = map.get(key) else {
            return Ok(Vec::new());
        };
        let at = join(pointer, key);
        let Value::Object(entries) = value else {
            return Err(error(&at, "must be an object of schemas"));
        };
        let mut out = entries
            .iter()
            .map(|(name, schema)| Ok((name.clone(), self.node(schema, join(&at, name))?)))
            .collect::<Result<Vec<_>, SchemaError>>()?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn keywords(
        &mut self,
        map: &'a Map<String, Value>,
        pointer: &str,
    ) -> Result<Keywords, SchemaError> {
        let at = |key: &str| join(pointer, key);
        let mut k = Keywords {
            types: map.get("type").map(|t| types(t, &at("type"))).transpose()?,
            enum_: match map.get("enum") {
                Some(Value::Array(values)) => Some(values.clone()),
                Some(_) => return Err(error(&at("enum"), "must be an array")),
                None => None,
            },
            const_: map.get("const").cloned(),
            minimum: number(map, "minimum", pointer)?,
            maximum: number(map, "maximum", pointer)?,
            multiple_of: number(map, "multipleOf", pointer)?,
            min_length: count(map, "minLength", pointer)?,
            max_length: count(map, "maxLength", pointer)?,
            min_items: count(map, "minItems", pointer)?,
            max_items: count(map, "maxItems", pointer)?,
            min_properties: count(map, "minProperties", pointer)?,
            max_properties: count(map, "maxProperties", pointer)?,
            unique_items: match map.get("uniqueItems") {
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(error(&at("uniqueItems"), "must be a boolean")),
                None => false,
            },
            required: match map.get("required") {
                Some(Value::Array(names)) => names
                    .iter()
                    .map(|n| n.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| error(&at("required"), "must be an array of strings"))?,
                Some(_) => return Err(error(&at("required"), "must be an array of strings")),
                None => Vec::new(),
            },
            ..Keywords::default()
        };
        if k.multiple_of
            .as_ref()
            .is_some_and(|m| m.as_f64().is_none_or(|m| m <= 0.0))
        {
            return Err(error(&at("multipleOf"), "must be greater than 0"));
        }
        // The numeric form (draft 6 on), or draft 4's boolean that makes the bound exclusive.
        for (key, bound, exclusive) in [
            ("exclusiveMinimum", &mut k.minimum, &mut k.exclusive_minimum),
            ("exclusiveMaximum", &mut k.maximum, &mut k.exclusive_maximum),
        ] {
            match map.get(key) {
                Some(Value::Number(n)) => *exclusive = Some(n.clone()),
                Some(Value::Bool(true)) => *exclusive = bound.take(),
                Some(Value::Bool(false)) | None => {}
                Some(_) => return Err(error(&at(key), "must be a number")),
            }
        }
        k.pattern = match map.get("pattern") {
            Some(Value::String(p)) => Some(regex(p, &at("pattern"))?),
            Some(_) => return Err(error(&at("pattern"), "must be a string")),
            None => None,
        };

        if let Some(r) = map.get("$ref") {
            let target = local_ref(r).map_err(|m| error(&at("$ref"), m))?;
            let Some(schema) = self.root.pointer(&target) else {
                return Err(error(
                    &at("$ref"),
                    format!(
                        "`{}` points to nothing in this schema",
                        r.as_str().unwrap_or("")
                    ),
                ));
            };
            k.reference = Some(self.node(schema, target)?);
        }

        k.properties = self.sub_map(map, "properties", pointer)?;
        k.pattern_properties = self
            .sub_map(map, "patternProperties", pointer)?
            .into_iter()
            .map(|(p, node)| Ok((regex(&p, &join(&at("patternProperties"), &p))?, node)))
            .collect::<Result<_, SchemaError>>()?;
        k.additional_properties = self.sub(map, "additionalProperties", pointer)?;

        // `items` as a list is draft 7's tuple form; `additionalItems` then covers the rest.
        match map.get("items") {
            Some(Value::Array(_)) => {
                k.prefix_items = self.sub_list(map, "items", pointer)?;
                k.items = self.sub(map, "additionalItems", pointer)?;
            }
            Some(_) => {
                k.prefix_items = self.sub_list(map, "prefixItems", pointer)?;
                k.items = self.sub(map, "items", pointer)?;
            }
            None => k.prefix_items = self.sub_list(map, "prefixItems", pointer)?,
        }

        k.all_of = self.sub_list(map, "allOf", pointer)?;
        k.any_of = self.sub_list(map, "anyOf", pointer)?;
        k.one_of = self.sub_list(map, "oneOf", pointer)?;
        k.not = self.sub(map, "not", pointer)?;
        Ok(k)
    }
}

fn types(value: &Value, pointer: &str) -> Result<u8, SchemaError> {
    let one = |v: &Value| {
        let name = v.as_str().unwrap_or("");
        TYPE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bit)| *bit)
            .ok_or_else(|| error(pointer, format!("unknown type {v}")))
    };
    match value {
        Value::Array(list) => list.iter().try_fold(0, |acc, v| Ok(acc | one(v)?)),
        v => one(v),
    }
}

fn number(
    map: &Map<String, Value>,
    key: &str,
    pointer: &str,
) -> Result<Option<Number>, SchemaError> {
    match map.get(key) {
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(_) => Err(error(&join(pointer, key), "must be a number")),
        None => Ok(None),
    }
}

/// A non-negative integer (`2.0` counts).
fn count(map: &Map<String, Value>, key: &str, pointer: &str) -> Result<Option<u64>, SchemaError> {
    let Some(value) = map.get(key) else {
        return Ok(None);
    };
    let n = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    });
    n.map(Some)
        .ok_or_else(|| error(&join(pointer, key), "must be a non-negative integer"))
}

fn regex(pattern: &str, pointer: &str) -> Result<Regex, SchemaError> {
    Regex::new(pattern).map_err(|e| {
        // The regex crate's message spans lines (the pattern, a caret); keep its last line.
        let text = e.to_string();
        let last = text.lines().last().unwrap_or("").trim().to_owned();
        error(pointer, format!("invalid regular expression: {last}"))
    })
}

/// The JSON pointer a local `$ref` (`#`, `#/$defs/x`, percent-encoded) names.
fn local_ref(value: &Value) -> Result<String, String> {
    let Some(r) = value.as_str() else {
        return Err("must be a string".into());
    };
    let Some(fragment) = r.strip_prefix('#') else {
        return Err(format!(
            "`{r}`: only references inside this schema (`#/…`) are supported"
        ));
    };
    let decoded = percent_decode(fragment).ok_or_else(|| format!("`{r}`: bad percent-encoding"))?;
    if !decoded.is_empty() && !decoded.starts_with('/') {
        return Err(format!(
            "`{r}`: anchors are not supported, only JSON pointers (`#/…`)"
        ));
    }
    Ok(decoded)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Refuses a cycle of `$ref`/`allOf`/`anyOf`/`oneOf`/`not` that never moves into the
/// instance: validating against it would never end. (A cycle through `properties` or `items`
/// is a recursive schema and fine: each step goes one level down a finite instance.)
fn no_cycles(nodes: &[Node], pointers: &[String]) -> Result<(), SchemaError> {
    fn same_instance(node: &Node) -> Vec<usize> {
        match node {
            Node::Bool(_) => Vec::new(),
            Node::Keywords(k) => k
                .reference
                .iter()
                .chain(&k.all_of)
                .chain(&k.any_of)
                .chain(&k.one_of)
                .chain(&k.not)
                .copied()
                .collect(),
        }
    }
    // 0 = not visited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; nodes.len()];
    for start in 0..nodes.len() {
        if state[start] != 0 {
            continue;
        }
        // An explicit stack of (node, its successors, next successor to visit).
        let mut stack = vec![(start, same_instance(&nodes[start]), 0)];
        state[start] = 1;
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let Some(&succ) = top.1.get(top.2) else {
                state[node] = 2;
                stack.pop();
                continue;
            };
            top.2 += 1;
            match state[succ] {
                0 => {
                    state[succ] = 1;
                    stack.push((succ, same_instance(&nodes[succ]), 0));
                }
                1 => {
                    return Err(error(
                        &pointers[node],
                        format!(
                            "`$ref` cycle: it leads back to `#{}` without going into the \
                             instance",
                            pointers[succ]
                        ),
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}
