//! The `bitrix24` connector: Bitrix24 CRM REST through an incoming webhook.
//!
//! Leads, contacts and deals (create, update), duplicate search by phone or e-mail, the
//! contact's newest deal with its stage semantics (for "one deal per client" rules) and lead
//! conversion. Sources push to ferry, so there is no polling trigger. Layout:
//! - [`spec`]: the setting and the actions with their fields;
//! - `client`: the webhook address, the portal's leaky-bucket limit, method calls;
//! - `errors`: `{"error","error_description"}` replies → classified errors;
//! - `inputs`: step inputs → Bitrix24 `fields`;
//! - `actions`: what steps do;
//! - [`emulator`]: an in-process Bitrix24 for tests, examples and demos.

mod actions;
mod client;
pub mod emulator;
mod errors;
mod inputs;
pub mod spec;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

pub use client::RATE_LIMIT;
pub use emulator::{Bitrix24Emulator, Bitrix24EmulatorConfig};

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, Record, Settings,
    unknown_action,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use actions::records::{self, CONTACT, DEAL, LEAD};
use client::Bitrix24Client;

/// The `bitrix24` connector kind.
pub struct Bitrix24Kind;

impl ConnectorKind for Bitrix24Kind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(Bitrix24Connector {
            client: Bitrix24Client::new(&settings, ctx)?,
        }))
    }
}

/// A connection to one Bitrix24 portal through one incoming webhook.
pub struct Bitrix24Connector {
    client: Bitrix24Client,
}

#[async_trait]
impl Connector for Bitrix24Connector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        let profile = self.client.result("profile", &json!({})).await?;
        if profile.get("ID").is_none() {
            return Err(ConnectorError::InvalidResponse(format!(
                "profile: expected the webhook's user, got {profile}"
            )));
        }
        Ok(())
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        use actions::{convert, deals, duplicates};
        let client = &self.client;
        let input = call.input;
        match call.action {
            spec::FIND_DUPLICATES => duplicates::find_duplicates(client, input).await,
            spec::CREATE_LEAD => records::create(client, LEAD, call.action, input).await,
            spec::UPDATE_LEAD => records::update(client, LEAD, call.action, input).await,
            spec::CREATE_CONTACT => records::create(client, CONTACT, call.action, input).await,
            spec::UPDATE_CONTACT => records::update(client, CONTACT, call.action, input).await,
            spec::CREATE_DEAL => records::create(client, DEAL, call.action, input).await,
            spec::UPDATE_DEAL => records::update(client, DEAL, call.action, input).await,
            spec::FIND_CONTACT_DEAL => deals::find_contact_deal(client, input).await,
            spec::CONVERT_LEAD => convert::convert_lead(client, input).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        let entity_type = match call.action {
            spec::CREATE_LEAD => "LEAD",
            spec::CREATE_CONTACT => "CONTACT",
            other => {
                return Err(ConnectorError::Config(format!(
                    "action `bitrix24.{other}` has no lookup (create_lead and create_contact do)"
                )));
            }
        };
        actions::duplicates::find_for_create(&self.client, entity_type, call.key, call.value).await
    }
}
