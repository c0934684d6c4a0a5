//! Customer actions: `find_customer`, `create_customer`, `edit_customer`, and the lookups
//! behind duplicate handling on `create_customer` (by phone, e-mail or external id).
//!
//! retailCRM has no phone filter: `filter[name]` searches names and phones together, so a
//! phone search sends the number's last 10 digits (which match `+7…`, `8…` and bare
//! spellings alike) and then keeps only customers one of whose phones really has those
//! digits. E-mail hits are likewise re-checked for exact (case-insensitive) equality.

use serde_json::{Map, Value, json};

use crate::connector::{Found, Record};
use crate::error::ConnectorError;

use super::client::RetailCrmClient;
use super::inputs::{Inputs, put_texts};
use super::spec::{CREATE_CUSTOMER, EDIT_CUSTOMER, FIND_CUSTOMER};

/// A number's comparable part: its last 10 digits (the national number in Russia), or
/// all digits when shorter.
pub(crate) fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let skip = digits.len().saturating_sub(10);
    digits[skip..].to_string()
}

/// How to look a customer up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CustomerKey {
    Phone(String),
    Email(String),
    ExternalId(String),
}

/// Find one customer of the connection's site; the oldest when several match.
pub(crate) async fn find_customer_by(
    client: &RetailCrmClient,
    key: &CustomerKey,
) -> Result<Option<Value>, ConnectorError> {
    let site = client.settings.site.clone();
    let (filter, wanted) = match key {
        CustomerKey::ExternalId(external_id) => {
            let path = format!("customers/{}", path_segment(external_id));
            let reply = client
                .get(&path, &[("by", "externalId".into()), ("site", site)])
                .await?;
            return Ok(reply.and_then(|r| r.get("customer").cloned()));
        }
        CustomerKey::Phone(phone) => {
            let key = phone_key(phone);
            if key.len() < 5 {
                return Err(ConnectorError::Config(format!(
                    "retailcrm: {phone:?} has too few digits to search by"
                )));
            }
            (("filter[name]", key.clone()), key)
        }
        CustomerKey::Email(email) => (("filter[email]", email.clone()), email.to_lowercase()),
    };
    let query = [
        filter,
        ("filter[sites][]", site),
        ("limit", "100".into()),
        ("page", "1".into()),
    ];
    let reply = client.get_required("customers", &query).await?;
    let customers = reply
        .get("customers")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ConnectorError::InvalidResponse(
                "customers list: no `customers` array in the reply".into(),
            )
        })?;
    let matches = |customer: &Value| match key {
        CustomerKey::Phone(_) => customer["phones"].as_array().is_some_and(|phones| {
            phones
                .iter()
                .any(|p| p["number"].as_str().is_some_and(|n| phone_key(n) == wanted))
        }),
        CustomerKey::Email(_) => customer["email"]
            .as_str()
            .is_some_and(|e| e.to_lowercase() == wanted),
        CustomerKey::ExternalId(_) => false,
    };
    Ok(customers
        .iter()
        .filter(|c| matches(c))
        .min_by_key(|c| c["id"].as_i64().unwrap_or(i64::MAX))
        .cloned())
}

/// A percent-encoded path segment (external ids may hold `/` or spaces).
pub(crate) fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The record a found customer yields (`create_customer`'s outputs plus contact fields).
fn customer_record(customer: &Value) -> Record {
    let mut out = Record::new();
    out.insert(
        "id".into(),
        customer.get("id").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "externalId".into(),
        customer.get("externalId").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "phone".into(),
        customer
            .pointer("/phones/0/number")
            .cloned()
            .unwrap_or(Value::Null),
    );
    out.insert(
        "email".into(),
        customer.get("email").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "first_name".into(),
        customer.get("firstName").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "last_name".into(),
        customer.get("lastName").cloned().unwrap_or(Value::Null),
    );
    out
}

/// `find_customer`: phone, then e-mail, then external id; `found: false` when none hits.
pub(crate) async fn find_customer(
    client: &RetailCrmClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(FIND_CUSTOMER, input);
    let mut keys = Vec::new();
    if let Some(phone) = inputs.text("phone")? {
        keys.push(CustomerKey::Phone(phone));
    }
    if let Some(email) = inputs.text("email")? {
        keys.push(CustomerKey::Email(email));
    }
    if let Some(external_id) = inputs.text("external_id")? {
        keys.push(CustomerKey::ExternalId(external_id));
    }
    if keys.is_empty() {
        return Err(inputs.bad("phone", "or `email` or `external_id` is required"));
    }
    for key in keys {
        if let Some(customer) = find_customer_by(client, &key).await? {
            let mut out = customer_record(&customer);
            out.insert("found".into(), Value::Bool(true));
            return Ok(out);
        }
    }
    let mut out = customer_record(&Value::Null);
    out.insert("found".into(), Value::Bool(false));
    Ok(out)
}

/// Duplicate search for `create_customer` by one of its inputs.
pub(crate) async fn find_for_create(
    client: &RetailCrmClient,
    key: &str,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    let text = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Ok(None),
    };
    let key = match key {
        "phone" => CustomerKey::Phone(text),
        "email" => CustomerKey::Email(text),
        "external_id" => CustomerKey::ExternalId(text),
        other => {
            return Err(ConnectorError::Config(format!(
                "retailcrm.create_customer has no lookup by `{other}`"
            )));
        }
    };
    Ok(find_customer_by(client, &key)
        .await?
        .map(|c| customer_record(&c)))
}

