//! The static description of the `bitrix24` connector: the incoming-webhook setting and
//! the lead / contact / deal actions with every input and output field. Bundles are
//! validated against this table and the docs page lists it.

use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, FieldSpec, field, setting};

/// Action: search leads, contacts and companies by phone and/or e-mail.
pub const FIND_DUPLICATES: &str = "find_duplicates";
/// Action: create a lead.
pub const CREATE_LEAD: &str = "create_lead";
/// Action: change a lead.
pub const UPDATE_LEAD: &str = "update_lead";
/// Action: create a contact.
pub const CREATE_CONTACT: &str = "create_contact";
/// Action: change a contact.
pub const UPDATE_CONTACT: &str = "update_contact";
/// Action: create a deal.
pub const CREATE_DEAL: &str = "create_deal";
/// Action: change a deal.
pub const UPDATE_DEAL: &str = "update_deal";
/// Action: the newest deal of a contact, with its stage and whether it is closed.
pub const FIND_CONTACT_DEAL: &str = "find_contact_deal";
/// Action: turn a lead into a deal (and a contact).
pub const CONVERT_LEAD: &str = "convert_lead";

const UTM_SOURCE: FieldSpec = field("utm_source", false, "UTM_SOURCE");
const UTM_MEDIUM: FieldSpec = field("utm_medium", false, "UTM_MEDIUM");
const UTM_CAMPAIGN: FieldSpec = field("utm_campaign", false, "UTM_CAMPAIGN");
const UTM_CONTENT: FieldSpec = field("utm_content", false, "UTM_CONTENT");
const UTM_TERM: FieldSpec = field("utm_term", false, "UTM_TERM");

const FIELDS_INPUT: FieldSpec = field(
    "fields",
    false,
    "More Bitrix24 fields by their own names, passed as they are (UF_CRM_* custom fields, ORIGIN_ID, ...)",
);

const ID_OUTPUT: &[FieldSpec] = &[field("id", false, "Id of the record (a number)")];

