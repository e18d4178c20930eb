use serde_json::{json, Value};

use super::*;

fn schema(s: Value) -> Schema {
    Schema::compile(&s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The violations as "pointer: message" lines.
fn errors(s: Value, instance: Value) -> Vec<String> {
    schema(s)
        .validate(&instance)
        .iter()
        .map(|v| format!("{}: {}", v.pointer, v.message))
        .collect()
}

fn compile_error(s: Value) -> SchemaError {
    Schema::compile(&s).expect_err(&s.to_string())
}

#[test]
fn the_example_from_the_brief() {
    let s = json!({
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query"],
    });
    assert_eq!(
        errors(s.clone(), json!({"limit": "10"})),
        [
            "/limit: expected integer, got string \"10\"",
            "/query: required property missing"
        ]
    );
    assert!(schema(s.clone()).is_valid(&json!({"query": "x", "limit": 10})));
    let shown: Vec<String> = schema(s)
        .validate(&json!({"limit": "10"}))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown.join("; "),
        "`/limit`: expected integer, got string \"10\"; `/query`: required property missing"
    );
}

#[test]
fn types() {
    assert!(schema(json!({"type": "integer"})).is_valid(&json!(1.0)));
    assert!(schema(json!({"type": "integer"})).is_valid(&json!(-3)));
    assert_eq!(
        errors(json!({"type": "integer"}), json!(1.5)),
        [": expected integer, got number 1.5"]
    );
    assert!(schema(json!({"type": "number"})).is_valid(&json!(7)));
    assert_eq!(
        errors(json!({"type": ["string", "null"]}), json!(3)),
        [": expected null or string, got integer 3"]
    );
    assert_eq!(
        errors(json!({"type": "object"}), json!([1, 2])),
        [": expected object, got array of 2 items"]
    );
    assert_eq!(
        errors(json!({"type": "boolean"}), json!("true")),
        [": expected boolean, got string \"true\""]
    );
    // A wrong type is reported alone: nothing else helps.
    assert_eq!(
        errors(json!({"type": "string", "enum": ["a"]}), json!(1)).len(),
        1
    );
}

#[test]
fn objects() {
    let s = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {}},
        "additionalProperties": false,
    });
    assert_eq!(
        errors(s.clone(), json!({"a": "x", "c": 1})),
        ["/c: unexpected property; allowed: a, b"]
    );
    assert_eq!(
        errors(json!({"additionalProperties": false}), json!({"x": 1})),
        ["/x: unexpected property; none are allowed here"]
    );
    let s = json!({
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": {"type": "integer"},
    });
    assert!(schema(s.clone()).is_valid(&json!({"x-a": "s", "n": 1})));
    assert_eq!(
        errors(s, json!({"x-a": 1, "n": "s"})),
        [
            "/n: expected integer, got string \"s\"",
            "/x-a: expected string, got integer 1"
        ]
    );
    assert_eq!(
        errors(json!({"minProperties": 1, "maxProperties": 1}), json!({})),
        [": must have at least 1 properties, got 0"]
    );
    // Pointers escape `~` and `/`.
    assert_eq!(
        errors(json!({"required": ["a/b~c"]}), json!({})),
        ["/a~1b~0c: required property missing"]
    );
    // Non-objects are not checked by object keywords.
    assert!(schema(json!({"required": ["a"]})).is_valid(&json!("x")));
}

