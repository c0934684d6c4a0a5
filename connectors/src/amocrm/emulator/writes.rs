//! The emulator's write endpoints: create (JSON arrays, `request_id` echoed), update
//! (PATCH of one record or of an array with ids) and custom fields (tasks and notes are
//! in `activities`). Every
//! array is checked as a whole: one bad element fails the request with `validation-errors`
//! naming each bad element's `request_id`, and nothing is stored.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::problem::{FieldError, Problem};
use super::routes::hal;
use super::state::{ACCOUNT_ID, Account, LOST, WON};
use super::validate::apply;

/// Elements accepted per request.
const MAX_BATCH: usize = 250;

/// Custom field types amoCRM knows.
const FIELD_TYPES: &[&str] = &[
    "text",
    "numeric",
    "checkbox",
    "select",
    "multiselect",
    "date",
    "url",
    "textarea",
    "radiobutton",
    "streetaddress",
    "smart_address",
    "birthday",
    "legal_entity",
    "date_time",
    "price",
    "category",
    "items",
    "tracking_data",
    "linked_entity",
    "chained_list",
    "monetary",
    "file",
    "payer",
    "supplier",
    "multitext",
];

/// The body as a non-empty JSON array.
pub(super) fn array(body: &Bytes) -> Result<Vec<Value>, Problem> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Problem::new(400, "Request body is not valid JSON"))?;
    match value {
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_BATCH => Ok(items),
        Value::Array(items) if items.is_empty() => {
            Err(Problem::new(400, "Request body is an empty array"))
        }
        Value::Array(_) => Err(Problem::new(
            400,
            format!("At most {MAX_BATCH} elements per request"),
        )),
        _ => Err(Problem::new(
            400,
            "Request body must be an array of entities",
        )),
    }
}

pub(super) fn request_id(item: &Value, index: usize) -> String {
    match item.get("request_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => index.to_string(),
    }
}

/// A new record of `entity` before its body is applied.
fn skeleton(account: &mut Account, entity: &str) -> Value {
    let id = account.next_id();
    let now = account.now();
    let user = account.current_user();
    let mut record = json!({
        "id": id, "name": "", "responsible_user_id": user, "group_id": 0, "created_by": user,
        "updated_by": user, "created_at": now, "updated_at": now, "closest_task_at": null,
        "is_deleted": false, "custom_fields_values": null, "account_id": ACCOUNT_ID,
        "_links": account.links(&format!("/api/v4/{entity}/{id}")),
        "_embedded": {"tags": [], "companies": []},
    });
    match entity {
        "contacts" => {
            record["first_name"] = json!("");
            record["last_name"] = json!("");
            record["is_unsorted"] = json!(false);
        }
        "leads" => {
            for (k, v) in [
                ("price", json!(0)),
                ("loss_reason_id", Value::Null),
                ("closed_at", Value::Null),
                ("score", Value::Null),
                ("labor_cost", Value::Null),
                ("is_price_modified_by_robot", json!(false)),
            ] {
                record[k] = v;
            }
            record["_embedded"]["contacts"] = json!([]);
        }
        _ => {}
    }
    record
}

/// `closed_at` follows the status: set when a lead enters 142/143, cleared when it leaves.
fn stamp_closing(account: &Account, record: &mut Value) {
    let closed = matches!(record["status_id"].as_i64(), Some(WON | LOST));
    match (closed, record["closed_at"].is_null()) {
        (true, true) => record["closed_at"] = json!(account.now()),
        (false, false) => record["closed_at"] = Value::Null,
        _ => {}
    }
}

/// `POST /api/v4/{entity}`.
pub fn create(
    target: &mut Account,
    entity: &'static str,
    body: &Bytes,
) -> Result<Response, Problem> {
    let items = array(body)?;
    // Work on a copy: a failed batch must leave no trace (no ids, no new tags).
    let mut scratch = target.clone();
    let account = &mut scratch;
    let mut created = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut record = skeleton(account, entity);
        match apply(account, entity, &mut record, item, true) {
            Ok(()) => created.push((record, request_id(item, i))),
            Err(errors) => failed.push((request_id(item, i), errors)),
        }
    }
    if !failed.is_empty() {
        return Err(Problem::validation(failed));
    }
    let mut answer = Vec::new();
    for (mut record, request_id) in created {
        if entity == "leads" {
            if record["name"].as_str().is_none_or(str::is_empty) {
                record["name"] = json!(format!("Сделка #{}", record["id"]));
            }
            stamp_closing(account, &mut record);
        }
        let mut reply = json!({"id": record["id"], "request_id": request_id, "is_deleted": false, "_links": record["_links"]});
        if entity != "companies" {
            reply["is_unsorted"] = json!(false);
        }
        answer.push(reply);
        account.records_mut(entity).push(record);
    }
    let links = account.links(&format!("/api/v4/{entity}"));
    *target = scratch;
    Ok(hal(
        StatusCode::OK,
        json!({"_links": links, "_embedded": {entity: answer}}),
    ))
}

