//! sObject writes as Salesforce validates them: unknown fields (`INVALID_FIELD`),
//! read-only ones (`INVALID_FIELD_FOR_INSERT_UPDATE`), values of the wrong type
//! (`JSON_PARSER_ERROR`, `MALFORMED_ID`, `INVALID_EMAIL_ADDRESS`), restricted picklists
//! (`INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`), lookups to records that do not exist
//! (`INVALID_CROSS_REFERENCE_KEY`), missing required fields (`REQUIRED_FIELD_MISSING`)
//! and converted leads (`CANNOT_UPDATE_CONVERTED_LEAD`). Create, update and upsert by an
//! external-id field share these checks.

use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::schema::{FieldType, ObjectSchema, creatable};
use super::store::Org;

/// The outcome of an upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    /// A new record (201).
    Created(String),
    /// An existing record was changed (200).
    Updated(String),
    /// The value matched several records (300): their ids.
    Ambiguous(Vec<String>),
}

fn schema_for(org: &Org, object: &str) -> Result<ObjectSchema, ApiError> {
    org.schema(object).ok_or_else(ApiError::not_found)
}

/// Check a body against the schema; answers it with canonical field names.
fn checked(
    org: &Org,
    schema: &ObjectSchema,
    body: &Value,
    creating: bool,
) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(given) = body else {
        return Err(ApiError::new(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of sObject from a value that is not a JSON object",
        ));
    };
    let mut out = Map::new();
    let mut read_only = Vec::new();
    for (key, value) in given {
        if key == "attributes" {
            continue;
        }
        let field = schema.field(key).ok_or_else(|| {
            ApiError::new(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", schema.name),
            )
        })?;
        if !(if creating { field.create } else { field.update }) {
            read_only.push(field.name.clone());
            continue;
        }
        let value = check_value(org, &field.name, field.ty, value)?;
        out.insert(field.name.clone(), value);
    }
    if !read_only.is_empty() {
        let names: Vec<&str> = read_only.iter().map(String::as_str).collect();
        return Err(ApiError::new(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                names.join(", ")
            ),
        )
        .on_fields(&names));
    }
    Ok(out)
}

fn blank(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty())
}

fn check_value(org: &Org, name: &str, ty: FieldType, value: &Value) -> Result<Value, ApiError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let parse_error = || {
        ApiError::new(
            "JSON_PARSER_ERROR",
            format!(
                "Cannot deserialize instance of {} from {value} value or request may be missing a required field",
                type_label(ty)
            ),
        )
    };
    match ty {
        FieldType::Id => Err(parse_error()),
        FieldType::Text | FieldType::Phone => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(json!(n.to_string())),
            _ => Err(parse_error()),
        },
        FieldType::Email => match value.as_str() {
            Some("") => Ok(value.clone()),
            Some(s) if s.contains('@') && !s.contains(' ') => Ok(value.clone()),
            _ => Err(ApiError::new(
                "INVALID_EMAIL_ADDRESS",
                format!(
                    "Email: invalid email address: {}",
                    value.as_str().unwrap_or_default()
                ),
            )
            .on_fields(&[name])),
        },
        FieldType::Bool => value.as_bool().map(Value::Bool).ok_or_else(parse_error),
        FieldType::Date => match value.as_str() {
            Some(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                Ok(value.clone())
            }
            _ => Err(parse_error()),
        },
        FieldType::DateTime => match value.as_str() {
            Some(s) if super::soql::eval::parse_time(s).is_some() => Ok(value.clone()),
            _ => Err(parse_error()),
        },
        FieldType::Number | FieldType::Int => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or_else(parse_error)?;
            if ty == FieldType::Int {
                if number.fract() != 0.0 {
                    return Err(parse_error());
                }
                Ok(json!(number as i64))
            } else {
                Ok(json!(number))
            }
        }
        FieldType::Picklist(allowed) => {
            let text = value.as_str().ok_or_else(parse_error)?;
            let ok = if allowed.is_empty() {
                org.config.stages.iter().any(|s| s.name == text)
            } else {
                allowed.contains(&text)
            };
            if ok || text.is_empty() {
                Ok(value.clone())
            } else {
                Err(ApiError::new(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!("{name}: bad value for restricted picklist field: {text}"),
                )
                .on_fields(&[name]))
            }
        }
        FieldType::Ref(targets) => {
            let id = value.as_str().unwrap_or_default();
            if !(matches!(id.len(), 15 | 18) && id.chars().all(|c| c.is_ascii_alphanumeric())) {
                return Err(ApiError::new(
                    "MALFORMED_ID",
                    format!(
                        "{name}: id value of incorrect type: {}",
                        value.as_str().map_or(value.to_string(), str::to_string)
                    ),
                )
                .on_fields(&[name]));
            }
            match org.find(id) {
                Some((object, row)) if targets.contains(&object) => Ok(row["Id"].clone()),
                _ => Err(ApiError::new(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                )
                .on_fields(&[name])),
            }
        }
    }
}

