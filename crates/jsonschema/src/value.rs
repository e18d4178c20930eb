//! JSON values as JSON Schema sees them: numbers by value, and short renderings for messages.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::compile::{ARRAY, BOOLEAN, INTEGER, NULL, NUMBER, OBJECT, STRING};

/// Longest rendering of a value in a message, in characters.
const SHORT: usize = 40;

/// The name of a value's JSON type, for schema errors.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A number with no fractional part: `1` and `1.0` are integers, `1.5` is not.
pub(crate) fn is_integer(n: &Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// The type bits an instance has (an integer is a number too).
pub(crate) fn type_bits(value: &Value) -> u8 {
    match value {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Number(n) if is_integer(n) => NUMBER | INTEGER,
        Value::Number(_) => NUMBER,
        Value::String(_) => STRING,
        Value::Array(_) => ARRAY,
        Value::Object(_) => OBJECT,
    }
}

/// What a value is, for "got …": `string "10"`, `integer 5`, `object`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => format!("string {}", short(value)),
        Value::Array(items) => format!("array of {} items", items.len()),
        Value::Object(_) => "object".to_owned(),
    }
}

/// A value as compact JSON, cut to a few dozen characters.
pub(crate) fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHORT {
        return text;
    }
    let mut cut: String = text.chars().take(SHORT - 1).collect();
    cut.push('…');
    if value.is_string() {
        cut.push('"');
    }
    cut
}

/// Equality as JSON Schema defines it: numbers by mathematical value, objects regardless of
/// key order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Compares two numbers exactly when both are integers, as `f64` otherwise.
pub(crate) fn num_cmp(a: &Number, b: &Number) -> Ordering {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        return x.cmp(&y);
    }
    let f = |n: &Number| n.as_f64().unwrap_or(f64::NAN);
    f(a).partial_cmp(&f(b)).unwrap_or(Ordering::Equal)
}

/// Whether `value / multiple` is an integer, in the decimal reading both numbers print as
/// (so `19.99` is a multiple of `0.01`, as the schema's author means it).
pub(crate) fn is_multiple_of(value: &Number, multiple: &Number) -> bool {
    let whole = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(v), Some(m)) = (whole(value), whole(multiple)) {
        return m != 0 && v % m == 0;
    }
    let (Some(v), Some(m)) = (value.as_f64(), multiple.as_f64()) else {
        return false;
    };
    if v == 0.0 {
        return true;
    }
    if let (Some((vm, vd)), Some((mm, md))) = (decimal_parts(v), decimal_parts(m)) {
        // v / m = (vm / 10^vd) / (mm / 10^md) = vm * 10^md / (mm * 10^vd)
        let shared = vd.min(md);
        let scale =
            |mantissa: i128, places: u32| mantissa.checked_mul(10_i128.checked_pow(places)?);
        if let (Some(num), Some(den)) = (scale(vm, md - shared), scale(mm, vd - shared)) {
            return den != 0 && num % den == 0;
        }
    }
    let q = v / m;
    q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// `19.99` → (1999, 2): the shortest decimal that reads back as `f`, as mantissa and places.
fn decimal_parts(f: f64) -> Option<(i128, u32)> {
    if !f.is_finite() {
        return None;
    }
    let text = format!("{}", f.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{int}{frac}");
    if digits.len() > 36 {
        return None;
    }
    Some((digits.parse().ok()?, u32::try_from(frac.len()).ok()?))
}
