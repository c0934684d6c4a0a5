//! The `calltouch` connector: Calltouch call tracking.
//!
//! - triggers `new_call` (calls journal, paged by day) and `new_request` (form requests
//!   journal), see `triggers`;
//! - actions `create_deal` and `update_deal` on the deals API 2.0, see `actions`;
//! - `spec` declares settings, item fields, inputs and outputs; `client` holds the
//!   two auth styles and the error mapping; `dates` the three date formats;
//! - [`emulator`] speaks the same wire format on 127.0.0.1 for tests and demos.

mod actions;
mod client;
mod dates;
mod derived;
mod inputs;
mod spec;
mod triggers;

pub mod emulator;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, PollPage, PollRequest, Record, Settings,
    unknown_action, unknown_trigger,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

use client::{CalltouchClient, CalltouchSettings};

pub use emulator::{CalltouchEmulator, CalltouchEmulatorConfig, DealRecord};

/// The `calltouch` connector kind.
pub struct CalltouchKind;

impl ConnectorKind for CalltouchKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let resolved = CalltouchSettings::from_settings(&settings)?;
        Ok(Arc::new(CalltouchConnector {
            client: CalltouchClient::new(resolved, &settings, ctx),
        }))
    }
}

/// A connection to one Calltouch site.
pub struct CalltouchConnector {
    client: CalltouchClient,
}

#[async_trait]
impl Connector for CalltouchConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        triggers::check(&self.client, chrono::Utc::now()).await
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        match request.event {
            spec::NEW_CALL => triggers::poll_calls(&self.client, &request).await,
            spec::NEW_REQUEST => triggers::poll_requests(&self.client, &request).await,
            other => Err(unknown_trigger(spec::SPEC.kind, other)),
        }
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        let now = chrono::Utc::now();
        match call.action {
            spec::CREATE_DEAL => actions::create_deal(&self.client, call.input, now).await,
            spec::UPDATE_DEAL => actions::update_deal(&self.client, call.input, now).await,
            other => Err(unknown_action(spec::SPEC.kind, other)),
        }
    }
}
