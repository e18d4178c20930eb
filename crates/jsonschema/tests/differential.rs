//! Differential test: for every schema and instance of the table, this crate's verdict (valid or
//! not) must equal that of the `jsonschema` crate, the reference implementation (2020-12; the
//! draft-7 rows with draft 7).

use serde_json::{json, Value};

use selfheal_jsonschema::Schema;

struct Row {
    schema: Value,
    instances: Vec<Value>,
    draft7: bool,
}

fn row(schema: Value, instances: Value) -> Row {
    Row {
        schema,
        instances: instances.as_array().expect("instances are a list").clone(),
        draft7: false,
    }
}

fn draft7(schema: Value, instances: Value) -> Row {
    Row {
        draft7: true,
        ..row(schema, instances)
    }
}

fn table() -> Vec<Row> {
    let mcp = json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "sort": {"type": "string", "enum": ["asc", "desc"]},
            "filters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "value": {}},
                    "required": ["field"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["query"],
        "additionalProperties": false,
    });
    let any = json!([null, true, false, 0, 1, -1, 1.0, 1.5, "", "a", "1", [], [1], {}, {"a": 1}]);
    vec![
        row(json!(true), any.clone()),
        row(json!(false), any.clone()),
        row(json!({}), any.clone()),
        row(json!({"type": "null"}), any.clone()),
        row(json!({"type": "boolean"}), any.clone()),
        row(json!({"type": "integer"}), any.clone()),
        row(json!({"type": "number"}), any.clone()),
        row(json!({"type": "string"}), any.clone()),
        row(json!({"type": "array"}), any.clone()),
        row(json!({"type": "object"}), any.clone()),
        row(json!({"type": ["integer", "string"]}), any.clone()),
        row(json!({"type": ["number", "null"]}), any.clone()),
        row(
            json!({"type": "integer"}),
            json!([1.0, 2.5, -0.0, 1e3, 9007199254740993u64, -5]),
        ),
        row(json!({"enum": [1, "a", null, [1], {"a": 1}]}), any.clone()),
        row(
            json!({"enum": [1.0, [1.0], {"a": 1.0}]}),
            json!([1, [1], {"a": 1}, 1.5]),
        ),
        row(json!({"const": 1}), any.clone()),
        row(
            json!({"const": {"a": [1, 2]}}),
            json!([{"a": [1, 2]}, {"a": [2, 1]}, {"a": [1.0, 2]}]),
        ),
        row(json!({"const": null}), any.clone()),
        row(json!({"minimum": 1}), any.clone()),
        row(json!({"maximum": 1}), json!([0, 1, 1.0, 1.0001, 2, "x"])),
        row(
            json!({"exclusiveMinimum": 1}),
            json!([0, 1, 1.0, 1.0001, 2]),
        ),
        row(json!({"exclusiveMaximum": 0.5}), json!([0, 0.5, 0.49, 1])),
        row(
            json!({"minimum": -2, "exclusiveMaximum": 2}),
            json!([-3, -2, 0, 1.99, 2, 3]),
        ),
        row(
            json!({"maximum": 9007199254740992u64}),
            json!([
                9007199254740992u64,
                9007199254740993u64,
                18446744073709551615u64
            ]),
        ),
        row(
            json!({"multipleOf": 2}),
            json!([0, 2, 3, 4.0, 4.5, -6, "x"]),
        ),
        row(json!({"multipleOf": 0.5}), json!([0, 0.5, 1, 1.25, 4.5])),
        row(
            json!({"multipleOf": 0.01}),
            json!([19.99, 0.01, 0.001, 100]),
        ),
        row(json!({"multipleOf": 1.5}), json!([3, 4.5, 4, 0])),
        row(json!({"multipleOf": 0.1}), json!([0.3, 0.35, 1.1, 7])),
        row(
            json!({"minLength": 2}),
            json!(["", "a", "ab", "żó", "ż", 12]),
        ),
        row(
            json!({"maxLength": 2}),
            json!(["", "ab", "abc", "żół", "👍👍"]),
        ),
        row(
            json!({"pattern": "^[a-z]+$"}),
            json!(["abc", "ABC", "", "ab1", 5]),
        ),
        row(json!({"pattern": "b"}), json!(["abc", "xyz"])),
        row(
            json!({"pattern": "^\\d{3}-\\d{4}$"}),
            json!(["555-1234", "5551234"]),
        ),
        row(json!({"format": "email"}), json!(["x", "a@b.c"])),
        row(
            json!({"format": "date-time", "type": "string"}),
            json!(["yesterday"]),
        ),
        row(
            json!({"required": ["a", "b"]}),
            json!([{}, {"a": 1}, {"a": 1, "b": 2}, [], "a"]),
        ),
        row(
            json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
            json!([{}, {"a": "x"}, {"a": 1}, {"b": 1.0}, {"b": 1.5}, {"c": null}]),
        ),
        row(
            json!({"properties": {"a": {}}, "additionalProperties": false}),
            json!([{}, {"a": 1}, {"b": 1}, {"a": 1, "b": 2}]),
        ),
        row(
            json!({"properties": {"a": {}}, "additionalProperties": {"type": "boolean"}}),
            json!([{"a": 1}, {"b": true}, {"b": 1}]),
        ),
        row(
            json!({"patternProperties": {"^x-": {"type": "string"}, "n$": {"type": "integer"}},
                   "additionalProperties": false}),
            json!([{}, {"x-a": "s"}, {"x-a": 1}, {"an": 1}, {"x-n": 1}, {"x-n": "s"}, {"b": 1}]),
        ),
        row(
            json!({"minProperties": 1, "maxProperties": 2}),
            json!([{}, {"a": 1}, {"a": 1, "b": 2, "c": 3}]),
        ),
        row(
            json!({"items": {"type": "integer"}}),
            json!([[], [1, 2], [1, "2"], [1.0], "x"]),
        ),
        row(
            json!({"prefixItems": [{"type": "string"}, {"type": "integer"}]}),
            json!([[], ["a"], ["a", 1], [1, "a"], ["a", 1, null]]),
        ),
        row(
            json!({"prefixItems": [{"type": "string"}], "items": false}),
            json!([[], ["a"], ["a", 1]]),
        ),
        row(
            json!({"minItems": 1, "maxItems": 2}),
            json!([[], [1], [1, 2], [1, 2, 3]]),
        ),
        row(
            json!({"uniqueItems": true}),
            json!([[], [1, 2], [1, 1], [1, 1.0], [{"a": 1}, {"a": 1}], [[1], [1.0]], [{"a": 1}, {"b": 1}], ["1", 1]]),
        ),
        row(json!({"uniqueItems": false}), json!([[1, 1]])),
        row(
            json!({"allOf": [{"type": "integer"}, {"minimum": 2}]}),
            json!([1, 2, 2.5, "x"]),
        ),
        row(
            json!({"anyOf": [{"type": "string"}, {"minimum": 2}]}),
            json!([1, 2, "x", null]),
        ),
        row(
            json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]}),
            json!([1, 3, 2.5, "x"]),
        ),
        row(json!({"not": {"type": "null"}}), json!([null, 1])),
        row(json!({"not": {}}), json!([null, 1])),
        row(
            json!({"$defs": {"pos": {"type": "integer", "minimum": 1}},
                   "properties": {"n": {"$ref": "#/$defs/pos"}}}),
            json!([{"n": 1}, {"n": 0}, {"n": "1"}, {}]),
        ),
        row(
            json!({"definitions": {"s": {"type": "string"}}, "items": {"$ref": "#/definitions/s"}}),
            json!([["a"], [1]]),
        ),
        row(
            json!({"$defs": {"node": {"type": "object", "properties": {
                "v": {"type": "integer"},
                "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                   "$ref": "#/$defs/node"}),
            json!([{}, {"v": 1, "kids": [{"v": 2}]}, {"kids": [{"kids": [{"v": "x"}]}]}, {"kids": [3]}]),
        ),
        row(
            json!({"properties": {"next": {"$ref": "#"}}, "type": "object"}),
            json!([{}, {"next": {}}, {"next": {"next": 1}}]),
        ),
        row(
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"minimum": 0}}, "maximum": 10}),
            json!([-1, 5, 11]),
        ),
        row(
            json!({"properties": {"a": true, "b": false}}),
            json!([{}, {"a": 1}, {"b": 1}]),
        ),
        row(
            json!({"oneOf": [
                {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "string"}}, "required": ["kind", "x"]},
                {"type": "object", "properties": {"kind": {"const": "b"}, "n": {"type": "integer"}}, "required": ["kind", "n"]}]}),
            json!([{"kind": "a", "x": "s"}, {"kind": "b", "n": 1}, {"kind": "b", "n": "1"}, {"kind": "c"}]),
        ),
        row(
            json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
            json!(["a", ["a"], ["a", 1], 1]),
        ),
        row(
            json!({"title": "t", "description": "d", "default": 1, "examples": [2], "x-any": 3}),
            any.clone(),
        ),
        row(
            mcp.clone(),
            json!([
                {"query": "x"},
                {"query": "x", "limit": 10, "sort": "asc"},
                {"query": "x", "limit": 10.0},
                {"query": "x", "limit": "10"},
                {"query": ""},
                {"limit": 1},
                {"query": "x", "sort": "up"},
                {"query": "x", "extra": true},
                {"query": "x", "limit": 0},
                {"query": "x", "filters": [{"field": "a", "value": [1]}]},
                {"query": "x", "filters": [{"field": "a"}, {"value": 1}]},
                {"query": "x", "filters": [{"field": "a", "op": "eq"}]},
                {"query": "x", "filters": {"field": "a"}},
                [],
                null,
            ]),
        ),
        draft7(
            json!({"$schema": "http://json-schema.org/draft-07/schema#",
                   "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}),
            json!([[], ["a"], ["a", 1], ["a", 1, 2], [1]]),
        ),
        draft7(
            json!({"$schema": "http://json-schema.org/draft-07/schema#",
                   "definitions": {"s": {"type": "string", "maxLength": 3}},
                   "properties": {"s": {"$ref": "#/definitions/s"}},
                   "exclusiveMinimum": 0}),
            json!([{"s": "abc"}, {"s": "abcd"}, {"s": 1}, 0, 1]),
        ),
    ]
}

