//! The static description of the `amocrm` connector: its settings and its actions on
//! contacts, companies, leads (deals), tasks, notes and custom fields, with every input and
//! output field. Bundles are validated against this table and the docs page lists it.

use crate::oauth;
use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, FieldSpec, field, setting};

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

const CUSTOM_FIELDS_INPUT: FieldSpec = field(
    "custom_fields",
    false,
    "Custom fields: an object of field id (digits), field code (UPPER_CASE, e.g. UTM_SOURCE) or field name → value (a list gives several values; null values are not sent)",
);
const TAGS_INPUT: FieldSpec = field(
    "tags",
    false,
    "Tags: a list, or one string separated by `|` or `,`; on update they are added to the existing tags",
);
const EXTERNAL_ID_INPUT: FieldSpec = field(
    "external_id",
    false,
    "An id of the record in another system (a GA client id, a tracking request id), written into `external_id_field`; lookups by `external_id` compare the whole value",
);
const EXTERNAL_ID_FIELD_INPUT: FieldSpec = field(
    "external_id_field",
    false,
    "The custom field holding `external_id`: an id (digits), a code (UPPER_CASE) or a name; required with `external_id`",
);
const RESPONSIBLE_INPUT: FieldSpec = field(
    "responsible_user_id",
    false,
    "Id of the responsible amoCRM user",
);

const CUSTOM_FIELDS_BY_ID_OUTPUT: FieldSpec = field(
    "custom_fields_by_id",
    false,
    "The same values keyed by field id (for fields whose names have spaces): `custom_fields_by_id.512345`",
);

const CONTACT_OUTPUTS: &[FieldSpec] = &[
    field(
        "found",
        false,
        "Whether an existing contact was found; on create_contact, true when `dedup` found one (the fields below are then the found contact's) and absent after a create, which sets only `id` and `updated_at`",
    ),
    field("id", false, "Contact id (null when not found)"),
    field("name", false, "Full name"),
    field("first_name", false, "First name"),
    field("last_name", false, "Last name"),
    field("phone", false, "First phone as stored"),
    field("email", false, "First e-mail as stored"),
    field("responsible_user_id", false, "Responsible user id"),
    field(
        "company_id",
        false,
        "Id of the first linked company, or null",
    ),
    field("lead_ids", false, "Ids of the contact's leads"),
    field(
        "custom_fields",
        false,
        "Custom field values: an object of field name → value (a list when several)",
    ),
    CUSTOM_FIELDS_BY_ID_OUTPUT,
    field("created_at", false, "Creation time, unix seconds"),
    field("updated_at", false, "Last change, unix seconds"),
];

const COMPANY_OUTPUTS: &[FieldSpec] = &[
    field(
        "found",
        false,
        "Whether an existing company was found; on create_company, true when `dedup` found one (the fields below are then the found company's) and absent after a create, which sets only `id` and `updated_at`",
    ),
    field("id", false, "Company id (null when not found)"),
    field("name", false, "Company name"),
    field("phone", false, "First phone as stored"),
    field("email", false, "First e-mail as stored"),
    field("responsible_user_id", false, "Responsible user id"),
    field(
        "custom_fields",
        false,
        "Custom field values: field name → value",
    ),
    CUSTOM_FIELDS_BY_ID_OUTPUT,
    field("created_at", false, "Creation time, unix seconds"),
    field("updated_at", false, "Last change, unix seconds"),
];

const WRITE_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "Id of the created or changed record"),
    field(
        "updated_at",
        false,
        "Last change, unix seconds, when amoCRM reports it",
    ),
];

const LEAD_FOUND_OUTPUTS: &[FieldSpec] = &[
    field("found", false, "Whether a lead was found"),
    field("lead_id", false, "Lead id (null when not found)"),
    field("name", false, "Lead name"),
    field("price", false, "Budget"),
    field("status_id", false, "Status (pipeline stage) id"),
    field("pipeline_id", false, "Pipeline id"),
    field(
        "closed",
        false,
        "Whether the lead is closed: status 142 (won) or 143 (lost)",
    ),
    field("responsible_user_id", false, "Responsible user id"),
    field(
        "custom_fields",
        false,
        "Custom field values: field name → value",
    ),
    CUSTOM_FIELDS_BY_ID_OUTPUT,
    field("created_at", false, "Creation time, unix seconds"),
    field("updated_at", false, "Last change, unix seconds"),
    field("contact_id", false, "The contact whose lead this is"),
];

