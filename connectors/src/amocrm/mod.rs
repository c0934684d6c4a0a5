//! The `amocrm` connector: amoCRM API v4 (`https://{subdomain}.amocrm.ru/api/v4/...`).
//!
//! Contacts and companies (find by phone / e-mail / name, create with duplicate
//! handling, update that adds phones, e-mails and tags instead of replacing them), leads
//! in a pipeline and status with tags, links and custom fields (create, update, the newest
//! lead of a contact, of an e-mail or holding an external id), tasks, notes, and
//! `ensure_custom_field`. Layout:
//! - [`spec`]: settings and actions with their fields;
//! - `auth`: the Bearer token through the shared OAuth2 module (long-lived or refreshed
//!   at `/oauth2/access_token`);
//! - `client`: HAL JSON requests, 204 as "nothing found", `_links.next` paging, the
//!   account's 7-per-second limit;
//! - `errors`: problem+json, the non-JSON 429, blocked-IP 403 → classified errors;
//! - `fields`: the custom-field catalog and `custom_fields_values` building;
//! - `actions`: what steps do;
//! - [`emulator`]: an in-process amoCRM for tests, examples and demos.

mod actions;
mod auth;
mod client;
pub mod emulator;
mod errors;
mod fields;
mod inputs;
pub mod spec;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;

pub use client::RATE_LIMIT;
pub use emulator::{AmoCrmEmulator, AmoCrmEmulatorConfig};

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, Record, Settings,
    unknown_action,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use actions::Amo;
use actions::parties::Party;
use client::AmoClient;
use fields::CREATABLE_TYPES;
use inputs::Inputs;

/// The `amocrm` connector kind.
pub struct AmoCrmKind;

impl ConnectorKind for AmoCrmKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(AmoCrmConnector::new(&settings, ctx)?))
    }
}

/// A connection to one amoCRM account.
pub struct AmoCrmConnector {
    amo: Amo,
}

impl AmoCrmConnector {
    /// Build from a connection's settings (`base_url`, `access_token`, optional
    /// `utc_offset`, and for OAuth2 refresh `refresh_token`, `client_id`,
    /// `client_secret`, `redirect_uri`).
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        Ok(AmoCrmConnector {
            amo: Amo {
                client: AmoClient::new(settings, ctx)?,
                fields: Default::default(),
            },
        })
    }

    async fn ensure_custom_field(
        &self,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Record, ConnectorError> {
        let inputs = Inputs::new(spec::ENSURE_CUSTOM_FIELD, input);
        let entity = inputs.required_entity_type("entity_type")?;
        let name = inputs.required_text("name")?;
        let field_type = inputs
            .text("type")?
            .unwrap_or_else(|| "text".into())
            .to_lowercase();
        if !CREATABLE_TYPES.contains(&field_type.as_str()) {
            return Err(inputs.bad(
                "type",
                &format!(
                    "must be one of {}, got {field_type:?}",
                    CREATABLE_TYPES.join(", ")
                ),
            ));
        }
        let code = inputs.text("code")?;
        let (id, created) = self
            .amo
            .fields
            .ensure(
                &self.amo.client,
                entity,
                &name,
                &field_type,
                code.as_deref(),
            )
            .await?;
        let mut out = Record::new();
        out.insert("field_id".into(), id.into());
        out.insert("created".into(), created.into());
        Ok(out)
    }
}

#[async_trait]
impl Connector for AmoCrmConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        self.amo
            .client
            .get("/account", &[])
            .await?
            .ok_or_else(|| ConnectorError::InvalidResponse("GET /api/v4/account was empty".into()))
            .map(|_| ())
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        use actions::{leads, parties, tasks};
        let amo = &self.amo;
        let input = call.input;
        match call.action {
            spec::FIND_CONTACT => parties::find(amo, Party::Contact, call.action, input).await,
            spec::CREATE_CONTACT => parties::create(amo, Party::Contact, input).await,
            spec::UPDATE_CONTACT => parties::update(amo, Party::Contact, call.action, input).await,
            spec::FIND_COMPANY => parties::find(amo, Party::Company, call.action, input).await,
            spec::CREATE_COMPANY => parties::create(amo, Party::Company, input).await,
            spec::UPDATE_COMPANY => parties::update(amo, Party::Company, call.action, input).await,
            spec::CREATE_LEAD => leads::create(amo, input).await,
            spec::UPDATE_LEAD => leads::update(amo, input).await,
            spec::FIND_LEAD_BY_CONTACT => leads::find_by_contact(amo, input).await,
            spec::FIND_NEWEST_LEAD_BY_EMAIL => leads::find_newest_by_email(amo, input).await,
            spec::FIND_LEAD => leads::find_by_external_id(amo, input).await,
            spec::CREATE_TASK => tasks::create_task(amo, input).await,
            spec::CREATE_NOTE => tasks::create_note(amo, input, call.idempotency_key).await,
            spec::ENSURE_CUSTOM_FIELD => self.ensure_custom_field(input).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        let party = match call.action {
            spec::CREATE_CONTACT => Party::Contact,
            spec::CREATE_COMPANY => Party::Company,
            other => {
                return Err(ConnectorError::Config(format!(
                    "action `amocrm.{other}` has no lookup (create_contact and create_company do)"
                )));
            }
        };
        actions::parties::find_by_key(&self.amo, party, call.key, call.value, call.input).await
    }
}