#[test]
fn verdicts_match_the_jsonschema_crate() {
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for row in table() {
        let reference = if row.draft7 {
            jsonschema::draft7::new(&row.schema)
        } else {
            jsonschema::draft202012::new(&row.schema)
        }
        .unwrap_or_else(|e| panic!("reference rejects {}: {e}", row.schema));
        let ours = Schema::compile(&row.schema).unwrap_or_else(|e| panic!("{}: {e}", row.schema));
        for instance in &row.instances {
            checked += 1;
            let want = reference.is_valid(instance);
            let got = ours.validate(instance);
            if want != got.is_empty() {
                disagreements.push(format!(
                    "schema {} instance {instance}: jsonschema says {}, we say {:?}",
                    row.schema,
                    if want { "valid" } else { "invalid" },
                    got
                ));
            }
            assert_eq!(ours.is_valid(instance), got.is_empty(), "is_valid agrees");
        }
    }
    assert!(checked > 300, "{checked} pairs");
    assert!(
        disagreements.is_empty(),
        "{} of {checked} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Schemas both refuse (and one the reference refuses that we refuse too): an uncompilable
/// pattern.
#[test]
fn bad_patterns_are_refused_by_both() {
    for schema in [
        json!({"pattern": "(unclosed"}),
        json!({"patternProperties": {"[": {}}}),
    ] {
        assert!(jsonschema::draft202012::new(&schema).is_err(), "{schema}");
        assert!(Schema::compile(&schema).is_err(), "{schema}");
    }
}
