//! Reading a step's mapped inputs: text fields, tag lists, attribute objects. A value of
//! the wrong shape is a configuration error that names the action and the field, so an
//! integrator can fix the mapping; nothing is sent.

use serde_json::{Map, Value};

use crate::error::ConnectorError;

/// The inputs of one action call, with the action name for messages.
pub struct Inputs<'a> {
    action: &'a str,
    values: &'a Map<String, Value>,
}

impl<'a> Inputs<'a> {
    /// Wrap an action's inputs.
    pub fn new(action: &'a str, values: &'a Map<String, Value>) -> Self {
        Inputs { action, values }
    }

    fn bad(&self, name: &str, what: &str) -> ConnectorError {
        ConnectorError::Config(format!("moysklad.{}: input `{name}` {what}", self.action))
    }

    /// A text input; numbers and booleans are rendered as text; null, absent and
    /// blank are `None`.
    pub fn text(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.bad(name, &format!("must be text, got {other}"))),
        }
    }

    /// A text input that must be present and not blank.
    pub fn required_text(&self, name: &str) -> Result<String, ConnectorError> {
        self.text(name)?
            .ok_or_else(|| self.bad(name, "is required and was empty"))
    }

    /// Tags: a list, or one string split on `|`; blanks dropped. `None` when absent.
    pub fn tags(&self, name: &str) -> Result<Option<Vec<String>>, ConnectorError> {
        let parts: Vec<String> = match self.values.get(name) {
            None | Some(Value::Null) => return Ok(None),
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
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
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
