//! Contacts and companies: find by id, phone, e-mail, external id (/ name), create with
//! duplicate lookups, update. amoCRM's `query` matches any field by substring, so every
//! hit is confirmed here: a phone must have the same last 10 digits, an e-mail must be
//! equal ignoring case, an external id must be the whole value of its field, a company
//! name must be equal ignoring case.
//!
//! Updates never lose data: phones, e-mails and tags are multi-valued in amoCRM and a
//! PATCH replaces the whole set, so the current record is read first and the new values
//! are added to what is there.

use serde_json::{Map, Value, json};

use super::super::client::created_id;
use super::super::fields::{value_objects_of_code, values_of_code};
use super::super::inputs::{EntityType, Inputs, digits, phone_key};
use super::Amo;
use super::external::{self, ExternalId};
use super::records::{company_record, contact_record, write_record};
use super::tags::tags_to_send;
use crate::connector::Record;
use crate::error::ConnectorError;

/// Pages of search results read at most (250 each).
const MAX_SEARCH_PAGES: usize = 4;
/// The value type given to new phones and e-mails.
const ENUM_CODE: &str = "WORK";

/// A contact or a company: the two share search, phones, e-mails and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// A contact (person).
    Contact,
    /// A company.
    Company,
}

impl Party {
    fn entity(self) -> EntityType {
        match self {
            Party::Contact => EntityType::Contacts,
            Party::Company => EntityType::Companies,
        }
    }

    fn record(self, found: Option<&Value>) -> Record {
        match self {
            Party::Contact => contact_record(found),
            Party::Company => company_record(found),
        }
    }

    fn create_action(self) -> &'static str {
        match self {
            Party::Contact => "create_contact",
            Party::Company => "create_company",
        }
    }
}

async fn search(amo: &Amo, party: Party, query: &str) -> Result<Vec<Value>, ConnectorError> {
    let entity = party.entity().as_str();
    let mut params = vec![("query".to_string(), query.to_string())];
    if party == Party::Contact {
        params.push(("with".into(), "leads".into()));
    }
    amo.client
        .list(&format!("/{entity}"), &params, entity, MAX_SEARCH_PAGES)
        .await
}

/// Every record whose phone is the same number as `phone`.
pub async fn by_phone(amo: &Amo, party: Party, phone: &str) -> Result<Vec<Value>, ConnectorError> {
    let wanted = phone_key(phone);
    if wanted.len() < 5 {
        return Err(ConnectorError::Config(format!(
            "amocrm: phone `{phone}` has too few digits to search by"
        )));
    }
    let hits = search(amo, party, &wanted).await?;
    Ok(hits
        .into_iter()
        .filter(|r| {
            values_of_code(r, "PHONE")
                .iter()
                .any(|p| phone_key(p) == wanted)
        })
        .collect())
}

/// Every record with this e-mail (compared ignoring case).
pub async fn by_email(amo: &Amo, party: Party, email: &str) -> Result<Vec<Value>, ConnectorError> {
    let wanted = email.trim().to_lowercase();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let hits = search(amo, party, email.trim()).await?;
    Ok(hits
        .into_iter()
        .filter(|r| {
            values_of_code(r, "EMAIL")
                .iter()
                .any(|e| e.trim().to_lowercase() == wanted)
        })
        .collect())
}

/// Every record with this name (compared ignoring case and surrounding spaces).
async fn by_name(amo: &Amo, party: Party, name: &str) -> Result<Vec<Value>, ConnectorError> {
    let wanted = name.trim().to_lowercase();
    let hits = search(amo, party, name.trim()).await?;
    Ok(hits
        .into_iter()
        .filter(|r| {
            r.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.trim().to_lowercase() == wanted)
        })
        .collect())
}

/// Every contact holding an external id (companies have none).
async fn by_external_id(amo: &Amo, id: &ExternalId) -> Result<Vec<Value>, ConnectorError> {
    external::search(amo, EntityType::Contacts, id, "leads").await
}

