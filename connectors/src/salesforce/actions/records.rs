//! Creating and changing leads, contacts and opportunities, and upserts by an external-id
//! field. Named inputs map to API fields through the tables below; `fields` adds any
//! other field (custom `*__c` fields included) by its API name.
//!
//! An opportunity created with `contact_id` gets that contact as its primary
//! `OpportunityContactRole`: that is how Salesforce ties opportunities to contacts, and
//! how `find_opportunity` finds them again.

use serde_json::{Map, Value, json};

use super::Salesforce;
use crate::connector::Record;
use crate::error::ConnectorError;
use crate::salesforce::inputs::{FIELDS_INPUT, Inputs, Kind, Mapped, mapped};
use crate::salesforce::spec;

/// Lead inputs and their fields.
pub const LEAD_MAPPING: &[Mapped] = &[
    mapped("last_name", "LastName", Kind::Text),
    mapped("first_name", "FirstName", Kind::Text),
    mapped("company", "Company", Kind::Text),
    mapped("phone", "Phone", Kind::Text),
    mapped("mobile_phone", "MobilePhone", Kind::Text),
    mapped("email", "Email", Kind::Text),
    mapped("status", "Status", Kind::Text),
    mapped("lead_source", "LeadSource", Kind::Text),
    mapped("owner_id", "OwnerId", Kind::Id),
    mapped("description", "Description", Kind::Text),
];

/// Contact inputs and their fields.
pub const CONTACT_MAPPING: &[Mapped] = &[
    mapped("last_name", "LastName", Kind::Text),
    mapped("first_name", "FirstName", Kind::Text),
    mapped("phone", "Phone", Kind::Text),
    mapped("mobile_phone", "MobilePhone", Kind::Text),
    mapped("email", "Email", Kind::Text),
    mapped("account_id", "AccountId", Kind::Id),
    mapped("lead_source", "LeadSource", Kind::Text),
    mapped("owner_id", "OwnerId", Kind::Id),
    mapped("description", "Description", Kind::Text),
];

/// Opportunity inputs and their fields (`contact_id` is not a field: it makes a role).
pub const OPPORTUNITY_MAPPING: &[Mapped] = &[
    mapped("name", "Name", Kind::Text),
    mapped("stage_name", "StageName", Kind::Text),
    mapped("close_date", "CloseDate", Kind::Date),
    mapped("amount", "Amount", Kind::Number),
    mapped("account_id", "AccountId", Kind::Id),
    mapped("lead_source", "LeadSource", Kind::Text),
    mapped("owner_id", "OwnerId", Kind::Id),
    mapped("description", "Description", Kind::Text),
];

/// Which record a create / update action works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// `Lead`.
    Lead,
    /// `Contact`.
    Contact,
    /// `Opportunity`.
    Opportunity,
}

impl Object {
    fn object(self) -> &'static str {
        match self {
            Object::Lead => "Lead",
            Object::Contact => "Contact",
            Object::Opportunity => "Opportunity",
        }
    }

    fn mapping(self) -> &'static [Mapped] {
        match self {
            Object::Lead => LEAD_MAPPING,
            Object::Contact => CONTACT_MAPPING,
            Object::Opportunity => OPPORTUNITY_MAPPING,
        }
    }
}

/// `create_lead`, `create_contact`, `create_opportunity`.
pub async fn create(
    sf: &Salesforce,
    kind: Object,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let contact = match kind {
        Object::Opportunity => inputs.id("contact_id")?,
        _ => None,
    };
    let body = inputs.body(kind.mapping())?;
    let id = sf
        .client
        .create(kind.object(), &Value::Object(body.clone()))
        .await?;
    let mut out = Record::new();
    out.insert("found".into(), Value::Bool(false));
    out.insert("id".into(), json!(id));
    if kind == Object::Opportunity {
        for (field, name) in [
            ("Name", "name"),
            ("StageName", "stage_name"),
            ("CloseDate", "close_date"),
            ("Amount", "amount"),
        ] {
            out.insert(name.into(), body.get(field).cloned().unwrap_or(Value::Null));
        }
        if let Some(contact) = contact {
            let role = json!({"OpportunityId": id, "ContactId": contact, "IsPrimary": true});
            sf.client.create("OpportunityContactRole", &role).await?;
        }
    }
    Ok(out)
}

/// `update_lead`, `update_contact`, `update_opportunity`: only inputs with a value are
/// sent; an update with nothing to change sends nothing.
pub async fn update(
    sf: &Salesforce,
    kind: Object,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(action, input);
    let id = inputs.required_id("id")?;
    let body = inputs.body(kind.mapping())?;
    if !body.is_empty() {
        sf.client
            .update(kind.object(), &id, &Value::Object(body))
            .await?;
    }
    let mut out = Record::new();
    out.insert("id".into(), json!(id));
    Ok(out)
}

/// `upsert_record`.
pub async fn upsert(sf: &Salesforce, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(spec::UPSERT_RECORD, input);
    let object = inputs
        .api_name("sobject")?
        .ok_or_else(|| inputs.bad("sobject", "is required and was empty"))?;
    let field = inputs
        .api_name("external_id_field")?
        .ok_or_else(|| inputs.bad("external_id_field", "is required and was empty"))?;
    let value = inputs.required_text("external_id")?;
    let mut body = inputs.body(&[])?;
    if !input.get(FIELDS_INPUT).is_some_and(Value::is_object) {
        return Err(inputs.bad(FIELDS_INPUT, "is required: the record's fields by API name"));
    }
    // Salesforce takes the external id from the URL and refuses it in the body too.
    body.retain(|key, _| !key.eq_ignore_ascii_case(&field));
    let (id, created) = sf
        .client
        .upsert(&object, &field, &value, &Value::Object(body))
        .await?;
    let mut out = Record::new();
    out.insert("id".into(), json!(id));
    out.insert("created".into(), json!(created));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mapped input is declared on the create action that uses it, so the tables and
    /// the spec cannot drift apart.
    #[test]
    fn mapped_inputs_are_declared_in_the_spec() {
        for (action, kind) in [
            (spec::CREATE_LEAD, Object::Lead),
            (spec::UPDATE_LEAD, Object::Lead),
            (spec::CREATE_CONTACT, Object::Contact),
            (spec::UPDATE_CONTACT, Object::Contact),
            (spec::CREATE_OPPORTUNITY, Object::Opportunity),
        ] {
            let declared = spec::SPEC.action(action).unwrap();
            for m in kind.mapping() {
                assert!(
                    declared.input(m.input).is_some(),
                    "{action} does not declare `{}`",
                    m.input
                );
            }
        }
    }
}
