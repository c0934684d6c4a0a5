//! Reading a step's mapped inputs and turning them into a Salesforce record body: our
//! snake_case inputs become API field names (`last_name` → `LastName`), ids are checked
//! to be record ids, dates become `YYYY-MM-DD`, and the open `fields` object (custom
//! `*__c` fields and any other field by its API name) is merged in. A value of the wrong
//! shape is a configuration error naming the action and the input, raised before
//! anything is sent. Inputs without a value (absent, null, blank) are left out, so an
//! update never clears a field by accident. Text comes from the shared
//! [`crate::action_inputs`].

use std::ops::Deref;

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use super::soql::{is_api_name, is_record_id};
use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// The input holding extra fields by their API names.
pub const FIELDS_INPUT: &str = "fields";

/// How an input's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (numbers and booleans rendered as text).
    Text,
    /// A record id (15 or 18 letters and digits).
    Id,
    /// A number (a decimal comma and spaces accepted).
    Number,
    /// A whole number (fractions rounded).
    Integer,
    /// A date: `YYYY-MM-DD`, or a date-time whose date part is taken.
    Date,
}

/// One named input and the API field it fills.
#[derive(Debug, Clone, Copy)]
pub struct Mapped {
    /// The input name.
    pub input: &'static str,
    /// The Salesforce field.
    pub field: &'static str,
    /// How the value is read.
    pub kind: Kind,
}

/// Shorthand for the mapping tables.
pub const fn mapped(input: &'static str, field: &'static str, kind: Kind) -> Mapped {
    Mapped { input, field, kind }
}

/// The inputs of one action call: the shared reader plus the shapes only Salesforce reads
/// (record ids, API names, dates, record bodies).
pub struct Inputs<'a>(ActionInputs<'a>);

impl<'a> Deref for Inputs<'a> {
    type Target = ActionInputs<'a>;

    fn deref(&self) -> &ActionInputs<'a> {
        &self.0
    }
}

impl<'a> Inputs<'a> {
    /// Wrap the inputs `values` of `action`.
    pub fn new(action: &'a str, values: &'a Map<String, Value>) -> Self {
        Inputs(ActionInputs::new("salesforce", action, values))
    }

    /// A record id.
    pub fn id(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        match self.text(name)? {
            None => Ok(None),
            Some(id) if is_record_id(&id) => Ok(Some(id)),
            Some(other) => Err(self.bad(
                name,
                &format!(
                    "must be a Salesforce record id (15 or 18 letters and digits), got {other:?}"
                ),
            )),
        }
    }

    /// A record id that must be present.
    pub fn required_id(&self, name: &str) -> Result<String, ConnectorError> {
        self.id(name)?
            .ok_or_else(|| self.bad(name, "is required and was empty"))
    }

    /// An API name (`Call_Id__c`).
    pub fn api_name(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        match self.text(name)? {
            None => Ok(None),
            Some(text) if is_api_name(&text) => Ok(Some(text)),
            Some(other) => Err(self.bad(
                name,
                &format!(
                    "must be a Salesforce API name (letters, digits, underscores), got {other:?}"
                ),
            )),
        }
    }

    /// One input read as `kind`, as the JSON value Salesforce takes.
    pub fn value(&self, name: &str, kind: Kind) -> Result<Option<Value>, ConnectorError> {
        Ok(match kind {
            Kind::Text => self.text(name)?.map(Value::String),
            Kind::Id => self.id(name)?.map(Value::String),
            Kind::Number => self
                .number(name)?
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)),
            Kind::Integer => self.number(name)?.map(|n| Value::from(n.round() as i64)),
            Kind::Date => self.date(name)?.map(|d| Value::String(d.to_string())),
        })
    }

    /// A number of magnitude below 10^15: beyond that an f64 no longer tells cents apart,
    /// so a larger value is taken for a mapping mistake.
    fn number(&self, name: &str) -> Result<Option<f64>, ConnectorError> {
        self.number_below(name, 1.0e15)
    }

    /// A date input: `YYYY-MM-DD`, or an RFC 3339 / `YYYY-MM-DD HH:MM:SS` date-time whose
    /// date is taken as written (no time-zone shift: the source's local date is the day
    /// the call happened).
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, ConnectorError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let parsed = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .or_else(|| {
                DateTime::parse_from_rfc3339(&text)
                    .ok()
                    .map(|d| d.date_naive())
            })
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|d| d.date())
            });
        parsed.map(Some).ok_or_else(|| {
            self.bad(
                name,
                &format!("must be a date like 2024-05-14 (or a date-time), got {text:?}"),
            )
        })
    }

    /// The record body: every mapped input that has a value under its API name, then the
    /// `fields` object. A field given both ways, or a `fields` key that is not an API
    /// name, is refused.
    pub fn body(&self, mapping: &[Mapped]) -> Result<Map<String, Value>, ConnectorError> {
        let mut body = Map::new();
        for m in mapping {
            if let Some(value) = self.value(m.input, m.kind)? {
                body.insert(m.field.to_string(), value);
            }
        }
        match self.raw(FIELDS_INPUT) {
            None => {}
            Some(Value::Object(extra)) => {
                for (key, value) in extra {
                    if !is_api_name(key) {
                        return Err(self.bad(
                            FIELDS_INPUT,
                            &format!("key {key:?} is not a Salesforce field API name"),
                        ));
                    }
                    if body.contains_key(key) {
                        return Err(self.bad(
                            FIELDS_INPUT,
                            &format!("sets {key} which another input already sets; keep one"),
                        ));
                    }
                    if !value.is_null() && value.as_str().is_none_or(|s| !s.trim().is_empty()) {
                        body.insert(key.clone(), value.clone());
                    }
                }
            }
            Some(other) => {
                return Err(self.bad(
                    FIELDS_INPUT,
                    &format!("must be an object of API field name → value, got {other}"),
                ));
            }
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(value: &Value) -> Inputs<'_> {
        Inputs::new("create_lead", value.as_object().unwrap())
    }

    #[test]
    fn bodies_map_names_and_merge_custom_fields() {
        let value = json!({
            "last_name": "Shevchenko", "phone": "", "amount": "1 500,50",
            "close_date": "2024-05-14T10:31:05+03:00", "owner_id": null,
            "fields": {"Call_Id__c": "c-1", "Empty__c": " ", "Gone__c": null}
        });
        let mapping = [
            mapped("last_name", "LastName", Kind::Text),
            mapped("phone", "Phone", Kind::Text),
            mapped("amount", "Amount", Kind::Number),
            mapped("close_date", "CloseDate", Kind::Date),
            mapped("owner_id", "OwnerId", Kind::Id),
        ];
        let body = inputs(&value).body(&mapping).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"LastName": "Shevchenko", "Amount": 1500.5, "CloseDate": "2024-05-14", "Call_Id__c": "c-1"})
        );
    }

    #[test]
    fn bad_values_name_the_action_and_input() {
        let value =
            json!({"owner_id": "005' OR 1=1", "fields": {"LastName": "x"}, "last_name": "y"});
        let err = inputs(&value).id("owner_id").unwrap_err().to_string();
        assert!(
            err.contains("salesforce.create_lead: input `owner_id`"),
            "{err}"
        );
        let err = inputs(&value)
            .body(&[mapped("last_name", "LastName", Kind::Text)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("sets LastName"), "{err}");
        let value = json!({"fields": {"Bad Name": 1}, "d": "14.05.2024"});
        assert!(inputs(&value).body(&[]).is_err());
        assert!(inputs(&value).date("d").is_err());
    }
}
