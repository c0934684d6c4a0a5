//! Applying a create or update body to a stored record the way amoCRM checks it: field
//! types, users, pipelines and statuses, custom fields (unknown ids or codes, multitext
//! enum codes, numeric values), tags and links to existing records. A body with any
//! error changes nothing and answers every error at once.

use serde_json::{Map, Value, json};

use super::problem::FieldError;
use super::state::Account;

/// A custom field entry after checking: the field and its normalized values (`None`
/// clears the field).
struct FieldValues {
    field: Value,
    values: Option<Vec<Value>>,
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check_value(field: &Value, value: &Value, path: &str) -> Result<Value, FieldError> {
    let kind = field["type"].as_str().unwrap_or("text");
    let enums = field["enums"].as_array().cloned().unwrap_or_default();
    let Some(object) = value.as_object() else {
        return Err(FieldError::invalid_type(path, "object"));
    };
    let raw = object.get("value").cloned().unwrap_or(Value::Null);
    match kind {
        "multitext" => {
            let Some(text) = raw.as_str().filter(|t| !t.trim().is_empty()) else {
                return Err(FieldError::blank(format!("{path}.value")));
            };
            let by_code = object.get("enum_code").and_then(Value::as_str);
            let by_id = object.get("enum_id").and_then(as_int);
            let chosen = match (by_id, by_code) {
                (Some(id), _) => enums.iter().find(|e| e["id"] == id),
                (None, Some(code)) => enums.iter().find(|e| e["value"] == code),
                (None, None) => enums.first(),
            };
            let Some(chosen) = chosen else {
                let which = if by_id.is_some() {
                    "enum_id"
                } else {
                    "enum_code"
                };
                return Err(FieldError::choice(format!("{path}.{which}")));
            };
            Ok(json!({"value": text, "enum_id": chosen["id"], "enum_code": chosen["value"]}))
        }
        "numeric" => {
            let number = match &raw {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) if s.trim().replace(',', ".").parse::<f64>().is_ok() => {
                    Some(s.trim().replace(',', "."))
                }
                _ => None,
            };
            number
                .map(|n| json!({"value": n}))
                .ok_or_else(|| FieldError::invalid_type(format!("{path}.value"), "numeric"))
        }
        "checkbox" => raw
            .as_bool()
            .map(|b| json!({"value": b}))
            .ok_or_else(|| FieldError::invalid_type(format!("{path}.value"), "bool")),
        "date" | "date_time" | "birthday" => as_int(&raw)
            .map(|t| json!({"value": t}))
            .ok_or_else(|| FieldError::invalid_type(format!("{path}.value"), "timestamp")),
        "select" | "radiobutton" | "multiselect" => {
            let chosen = match object.get("enum_id").and_then(as_int) {
                Some(id) => enums.iter().find(|e| e["id"] == id),
                None => enums.iter().find(|e| e["value"] == raw),
            };
            chosen
                .map(|e| json!({"value": e["value"], "enum_id": e["id"]}))
                .ok_or_else(|| FieldError::choice(format!("{path}.enum_id")))
        }
        _ => match raw {
            Value::String(s) if !s.is_empty() => Ok(json!({"value": s})),
            Value::Number(n) => Ok(json!({"value": n.to_string()})),
            Value::Bool(b) => Ok(json!({"value": b.to_string()})),
            _ => Err(FieldError::invalid_type(format!("{path}.value"), "string")),
        },
    }
}

