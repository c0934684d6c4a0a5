//! The `retailcrm` connector: retailCRM API v5.
//!
//! - trigger `order_status_changed` from the order history, see `triggers`;
//! - actions `find_customer`, `create_customer` (with duplicate search by phone, e-mail or
//!   external id), `edit_customer` in `customers`; `create_order`, `edit_order` in
//!   `orders`;
//! - `spec` declares settings, item fields, inputs and outputs; `client` holds auth,
//!   form-encoded writes and the error mapping;
//! - [`emulator`] speaks the same wire format on 127.0.0.1 for tests and demos.

mod client;
mod customers;
mod inputs;
mod orders;
mod spec;
mod triggers;

pub mod emulator;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, PollPage, PollRequest,
    Record, Settings, unknown_action, unknown_trigger,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

use client::{RetailCrmClient, RetailCrmSettings};

pub use emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};

/// The `retailcrm` connector kind.
pub struct RetailCrmKind;

impl ConnectorKind for RetailCrmKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let resolved = RetailCrmSettings::from_settings(&settings)?;
        Ok(Arc::new(RetailCrmConnector {
            client: RetailCrmClient::new(resolved, &settings, ctx),
        }))
    }
}

/// A connection to one retailCRM account and site.
pub struct RetailCrmConnector {
    client: RetailCrmClient,
}

#[async_trait]
impl Connector for RetailCrmConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        triggers::check(&self.client).await
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        match request.event {
            spec::ORDER_STATUS_CHANGED => {
                triggers::poll_status_changes(&self.client, &request).await
            }
            other => Err(unknown_trigger(spec::SPEC.kind, other)),
        }
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        match call.action {
            spec::FIND_CUSTOMER => customers::find_customer(&self.client, call.input).await,
            spec::CREATE_CUSTOMER => customers::create_customer(&self.client, call.input).await,
            spec::EDIT_CUSTOMER => customers::edit_customer(&self.client, call.input).await,
            spec::CREATE_ORDER => orders::create_order(&self.client, call.input).await,
            spec::EDIT_ORDER => orders::edit_order(&self.client, call.input).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        match call.action {
            spec::CREATE_CUSTOMER => {
                customers::find_for_create(&self.client, call.key, call.value).await
            }
            spec::CREATE_ORDER => orders::find_for_create(&self.client, call.key, call.value).await,
            other => Err(ConnectorError::Config(format!(
                "retailcrm action `{other}` has no lookup"
            ))),
        }
    }
}
