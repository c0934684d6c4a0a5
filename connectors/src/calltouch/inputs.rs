//! Reading a step's mapped inputs with clear errors: every problem names the action, the
//! input and what was expected, and is never retried (the item fails visibly instead of
//! sending a malformed deal).

use serde_json::{Map, Value};

use crate::error::ConnectorError;

/// One action call's inputs.
pub(crate) struct Inputs<'a> {
    pub action: &'static str,
    pub map: &'a Map<String, Value>,
}

impl<'a> Inputs<'a> {
    /// A present, non-null input.
    pub(crate) fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An input as text; empty text counts as absent. Numbers and booleans are rendered.
    pub(crate) fn text(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.invalid(name, &format!("expected text, got {other}"))),
        }
    }

    /// A required text input.
    pub(crate) fn require_text(&self, name: &str) -> Result<String, ConnectorError> {
        self.text(name)?
            .ok_or_else(|| self.invalid(name, "is required and was empty"))
    }

    /// An integer id given as a number or as digits.
    pub(crate) fn id(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.invalid(name, &format!("{n} is not a whole number"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.invalid(name, &format!("{s:?} is not a whole number"))),
            Some(other) => Err(self.invalid(name, &format!("expected a number, got {other}"))),
        }
    }

    /// A money amount as a decimal string with two places (`15000.00`). Text may use a
    /// decimal comma and spaces between thousands.
    pub(crate) fn decimal(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        let amount = match self.raw(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => {
                let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                cleaned.replace(',', ".").parse::<f64>().ok()
            }
            Some(_) => None,
        };
        match amount {
            Some(a) if a.is_finite() => Ok(Some(format!("{a:.2}"))),
            _ => Err(self.invalid(
                name,
                &format!(
                    "{} is not an amount",
                    self.raw(name).unwrap_or(&Value::Null)
                ),
            )),
        }
    }

    /// The error for a bad input.
    pub(crate) fn invalid(&self, name: &str, why: &str) -> ConnectorError {
        ConnectorError::Config(format!("calltouch.{}: input `{name}` {why}", self.action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(map: &Map<String, Value>) -> Inputs<'_> {
        Inputs {
            action: "create_deal",
            map,
        }
    }

    #[test]
    fn amounts_become_two_place_decimals() {
        let map = json!({"a": 0, "b": "15 000,5", "c": 18000.25, "d": "lots", "e": ""});
        let map = map.as_object().unwrap();
        let i = inputs(map);
        assert_eq!(i.decimal("a").unwrap().as_deref(), Some("0.00"));
        assert_eq!(i.decimal("b").unwrap().as_deref(), Some("15000.50"));
        assert_eq!(i.decimal("c").unwrap().as_deref(), Some("18000.25"));
        assert_eq!(i.decimal("e").unwrap(), None);
        let error = i.decimal("d").unwrap_err().to_string();
        assert!(
            error.contains("calltouch.create_deal: input `d`"),
            "{error}"
        );
    }

    #[test]
    fn ids_accept_numbers_and_digit_strings_only() {
        let map = json!({"a": 5501, "b": "5502", "c": "55x", "d": 1.5});
        let map = map.as_object().unwrap();
        let i = inputs(map);
        assert_eq!(i.id("a").unwrap(), Some(5501));
        assert_eq!(i.id("b").unwrap(), Some(5502));
        assert!(i.id("c").is_err());
        assert!(i.id("d").is_err());
        assert_eq!(i.id("missing").unwrap(), None);
    }

    #[test]
    fn text_rejects_objects_and_treats_blank_as_absent() {
        let map = json!({"a": " x ", "b": "  ", "c": {"k": 1}, "d": 7});
        let map = map.as_object().unwrap();
        let i = inputs(map);
        assert_eq!(i.text("a").unwrap().as_deref(), Some("x"));
        assert_eq!(i.text("b").unwrap(), None);
        assert_eq!(i.text("d").unwrap().as_deref(), Some("7"));
        assert!(i.text("c").is_err());
        assert!(i.require_text("b").is_err());
    }
}