#[test]
fn arrays() {
    let s = json!({
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": true},
        },
    });
    assert_eq!(
        errors(s.clone(), json!({"tags": ["a", 2, "c"]})),
        ["/tags/1: expected string, got integer 2"]
    );
    assert_eq!(
        errors(s.clone(), json!({"tags": []})),
        ["/tags: must have at least 1 items, got 0"]
    );
    assert_eq!(
        errors(s, json!({"tags": ["a", "b", "a"]})),
        ["/tags: items must be unique, but items 0 and 2 are equal"]
    );
    assert_eq!(
        errors(json!({"uniqueItems": true}), json!([1, 1.0])).len(),
        1,
        "1 and 1.0 are the same number"
    );
    assert!(schema(json!({"uniqueItems": true})).is_valid(&json!([{"a": 1}, {"a": 2}])));
    let tuple = json!({"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false});
    assert!(schema(tuple.clone()).is_valid(&json!(["a", 1])));
    assert_eq!(
        errors(tuple, json!(["a", 1, true])),
        ["/2: no value is allowed here"]
    );
    // Draft 7's tuple form.
    let draft7 = json!({"items": [{"type": "string"}], "additionalItems": {"type": "integer"}});
    assert_eq!(
        errors(draft7, json!([1, 2])),
        ["/0: expected string, got integer 1"]
    );
    assert_eq!(
        errors(json!({"maxItems": 1}), json!([1, 2])),
        [": must have at most 1 items, got 2"]
    );
}

#[test]
fn enum_and_const() {
    assert_eq!(
        errors(json!({"enum": ["asc", "desc"]}), json!("up")),
        [": expected one of \"asc\", \"desc\", got \"up\""]
    );
    assert!(schema(json!({"enum": [1, "a", null]})).is_valid(&json!(1.0)));
    assert_eq!(
        errors(json!({"const": "v1"}), json!("v2")),
        [": expected \"v1\", got string \"v2\""]
    );
    assert!(schema(json!({"const": {"a": [1, 2]}})).is_valid(&json!({"a": [1.0, 2]})));
    let many: Vec<Value> = (0..20).map(|i| json!(i)).collect();
    let shown = errors(json!({"enum": many}), json!(99));
    assert!(shown[0].contains("7, …, got 99"), "{shown:?}");
}

#[test]
fn numbers() {
    let s = json!({"minimum": 1, "maximum": 10});
    assert_eq!(errors(s.clone(), json!(0)), [": must be >= 1, got 0"]);
    assert_eq!(
        errors(s.clone(), json!(10.5)),
        [": must be <= 10, got 10.5"]
    );
    assert!(schema(s).is_valid(&json!(10)));
    let s = json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1});
    assert_eq!(errors(s.clone(), json!(0)), [": must be > 0, got 0"]);
    assert_eq!(errors(s.clone(), json!(1)), [": must be < 1, got 1"]);
    assert!(schema(s).is_valid(&json!(0.5)));
    // Draft 4's boolean form.
    let s = json!({"minimum": 0, "exclusiveMinimum": true});
    assert_eq!(errors(s, json!(0)), [": must be > 0, got 0"]);
    // multipleOf in decimal.
    for (value, multiple, ok) in [
        (json!(19.99), json!(0.01), true),
        (json!(0.3), json!(0.1), true),
        (json!(0.35), json!(0.1), false),
        (json!(10), json!(5), true),
        (json!(7), json!(5), false),
        (json!(4.5), json!(1.5), true),
        (json!(0), json!(0.7), true),
        (json!(-9), json!(3), true),
    ] {
        let s = schema(json!({"multipleOf": multiple}));
        assert_eq!(s.is_valid(&value), ok, "{value} multipleOf {multiple}");
    }
    assert_eq!(
        errors(json!({"multipleOf": 5}), json!(7)),
        [": must be a multiple of 5, got 7"]
    );
    // Large integers compare exactly.
    assert!(!schema(json!({"maximum": 9007199254740992u64})).is_valid(&json!(9007199254740993u64)));
}

#[test]
fn strings() {
    let s = json!({"minLength": 2, "maxLength": 3});
    assert!(
        schema(s.clone()).is_valid(&json!("żół")),
        "code points, not bytes"
    );
    assert_eq!(
        errors(s.clone(), json!("a")),
        [": must be at least 2 characters long, got 1"]
    );
    assert_eq!(
        errors(s, json!("abcd")),
        [": must be at most 3 characters long, got 4"]
    );
    let s = json!({"pattern": "^[a-z]+$"});
    assert!(schema(s.clone()).is_valid(&json!("abc")));
    assert_eq!(
        errors(s, json!("ABC")),
        [": must match the pattern \"^[a-z]+$\", got \"ABC\""]
    );
    // Unanchored, as ECMA-262 `test`.
    assert!(schema(json!({"pattern": "b"})).is_valid(&json!("abc")));
    // format is an annotation.
    assert!(schema(json!({"format": "email"})).is_valid(&json!("not an email")));
    let long = "x".repeat(100);
    let shown = errors(json!({"maxLength": 3, "pattern": "^y"}), json!(long));
    assert!(shown[1].chars().count() < 120, "{shown:?}");
}

