//! The `moysklad` connector: MoySklad JSON API 1.2.
//!
//! Counterparties (find by phone / e-mail / external code, create with duplicate
//! handling, update), customer orders with custom attributes and states given by name
//! (create, update), and the `order_changed` trigger that reports state and payment
//! changes. Layout:
//! - [`spec`]: settings, trigger and actions with their fields;
//! - `client`: Bearer + gzip requests, the account's 45-per-3-s / 5-parallel limit;
//! - `errors`: MoySklad's `errors` bodies and `X-Lognex-*` headers → classified errors;
//! - `metadata`: order states and attributes by name (cached);
//! - `actions`, `triggers`: what steps and polls do;
//! - [`emulator`]: an in-process MoySklad for tests, examples and demos.

mod actions;
mod client;
pub mod emulator;
mod errors;
mod inputs;
mod metadata;
pub mod spec;
mod triggers;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;

pub use client::{DEFAULT_BASE_URL, RATE_LIMIT};
pub use emulator::{MoySkladEmulator, MoySkladEmulatorConfig};

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, PollPage, PollRequest,
    Record, Settings, unknown_action, unknown_trigger,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use actions::order::{OrderContext, entity_href};
use client::MoySkladClient;
use metadata::MetadataCache;

/// The `moysklad` connector kind.
pub struct MoySkladKind;

impl ConnectorKind for MoySkladKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(MoySkladConnector::new(&settings, ctx)?))
    }
}

/// A connection to one MoySklad account.
pub struct MoySkladConnector {
    client: MoySkladClient,
    metadata: MetadataCache,
    organization_href: String,
    default_state: Option<String>,
}

impl MoySkladConnector {
    /// Build from a connection's settings (`token`, `organization`, optional `base_url`,
    /// `order_state_new`).
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let client = MoySkladClient::new(settings, ctx)?;
        let organization = settings.require_str("organization")?;
        let organization_href = entity_href(&client, "organization", organization.trim())
            .map_err(|_| ConnectorError::Config(format!("setting `organization` must be an organization id or href, got `{organization}`")))?;
        let default_state = settings
            .str("order_state_new")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Ok(MoySkladConnector {
            client,
            metadata: MetadataCache::default(),
            organization_href,
            default_state,
        })
    }

    fn orders(&self) -> OrderContext<'_> {
        OrderContext {
            client: &self.client,
            metadata: &self.metadata,
            organization_href: &self.organization_href,
            default_state: self.default_state.as_deref(),
        }
    }
}

#[async_trait]
impl Connector for MoySkladConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        self.client.get("/context/employee", &[]).await.map(|_| ())
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        match request.event {
            spec::ORDER_CHANGED => {
                triggers::poll_orders(&self.client, &self.metadata, request).await
            }
            other => Err(unknown_trigger(spec::SPEC.kind, other)),
        }
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        use actions::{counterparty, order};
        match call.action {
            spec::FIND_COUNTERPARTY => counterparty::find(&self.client, call.input).await,
            spec::CREATE_COUNTERPARTY => counterparty::create(&self.client, call.input).await,
            spec::UPDATE_COUNTERPARTY => counterparty::update(&self.client, call.input).await,
            spec::CREATE_CUSTOMER_ORDER => order::create(&self.orders(), call.input).await,
            spec::UPDATE_CUSTOMER_ORDER => order::update(&self.orders(), call.input).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        match call.action {
            spec::CREATE_COUNTERPARTY => {
                actions::counterparty::find_by_key(&self.client, call.key, call.value).await
            }
            other => Err(ConnectorError::Config(format!(
                "action `moysklad.{other}` has no lookup (only create_counterparty does)"
            ))),
        }
    }
}
