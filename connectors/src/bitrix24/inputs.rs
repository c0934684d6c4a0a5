//! Reading a step's mapped inputs and turning them into Bitrix24 `fields`: our snake_case
//! names become Bitrix FIELD names, phones and e-mails become multi-fields
//! (`[{"VALUE","VALUE_TYPE":"WORK"}]`), ids are checked to be ids, and the open `fields`
//! object is passed through. A value of the wrong shape is a configuration error naming the
//! action and the input, raised before anything is sent.
//! Text comes from the shared [`crate::action_inputs`].

use std::ops::Deref;

use serde_json::{Map, Value, json};

use crate::action_inputs::ActionInputs;
use crate::error::ConnectorError;

/// The inputs of one action call: the shared reader plus the shapes only Bitrix24 reads.
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
        Inputs(ActionInputs::new("bitrix24", action, values))
    }

    /// A record id: a positive whole number, given as a number or as digits.
    pub fn id(&self, name: &str) -> Result<Option<u64>, ConnectorError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(id) if id > 0 => Ok(Some(id)),
            _ => Err(self.bad(
                name,
                &format!("must be a Bitrix24 id (a positive whole number), got `{text}`"),
            )),
        }
    }

    /// An id that must be given.
    pub fn required_id(&self, name: &str) -> Result<u64, ConnectorError> {
        self.id(name)?
            .ok_or_else(|| self.bad(name, "is required and was empty"))
    }

    /// A pipeline (category) id: 0 is the default pipeline.
    pub fn category(&self, name: &str) -> Result<Option<u64>, ConnectorError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        text.parse::<u64>().map(Some).map_err(|_| {
            self.bad(
                name,
                &format!("must be a pipeline id (0, 1, 2, ...), got `{text}`"),
            )
        })
    }

    /// An amount: a number, or text holding one (a decimal comma is accepted).
    pub fn amount(&self, name: &str) -> Result<Option<Value>, ConnectorError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let normalized = text.replace([' ', '\u{a0}'], "").replace(',', ".");
        match normalized.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(json!(n))),
            _ => Err(self.bad(name, &format!("must be an amount, got `{text}`"))),
        }
    }

    /// Phones or e-mails: one value or a list, as a Bitrix24 multi-field of WORK entries.
    pub fn multi_field(&self, name: &str) -> Result<Option<Value>, ConnectorError> {
        let values: Vec<String> = match self.raw(name) {
            None => return Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(self.bad(name, &format!("must be a list of text, got {other}"))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => self.text(name)?.into_iter().collect(),
        };
        let entries: Vec<Value> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| json!({"VALUE": v, "VALUE_TYPE": "WORK"}))
            .collect();
        Ok((!entries.is_empty()).then_some(Value::Array(entries)))
    }

    /// The open `fields` object: Bitrix24 FIELD names (upper case) to values.
    pub fn extra_fields(&self) -> Result<Map<String, Value>, ConnectorError> {
        let map = match self.raw("fields") {
            None => return Ok(Map::new()),
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(self.bad(
                    "fields",
                    &format!("must be an object of Bitrix24 field name → value, got {other}"),
                ));
            }
        };
        for key in map.keys() {
            let field_name = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !field_name {
                return Err(self.bad(
                    "fields",
                    &format!("has `{key}`, which is not a Bitrix24 field name (like UF_CRM_1712345678 or ORIGIN_ID)"),
                ));
            }
        }
        Ok(map.clone())
    }
}

/// How one input becomes one Bitrix24 field.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text as is.
    Text,
    /// A record id.
    Id,
    /// A pipeline id (0 allowed).
    Category,
    /// An amount.
    Amount,
    /// A WORK multi-field (phones, e-mails).
    Multi,
    /// One contact id sent as `CONTACT_IDS: [id]`.
    ContactIds,
}

/// Input name, Bitrix24 field name, conversion.
pub type FieldMap = &'static [(&'static str, &'static str, Kind)];

