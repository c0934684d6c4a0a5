//! A contact's opportunities, and reopening a closed one.
//!
//! Salesforce ties opportunities to contacts through `OpportunityContactRole`, so a
//! contact's opportunities are read in two queries: the roles' `OpportunityId`s, then the
//! opportunities with those ids (`IsClosed` / `IsWon` say whether each is open, won or
//! lost). Reopening sets an open stage; the stage is checked against the org's
//! `OpportunityStage` records first, because a closed stage would not reopen anything and
//! an unknown one is refused by Salesforce only after the request.

use serde_json::{Map, Value, json};

use super::{OutputField, Salesforce, Stages, not_found, outputs, select_list};
use crate::connector::{Found, Record};
use crate::error::ConnectorError;
use crate::salesforce::client::MAX_QUERY_PAGES;
use crate::salesforce::inputs::Inputs;
use crate::salesforce::soql::{Select, is_record_id, quote};
use crate::salesforce::spec;

/// How many roles / opportunities of one contact are read.
const MAX_PER_CONTACT: usize = 200;

const OPPORTUNITY_FIELDS: &[OutputField] = &[
    ("Id", "id"),
    ("Name", "name"),
    ("StageName", "stage_name"),
    ("IsClosed", "is_closed"),
    ("IsWon", "is_won"),
    ("CloseDate", "close_date"),
    ("Amount", "amount"),
    ("OwnerId", "owner_id"),
    ("AccountId", "account_id"),
    ("CreatedDate", "created_date"),
];

/// Which opportunities a search accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
    /// An open one first, else a closed one.
    Any,
}

/// `find_opportunity`.
pub async fn find(sf: &Salesforce, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(spec::FIND_OPPORTUNITY, input);
    let contact = inputs.required_id("contact_id")?;
    let state = match inputs.text("state")?.map(|s| s.to_lowercase()).as_deref() {
        None | Some("any") => State::Any,
        Some("open") => State::Open,
        Some("closed") => State::Closed,
        Some(other) => {
            return Err(inputs.bad(
                "state",
                &format!("must be open, closed or any, got {other:?}"),
            ));
        }
    };
    Ok(match newest_for_contact(sf, &contact, state).await? {
        Some(found) => found,
        None => not_found(OPPORTUNITY_FIELDS),
    })
}

/// The duplicate search of `create_opportunity` by `contact_id`: the contact's newest
/// *open* opportunity. A closed one is not a duplicate: the next call gets a new
/// opportunity (S2.3 "create new"), or is reopened by an explicit step.
pub async fn open_for_contact(
    sf: &Salesforce,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    let contact = value.as_str().unwrap_or_default().trim();
    if !is_record_id(contact) {
        return Err(ConnectorError::Config(format!(
            "salesforce.create_opportunity: `contact_id` {value} is not a record id"
        )));
    }
    newest_for_contact(sf, contact, State::Open).await
}

