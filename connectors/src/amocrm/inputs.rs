//! Reading a step's mapped inputs: text, ids, numbers, tag lists, entity types, phones.
//! A value of the wrong shape is a configuration error naming the action and the field,
//! so an integrator can fix the mapping; nothing is sent.
//! Text comes from the shared [`crate::action_inputs`].

use std::ops::Deref;

use serde_json::{Map, Value};

use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// The amoCRM entity types actions work on, with their API path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    /// Leads (deals).
    Leads,
    /// Contacts.
    Contacts,
    /// Companies.
    Companies,
}

impl EntityType {
    /// The path segment and `_embedded` key (`leads`, `contacts`, `companies`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Leads => "leads",
            EntityType::Contacts => "contacts",
            EntityType::Companies => "companies",
        }
    }

    /// `leads`/`lead`/`deals`/`deal`, `contacts`/`contact`, `companies`/`company`.
    pub fn parse(text: &str) -> Option<EntityType> {
        match text.trim().to_lowercase().as_str() {
            "leads" | "lead" | "deals" | "deal" => Some(EntityType::Leads),
            "contacts" | "contact" => Some(EntityType::Contacts),
            "companies" | "company" => Some(EntityType::Companies),
            _ => None,
        }
    }
}

/// The inputs of one action call: the shared reader plus the shapes only amoCRM reads.
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
        Inputs(ActionInputs::new("amocrm", action, values))
    }

    /// An amoCRM id: a positive whole number, or text holding one.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(value) => parse_id(value).map(Some).ok_or_else(|| {
                self.bad(
                    name,
                    &format!("must be an amoCRM id (a positive whole number), got {value}"),
                )
            }),
        }
    }

    /// An id that must be present.
    pub fn required_id(&self, name: &str) -> Result<i64, ConnectorError> {
        self.id(name)?
            .ok_or_else(|| self.bad(name, "is required and was empty"))
    }

    /// One id or a list of ids.
    pub fn ids(&self, name: &str) -> Result<Vec<i64>, ConnectorError> {
        match self.raw(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
                .map(|v| {
                    parse_id(v)
                        .ok_or_else(|| self.bad(name, &format!("must hold amoCRM ids, got {v}")))
                })
                .collect(),
            _ => Ok(self.id(name)?.into_iter().collect()),
        }
    }

    /// A whole number (budget, duration): numbers or numeric text, a decimal comma
    /// accepted, fractions rounded.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        // Below 9·10^15 (just under 2^53) every whole f64 is exact, so rounding gives the
        // number that was meant.
        Ok(self.number_below(name, 9.0e15)?.map(|n| n.round() as i64))
    }

    /// A yes/no input: booleans, `true`/`false`/`1`/`0`/`yes`/`no`.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(self.bad(name, &format!("must be true or false, got {s:?}"))),
            },
            Some(other) => Err(self.bad(name, &format!("must be true or false, got {other}"))),
        }
    }

    /// One text or a list of texts (phones, e-mails); blanks dropped.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, ConnectorError> {
        match self.raw(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(self.bad(
                        name,
                        &format!("must be text or a list of text, got {other}"),
                    )),
                })
                .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
                .collect(),
            _ => Ok(self.text(name)?.into_iter().collect()),
        }
    }

    /// Tags: a list, or one string split on `|` or `,`; blanks dropped. `None` when absent.
    pub fn tags(&self, name: &str) -> Result<Option<Vec<String>>, ConnectorError> {
        let parts: Vec<String> = match self.raw(name) {
            None => return Ok(None),
            Some(Value::String(s)) => s.split(['|', ',']).map(|t| t.trim().to_string()).collect(),
            Some(Value::Array(_)) => self.texts(name)?,
            Some(other) => {
                return Err(self.bad(
                    name,
                    &format!("must be a list or a `|`/`,`-separated string, got {other}"),
                ));
            }
        };
        let mut tags: Vec<String> = Vec::new();
        for tag in parts.into_iter().filter(|t| !t.is_empty()) {
            if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
                tags.push(tag);
            }
        }
        Ok(Some(tags))
    }

    /// An object input (field → value). `None` when absent or null.
    pub fn object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.bad(
                name,
                &format!("must be an object of field → value, got {other}"),
            )),
        }
    }

    /// An entity type input.
    pub fn entity_type(&self, name: &str) -> Result<Option<EntityType>, ConnectorError> {
        match self.text(name)? {
            None => Ok(None),
            Some(text) => EntityType::parse(&text).map(Some).ok_or_else(|| {
                self.bad(
                    name,
                    &format!("must be leads, contacts or companies, got {text:?}"),
                )
            }),
        }
    }

    /// An entity type that must be present.
    pub fn required_entity_type(&self, name: &str) -> Result<EntityType, ConnectorError> {
        self.entity_type(name)?
            .ok_or_else(|| self.bad(name, "is required (leads, contacts or companies)"))
    }
}

/// A positive whole number from a JSON number or digits.
pub fn parse_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The digits of a phone number.
pub fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// What two phones are compared by: their last 10 digits (the subscriber number without a
/// country prefix: `+7 999 123-45-67` and `8 (999) 1234567` are the same), or all digits
/// of a shorter number.
pub fn phone_key(phone: &str) -> String {
    let d = digits(phone);
    if d.len() > 10 {
        d[d.len() - 10..].to_string()
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(values: &Value) -> Inputs<'_> {
        Inputs::new("create_lead", values.as_object().unwrap())
    }

    #[test]
    fn ids_numbers_and_flags_accept_text_forms() {
        let v = json!({"a": "17", "b": 18, "c": "x", "d": [1, "2", null], "e": "", "p": "1 500,50", "f": "yes"});
        let i = inputs(&v);
        assert_eq!(i.id("a").unwrap(), Some(17));
        assert_eq!(i.id("b").unwrap(), Some(18));
        assert_eq!(i.id("e").unwrap(), None);
        let e = i.id("c").unwrap_err().to_string();
        assert!(e.contains("amocrm.create_lead") && e.contains("`c`"), "{e}");
        assert_eq!(i.ids("d").unwrap(), vec![1, 2]);
        assert_eq!(i.integer("p").unwrap(), Some(1501));
        assert_eq!(i.flag("f").unwrap(), Some(true));
        assert!(i.integer("c").is_err());
    }

    #[test]
    fn tags_split_on_pipes_and_commas_without_duplicates() {
        let v = json!({"a": "Alfa-Track| звонок, ,alfa-track", "b": ["x", 2], "c": 5});
        let i = inputs(&v);
        assert_eq!(i.tags("a").unwrap().unwrap(), vec!["Alfa-Track", "звонок"]);
        assert_eq!(i.tags("b").unwrap().unwrap(), vec!["x", "2"]);
        assert!(i.tags("c").is_err());
        assert!(i.tags("none").unwrap().is_none());
    }

    #[test]
    fn phones_compare_by_the_last_ten_digits() {
        assert_eq!(phone_key("+7 (999) 123-45-67"), "9991234567");
        assert_eq!(phone_key("8 999 1234567"), "9991234567");
        assert_eq!(phone_key("12-34"), "1234");
        assert_eq!(EntityType::parse("Deal"), Some(EntityType::Leads));
        assert_eq!(EntityType::parse("company"), Some(EntityType::Companies));
        assert_eq!(EntityType::parse("tasks"), None);
    }
}
