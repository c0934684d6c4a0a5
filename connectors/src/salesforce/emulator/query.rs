//! `GET /query?q=<SOQL>` and its continuation `GET /query/<locator>-<offset>`.
//!
//! A query answers `{"totalSize","done","records"}`; when more records match than one
//! batch holds, the answer also has `"nextRecordsUrl": "/services/data/vNN.N/query/
//! <locator>-<offset>"` and `done: false`, and the rest is served from the cursor, one
//! batch per request. An unknown or used-up locator is `INVALID_QUERY_LOCATOR`.

use serde_json::{Value, json};

use super::api_error::ApiError;
use super::soql::{eval, parse::parse};
use super::store::Org;

/// Run `q` and answer its first batch.
pub fn start(org: &mut Org, data_prefix: &str, q: Option<&str>) -> Result<Value, ApiError> {
    let Some(text) = q.filter(|t| !t.trim().is_empty()) else {
        return Err(ApiError::new(
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    };
    let query = parse(text).map_err(|reason| ApiError::new("MALFORMED_QUERY", reason))?;
    let Some(schema) = org.schema(&query.object) else {
        return Err(ApiError::new(
            "INVALID_TYPE",
            format!(
                "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
                query.object
            ),
        ));
    };
    let records = eval::run(&query, &schema, org.rows(schema.name), data_prefix)?;
    // Locators are unique for the org's life (closed cursors never come back).
    let locator = format!("01g{}", &org.next_id("QueryLocator")[3..15]);
    Ok(batch(org, data_prefix, &locator, records, 0))
}

/// Answer the batch of `locator` starting at `offset`.
pub fn resume(org: &mut Org, data_prefix: &str, cursor: &str) -> Result<Value, ApiError> {
    let invalid = || ApiError::new("INVALID_QUERY_LOCATOR", "invalid query locator");
    let (locator, offset) = cursor.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let records = org.cursors.get(locator).cloned().ok_or_else(invalid)?;
    if offset == 0 || offset >= records.len() {
        return Err(invalid());
    }
    Ok(batch(org, data_prefix, locator, records, offset))
}

fn batch(
    org: &mut Org,
    data_prefix: &str,
    locator: &str,
    records: Vec<Value>,
    offset: usize,
) -> Value {
    let size = org.config.batch_size.max(1);
    let total = records.len();
    let end = (offset + size).min(total);
    let page: Vec<Value> = records[offset..end].to_vec();
    let mut answer = json!({"totalSize": total, "done": end >= total, "records": page});
    if end < total {
        answer["nextRecordsUrl"] = json!(format!("{data_prefix}/query/{locator}-{end}"));
        org.cursors.insert(locator.to_string(), records);
    } else {
        // The last batch closes the cursor, as Salesforce does.
        org.cursors.remove(locator);
    }
    answer
}
