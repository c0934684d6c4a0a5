//! `convert_lead`: Bitrix24's REST API has no lead-conversion method, so conversion is
//! done with the documented field-level equivalent: the lead's contact is reused or made
//! from the lead's own data (with `LEAD_ID`), a deal is created with `LEAD_ID` and
//! `CONTACT_IDS` in the chosen pipeline and stage, and the lead is set to
//! `STATUS_ID=CONVERTED` with its `CONTACT_ID`.
//!
//! Every step first looks for what an earlier, interrupted attempt may have made (a deal or
//! a contact carrying this `LEAD_ID`), so repeating the action never makes a second deal or
//! contact.

use serde_json::{Map, Value, json};

use super::super::client::Bitrix24Client;
use super::super::inputs::{Inputs, id_value};
use super::records::{add, update_fields};
use crate::connector::Record;
use crate::error::ConnectorError;

/// The status Bitrix24 gives converted leads.
pub const CONVERTED: &str = "CONVERTED";

/// Lead fields copied as they are onto a contact made from the lead.
const CONTACT_COPY: &[&str] = &[
    "NAME",
    "LAST_NAME",
    "SECOND_NAME",
    "SOURCE_ID",
    "ASSIGNED_BY_ID",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
];

/// Lead fields copied onto its deal (when the step gives no value of its own).
const DEAL_COPY: &[&str] = &[
    "CURRENCY_ID",
    "SOURCE_ID",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
];

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

/// A lead's multi-field (`PHONE`, `EMAIL`) as entries for a new record: the stored
/// entries carry their own `ID`s, which belong to the lead.
fn copy_multi(lead: &Value, name: &str) -> Option<Value> {
    let entries: Vec<Value> = lead
        .get(name)?
        .as_array()?
        .iter()
        .filter_map(|e| {
            let value = e.get("VALUE")?.as_str()?.trim();
            (!value.is_empty()).then(|| {
                json!({"VALUE": value, "VALUE_TYPE": e.get("VALUE_TYPE").and_then(Value::as_str).unwrap_or("WORK")})
            })
        })
        .collect();
    (!entries.is_empty()).then_some(Value::Array(entries))
}

/// The first record of `entity` whose `LEAD_ID` is `lead_id`, oldest first.
async fn linked(
    client: &Bitrix24Client,
    entity: &str,
    lead_id: u64,
    select: &[&str],
) -> Result<Option<Value>, ConnectorError> {
    let method = format!("crm.{entity}.list");
    let params = json!({"filter": {"LEAD_ID": lead_id}, "order": {"ID": "ASC"}, "select": select, "start": 0});
    match client.result(&method, &params).await? {
        Value::Array(items) => Ok(items.into_iter().next()),
        other => Err(ConnectorError::InvalidResponse(format!(
            "{method}: expected a list, got {other}"
        ))),
    }
}

/// A contact made from the lead's own data.
fn contact_fields(lead: &Value, lead_id: u64) -> Map<String, Value> {
    let mut fields = Map::new();
    for name in CONTACT_COPY {
        if let Some(value) = present(lead.get(*name)) {
            fields.insert((*name).to_string(), value.clone());
        }
    }
    if !fields.contains_key("NAME") && !fields.contains_key("LAST_NAME") {
        // A contact needs a name to be found in the CRM; the lead's title is the best one.
        if let Some(title) = present(lead.get("TITLE")) {
            fields.insert("NAME".into(), title.clone());
        }
    }
    for name in ["PHONE", "EMAIL"] {
        if let Some(entries) = copy_multi(lead, name) {
            fields.insert(name.into(), entries);
        }
    }
    fields.insert("LEAD_ID".into(), json!(lead_id));
    fields
}

/// The deal's fields: the step's inputs, then the lead's values for what they leave out.
fn deal_fields(
    inputs: &Inputs<'_>,
    lead: &Value,
    lead_id: u64,
    contact_id: u64,
) -> Result<Map<String, Value>, ConnectorError> {
    let mut fields = inputs.extra_fields()?;
    let mut set = |name: &str, value: Option<Value>| -> Result<(), ConnectorError> {
        if let Some(value) = value {
            if fields.contains_key(name) {
                return Err(inputs.bad(
                    "fields",
                    &format!("sets `{name}`, which another input of this step already sets"),
                ));
            }
            fields.insert(name.to_string(), value);
        }
        Ok(())
    };
    let title = inputs
        .text("title")?
        .map(Value::from)
        .or_else(|| present(lead.get("TITLE")).cloned());
    set("TITLE", title)?;
    set(
        "CATEGORY_ID",
        inputs.category("category_id")?.map(Value::from),
    )?;
    set("STAGE_ID", inputs.text("stage_id")?.map(Value::from))?;
    set("COMMENTS", inputs.text("comments")?.map(Value::from))?;
    let assigned = inputs
        .id("assigned_by_id")?
        .map(Value::from)
        .or_else(|| present(lead.get("ASSIGNED_BY_ID")).cloned());
    set("ASSIGNED_BY_ID", assigned)?;
    let opportunity = inputs.amount("opportunity")?.or_else(|| {
        present(lead.get("OPPORTUNITY"))
            .filter(|v| {
                v.as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(0.0)
                    > 0.0
            })
            .cloned()
    });
    set("OPPORTUNITY", opportunity)?;
    set("CONTACT_IDS", Some(json!([contact_id])))?;
    set("LEAD_ID", Some(json!(lead_id)))?;
    for name in DEAL_COPY {
        if !fields.contains_key(*name)
            && let Some(value) = present(lead.get(*name))
        {
            fields.insert((*name).to_string(), value.clone());
        }
    }
    Ok(fields)
}

