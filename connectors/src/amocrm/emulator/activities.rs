//! The emulator's task and note endpoints: `POST /api/v4/tasks` and
//! `POST /api/v4/{entity}/{id}/notes`, checked as a whole like every array write.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::problem::{FieldError, Problem};
use super::routes::hal;
use super::state::{ACCOUNT_ID, Account};
use super::writes::{array, request_id};

/// Note types amoCRM knows.
const NOTE_TYPES: &[&str] = &[
    "common",
    "call_in",
    "call_out",
    "service_message",
    "extended_service_message",
    "message_cashier",
    "geolocation",
    "sms_in",
    "sms_out",
    "attachment",
];

fn task_errors(account: &Account, item: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if item["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
        errors.push(FieldError::blank("text"));
    }
    if item["complete_till"].as_i64().is_none_or(|t| t <= 0) {
        errors.push(FieldError::invalid_type("complete_till", "int"));
    }
    match (
        item.get("entity_type").filter(|v| !v.is_null()),
        item.get("entity_id").filter(|v| !v.is_null()),
    ) {
        (None, None) => {}
        (Some(kind), Some(id)) => {
            let kind = kind.as_str().unwrap_or_default();
            if !matches!(kind, "leads" | "contacts" | "companies") {
                errors.push(FieldError::choice("entity_type"));
            } else if id
                .as_i64()
                .is_none_or(|id| account.find(kind, id).is_none())
            {
                errors.push(FieldError::choice("entity_id"));
            }
        }
        (None, Some(_)) => errors.push(FieldError::blank("entity_type")),
        (Some(_), None) => errors.push(FieldError::blank("entity_id")),
    }
    if let Some(user) = item.get("responsible_user_id").filter(|v| !v.is_null())
        && !user.as_i64().is_some_and(|u| account.has_user(u))
    {
        errors.push(FieldError::choice("responsible_user_id"));
    }
    if let Some(kind) = item.get("task_type_id").filter(|v| !v.is_null())
        && !kind
            .as_i64()
            .is_some_and(|k| account.config.task_types.contains(&k))
    {
        errors.push(FieldError::choice("task_type_id"));
    }
    errors
}

/// `POST /api/v4/tasks`.
pub fn create_tasks(account: &mut Account, body: &Bytes) -> Result<Response, Problem> {
    let items = array(body)?;
    let failed: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (request_id(item, i), task_errors(account, item)))
        .filter(|(_, errors)| !errors.is_empty())
        .collect();
    if !failed.is_empty() {
        return Err(Problem::validation(failed));
    }
    let mut answer = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = account.next_id();
        let (now, user) = (account.now(), account.current_user());
        let links = account.links(&format!("/api/v4/tasks/{id}"));
        account.tasks.push(json!({
            "id": id, "created_by": user, "updated_by": user, "created_at": now, "updated_at": now,
            "responsible_user_id": item.get("responsible_user_id").filter(|v| !v.is_null()).cloned().unwrap_or(json!(user)),
            "group_id": 0, "entity_id": item.get("entity_id").cloned().unwrap_or(Value::Null),
            "entity_type": item.get("entity_type").cloned().unwrap_or(Value::Null),
            "duration": item.get("duration").cloned().unwrap_or(json!(0)), "is_completed": false,
            "task_type_id": item.get("task_type_id").filter(|v| !v.is_null()).cloned().unwrap_or(json!(1)),
            "text": item["text"], "result": [], "complete_till": item["complete_till"],
            "account_id": ACCOUNT_ID, "_links": links,
        }));
        answer.push(json!({"id": id, "request_id": request_id(item, i), "_links": links}));
    }
    Ok(hal(
        StatusCode::OK,
        json!({"_links": account.links("/api/v4/tasks"), "_embedded": {"tasks": answer}}),
    ))
}

fn note_errors(item: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let kind = item["note_type"].as_str().unwrap_or_default();
    if !NOTE_TYPES.contains(&kind) {
        errors.push(FieldError::choice("note_type"));
        return errors;
    }
    let params = &item["params"];
    let text = |name: &str| params[name].as_str().is_some_and(|t| !t.trim().is_empty());
    match kind {
        "common" if !text("text") => errors.push(FieldError::blank("params.text")),
        "call_in" | "call_out" => {
            for name in ["uniq", "source", "phone"] {
                if !text(name) {
                    errors.push(FieldError::blank(format!("params.{name}")));
                }
            }
            if !params["duration"].is_i64() {
                errors.push(FieldError::invalid_type("params.duration", "int"));
            }
        }
        _ => {}
    }
    errors
}

/// `POST /api/v4/{entity}/{id}/notes`.
pub fn create_notes(
    account: &mut Account,
    entity: &'static str,
    entity_id: i64,
    body: &Bytes,
) -> Result<Response, Problem> {
    let items = array(body)?;
    let exists = account.find(entity, entity_id).is_some();
    let failed: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut errors = note_errors(item);
            if !exists {
                errors.insert(0, FieldError::choice("entity_id"));
            }
            (request_id(item, i), errors)
        })
        .filter(|(_, errors)| !errors.is_empty())
        .collect();
    if !failed.is_empty() {
        return Err(Problem::validation(failed));
    }
    let mut answer = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = account.next_id();
        let (now, user) = (account.now(), account.current_user());
        let links = account.links(&format!("/api/v4/{entity}/{entity_id}/notes/{id}"));
        account.notes.push(json!({
            "id": id, "entity_id": entity_id, "entity_type": entity, "created_by": user, "updated_by": user,
            "created_at": now, "updated_at": now, "responsible_user_id": user, "group_id": 0,
            "note_type": item["note_type"], "params": item["params"], "account_id": ACCOUNT_ID, "_links": links,
        }));
        answer.push(json!({"id": id, "entity_id": entity_id, "request_id": request_id(item, i), "_links": links}));
    }
    Ok(hal(
        StatusCode::OK,
        json!({"_links": account.links(&format!("/api/v4/{entity}/{entity_id}/notes")), "_embedded": {"notes": answer}}),
    ))
}
