//! External ids: a value that identifies a record in another system (the Google Analytics
//! client id of a contact, a tracking system's request id on the lead it created), kept in
//! a custom field the bundle names (`external_id_field`: an id, a code or a name).
//!
//! Writes put the value into that field like any other custom field. Lookups send amoCRM's
//! `query` search for the value and keep only the records whose named field holds it
//! exactly (ignoring case and surrounding spaces), because `query` matches any field by
//! substring: a client id `555.17` must not find a contact whose note mentions `1555.170`.

use serde_json::{Map, Value};

use super::super::fields::{FieldKey, field_key};
use super::super::inputs::{EntityType, Inputs};
use super::Amo;
use crate::error::ConnectorError;

/// Pages of search results read at most (250 each), as for phone and e-mail lookups.
const MAX_SEARCH_PAGES: usize = 4;

/// The input naming the value.
pub const VALUE_INPUT: &str = "external_id";
/// The input naming the field that holds it.
pub const FIELD_INPUT: &str = "external_id_field";

/// An external id and the field it lives in.
#[derive(Debug, Clone)]
pub struct ExternalId {
    /// The field as the bundle wrote it (id, code or name), for writing.
    pub field: String,
    key: FieldKey,
    /// The value.
    pub value: String,
}

impl ExternalId {
    /// `external_id` with its `external_id_field`. `None` when `external_id` is absent or
    /// blank; a configuration error when the value has no field to live in.
    pub fn from_inputs(inputs: &Inputs<'_>) -> Result<Option<ExternalId>, ConnectorError> {
        let Some(value) = inputs.text(VALUE_INPUT)? else {
            return Ok(None);
        };
        let field = inputs.text(FIELD_INPUT)?.ok_or_else(|| {
            inputs.bad(
                FIELD_INPUT,
                "is required with `external_id`: name the custom field (id, code or name) that holds it",
            )
        })?;
        Ok(Some(ExternalId::new(field, value)))
    }

    /// An external id `value` in `field`.
    pub fn new(field: String, value: String) -> ExternalId {
        ExternalId {
            key: field_key(&field),
            field,
            value,
        }
    }

    /// Whether `record`'s field holds this value.
    pub fn held_by(&self, record: &Value) -> bool {
        let wanted = self.value.trim().to_lowercase();
        let Some(Value::Array(fields)) = record.get("custom_fields_values") else {
            return false;
        };
        fields
            .iter()
            .filter(|entry| self.key.is_entry(entry))
            .flat_map(|entry| {
                entry
                    .get("values")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .any(|v| match v.get("value") {
                Some(Value::String(s)) => s.trim().to_lowercase() == wanted,
                Some(Value::Number(n)) => n.to_string() == wanted,
                _ => false,
            })
    }
}

/// The step's `custom_fields` with the external id added under its field: what a create or
/// update writes. `None` when there is neither.
pub fn custom_fields(inputs: &Inputs<'_>) -> Result<Option<Map<String, Value>>, ConnectorError> {
    let given = inputs.object("custom_fields")?;
    let external = ExternalId::from_inputs(inputs)?;
    if given.is_none() && external.is_none() {
        return Ok(None);
    }
    let mut fields = given.cloned().unwrap_or_default();
    if let Some(external) = external {
        fields.insert(external.field, Value::String(external.value));
    }
    Ok(Some(fields))
}

/// The records of `entity` that hold `id`, as listed with `with` (`leads` for contacts,
/// `contacts` for leads).
pub async fn search(
    amo: &Amo,
    entity: EntityType,
    id: &ExternalId,
    with: &str,
) -> Result<Vec<Value>, ConnectorError> {
    let value = id.value.trim();
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let params = vec![
        ("query".to_string(), value.to_string()),
        ("with".to_string(), with.to_string()),
    ];
    let name = entity.as_str();
    let hits = amo
        .client
        .list(&format!("/{name}"), &params, name, MAX_SEARCH_PAGES)
        .await?;
    Ok(hits.into_iter().filter(|r| id.held_by(r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(field: Value) -> Value {
        json!({"custom_fields_values": [field]})
    }

    #[test]
    fn only_the_named_field_holding_the_whole_value_matches() {
        let id = ExternalId::new("Client ID".into(), "555.1715671000".into());
        let entry = |name: &str, value: &str| {
            record(json!({"field_id": 9, "field_name": name, "values": [{"value": value}]}))
        };
        assert!(id.held_by(&entry("client id", " 555.1715671000 ")));
        assert!(!id.held_by(&entry("Client ID", "1555.1715671000")));
        assert!(!id.held_by(&entry("Comment", "555.1715671000")));
        let by_id = ExternalId::new("9".into(), "AB-1".into());
        assert!(by_id.held_by(&entry("whatever", "ab-1")));
        let numeric = ExternalId::new("9".into(), "77".into());
        assert!(numeric.held_by(&record(json!({"field_id": 9, "values": [{"value": 77}]}))));
    }

    #[test]
    fn the_value_is_written_into_its_field_beside_the_other_custom_fields() {
        let values = json!({"external_id": "r-1", "external_id_field": "Request", "custom_fields": {"city": "Moscow"}});
        let inputs = Inputs::new("create_lead", values.as_object().unwrap());
        assert_eq!(
            Value::Object(custom_fields(&inputs).unwrap().unwrap()),
            json!({"city": "Moscow", "Request": "r-1"})
        );
        let missing = json!({"external_id": "r-1"});
        let inputs = Inputs::new("create_lead", missing.as_object().unwrap());
        let error = custom_fields(&inputs).unwrap_err().to_string();
        assert!(error.contains("external_id_field"), "{error}");
        let none = json!({"external_id": " ", "external_id_field": "Request"});
        let inputs = Inputs::new("create_lead", none.as_object().unwrap());
        assert!(custom_fields(&inputs).unwrap().is_none());
    }
}