/// The customer JSON from the shared create/edit inputs.
fn customer_body(inputs: &Inputs<'_>) -> Result<Map<String, Value>, ConnectorError> {
    let mut customer = Map::new();
    put_texts(
        inputs,
        &mut customer,
        &[
            ("external_id", "externalId"),
            ("first_name", "firstName"),
            ("last_name", "lastName"),
            ("patronymic", "patronymic"),
            ("email", "email"),
        ],
    )?;
    if let Some(phone) = inputs.text("phone")? {
        customer.insert("phones".into(), json!([{"number": phone}]));
    }
    if let Some(manager) = inputs.id("manager_id")? {
        customer.insert("managerId".into(), json!(manager));
    }
    if let Some(fields) = inputs.object("custom_fields")? {
        customer.insert("customFields".into(), Value::Object(fields));
    }
    Ok(customer)
}

fn reply_id(reply: &Value, what: &str) -> Result<Value, ConnectorError> {
    reply
        .get("id")
        .filter(|id| id.is_i64())
        .cloned()
        .ok_or_else(|| {
            ConnectorError::InvalidResponse(format!(
                "{what}: the reply has no numeric `id`: {reply}"
            ))
        })
}

/// `create_customer`: POST `customers/create` with `customer=<json>&site=`.
pub(crate) async fn create_customer(
    client: &RetailCrmClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(CREATE_CUSTOMER, input);
    let customer = customer_body(&inputs)?;
    let form = [
        ("customer", Value::Object(customer.clone()).to_string()),
        ("site", client.settings.site.clone()),
    ];
    let reply = client.post_form("customers/create", &form).await?;
    let mut out = Record::new();
    out.insert("id".into(), reply_id(&reply, "customers/create")?);
    out.insert(
        "externalId".into(),
        customer.get("externalId").cloned().unwrap_or(Value::Null),
    );
    Ok(out)
}

/// `edit_customer`: POST `customers/{id}/edit` with `by=id`.
pub(crate) async fn edit_customer(
    client: &RetailCrmClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(EDIT_CUSTOMER, input);
    let id = inputs
        .id("id")?
        .ok_or_else(|| inputs.bad("id", "is required"))?;
    let customer = customer_body(&inputs)?;
    let form = [
        ("customer", Value::Object(customer.clone()).to_string()),
        ("by", "id".to_string()),
        ("site", client.settings.site.clone()),
    ];
    let reply = client
        .post_form(&format!("customers/{id}/edit"), &form)
        .await?;
    let mut out = Record::new();
    out.insert(
        "id".into(),
        reply
            .get("id")
            .filter(|v| v.is_i64())
            .cloned()
            .unwrap_or(json!(id)),
    );
    out.insert(
        "externalId".into(),
        customer.get("externalId").cloned().unwrap_or(Value::Null),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_compare_by_their_last_ten_digits() {
        assert_eq!(phone_key("+7 (916) 123-45-67"), "9161234567");
        assert_eq!(phone_key("89161234567"), "9161234567");
        assert_eq!(phone_key("9161234567"), "9161234567");
        assert_eq!(phone_key("12-34"), "1234");
    }

    #[test]
    fn external_ids_are_encoded_as_one_path_segment() {
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("5501"), "5501");
    }
}
