//! Reading a step's mapped inputs with clear errors (action, input, what was expected);
//! such errors are never retried, so a malformed customer or order is never sent.
//! Text and ids come from the shared [`crate::action_inputs`]; custom-field objects and
//! copying texts under API names are retailCRM's own.

use std::ops::Deref;

use serde_json::{Map, Value};

use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// One action call's inputs: the shared reader plus the shapes only retailCRM reads.
pub(crate) struct Inputs<'a>(ActionInputs<'a>);

impl<'a> Inputs<'a> {
    /// Wrap the inputs `values` of `action`.
    pub(crate) fn new(action: &'a str, values: &'a Map<String, Value>) -> Self {
        Inputs(ActionInputs::new("retailcrm", action, values))
    }

    /// An integer id given as a number or as digits.
    pub(crate) fn id(&self, name: &str) -> Result<Option<i64>, ConnectorError> {
        self.whole_number(name)
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
            Some(other) => Err(self.bad(
                name,
                &format!("expected an object keyed by field code, got {other}"),
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
        let inputs = Inputs::new("create_order", map);
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
        let inputs = Inputs::new("create_customer", map.as_object().unwrap());
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
