//! The `salesforce` connector: the Salesforce REST API under the org's instance URL
//! (`{instance_url}/services/data/vNN.N/...`).
//!
//! Leads and contacts found by phone (on its digits, whatever the stored formatting) or
//! e-mail, a contact's open or closed opportunity, leads / contacts / opportunities
//! created and changed (stage, close date, reopening), calls logged as tasks, and upserts
//! by an external-id field. Layout:
//! - [`spec`]: settings and actions with their fields;
//! - `auth`: the credential — the one place that signs requests and judges a 401;
//! - `client`: SOQL queries with `nextRecordsUrl` paging, sObject create / update /
//!   upsert, `Sforce-Limit-Info`;
//! - `errors`: the `[{"message","errorCode","fields"}]` array, `INVALID_SESSION_ID`,
//!   `REQUEST_LIMIT_EXCEEDED` → classified errors;
//! - `soql`, `phone`: quoting values into SOQL, and the phone lookup;
//! - `inputs`: step inputs → record bodies;
//! - `actions`: what steps do;
//! - [`emulator`]: an in-process Salesforce for tests, examples and demos.

mod actions;
mod auth;
mod client;
pub mod emulator;
mod errors;
mod inputs;
mod phone;
mod soql;
pub mod spec;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

pub use client::{ApiUsage, DEFAULT_API_VERSION};
pub use emulator::{SalesforceEmulator, SalesforceEmulatorConfig};

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, Record, Settings,
    unknown_action,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use actions::Salesforce;
use actions::lookups::Party;
use actions::records::Object;
use client::SalesforceClient;

/// The `salesforce` connector kind.
pub struct SalesforceKind;

impl ConnectorKind for SalesforceKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(SalesforceConnector::new(&settings, ctx)?))
    }
}

/// A connection to one Salesforce org.
pub struct SalesforceConnector {
    sf: Salesforce,
}

impl SalesforceConnector {
    /// Build from a connection's settings (`instance_url`, `access_token`, optional
    /// `api_version`).
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        Ok(SalesforceConnector {
            sf: Salesforce {
                client: SalesforceClient::new(settings, ctx)?,
                stages: Mutex::new(None),
            },
        })
    }

    /// The org's daily API usage as the latest answer reported it.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.sf.client.api_usage()
    }
}

#[async_trait]
impl Connector for SalesforceConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        self.sf.client.limits().await.map(|_| ())
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        use actions::{lookups, opportunities, records, tasks};
        let sf = &self.sf;
        let input = call.input;
        match call.action {
            spec::FIND_LEAD => lookups::find(sf, Party::Lead, call.action, input).await,
            spec::FIND_CONTACT => lookups::find(sf, Party::Contact, call.action, input).await,
            spec::FIND_OPPORTUNITY => opportunities::find(sf, input).await,
            spec::CREATE_LEAD => records::create(sf, Object::Lead, call.action, input).await,
            spec::UPDATE_LEAD => records::update(sf, Object::Lead, call.action, input).await,
            spec::CREATE_CONTACT => records::create(sf, Object::Contact, call.action, input).await,
            spec::UPDATE_CONTACT => records::update(sf, Object::Contact, call.action, input).await,
            spec::CREATE_OPPORTUNITY => {
                records::create(sf, Object::Opportunity, call.action, input).await
            }
            spec::UPDATE_OPPORTUNITY => {
                records::update(sf, Object::Opportunity, call.action, input).await
            }
            spec::REOPEN_OPPORTUNITY => opportunities::reopen(sf, input).await,
            spec::CREATE_TASK => tasks::create(sf, input).await,
            spec::UPSERT_RECORD => records::upsert(sf, input).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        use actions::{lookups, opportunities, tasks};
        let sf = &self.sf;
        match (call.action, call.key) {
            (spec::CREATE_LEAD, "phone" | "email") => {
                lookups::find_duplicate(sf, Party::Lead, call.key, call.value).await
            }
            (spec::CREATE_CONTACT, "phone" | "email") => {
                lookups::find_duplicate(sf, Party::Contact, call.key, call.value).await
            }
            (spec::CREATE_OPPORTUNITY, "contact_id") => {
                opportunities::open_for_contact(sf, call.value).await
            }
            (spec::CREATE_TASK, "call_object") => tasks::find_by_call_object(sf, call.value).await,
            (action, key) => Err(ConnectorError::Config(format!(
                "action `salesforce.{action}` has no lookup by `{key}`"
            ))),
        }
    }
}
