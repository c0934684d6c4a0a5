//! Leads (deals): create in a pipeline and status with links, tags and custom fields;
//! update; find a contact's newest lead, the newest lead of the contact(s) with an
//! e-mail ("find the newest deal by the contact's e-mail"), or the newest lead holding an
//! external id (the deal a tracking system's request created).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::client::created_id;
use super::super::inputs::{EntityType, Inputs};
use super::Amo;
use super::external::{self, ExternalId};
use super::parties::{Party, by_email};
use super::records::{is_closed, lead_record, linked_ids, write_record};
use super::tags::tags_to_send;
use crate::connector::Record;
use crate::error::ConnectorError;

/// Lead ids asked for per request (`filter[id][]`), well under the 250-row page.
const IDS_PER_REQUEST: usize = 50;

/// The lead body from the step's inputs (only given fields). On update, `current` is the
/// lead whose tags are kept.
async fn body(
    amo: &Amo,
    inputs: &Inputs<'_>,
    current: Option<&Value>,
) -> Result<Map<String, Value>, ConnectorError> {
    let mut body = Map::new();
    if let Some(name) = inputs.text("name")? {
        body.insert("name".into(), name.into());
    }
    if let Some(price) = inputs.integer("price")? {
        if price < 0 {
            return Err(inputs.bad("price", &format!("must not be negative, got {price}")));
        }
        body.insert("price".into(), price.into());
    }
    for name in ["pipeline_id", "status_id", "responsible_user_id"] {
        if let Some(id) = inputs.id(name)? {
            body.insert(name.into(), id.into());
        }
    }
    if let Some(custom) = external::custom_fields(inputs)? {
        let values = amo
            .fields
            .values(&amo.client, EntityType::Leads, inputs, &custom)
            .await?;
        if !values.is_empty() {
            body.insert("custom_fields_values".into(), Value::Array(values));
        }
    }
    let mut embedded = Map::new();
    if let Some(tags) = tags_to_send(inputs, current)? {
        embedded.insert("tags".into(), tags);
    }
    let contacts: Vec<Value> = inputs
        .ids("contact_id")?
        .into_iter()
        .map(|id| json!({"id": id}))
        .collect();
    if !contacts.is_empty() {
        embedded.insert("contacts".into(), Value::Array(contacts));
    }
    if let Some(company) = inputs.id("company_id")? {
        embedded.insert("companies".into(), json!([{"id": company}]));
    }
    if !embedded.is_empty() {
        body.insert("_embedded".into(), Value::Object(embedded));
    }
    Ok(body)
}

/// `create_lead`: `POST /api/v4/leads` with an array of one.
pub async fn create(amo: &Amo, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("create_lead", input);
    let body = body(amo, &inputs, None).await?;
    let reply = amo
        .client
        .post("/leads", &Value::Array(vec![Value::Object(body)]))
        .await?;
    Ok(write_record(created_id(&reply, "leads")?, None))
}

/// `update_lead`: `PATCH /api/v4/leads/{id}` with the given fields; new tags are added
/// to the lead's tags (read first, since a PATCH replaces the set).
pub async fn update(amo: &Amo, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("update_lead", input);
    let id = inputs.required_id("id")?;
    let path = format!("/leads/{id}");
    let current = if inputs.tags("tags")?.is_some_and(|t| !t.is_empty()) {
        Some(
            amo.client
                .get_one(&path, &[])
                .await?
                .ok_or_else(|| ConnectorError::Rejected {
                    status: 404,
                    body: format!("amocrm.update_lead: lead {id} does not exist"),
                })?,
        )
    } else {
        None
    };
    let body = body(amo, &inputs, current.as_ref()).await?;
    if body.is_empty() {
        return Ok(write_record(id, current.as_ref()));
    }
    let reply = amo.client.patch(&path, &Value::Object(body)).await?;
    Ok(write_record(id, Some(&reply)))
}

/// Which leads count.
struct LeadFilter {
    pipeline_id: Option<i64>,
    only_open: bool,
}

impl LeadFilter {
    fn from(inputs: &Inputs<'_>) -> Result<Self, ConnectorError> {
        Ok(LeadFilter {
            pipeline_id: inputs.id("pipeline_id")?,
            only_open: inputs.flag("only_open")?.unwrap_or(false),
        })
    }

