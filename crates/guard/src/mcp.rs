//! MCP tool calls against the JSON Schema that `[mcp.schemas]` names for the tool. The file is
//! read and compiled only for a call of that tool; a schema that cannot be used lets the call
//! through with a warning, as every other failure of a hook does.

use std::path::Path;

use selfheal_jsonschema::Schema;
use selfheal_model::{Action, Class};
use serde_json::Value;

use crate::Refusal;

/// Violations listed in a refusal; more are cut to "…".
const SHOWN: usize = 5;
/// Longest list of violations in a refusal, in characters (the whole reason stays under 600).
const MAX_LIST: usize = 380;
/// Longest single violation, in characters (a deep pointer can be long).
const MAX_ONE: usize = 160;

/// The refusal for `arguments` that do not match `tool`'s schema in `file`; `Err` is a warning
/// when the schema cannot be used (the call is then not checked).
pub fn check(tool: &str, file: &Path, arguments: &Value) -> Result<Option<Refusal>, String> {
    let schema = load(file).map_err(|why| {
        format!(
            "the input schema of {tool} ({}) {why}; its calls are not checked (fail-open)",
            file.display()
        )
    })?;
    let violations = schema.validate_up_to(arguments, SHOWN + 1);
    if violations.is_empty() {
        return Ok(None);
    }
    let mut list = String::new();
    for (i, v) in violations.iter().enumerate() {
        let one = selfheal_redact::clip(&v.to_string(), MAX_ONE);
        let sep = if i == 0 { "" } else { "; " };
        if i == SHOWN || (i > 0 && list.len() + sep.len() + one.len() > MAX_LIST) {
            list.push_str("; …");
            break;
        }
        list.push_str(sep);
        list.push_str(&one);
    }
    Ok(Some(Refusal::new(
        Class::F2,
        Action::ArgumentRepair,
        format!(
            "the arguments do not match the input schema of {tool}: {list}. Fix the arguments \
             to match the tool's input schema, then call it again."
        ),
    )))
}

/// The schema in `file`: a JSON Schema, or a tool definition as MCP's `tools/list` returns it
/// (`{"name": …, "inputSchema": {…}}`).
fn load(file: &Path) -> Result<Schema, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot be read: {e}"))?;
    let document: Value =
        serde_json::from_str(&text).map_err(|e| format!("is not valid JSON: {e}"))?;
    let schema = match (document.get("name"), document.get("inputSchema")) {
        (Some(Value::String(_)), Some(input @ Value::Object(_))) => input,
        _ => &document,
    };
    Schema::compile(schema).map_err(|e| format!("is not a usable JSON Schema: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Tmp(std::path::PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn file(name: &str, content: &str) -> (Tmp, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("selfheal-mcp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("schema.json");
        std::fs::write(&path, content).unwrap();
        (Tmp(dir), path)
    }

    const SEARCH: &str = r#"{"type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query"], "additionalProperties": false}"#;

    #[test]
    fn a_bad_call_is_refused_with_pointers() {
        let (_tmp, path) = file("bad", SEARCH);
        let refusal = check("mcp__s__search", &path, &json!({"limit": "10"}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (refusal.class, refusal.action),
            (Class::F2, Action::ArgumentRepair)
        );
        assert_eq!(
            refusal.reason,
            "the arguments do not match the input schema of mcp__s__search: `/limit`: expected \
             integer, got string \"10\"; `/query`: required property missing. Fix the arguments \
             to match the tool's input schema, then call it again."
        );
        assert_eq!(
            check("mcp__s__search", &path, &json!({"query": "q", "limit": 3})),
            Ok(None)
        );
    }

    #[test]
    fn the_reason_is_bounded() {
        let props: serde_json::Map<String, Value> = (0..30)
            .map(|i| {
                (
                    format!("{}{i}", "long_property_name_".repeat(4)),
                    json!({"type": "integer"}),
                )
            })
            .collect();
        let schema = json!({"properties": props}).to_string();
        let (_tmp, path) = file("bounded", &schema);
        let args: serde_json::Map<String, Value> = (0..30)
            .map(|i| {
                (
                    format!("{}{i}", "long_property_name_".repeat(4)),
                    json!("x".repeat(500)),
                )
            })
            .collect();
        let refusal = check(
            "mcp__server__a_tool_with_a_long_name",
            &path,
            &Value::Object(args),
        )
        .unwrap()
        .unwrap();
        let message = refusal.message();
        assert!(
            message.chars().count() < 600,
            "{} chars: {message}",
            message.len()
        );
        assert!(message.contains("; …. Fix the arguments"), "{message}");
    }

    #[test]
    fn a_tool_definition_is_read_for_its_input_schema() {
        let definition =
            format!(r#"{{"name": "search", "description": "d", "inputSchema": {SEARCH}}}"#);
        let (_tmp, path) = file("definition", &definition);
        let refusal = check("mcp__s__search", &path, &json!({})).unwrap().unwrap();
        assert!(
            refusal.reason.contains("`/query`: required"),
            "{}",
            refusal.reason
        );
    }

    #[test]
    fn an_unusable_schema_is_a_warning() {
        let missing = check("mcp__s__t", Path::new("/nonexistent/s.json"), &json!({})).unwrap_err();
        assert!(
            missing
                .starts_with("the input schema of mcp__s__t (/nonexistent/s.json) cannot be read"),
            "{missing}"
        );
        assert!(
            missing.ends_with("its calls are not checked (fail-open)"),
            "{missing}"
        );
        let (_tmp, path) = file("notjson", "{not json");
        let e = check("mcp__s__t", &path, &json!({})).unwrap_err();
        assert!(e.contains("is not valid JSON"), "{e}");
        let (_tmp2, path) = file("invalid", r#"{"properties": {"a": {"pattern": "("}}}"#);
        let e = check("mcp__s__t", &path, &json!({})).unwrap_err();
        assert!(
            e.contains("is not a usable JSON Schema: at `/properties/a/pattern`"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
