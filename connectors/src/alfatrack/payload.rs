//! Turning Alfa-Track deliveries into `request` and `enrichment` items.
//!
//! Alfa-Track publishes no schema for what it pushes, so each field is read from several
//! plausible names (first present wins); docs/connectors/alfatrack.md lists them. UTM
//! values are also read from a nested `utm` object (`utm[source]=…` in a form). Items
//! carry normalized fields at the top level and the delivery as decoded under `raw`.
//!
//! Derived values:
//! - `request_type`: `form`, `phone`, `chat`, `offline` from English or Russian labels
//!   (`форма`, `телефон`/`звонок`, `чат`, `оффлайн`); any other label is kept lower-cased
//!   so a filter can still see it.
//! - `enriched`: whether any ad-source or analytics field is present.

use serde_json::{Map, Value, json};

use crate::error::ConnectorError;
use crate::inbound::{content_hash, first_present, first_text, rejected, text};

const REQUEST_ID: &[&str] = &["id", "request_id", "lead_id", "uid"];
/// An update names the request it belongs to; its own `id` is only a last resort.
const LINKED_REQUEST_ID: &[&str] = &[
    "request_id",
    "lead_id",
    "parent_id",
    "original_request_id",
    "id",
];
const REQUEST_TYPE: &[&str] = &[
    "request_type",
    "type",
    "lead_type",
    "channel",
    "source_type",
];
const PHONE: &[&str] = &["phone", "client_phone", "tel", "telephone", "phone_number"];
const EMAIL: &[&str] = &["email", "client_email", "mail"];
const NAME: &[&str] = &["name", "client_name", "fio"];
const SUBJECT: &[&str] = &["subject", "theme", "topic"];
const MESSAGE: &[&str] = &["message", "text", "comment"];
const PROJECT: &[&str] = &["project", "project_name"];
const SENT_AT: &[&str] = &["sent_at", "date", "created_at", "datetime"];

/// Tracking fields: item name, then the names a delivery may use (the nested `utm`
/// object's key, if any, comes from the item name).
const TRACKING: &[(&str, &[&str])] = &[
    ("utm_source", &["utm_source", "source"]),
    ("utm_medium", &["utm_medium", "medium", "traffic_type"]),
    ("utm_campaign", &["utm_campaign", "campaign"]),
    ("utm_content", &["utm_content", "content", "ad_content"]),
    ("utm_term", &["utm_term", "term", "keyword"]),
    (
        "client_id",
        &[
            "client_id",
            "ga_client_id",
            "ga_cid",
            "cid",
            "clientId",
            "ga",
        ],
    ),
    (
        "ym_client_id",
        &["ym_client_id", "ym_uid", "yandex_client_id"],
    ),
    (
        "at_client_id",
        &["at_client_id", "alfatrack_client_id", "at_uid"],
    ),
    ("social_network", &["social_network", "social"]),
    ("path", &["path", "full_path"]),
    ("page", &["page", "page_path", "landing", "url"]),
    ("city", &["city"]),
    ("country", &["country"]),
    ("ip", &["ip", "ip_address"]),
    ("browser", &["browser"]),
    ("device", &["device", "device_category"]),
];

/// Tracking fields whose presence means the lead has been enriched.
const ENRICHING: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "client_id",
    "ym_client_id",
    "at_client_id",
    "social_network",
];

/// What every item of a delivery may carry besides the body.
pub(crate) use crate::push_source::DeliveryContext as Context;

/// One `request` item from one decoded event.
pub(crate) fn request_item(
    event: Map<String, Value>,
    context: Context<'_>,
) -> Result<Value, ConnectorError> {
    let request_type = first_text(&event, REQUEST_TYPE)
        .map(|label| request_type(&label))
        .ok_or_else(|| {
            rejected(format!(
                "alfatrack: the request names no request type (looked for {}); expected form, phone, chat or offline",
                REQUEST_TYPE.join(", ")
            ))
        })?;
    let request_id = first_text(&event, REQUEST_ID);
    let event_id = match &request_id {
        Some(id) => format!("request-{id}"),
        None => format!("request-h{}", content_hash(&event)),
    };
    let mut item = lead_fields(&event, context);
    item.insert("event_id".into(), json!(event_id));
    item.insert("request_id".into(), json!(request_id));
    item.insert("request_type".into(), json!(request_type));
    item.insert("raw".into(), Value::Object(event));
    Ok(Value::Object(item))
}

/// One `enrichment` item from one decoded event.
pub(crate) fn enrichment_item(
    event: Map<String, Value>,
    context: Context<'_>,
) -> Result<Value, ConnectorError> {
    let request_id = first_text(&event, LINKED_REQUEST_ID).ok_or_else(|| {
        rejected(format!(
            "alfatrack: the update does not say which request it belongs to (looked for {})",
            LINKED_REQUEST_ID.join(", ")
        ))
    })?;
    let event_id = format!("enrichment-{request_id}-{}", content_hash(&event));
    let mut item = lead_fields(&event, context);
    item.insert("event_id".into(), json!(event_id));
    item.insert("request_id".into(), json!(request_id));
    item.insert(
        "request_type".into(),
        json!(first_text(&event, REQUEST_TYPE).map(|l| request_type(&l))),
    );
    item.insert("raw".into(), Value::Object(event));
    Ok(Value::Object(item))
}

/// The fields both triggers share, in the documented order.
fn lead_fields(event: &Map<String, Value>, context: Context<'_>) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("phone".into(), json!(first_text(event, PHONE)));
    item.insert("email".into(), json!(first_text(event, EMAIL)));
    item.insert("name".into(), json!(first_text(event, NAME)));
    item.insert("subject".into(), json!(first_text(event, SUBJECT)));
    item.insert("message".into(), json!(first_text(event, MESSAGE)));
    let project = first_text(event, PROJECT).or(context.project.map(str::to_string));
    item.insert("project".into(), json!(project));
    let nested_utm = event.get("utm").and_then(Value::as_object);
    for (name, aliases) in TRACKING {
        let value = first_text(event, aliases).or_else(|| {
            let key = name.strip_prefix("utm_")?;
            nested_utm.and_then(|utm| first_present(utm, &[key]).and_then(|(_, v)| text(v)))
        });
        item.insert((*name).into(), json!(value));
    }
    let sent_at = first_text(event, SENT_AT).unwrap_or_else(|| context.received_at.to_rfc3339());
    item.insert("sent_at".into(), json!(sent_at));
    let enriched = ENRICHING.iter().any(|name| !item[*name].is_null());
    item.insert("enriched".into(), json!(enriched));
    item
}

fn request_type(label: &str) -> String {
    let lower = label.trim().to_lowercase();
    let known: &[(&[&str], &str)] = &[
        (&["offline", "офлайн", "оффлайн"], "offline"),
        (&["form", "форм"], "form"),
        (&["chat", "чат"], "chat"),
        (&["phone", "call", "телефон", "звон"], "phone"),
    ];
    known
        .iter()
        .find(|(words, _)| words.iter().any(|w| lower.contains(w)))
        .map(|(_, name)| (*name).to_string())
        .unwrap_or(lower)
}
