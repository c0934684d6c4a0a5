//! Duplicate search by phone or e-mail with `crm.duplicate.findbycomm`, for the
//! `find_duplicates` action and for the lookups behind `dedup:` on create actions.
//!
//! When nothing matches, Bitrix24 answers an empty array (`[]`) where a match would be an
//! object (`{"CONTACT":[..]}`); both mean "nothing found".

use serde_json::{Map, Value, json};

use super::super::client::Bitrix24Client;
use super::super::inputs::{Inputs, id_value};
use crate::connector::Record;
use crate::error::ConnectorError;

/// The communication types `crm.duplicate.findbycomm` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Communication {
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
}

impl Communication {
    fn wire(self) -> &'static str {
        match self {
            Communication::Phone => "PHONE",
            Communication::Email => "EMAIL",
        }
    }
}

/// The entity types a search can be limited to.
const ENTITY_TYPES: &[&str] = &["LEAD", "CONTACT", "COMPANY"];

/// `find_duplicates` outputs and the entity type each one reports.
const OUTPUTS: [(&str, &str); 3] = [
    ("contact_id", "CONTACT"),
    ("lead_id", "LEAD"),
    ("company_id", "COMPANY"),
];

/// Ids found per entity type (`LEAD`, `CONTACT`, `COMPANY`), in Bitrix24's order.
pub type Matches = Map<String, Value>;

/// Search records with this phone or e-mail, optionally of one entity type.
pub async fn search(
    client: &Bitrix24Client,
    kind: Communication,
    value: &str,
    entity_type: Option<&str>,
) -> Result<Matches, ConnectorError> {
    let mut params = json!({"type": kind.wire(), "values": [value]});
    if let Some(entity_type) = entity_type {
        params["entity_type"] = json!(entity_type);
    }
    let result = client.result("crm.duplicate.findbycomm", &params).await?;
    match result {
        Value::Object(map) => Ok(map),
        Value::Array(items) if items.is_empty() => Ok(Map::new()),
        Value::Null => Ok(Map::new()),
        other => Err(ConnectorError::InvalidResponse(format!(
            "crm.duplicate.findbycomm: expected an object of entity type → ids, got {other}"
        ))),
    }
}

/// The first id of `entity_type` in `matches`, as a number.
pub fn first_id(matches: &Matches, entity_type: &str) -> Value {
    match matches.get(entity_type) {
        Some(Value::Array(ids)) => ids.iter().map(id_value).find(|v| !v.is_null()),
        Some(other) => Some(id_value(other)).filter(|v| !v.is_null()),
        None => None,
    }
    .unwrap_or(Value::Null)
}

/// `find_duplicates`: phone first, then e-mail; each entity type takes the first id
/// found by either.
pub async fn find_duplicates(
    client: &Bitrix24Client,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_duplicates", input);
    let phone = inputs.text("phone")?;
    let email = inputs.text("email")?;
    if phone.is_none() && email.is_none() {
        return Err(inputs.bad("phone", "or `email` must be given (both were empty)"));
    }
    let entity_type = match inputs.text("entity_type")? {
        None => None,
        Some(t) => {
            let upper = t.to_ascii_uppercase();
            if !ENTITY_TYPES.contains(&upper.as_str()) {
                return Err(inputs.bad(
                    "entity_type",
                    &format!("must be LEAD, CONTACT or COMPANY, got `{t}`"),
                ));
            }
            Some(upper)
        }
    };
    let mut searches = Vec::new();
    if let Some(phone) = &phone {
        searches.push((Communication::Phone, phone));
    }
    if let Some(email) = &email {
        searches.push((Communication::Email, email));
    }
    let mut record = Map::new();
    for (output, _) in OUTPUTS {
        record.insert(output.into(), Value::Null);
    }
    for (kind, value) in searches {
        let matches = search(client, kind, value, entity_type.as_deref()).await?;
        for (output, entity) in OUTPUTS {
            if record[output].is_null() {
                record.insert(output.into(), first_id(&matches, entity));
            }
        }
    }
    let found = OUTPUTS.iter().any(|(k, _)| !record[*k].is_null());
    record.insert("found".into(), Value::Bool(found));
    Ok(record)
}

/// The lookup behind `dedup:` on `create_lead` / `create_contact`: the first record of
/// `entity_type` with this phone or e-mail, as `{"id": ..}`.
pub async fn find_for_create(
    client: &Bitrix24Client,
    entity_type: &str,
    key: &str,
    value: &Value,
) -> Result<Option<Record>, ConnectorError> {
    let kind = match key {
        "phone" => Communication::Phone,
        "email" => Communication::Email,
        other => {
            return Err(ConnectorError::Config(format!(
                "bitrix24: records cannot be looked up by `{other}` (phone, email)"
            )));
        }
    };
    let text = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => match items
            .iter()
            .find_map(|v| v.as_str().filter(|s| !s.trim().is_empty()))
        {
            Some(first) => first.trim().to_string(),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let matches = search(client, kind, &text, Some(entity_type)).await?;
    let id = first_id(&matches, entity_type);
    if id.is_null() {
        return Ok(None);
    }
    let mut found = Map::new();
    found.insert("id".into(), id);
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_ids_accept_numbers_and_strings() {
        let matches = json!({"CONTACT": [275, 2297], "LEAD": ["12"]});
        let matches = matches.as_object().unwrap();
        assert_eq!(first_id(matches, "CONTACT"), json!(275));
        assert_eq!(first_id(matches, "LEAD"), json!(12));
        assert_eq!(first_id(matches, "COMPANY"), Value::Null);
    }
}
