//! The static description of the `amocrm` connector: its settings and its actions on
//! contacts, companies, leads (deals), tasks, notes and custom fields, with every input and
//! output field. Bundles are validated against this table and the docs page lists it. The
//! field tables several actions share are in `fields`.

mod fields;

use crate::oauth;
use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, field, setting};

use fields::{
    COMPANY_INPUTS, COMPANY_OUTPUTS, CONTACT_INPUTS, CONTACT_OUTPUTS, EXTERNAL_ID_FIELD_INPUT,
    EXTERNAL_ID_INPUT, LEAD_FOUND_OUTPUTS, LEAD_INPUTS, ONLY_OPEN_INPUT, PIPELINE_FILTER_INPUT,
    RESPONSIBLE_INPUT, UPDATE_COMPANY_INPUTS, UPDATE_CONTACT_INPUTS, UPDATE_LEAD_INPUTS,
    WRITE_OUTPUTS,
};

/// Action: find a contact by phone and/or e-mail.
pub const FIND_CONTACT: &str = "find_contact";
/// Action: create a contact.
pub const CREATE_CONTACT: &str = "create_contact";
/// Action: change a contact.
pub const UPDATE_CONTACT: &str = "update_contact";
/// Action: find a company by name, phone and/or e-mail.
pub const FIND_COMPANY: &str = "find_company";
/// Action: create a company.
pub const CREATE_COMPANY: &str = "create_company";
/// Action: change a company.
pub const UPDATE_COMPANY: &str = "update_company";
/// Action: create a lead (deal).
pub const CREATE_LEAD: &str = "create_lead";
/// Action: change a lead.
pub const UPDATE_LEAD: &str = "update_lead";
/// Action: the newest lead of a contact.
pub const FIND_LEAD_BY_CONTACT: &str = "find_lead_by_contact";
/// Action: the newest lead of the contact(s) with an e-mail.
pub const FIND_NEWEST_LEAD_BY_EMAIL: &str = "find_newest_lead_by_email";
/// Action: the newest lead holding an external id.
pub const FIND_LEAD: &str = "find_lead";
/// Action: create a task.
pub const CREATE_TASK: &str = "create_task";
/// Action: add a note to a lead, contact or company.
pub const CREATE_NOTE: &str = "create_note";
/// Action: find a custom field by name, creating it when missing.
pub const ENSURE_CUSTOM_FIELD: &str = "ensure_custom_field";

