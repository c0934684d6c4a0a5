//! The generic `http` connector: any JSON REST API as a source (the `poll` trigger, with
//! cursor, page-number or next-link pagination) or a target (the `request` action, with
//! output fields picked from the answer). docs/connectors/http.md is its reference.
//!
//! - [`spec`]: settings, trigger and action as bundles see them.
//! - `client`: connection settings, credentials, and sending through the transport.
//! - `poll_settings` / `poll`: the trigger's settings and its page-by-page reading.
//! - `request`: the action.
//! - `json_path`: dotted paths into JSON answers.

mod client;
mod json_path;
mod poll;
mod poll_settings;
mod request;
pub mod spec;

use std::sync::Arc;

use async_trait::async_trait;

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, PollPage, PollRequest, Record, Settings,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use client::HttpClient;

pub use client::DEFAULT_API_KEY_HEADER;
pub use poll_settings::{DEFAULT_MAX_PAGES, Pagination};
pub use request::IDEMPOTENCY_HEADER;

/// The `http` connector kind.
pub struct HttpKind;

impl ConnectorKind for HttpKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let client = HttpClient::new(&settings, ctx).map_err(|e| match e {
            ConnectorError::Config(message) => {
                ConnectorError::Config(format!("connection `{}`: {message}", ctx.connection_name))
            }
            other => other,
        })?;
        Ok(Arc::new(HttpConnector { client }))
    }
}

/// A connection to one REST API.
struct HttpConnector {
    client: HttpClient,
}

#[async_trait]
impl Connector for HttpConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        self.client.check().await
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        if request.event != spec::POLL {
            return Err(ConnectorError::Config(format!(
                "connector `http` has no trigger `{}`; its trigger is `{}`",
                request.event,
                spec::POLL
            )));
        }
        poll::poll_page(&self.client, &request).await
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        if call.action != spec::REQUEST {
            return Err(ConnectorError::Config(format!(
                "connector `http` has no action `{}`; its action is `{}`",
                call.action,
                spec::REQUEST
            )));
        }
        request::execute(&self.client, &call).await
    }
}

#[cfg(test)]
mod tests;
