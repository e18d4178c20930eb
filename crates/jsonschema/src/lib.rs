//! A small JSON Schema validator for the input schemas of MCP tools, made for a hook process
//! that starts per call: no network, no file resolving, a handful of dependencies, and
//! violations short and precise enough for a model to fix its call
//! (`` `/limit`: expected integer, got string "10" ``).
//!
//! The subset is what MCP tool `inputSchema`s use in practice (JSON Schema 2020-12 semantics;
//! draft-7 forms where they are unambiguous):
//!
//! - `type` (a name or a list; `integer` is any number with no fractional part, so `1.0` is one);
//! - objects: `properties`, `required`, `additionalProperties` (boolean or schema),
//!   `patternProperties`, `minProperties`, `maxProperties`;
//! - arrays: `items` (a schema; a list is draft-7's tuple form, with `additionalItems`),
//!   `prefixItems`, `minItems`, `maxItems`, `uniqueItems`;
//! - `enum`, `const` (numbers compare by value: `1 == 1.0`);
//! - numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers; draft 4's
//!   boolean form is read too), `multipleOf` (in the decimal reading both numbers print as);
//! - strings: `minLength`, `maxLength` (in Unicode code points), `pattern` (the `regex` crate,
//!   unanchored; a pattern it cannot compile is a schema error);
//! - `allOf`, `anyOf`, `oneOf`, `not`;
//! - `$ref` to a local `#…` JSON pointer (`#`, `#/$defs/x`, `#/definitions/x`, `#/properties/a`);
//!   siblings of `$ref` apply too. A cycle of references that never descends into the
//!   instance is a schema error;
//! - boolean schemas `true` and `false`.
//!
//! `format` is an annotation and not checked; `$schema`, `$id`, `title`, `description`,
//! `default`, `examples` and every unknown keyword are ignored. A keyword of the subset with a
//! value of the wrong shape is a schema error.

mod compile;
mod validate;
mod value;

use std::fmt;

use serde_json::Value;

/// How many violations [`Schema::validate`] reports at most.
pub const MAX_VIOLATIONS: usize = 5;

/// A compiled schema: every reachable subschema checked once, `$ref`s resolved.
#[derive(Debug, Clone)]
pub struct Schema {
    nodes: Vec<compile::Node>,
}

/// One way the instance does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The JSON pointer of the offending value in the instance ("" for the instance itself;
    /// for a missing required property, where the property would be).
    pub pointer: String,
    /// What was expected, short: `expected integer, got string "10"`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(root): {}", self.message)
        } else {
            write!(f, "`{}`: {}", self.pointer, self.message)
        }
    }
}

/// Why a schema cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The JSON pointer of the offending keyword in the schema.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at `{}`: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for SchemaError {}

impl Schema {
    /// Checks and compiles `schema`.
    pub fn compile(schema: &Value) -> Result<Schema, SchemaError> {
        compile::compile(schema)
    }

    /// At most [`MAX_VIOLATIONS`] violations; empty when `instance` is valid.
    pub fn validate(&self, instance: &Value) -> Vec<Violation> {
        self.validate_up_to(instance, MAX_VIOLATIONS)
    }

    /// At most `limit` violations (at least one when `instance` is invalid).
    pub fn validate_up_to(&self, instance: &Value, limit: usize) -> Vec<Violation> {
        validate::validate(self, instance, limit.max(1))
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validate_up_to(instance, 1).is_empty()
    }
}

#[cfg(test)]
mod tests;