#[test]
fn combinators() {
    let s = json!({"allOf": [{"minimum": 1}, {"multipleOf": 2}]});
    assert_eq!(errors(s, json!(3)), [": must be a multiple of 2, got 3"]);
    // One alternative of the instance's type: its own violations.
    let s = json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]});
    assert!(schema(s.clone()).is_valid(&json!("a")));
    assert_eq!(
        errors(s.clone(), json!(["a", 1])),
        ["/1: expected string, got integer 1"]
    );
    // None of the instance's type: the types wanted.
    assert_eq!(
        errors(s, json!(5)),
        [": expected array or string, got integer 5"]
    );
    // Several: the closest.
    let s = json!({"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "string"}}, "required": ["kind", "x"]},
        {"type": "object", "properties": {"kind": {"const": "b"}, "n": {"type": "integer"}}, "required": ["kind", "n"]},
    ]});
    assert_eq!(
        errors(s.clone(), json!({"kind": "b", "n": "1"})),
        [
            ": matches none of the 2 alternatives of oneOf; the closest, #2, fails with:",
            "/n: expected integer, got string \"1\""
        ]
    );
    assert!(schema(s).is_valid(&json!({"kind": "a", "x": "y"})));
    let s = json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]});
    assert_eq!(
        errors(s, json!(3)),
        [": matches alternatives #1, #2 of oneOf; it must match exactly one"]
    );
    assert_eq!(
        errors(json!({"not": {"type": "null"}}), json!(null)),
        [": must not match the schema under `not`"]
    );
}

#[test]
fn refs_and_boolean_schemas() {
    let s = json!({
        "$defs": {"id": {"type": "integer", "minimum": 1}},
        "definitions": {"name": {"type": "string"}},
        "properties": {
            "id": {"$ref": "#/$defs/id"},
            "name": {"$ref": "#/definitions/name"},
            "alias": {"$ref": "#/properties/name"},
        },
    });
    assert_eq!(
        errors(s, json!({"id": 0, "name": 1, "alias": 2})),
        [
            "/alias: expected string, got integer 2",
            "/id: must be >= 1, got 0",
            "/name: expected string, got integer 1"
        ]
    );
    // A recursive schema (through properties) is fine.
    let tree = json!({
        "$defs": {"node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "v": {"type": "integer"},
        }}},
        "$ref": "#/$defs/node",
    });
    assert_eq!(
        errors(tree, json!({"children": [{"children": [{"v": "deep"}]}]})),
        ["/children/0/children/0/v: expected integer, got string \"deep\""]
    );
    // Percent-encoded and escaped pointer tokens.
    let s = json!({"$defs": {"a b": {"type": "null"}, "c/d": {"type": "null"}},
                   "anyOf": [{"$ref": "#/$defs/a%20b"}, {"$ref": "#/$defs/c~1d"}]});
    assert!(schema(s).is_valid(&json!(null)));
    assert!(schema(json!(true)).is_valid(&json!({"any": 1})));
    assert_eq!(
        errors(json!(false), json!(1)),
        [": no value is allowed here"]
    );
    assert_eq!(
        errors(json!({"properties": {"x": false}}), json!({"x": 1})),
        ["/x: no value is allowed here"]
    );
    // `#` is the whole schema.
    let s = json!({"properties": {"next": {"$ref": "#"}}, "type": "object"});
    assert_eq!(
        errors(s, json!({"next": {"next": 3}})),
        ["/next/next: expected object, got integer 3"]
    );
}

