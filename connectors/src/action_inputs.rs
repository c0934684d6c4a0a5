//! Reading one action call's mapped inputs the way every connector does: null and absent
//! are the same, text is trimmed and blank text is absent, numbers and booleans given where
//! text is expected are rendered. A value of the wrong shape is a configuration error that
//! names the connector, the action and the input (``amocrm.create_lead: input `phone` ...``),
//! so an integrator can fix the mapping; it is never retried and nothing is sent.
//!
//! Each connector wraps [`ActionInputs`] in its own `Inputs` for the shapes only it reads
//! (amounts, tags, entity types, multi-fields).

use serde_json::{Map, Value};

use crate::error::ConnectorError;

/// The inputs of one action call, with the connector and action names for messages.
#[derive(Debug, Clone, Copy)]
pub struct ActionInputs<'a> {
    connector: &'static str,
    action: &'a str,
    values: &'a Map<String, Value>,
}

impl<'a> ActionInputs<'a> {
    /// Wrap the inputs `values` of `connector`'s `action`.
    pub fn new(connector: &'static str, action: &'a str, values: &'a Map<String, Value>) -> Self {
        ActionInputs {
            connector,
            action,
            values,
        }
    }

    /// The action's name.
    pub fn action(&self) -> &'a str {
        self.action
    }

    /// A present, non-null input as given.
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// A configuration error about input `name`: ``<connector>.<action>: input `name` what``.
    pub fn bad(&self, name: &str, what: &str) -> ConnectorError {
        self.invalid(&format!("input `{name}` {what}"))
    }

    /// A configuration error about the call as a whole.
    pub fn invalid(&self, what: &str) -> ConnectorError {
        ConnectorError::Config(format!("{}.{}: {what}", self.connector, self.action))
    }

    /// A text input; numbers and booleans are rendered as text; null, absent and blank
    /// are `None`.
    pub fn text(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
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

    /// A number given as a JSON number or as text, where spaces and no-break spaces (between
    /// thousands) and a decimal comma are accepted; blank text is absent. A magnitude of
    /// `limit` or more is refused like text that is no number, so that the caller's
    /// conversion (to whole units, to the vendor's field) cannot overflow.
    pub fn number_below(&self, name: &str, limit: f64) -> Result<Option<f64>, ConnectorError> {
        let number = match self.raw(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .replace([' ', '\u{a0}'], "")
                .replace(',', ".")
                .parse::<f64>()
                .ok(),
            Some(_) => None,
        };
        match number {
            Some(n) if n.is_finite() && n.abs() < limit => Ok(Some(n)),
            _ => Err(self.bad(
                name,
                &format!(
                    "must be a number, got {}",
                    self.raw(name).unwrap_or(&Value::Null)
                ),
            )),
        }
    }

    /// A whole number given as a JSON number or as digits; blank text is absent.
    pub fn whole_number(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(name, &format!("{n} is not a whole number"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.bad(name, &format!("{s:?} is not a whole number"))),
            Some(other) => Err(self.bad(name, &format!("expected a number, got {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(values: Value, run: impl FnOnce(ActionInputs<'_>)) {
        let values = values.as_object().cloned().expect("object");
        run(ActionInputs::new("crm", "create_deal", &values));
    }

    #[test]
    fn text_is_trimmed_rendered_and_blank_is_absent() {
        check(
            json!({"a": "  x ", "b": 42, "c": true, "d": "   ", "e": null, "f": [1]}),
            |inputs| {
                assert_eq!(inputs.text("a").unwrap().as_deref(), Some("x"));
                assert_eq!(inputs.text("b").unwrap().as_deref(), Some("42"));
                assert_eq!(inputs.text("c").unwrap().as_deref(), Some("true"));
                assert_eq!(inputs.text("d").unwrap(), None);
                assert_eq!(inputs.text("e").unwrap(), None);
                assert_eq!(inputs.text("missing").unwrap(), None);
                let error = inputs.text("f").unwrap_err().to_string();
                assert!(
                    error.contains("crm.create_deal: input `f` must be text, got [1]"),
                    "{error}"
                );
                let error = inputs.required_text("d").unwrap_err().to_string();
                assert!(error.contains("`d` is required"), "{error}");
            },
        );
    }

    #[test]
    fn numbers_take_thousands_spaces_and_a_decimal_comma_below_the_limit() {
        check(
            json!({"n": 2.5, "s": "1 500,50", "nbsp": "1\u{a0}000", "blank": " ", "big": 1.0e16,
                   "word": "many", "list": [1]}),
            |inputs| {
                assert_eq!(inputs.number_below("n", 1.0e15).unwrap(), Some(2.5));
                assert_eq!(inputs.number_below("s", 1.0e15).unwrap(), Some(1500.5));
                assert_eq!(inputs.number_below("nbsp", 1.0e15).unwrap(), Some(1000.0));
                assert_eq!(inputs.number_below("blank", 1.0e15).unwrap(), None);
                assert_eq!(inputs.number_below("missing", 1.0e15).unwrap(), None);
                let error = inputs.number_below("big", 1.0e15).unwrap_err().to_string();
                assert!(error.contains("input `big` must be a number"), "{error}");
                assert!(inputs.number_below("word", 1.0e15).is_err());
                assert!(inputs.number_below("list", 1.0e15).is_err());
            },
        );
    }

    #[test]
    fn whole_numbers_come_as_numbers_or_digits() {
        check(
            json!({"n": 7, "s": " 12 ", "blank": "", "frac": 1.5, "word": "seven", "list": []}),
            |inputs| {
                assert_eq!(inputs.whole_number("n").unwrap(), Some(7));
                assert_eq!(inputs.whole_number("s").unwrap(), Some(12));
                assert_eq!(inputs.whole_number("blank").unwrap(), None);
                assert!(inputs.whole_number("frac").is_err());
                assert!(inputs.whole_number("word").is_err());
                assert!(inputs.whole_number("list").is_err());
            },
        );
    }
}