/// The UTM inputs every entity has.
pub const UTM: FieldMap = &[
    ("utm_source", "UTM_SOURCE", Kind::Text),
    ("utm_medium", "UTM_MEDIUM", Kind::Text),
    ("utm_campaign", "UTM_CAMPAIGN", Kind::Text),
    ("utm_content", "UTM_CONTENT", Kind::Text),
    ("utm_term", "UTM_TERM", Kind::Text),
];

/// Build the `fields` object from the inputs named in `maps` plus the open `fields`
/// input. A field given both ways is refused: which one should win is not ours to guess.
pub fn build_fields(
    inputs: &Inputs<'_>,
    maps: &[FieldMap],
) -> Result<Map<String, Value>, ConnectorError> {
    let mut fields = Map::new();
    for (input, field, kind) in maps.iter().flat_map(|m| m.iter()) {
        let value = match kind {
            Kind::Text => inputs.text(input)?.map(Value::from),
            Kind::Id => inputs.id(input)?.map(Value::from),
            Kind::Category => inputs.category(input)?.map(Value::from),
            Kind::Amount => inputs.amount(input)?,
            Kind::Multi => inputs.multi_field(input)?,
            Kind::ContactIds => inputs.id(input)?.map(|id| json!([id])),
        };
        if let Some(value) = value {
            fields.insert((*field).to_string(), value);
        }
    }
    for (key, value) in inputs.extra_fields()? {
        if fields.contains_key(&key) {
            return Err(inputs.bad(
                "fields",
                &format!("sets `{key}`, which another input of this step already sets"),
            ));
        }
        fields.insert(key, value);
    }
    Ok(fields)
}

/// An id from a Bitrix24 reply (`"37"` or `37`) as a JSON number; `Null` otherwise.
pub fn id_value(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.as_u64().is_some_and(|n| n > 0) => Value::Number(n.clone()),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Value::from)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: FieldMap = &[
        ("title", "TITLE", Kind::Text),
        ("phone", "PHONE", Kind::Multi),
        ("contact_id", "CONTACT_IDS", Kind::ContactIds),
        ("category_id", "CATEGORY_ID", Kind::Category),
        ("opportunity", "OPPORTUNITY", Kind::Amount),
    ];

    fn build(values: Value) -> Result<Map<String, Value>, ConnectorError> {
        let values = values.as_object().unwrap().clone();
        build_fields(&Inputs::new("create_deal", &values), &[MAP])
    }

    #[test]
    fn inputs_become_bitrix_fields() {
        let fields = build(
            json!({"title": " Звонок ", "phone": ["+7 999", null, ""], "contact_id": "12",
            "category_id": 0, "opportunity": "1 500,50", "fields": {"UF_CRM_1": "x"}}),
        )
        .unwrap();
        assert_eq!(
            Value::Object(fields),
            json!({"TITLE": "Звонок", "PHONE": [{"VALUE": "+7 999", "VALUE_TYPE": "WORK"}],
                   "CONTACT_IDS": [12], "CATEGORY_ID": 0, "OPPORTUNITY": 1500.5, "UF_CRM_1": "x"})
        );
    }

    #[test]
    fn bad_shapes_name_the_input() {
        let e = build(json!({"contact_id": "abc"})).unwrap_err().to_string();
        assert!(
            e.contains("create_deal") && e.contains("`contact_id`"),
            "{e}"
        );
        let e = build(json!({"fields": {"utm_source": "x"}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("utm_source"), "{e}");
        let e = build(json!({"title": "a", "fields": {"TITLE": "b"}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("TITLE"), "{e}");
        assert!(build(json!({"opportunity": "lots"})).is_err());
    }

    #[test]
    fn reply_ids_become_numbers() {
        assert_eq!(id_value(&json!("37")), json!(37));
        assert_eq!(id_value(&json!(37)), json!(37));
        assert_eq!(id_value(&json!("0")), Value::Null);
        assert_eq!(id_value(&json!("")), Value::Null);
    }
}
