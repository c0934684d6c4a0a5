//! Reading what a vendor posts to a webhook, for the connectors whose triggers are pushed
//! (`callbackhunter`, `alfatrack`, `ringostat`).
//!
//! Vendors differ in how they post the same facts: JSON or form-encoded, flat keys or
//! PHP-style `messages[0][text]`, one event or a batch, and integrator-chosen parameter
//! names. This module turns a body into JSON objects ([`decode_events`]; form bodies are
//! unpacked by `form`) and offers the lookups the connectors share, kept in `values`: the
//! first present of several alternative names ([`first_present`]), values as text or
//! seconds, and a stable content hash for events that carry no id of their own
//! ([`content_hash`]).
//!
//! Everything a delivery fails on is a [`ConnectorError::Rejected`] whose message names
//! what was wrong, so the engine's 400 answer tells the integrator what to fix.

mod form;
mod values;

use serde_json::{Map, Value};

use crate::error::ConnectorError;
use form::decode_form;

pub use form::form_body;
pub use values::{content_hash, first_present, first_text, is_present, seconds, text};

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
}
