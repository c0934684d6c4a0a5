//! The static description of the `salesforce` connector: its settings and its actions on
//! leads, contacts, opportunities, call tasks and upserts by external id, with every input
//! and output field. Bundles are validated against this table and the docs page lists it.

use crate::oauth::{CLIENT_ID_SPEC, CLIENT_SECRET_SPEC, REFRESH_TOKEN_SPEC};
use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, field, setting};

mod fields;

use fields::{
    CONTACT_INPUTS, CONTACT_OUTPUTS, FOUND, LEAD_INPUTS, LEAD_OUTPUTS, LOOKUP_INPUTS,
    OPPORTUNITY_INPUTS, OPPORTUNITY_OUTPUTS, TASK_INPUTS, UPDATE_CONTACT_INPUTS,
    UPDATE_LEAD_INPUTS, UPDATE_OPPORTUNITY_INPUTS, WRITE_OUTPUTS,
};

/// Action: find a lead by phone and/or e-mail.
pub const FIND_LEAD: &str = "find_lead";
/// Action: find a contact by phone and/or e-mail.
pub const FIND_CONTACT: &str = "find_contact";
/// Action: find a contact's opportunity (open, closed or either).
pub const FIND_OPPORTUNITY: &str = "find_opportunity";
/// Action: create a lead.
pub const CREATE_LEAD: &str = "create_lead";
/// Action: change a lead.
pub const UPDATE_LEAD: &str = "update_lead";
/// Action: create a contact.
pub const CREATE_CONTACT: &str = "create_contact";
/// Action: change a contact.
pub const UPDATE_CONTACT: &str = "update_contact";
/// Action: create an opportunity (with the contact as its primary contact role).
pub const CREATE_OPPORTUNITY: &str = "create_opportunity";
/// Action: change an opportunity.
pub const UPDATE_OPPORTUNITY: &str = "update_opportunity";
/// Action: reopen a closed opportunity by setting an open stage.
pub const REOPEN_OPPORTUNITY: &str = "reopen_opportunity";
/// Action: log a call (or any activity) as a task.
pub const CREATE_TASK: &str = "create_task";
/// Action: create or update any record by an external-id field.
pub const UPSERT_RECORD: &str = "upsert_record";

/// The `salesforce` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "salesforce",
    description: "Salesforce (REST API): leads, contacts, opportunities, call tasks, upserts by external id",
    settings: &[
        setting(
            "instance_url",
            true,
            false,
            "The org's address, e.g. https://example.my.salesforce.com",
        ),
        setting(
            "api_version",
            false,
            false,
            "REST API version (default 60.0)",
        ),
        setting(
            "access_token",
            false,
            true,
            "OAuth2 access token of the integration user (optional with `refresh_token`: the first request then obtains one)",
        ),
        REFRESH_TOKEN_SPEC,
        CLIENT_ID_SPEC,
        CLIENT_SECRET_SPEC,
        setting(
            "login_url",
            false,
            false,
            "Where tokens are refreshed (default https://login.salesforce.com; https://test.salesforce.com for sandboxes, or the org's My Domain URL)",
        ),
    ],
    triggers: &[],
    actions: &[
        ActionSpec::new(
            FIND_LEAD,
            "Find the lead with this phone or e-mail (an unconverted one first, else the newest converted one)",
            LOOKUP_INPUTS,
            LEAD_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_CONTACT,
            "Find the newest contact with this phone or e-mail",
            LOOKUP_INPUTS,
            CONTACT_OUTPUTS,
        ),
        ActionSpec::new(
            FIND_OPPORTUNITY,
            "Find a contact's opportunity through its contact roles: the newest open one, else (unless `state` says otherwise) the newest closed one",
            &[
                field("contact_id", true, "The contact"),
                field(
                    "state",
                    false,
                    "`open`, `closed` or `any` (default: an open one, else a closed one)",
                ),
            ],
            OPPORTUNITY_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_LEAD,
            "Create a lead",
            LEAD_INPUTS,
            LEAD_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email"],
            update_action: Some(UPDATE_LEAD),
        }),
        ActionSpec::new(
            UPDATE_LEAD,
            "Change fields of a lead",
            UPDATE_LEAD_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_CONTACT,
            "Create a contact",
            CONTACT_INPUTS,
            CONTACT_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email"],
            update_action: Some(UPDATE_CONTACT),
        }),
        ActionSpec::new(
            UPDATE_CONTACT,
            "Change fields of a contact",
            UPDATE_CONTACT_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_OPPORTUNITY,
            "Create an opportunity; with `contact_id`, the contact becomes its primary contact role",
            OPPORTUNITY_INPUTS,
            OPPORTUNITY_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["contact_id"],
            update_action: Some(UPDATE_OPPORTUNITY),
        }),
        ActionSpec::new(
            UPDATE_OPPORTUNITY,
            "Change fields of an opportunity (stage, close date, amount, ...)",
            UPDATE_OPPORTUNITY_INPUTS,
            WRITE_OUTPUTS,
        ),
        ActionSpec::new(
            REOPEN_OPPORTUNITY,
            "Reopen an opportunity: set an open stage (checked against the org's stages) and optionally a new close date",
            &[
                field("id", true, "Opportunity id"),
                field("stage_name", true, "The open stage to move it to"),
                field("close_date", false, "New close date"),
            ],
            &[
                field("id", false, "Opportunity id"),
                field("stage_name", false, "The stage it is in now"),
                field(
                    "was_closed",
                    false,
                    "Whether it was closed before (false: it was open and is left as it was)",
                ),
            ],
        ),
        ActionSpec::new(
            CREATE_TASK,
            "Log a call as a completed task (TaskSubtype Call) on a lead or contact and an opportunity",
            TASK_INPUTS,
            &[FOUND, field("id", false, "Task id")],
        )
        .with_dedup(DedupSpec {
            search_keys: &["call_object"],
            update_action: None,
        }),
        ActionSpec::new(
            UPSERT_RECORD,
            "Create or update a record by an external-id field (PATCH /sobjects/<Type>/<Field>/<value>)",
            &[
                field("sobject", true, "Object API name, e.g. `Lead` or `Call__c`"),
                field(
                    "external_id_field",
                    true,
                    "The external-id field, e.g. `UniTalk_Id__c`",
                ),
                field("external_id", true, "Its value"),
                field(
                    "fields",
                    true,
                    "The record's fields by API name (the external-id field itself is taken from the URL)",
                ),
            ],
            &[
                field("id", false, "Record id"),
                field(
                    "created",
                    false,
                    "Whether the record was created (else updated)",
                ),
            ],
        ),
    ],
};