/// The connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "amocrm",
    description: "amoCRM (API v4): contacts, companies, leads with pipelines, tags and custom fields, tasks, notes",
    settings: &[
        setting(
            "base_url",
            true,
            false,
            "The account address, e.g. https://example.amocrm.ru (or https://example.kommo.com)",
        ),
        setting(
            "access_token",
            true,
            true,
            "OAuth2 access token or long-lived token, sent as `Authorization: Bearer <token>`",
        ),
        oauth::REFRESH_TOKEN_SPEC,
        oauth::CLIENT_ID_SPEC,
        oauth::CLIENT_SECRET_SPEC,
        oauth::REDIRECT_URI_SPEC,
        setting(
            "utc_offset",
            false,
            false,
            "The account's time zone as an offset like +03:00, for task deadlines given as dates; default +03:00",
        ),
    ],
    triggers: &[],
    actions: &[
        ActionSpec::new(
            FIND_CONTACT,
            "Find a contact by id, then phone (last 10 digits compared), then e-mail (case-insensitive), then external id (whole value); each only when given",
            &[
                field("id", false, "Contact id"),
                field("phone", false, "Phone in any format"),
                field("email", false, "E-mail"),
                EXTERNAL_ID_INPUT,
                EXTERNAL_ID_FIELD_INPUT,
            ],
            CONTACT_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_CONTACT,
            "Create a contact (POST /api/v4/contacts)",
            CONTACT_INPUTS,
            CONTACT_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email", "external_id"],
            update_action: Some(UPDATE_CONTACT),
        }),
        ActionSpec::new(
            UPDATE_CONTACT,
            "Change a contact (PATCH /api/v4/contacts/{id}); only given fields are sent",
            UPDATE_CONTACT_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_COMPANY,
            "Find a company by id, then phone, then e-mail, then name (exact, case-insensitive); each only when given",
            &[
                field("id", false, "Company id"),
                field("name", false, "Company name"),
                field("phone", false, "Phone in any format"),
                field("email", false, "E-mail"),
            ],
            COMPANY_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_COMPANY,
            "Create a company (POST /api/v4/companies)",
            COMPANY_INPUTS,
            COMPANY_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["name", "phone", "email"],
            update_action: Some(UPDATE_COMPANY),
        }),
        ActionSpec::new(
            UPDATE_COMPANY,
            "Change a company (PATCH /api/v4/companies/{id}); only given fields are sent",
            UPDATE_COMPANY_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_LEAD,
            "Create a lead (POST /api/v4/leads) in a pipeline and status, linked to a contact and company",
            LEAD_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            UPDATE_LEAD,
            "Change a lead (PATCH /api/v4/leads/{id}); only given fields are sent",
            UPDATE_LEAD_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_LEAD_BY_CONTACT,
            "The newest lead of a contact (optionally in one pipeline, optionally open ones only)",
            &[
                field("contact_id", true, "Contact id"),
                PIPELINE_FILTER_INPUT,
                ONLY_OPEN_INPUT,
            ],
            LEAD_FOUND_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_NEWEST_LEAD_BY_EMAIL,
            "The newest lead of the contact(s) with this e-mail",
            &[
                field("email", true, "E-mail of the contact"),
                PIPELINE_FILTER_INPUT,
                ONLY_OPEN_INPUT,
            ],
            LEAD_FOUND_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_LEAD,
            "The newest lead whose `external_id_field` holds `external_id` (the whole value), with its first contact",
            &[
                field("external_id", true, "The value to find"),
                field(
                    "external_id_field",
                    true,
                    "The lead custom field holding it: an id (digits), a code (UPPER_CASE) or a name",
                ),
                PIPELINE_FILTER_INPUT,
                ONLY_OPEN_INPUT,
            ],
            LEAD_FOUND_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_TASK,
            "Create a task (POST /api/v4/tasks), optionally on a lead, contact or company",
            &[
                field("text", true, "Task text"),
                field(
                    "complete_till",
                    true,
                    "Deadline: unix seconds, RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD` (end of that day) in the account's offset",
                ),
                field("entity_id", false, "Id of the lead, contact or company"),
                field(
                    "entity_type",
                    false,
                    "leads, contacts or companies (singular accepted); required with entity_id",
                ),
                RESPONSIBLE_INPUT,
                field(
                    "task_type_id",
                    false,
                    "Task type: 1 call, 2 meeting, or an account's own type id",
                ),
                field("duration", false, "Duration in seconds"),
            ],
            &[field("id", false, "Task id")],
        ),
        ActionSpec::new(
            CREATE_NOTE,
            "Add a note to a lead, contact or company (POST /api/v4/{entity_type}/{id}/notes)",
            &[
                field(
                    "entity_type",
                    true,
                    "leads, contacts or companies (singular accepted)",
                ),
                field("entity_id", true, "Id of the lead, contact or company"),
                field("note_type", false, "common (default), call_in or call_out"),
                field("text", false, "Note text (required for common notes)"),
                field("phone", false, "Call notes: the client's phone"),
                field("duration", false, "Call notes: duration in seconds"),
                field(
                    "source",
                    false,
                    "Call notes: where the call came from (e.g. the tracking system)",
                ),
                field("link", false, "Call notes: recording URL"),
                field(
                    "uniq",
                    false,
                    "Call notes: unique call id (default: the step's idempotency key)",
                ),
                field(
                    "call_status",
                    false,
                    "Call notes: amoCRM call status code (1..7)",
                ),
                field("call_result", false, "Call notes: result text"),
            ],
            &[field("id", false, "Note id")],
        ),
        ActionSpec::new(
            ENSURE_CUSTOM_FIELD,
            "Find a custom field by name, creating it when missing; cached per connection",
            &[
                field(
                    "entity_type",
                    true,
                    "leads, contacts or companies (singular accepted)",
                ),
                field("name", true, "Field name (compared ignoring case)"),
                field(
                    "type",
                    false,
                    "Type for a new field: text (default), numeric, textarea, url, date, checkbox",
                ),
                field("code", false, "Code for a new field (UPPER_CASE)"),
            ],
            &[
                field("field_id", false, "The field's id"),
                field("created", false, "Whether this call created it"),
            ],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keys_are_declared_inputs_and_update_actions_exist() {
        for create in [CREATE_CONTACT, CREATE_COMPANY] {
            let action = SPEC.action(create).unwrap();
            let dedup = action.dedup.as_ref().unwrap();
            for key in dedup.search_keys {
                assert!(action.input(key).is_some(), "{create}: {key}");
            }
            let update = SPEC.action(dedup.update_action.unwrap()).unwrap();
            assert!(update.input("id").is_some_and(|f| f.required));
            // `on_found: update` passes the create step's inputs to the update action.
            for input in action.inputs {
                assert!(
                    update.input(input.name).is_some(),
                    "{create}: {}",
                    input.name
                );
            }
        }
    }

    #[test]
    fn action_names_are_unique() {
        let mut names: Vec<_> = SPEC.actions.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPEC.actions.len());
    }
}
