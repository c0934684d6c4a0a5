//! Action outputs built from amoCRM's entity objects: contacts, companies and leads as
//! the output records bundles read (`steps.<id>.<field>`).

use serde_json::{Map, Value};

use super::super::fields::{values_by_id, values_by_name, values_of_code};
use crate::connector::Record;

/// Lead statuses every pipeline has and that close a lead: won and lost.
pub const WON_STATUS: i64 = 142;
/// The "closed and lost" status.
pub const LOST_STATUS: i64 = 143;

fn copy(out: &mut Map<String, Value>, entity: &Value, from: &str, to: &str) {
    out.insert(to.into(), entity.get(from).cloned().unwrap_or(Value::Null));
}

fn first(values: Vec<String>) -> Value {
    values
        .into_iter()
        .next()
        .map(Value::from)
        .unwrap_or(Value::Null)
}

/// Ids of `_embedded.<key>` links.
pub fn linked_ids(entity: &Value, key: &str) -> Vec<i64> {
    entity
        .pointer(&format!("/_embedded/{key}"))
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|i| i.get("id")?.as_i64()).collect())
        .unwrap_or_default()
}

/// The output for a contact (all null when `None`), with `found`.
pub fn contact_record(contact: Option<&Value>) -> Record {
    let empty = Value::Null;
    let c = contact.unwrap_or(&empty);
    let mut out = Map::new();
    out.insert("found".into(), Value::Bool(contact.is_some()));
    copy(&mut out, c, "id", "id");
    copy(&mut out, c, "name", "name");
    copy(&mut out, c, "first_name", "first_name");
    copy(&mut out, c, "last_name", "last_name");
    out.insert("phone".into(), first(values_of_code(c, "PHONE")));
    out.insert("email".into(), first(values_of_code(c, "EMAIL")));
    copy(&mut out, c, "responsible_user_id", "responsible_user_id");
    out.insert(
        "company_id".into(),
        linked_ids(c, "companies")
            .first()
            .copied()
            .map(Value::from)
            .unwrap_or(Value::Null),
    );
    out.insert(
        "lead_ids".into(),
        Value::from(if contact.is_some() {
            linked_ids(c, "leads")
        } else {
            Vec::new()
        }),
    );
    out.insert("custom_fields".into(), values_by_name(c));
    out.insert("custom_fields_by_id".into(), values_by_id(c));
    copy(&mut out, c, "created_at", "created_at");
    copy(&mut out, c, "updated_at", "updated_at");
    out
}

/// The output for a company (all null when `None`), with `found`.
pub fn company_record(company: Option<&Value>) -> Record {
    let empty = Value::Null;
    let c = company.unwrap_or(&empty);
    let mut out = Map::new();
    out.insert("found".into(), Value::Bool(company.is_some()));
    copy(&mut out, c, "id", "id");
    copy(&mut out, c, "name", "name");
    out.insert("phone".into(), first(values_of_code(c, "PHONE")));
    out.insert("email".into(), first(values_of_code(c, "EMAIL")));
    copy(&mut out, c, "responsible_user_id", "responsible_user_id");
    out.insert("custom_fields".into(), values_by_name(c));
    out.insert("custom_fields_by_id".into(), values_by_id(c));
    copy(&mut out, c, "created_at", "created_at");
    copy(&mut out, c, "updated_at", "updated_at");
    out
}

/// The output for a found lead (all null when `None`), with `found` and the contact it
/// was found through.
pub fn lead_record(lead: Option<&Value>, contact_id: Option<i64>) -> Record {
    let empty = Value::Null;
    let l = lead.unwrap_or(&empty);
    let mut out = Map::new();
    out.insert("found".into(), Value::Bool(lead.is_some()));
    copy(&mut out, l, "id", "lead_id");
    copy(&mut out, l, "name", "name");
    copy(&mut out, l, "price", "price");
    copy(&mut out, l, "status_id", "status_id");
    copy(&mut out, l, "pipeline_id", "pipeline_id");
    out.insert(
        "closed".into(),
        match lead {
            Some(_) => Value::Bool(is_closed(l)),
            None => Value::Null,
        },
    );
    copy(&mut out, l, "responsible_user_id", "responsible_user_id");
    out.insert("custom_fields".into(), values_by_name(l));
    out.insert("custom_fields_by_id".into(), values_by_id(l));
    copy(&mut out, l, "created_at", "created_at");
    copy(&mut out, l, "updated_at", "updated_at");
    out.insert(
        "contact_id".into(),
        lead.and(contact_id).map(Value::from).unwrap_or(Value::Null),
    );
    out
}

/// Whether a lead is in one of amoCRM's fixed closing statuses.
pub fn is_closed(lead: &Value) -> bool {
    matches!(
        lead.get("status_id").and_then(Value::as_i64),
        Some(WON_STATUS | LOST_STATUS)
    )
}

/// The output of a write: `id` and, when the answer has it, `updated_at`.
pub fn write_record(id: i64, answer: Option<&Value>) -> Record {
    let mut out = Map::new();
    out.insert("id".into(), Value::from(id));
    out.insert(
        "updated_at".into(),
        answer
            .and_then(|a| a.get("updated_at"))
            .cloned()
            .unwrap_or(Value::Null),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contact_outputs_read_links_and_multitext_fields() {
        let contact = json!({
            "id": 7, "name": "Иван", "first_name": "Иван", "last_name": "", "responsible_user_id": 5,
            "custom_fields_values": [{"field_id": 1, "field_name": "Телефон", "field_code": "PHONE", "values": [{"value": "+79991234567", "enum_code": "WORK"}]}],
            "_embedded": {"companies": [{"id": 40}], "leads": [{"id": 3}, {"id": 4}], "tags": []},
        });
        let out = contact_record(Some(&contact));
        assert_eq!(out["found"], true);
        assert_eq!(out["phone"], "+79991234567");
        assert_eq!(out["email"], Value::Null);
        assert_eq!(out["company_id"], 40);
        assert_eq!(out["lead_ids"], json!([3, 4]));
        let none = contact_record(None);
        assert_eq!(
            (none["found"].clone(), none["id"].clone()),
            (json!(false), Value::Null)
        );
    }

    #[test]
    fn closed_means_won_or_lost() {
        assert!(is_closed(&json!({"status_id": 142})));
        assert!(is_closed(&json!({"status_id": 143})));
        assert!(!is_closed(&json!({"status_id": 10})));
        let out = lead_record(Some(&json!({"id": 9, "status_id": 143})), Some(7));
        assert_eq!(
            (
                out["lead_id"].clone(),
                out["closed"].clone(),
                out["contact_id"].clone()
            ),
            (json!(9), json!(true), json!(7))
        );
    }
}
