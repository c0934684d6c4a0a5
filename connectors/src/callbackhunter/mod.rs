//! The `callbackhunter` connector: requests from the CallbackHunter callback widget.
//!
//! CallbackHunter pushes each finished call or chat to a URL; ferry receives it at
//! `POST /hooks/<bundle id>` and this connector turns the body into one `request` item
//! (`payload`). Its public pull API (`/api/get_calls_by_param`) covers calls only and
//! needs a key issued by the vendor for one server IP, so ferry does not poll it.
//!
//! - `spec` declares the setting and the trigger's item fields;
//! - [`sender`] builds realistic deliveries for tests and demos.
//!
//! The webhook's authentication (token or signature) is configured on the bundle's
//! trigger and checked by the engine before the body reaches this connector.

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

/// The `callbackhunter` connector kind.
pub struct CallbackHunterKind;

impl ConnectorKind for CallbackHunterKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        _ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(CallbackHunterConnector {
            project: settings.str("project"),
        }))
    }
}

/// A connection to one CallbackHunter widget (nothing to call: it only receives).
pub struct CallbackHunterConnector {
    project: Option<String>,
}

#[async_trait]
impl Connector for CallbackHunterConnector {
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
        if request.event != spec::REQUEST {
            return Err(ConnectorError::Config(format!(
                "callbackhunter has no trigger `{}`",
                request.event
            )));
        }
        let context = payload::Context {
            project: self.project.as_deref(),
            received_at: request.received_at,
        };
        decode_events("callbackhunter", request.content_type, request.body)?
            .into_iter()
            .map(|event| payload::request_item(event, context))
            .collect()
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "callbackhunter is a source and has no action `{}`",
            call.action
        )))
    }
}
