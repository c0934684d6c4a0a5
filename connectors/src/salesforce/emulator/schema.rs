//! The emulated org's objects and fields: which exist, their types, whether the API may
//! set them on create or update, and which are required. Field names resolve
//! case-insensitively, as Salesforce's do; answers use the canonical spelling.

/// How a field's values are checked and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record id.
    Id,
    /// A lookup to records of these objects.
    Ref(&'static [&'static str]),
    /// Free text.
    Text,
    /// An e-mail address.
    Email,
    /// A phone, kept as written.
    Phone,
    /// true / false.
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// `2024-05-14T10:31:05.000+0000`.
    DateTime,
    /// A decimal number.
    Number,
    /// A whole number.
    Int,
    /// A restricted picklist: only these values (empty: the org's opportunity stages).
    Picklist(&'static [&'static str]),
}

/// One field of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// API name.
    pub name: String,
    /// Type.
    pub ty: FieldType,
    /// Settable on create.
    pub create: bool,
    /// Settable on update.
    pub update: bool,
    /// Required on create (and may not be cleared).
    pub required: bool,
    /// A custom field flagged External ID (usable for upserts).
    pub external_id: bool,
}

/// `(name, type, create, update, required)`.
type Def = (&'static str, FieldType, bool, bool, bool);

const fn f(name: &'static str, ty: FieldType, create: bool, update: bool, required: bool) -> Def {
    (name, ty, create, update, required)
}

/// Fields every object has, maintained by the platform.
const SYSTEM: &[Def] = &[
    f("Id", FieldType::Id, false, false, false),
    f("CreatedDate", FieldType::DateTime, false, false, false),
    f("LastModifiedDate", FieldType::DateTime, false, false, false),
    f("SystemModstamp", FieldType::DateTime, false, false, false),
];

const OWNER: Def = f("OwnerId", FieldType::Ref(&["User"]), true, true, false);

/// The `CallType` picklist.
pub const CALL_TYPES: &[&str] = &["Internal", "Inbound", "Outbound"];
/// The `TaskSubtype` picklist.
pub const TASK_SUBTYPES: &[&str] = &["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"];

fn definitions(object: &str) -> Option<Vec<Def>> {
    use FieldType::*;
    let own: Vec<Def> = match object {
        "User" => vec![
            f("Name", Text, false, false, false),
            f("Email", Email, false, false, false),
            f("IsActive", Bool, false, false, false),
        ],
        "Account" => vec![
            f("Name", Text, true, true, true),
            f("Phone", Phone, true, true, false),
            OWNER,
        ],
        "Lead" => vec![
            f("FirstName", Text, true, true, false),
            f("LastName", Text, true, true, true),
            f("Name", Text, false, false, false),
            f("Company", Text, true, true, true),
            f("Phone", Phone, true, true, false),
            f("MobilePhone", Phone, true, true, false),
            f("Email", Email, true, true, false),
            f("Status", Text, true, true, false),
            f("LeadSource", Text, true, true, false),
            f("Description", Text, true, true, false),
            OWNER,
            f("IsConverted", Bool, false, false, false),
            f("ConvertedDate", Date, false, false, false),
            f("ConvertedContactId", Ref(&["Contact"]), false, false, false),
            f("ConvertedAccountId", Ref(&["Account"]), false, false, false),
            f(
                "ConvertedOpportunityId",
                Ref(&["Opportunity"]),
                false,
                false,
                false,
            ),
        ],
        "Contact" => vec![
            f("FirstName", Text, true, true, false),
            f("LastName", Text, true, true, true),
            f("Name", Text, false, false, false),
            f("Phone", Phone, true, true, false),
            f("MobilePhone", Phone, true, true, false),
            f("Email", Email, true, true, false),
            f("AccountId", Ref(&["Account"]), true, true, false),
            f("LeadSource", Text, true, true, false),
            f("Description", Text, true, true, false),
            OWNER,
        ],
        "Opportunity" => vec![
            f("Name", Text, true, true, true),
            f("StageName", Picklist(&[]), true, true, true),
            f("CloseDate", Date, true, true, true),
            f("Amount", Number, true, true, false),
            f("AccountId", Ref(&["Account"]), true, true, false),
            f("LeadSource", Text, true, true, false),
            f("Description", Text, true, true, false),
            f("IsClosed", Bool, false, false, false),
            f("IsWon", Bool, false, false, false),
            OWNER,
        ],
        "OpportunityContactRole" => vec![
            f("OpportunityId", Ref(&["Opportunity"]), true, false, true),
            f("ContactId", Ref(&["Contact"]), true, true, true),
            f("IsPrimary", Bool, true, true, false),
            f("Role", Text, true, true, false),
        ],
        "Task" => vec![
            f("Subject", Text, true, true, false),
            f("Description", Text, true, true, false),
            f("WhoId", Ref(&["Lead", "Contact"]), true, true, false),
            f(
                "WhatId",
                Ref(&["Opportunity", "Account"]),
                true,
                true,
                false,
            ),
            f("ActivityDate", Date, true, true, false),
            f("Status", Text, true, true, false),
            f("Priority", Text, true, true, false),
            f("IsClosed", Bool, false, false, false),
            f("CallType", Picklist(CALL_TYPES), true, true, false),
            f("CallDurationInSeconds", Int, true, true, false),
            f("CallDisposition", Text, true, true, false),
            f("CallObject", Text, true, true, false),
            f("TaskSubtype", Picklist(TASK_SUBTYPES), true, false, false),
            OWNER,
        ],
        "OpportunityStage" => vec![
            f("ApiName", Text, false, false, false),
            f("MasterLabel", Text, false, false, false),
            f("IsActive", Bool, false, false, false),
            f("IsClosed", Bool, false, false, false),
            f("IsWon", Bool, false, false, false),
            f("SortOrder", Int, false, false, false),
            f("DefaultProbability", Number, false, false, false),
        ],
        _ => return None,
    };
    Some(SYSTEM.iter().copied().chain(own).collect())
}

/// Objects the API may create records of (`User` and `OpportunityStage` are read-only).
pub fn creatable(object: &str) -> bool {
    !matches!(object, "User" | "OpportunityStage")
}

/// A custom field added to the org (a text field; `external_id` flags it for upserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// The object, e.g. `Lead`.
    pub object: String,
    /// The field, ending in `__c`.
    pub name: String,
    /// Whether it is flagged External ID.
    pub external_id: bool,
}

