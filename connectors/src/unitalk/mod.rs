//! The `unitalk` connector: calls of the UniTalk virtual PBX as a source.
//!
//! UniTalk's public API (`https://api.unitalk.cloud/api`, every method a `POST` with the
//! key in the `Authorization` header) has a call history, `history/get`, read by a date
//! window with `limit` / `offset`; ferry polls it (docs/connectors/unitalk.md explains
//! the choice over webhooks). Layout:
//! - [`spec`]: settings, the `call` trigger and its item fields;
//! - `client`: the request style and UniTalk's `{"status":"Error"}` answers;
//! - `history`: the polled window, paging and cursor, and employees' names;
//! - `call`: one history record → one item (direction, answered, client number, line,
//!   employee, recording, dates, durations);
//! - [`emulator`]: an in-process UniTalk for tests, examples and demos.

mod call;
mod client;
pub mod emulator;
mod history;
pub mod spec;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Map, Value, json};

pub use emulator::{UnitalkEmulator, UnitalkEmulatorConfig};

use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, PollPage, PollRequest, Record, Settings,
    unknown_trigger,
};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;
use client::UnitalkClient;
use history::CallSettings;

/// The `unitalk` connector kind.
pub struct UnitalkKind;

impl ConnectorKind for UnitalkKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(UnitalkConnector {
            client: UnitalkClient::new(&settings, ctx)?,
            employees: Mutex::new(Map::new()),
        }))
    }
}

/// A connection to one UniTalk account.
pub struct UnitalkConnector {
    client: UnitalkClient,
    /// Employees' names by line, read on each poll's first page and kept for its others.
    employees: Mutex<Map<String, Value>>,
}

#[async_trait]
impl Connector for UnitalkConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        &spec::SPEC
    }

    /// The cheapest authenticated call: one call of the last minute.
    async fn check(&self) -> Result<(), ConnectorError> {
        let now = chrono::Utc::now()
            .with_timezone(&self.client.offset)
            .naive_local();
        let format = call::DATE_FORMAT;
        let body = json!({
            "dateFrom": (now - chrono::Duration::minutes(1)).format(format).to_string(),
            "dateTo": now.format(format).to_string(),
            "limit": 1,
            "offset": 0,
        });
        self.client.call("history/get", &body).await.map(|_| ())
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        if request.event != spec::CALL {
            return Err(unknown_trigger(spec::SPEC.kind, request.event));
        }
        // Settings first: a misconfigured trigger sends nothing.
        let settings = CallSettings::from(request.settings)?;
        if request.page.is_none() {
            let names = if settings.employee_names {
                history::employees(&self.client).await?
            } else {
                Map::new()
            };
            *self.employees.lock().unwrap_or_else(|p| p.into_inner()) = names;
        }
        let employees = self
            .employees
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        history::poll(&self.client, &employees, &request).await
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "unitalk is a source and has no action `{}`",
            call.action
        )))
    }
}
