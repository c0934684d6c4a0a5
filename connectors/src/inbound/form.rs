//! Form-encoded webhook bodies: PHP-style bracket keys (`messages[0][text]`, `tags[]`)
//! nested into objects and lists, the vendors that wrap a JSON event in one form field
//! (`data={...}`) unwrapped, and form bodies encoded for the `sender` helpers.

use serde_json::{Map, Value};

use super::rejected;
use crate::error::ConnectorError;

/// One form-encoded delivery as an event: `a[b][0]=v` keys nested, objects keyed `0..n`
/// made lists, and a lone field holding a JSON object read as that object.
pub(super) fn decode_form(vendor: &str, body: &[u8]) -> Result<Map<String, Value>, ConnectorError> {
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

/// Encode `pairs` as a form body (for the `sender` helpers that post test deliveries).
pub fn form_body<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Vec<u8> {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, &value);
    }
    serializer.finish().into_bytes()
}
