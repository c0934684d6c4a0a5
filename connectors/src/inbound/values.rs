//! Reading the facts of one decoded event: the first present of several alternative
//! names, values as text or seconds, and a stable content hash for events that carry no
//! id of their own.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Whether a value carries something (not null, not an empty or blank string, not an
/// empty list or object).
pub fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// The first of `names` present in `event`, with the name that matched. Names are tried
/// in order, each exactly and then ignoring case (`Phone` matches `phone`).
pub fn first_present<'a>(
    event: &'a Map<String, Value>,
    names: &[&'a str],
) -> Option<(&'a str, &'a Value)> {
    names.iter().find_map(|name| {
        let exact = event.get_key_value(*name);
        let found = exact.or_else(|| event.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
        found
            .filter(|(_, v)| is_present(v))
            .map(|(k, v)| (k.as_str(), v))
    })
}

/// The first present of `names`, as text (numbers and booleans are rendered as text).
pub fn first_text(event: &Map<String, Value>, names: &[&str]) -> Option<String> {
    first_present(event, names).and_then(|(_, v)| text(v))
}

/// A scalar as text, trimmed; `None` for null, lists and objects.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A duration in whole seconds from a number, a numeric string (`"42"`, `"42.7"`) or a
/// clock string (`"01:05"` = 65, `"1:02:03"` = 3723).
pub fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(whole) = s.parse::<u64>() {
                return Some(whole);
            }
            if let Ok(fraction) = s.parse::<f64>() {
                return (fraction >= 0.0).then_some(fraction as u64);
            }
            let parts: Vec<&str> = s.split(':').collect();
            if !(2..=3).contains(&parts.len()) {
                return None;
            }
            parts.iter().try_fold(0u64, |total, part| {
                part.trim().parse::<u64>().ok().map(|p| total * 60 + p)
            })
        }
        _ => None,
    }
}

/// A stable short hash of an event's content (keys sorted at every level), for events
/// that carry no id: the same delivery posted again gets the same hash.
pub fn content_hash(event: &Map<String, Value>) -> String {
    let canonical = canonical(&Value::Object(event.clone()));
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    hex::encode(&digest[..8])
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_present_skips_blank_values_and_ignores_case() {
        let event = json!({"phone": "", "Tel": "+7 916", "telephone": "+7 999"});
        let event = event.as_object().unwrap();
        assert_eq!(
            first_present(event, &["phone", "tel", "telephone"]),
            Some(("Tel", &json!("+7 916")))
        );
        assert_eq!(first_text(event, &["missing"]), None);
    }

    #[test]
    fn seconds_read_numbers_numeric_text_and_clock_text() {
        assert_eq!(seconds(&json!(42)), Some(42));
        assert_eq!(seconds(&json!(42.9)), Some(42));
        assert_eq!(seconds(&json!("42")), Some(42));
        assert_eq!(seconds(&json!("01:05")), Some(65));
        assert_eq!(seconds(&json!("1:02:03")), Some(3723));
        assert_eq!(seconds(&json!("soon")), None);
        assert_eq!(seconds(&json!(-3)), None);
    }

    #[test]
    fn content_hash_ignores_key_order_but_not_values() {
        let a = json!({"a": 1, "b": {"x": 1, "y": 2}});
        let b = json!({"b": {"y": 2, "x": 1}, "a": 1});
        let c = json!({"a": 2, "b": {"x": 1, "y": 2}});
        let hash = |v: &Value| content_hash(v.as_object().unwrap());
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 16);
    }
}
