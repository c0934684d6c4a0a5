//! The `ringostat` connector: calls and site forms from Ringostat call tracking.
//!
//! Ringostat's webhooks (*Integrations → Webhooks*) post an event's parameters to a URL,
//! as JSON or as form fields, under names the integrator picks from Ringostat's
//! variables. ferry receives them at `POST /hooks/<bundle id>`: the `call` trigger reads
//! the after-call webhooks (`call`), the `form` trigger the "form sent from the site"
//! webhook (`form`); both read UTM tags and the client id the same way (`variables`).
//!
//! - `spec` declares the setting, the form trigger's field-name settings and both
//!   triggers' item fields;
//! - [`sender`] builds realistic deliveries for tests and demos.
//!
//! The webhook's authentication is configured on the bundle's trigger and checked by the
//! engine before the body reaches this connector.

mod call;
mod form;
mod spec;
mod variables;

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

/// The `ringostat` connector kind.
pub struct RingostatKind;

impl ConnectorKind for RingostatKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        _ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(RingostatConnector {
            project: settings.str("project"),
        }))
    }
}

/// A connection to one Ringostat project (nothing to call: it only receives).
pub struct RingostatConnector {
    project: Option<String>,
}

#[async_trait]
impl Connector for RingostatConnector {
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
        let context = variables::Context {
            project: self.project.as_deref(),
            received_at: request.received_at,
        };
        match request.event {
            spec::CALL => decode_events("ringostat", request.content_type, request.body)?
                .into_iter()
                .map(|event| call::call_item(event, context))
                .collect(),
            spec::FORM => {
                // Settings first: a misconfigured trigger is the bundle's fault, not the body's.
                let names = form::FieldNames::from_settings(request.settings)?;
                decode_events("ringostat", request.content_type, request.body)?
                    .into_iter()
                    .map(|event| form::form_item(event, &names, context))
                    .collect()
            }
            other => Err(ConnectorError::Config(format!(
                "ringostat has no trigger `{other}`"
            ))),
        }
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "ringostat is a source and has no action `{}`",
            call.action
        )))
    }
}