#[test]
fn ref_cycles_are_schema_errors() {
    let e = compile_error(json!({
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
        "$ref": "#/$defs/a",
    }));
    assert!(e.message.contains("cycle"), "{e}");
    let e = compile_error(json!({"anyOf": [{"type": "string"}, {"$ref": "#"}]}));
    assert!(e.message.contains("cycle"), "{e}");
    let e = compile_error(
        json!({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}),
    );
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn bad_schemas_are_errors_that_say_where() {
    let e = compile_error(json!({"properties": {"a": {"pattern": "(unclosed"}}}));
    assert_eq!(e.pointer, "/properties/a/pattern");
    assert!(e.message.starts_with("invalid regular expression"), "{e}");
    assert!(!e.to_string().contains('\n'), "{e}");
    let e = compile_error(json!({"type": "text"}));
    assert_eq!(
        (e.pointer.as_str(), e.message.as_str()),
        ("/type", "unknown type \"text\"")
    );
    let e = compile_error(json!({"$ref": "#/$defs/missing"}));
    assert!(e.message.contains("points to nothing"), "{e}");
    let e = compile_error(json!({"$ref": "https://example.org/s.json"}));
    assert!(e.message.contains("only references inside"), "{e}");
    let e = compile_error(json!({"$ref": "#anchor"}));
    assert!(e.message.contains("anchors"), "{e}");
    for (s, at) in [
        (json!({"required": "a"}), "/required"),
        (json!({"minLength": -1}), "/minLength"),
        (json!({"maxItems": 1.5}), "/maxItems"),
        (json!({"multipleOf": 0}), "/multipleOf"),
        (json!({"minimum": "1"}), "/minimum"),
        (json!({"anyOf": []}), "/anyOf"),
        (json!({"properties": {"a": 3}}), "/properties/a"),
        (
            json!({"patternProperties": {"(": {}}}),
            "/patternProperties/(",
        ),
        (json!({"enum": "a"}), "/enum"),
        (json!({"uniqueItems": "yes"}), "/uniqueItems"),
        (json!({"exclusiveMaximum": "1"}), "/exclusiveMaximum"),
        (json!([]), ""),
    ] {
        assert_eq!(compile_error(s.clone()).pointer, at, "{s}");
    }
    // Unknown keywords and annotations are ignored; $defs are compiled only when used.
    assert!(Schema::compile(&json!({
        "$schema": "http://json-schema.org/draft-07/schema#", "$id": "urn:x", "title": "t",
        "description": "d", "default": 1, "examples": [1], "x-vendor": {"type": 3},
        "$defs": {"unused": {"type": "bogus"}},
    }))
    .is_ok());
}

#[test]
fn violations_are_capped() {
    let props: serde_json::Map<String, Value> = (0..20)
        .map(|i| (format!("p{i:02}"), json!({"type": "integer"})))
        .collect();
    let s = schema(json!({"properties": props}));
    let instance: serde_json::Map<String, Value> =
        (0..20).map(|i| (format!("p{i:02}"), json!("x"))).collect();
    let instance = Value::Object(instance);
    assert_eq!(s.validate(&instance).len(), MAX_VIOLATIONS);
    assert_eq!(s.validate_up_to(&instance, 2).len(), 2);
    assert_eq!(s.validate_up_to(&instance, 0).len(), 1);
    assert_eq!(s.validate(&instance)[0].pointer, "/p00");
    // The same cap holds through anyOf explanations.
    let s = schema(json!({"anyOf": [{"type": "object", "properties": props}]}));
    assert_eq!(s.validate(&instance).len(), MAX_VIOLATIONS);
}

#[test]
fn a_typical_mcp_input_schema() {
    // As zod-to-json-schema writes them for an MCP server.
    let s = schema(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "owner": {"type": "string"},
            "repo": {"type": "string"},
            "title": {"type": "string", "minLength": 1},
            "labels": {"type": "array", "items": {"type": "string"}},
            "state": {"type": "string", "enum": ["open", "closed"]},
            "per_page": {"type": "number", "minimum": 1, "maximum": 100},
        },
        "required": ["owner", "repo", "title"],
        "additionalProperties": false,
    }));
    assert!(s.is_valid(&json!({"owner": "o", "repo": "r", "title": "t", "labels": ["bug"]})));
    let found: Vec<String> = s
        .validate(
            &json!({"owner": "o", "title": "", "labels": "bug", "state": "opened",
                          "per_page": 500, "assignee": "me"}),
        )
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "`/labels`: expected array, got string \"bug\"",
            "`/per_page`: must be <= 100, got 500",
            "`/state`: expected one of \"open\", \"closed\", got \"opened\"",
            "`/title`: must be at least 1 characters long, got 0",
            "`/assignee`: unexpected property; allowed: labels, owner, per_page, repo, state, title",
        ]
    );
}
