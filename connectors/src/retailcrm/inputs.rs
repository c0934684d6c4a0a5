//! Reading a step's mapped inputs with clear errors (action, input, what was expected);
//! such errors are never retried, so a malformed customer or order is never sent.

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

    /// An object input (custom fields keyed by code); null members are dropped so an
    /// unmapped source field does not blank a CRM field.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, ConnectorError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                let kept: Map<String, Value> = map
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Some(kept).filter(|m| !m.is_empty()))
            }
            Some(other) => Err(self.invalid(
                name,
                &format!("expected an object keyed by field code, got {other}"),
            )),
        }
    }

    /// The error for a bad input.
    pub(crate) fn invalid(&self, name: &str, why: &str) -> ConnectorError {
        ConnectorError::Config(format!("retailcrm.{}: input `{name}` {why}", self.action))
    }
}

/// Copy text inputs into an entity under their API names, skipping absent ones.
pub(crate) fn put_texts(
    inputs: &Inputs<'_>,
    entity: &mut Map<String, Value>,
    pairs: &[(&str, &str)],
) -> Result<(), ConnectorError> {
    for (input, api_name) in pairs {
        if let Some(value) = inputs.text(input)? {
            entity.insert((*api_name).to_string(), Value::String(value));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_drop_null_members_and_reject_other_shapes() {
        let map =
            json!({"cf": {"tags": "a|b", "gclid": null}, "empty": {"x": null}, "bad": "tags"});
        let map = map.as_object().unwrap();
        let inputs = Inputs {
            action: "create_order",
            map,
        };
        assert_eq!(
            Value::Object(inputs.object("cf").unwrap().unwrap()),
            json!({"tags": "a|b"})
        );
        assert_eq!(inputs.object("empty").unwrap(), None);
        let error = inputs.object("bad").unwrap_err().to_string();
        assert!(
            error.contains("retailcrm.create_order: input `bad`"),
            "{error}"
        );
    }

    #[test]
    fn texts_are_copied_under_api_names() {
        let map = json!({"first_name": "Ivan", "last_name": "", "phone": 79161234567_i64});
        let inputs = Inputs {
            action: "create_customer",
            map: map.as_object().unwrap(),
        };
        let mut entity = Map::new();
        put_texts(
            &inputs,
            &mut entity,
            &[
                ("first_name", "firstName"),
                ("last_name", "lastName"),
                ("phone", "phone"),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(entity),
            json!({"firstName": "Ivan", "phone": "79161234567"})
        );
    }
}
