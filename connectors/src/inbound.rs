//! Reading what a vendor posts to a webhook, for the connectors whose triggers are pushed
//! (`callbackhunter`, `alfatrack`, `ringostat`).
//!
//! Vendors differ in how they post the same facts: JSON or form-encoded, flat keys or
//! PHP-style `messages[0][text]`, one event or a batch, and integrator-chosen parameter
//! names. This module turns a body into JSON objects ([`decode_events`]) and offers the
//! lookups the connectors share: the first present of several alternative names
//! ([`first_present`]), values as text or seconds, and a stable content hash for events
//! that carry no id of their own ([`content_hash`]).
//!
//! Everything a delivery fails on is a [`ConnectorError::Rejected`] whose message names
//! what was wrong, so the engine's 400 answer tells the integrator what to fix.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::ConnectorError;

/// The `Content-Type` of a JSON delivery.
pub const JSON: &str = "application/json";
/// The `Content-Type` of a form-encoded delivery.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A webhook body that is not what the vendor sends: the engine answers 400 with this
/// message and stores nothing.
pub fn rejected(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Rejected {
        status: 400,
        body: message.into(),
    }
}

/// How a body is encoded, from its `Content-Type` (and, when that says nothing useful,
/// from its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Form,
}

fn encoding(vendor: &str, content_type: &str, body: &[u8]) -> Result<Encoding, ConnectorError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.contains("json") {
        return Ok(Encoding::Json);
    }
    if essence == FORM {
        return Ok(Encoding::Form);
    }
    // Some senders label every body `text/plain` or send no type at all; the body's
    // first byte then decides, since a JSON event always starts with `{` or `[`.
    if essence.is_empty() || essence == "text/plain" || essence == "application/octet-stream" {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        return Ok(match first {
            Some(b'{') | Some(b'[') => Encoding::Json,
            _ => Encoding::Form,
        });
    }
    Err(rejected(format!(
        "{vendor}: content type `{content_type}` is not supported; set the webhook to send \
         JSON or form-encoded (application/x-www-form-urlencoded) bodies"
    )))
}

/// Decode one delivery into its events: a JSON object is one event, a JSON array of
/// objects is a batch, a form body is one event (with `a[b][0]=v` keys nested). A form
/// whose only field holds a JSON object (`data={...}`) is read as that object.
pub fn decode_events(
    vendor: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<Map<String, Value>>, ConnectorError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(rejected(format!(
            "{vendor}: the delivery has an empty body"
        )));
    }
    let events = match encoding(vendor, content_type, body)? {
        Encoding::Json => decode_json(vendor, body)?,
        Encoding::Form => vec![decode_form(vendor, body)?],
    };
    if events.is_empty() {
        return Err(rejected(format!("{vendor}: the delivery holds no events")));
    }
    Ok(events)
}

fn decode_json(vendor: &str, body: &[u8]) -> Result<Vec<Map<String, Value>>, ConnectorError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| rejected(format!("{vendor}: the body is not valid JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(vec![map]),
        Value::Array(entries) => entries
            .into_iter()
            .enumerate()
            .map(|(n, entry)| match entry {
                Value::Object(map) => Ok(map),
                other => Err(rejected(format!(
                    "{vendor}: batch entry {n} is {}, not an event object",
                    kind_of(&other)
                ))),
            })
            .collect(),
        other => Err(rejected(format!(
            "{vendor}: the body is {}, not an event object",
            kind_of(&other)
        ))),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn decode_form(vendor: &str, body: &[u8]) -> Result<Map<String, Value>, ConnectorError> {
    let mut root = Map::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if key.is_empty() {
            continue;
        }
        let (base, path) = split_key(&key);
        insert_nested(&mut root, base, &path, Value::String(value.into_owned()));
    }
    if root.is_empty() {
        return Err(rejected(format!(
            "{vendor}: the form-encoded body holds no fields"
        )));
    }
    let mut decoded = finish_lists(Value::Object(root));
    if let Some(inner) = lone_json_field(&decoded) {
        decoded = Value::Object(inner);
    }
    match decoded {
        Value::Object(map) => Ok(map),
        _ => unreachable!("the form root is an object"),
    }
}

/// `messages[0][text]` → (`messages`, [`0`, `text`]); a key without well-formed
/// brackets is taken literally.
fn split_key(key: &str) -> (&str, Vec<&str>) {
    let Some(open) = key.find('[') else {
        return (key, Vec::new());
    };
    if open == 0 || !key.ends_with(']') {
        return (key, Vec::new());
    }
    let mut path = Vec::new();
    let mut rest = &key[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return (key, Vec::new());
        };
        path.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() {
        return (key, Vec::new());
    }
    (&key[..open], path)
}

fn insert_nested(target: &mut Map<String, Value>, key: &str, path: &[&str], value: Value) {
    // `a[]` appends: the next free index stands in for the empty segment.
    let key = if key.is_empty() {
        target.len().to_string()
    } else {
        key.to_string()
    };
    let Some((next, rest)) = path.split_first() else {
        target.insert(key, value);
        return;
    };
    let slot = target
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        // `a=1&a[b]=2`: the structured form wins, as PHP does.
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(inner) = slot {
        insert_nested(inner, next, rest, value);
    }
}

/// Objects keyed exactly `0..n` become lists (`messages[0]`, `messages[1]` → a list).
fn finish_lists(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sequential =
                !map.is_empty() && (0..map.len()).all(|n| map.contains_key(n.to_string().as_str()));
            let mut map: Map<String, Value> =
                map.into_iter().map(|(k, v)| (k, finish_lists(v))).collect();
            if sequential {
                Value::Array(
                    (0..map.len())
                        .filter_map(|n| map.remove(n.to_string().as_str()))
                        .collect(),
                )
            } else {
                Value::Object(map)
            }
        }
        other => other,
    }
}

