//! `find_contact_deal`: the newest deal of a contact, for "one deal per client" rules.
//! A client's new request either goes into that deal (when it is open, or always with a
//! "cyclic" deal) or opens a new one (when it is closed: won, lost or any failure stage).

use serde_json::{Map, Value, json};

use super::super::client::Bitrix24Client;
use super::super::inputs::{Inputs, id_value};
use crate::connector::Record;
use crate::error::ConnectorError;

/// What a stage means, from `STAGE_SEMANTIC_ID` (`P` in progress, `S` success, `F`
/// failure), falling back to `CLOSED` when the semantic is missing.
pub fn semantics(deal: &Value) -> &'static str {
    match deal.get("STAGE_SEMANTIC_ID").and_then(Value::as_str) {
        Some("S") => "won",
        Some("F") => "lost",
        Some("P") => "open",
        _ if is_closed_flag(deal) => "lost",
        _ => "open",
    }
}

fn is_closed_flag(deal: &Value) -> bool {
    matches!(deal.get("CLOSED").and_then(Value::as_str), Some("Y"))
}

/// `find_contact_deal`: `crm.deal.list` filtered by contact (and pipeline), newest first.
pub async fn find_contact_deal(
    client: &Bitrix24Client,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("find_contact_deal", input);
    let contact_id = inputs.required_id("contact_id")?;
    let mut filter = json!({"CONTACT_ID": contact_id});
    if let Some(category) = inputs.category("category_id")? {
        filter["CATEGORY_ID"] = json!(category);
    }
    let params = json!({
        "filter": filter,
        "order": {"ID": "DESC"},
        "select": ["ID", "STAGE_ID", "STAGE_SEMANTIC_ID", "CLOSED", "CATEGORY_ID"],
        "start": 0,
    });
    let result = client.result("crm.deal.list", &params).await?;
    let Value::Array(deals) = result else {
        return Err(ConnectorError::InvalidResponse(format!(
            "crm.deal.list: expected a list of deals, got {result}"
        )));
    };
    let mut record = Map::new();
    let Some(deal) = deals.first() else {
        for key in ["deal_id", "stage_id", "category_id", "closed", "semantics"] {
            record.insert(key.into(), Value::Null);
        }
        record.insert("found".into(), Value::Bool(false));
        return Ok(record);
    };
    let semantics = semantics(deal);
    record.insert("deal_id".into(), id_value(&deal["ID"]));
    record.insert(
        "stage_id".into(),
        deal.get("STAGE_ID").cloned().unwrap_or(Value::Null),
    );
    let category = deal
        .get("CATEGORY_ID")
        .and_then(|c| {
            c.as_str()
                .map(str::to_string)
                .or_else(|| c.as_u64().map(|n| n.to_string()))
        })
        .and_then(|c| c.parse::<u64>().ok());
    record.insert(
        "category_id".into(),
        category.map(Value::from).unwrap_or(Value::Null),
    );
    record.insert(
        "closed".into(),
        Value::Bool(is_closed_flag(deal) || semantics != "open"),
    );
    record.insert("semantics".into(), json!(semantics));
    record.insert("found".into(), Value::Bool(true));
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantics_follow_the_stage_then_the_closed_flag() {
        assert_eq!(
            semantics(&json!({"STAGE_SEMANTIC_ID": "S", "CLOSED": "Y"})),
            "won"
        );
        assert_eq!(
            semantics(&json!({"STAGE_SEMANTIC_ID": "F", "CLOSED": "Y"})),
            "lost"
        );
        assert_eq!(
            semantics(&json!({"STAGE_SEMANTIC_ID": "P", "CLOSED": "N"})),
            "open"
        );
        assert_eq!(semantics(&json!({"CLOSED": "Y"})), "lost");
        assert_eq!(semantics(&json!({"CLOSED": "N"})), "open");
    }
}
