//! The `alfatrack` connector: leads tracked by Alfa-Track.
//!
//! Alfa-Track reports a lead as soon as it sees one and sends what it learns about the
//! lead's ad source later, within about three hours. ferry receives both at
//! `POST /hooks/<bundle id>`: the `request` trigger turns a new lead into an item, the
//! `enrichment` trigger turns a later update into an item whose `request_id` links it to
//! the lead (`payload`). A bundle on `enrichment` updates what a `request` bundle
//! created (S3.2) or searches for it by e-mail for up to 3 hours (S3.3).
//!
//! - `spec` declares the setting and both triggers' item fields;
//! - [`sender`] builds realistic deliveries for tests and demos.
//!
//! The webhook's authentication is configured on the bundle's trigger and checked by the
//! engine before the body reaches this connector.

mod payload;
mod spec;

pub mod sender;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, Record, Settings, WebhookRequest,
};
use crate::error::ConnectorError;
use crate::inbound::decode_events;
use crate::spec::ConnectorSpec;

pub use spec::SPEC;

/// The `alfatrack` connector kind.
pub struct AlfaTrackKind;

impl ConnectorKind for AlfaTrackKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        _ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(AlfaTrackConnector {
            project: settings.str("project"),
        }))
    }
}

/// A connection to one Alfa-Track project (nothing to call: it only receives).
pub struct AlfaTrackConnector {
    project: Option<String>,
}

#[async_trait]
impl Connector for AlfaTrackConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    /// Nothing to verify: a webhook source is proven by its first delivery.
    async fn check(&self) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn parse_webhook(
        &self,
        request: WebhookRequest<'_>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let to_item = match request.event {
            spec::REQUEST => payload::request_item,
            spec::ENRICHMENT => payload::enrichment_item,
            other => {
                return Err(ConnectorError::Config(format!(
                    "alfatrack has no trigger `{other}`"
                )));
            }
        };
        let context = payload::Context {
            project: self.project.as_deref(),
            received_at: request.received_at,
        };
        decode_events("alfatrack", request.content_type, request.body)?
            .into_iter()
            .map(|event| to_item(event, context))
            .collect()
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "alfatrack is a source and has no action `{}`",
            call.action
        )))
    }
}
