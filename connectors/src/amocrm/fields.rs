//! Custom fields: the per-connection catalog of each entity type's fields (read from
//! `GET /api/v4/{entity}/custom_fields`, cached), `ensure_custom_field` (find by name or
//! create once), and turning a step's `custom_fields` object into amoCRM's
//! `custom_fields_values` array.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use super::client::{AmoClient, created_id};
use super::inputs::{EntityType, Inputs};
use crate::error::ConnectorError;

/// Fields per page: custom-field lists are served in smaller pages than entities.
pub const FIELDS_PAGE_SIZE: usize = 50;
/// Pages of fields read at most.
const MAX_FIELD_PAGES: usize = 40;

/// Field types `ensure_custom_field` may create (the ones that take a plain value).
pub const CREATABLE_TYPES: &[&str] = &["text", "numeric", "textarea", "url", "date", "checkbox"];

/// One custom field as the catalog knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// Field id.
    pub id: i64,
    /// Field name as shown in amoCRM.
    pub name: String,
    /// Field code, when it has one (`PHONE`, `EMAIL`, ...).
    pub code: Option<String>,
}

impl FieldInfo {
    fn from_api(field: &Value) -> Option<FieldInfo> {
        Some(FieldInfo {
            id: field.get("id")?.as_i64()?,
            name: field.get("name")?.as_str()?.to_string(),
            code: field
                .get("code")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        })
    }
}

/// The fields of each entity type, read once per connection and re-read when a name is
/// not found (a field added in amoCRM today is still found). One lock serializes
/// lookups and creations, so concurrent steps never create the same field twice.
#[derive(Default)]
pub struct FieldCatalog {
    known: Mutex<HashMap<EntityType, Vec<FieldInfo>>>,
}

fn find_name<'a>(fields: &'a [FieldInfo], name: &str) -> Option<&'a FieldInfo> {
    let wanted = name.trim().to_lowercase();
    fields.iter().find(|f| f.name == name.trim()).or_else(|| {
        fields
            .iter()
            .find(|f| f.name.trim().to_lowercase() == wanted)
    })
}

async fn fetch(client: &AmoClient, entity: EntityType) -> Result<Vec<FieldInfo>, ConnectorError> {
    let path = format!("/{}/custom_fields", entity.as_str());
    let query = [("limit".to_string(), FIELDS_PAGE_SIZE.to_string())];
    let fields = client
        .list(&path, &query, "custom_fields", MAX_FIELD_PAGES)
        .await?;
    Ok(fields.iter().filter_map(FieldInfo::from_api).collect())
}

/// How a `custom_fields` key (or an `external_id_field`) addresses a field: digits are an
/// id, UPPER_CASE is a code, anything else is the field's name.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKey {
    /// The field's id.
    Id(i64),
    /// The field's code (`UTM_SOURCE`).
    Code(String),
    /// The field's name as shown in amoCRM.
    Name(String),
}

impl FieldKey {
    /// Whether an entry of a record's `custom_fields_values` is this field. Records carry
    /// `field_id`, `field_code` and `field_name`, so no catalog lookup is needed; names
    /// compare ignoring case and surrounding spaces.
    pub fn is_entry(&self, entry: &Value) -> bool {
        match self {
            FieldKey::Id(id) => entry.get("field_id").and_then(Value::as_i64) == Some(*id),
            FieldKey::Code(code) => {
                entry.get("field_code").and_then(Value::as_str) == Some(code.as_str())
            }
            FieldKey::Name(name) => entry
                .get("field_name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.trim().to_lowercase() == name.trim().to_lowercase()),
        }
    }
}

/// How `key` addresses a field.
pub fn field_key(key: &str) -> FieldKey {
    let key = key.trim();
    if !key.is_empty()
        && key.chars().all(|c| c.is_ascii_digit())
        && let Ok(id) = key.parse()
    {
        return FieldKey::Id(id);
    }
    let is_code = key.starts_with(|c: char| c.is_ascii_uppercase())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if is_code {
        FieldKey::Code(key.to_string())
    } else {
        FieldKey::Name(key.to_string())
    }
}

/// A value entry of `values:[...]`: objects pass as they are (`{"enum_id":..}`), scalars
/// become `{"value": v}`.
fn value_entry(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::Object(_) => Some(value.clone()),
        Value::String(s) => Some(json!({"value": s.trim()})),
        other => Some(json!({"value": other})),
    }
}

