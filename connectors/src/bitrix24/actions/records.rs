//! Creating and changing leads, contacts and deals: `crm.<entity>.add` with
//! `{"fields":{..},"params":{"REGISTER_SONET_EVENT":"Y"}}` (answer: the new id) and
//! `crm.<entity>.update` with `{"id":..,"fields":{..}}` (answer: `true`).

use serde_json::{Map, Value, json};

use super::super::client::Bitrix24Client;
use super::super::inputs::{FieldMap, Inputs, Kind, UTM, build_fields, id_value};
use crate::connector::Record;
use crate::error::ConnectorError;

/// Lead inputs → fields.
pub const LEAD_FIELDS: FieldMap = &[
    ("title", "TITLE", Kind::Text),
    ("name", "NAME", Kind::Text),
    ("last_name", "LAST_NAME", Kind::Text),
    ("phone", "PHONE", Kind::Multi),
    ("email", "EMAIL", Kind::Multi),
    ("source_id", "SOURCE_ID", Kind::Text),
    ("status_id", "STATUS_ID", Kind::Text),
    ("assigned_by_id", "ASSIGNED_BY_ID", Kind::Id),
    ("opportunity", "OPPORTUNITY", Kind::Amount),
    ("currency_id", "CURRENCY_ID", Kind::Text),
    ("comments", "COMMENTS", Kind::Text),
];

/// Contact inputs → fields.
pub const CONTACT_FIELDS: FieldMap = &[
    ("name", "NAME", Kind::Text),
    ("last_name", "LAST_NAME", Kind::Text),
    ("second_name", "SECOND_NAME", Kind::Text),
    ("phone", "PHONE", Kind::Multi),
    ("email", "EMAIL", Kind::Multi),
    ("source_id", "SOURCE_ID", Kind::Text),
    ("assigned_by_id", "ASSIGNED_BY_ID", Kind::Id),
    ("lead_id", "LEAD_ID", Kind::Id),
    ("comments", "COMMENTS", Kind::Text),
];

/// Deal inputs → fields (`update_deal` declares no `category_id` / `lead_id`, so they
/// never reach an update).
pub const DEAL_FIELDS: FieldMap = &[
    ("title", "TITLE", Kind::Text),
    ("category_id", "CATEGORY_ID", Kind::Category),
    ("stage_id", "STAGE_ID", Kind::Text),
    ("contact_id", "CONTACT_IDS", Kind::ContactIds),
    ("company_id", "COMPANY_ID", Kind::Id),
    ("lead_id", "LEAD_ID", Kind::Id),
    ("assigned_by_id", "ASSIGNED_BY_ID", Kind::Id),
    ("opportunity", "OPPORTUNITY", Kind::Amount),
    ("currency_id", "CURRENCY_ID", Kind::Text),
    ("source_id", "SOURCE_ID", Kind::Text),
    ("comments", "COMMENTS", Kind::Text),
];

/// One CRM entity the record actions work on.
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    /// `lead`, `contact`, `deal`: the middle of the method names.
    pub name: &'static str,
    /// Inputs → fields.
    pub fields: FieldMap,
    /// Inputs that must be given on create.
    pub required: &'static [&'static str],
}

/// Leads.
pub const LEAD: Entity = Entity {
    name: "lead",
    fields: LEAD_FIELDS,
    required: &["title"],
};
/// Contacts.
pub const CONTACT: Entity = Entity {
    name: "contact",
    fields: CONTACT_FIELDS,
    required: &[],
};
/// Deals.
pub const DEAL: Entity = Entity {
    name: "deal",
    fields: DEAL_FIELDS,
    required: &["title"],
};

/// `{"id": <id>}`.
fn id_record(id: Value) -> Record {
    let mut record = Map::new();
    record.insert("id".into(), id);
    record
}

/// `crm.<entity>.add` with already built fields; the new id.
pub async fn add(
    client: &Bitrix24Client,
    entity: &str,
    fields: Map<String, Value>,
) -> Result<Value, ConnectorError> {
    let method = format!("crm.{entity}.add");
    let params = json!({"fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}});
    let result = client.result(&method, &params).await?;
    let id = id_value(&result);
    if id.is_null() {
        return Err(ConnectorError::InvalidResponse(format!(
            "{method}: expected the new id as `result`, got {result}"
        )));
    }
    Ok(id)
}

/// `crm.<entity>.update` with already built fields.
pub async fn update_fields(
    client: &Bitrix24Client,
    entity: &str,
    id: u64,
    fields: Map<String, Value>,
) -> Result<(), ConnectorError> {
    let method = format!("crm.{entity}.update");
    let params = json!({"id": id, "fields": fields});
    match client.result(&method, &params).await? {
        Value::Bool(true) => Ok(()),
        other => Err(ConnectorError::InvalidResponse(format!(
            "{method}: expected `true`, got {other}"
        ))),
    }
}

/// `create_<entity>`.
pub async fn create(
    client: &Bitrix24Client,
    entity: Entity,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    for name in entity.required {
        inputs.required_text(name)?;
    }
    let fields = build_fields(&inputs, &[entity.fields, UTM])?;
    if fields.is_empty() {
        return Err(ConnectorError::Config(format!(
            "bitrix24.{action}: no input has a value, so there is nothing to create"
        )));
    }
    Ok(id_record(add(client, entity.name, fields).await?))
}

/// `update_<entity>`: only the inputs with a value are sent.
pub async fn update(
    client: &Bitrix24Client,
    entity: Entity,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let id = inputs.required_id("id")?;
    let fields = build_fields(&inputs, &[entity.fields, UTM])?;
    if fields.is_empty() {
        return Err(ConnectorError::Config(format!(
            "bitrix24.{action}: no input besides `id` has a value, so there is nothing to change"
        )));
    }
    update_fields(client, entity.name, id, fields).await?;
    Ok(id_record(Value::from(id)))
}
