//! Connectors that only receive: a vendor pushes its events to `POST /hooks/<bundle id>`
//! and nothing is ever called back. CallbackHunter, Alfa-Track and Ringostat are such
//! sources; they differ only in how a delivery's body becomes items, so each gives a
//! [`ParseDelivery`] function and its spec, and [`PushSourceKind`] does the rest (the
//! connection's `project` setting, a check that has nothing to verify, and a clear error
//! for a step that tries to call an action on a source).
//!
//! The webhook's authentication (token or signature) is configured on the bundle's trigger
//! and checked by the engine before the body reaches the connector.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, Record, Settings, WebhookRequest,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

/// What every item of a delivery may carry besides the body: the connection's `project`
/// (for a tag with the project name) and when the engine received it.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryContext<'a> {
    /// The connection's `project` setting.
    pub project: Option<&'a str>,
    /// When the engine received the delivery.
    pub received_at: DateTime<Utc>,
}

/// Turn one delivery for the request's trigger (`request.event`) into items; an event the
/// source does not have is [`unknown_trigger`].
pub type ParseDelivery =
    fn(WebhookRequest<'_>, DeliveryContext<'_>) -> Result<Vec<Value>, ConnectorError>;

pub use crate::connector::unknown_trigger;

/// The kind of a push-only source.
pub struct PushSourceKind {
    spec: &'static ConnectorSpec,
    parse: ParseDelivery,
}

impl PushSourceKind {
    /// A source described by `spec` whose deliveries `parse` reads.
    pub const fn new(spec: &'static ConnectorSpec, parse: ParseDelivery) -> PushSourceKind {
        PushSourceKind { spec, parse }
    }
}

impl ConnectorKind for PushSourceKind {
    fn spec(&self) -> &'static ConnectorSpec {
        self.spec
    }

    fn build(
        &self,
        settings: Settings,
        _ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(PushSource {
            spec: self.spec,
            parse: self.parse,
            project: settings.str("project"),
        }))
    }
}

/// A connection to one project of a push-only source.
pub struct PushSource {
    spec: &'static ConnectorSpec,
    parse: ParseDelivery,
    project: Option<String>,
}

#[async_trait]
impl Connector for PushSource {
    fn spec(&self) -> &'static ConnectorSpec {
        self.spec
    }

    /// Nothing to verify: a webhook source is proven by its first delivery.
    async fn check(&self) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn parse_webhook(
        &self,
        request: WebhookRequest<'_>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let context = DeliveryContext {
            project: self.project.as_deref(),
            received_at: request.received_at,
        };
        (self.parse)(request, context)
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "{} is a source and has no action `{}`",
            self.spec.kind, call.action
        )))
    }
}