const LEAD_INPUTS: &[FieldSpec] = &[
    field("name", false, "Lead name"),
    field(
        "price",
        false,
        "Budget (whole number; a fraction is rounded)",
    ),
    field(
        "pipeline_id",
        false,
        "Pipeline id (default: the account's main pipeline)",
    ),
    field(
        "status_id",
        false,
        "Status id within the pipeline (default: its first stage)",
    ),
    RESPONSIBLE_INPUT,
    field(
        "contact_id",
        false,
        "Contact to link (an id or a list of ids)",
    ),
    field("company_id", false, "Company to link"),
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
    EXTERNAL_ID_INPUT,
    EXTERNAL_ID_FIELD_INPUT,
];

const UPDATE_LEAD_INPUTS: &[FieldSpec] = &[
    field("id", true, "Lead id"),
    field("name", false, "Lead name"),
    field(
        "price",
        false,
        "Budget (whole number; a fraction is rounded)",
    ),
    field("pipeline_id", false, "Pipeline id (to move the lead)"),
    field("status_id", false, "Status id"),
    RESPONSIBLE_INPUT,
    field("contact_id", false, "Contact to link in addition"),
    field("company_id", false, "Company to link"),
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
    EXTERNAL_ID_INPUT,
    EXTERNAL_ID_FIELD_INPUT,
];

const CONTACT_INPUTS: &[FieldSpec] = &[
    field("name", false, "Full name"),
    field("first_name", false, "First name"),
    field("last_name", false, "Last name"),
    field(
        "phone",
        false,
        "Phone (or a list), stored in the PHONE field as WORK",
    ),
    field(
        "email",
        false,
        "E-mail (or a list), stored in the EMAIL field as WORK",
    ),
    RESPONSIBLE_INPUT,
    field("company_id", false, "Company to link"),
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
    EXTERNAL_ID_INPUT,
    EXTERNAL_ID_FIELD_INPUT,
];

const UPDATE_CONTACT_INPUTS: &[FieldSpec] = &[
    field("id", true, "Contact id"),
    field("name", false, "Full name"),
    field("first_name", false, "First name"),
    field("last_name", false, "Last name"),
    field(
        "phone",
        false,
        "Phone (or a list), added to the contact's phones unless already there",
    ),
    field(
        "email",
        false,
        "E-mail (or a list), added to the contact's e-mails unless already there",
    ),
    RESPONSIBLE_INPUT,
    field("company_id", false, "Company to link"),
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
    EXTERNAL_ID_INPUT,
    EXTERNAL_ID_FIELD_INPUT,
];

const COMPANY_INPUTS: &[FieldSpec] = &[
    field("name", true, "Company name"),
    field("phone", false, "Phone (or a list), PHONE field as WORK"),
    field("email", false, "E-mail (or a list), EMAIL field as WORK"),
    RESPONSIBLE_INPUT,
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
];