fn check_custom_fields(
    account: &Account,
    entity: &str,
    entries: &Value,
    errors: &mut Vec<FieldError>,
) -> Vec<FieldValues> {
    let Some(entries) = entries.as_array() else {
        errors.push(FieldError::invalid_type("custom_fields_values", "array"));
        return Vec::new();
    };
    let known = account.fields.get(entity).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("custom_fields_values.{i}");
        let field = match (entry.get("field_id"), entry.get("field_code")) {
            (Some(id), _) if !id.is_null() => match as_int(id) {
                Some(id) => known.iter().find(|f| f["id"] == id),
                None => {
                    errors.push(FieldError::invalid_type(format!("{path}.field_id"), "int"));
                    continue;
                }
            },
            (_, Some(Value::String(code))) => known.iter().find(|f| f["code"] == code.as_str()),
            _ => {
                errors.push(FieldError::blank(format!("{path}.field_id")));
                continue;
            }
        };
        let Some(field) = field else {
            let key = if entry.get("field_id").is_some_and(|v| !v.is_null()) {
                "field_id"
            } else {
                "field_code"
            };
            errors.push(FieldError::choice(format!("{path}.{key}")));
            continue;
        };
        let values = match entry.get("values") {
            None | Some(Value::Null) => None,
            Some(Value::Array(values)) if !values.is_empty() => {
                let mut checked = Vec::new();
                for (j, value) in values.iter().enumerate() {
                    match check_value(field, value, &format!("{path}.values.{j}")) {
                        Ok(v) => checked.push(v),
                        Err(e) => errors.push(e),
                    }
                }
                Some(checked)
            }
            Some(_) => {
                errors.push(FieldError::blank(format!("{path}.values")));
                continue;
            }
        };
        out.push(FieldValues {
            field: field.clone(),
            values,
        });
    }
    out
}

fn check_links(
    account: &Account,
    list: &Value,
    target: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<i64> {
    let Some(items) = list.as_array() else {
        errors.push(FieldError::invalid_type(path, "array"));
        return Vec::new();
    };
    let mut ids = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.get("id").and_then(as_int) {
            Some(id) if account.find(target, id).is_some() => ids.push(id),
            _ => errors.push(FieldError::choice(format!("{path}.{i}.id"))),
        }
    }
    ids
}