/// The record with this id, if it exists.
async fn by_id(amo: &Amo, party: Party, id: i64) -> Result<Vec<Value>, ConnectorError> {
    let entity = party.entity().as_str();
    let query: Vec<(String, String)> = match party {
        Party::Contact => vec![("with".into(), "leads".into())],
        Party::Company => Vec::new(),
    };
    let found = amo
        .client
        .get_one(&format!("/{entity}/{id}"), &query)
        .await?;
    Ok(found.into_iter().collect())
}

/// A lookup for duplicate handling by one of the create action's search keys; `input` is
/// the step's other inputs (an external id's field is named there).
pub async fn find_by_key(
    amo: &Amo,
    party: Party,
    key: &str,
    value: &Value,
    input: &Map<String, Value>,
) -> Result<Option<Record>, ConnectorError> {
    let text = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Ok(None),
    };
    let found = match (party, key) {
        (_, "phone") => by_phone(amo, party, &text).await?,
        (_, "email") => by_email(amo, party, &text).await?,
        (Party::Company, "name") => by_name(amo, party, &text).await?,
        (Party::Contact, external::VALUE_INPUT) => {
            let inputs = Inputs::new(party.create_action(), input);
            let field = inputs.text(external::FIELD_INPUT)?.ok_or_else(|| {
                inputs.bad(
                    external::FIELD_INPUT,
                    "is required to search by `external_id`: name the custom field that holds it",
                )
            })?;
            by_external_id(amo, &ExternalId::new(field, text.clone())).await?
        }
        (_, other) => {
            return Err(ConnectorError::Config(format!(
                "amocrm.{} has no lookup by `{other}`",
                party.create_action()
            )));
        }
    };
    Ok(found.first().map(|r| party.record(Some(r))))
}

/// `find_contact` / `find_company`: by id, then phone, then e-mail, then (contacts)
/// external id or (companies) name; each only when given.
pub async fn find(
    amo: &Amo,
    party: Party,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let id = inputs.id("id")?;
    let phone = inputs.text("phone")?;
    let email = inputs.text("email")?;
    let (name, external) = match party {
        Party::Company => (inputs.text("name")?, None),
        Party::Contact => (None, ExternalId::from_inputs(&inputs)?),
    };
    if id.is_none() && phone.is_none() && email.is_none() && name.is_none() && external.is_none() {
        return Err(inputs.invalid(match party {
            Party::Contact => "give `id`, `phone`, `email` or `external_id` (all were empty)",
            Party::Company => "give `id`, `name`, `phone` or `email` (all were empty)",
        }));
    }
    let mut found = Vec::new();
    if let Some(id) = id {
        found = by_id(amo, party, id).await?;
    }
    if found.is_empty()
        && let Some(phone) = &phone
    {
        found = by_phone(amo, party, phone).await?;
    }
    if found.is_empty()
        && let Some(email) = &email
    {
        found = by_email(amo, party, email).await?;
    }
    if found.is_empty()
        && let Some(external) = &external
    {
        found = by_external_id(amo, external).await?;
    }
    if found.is_empty()
        && let Some(name) = &name
    {
        found = by_name(amo, party, name).await?;
    }
    Ok(party.record(found.first()))
}

/// `{"field_code":..,"values":[...]}` for new phones or e-mails.
fn multitext(code: &str, values: &[Value]) -> Value {
    json!({"field_code": code, "values": values})
}

fn new_values(values: &[String]) -> Vec<Value> {
    values
        .iter()
        .map(|v| json!({"value": v, "enum_code": ENUM_CODE}))
        .collect()
}

/// The existing values of a multitext field, as they must be sent back to keep them.
fn kept_values(current: &Value, code: &str) -> Vec<Value> {
    value_objects_of_code(current, code)
        .into_iter()
        .map(|v| {
            let mut kept = json!({"value": v.get("value").cloned().unwrap_or(Value::Null)});
            match (v.get("enum_id"), v.get("enum_code")) {
                (Some(id), _) if !id.is_null() => kept["enum_id"] = id.clone(),
                (_, Some(code)) if !code.is_null() => kept["enum_code"] = code.clone(),
                _ => {}
            }
            kept
        })
        .collect()
}