/// Apply a PATCH body to the record with `id`; the updated record.
fn patch_one(
    account: &mut Account,
    entity: &'static str,
    id: i64,
    body: &Value,
) -> Result<Value, Result<Vec<FieldError>, Problem>> {
    let index = account
        .records(entity)
        .iter()
        .position(|r| r["id"] == id)
        .ok_or(Err(Problem::not_found()))?;
    let mut record = account.records(entity)[index].clone();
    apply(account, entity, &mut record, body, false).map_err(Ok)?;
    if entity == "leads" {
        stamp_closing(account, &mut record);
    }
    account.records_mut(entity)[index] = record.clone();
    Ok(record)
}

/// `PATCH /api/v4/{entity}/{id}`.
pub fn update(
    account: &mut Account,
    entity: &'static str,
    id: i64,
    body: &Bytes,
) -> Result<Response, Problem> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| Problem::new(400, "Request body is not valid JSON"))?;
    match patch_one(account, entity, id, &body) {
        Ok(record) => Ok(hal(
            StatusCode::OK,
            json!({"id": id, "updated_at": record["updated_at"], "_links": record["_links"]}),
        )),
        Err(Ok(errors)) => Err(Problem::validation(vec![(request_id(&body, 0), errors)])),
        Err(Err(problem)) => Err(problem),
    }
}

/// `PATCH /api/v4/{entity}` with an array of bodies carrying their `id`. All are checked
/// before any is stored.
pub fn update_many(
    account: &mut Account,
    entity: &'static str,
    body: &Bytes,
) -> Result<Response, Problem> {
    let items = array(body)?;
    // Work on a copy: a batch with any bad element changes nothing.
    let mut scratch = account.clone();
    let mut failed = Vec::new();
    let mut answer = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(id) = item.get("id").and_then(Value::as_i64) else {
            failed.push((request_id(item, i), vec![FieldError::blank("id")]));
            continue;
        };
        match patch_one(&mut scratch, entity, id, item) {
            Ok(record) => answer.push(json!({"id": id, "updated_at": record["updated_at"], "request_id": request_id(item, i), "_links": record["_links"]})),
            Err(Ok(errors)) => failed.push((request_id(item, i), errors)),
            Err(Err(_)) => failed.push((request_id(item, i), vec![FieldError::choice("id")])),
        }
    }
    if !failed.is_empty() {
        return Err(Problem::validation(failed));
    }
    *account = scratch;
    Ok(hal(
        StatusCode::OK,
        json!({"_links": account.links(&format!("/api/v4/{entity}")), "_embedded": {entity: answer}}),
    ))
}

/// `POST /api/v4/{entity}/custom_fields`.
pub fn create_fields(
    account: &mut Account,
    entity: &'static str,
    body: &Bytes,
) -> Result<Response, Problem> {
    let items = array(body)?;
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut errors = Vec::new();
        if item["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
            errors.push(FieldError::blank("name"));
        }
        if !item["type"]
            .as_str()
            .is_some_and(|t| FIELD_TYPES.contains(&t))
        {
            errors.push(FieldError::choice("type"));
        }
        if let Some(code) = item["code"].as_str() {
            let taken = account
                .fields
                .get(entity)
                .is_some_and(|f| f.iter().any(|f| f["code"] == code));
            if taken {
                errors.push(FieldError::new(
                    "code",
                    "NotUnique",
                    "This code is already used.",
                ));
            }
        }
        if !errors.is_empty() {
            failed.push((request_id(item, i), errors));
        }
    }
    if !failed.is_empty() {
        return Err(Problem::validation(failed));
    }
    let created: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut field = account.add_field(entity, item.clone());
            field["request_id"] = json!(request_id(item, i));
            field
        })
        .collect();
    Ok(hal(
        StatusCode::OK,
        json!({"_total_items": created.len(), "_embedded": {"custom_fields": created}}),
    ))
}
