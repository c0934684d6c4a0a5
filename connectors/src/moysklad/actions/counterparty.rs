//! Counterparty actions and lookups: find by phone / e-mail / external code, create,
//! update. Phones in MoySklad are free text, so a phone search asks for records whose
//! phone contains the number's national digits (`filter=phone~…`) and then keeps only
//! those whose digits really are the same number.

use serde_json::{Map, Value, json};

use super::super::client::{MoySkladClient, id_from_href};
use super::super::inputs::{Inputs, national_digits};
use crate::connector::Record;
use crate::error::ConnectorError;

const PATH: &str = "/entity/counterparty";
/// Rows read per lookup; a search matches by substring, so several may come back.
const LOOKUP_LIMIT: &str = "100";

/// A filter value with MoySklad's escape for the condition separator.
fn escape(value: &str) -> String {
    value.replace(';', "\\;")
}

/// The action output for a counterparty object from the API.
pub fn counterparty_record(row: &Value) -> Record {
    let text = |name: &str| row.get(name).cloned().unwrap_or(Value::Null);
    let href = row.pointer("/meta/href").cloned().unwrap_or(Value::Null);
    let id = match row.get("id") {
        Some(id) => id.clone(),
        None => href
            .as_str()
            .and_then(id_from_href)
            .map(Value::from)
            .unwrap_or(Value::Null),
    };
    let mut out = Map::new();
    out.insert("id".into(), id);
    out.insert("href".into(), href);
    out.insert("name".into(), text("name"));
    out.insert("phone".into(), text("phone"));
    out.insert("email".into(), text("email"));
    out.insert("external_code".into(), text("externalCode"));
    out
}

async fn search(client: &MoySkladClient, filter: String) -> Result<Vec<Value>, ConnectorError> {
    let reply = client
        .get(
            PATH,
            &[("filter", filter), ("limit", LOOKUP_LIMIT.to_string())],
        )
        .await?;
    match reply.get("rows") {
        Some(Value::Array(rows)) => Ok(rows.clone()),
        _ => Err(ConnectorError::InvalidResponse(
            "counterparty list without `rows`".into(),
        )),
    }
}

/// The first counterparty whose phone is the same number as `phone`.
pub async fn find_by_phone(
    client: &MoySkladClient,
    phone: &str,
) -> Result<Option<Value>, ConnectorError> {
    let wanted = national_digits(phone);
    if wanted.len() < 5 {
        return Err(ConnectorError::Config(format!(
            "phone `{phone}` has too few digits to search counterparties by"
        )));
    }
    let rows = search(client, format!("phone~{wanted}")).await?;
    Ok(rows.into_iter().find(|row| {
        row.get("phone")
            .and_then(Value::as_str)
            .is_some_and(|p| national_digits(p) == wanted)
    }))
}

/// The first counterparty with this e-mail (compared ignoring case).
pub async fn find_by_email(
    client: &MoySkladClient,
    email: &str,
) -> Result<Option<Value>, ConnectorError> {
    let wanted = email.trim().to_lowercase();
    let rows = search(client, format!("email={}", escape(email.trim()))).await?;
    Ok(rows.into_iter().find(|row| {
        row.get("email")
            .and_then(Value::as_str)
            .is_some_and(|e| e.trim().to_lowercase() == wanted)
    }))
}

/// The first counterparty with exactly this external code.
pub async fn find_by_external_code(
    client: &MoySkladClient,
    code: &str,
) -> Result<Option<Value>, ConnectorError> {
    let rows = search(client, format!("externalCode={}", escape(code))).await?;
    Ok(rows
        .into_iter()
        .find(|row| row.get("externalCode").and_then(Value::as_str) == Some(code)))
}

/// A lookup for duplicate handling by one of the create action's search keys.
pub async fn find_by_key(
    client: &MoySkladClient,
    key: &str,
    value: &Value,
) -> Result<Option<Record>, ConnectorError> {
    let text = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Ok(None),
    };
    let found = match key {
        "phone" => find_by_phone(client, &text).await?,
        "email" => find_by_email(client, &text).await?,
        "external_code" => find_by_external_code(client, &text).await?,
        other => {
            return Err(ConnectorError::Config(format!(
                "moysklad.create_counterparty has no lookup by `{other}` (phone, email, external_code)"
            )));
        }
    };
    Ok(found.as_ref().map(counterparty_record))
}

/// `find_counterparty`: by phone first, then by e-mail.
pub async fn find(
    client: &MoySkladClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_counterparty", input);
    let phone = inputs.text("phone")?;
    let email = inputs.text("email")?;
    if phone.is_none() && email.is_none() {
        return Err(ConnectorError::Config(
            "moysklad.find_counterparty: give `phone` or `email` (both were empty)".into(),
        ));
    }
    let mut found = None;
    if let Some(phone) = &phone {
        found = find_by_phone(client, phone).await?;
    }
    if found.is_none()
        && let Some(email) = &email
    {
        found = find_by_email(client, email).await?;
    }
    let mut record = match &found {
        Some(row) => counterparty_record(row),
        None => counterparty_record(&json!({})),
    };
    record.insert("found".into(), Value::Bool(found.is_some()));
    Ok(record)
}

/// The JSON body of a create or update from the step's inputs (only given fields).
fn body(inputs: &Inputs<'_>, creating: bool) -> Result<Value, ConnectorError> {
    let mut body = Map::new();
    if creating {
        body.insert("name".into(), inputs.required_text("name")?.into());
    } else if let Some(name) = inputs.text("name")? {
        body.insert("name".into(), name.into());
    }
    for (input, field) in [
        ("phone", "phone"),
        ("email", "email"),
        ("external_code", "externalCode"),
        ("description", "description"),
    ] {
        if let Some(value) = inputs.text(input)? {
            body.insert(field.into(), value.into());
        }
    }
    if let Some(tags) = inputs.tags("tags")? {
        body.insert("tags".into(), tags.into());
    }
    Ok(Value::Object(body))
}

/// `create_counterparty`: `POST /entity/counterparty`.
pub async fn create(
    client: &MoySkladClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let body = body(&Inputs::new("create_counterparty", input), true)?;
    let created = client.post(PATH, &body).await?;
    Ok(counterparty_record(&created))
}

/// `update_counterparty`: `PUT /entity/counterparty/{id}` with the given fields.
pub async fn update(
    client: &MoySkladClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("update_counterparty", input);
    let id = inputs.required_text("id")?;
    let body = body(&inputs, false)?;
    let updated = client
        .put(&format!("{PATH}/{}", path_segment(&id)?), &body)
        .await?;
    Ok(counterparty_record(&updated))
}

/// An id (or an href ending in one) as a single, safe path segment.
pub fn path_segment(id: &str) -> Result<String, ConnectorError> {
    let is_href = id.starts_with("http://") || id.starts_with("https://");
    let id = if is_href {
        id_from_href(id).unwrap_or_default()
    } else {
        id
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ConnectorError::Config(format!(
            "`{id}` is not a MoySklad id"
        )));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_escape_the_separator() {
        assert_eq!(escape("a;b"), "a\\;b");
    }

    #[test]
    fn ids_are_single_segments() {
        assert_eq!(path_segment("3f2a-11").unwrap(), "3f2a-11");
        assert_eq!(
            path_segment("https://h/entity/counterparty/ab-1").unwrap(),
            "ab-1"
        );
        assert!(path_segment("../x").is_err());
        assert!(path_segment("a?b").is_err());
    }
}