const LEAD_INPUTS: &[FieldSpec] = &[
    field("title", true, "TITLE: the lead's name in lists"),
    field("name", false, "NAME: first name"),
    field("last_name", false, "LAST_NAME"),
    field(
        "phone",
        false,
        "PHONE: one number or a list, stored as WORK phones",
    ),
    field(
        "email",
        false,
        "EMAIL: one address or a list, stored as WORK e-mails",
    ),
    field(
        "source_id",
        false,
        "SOURCE_ID (e.g. CALL, WEB, ADVERTISING)",
    ),
    field("status_id", false, "STATUS_ID (default NEW)"),
    field(
        "assigned_by_id",
        false,
        "ASSIGNED_BY_ID: responsible user id",
    ),
    field("opportunity", false, "OPPORTUNITY: amount"),
    field("currency_id", false, "CURRENCY_ID (e.g. RUB)"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

const UPDATE_LEAD_INPUTS: &[FieldSpec] = &[
    field("id", true, "Lead id"),
    field("title", false, "TITLE"),
    field("name", false, "NAME"),
    field("last_name", false, "LAST_NAME"),
    field("phone", false, "PHONE: numbers added to the lead"),
    field("email", false, "EMAIL: addresses added to the lead"),
    field("source_id", false, "SOURCE_ID"),
    field("status_id", false, "STATUS_ID"),
    field("assigned_by_id", false, "ASSIGNED_BY_ID"),
    field("opportunity", false, "OPPORTUNITY"),
    field("currency_id", false, "CURRENCY_ID"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

const CONTACT_INPUTS: &[FieldSpec] = &[
    field("name", false, "NAME: first name"),
    field("last_name", false, "LAST_NAME"),
    field("second_name", false, "SECOND_NAME: patronymic"),
    field("phone", false, "PHONE: one number or a list (WORK)"),
    field("email", false, "EMAIL: one address or a list (WORK)"),
    field("source_id", false, "SOURCE_ID"),
    field("assigned_by_id", false, "ASSIGNED_BY_ID"),
    field("lead_id", false, "LEAD_ID: the lead this contact came from"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

const UPDATE_CONTACT_INPUTS: &[FieldSpec] = &[
    field("id", true, "Contact id"),
    field("name", false, "NAME"),
    field("last_name", false, "LAST_NAME"),
    field("second_name", false, "SECOND_NAME"),
    field("phone", false, "PHONE: numbers added to the contact"),
    field("email", false, "EMAIL: addresses added to the contact"),
    field("source_id", false, "SOURCE_ID"),
    field("assigned_by_id", false, "ASSIGNED_BY_ID"),
    field("lead_id", false, "LEAD_ID"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

const DEAL_INPUTS: &[FieldSpec] = &[
    field("title", true, "TITLE"),
    field(
        "category_id",
        false,
        "CATEGORY_ID: the pipeline (0 is the default pipeline)",
    ),
    field(
        "stage_id",
        false,
        "STAGE_ID: the stage (NEW in pipeline 0, C1:NEW in pipeline 1, ...); default: the pipeline's first stage",
    ),
    field(
        "contact_id",
        false,
        "The deal's contact (sent as CONTACT_IDS)",
    ),
    field("company_id", false, "COMPANY_ID"),
    field("lead_id", false, "LEAD_ID: the lead the deal came from"),
    field("assigned_by_id", false, "ASSIGNED_BY_ID"),
    field("opportunity", false, "OPPORTUNITY: amount"),
    field("currency_id", false, "CURRENCY_ID"),
    field("source_id", false, "SOURCE_ID"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

const UPDATE_DEAL_INPUTS: &[FieldSpec] = &[
    field("id", true, "Deal id"),
    field("title", false, "TITLE"),
    field(
        "stage_id",
        false,
        "STAGE_ID: a stage of the deal's own pipeline",
    ),
    field(
        "contact_id",
        false,
        "The deal's contact (sent as CONTACT_IDS)",
    ),
    field("company_id", false, "COMPANY_ID"),
    field("assigned_by_id", false, "ASSIGNED_BY_ID"),
    field("opportunity", false, "OPPORTUNITY"),
    field("currency_id", false, "CURRENCY_ID"),
    field("source_id", false, "SOURCE_ID"),
    field("comments", false, "COMMENTS"),
    UTM_SOURCE,
    UTM_MEDIUM,
    UTM_CAMPAIGN,
    UTM_CONTENT,
    UTM_TERM,
    FIELDS_INPUT,
];

/// The connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "bitrix24",
    description: "Bitrix24 CRM through an incoming webhook: leads, contacts, deals in pipelines, duplicate search, lead conversion",
    settings: &[setting(
        "webhook_url",
        true,
        true,
        "The whole incoming-webhook address, https://<portal>/rest/<user id>/<code>/ (the code is the credential)",
    )],
    triggers: &[],
    actions: &[
        ActionSpec::new(
            FIND_DUPLICATES,
            "Search leads, contacts and companies by phone and/or e-mail (crm.duplicate.findbycomm)",
            &[
                field("phone", false, "Phone to search by"),
                field("email", false, "E-mail to search by"),
                field(
                    "entity_type",
                    false,
                    "Search only LEAD, CONTACT or COMPANY records (default: all)",
                ),
            ],
            &[
                field("found", false, "Whether any record was found"),
                field("contact_id", false, "First contact found (null if none)"),
                field("lead_id", false, "First lead found (null if none)"),
                field("company_id", false, "First company found (null if none)"),
            ],
        ),
        ActionSpec::new(
            CREATE_LEAD,
            "Create a lead (crm.lead.add)",
            LEAD_INPUTS,
            ID_OUTPUT,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email"],
            update_action: Some(UPDATE_LEAD),
        }),
        ActionSpec::new(
            UPDATE_LEAD,
            "Change a lead (crm.lead.update); only given fields are sent",
            UPDATE_LEAD_INPUTS,
            ID_OUTPUT,
        ),
        ActionSpec::new(
            CREATE_CONTACT,
            "Create a contact (crm.contact.add)",
            CONTACT_INPUTS,
            ID_OUTPUT,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email"],
            update_action: Some(UPDATE_CONTACT),
        }),
        ActionSpec::new(
            UPDATE_CONTACT,
            "Change a contact (crm.contact.update); only given fields are sent",
            UPDATE_CONTACT_INPUTS,
            ID_OUTPUT,
        ),
        ActionSpec::new(
            CREATE_DEAL,
            "Create a deal in a pipeline and stage (crm.deal.add)",
            DEAL_INPUTS,
            ID_OUTPUT,
        ),
        ActionSpec::new(
            UPDATE_DEAL,
            "Change a deal, e.g. move it to a stage (crm.deal.update); only given fields are sent",
            UPDATE_DEAL_INPUTS,
            ID_OUTPUT,
        ),
        ActionSpec::new(
            FIND_CONTACT_DEAL,
            "The contact's newest deal, optionally in one pipeline, with its stage and whether it is closed (crm.deal.list)",
            &[
                field("contact_id", true, "Contact id"),
                field("category_id", false, "Only deals of this pipeline"),
            ],
            &[
                field("found", false, "Whether the contact has a deal"),
                field("deal_id", false, "Id of the newest deal (null if none)"),
                field("stage_id", false, "Its STAGE_ID"),
                field("category_id", false, "Its CATEGORY_ID"),
                field(
                    "closed",
                    false,
                    "Whether it is closed (won, lost or any failure stage)",
                ),
                field(
                    "semantics",
                    false,
                    "`open`, `won` or `lost` (from STAGE_SEMANTIC_ID P / S / F)",
                ),
            ],
        ),
        ActionSpec::new(
            CONVERT_LEAD,
            "Convert a lead: reuse or create its contact, create its deal (LEAD_ID), mark the lead CONVERTED; safe to repeat",
            &[
                field("lead_id", true, "Lead id"),
                field("category_id", false, "The deal's pipeline"),
                field("stage_id", false, "The deal's stage"),
                field("title", false, "The deal's TITLE (default: the lead's)"),
                field(
                    "contact_id",
                    false,
                    "An existing contact to use instead of one made from the lead",
                ),
                field(
                    "assigned_by_id",
                    false,
                    "ASSIGNED_BY_ID of the deal (default: the lead's)",
                ),
                field(
                    "opportunity",
                    false,
                    "The deal's OPPORTUNITY (default: the lead's)",
                ),
                field("comments", false, "The deal's COMMENTS"),
                FIELDS_INPUT,
            ],
            &[
                field("deal_id", false, "The lead's deal"),
                field("contact_id", false, "The deal's contact"),
                field("lead_id", false, "The converted lead"),
                field(
                    "deal_created",
                    false,
                    "False when the lead already had a deal (a repeated conversion)",
                ),
                field(
                    "contact_created",
                    false,
                    "True when a contact was made from the lead's data",
                ),
            ],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keys_are_declared_inputs_and_update_actions_exist() {
        for action in SPEC.actions {
            if let Some(dedup) = &action.dedup {
                for key in dedup.search_keys {
                    assert!(action.input(key).is_some(), "{}: {key}", action.name);
                }
                let update = SPEC.action(dedup.update_action.unwrap()).unwrap();
                for key in dedup.search_keys {
                    assert!(update.input(key).is_some(), "{}: {key}", update.name);
                }
            }
        }
    }

    #[test]
    fn every_action_name_is_unique() {
        let mut names: Vec<_> = SPEC.actions.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPEC.actions.len());
    }
}
