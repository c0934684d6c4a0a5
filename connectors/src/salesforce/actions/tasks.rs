//! Calls logged as tasks. A logged call is a finished activity, so a task is created
//! `Completed` with `TaskSubtype = Call` unless the step says otherwise; `CallType` takes
//! Salesforce's picklist values `Inbound` / `Outbound` / `Internal` (the usual spellings
//! of a direction are accepted and translated). `CallObject` carries the call's id in
//! the telephony system, and duplicate search finds the task again by it, so a call
//! whose step outcome was lost is never logged twice.

use serde_json::{Map, Value, json};

use super::Salesforce;
use crate::connector::{Found, Record};
use crate::error::ConnectorError;
use crate::salesforce::client::MAX_QUERY_PAGES;
use crate::salesforce::inputs::{Inputs, Kind, Mapped, mapped};
use crate::salesforce::soql::{Select, quote};
use crate::salesforce::spec;

/// The status a logged call gets by default.
pub const DEFAULT_STATUS: &str = "Completed";
/// The subtype a logged call gets by default.
pub const DEFAULT_SUBTYPE: &str = "Call";

/// Task inputs and their fields (`call_type` is translated separately).
pub const TASK_MAPPING: &[Mapped] = &[
    mapped("subject", "Subject", Kind::Text),
    mapped("description", "Description", Kind::Text),
    mapped("who_id", "WhoId", Kind::Id),
    mapped("what_id", "WhatId", Kind::Id),
    mapped("owner_id", "OwnerId", Kind::Id),
    mapped("activity_date", "ActivityDate", Kind::Date),
    mapped("status", "Status", Kind::Text),
    mapped("priority", "Priority", Kind::Text),
    mapped("call_duration", "CallDurationInSeconds", Kind::Integer),
    mapped("call_disposition", "CallDisposition", Kind::Text),
    mapped("call_object", "CallObject", Kind::Text),
    mapped("task_subtype", "TaskSubtype", Kind::Text),
];

/// `inbound`, `incoming`, `in`, `IN` → `Inbound`; the outbound spellings → `Outbound`;
/// `internal` → `Internal`.
fn call_type(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().as_str() {
        "inbound" | "incoming" | "in" | "входящий" => Some("Inbound"),
        "outbound" | "outgoing" | "out" | "исходящий" => Some("Outbound"),
        "internal" | "inner" => Some("Internal"),
        _ => None,
    }
}

/// `create_task`.
pub async fn create(sf: &Salesforce, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(spec::CREATE_TASK, input);
    inputs.required_text("subject")?;
    let mut body = inputs.body(TASK_MAPPING)?;
    if let Some(raw) = inputs.text("call_type")? {
        let value = call_type(&raw).ok_or_else(|| {
            inputs.bad(
                "call_type",
                &format!("must be Inbound, Outbound or Internal, got {raw:?}"),
            )
        })?;
        if body.contains_key("CallType") {
            return Err(inputs.bad(
                "fields",
                "sets CallType which `call_type` already sets; keep one",
            ));
        }
        body.insert("CallType".into(), json!(value));
    }
    body.entry("Status")
        .or_insert_with(|| json!(DEFAULT_STATUS));
    body.entry("TaskSubtype")
        .or_insert_with(|| json!(DEFAULT_SUBTYPE));
    let id = sf.client.create("Task", &Value::Object(body)).await?;
    let mut out = Record::new();
    out.insert("found".into(), Value::Bool(false));
    out.insert("id".into(), json!(id));
    Ok(out)
}

/// The duplicate search of `create_task` by `call_object`.
pub async fn find_by_call_object(
    sf: &Salesforce,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    let call = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if call.is_empty() {
        return Ok(None);
    }
    let soql = Select {
        fields: &["Id"],
        object: "Task",
        condition: format!("CallObject = {}", quote(&call)),
        order_by: "CreatedDate DESC",
        limit: 1,
    }
    .render();
    let found = sf.client.query(&soql, MAX_QUERY_PAGES).await?;
    Ok(found.first().map(|task| {
        let mut out = Record::new();
        out.insert("found".into(), Value::Bool(true));
        out.insert("id".into(), task.get("Id").cloned().unwrap_or(Value::Null));
        out
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_translate_to_the_call_type_picklist() {
        assert_eq!(call_type("IN"), Some("Inbound"));
        assert_eq!(call_type(" outgoing "), Some("Outbound"));
        assert_eq!(call_type("Inbound"), Some("Inbound"));
        assert_eq!(call_type("sideways"), None);
    }

    #[test]
    fn every_mapped_task_input_is_declared() {
        let action = spec::SPEC.action(spec::CREATE_TASK).unwrap();
        for m in TASK_MAPPING {
            assert!(action.input(m.input).is_some(), "{}", m.input);
        }
    }
}