    fn keeps(&self, lead: &Value) -> bool {
        let pipeline = lead.get("pipeline_id").and_then(Value::as_i64);
        self.pipeline_id.is_none_or(|p| pipeline == Some(p)) && !(self.only_open && is_closed(lead))
    }
}

/// The leads with these ids (`GET /api/v4/leads?filter[id][]=..`).
async fn leads_by_ids(amo: &Amo, ids: &[i64]) -> Result<Vec<Value>, ConnectorError> {
    let mut leads = Vec::new();
    for chunk in ids.chunks(IDS_PER_REQUEST) {
        let query: Vec<(String, String)> = chunk
            .iter()
            .map(|id| ("filter[id][]".to_string(), id.to_string()))
            .collect();
        leads.extend(amo.client.list("/leads", &query, "leads", 1).await?);
    }
    Ok(leads)
}

/// What "newest" orders by: creation time, then id.
fn newest_key(lead: &Value) -> (i64, i64) {
    (
        lead.get("created_at").and_then(Value::as_i64).unwrap_or(0),
        lead.get("id").and_then(Value::as_i64).unwrap_or(0),
    )
}

/// The newest (by creation time, then id) of the leads `owners` maps to their contact.
async fn newest(
    amo: &Amo,
    owners: BTreeMap<i64, i64>,
    filter: &LeadFilter,
) -> Result<Record, ConnectorError> {
    if owners.is_empty() {
        return Ok(lead_record(None, None));
    }
    let ids: Vec<i64> = owners.keys().copied().collect();
    let leads = leads_by_ids(amo, &ids).await?;
    let best = leads
        .iter()
        .filter(|l| filter.keeps(l))
        .max_by_key(|l| newest_key(l));
    let contact = best
        .and_then(|l| l.get("id")?.as_i64())
        .and_then(|id| owners.get(&id).copied());
    Ok(lead_record(best, contact))
}

/// `find_lead_by_contact`: the contact's newest lead.
pub async fn find_by_contact(
    amo: &Amo,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_lead_by_contact", input);
    let contact_id = inputs.required_id("contact_id")?;
    let filter = LeadFilter::from(&inputs)?;
    let query = [("with".to_string(), "leads".to_string())];
    let Some(contact) = amo
        .client
        .get_one(&format!("/contacts/{contact_id}"), &query)
        .await?
    else {
        return Ok(lead_record(None, None));
    };
    let owners = linked_ids(&contact, "leads")
        .into_iter()
        .map(|lead| (lead, contact_id))
        .collect();
    newest(amo, owners, &filter).await
}

/// `find_newest_lead_by_email`: the newest lead of any contact with this e-mail.
pub async fn find_newest_by_email(
    amo: &Amo,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_newest_lead_by_email", input);
    let email = inputs.required_text("email")?;
    let filter = LeadFilter::from(&inputs)?;
    let contacts = by_email(amo, Party::Contact, &email).await?;
    let mut owners = BTreeMap::new();
    for contact in &contacts {
        let Some(contact_id) = contact.get("id").and_then(Value::as_i64) else {
            continue;
        };
        for lead in linked_ids(contact, "leads") {
            owners.entry(lead).or_insert(contact_id);
        }
    }
    newest(amo, owners, &filter).await
}

/// `find_lead`: the newest lead whose `external_id_field` holds `external_id`, with its
/// first linked contact.
pub async fn find_by_external_id(
    amo: &Amo,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_lead", input);
    inputs.required_text(external::VALUE_INPUT)?;
    let id = ExternalId::from_inputs(&inputs)?
        .ok_or_else(|| inputs.bad(external::VALUE_INPUT, "is required and was empty"))?;
    let filter = LeadFilter::from(&inputs)?;
    let leads = external::search(amo, EntityType::Leads, &id, "contacts").await?;
    let best = leads
        .iter()
        .filter(|l| filter.keeps(l))
        .max_by_key(|l| newest_key(l));
    let contact = best.and_then(|l| linked_ids(l, "contacts").first().copied());
    Ok(lead_record(best, contact))
}
