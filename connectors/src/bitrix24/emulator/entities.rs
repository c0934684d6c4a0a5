//! The CRM entities the emulator stores and their fields: which are standard (what `*`
//! selects), which are multi-fields, which a write may set, and the lead statuses.

/// The CRM entities the emulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// `crm.lead.*`.
    Lead,
    /// `crm.contact.*`.
    Contact,
    /// `crm.deal.*`.
    Deal,
}

/// Multi-fields (lists of `{ID, VALUE_TYPE, VALUE, TYPE_ID}`).
pub const MULTI_FIELDS: &[&str] = &["PHONE", "EMAIL", "WEB", "IM"];

const UTM: [&str; 5] = [
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
];

const LEAD_FIELDS: &[&str] = &[
    "ID",
    "TITLE",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "STATUS_ID",
    "STATUS_SEMANTIC_ID",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "ASSIGNED_BY_ID",
    "OPPORTUNITY",
    "CURRENCY_ID",
    "COMMENTS",
    "CONTACT_ID",
    "COMPANY_ID",
    "OPENED",
    "DATE_CREATE",
    "DATE_MODIFY",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
];
const CONTACT_FIELDS: &[&str] = &[
    "ID",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "SOURCE_ID",
    "ASSIGNED_BY_ID",
    "COMMENTS",
    "LEAD_ID",
    "COMPANY_ID",
    "OPENED",
    "DATE_CREATE",
    "DATE_MODIFY",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
];
const DEAL_FIELDS: &[&str] = &[
    "ID",
    "TITLE",
    "TYPE_ID",
    "CATEGORY_ID",
    "STAGE_ID",
    "STAGE_SEMANTIC_ID",
    "CLOSED",
    "OPPORTUNITY",
    "CURRENCY_ID",
    "IS_MANUAL_OPPORTUNITY",
    "CONTACT_ID",
    "COMPANY_ID",
    "LEAD_ID",
    "ASSIGNED_BY_ID",
    "SOURCE_ID",
    "COMMENTS",
    "BEGINDATE",
    "CLOSEDATE",
    "OPENED",
    "DATE_CREATE",
    "DATE_MODIFY",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
];

/// Where a deal's contacts are kept; `crm.deal.get` / `.list` do not return it.
pub const HIDDEN_CONTACT_IDS: &str = "CONTACT_IDS";

/// Lead statuses of a default portal and what they mean.
pub(super) const LEAD_STATUSES: &[(&str, &str)] = &[
    ("NEW", "P"),
    ("IN_PROCESS", "P"),
    ("PROCESSED", "P"),
    ("CONVERTED", "S"),
    ("JUNK", "F"),
];

impl EntityKind {
    /// Standard (non-multi, non-custom) fields, as `*` selects them.
    pub fn standard_fields(self) -> &'static [&'static str] {
        match self {
            EntityKind::Lead => LEAD_FIELDS,
            EntityKind::Contact => CONTACT_FIELDS,
            EntityKind::Deal => DEAL_FIELDS,
        }
    }

    /// Whether `name` is a field of this entity that a write may set.
    pub(super) fn writable(self, name: &str) -> bool {
        name.starts_with("UF_CRM_")
            || UTM.contains(&name)
            || (MULTI_FIELDS.contains(&name) && self != EntityKind::Deal)
            || (name != "ID" && self.standard_fields().contains(&name))
            || (self == EntityKind::Deal && name == HIDDEN_CONTACT_IDS)
    }
}
