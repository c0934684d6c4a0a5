//! How expressions look at JSON values: their text form, emptiness, numeric reading and
//! the loose equality conditions use. Sources are sloppy about types (a status code may
//! arrive as `30` from one API and `"30"` from another), so numbers and numeric strings
//! compare as numbers; everything else compares exactly.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

/// The text a value contributes to a template, a join, a lookup key or a regex match.
/// Strings are themselves, null is empty, and lists/objects are compact JSON (a readable,
/// lossless form, unlike handlebars' `[object]`).
pub(crate) fn text_form(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Null => Cow::Borrowed(""),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Array(_) | Value::Object(_) => Cow::Owned(value.to_string()),
    }
}

/// Missing, null, a blank string, an empty list or an empty object.
pub(crate) fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(list)) => list.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Bool(_) | Value::Number(_)) => false,
    }
}

/// A number read from a JSON number or a numeric string. Integers are kept exact so
/// large ids (beyond 2^53) still compare correctly.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Numeric {
    /// An integral value.
    Int(i128),
    /// Anything else (finite only).
    Float(f64),
}

impl Numeric {
    /// The number `value` denotes, if it is a number or a string holding one.
    pub(crate) fn of(value: &Value) -> Option<Numeric> {
        match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(Numeric::Int(i128::from(i)))
                } else if let Some(u) = n.as_u64() {
                    Some(Numeric::Int(i128::from(u)))
                } else {
                    n.as_f64().filter(|f| f.is_finite()).map(Numeric::Float)
                }
            }
            Value::String(s) => Numeric::parse(s),
            _ => None,
        }
    }

    fn parse(text: &str) -> Option<Numeric> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Ok(i) = text.parse::<i128>() {
            return Some(Numeric::Int(i));
        }
        // `f64::from_str` also accepts "inf" and "NaN"; those are words, not numbers.
        let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
        Some(Numeric::Float(f))
    }

    fn as_f64(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Float(f) => f,
        }
    }

    /// Numeric ordering (exact for two integers).
    pub(crate) fn compare(self, other: Numeric) -> Option<Ordering> {
        match (self, other) {
            (Numeric::Int(a), Numeric::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

/// Equality as conditions see it: numbers (and numeric strings facing a number) compare
/// numerically, lists and objects compare element by element with the same rule, and
/// everything else must be equal exactly (string comparison is case-sensitive).
pub(crate) fn loose_eq(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(_), Value::Number(_))
        | (Value::Number(_), Value::String(_))
        | (Value::String(_), Value::Number(_)) => match (Numeric::of(left), Numeric::of(right)) {
            (Some(a), Some(b)) => a.compare(b) == Some(Ordering::Equal),
            _ => false,
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| loose_eq(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| loose_eq(x, y)))
        }
        _ => left == right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_forms() {
        assert_eq!(text_form(&json!("a")), "a");
        assert_eq!(text_form(&json!(5501)), "5501");
        assert_eq!(text_form(&json!(1.5)), "1.5");
        assert_eq!(text_form(&Value::Null), "");
        assert_eq!(text_form(&json!(true)), "true");
        assert_eq!(text_form(&json!({"a": [1]})), r#"{"a":[1]}"#);
    }

    #[test]
    fn emptiness() {
        assert!(is_empty(None));
        assert!(is_empty(Some(&Value::Null)));
        assert!(is_empty(Some(&json!("  \t"))));
        assert!(is_empty(Some(&json!([]))));
        assert!(is_empty(Some(&json!({}))));
        assert!(!is_empty(Some(&json!(0))));
        assert!(!is_empty(Some(&json!(false))));
        assert!(!is_empty(Some(&json!("x"))));
    }

    #[test]
    fn loose_equality() {
        assert!(loose_eq(&json!(30), &json!("30")));
        assert!(loose_eq(&json!("30"), &json!(30.0)));
        assert!(loose_eq(&json!(1), &json!(1.0)));
        assert!(
            !loose_eq(&json!("30"), &json!("30.0")),
            "two strings compare exactly"
        );
        assert!(!loose_eq(&json!("abc"), &json!(0)));
        assert!(!loose_eq(&json!("New"), &json!("new")));
        assert!(loose_eq(&json!([1, "2"]), &json!(["1", 2])));
        assert!(loose_eq(&Value::Null, &Value::Null));
        assert!(!loose_eq(&Value::Null, &json!("")));
        // Large ids stay exact.
        assert!(!loose_eq(
            &json!(9007199254740993u64),
            &json!("9007199254740992")
        ));
        assert!(!loose_eq(&json!("inf"), &json!(f64::MAX)));
    }
}