impl FieldCatalog {
    /// The field named `name` (exact, then ignoring case), re-reading the list once when
    /// the cached one does not have it. The caller holds the catalog lock.
    async fn lookup(
        &self,
        known: &mut HashMap<EntityType, Vec<FieldInfo>>,
        client: &AmoClient,
        entity: EntityType,
        name: &str,
    ) -> Result<Option<FieldInfo>, ConnectorError> {
        if let Some(found) = known.get(&entity).and_then(|f| find_name(f, name)) {
            return Ok(Some(found.clone()));
        }
        let fresh = fetch(client, entity).await?;
        let found = find_name(&fresh, name).cloned();
        known.insert(entity, fresh);
        Ok(found)
    }

    /// The id of the field named `name`, creating it (`POST /api/v4/{entity}/custom_fields`)
    /// when the account has none; `true` when this call created it.
    pub async fn ensure(
        &self,
        client: &AmoClient,
        entity: EntityType,
        name: &str,
        field_type: &str,
        code: Option<&str>,
    ) -> Result<(i64, bool), ConnectorError> {
        let mut known = self.known.lock().await;
        if let Some(found) = self.lookup(&mut known, client, entity, name).await? {
            return Ok((found.id, false));
        }
        let mut field = json!({"name": name.trim(), "type": field_type});
        if let Some(code) = code {
            field["code"] = json!(code);
        }
        let path = format!("/{}/custom_fields", entity.as_str());
        let reply = client.post(&path, &json!([field])).await?;
        let id = created_id(&reply, "custom_fields")?;
        known.entry(entity).or_default().push(FieldInfo {
            id,
            name: name.trim().to_string(),
            code: code.map(str::to_string),
        });
        Ok((id, true))
    }

    /// `custom_fields_values` entries for a step's `custom_fields` object. Keys of digits
    /// are field ids, UPPER_CASE keys are field codes, anything else is a field name looked
    /// up in the catalog (an unknown name is a rejected error listing the names that
    /// exist; nothing is sent). Null and blank values are left out, so a missing source
    /// value never wipes a field.
    pub async fn values(
        &self,
        client: &AmoClient,
        entity: EntityType,
        inputs: &Inputs<'_>,
        fields: &Map<String, Value>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut out = Vec::new();
        for (key, value) in fields {
            let values: Vec<Value> = match value {
                Value::Array(items) => items.iter().filter_map(value_entry).collect(),
                other => value_entry(other).into_iter().collect(),
            };
            if values.is_empty() {
                continue;
            }
            let mut entry = match field_key(key) {
                FieldKey::Id(id) => json!({"field_id": id}),
                FieldKey::Code(code) => json!({"field_code": code}),
                FieldKey::Name(name) => {
                    let mut known = self.known.lock().await;
                    match self.lookup(&mut known, client, entity, &name).await? {
                        Some(field) => json!({"field_id": field.id}),
                        None => {
                            let names: Vec<String> = known
                                .get(&entity)
                                .map(|f| f.iter().map(|f| format!("`{}`", f.name)).collect())
                                .unwrap_or_default();
                            return Err(ConnectorError::Rejected {
                                status: 0,
                                body: format!(
                                    "amocrm.{}: input `custom_fields`: amoCRM has no {} field named `{name}` (fields: {}); create it with ensure_custom_field or use its id",
                                    inputs.action(),
                                    entity.as_str(),
                                    if names.is_empty() {
                                        "none".to_string()
                                    } else {
                                        names.join(", ")
                                    }
                                ),
                            });
                        }
                    }
                }
            };
            entry["values"] = Value::Array(values);
            out.push(entry);
        }
        Ok(out)
    }
}

