//! A JSON document that keeps its keys in the file's order, so that merging our hooks into a
//! user's `settings.json` or `hooks.json` leaves everything else where it was.
//! (`serde_json::Value` sorts keys: its `preserve_order` feature would change the map type
//! of every hook binary in the workspace.)

use std::fmt::Write as _;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` of an object, appended as `default` when missing. `None` when `self`
    /// is not an object.
    pub fn entry(&mut self, key: &str, default: Json) -> Option<&mut Json> {
        let Json::Object(members) = self else {
            return None;
        };
        let i = match members.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                members.push((key.to_owned(), default));
                members.len() - 1
            }
        };
        Some(&mut members[i].1)
    }

    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let Json::Object(members) = self else {
            return None;
        };
        let i = members.iter().position(|(k, _)| k == key)?;
        Some(members.remove(i).1)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_empty_container(&self) -> bool {
        matches!(self, Json::Object(m) if m.is_empty())
            || matches!(self, Json::Array(a) if a.is_empty())
    }

    /// The same tree as a `serde_json::Value` (keys sorted).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Pretty-printed as `JSON.stringify(value, null, indent)` prints it (how Claude Code and
    /// most editors write these files): `indent` per level, `"key": value`, empty containers
    /// as `{}` / `[]`.
    pub fn pretty(&self, indent: &str) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, indent, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, indent: &str, depth: usize) {
        let pad = |out: &mut String, depth: usize| {
            for _ in 0..depth {
                out.push_str(indent);
            }
        };
        match self {
            Json::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(out, depth + 1);
                    item.write_pretty(out, indent, depth + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Object(members) if !members.is_empty() => {
                out.push_str("{\n");
                for (i, (k, v)) in members.iter().enumerate() {
                    pad(out, depth + 1);
                    let _ = write!(out, "{}: ", Value::String(k.clone()));
                    v.write_pretty(out, indent, depth + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push('}');
            }
            Json::Array(_) => out.push_str("[]"),
            Json::Object(_) => out.push_str("{}"),
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        }
    }
}

impl From<&Value> for Json {
    /// Keys in `serde_json`'s order; used for trees we build ourselves.
    fn from(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

/// The indentation unit a pretty-printed file uses (its first indented line), else two spaces.
pub fn detect_indent(text: &str) -> String {
    text.lines()
        .skip(1)
        .find_map(|line| {
            let n = line.len() - line.trim_start_matches([' ', '\t']).len();
            (n > 0).then(|| line[..n].to_owned())
        })
        .unwrap_or_else(|| "  ".to_owned())
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            // A repeated key: the last one wins, as in every JSON reader the clients use.
            if let Some(slot) = members.iter_mut().find(|(key, _)| *key == k) {
                slot.1 = v;
            } else {
                members.push((k, v));
            }
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_space_file_prints_back_byte_for_byte() {
        let text = "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"list\": [\n      true,\n      null,\n      \"é\\n\"\n    ],\n    \"empty\": {},\n    \"none\": []\n  },\n  \"n\": -1.5\n}";
        let doc = Json::parse(text).unwrap();
        assert_eq!(doc.pretty(&detect_indent(text)), text);
    }

    #[test]
    fn the_file_indent_is_kept() {
        let text = "{\n    \"a\": [\n        1\n    ]\n}";
        assert_eq!(detect_indent(text), "    ");
        assert_eq!(Json::parse(text).unwrap().pretty("    "), text);
        assert_eq!(detect_indent("{}"), "  ");
        assert_eq!(detect_indent("{\n\t\"a\": 1\n}"), "\t");
    }

    #[test]
    fn entry_appends_and_remove_takes_out() {
        let mut doc = Json::parse(r#"{"b": 1, "a": 2}"#).unwrap();
        doc.entry("c", Json::Array(vec![])).unwrap();
        assert_eq!(
            doc.pretty("  "),
            "{\n  \"b\": 1,\n  \"a\": 2,\n  \"c\": []\n}"
        );
        assert_eq!(doc.remove("b"), Some(Json::Number(1.into())));
        assert_eq!(doc.to_value(), serde_json::json!({"a": 2, "c": []}));
    }
}