const UPDATE_COMPANY_INPUTS: &[FieldSpec] = &[
    field("id", true, "Company id"),
    field("name", false, "Company name"),
    field(
        "phone",
        false,
        "Phone (or a list), added unless already there",
    ),
    field(
        "email",
        false,
        "E-mail (or a list), added unless already there",
    ),
    RESPONSIBLE_INPUT,
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
];

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
        ActionSpec {
            name: FIND_CONTACT,
            description: "Find a contact by id, then phone (last 10 digits compared), then e-mail (case-insensitive), then external id (whole value); each only when given",
            inputs: &[
                field("id", false, "Contact id"),
                field("phone", false, "Phone in any format"),
                field("email", false, "E-mail"),
                EXTERNAL_ID_INPUT,
                EXTERNAL_ID_FIELD_INPUT,
            ],
            open_inputs: false,
            outputs: CONTACT_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: CREATE_CONTACT,
            description: "Create a contact (POST /api/v4/contacts)",
            inputs: CONTACT_INPUTS,
            open_inputs: false,
            outputs: CONTACT_OUTPUTS,
            outputs_from_input: None,
            dedup: Some(DedupSpec {
                search_keys: &["phone", "email", "external_id"],
                update_action: Some(UPDATE_CONTACT),
            }),
        },
        ActionSpec {
            name: UPDATE_CONTACT,
            description: "Change a contact (PATCH /api/v4/contacts/{id}); only given fields are sent",
            inputs: UPDATE_CONTACT_INPUTS,
            open_inputs: false,
            outputs: WRITE_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: FIND_COMPANY,
            description: "Find a company by id, then phone, then e-mail, then name (exact, case-insensitive); each only when given",
            inputs: &[
                field("id", false, "Company id"),
                field("name", false, "Company name"),
                field("phone", false, "Phone in any format"),
                field("email", false, "E-mail"),
            ],
            open_inputs: false,
            outputs: COMPANY_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: CREATE_COMPANY,
            description: "Create a company (POST /api/v4/companies)",
            inputs: COMPANY_INPUTS,
            open_inputs: false,
            outputs: COMPANY_OUTPUTS,
            outputs_from_input: None,
            dedup: Some(DedupSpec {
                search_keys: &["name", "phone", "email"],
                update_action: Some(UPDATE_COMPANY),
            }),
        },
        ActionSpec {
            name: UPDATE_COMPANY,
            description: "Change a company (PATCH /api/v4/companies/{id}); only given fields are sent",
            inputs: UPDATE_COMPANY_INPUTS,
            open_inputs: false,
            outputs: WRITE_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: CREATE_LEAD,
            description: "Create a lead (POST /api/v4/leads) in a pipeline and status, linked to a contact and company",
            inputs: LEAD_INPUTS,
            open_inputs: false,
            outputs: WRITE_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: UPDATE_LEAD,
            description: "Change a lead (PATCH /api/v4/leads/{id}); only given fields are sent",
            inputs: UPDATE_LEAD_INPUTS,
            open_inputs: false,
            outputs: WRITE_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: FIND_LEAD_BY_CONTACT,
            description: "The newest lead of a contact (optionally in one pipeline, optionally open ones only)",
            inputs: &[
                field("contact_id", true, "Contact id"),
                field("pipeline_id", false, "Only leads in this pipeline"),
                field(
                    "only_open",
                    false,
                    "Skip closed leads (statuses 142 and 143); default false",
                ),
            ],
            open_inputs: false,
            outputs: LEAD_FOUND_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: FIND_NEWEST_LEAD_BY_EMAIL,
            description: "The newest lead of the contact(s) with this e-mail",
            inputs: &[
                field("email", true, "E-mail of the contact"),
                field("pipeline_id", false, "Only leads in this pipeline"),
                field(
                    "only_open",
                    false,
                    "Skip closed leads (statuses 142 and 143); default false",
                ),
            ],
            open_inputs: false,
            outputs: LEAD_FOUND_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: FIND_LEAD,
            description: "The newest lead whose `external_id_field` holds `external_id` (the whole value), with its first contact",
            inputs: &[
                field("external_id", true, "The value to find"),
                field(
                    "external_id_field",
                    true,
                    "The lead custom field holding it: an id (digits), a code (UPPER_CASE) or a name",
                ),
                field("pipeline_id", false, "Only leads in this pipeline"),
                field(
                    "only_open",
                    false,
                    "Skip closed leads (statuses 142 and 143); default false",
                ),
            ],
            open_inputs: false,
            outputs: LEAD_FOUND_OUTPUTS,
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: CREATE_TASK,
            description: "Create a task (POST /api/v4/tasks), optionally on a lead, contact or company",
            inputs: &[
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
            open_inputs: false,
            outputs: &[field("id", false, "Task id")],
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: CREATE_NOTE,
            description: "Add a note to a lead, contact or company (POST /api/v4/{entity_type}/{id}/notes)",
            inputs: &[
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
            open_inputs: false,
            outputs: &[field("id", false, "Note id")],
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: ENSURE_CUSTOM_FIELD,
            description: "Find a custom field by name, creating it when missing; cached per connection",
            inputs: &[
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
            open_inputs: false,
            outputs: &[
                field("field_id", false, "The field's id"),
                field("created", false, "Whether this call created it"),
            ],
            outputs_from_input: None,
            dedup: None,
        },
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