/// A `custom_fields` output object from an entity's `custom_fields_values`: field name (or
/// id when nameless) → the value, or a list when the field holds several.
pub fn values_by_name(entity: &Value) -> Value {
    let mut out = Map::new();
    if let Some(Value::Array(fields)) = entity.get("custom_fields_values") {
        for field in fields {
            let key = field
                .get("field_name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| field.get("field_id").map(|id| id.to_string()));
            let Some(key) = key else { continue };
            out.insert(key, entry_value(field));
        }
    }
    Value::Object(out)
}

/// A `custom_fields_by_id` output object: field id (as text) → the value, or a list when
/// the field holds several. Field names may hold spaces, which paths cannot; ids never do.
pub fn values_by_id(entity: &Value) -> Value {
    let mut out = Map::new();
    if let Some(Value::Array(fields)) = entity.get("custom_fields_values") {
        for field in fields {
            let Some(id) = field.get("field_id").and_then(Value::as_i64) else {
                continue;
            };
            out.insert(id.to_string(), entry_value(field));
        }
    }
    Value::Object(out)
}

/// The value of one `custom_fields_values` entry: null, the one value, or a list.
fn entry_value(field: &Value) -> Value {
    let values: Vec<Value> = field
        .get("values")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(|v| v.get("value").cloned()).collect())
        .unwrap_or_default();
    match values.len() {
        0 => Value::Null,
        1 => values.into_iter().next().unwrap_or_default(),
        _ => Value::Array(values),
    }
}

/// Every value object (`{"value", "enum_code", ...}`) of the field with `code` (`PHONE`,
/// `EMAIL`), as the entity holds them.
pub fn value_objects_of_code(entity: &Value, code: &str) -> Vec<Value> {
    let Some(Value::Array(fields)) = entity.get("custom_fields_values") else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|f| f.get("field_code").and_then(Value::as_str) == Some(code))
        .flat_map(|f| {
            f.get("values")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// Every value of the field with `code` (`PHONE`, `EMAIL`) as text.
pub fn values_of_code(entity: &Value, code: &str) -> Vec<String> {
    value_objects_of_code(entity, code)
        .iter()
        .filter_map(|v| match v.get("value") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_ids_codes_or_names() {
        assert_eq!(field_key("512"), FieldKey::Id(512));
        assert_eq!(field_key("UTM_SOURCE"), FieldKey::Code("UTM_SOURCE".into()));
        assert_eq!(field_key("utm_source"), FieldKey::Name("utm_source".into()));
        assert_eq!(field_key("Источник"), FieldKey::Name("Источник".into()));
    }

    #[test]
    fn values_skip_blanks_and_keep_objects() {
        assert_eq!(value_entry(&json!(" x ")), Some(json!({"value": "x"})));
        assert_eq!(value_entry(&json!(5)), Some(json!({"value": 5})));
        assert_eq!(value_entry(&json!("")), None);
        assert_eq!(
            value_entry(&json!({"enum_id": 3})),
            Some(json!({"enum_id": 3}))
        );
    }

    #[test]
    fn outputs_read_values_by_name_and_code() {
        let entity = json!({"custom_fields_values": [
            {"field_id": 1, "field_name": "Телефон", "field_code": "PHONE", "values": [{"value": "+7 999"}, {"value": "8 916"}]},
            {"field_id": 2, "field_name": "GA client id", "field_code": null, "values": [{"value": "GA1.2"}]},
        ]});
        assert_eq!(
            values_by_name(&entity),
            json!({"Телефон": ["+7 999", "8 916"], "GA client id": "GA1.2"})
        );
        assert_eq!(values_of_code(&entity, "PHONE"), vec!["+7 999", "8 916"]);
        assert_eq!(
            values_by_name(&json!({"custom_fields_values": null})),
            json!({})
        );
        assert_eq!(
            values_by_id(&entity),
            json!({"1": ["+7 999", "8 916"], "2": "GA1.2"})
        );
    }

    #[test]
    fn keys_match_record_entries_by_id_code_or_name() {
        let entry = json!({"field_id": 2, "field_name": "GA client id", "field_code": "GA_CID"});
        assert!(field_key("2").is_entry(&entry));
        assert!(field_key("GA_CID").is_entry(&entry));
        assert!(field_key(" ga client ID ").is_entry(&entry));
        assert!(!field_key("3").is_entry(&entry));
        assert!(!field_key("Client id").is_entry(&entry));
    }
}
