//! The `bitrix24` actions: duplicate search, records (leads, contacts, deals: create and
//! update), the contact's current deal, and lead conversion.

pub mod convert;
pub mod deals;
pub mod duplicates;
pub mod records;
