//! The amoCRM field tables several actions share: the inputs every write takes (custom
//! fields, tags, external ids, the responsible user), the inputs of each entity's create and
//! update, and the outputs of reads, writes and lead searches.

use crate::spec::{FieldSpec, field};

pub(super) const CUSTOM_FIELDS_INPUT: FieldSpec = field(
    "custom_fields",
    false,
    "Custom fields: an object of field id (digits), field code (UPPER_CASE, e.g. UTM_SOURCE) or field name → value (a list gives several values; null values are not sent)",
);
pub(super) const TAGS_INPUT: FieldSpec = field(
    "tags",
    false,
    "Tags: a list, or one string separated by `|` or `,`; on update they are added to the existing tags",
);
pub(super) const EXTERNAL_ID_INPUT: FieldSpec = field(
    "external_id",
    false,
    "An id of the record in another system (a GA client id, a tracking request id), written into `external_id_field`; lookups by `external_id` compare the whole value",
);
pub(super) const EXTERNAL_ID_FIELD_INPUT: FieldSpec = field(
    "external_id_field",
    false,
    "The custom field holding `external_id`: an id (digits), a code (UPPER_CASE) or a name; required with `external_id`",
);
pub(super) const RESPONSIBLE_INPUT: FieldSpec = field(
    "responsible_user_id",
    false,
    "Id of the responsible amoCRM user",
);

pub(super) const CUSTOM_FIELDS_BY_ID_OUTPUT: FieldSpec = field(
    "custom_fields_by_id",
    false,
    "The same values keyed by field id (for fields whose names have spaces): `custom_fields_by_id.512345`",
);

pub(super) const CONTACT_OUTPUTS: &[FieldSpec] = &[
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

pub(super) const COMPANY_OUTPUTS: &[FieldSpec] = &[
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

pub(super) const WRITE_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "Id of the created or changed record"),
    field(
        "updated_at",
        false,
        "Last change, unix seconds, when amoCRM reports it",
    ),
];

pub(super) const LEAD_FOUND_OUTPUTS: &[FieldSpec] = &[
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

pub(super) const LEAD_INPUTS: &[FieldSpec] = &[
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

pub(super) const UPDATE_LEAD_INPUTS: &[FieldSpec] = &[
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

pub(super) const CONTACT_INPUTS: &[FieldSpec] = &[
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

pub(super) const UPDATE_CONTACT_INPUTS: &[FieldSpec] = &[
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

pub(super) const COMPANY_INPUTS: &[FieldSpec] = &[
    field("name", true, "Company name"),
    field("phone", false, "Phone (or a list), PHONE field as WORK"),
    field("email", false, "E-mail (or a list), EMAIL field as WORK"),
    RESPONSIBLE_INPUT,
    TAGS_INPUT,
    CUSTOM_FIELDS_INPUT,
];

pub(super) const UPDATE_COMPANY_INPUTS: &[FieldSpec] = &[
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

/// Narrowing of the newest-lead searches to one pipeline.
pub(super) const PIPELINE_FILTER_INPUT: FieldSpec =
    field("pipeline_id", false, "Only leads in this pipeline");
/// Skipping closed leads in the newest-lead searches.
pub(super) const ONLY_OPEN_INPUT: FieldSpec = field(
    "only_open",
    false,
    "Skip closed leads (statuses 142 and 143); default false",
);
