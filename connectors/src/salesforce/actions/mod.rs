//! What steps do, one module per kind of record:
//! - `lookups`: leads and contacts by phone (on its digits, see `phone`) or e-mail;
//! - `records`: create / update of leads, contacts and opportunities, and upserts by an
//!   external-id field;
//! - `opportunities`: a contact's opportunity through its contact roles, and reopening;
//! - `tasks`: calls logged as tasks, found again by their call id.
//!
//! Every action answers a [`Record`] of snake_case outputs declared in `spec`; API field
//! names are turned into them by [`outputs`].

pub mod lookups;
pub mod opportunities;
pub mod records;
pub mod tasks;

use std::sync::Mutex;

use serde_json::{Value, json};

use super::client::SalesforceClient;
use crate::connector::Record;

/// One API field and the output it becomes.
pub type OutputField = (&'static str, &'static str);

/// The org's opportunity stages `(api name, label, is closed)`, read once per connection
/// (stages change rarely, and reopening checks every call against them).
pub type Stages = Vec<(String, String, bool)>;

/// A connection's state beside its client.
pub struct Salesforce {
    /// The HTTP client.
    pub client: SalesforceClient,
    /// The opportunity stages once read.
    pub stages: Mutex<Option<Stages>>,
}

/// The outputs of a record: each API field under its output name (null when absent).
pub fn outputs(record: &Value, fields: &[OutputField]) -> Record {
    let mut out = Record::new();
    for (api, name) in fields {
        out.insert(
            (*name).to_string(),
            record.get(*api).cloned().unwrap_or(Value::Null),
        );
    }
    out
}

/// The outputs of "nothing found": `found: false` and every field null.
pub fn not_found(fields: &[OutputField]) -> Record {
    let mut out = outputs(&json!({}), fields);
    out.insert("found".into(), Value::Bool(false));
    out
}

/// The API field names of an output table, for the SELECT list.
pub fn select_list(fields: &[OutputField]) -> Vec<&'static str> {
    fields.iter().map(|(api, _)| *api).collect()
}
