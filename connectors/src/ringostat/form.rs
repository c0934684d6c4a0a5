//! Turning one Ringostat form webhook into a `form` item.
//!
//! The site's form fields arrive as sent, either nested (`fields`, `form_fields`,
//! `form_data` or `form`, an object) or flat beside Ringostat's system variables; flat
//! names that are system variables (see [`super::variables::is_system_variable`]) are
//! kept apart under `variables`.
//!
//! Derived values (S4.3, S4.5): `phone` is the first present of the trigger's
//! `phone_fields` (default `phone`, `tel`, `telephone`) exactly as typed, with
//! `phone_field` naming the field it came from; `email` and `name` likewise from
//! `email_fields` and `name_fields`. Form fields are searched first, then the whole
//! delivery.

use serde_json::{Map, Value, json};

use crate::error::ConnectorError;
use crate::inbound::{content_hash, first_present, first_text, rejected, text};

use super::variables::{Context, LANDING, add_tracking, is_system_variable};

const NESTED_FIELDS: &[&str] = &["fields", "form_fields", "form_data", "form"];
const SUBMISSION_ID: &[&str] = &["submission_id", "form_request_id", "request_id", "id"];
const FORM_NAME: &[&str] = &["form_name", "form_id", "form_title"];
const SUBMITTED_AT: &[&str] = &["submitted_at", "date", "created_at", "datetime"];

const DEFAULT_PHONE_FIELDS: &[&str] = &["phone", "tel", "telephone"];
const DEFAULT_EMAIL_FIELDS: &[&str] = &["email"];
const DEFAULT_NAME_FIELDS: &[&str] = &["name", "first-name"];

/// The form trigger's field-name settings.
#[derive(Debug, Clone)]
pub(crate) struct FieldNames {
    phone: Vec<String>,
    email: Vec<String>,
    name: Vec<String>,
}

impl FieldNames {
    /// Read `phone_fields`, `email_fields` and `name_fields` from the trigger settings.
    pub(crate) fn from_settings(settings: &Map<String, Value>) -> Result<Self, ConnectorError> {
        Ok(FieldNames {
            phone: names(settings, "phone_fields", DEFAULT_PHONE_FIELDS)?,
            email: names(settings, "email_fields", DEFAULT_EMAIL_FIELDS)?,
            name: names(settings, "name_fields", DEFAULT_NAME_FIELDS)?,
        })
    }
}

/// A list of names from a list of strings or comma-separated text.
fn names(
    settings: &Map<String, Value>,
    key: &str,
    default: &[&str],
) -> Result<Vec<String>, ConnectorError> {
    let invalid = || {
        ConnectorError::Config(format!(
            "ringostat: trigger setting `{key}` must be a list of field names or comma-separated text"
        ))
    };
    let list: Vec<String> = match settings.get(key) {
        None | Some(Value::Null) => return Ok(default.iter().map(|s| s.to_string()).collect()),
        Some(Value::String(text)) => text.split(',').map(|s| s.trim().to_string()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(invalid)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid()),
    };
    let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty()).collect();
    if list.is_empty() {
        return Err(invalid());
    }
    Ok(list)
}

/// One `form` item from one decoded event.
pub(crate) fn form_item(
    event: Map<String, Value>,
    names: &FieldNames,
    context: Context<'_>,
) -> Result<Value, ConnectorError> {
    let nested = first_present(&event, NESTED_FIELDS).and_then(|(_, v)| v.as_object());
    let (fields, variables): (Map<String, Value>, Map<String, Value>) = match nested {
        Some(fields) => (
            fields.clone(),
            event
                .iter()
                .filter(|(k, _)| is_system_variable(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        None => {
            let (variables, fields) = event
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .partition(|(k, _)| is_system_variable(k));
            (fields, variables)
        }
    };
    if fields.is_empty() {
        return Err(rejected(format!(
            "ringostat: the form delivery carries no form fields (only system variables: {})",
            event.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let phone = lookup(&fields, &event, &names.phone);
    let event_id = match first_text(&event, SUBMISSION_ID) {
        Some(id) => format!("form-{id}"),
        None => format!("form-h{}", content_hash(&event)),
    };
    let submitted_at =
        first_text(&event, SUBMITTED_AT).unwrap_or_else(|| context.received_at.to_rfc3339());
    let mut item = Map::new();
    item.insert("event_id".into(), json!(event_id));
    item.insert("phone".into(), json!(phone.as_ref().map(|(_, v)| v)));
    item.insert("phone_field".into(), json!(phone.map(|(k, _)| k)));
    item.insert(
        "email".into(),
        json!(lookup(&fields, &event, &names.email).map(|(_, v)| v)),
    );
    item.insert(
        "name".into(),
        json!(lookup(&fields, &event, &names.name).map(|(_, v)| v)),
    );
    add_tracking(&mut item, &event, context);
    item.insert("form_name".into(), json!(first_text(&event, FORM_NAME)));
    item.insert("page".into(), json!(first_text(&event, LANDING)));
    item.insert("submitted_at".into(), json!(submitted_at));
    item.insert("fields".into(), Value::Object(fields));
    item.insert("variables".into(), Value::Object(variables));
    item.insert("raw".into(), Value::Object(event));
    Ok(Value::Object(item))
}

/// The first of `names` present in the form fields, then in the whole delivery: the
/// name as it appeared and the value as text.
fn lookup(
    fields: &Map<String, Value>,
    event: &Map<String, Value>,
    names: &[String],
) -> Option<(String, String)> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    [fields, event].into_iter().find_map(|source| {
        first_present(source, &names).and_then(|(k, v)| text(v).map(|t| (k.to_string(), t)))
    })
}