fn id_of(value: Option<&Value>) -> Option<u64> {
    id_value(value?).as_u64()
}

/// `convert_lead`.
pub async fn convert_lead(
    client: &Bitrix24Client,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("convert_lead", input);
    let lead_id = inputs.required_id("lead_id")?;
    let given_contact = inputs.id("contact_id")?;
    // Validate every input before the first write.
    inputs.extra_fields()?;
    inputs.category("category_id")?;
    inputs.amount("opportunity")?;
    inputs.id("assigned_by_id")?;

    let lead = client
        .result("crm.lead.get", &json!({"id": lead_id}))
        .await?;
    if !lead.is_object() {
        return Err(ConnectorError::InvalidResponse(format!(
            "crm.lead.get: expected the lead, got {lead}"
        )));
    }
    let existing_deal = linked(client, "deal", lead_id, &["ID", "CONTACT_ID"]).await?;
    let deal_contact = existing_deal
        .as_ref()
        .and_then(|d| id_of(d.get("CONTACT_ID")));

    let mut contact_created = false;
    let contact_id = match given_contact
        .or(deal_contact)
        .or_else(|| id_of(lead.get("CONTACT_ID")))
    {
        Some(id) => id,
        None => match linked(client, "contact", lead_id, &["ID"]).await? {
            Some(contact) => id_of(contact.get("ID")).ok_or_else(|| {
                ConnectorError::InvalidResponse(format!(
                    "crm.contact.list: a contact without ID: {contact}"
                ))
            })?,
            None => {
                contact_created = true;
                let id = add(client, "contact", contact_fields(&lead, lead_id)).await?;
                id.as_u64().expect("ids are numbers")
            }
        },
    };

    let (deal_id, deal_created) = match &existing_deal {
        Some(deal) => {
            let id = id_of(deal.get("ID")).ok_or_else(|| {
                ConnectorError::InvalidResponse(format!("crm.deal.list: a deal without ID: {deal}"))
            })?;
            if deal_contact.is_none() {
                let mut fields = Map::new();
                fields.insert("CONTACT_IDS".into(), json!([contact_id]));
                update_fields(client, "deal", id, fields).await?;
            }
            (id, false)
        }
        None => {
            let fields = deal_fields(&inputs, &lead, lead_id, contact_id)?;
            let id = add(client, "deal", fields).await?;
            (id.as_u64().expect("ids are numbers"), true)
        }
    };

    let converted = lead.get("STATUS_ID").and_then(Value::as_str) == Some(CONVERTED);
    if !converted || id_of(lead.get("CONTACT_ID")) != Some(contact_id) {
        let mut fields = Map::new();
        fields.insert("STATUS_ID".into(), json!(CONVERTED));
        fields.insert("CONTACT_ID".into(), json!(contact_id));
        update_fields(client, "lead", lead_id, fields).await?;
    }

    let mut record = Map::new();
    record.insert("deal_id".into(), json!(deal_id));
    record.insert("contact_id".into(), json!(contact_id));
    record.insert("lead_id".into(), json!(lead_id));
    record.insert("deal_created".into(), json!(deal_created));
    record.insert("contact_created".into(), json!(contact_created));
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_made_from_a_lead_keeps_its_communications_but_not_their_ids() {
        let lead = json!({"TITLE": "Звонок", "NAME": "", "PHONE": [{"ID": "5", "VALUE_TYPE": "MOBILE", "VALUE": "+79991234567", "TYPE_ID": "PHONE"}],
                          "SOURCE_ID": "CALL", "ASSIGNED_BY_ID": "3"});
        let fields = contact_fields(&lead, 9);
        assert_eq!(
            Value::Object(fields),
            json!({"NAME": "Звонок", "SOURCE_ID": "CALL", "ASSIGNED_BY_ID": "3",
                   "PHONE": [{"VALUE": "+79991234567", "VALUE_TYPE": "MOBILE"}], "LEAD_ID": 9})
        );
    }
}