fn lone_json_field(decoded: &Value) -> Option<Map<String, Value>> {
    let map = decoded.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let text = map.values().next()?.as_str()?.trim();
    if !text.starts_with('{') {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()?
        .as_object()
        .cloned()
}

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

/// Encode `pairs` as a form body (for the `sender` helpers that post test deliveries).
pub fn form_body<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Vec<u8> {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, &value);
    }
    serializer.finish().into_bytes()
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

    fn one(content_type: &str, body: &str) -> Map<String, Value> {
        let mut events = decode_events("test", content_type, body.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0)
    }

    fn rejection(content_type: &str, body: &str) -> String {
        match decode_events("test", content_type, body.as_bytes()) {
            Err(ConnectorError::Rejected { status: 400, body }) => body,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn json_objects_and_batches_decode() {
        let event = one(
            "application/json; charset=utf-8",
            r#"{"id": 7, "phone": "+7 916"}"#,
        );
        assert_eq!(Value::Object(event), json!({"id": 7, "phone": "+7 916"}));
        let batch = decode_events("test", "application/json", br#"[{"id":1},{"id":2}]"#).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[1]["id"], 2);
    }

    #[test]
    fn form_bodies_nest_bracket_keys_into_objects_and_lists() {
        let event = one(
            "application/x-www-form-urlencoded",
            "id=5&phone=%2B7+916+123&messages[0][author]=visitor&messages[0][text]=Hi\
             &messages[1][author]=manager&messages[1][text]=Hello&utm[source]=ya&tags[]=a&tags[]=b",
        );
        assert_eq!(
            Value::Object(event),
            json!({
                "id": "5",
                "phone": "+7 916 123",
                "messages": [
                    {"author": "visitor", "text": "Hi"},
                    {"author": "manager", "text": "Hello"}
                ],
                "utm": {"source": "ya"},
                "tags": ["a", "b"]
            })
        );
    }

    #[test]
    fn a_form_holding_one_json_field_is_that_json() {
        let body = format!(
            "data={}",
            url::form_urlencoded::byte_serialize(br#"{"id":"9","type":"chat"}"#)
                .collect::<String>()
        );
        let event = one("application/x-www-form-urlencoded", &body);
        assert_eq!(event["type"], "chat");
    }

    #[test]
    fn untyped_bodies_are_sniffed() {
        assert_eq!(one("", r#" {"a": 1}"#)["a"], 1);
        assert_eq!(one("text/plain", "a=1")["a"], "1");
    }

    #[test]
    fn bodies_that_are_not_events_are_rejected_with_the_reason() {
        assert!(rejection("application/json", "").contains("empty body"));
        assert!(rejection("application/json", "{not json").contains("not valid JSON"));
        assert!(rejection("application/json", "42").contains("a number, not an event"));
        assert!(rejection("application/json", "[]").contains("no events"));
        assert!(rejection("application/json", "[{}, 3]").contains("batch entry 1"));
        assert!(rejection("application/xml", "<a/>").contains("`application/xml`"));
        assert!(rejection("multipart/form-data; boundary=x", "--x").contains("not supported"));
        assert!(rejection("application/x-www-form-urlencoded", "&&").contains("no fields"));
    }

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
