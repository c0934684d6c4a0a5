//! Reading a step's mapped inputs: text fields, tag lists, attribute objects. A value of
//! the wrong shape is a configuration error that names the action and the field, so an
//! integrator can fix the mapping; nothing is sent.
//! Text comes from the shared [`crate::action_inputs`]; tags and attribute objects are
//! MoySklad's own.

use std::ops::Deref;

use serde_json::{Map, Value};

use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// The inputs of one action call: the shared reader plus the shapes only MoySklad reads.
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
        Inputs(ActionInputs::new("moysklad", action, values))
    }

    /// Tags: a list, or one string split on `|`; blanks dropped. `None` when absent.
    pub fn tags(&self, name: &str) -> Result<Option<Vec<String>>, ConnectorError> {
        let parts: Vec<String> = match self.raw(name) {
            None => return Ok(None),
            Some(Value::String(s)) => s.split('|').map(|t| t.trim().to_string()).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(self.bad(name, &format!("must be a list of text, got {other}"))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => Err(self.bad(
                name,
                &format!("must be a list or a `|`-separated string, got {other}"),
            ))?,
        };
        Ok(Some(parts.into_iter().filter(|t| !t.is_empty()).collect()))
    }

    /// An object input (attribute name → value). `None` when absent or null.
    pub fn object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.bad(
                name,
                &format!("must be an object of name → value, got {other}"),
            )),
        }
    }
}

/// The digits of a phone number.
pub fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// A Russian number without its country prefix: `+7 999 123-45-67`, `8 (999) 123-45-67`
/// and `9991234567` are the same subscriber. Other numbers are left as they are.
pub fn national_digits(phone: &str) -> String {
    let d = digits(phone);
    if d.len() == 11 && (d.starts_with('7') || d.starts_with('8')) {
        d[1..].to_string()
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_accept_lists_and_pipe_strings() {
        let values = json!({"a": "x| y||z", "b": ["p", 2, null], "c": {"x": 1}});
        let inputs = Inputs::new("t", values.as_object().unwrap());
        assert_eq!(inputs.tags("a").unwrap().unwrap(), vec!["x", "y", "z"]);
        assert_eq!(inputs.tags("b").unwrap().unwrap(), vec!["p", "2"]);
        assert!(inputs.tags("c").is_err());
        assert!(inputs.tags("missing").unwrap().is_none());
    }

    #[test]
    fn blank_text_is_absent_and_required_text_says_so() {
        let values = json!({"a": "  ", "n": 5});
        let inputs = Inputs::new("create_counterparty", values.as_object().unwrap());
        assert_eq!(inputs.text("a").unwrap(), None);
        assert_eq!(inputs.text("n").unwrap().as_deref(), Some("5"));
        let e = inputs.required_text("a").unwrap_err().to_string();
        assert!(
            e.contains("create_counterparty") && e.contains("`a`"),
            "{e}"
        );
    }

    #[test]
    fn phones_compare_without_country_prefix() {
        assert_eq!(national_digits("+7 (999) 123-45-67"), "9991234567");
        assert_eq!(national_digits("89991234567"), "9991234567");
        assert_eq!(national_digits("9991234567"), "9991234567");
        assert_eq!(national_digits("+380 44 123 4567"), "380441234567");
    }
}
