//! The input and output field tables of the `salesforce` actions, shared between the
//! actions that take or give the same fields.

use crate::spec::{FieldSpec, field};

const FIELDS: FieldSpec = field(
    "fields",
    false,
    "More fields by their Salesforce API names, sent as given: custom fields (`Call_Id__c`), picklists, anything the inputs do not name. Null and blank values are not sent",
);
const OWNER: FieldSpec = field("owner_id", false, "Owner (a User id, `005...`)");
const PHONE: FieldSpec = field("phone", false, "Phone, stored as given");
const MOBILE: FieldSpec = field("mobile_phone", false, "Mobile phone, stored as given");
const EMAIL: FieldSpec = field("email", false, "E-mail");
const DESCRIPTION: FieldSpec = field("description", false, "Description");
const LEAD_SOURCE: FieldSpec = field("lead_source", false, "Lead source picklist value");
const ID_OUT: FieldSpec = field("id", false, "Record id (null when not found)");
pub(super) const FOUND: FieldSpec = field(
    "found",
    false,
    "Whether a record was found (lookups and reused duplicates)",
);
const MATCHED_BY: FieldSpec = field(
    "matched_by",
    false,
    "`phone` or `email`: which input found the record",
);
const CREATED_DATE: FieldSpec = field("created_date", false, "When the record was created");

pub(super) const LOOKUP_INPUTS: &[FieldSpec] = &[
    field(
        "phone",
        false,
        "Phone in any format; matched on its digits against Phone and MobilePhone (searched first)",
    ),
    field(
        "email",
        false,
        "E-mail; matched exactly, case-insensitively (searched when the phone finds nothing)",
    ),
];

pub(super) const LEAD_OUTPUTS: &[FieldSpec] = &[
    FOUND,
    ID_OUT,
    field("name", false, "Full name"),
    field("first_name", false, "First name"),
    field("last_name", false, "Last name"),
    field("company", false, "Company"),
    field("phone", false, "Phone as stored"),
    field("mobile_phone", false, "Mobile phone as stored"),
    field("email", false, "E-mail"),
    field("status", false, "Lead status"),
    field("owner_id", false, "Owner id"),
    field(
        "is_converted",
        false,
        "Whether the lead was converted (it then has a contact, an account, maybe an opportunity)",
    ),
    field(
        "converted_contact_id",
        false,
        "The contact the lead was converted into, or null",
    ),
    field(
        "converted_account_id",
        false,
        "The account the lead was converted into, or null",
    ),
    field(
        "converted_opportunity_id",
        false,
        "The opportunity created by the conversion, or null",
    ),
    CREATED_DATE,
    MATCHED_BY,
];

pub(super) const CONTACT_OUTPUTS: &[FieldSpec] = &[
    FOUND,
    ID_OUT,
    field("name", false, "Full name"),
    field("first_name", false, "First name"),
    field("last_name", false, "Last name"),
    field("account_id", false, "The contact's account, or null"),
    field("owner_id", false, "Owner id"),
    field("phone", false, "Phone as stored"),
    field("mobile_phone", false, "Mobile phone as stored"),
    field("email", false, "E-mail"),
    CREATED_DATE,
    MATCHED_BY,
];

pub(super) const OPPORTUNITY_OUTPUTS: &[FieldSpec] = &[
    FOUND,
    ID_OUT,
    field("name", false, "Opportunity name"),
    field("stage_name", false, "Stage"),
    field(
        "is_closed",
        false,
        "Whether the stage is a closed one (won or lost)",
    ),
    field("is_won", false, "Whether the stage is a won one"),
    field("close_date", false, "Close date, YYYY-MM-DD"),
    field("amount", false, "Amount"),
    field("owner_id", false, "Owner id"),
    field("account_id", false, "Account id"),
    CREATED_DATE,
];

pub(super) const LEAD_INPUTS: &[FieldSpec] = &[
    field("last_name", true, "Last name (Salesforce requires it)"),
    field("first_name", false, "First name"),
    field("company", true, "Company (Salesforce requires it)"),
    PHONE,
    MOBILE,
    EMAIL,
    field("status", false, "Lead status picklist value"),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const UPDATE_LEAD_INPUTS: &[FieldSpec] = &[
    field("id", true, "Lead id"),
    field("last_name", false, "Last name"),
    field("first_name", false, "First name"),
    field("company", false, "Company"),
    PHONE,
    MOBILE,
    EMAIL,
    field("status", false, "Lead status picklist value"),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const CONTACT_INPUTS: &[FieldSpec] = &[
    field("last_name", true, "Last name (Salesforce requires it)"),
    field("first_name", false, "First name"),
    PHONE,
    MOBILE,
    EMAIL,
    field("account_id", false, "Account to put the contact under"),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const UPDATE_CONTACT_INPUTS: &[FieldSpec] = &[
    field("id", true, "Contact id"),
    field("last_name", false, "Last name"),
    field("first_name", false, "First name"),
    PHONE,
    MOBILE,
    EMAIL,
    field("account_id", false, "Account"),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const OPPORTUNITY_INPUTS: &[FieldSpec] = &[
    field("name", true, "Opportunity name"),
    field("stage_name", true, "Stage (an active stage of the org)"),
    field(
        "close_date",
        true,
        "Close date: YYYY-MM-DD, or a date-time whose date is taken",
    ),
    field("amount", false, "Amount"),
    field("account_id", false, "Account"),
    field(
        "contact_id",
        false,
        "Contact to attach as the primary contact role (also what duplicate search looks by)",
    ),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const UPDATE_OPPORTUNITY_INPUTS: &[FieldSpec] = &[
    field("id", true, "Opportunity id"),
    field("name", false, "Opportunity name"),
    field("stage_name", false, "Stage"),
    field("close_date", false, "Close date"),
    field("amount", false, "Amount"),
    field(
        "contact_id",
        false,
        "Ignored on update (accepted so a duplicate found by contact can be updated with the create step's inputs)",
    ),
    LEAD_SOURCE,
    OWNER,
    DESCRIPTION,
    FIELDS,
];

pub(super) const TASK_INPUTS: &[FieldSpec] = &[
    field("subject", true, "Subject, e.g. `Inbound call 380501234567`"),
    field(
        "description",
        false,
        "Comments (the call's details: date, answered or missed, direction, employee, numbers, recording link)",
    ),
    field("who_id", false, "The lead or contact the call was with"),
    field(
        "what_id",
        false,
        "The opportunity (or account) it belongs to",
    ),
    field("owner_id", false, "Assigned user (a User id)"),
    field(
        "activity_date",
        false,
        "Due date: YYYY-MM-DD, or a date-time whose date is taken",
    ),
    field(
        "status",
        false,
        "Task status (default `Completed`: a logged call is done)",
    ),
    field(
        "priority",
        false,
        "Priority (the org's default when not given)",
    ),
    field(
        "call_type",
        false,
        "`Inbound` or `Outbound` (also accepts inbound/outbound/incoming/outgoing/in/out)",
    ),
    field("call_duration", false, "Call duration in seconds"),
    field(
        "call_disposition",
        false,
        "Call result, e.g. `Answered` or `Missed`",
    ),
    field(
        "call_object",
        false,
        "The call's id in the telephony system (CallObject); duplicate search looks by it",
    ),
    field(
        "task_subtype",
        false,
        "Task subtype (default `Call`; set only on create)",
    ),
    FIELDS,
];

pub(super) const WRITE_OUTPUTS: &[FieldSpec] =
    &[field("id", false, "Id of the created or changed record")];