fn type_label(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Bool => "boolean",
        FieldType::Date => "date",
        FieldType::DateTime => "datetime",
        FieldType::Number => "double",
        FieldType::Int => "int",
        FieldType::Id | FieldType::Ref(_) => "reference",
        _ => "string",
    }
}

fn missing_required(schema: &ObjectSchema, row: &Map<String, Value>) -> Result<(), ApiError> {
    let missing: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.required && row.get(&f.name).is_none_or(blank))
        .map(|f| f.name.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
        )
        .on_fields(&missing))
    }
}

/// Platform defaults for a new record.
fn defaults(org: &Org, object: &str, row: &mut Map<String, Value>) {
    let mut default = |field: &str, value: Value| {
        if row.get(field).is_none_or(Value::is_null) {
            row.insert(field.into(), value);
        }
    };
    if object != "OpportunityContactRole"
        && let Some((id, _)) = org.config.users.first()
    {
        default("OwnerId", json!(id));
    }
    match object {
        "Lead" => {
            default("Status", json!("Open - Not Contacted"));
            default("IsConverted", json!(false));
        }
        "Task" => {
            default("Status", json!("Not Started"));
            default("Priority", json!("Normal"));
            default("TaskSubtype", json!("Task"));
        }
        "OpportunityContactRole" => default("IsPrimary", json!(false)),
        _ => {}
    }
}

/// `POST /sobjects/<object>/`.
pub fn create(org: &mut Org, object: &str, body: &Value) -> Result<String, ApiError> {
    let schema = schema_for(org, object)?;
    if !creatable(schema.name) {
        return Err(ApiError::new(
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be inserted: {}", schema.name),
        ));
    }
    let mut row = checked(org, &schema, body, true)?;
    missing_required(&schema, &row)?;
    defaults(org, schema.name, &mut row);
    Ok(org.insert(schema.name, Value::Object(row)))
}

/// `PATCH /sobjects/<object>/<id>`.
pub fn update(org: &mut Org, object: &str, id: &str, body: &Value) -> Result<(), ApiError> {
    let schema = schema_for(org, object)?;
    let changes = checked(org, &schema, body, false)?;
    let Some(row) = org.find_mut(schema.name, id) else {
        return Err(ApiError::not_found());
    };
    if schema.name == "Lead" && row.get("IsConverted") == Some(&Value::Bool(true)) {
        return Err(ApiError::new(
            "CANNOT_UPDATE_CONVERTED_LEAD",
            "cannot reference converted lead",
        ));
    }
    let mut merged = row.clone();
    merged.extend(changes);
    missing_required(&schema, &merged)?;
    *row = merged;
    let id = row["Id"].as_str().unwrap_or_default().to_string();
    org.touch(schema.name, &id);
    Ok(())
}

/// `PATCH /sobjects/<object>/<field>/<value>`: the field must be flagged External ID.
pub fn upsert(
    org: &mut Org,
    object: &str,
    field: &str,
    value: &str,
    body: &Value,
) -> Result<Upserted, ApiError> {
    let schema = schema_for(org, object)?;
    let Some(key) = schema.field(field).filter(|f| f.external_id) else {
        return Err(ApiError::new(
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {field}"),
        )
        .with_status(404));
    };
    let key = key.name.clone();
    if body
        .as_object()
        .is_some_and(|b| b.keys().any(|k| k.eq_ignore_ascii_case(&key)))
    {
        return Err(ApiError::new(
            "INVALID_FIELD",
            format!("The external ID field {key} is given in the URL and must not be in the body"),
        ));
    }
    let matches: Vec<String> = org
        .rows(schema.name)
        .iter()
        .filter(|r| {
            r.get(&key)
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
        .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_string))
        .collect();
    match matches.as_slice() {
        [] => {
            let mut with_key = body.clone();
            if let Value::Object(map) = &mut with_key {
                map.insert(key, json!(value));
            }
            create(org, schema.name, &with_key).map(Upserted::Created)
        }
        [one] => {
            let id = one.clone();
            update(org, schema.name, &id, body)?;
            Ok(Upserted::Updated(id))
        }
        several => Ok(Upserted::Ambiguous(several.to_vec())),
    }
}
