//! Finding leads and contacts by phone or e-mail.
//!
//! The phone is searched first (a wide `LIKE` on its last digits over `Phone` and
//! `MobilePhone`, then an exact comparison of digits on our side, see `phone`), then the
//! e-mail (`Email = '...'`, which SOQL compares case-insensitively). Among several
//! matches the newest wins; for leads an unconverted lead wins over converted ones, so
//! that after "converted → create a new lead" (S2.2) later calls land on the new lead,
//! while a phone that only has a converted lead still reports it, with
//! `is_converted` and `converted_contact_id`. The duplicate search of `create_lead`
//! ([`find_duplicate`]) answers unconverted leads only: a converted lead cannot be
//! changed and its person lives on as a contact, so it is no duplicate of a new lead.

use serde_json::{Map, Value, json};

use super::{OutputField, Salesforce, not_found, outputs, select_list};
use crate::connector::{Found, Record};
use crate::error::ConnectorError;
use crate::salesforce::client::MAX_QUERY_PAGES;
use crate::salesforce::inputs::Inputs;
use crate::salesforce::phone::{like_pattern, same_number};
use crate::salesforce::soql::{Select, quote};

/// How many candidates one lookup reads.
const CANDIDATES: usize = 200;

/// Leads or contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// `Lead`.
    Lead,
    /// `Contact`.
    Contact,
}

const LEAD_FIELDS: &[OutputField] = &[
    ("Id", "id"),
    ("Name", "name"),
    ("FirstName", "first_name"),
    ("LastName", "last_name"),
    ("Company", "company"),
    ("Phone", "phone"),
    ("MobilePhone", "mobile_phone"),
    ("Email", "email"),
    ("Status", "status"),
    ("OwnerId", "owner_id"),
    ("IsConverted", "is_converted"),
    ("ConvertedContactId", "converted_contact_id"),
    ("ConvertedAccountId", "converted_account_id"),
    ("ConvertedOpportunityId", "converted_opportunity_id"),
    ("CreatedDate", "created_date"),
];

const CONTACT_FIELDS: &[OutputField] = &[
    ("Id", "id"),
    ("Name", "name"),
    ("FirstName", "first_name"),
    ("LastName", "last_name"),
    ("AccountId", "account_id"),
    ("OwnerId", "owner_id"),
    ("Phone", "phone"),
    ("MobilePhone", "mobile_phone"),
    ("Email", "email"),
    ("CreatedDate", "created_date"),
];

/// The phone fields compared.
const PHONE_FIELDS: &[&str] = &["Phone", "MobilePhone"];

impl Party {
    fn object(self) -> &'static str {
        match self {
            Party::Lead => "Lead",
            Party::Contact => "Contact",
        }
    }

    fn fields(self) -> &'static [OutputField] {
        match self {
            Party::Lead => LEAD_FIELDS,
            Party::Contact => CONTACT_FIELDS,
        }
    }
}

/// The `find_lead` / `find_contact` action: phone first, then e-mail.
pub async fn find(
    sf: &Salesforce,
    party: Party,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let phone = inputs.text("phone")?;
    let email = inputs.text("email")?;
    if phone.is_none() && email.is_none() {
        return Err(inputs.invalid("give `phone` and/or `email` to search by"));
    }
    for (key, value) in [("phone", phone), ("email", email)] {
        if let Some(value) = value
            && let Some(found) = find_by_key(sf, party, key, &json!(value)).await?
        {
            return Ok(found);
        }
    }
    let mut out = not_found(party.fields());
    out.insert("matched_by".into(), Value::Null);
    Ok(out)
}

/// Look a record up by one key (`phone` or `email`): one step of `find`.
async fn find_by_key(
    sf: &Salesforce,
    party: Party,
    key: &str,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    let candidates = candidates(sf, party, key, value).await?;
    Ok(choose(party, candidates).map(|record| answer(party, key, &record)))
}

/// The duplicate search of `create_lead` / `create_contact` by one key. For leads only
/// unconverted ones count: Salesforce refuses every change to a converted lead
/// (`CANNOT_UPDATE_CONVERTED_LEAD`) and its person lives on as a contact, so a phone
/// whose only lead is converted gets a new lead rather than reusing a closed record
/// (S2.2 "create a new lead").
pub async fn find_duplicate(
    sf: &Salesforce,
    party: Party,
    key: &str,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    let candidates = candidates(sf, party, key, value).await?;
    let live = candidates
        .into_iter()
        .find(|r| party != Party::Lead || r.get("IsConverted") != Some(&Value::Bool(true)));
    Ok(live.map(|record| answer(party, key, &record)))
}

/// Every record matching one key, newest first (none for a blank value).
async fn candidates(
    sf: &Salesforce,
    party: Party,
    key: &str,
    value: &Value,
) -> Result<Vec<Value>, ConnectorError> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    match key {
        "phone" => by_phone(sf, party, &text).await,
        "email" => by_email(sf, party, &text).await,
        other => Err(ConnectorError::Config(format!(
            "salesforce: {} can be searched by phone or email, not `{other}`",
            party.object()
        ))),
    }
}

/// The outputs of a found record.
fn answer(party: Party, key: &str, record: &Value) -> Found {
    let mut out = outputs(record, party.fields());
    out.insert("found".into(), Value::Bool(true));
    out.insert("matched_by".into(), json!(key));
    out
}

async fn by_phone(
    sf: &Salesforce,
    party: Party,
    phone: &str,
) -> Result<Vec<Value>, ConnectorError> {
    let Some(pattern) = like_pattern(phone) else {
        return Ok(Vec::new());
    };
    let condition = PHONE_FIELDS
        .iter()
        .map(|f| format!("{f} LIKE {}", quote(&pattern)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let records = query(sf, party, condition).await?;
    Ok(records
        .into_iter()
        .filter(|record| {
            PHONE_FIELDS.iter().any(|f| {
                record
                    .get(*f)
                    .and_then(Value::as_str)
                    .is_some_and(|stored| same_number(stored, phone))
            })
        })
        .collect())
}

async fn by_email(
    sf: &Salesforce,
    party: Party,
    email: &str,
) -> Result<Vec<Value>, ConnectorError> {
    query(sf, party, format!("Email = {}", quote(email))).await
}

async fn query(
    sf: &Salesforce,
    party: Party,
    condition: String,
) -> Result<Vec<Value>, ConnectorError> {
    let fields = select_list(party.fields());
    let soql = Select {
        fields: &fields,
        object: party.object(),
        condition,
        order_by: "CreatedDate DESC",
        limit: CANDIDATES,
    }
    .render();
    sf.client.query(&soql, MAX_QUERY_PAGES).await
}

/// The record a lookup answers: the first (newest) one, except that for leads the newest
/// unconverted lead wins over any converted one.
fn choose(party: Party, candidates: Vec<Value>) -> Option<Value> {
    if party == Party::Lead
        && let Some(open) = candidates
            .iter()
            .find(|r| r.get("IsConverted") != Some(&Value::Bool(true)))
    {
        return Some(open.clone());
    }
    candidates.into_iter().next()
}
