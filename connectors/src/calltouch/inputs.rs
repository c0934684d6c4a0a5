//! Reading a step's mapped inputs with clear errors: every problem names the action, the
//! input and what was expected, and is never retried (the item fails visibly instead of
//! sending a malformed deal).
//! Text and ids come from the shared [`crate::action_inputs`]; amounts are Calltouch's own.

use std::ops::Deref;

use serde_json::{Map, Value};

use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// One action call's inputs: the shared reader plus the shapes only Calltouch reads.
pub(crate) struct Inputs<'a>(ActionInputs<'a>);

impl<'a> Inputs<'a> {
    /// Wrap the inputs `values` of `action`.
    pub(crate) fn new(action: &'a str, values: &'a Map<String, Value>) -> Self {
        Inputs(ActionInputs::new("calltouch", action, values))
    }

    /// An integer id given as a number or as digits.
    pub(crate) fn id(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        self.whole_number(name)
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
            _ => Err(self.bad(
                name,
                &format!(
                    "{} is not an amount",
                    self.raw(name).unwrap_or(&Value::Null)
                ),
            )),
        }
    }
}

impl<'a> Deref for Inputs<'a> {
    type Target = ActionInputs<'a>;

    fn deref(&self) -> &ActionInputs<'a> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(map: &Map<String, Value>) -> Inputs<'_> {
        Inputs::new("create_deal", map)
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
        assert!(i.required_text("b").is_err());
    }
}