/// The body of a create or update from the step's inputs (only given fields); `current`
/// is the record being updated, whose phones, e-mails and tags are kept.
async fn body(
    amo: &Amo,
    party: Party,
    inputs: &Inputs<'_>,
    current: Option<&Value>,
) -> Result<Map<String, Value>, ConnectorError> {
    let mut body = Map::new();
    let names: &[&str] = match party {
        Party::Contact => &["name", "first_name", "last_name"],
        Party::Company => &["name"],
    };
    for name in names {
        if let Some(value) = inputs.text(name)? {
            body.insert((*name).into(), value.into());
        }
    }
    if let Some(user) = inputs.id("responsible_user_id")? {
        body.insert("responsible_user_id".into(), user.into());
    }
    let mut fields = Vec::new();
    let phones = inputs.texts("phone")?;
    for phone in &phones {
        if digits(phone).len() < 5 {
            return Err(inputs.bad(
                "phone",
                &format!("`{phone}` has too few digits for a phone"),
            ));
        }
    }
    let emails = inputs.texts("email")?;
    for (code, given, same) in [
        (
            "PHONE",
            phones,
            (|a: &str, b: &str| phone_key(a) == phone_key(b)) as fn(&str, &str) -> bool,
        ),
        ("EMAIL", emails, |a: &str, b: &str| {
            a.trim().eq_ignore_ascii_case(b.trim())
        }),
    ] {
        let existing = current.map(|c| values_of_code(c, code)).unwrap_or_default();
        let mut added: Vec<String> = Vec::new();
        for value in given {
            if !existing.iter().chain(added.iter()).any(|e| same(e, &value)) {
                added.push(value);
            }
        }
        if added.is_empty() {
            continue;
        }
        let mut values = current.map(|c| kept_values(c, code)).unwrap_or_default();
        values.extend(new_values(&added));
        fields.push(multitext(code, &values));
    }
    if let Some(custom) = external::custom_fields(inputs)? {
        fields.extend(
            amo.fields
                .values(&amo.client, party.entity(), inputs, &custom)
                .await?,
        );
    }
    if !fields.is_empty() {
        body.insert("custom_fields_values".into(), Value::Array(fields));
    }
    let mut embedded = Map::new();
    if let Some(tags) = tags_to_send(inputs, current)? {
        embedded.insert("tags".into(), tags);
    }
    if party == Party::Contact
        && let Some(company) = inputs.id("company_id")?
    {
        embedded.insert("companies".into(), json!([{"id": company}]));
    }
    if !embedded.is_empty() {
        body.insert("_embedded".into(), Value::Object(embedded));
    }
    Ok(body)
}

/// `create_contact` / `create_company`: `POST /api/v4/{contacts|companies}` with an array
/// of one.
pub async fn create(
    amo: &Amo,
    party: Party,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(party.create_action(), input);
    if party == Party::Company {
        inputs.required_text("name")?;
    }
    let body = body(amo, party, &inputs, None).await?;
    if body.is_empty() {
        return Err(
            inputs.invalid("nothing to create: give a name, phone, e-mail or custom fields")
        );
    }
    let entity = party.entity().as_str();
    let reply = amo
        .client
        .post(
            &format!("/{entity}"),
            &Value::Array(vec![Value::Object(body)]),
        )
        .await?;
    Ok(write_record(created_id(&reply, entity)?, None))
}

/// `update_contact` / `update_company`: `PATCH /api/v4/{contacts|companies}/{id}`.
pub async fn update(
    amo: &Amo,
    party: Party,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let id = inputs.required_id("id")?;
    let entity = party.entity().as_str();
    let path = format!("/{entity}/{id}");
    let merges = !inputs.texts("phone")?.is_empty()
        || !inputs.texts("email")?.is_empty()
        || inputs.tags("tags")?.is_some_and(|t| !t.is_empty());
    let current = if merges {
        let current = amo.client.get_one(&path, &[]).await?;
        Some(current.ok_or_else(|| ConnectorError::Rejected {
            status: 404,
            body: format!("amocrm.{action}: {entity} {id} does not exist"),
        })?)
    } else {
        None
    };
    let body = body(amo, party, &inputs, current.as_ref()).await?;
    if body.is_empty() {
        // Nothing new: the record already holds every given value.
        return Ok(write_record(id, current.as_ref()));
    }
    let reply = amo.client.patch(&path, &Value::Object(body)).await?;
    Ok(write_record(id, Some(&reply)))
}