/// The fields of one object.
#[derive(Debug, Clone)]
pub struct ObjectSchema {
    /// Canonical object name.
    pub name: &'static str,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// Every object the emulated org knows, in canonical spelling.
pub const OBJECTS: &[&str] = &[
    "User",
    "Account",
    "Lead",
    "Contact",
    "Opportunity",
    "OpportunityContactRole",
    "Task",
    "OpportunityStage",
];

impl ObjectSchema {
    /// The schema of `object` (any capitalisation) with the org's custom fields, if the
    /// object exists.
    pub fn of(object: &str, custom: &[CustomField]) -> Option<ObjectSchema> {
        let name = *OBJECTS.iter().find(|o| o.eq_ignore_ascii_case(object))?;
        let mut fields: Vec<Field> = definitions(name)?
            .into_iter()
            .map(|(n, ty, create, update, required)| Field {
                name: n.to_string(),
                ty,
                create,
                update,
                required,
                external_id: false,
            })
            .collect();
        fields.extend(custom.iter().filter(|c| c.object == name).map(|c| Field {
            name: c.name.clone(),
            ty: FieldType::Text,
            create: true,
            update: true,
            required: false,
            external_id: c.external_id,
        }));
        Some(ObjectSchema { name, fields })
    }

    /// The field named `name` (any capitalisation).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_case_insensitively_with_custom_fields() {
        let custom = [CustomField {
            object: "Lead".into(),
            name: "UniTalk_Id__c".into(),
            external_id: true,
        }];
        let lead = ObjectSchema::of("lead", &custom).unwrap();
        assert_eq!(lead.name, "Lead");
        assert_eq!(lead.field("phone").unwrap().name, "Phone");
        assert!(lead.field("unitalk_id__c").unwrap().external_id);
        assert!(
            ObjectSchema::of("Contact", &custom)
                .unwrap()
                .field("UniTalk_Id__c")
                .is_none()
        );
        assert!(ObjectSchema::of("Widget", &custom).is_none());
        assert!(!creatable("OpportunityStage"));
    }
}