async fn newest_for_contact(
    sf: &Salesforce,
    contact: &str,
    state: State,
) -> Result<Option<Found>, ConnectorError> {
    let roles = Select {
        fields: &["OpportunityId"],
        object: "OpportunityContactRole",
        condition: format!("ContactId = {}", quote(contact)),
        order_by: "CreatedDate DESC",
        limit: MAX_PER_CONTACT,
    }
    .render();
    let mut ids: Vec<String> = Vec::new();
    for role in sf.client.query(&roles, MAX_QUERY_PAGES).await? {
        if let Some(id) = role.get("OpportunityId").and_then(Value::as_str)
            && is_record_id(id)
            && !ids.iter().any(|known| known == id)
        {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Ok(None);
    }
    let mut condition = format!(
        "Id IN ({})",
        ids.iter()
            .map(|id| quote(id))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match state {
        State::Open => condition.push_str(" AND IsClosed = false"),
        State::Closed => condition.push_str(" AND IsClosed = true"),
        State::Any => {}
    }
    let fields = select_list(OPPORTUNITY_FIELDS);
    let soql = Select {
        fields: &fields,
        object: "Opportunity",
        condition,
        order_by: "CreatedDate DESC",
        limit: MAX_PER_CONTACT,
    }
    .render();
    let found = sf.client.query(&soql, MAX_QUERY_PAGES).await?;
    // Newest first already; for `Any`, an open one wins over a newer closed one.
    let chosen = found
        .iter()
        .find(|o| state != State::Any || o.get("IsClosed") != Some(&Value::Bool(true)))
        .or(found.first());
    Ok(chosen.map(|record| {
        let mut out = outputs(record, OPPORTUNITY_FIELDS);
        out.insert("found".into(), Value::Bool(true));
        out
    }))
}

/// `reopen_opportunity`.
pub async fn reopen(sf: &Salesforce, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(spec::REOPEN_OPPORTUNITY, input);
    let id = inputs.required_id("id")?;
    let wanted = inputs.required_text("stage_name")?;
    let close_date = inputs.date("close_date")?;
    let stages = stages(sf).await?;
    let Some((api_name, _, closed)) = stages.iter().find(|(api, label, _)| {
        api.eq_ignore_ascii_case(&wanted) || label.eq_ignore_ascii_case(&wanted)
    }) else {
        let open: Vec<&str> = stages
            .iter()
            .filter(|s| !s.2)
            .map(|s| s.0.as_str())
            .collect();
        return Err(inputs.bad(
            "stage_name",
            &format!(
                "{wanted:?} is not an active stage of this org; open stages: {}",
                open.join(", ")
            ),
        ));
    };
    if *closed {
        return Err(inputs.bad(
            "stage_name",
            &format!("{api_name:?} is a closed stage; reopening needs an open one"),
        ));
    }
    let current = Select {
        fields: &["Id", "StageName", "IsClosed"],
        object: "Opportunity",
        condition: format!("Id = {}", quote(&id)),
        order_by: "",
        limit: 1,
    }
    .render();
    let Some(current) = sf.client.query(&current, 1).await?.into_iter().next() else {
        return Err(ConnectorError::Rejected {
            status: 404,
            body: format!("opportunity {id} does not exist"),
        });
    };
    let was_closed = current.get("IsClosed") == Some(&Value::Bool(true));
    let mut stage = current.get("StageName").cloned().unwrap_or(Value::Null);
    if was_closed {
        let mut body = json!({"StageName": api_name});
        if let Some(date) = close_date {
            body["CloseDate"] = json!(date.to_string());
        }
        sf.client.update("Opportunity", &id, &body).await?;
        stage = json!(api_name);
    }
    let mut out = Record::new();
    out.insert("id".into(), json!(id));
    out.insert("stage_name".into(), stage);
    out.insert("was_closed".into(), json!(was_closed));
    Ok(out)
}

/// The org's active stages, read once per connection.
async fn stages(sf: &Salesforce) -> Result<Stages, ConnectorError> {
    if let Some(known) = sf.stages.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        return Ok(known);
    }
    let soql = Select {
        fields: &["ApiName", "MasterLabel", "IsClosed"],
        object: "OpportunityStage",
        condition: "IsActive = true".into(),
        order_by: "SortOrder ASC",
        limit: 200,
    }
    .render();
    let read: Stages = sf
        .client
        .query(&soql, MAX_QUERY_PAGES)
        .await?
        .iter()
        .filter_map(|s| {
            let api = s.get("ApiName").and_then(Value::as_str)?;
            let label = s.get("MasterLabel").and_then(Value::as_str).unwrap_or(api);
            let closed = s.get("IsClosed").and_then(Value::as_bool).unwrap_or(false);
            Some((api.to_string(), label.to_string(), closed))
        })
        .collect();
    *sf.stages.lock().unwrap_or_else(|p| p.into_inner()) = Some(read.clone());
    Ok(read)
}
