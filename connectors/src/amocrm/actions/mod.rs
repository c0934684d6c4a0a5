//! The `amocrm` actions: contacts and companies (find, create with duplicate lookups,
//! update), leads (create, update, newest by contact, e-mail or external id), tasks, notes
//! and custom fields; the tags a write sends are merged in [`tags`]. Each action reads its inputs, sends through [`Amo`]'s client and
//! returns its output record.

pub mod external;
pub mod leads;
pub mod parties;
pub mod records;
pub mod tags;
pub mod tasks;

use super::client::AmoClient;
use super::fields::FieldCatalog;

/// What every action works with: the account's client and its custom-field catalog.
pub struct Amo {
    /// Sends requests to the account.
    pub client: AmoClient,
    /// Custom fields by entity type, cached for the connection.
    pub fields: FieldCatalog,
}