/// Apply `body` to `record` (a new record's skeleton when creating). On any error the
/// record and the account are unchanged.
pub fn apply(
    account: &mut Account,
    entity: &'static str,
    record: &mut Value,
    body: &Value,
    creating: bool,
) -> Result<(), Vec<FieldError>> {
    let Some(body) = body.as_object() else {
        return Err(vec![FieldError::invalid_type("", "object")]);
    };
    let mut errors = Vec::new();
    let mut set = Map::new();
    let names: &[&str] = if entity == "contacts" {
        &["name", "first_name", "last_name"]
    } else {
        &["name"]
    };
    for name in names {
        match body.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                set.insert((*name).into(), json!(s));
            }
            Some(_) => errors.push(FieldError::invalid_type(*name, "string")),
        }
    }
    if let Some(user) = body.get("responsible_user_id").filter(|v| !v.is_null()) {
        match as_int(user).filter(|u| account.has_user(*u)) {
            Some(u) => {
                set.insert("responsible_user_id".into(), json!(u));
            }
            None => errors.push(FieldError::choice("responsible_user_id")),
        }
    }
    if entity == "leads" {
        if let Some(price) = body.get("price").filter(|v| !v.is_null()) {
            match price.as_i64().filter(|p| *p >= 0) {
                Some(p) => {
                    set.insert("price".into(), json!(p));
                }
                None => errors.push(FieldError::invalid_type("price", "int")),
            }
        }
        let given_pipeline = body.get("pipeline_id").filter(|v| !v.is_null());
        let pipeline = match given_pipeline {
            Some(p) => as_int(p),
            None => record["pipeline_id"]
                .as_i64()
                .or(Some(account.main_pipeline())),
        };
        match pipeline.and_then(|p| account.statuses(p).map(|s| (p, s))) {
            None => errors.push(FieldError::choice("pipeline_id")),
            Some((pipeline, statuses)) => {
                let status = match body.get("status_id").filter(|v| !v.is_null()) {
                    Some(s) => as_int(s),
                    None if creating || given_pipeline.is_some() => statuses
                        .iter()
                        .find(|s| s["type"] == 0)
                        .and_then(|s| s["id"].as_i64()),
                    None => record["status_id"].as_i64(),
                };
                let valid =
                    status.filter(|s| statuses.iter().any(|st| st["id"] == *s && st["type"] == 0));
                match valid {
                    Some(status) => {
                        set.insert("pipeline_id".into(), json!(pipeline));
                        set.insert("status_id".into(), json!(status));
                    }
                    None => errors.push(FieldError::choice("status_id")),
                }
            }
        }
    }
    let custom = body
        .get("custom_fields_values")
        .filter(|v| !v.is_null())
        .map(|v| check_custom_fields(account, entity, v, &mut errors));
    let embedded = body.get("_embedded").cloned().unwrap_or(Value::Null);
    let tags = match embedded.get("tags").filter(|v| !v.is_null()) {
        None => None,
        Some(Value::Array(tags)) => {
            let mut names = Vec::new();
            for (i, tag) in tags.iter().enumerate() {
                match (
                    tag.get("name").and_then(Value::as_str),
                    tag.get("id").and_then(as_int),
                ) {
                    (Some(name), _) if !name.trim().is_empty() => {
                        names.push(name.trim().to_string())
                    }
                    (_, Some(id)) => match account
                        .tags
                        .get(entity)
                        .and_then(|t| t.iter().find(|t| t["id"] == id))
                    {
                        Some(tag) => {
                            names.push(tag["name"].as_str().unwrap_or_default().to_string())
                        }
                        None => errors.push(FieldError::choice(format!("_embedded.tags.{i}.id"))),
                    },
                    _ => errors.push(FieldError::blank(format!("_embedded.tags.{i}.name"))),
                }
            }
            Some(names)
        }
        Some(_) => {
            errors.push(FieldError::invalid_type("_embedded.tags", "array"));
            None
        }
    };
    let contacts = match embedded
        .get("contacts")
        .filter(|v| !v.is_null() && entity == "leads")
    {
        Some(list) => check_links(account, list, "contacts", "_embedded.contacts", &mut errors),
        None => Vec::new(),
    };
    let companies = match embedded
        .get("companies")
        .filter(|v| !v.is_null() && entity != "companies")
    {
        Some(list) => check_links(
            account,
            list,
            "companies",
            "_embedded.companies",
            &mut errors,
        ),
        None => Vec::new(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    commit(
        account,
        entity,
        record,
        Commit {
            set,
            custom,
            tags,
            contacts,
            companies,
        },
    );
    Ok(())
}

/// Checked changes, ready to store.
struct Commit {
    set: Map<String, Value>,
    custom: Option<Vec<FieldValues>>,
    tags: Option<Vec<String>>,
    contacts: Vec<i64>,
    companies: Vec<i64>,
}

fn commit(account: &mut Account, entity: &'static str, record: &mut Value, changes: Commit) {
    for (key, value) in changes.set {
        record[key.as_str()] = value;
    }
    if entity == "contacts"
        && (record
            .get("name")
            .is_none_or(|n| n.as_str().is_none_or(str::is_empty)))
    {
        let full = format!(
            "{} {}",
            record["first_name"].as_str().unwrap_or_default(),
            record["last_name"].as_str().unwrap_or_default()
        );
        record["name"] = json!(full.trim());
    }
    if let Some(custom) = changes.custom {
        let mut current: Vec<Value> = record["custom_fields_values"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for FieldValues { field, values } in custom {
            current.retain(|c| c["field_id"] != field["id"]);
            if let Some(values) = values {
                current.push(json!({"field_id": field["id"], "field_name": field["name"], "field_code": field["code"], "field_type": field["type"], "values": values}));
            }
        }
        record["custom_fields_values"] = if current.is_empty() {
            Value::Null
        } else {
            Value::Array(current)
        };
    }
    if let Some(names) = changes.tags {
        let tags: Vec<Value> = names.iter().map(|n| account.tag(entity, n)).collect();
        record["_embedded"]["tags"] = Value::Array(tags);
    }
    if !changes.contacts.is_empty() {
        let mut links: Vec<Value> = record
            .pointer("/_embedded/contacts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for id in changes.contacts {
            if !links.iter().any(|l| l["id"] == id) {
                let main = links.is_empty();
                links.push(json!({"id": id, "is_main": main, "_links": account.links(&format!("/api/v4/contacts/{id}"))}));
            }
        }
        record["_embedded"]["contacts"] = Value::Array(links);
    }
    if let Some(company) = changes.companies.first() {
        record["_embedded"]["companies"] = json!([{"id": company, "_links": account.links(&format!("/api/v4/companies/{company}"))}]);
    }
    record["updated_at"] = json!(account.now());
    record["updated_by"] = json!(account.current_user());
}
