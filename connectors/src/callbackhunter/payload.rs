//! Turning one CallbackHunter delivery into a `request` item.
//!
//! CallbackHunter publishes no schema for pushed requests, so every field is read from
//! several plausible names (first present wins, see [`crate::inbound::first_present`]);
//! docs/connectors/callbackhunter.md lists them all. The item carries normalized fields
//! at the top level and the delivery as decoded under `raw`.
//!
//! Derived values:
//! - `kind`: from the delivery's type (`call`/`callback`/`звонок` → call,
//!   `chat`/`message`/`чат` → chat); without one, a delivery with messages is a chat and
//!   one with a duration is a call.
//! - `messages[].author`: visitor, manager or system. Any author that is not recognisably
//!   the visitor or the manager counts as system, so the successful-chat criterion (S0.3)
//!   never counts automatic greetings or notices.
//! - `messages_counted`: the number of visitor and manager messages.

use serde_json::{Map, Value, json};

use crate::error::ConnectorError;
use crate::inbound::{content_hash, first_present, first_text, rejected, seconds, text};

const ID: &[&str] = &["id", "request_id", "call_id", "chat_id", "lead_id", "uid"];
const KIND: &[&str] = &["type", "kind", "request_type", "event"];
const PHONE: &[&str] = &[
    "phone",
    "client_phone",
    "phone_number",
    "visitor_phone",
    "caller",
    "tel",
];
const DURATION: &[&str] = &[
    "duration",
    "call_duration",
    "talk_duration",
    "billsec",
    "duration_sec",
];
const MESSAGES: &[&str] = &["messages", "chat_messages", "dialog", "history"];
const NAME: &[&str] = &["name", "client_name", "visitor_name", "fio"];
const EMAIL: &[&str] = &["email", "client_email", "visitor_email"];
const CREATED: &[&str] = &["created_at", "date", "datetime", "time", "timestamp"];
const SITE: &[&str] = &["site", "domain", "url", "page"];
const PROJECT: &[&str] = &["project", "project_name", "widget", "widget_name"];

const MESSAGE_AUTHOR: &[&str] = &["author", "from", "sender", "role", "who", "direction"];
const MESSAGE_TEXT: &[&str] = &["text", "message", "body", "content"];
const MESSAGE_AT: &[&str] = &["at", "time", "date", "created_at", "timestamp"];

const VISITOR_WORDS: &[&str] = &[
    "visitor",
    "client",
    "customer",
    "user",
    "guest",
    "lead",
    "incoming",
    "in",
    "посетитель",
    "клиент",
];
const MANAGER_WORDS: &[&str] = &[
    "manager",
    "operator",
    "agent",
    "admin",
    "employee",
    "staff",
    "outgoing",
    "out",
    "менеджер",
    "оператор",
];

/// What a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Chat,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Chat => "chat",
        }
    }

    fn from_label(label: &str) -> Option<Kind> {
        let label = label.to_lowercase();
        if ["chat", "message", "чат"].iter().any(|w| label.contains(w)) {
            Some(Kind::Chat)
        } else if ["call", "phone", "звон"].iter().any(|w| label.contains(w)) {
            Some(Kind::Call)
        } else {
            None
        }
    }
}

/// What every item of a delivery may carry besides the body.
pub(crate) use crate::push_source::DeliveryContext as Context;

/// One `request` item from one decoded event.
pub(crate) fn request_item(
    event: Map<String, Value>,
    context: Context<'_>,
) -> Result<Value, ConnectorError> {
    let messages = messages(&event)?;
    let duration = first_present(&event, DURATION).map(|(name, value)| {
        seconds(value).ok_or_else(|| {
            rejected(format!(
                "callbackhunter: `{name}` is {value}, not a duration in seconds"
            ))
        })
    });
    let duration = duration.transpose()?;
    let kind = first_text(&event, KIND)
        .and_then(|label| Kind::from_label(&label))
        .or_else(|| messages.as_ref().map(|_| Kind::Chat))
        .or_else(|| duration.map(|_| Kind::Call))
        .ok_or_else(|| {
            rejected(
                "callbackhunter: the delivery is neither a call nor a chat: it has no `type` \
                 (call/chat), no `duration` and no `messages`",
            )
        })?;
    let phone = first_text(&event, PHONE);
    if kind == Kind::Call && phone.is_none() {
        return Err(rejected(format!(
            "callbackhunter: the call has no phone number (looked for {})",
            PHONE.join(", ")
        )));
    }
    let messages = messages.unwrap_or_default();
    let counted = messages.iter().filter(|m| m["author"] != "system").count();
    let event_id = match first_text(&event, ID) {
        Some(id) => format!("{}-{id}", kind.name()),
        None => format!("{}-h{}", kind.name(), content_hash(&event)),
    };
    let created_at =
        first_text(&event, CREATED).unwrap_or_else(|| context.received_at.to_rfc3339());
    let project = first_text(&event, PROJECT).or(context.project.map(str::to_string));
    Ok(json!({
        "event_id": event_id,
        "kind": kind.name(),
        "phone": phone,
        "name": first_text(&event, NAME),
        "email": first_text(&event, EMAIL),
        "duration": duration.unwrap_or(0),
        "messages": messages,
        "messages_counted": counted,
        "created_at": created_at,
        "site": first_text(&event, SITE),
        "project": project,
        "raw": Value::Object(event),
    }))
}

/// The chat's messages, normalized; `None` when the delivery has none at all.
fn messages(event: &Map<String, Value>) -> Result<Option<Vec<Value>>, ConnectorError> {
    let Some((name, value)) = first_present(event, MESSAGES) else {
        return Ok(None);
    };
    // A form-encoded sender may put the whole list in one field as JSON text.
    let parsed;
    let list = match value {
        Value::Array(list) => list,
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok();
            parsed.as_ref().and_then(Value::as_array).ok_or_else(|| {
                rejected(format!(
                    "callbackhunter: `{name}` is text, not a list of messages"
                ))
            })?
        }
        other => {
            return Err(rejected(format!(
                "callbackhunter: `{name}` is {other}, not a list of messages"
            )));
        }
    };
    Ok(Some(list.iter().map(message).collect()))
}

fn message(entry: &Value) -> Value {
    let Some(entry) = entry.as_object() else {
        // A bare string carries no author, so it cannot count towards success.
        return json!({"author": "system", "text": text(entry), "at": null});
    };
    let author = first_text(entry, MESSAGE_AUTHOR)
        .map(|a| author(&a))
        .unwrap_or("system");
    json!({
        "author": author,
        "text": first_text(entry, MESSAGE_TEXT),
        "at": first_text(entry, MESSAGE_AT),
    })
}

fn author(label: &str) -> &'static str {
    let label = label.trim().to_lowercase();
    if VISITOR_WORDS.contains(&label.as_str()) {
        "visitor"
    } else if MANAGER_WORDS.contains(&label.as_str()) {
        "manager"
    } else {
        "system"
    }
}
