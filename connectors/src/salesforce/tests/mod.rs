//! The `salesforce` connector against its emulator: the shared conformance checks, then
//! the wire format of every action read back from the request log, the phone and e-mail
//! lookups, opportunities by contact, reopening, call tasks, upserts, token refresh, and
//! the emulator's own SOQL, paging and validation.

mod auth;
mod conformance;
mod emulator;
mod lookups;
mod opportunities;
mod records;
mod tasks;

use std::sync::Arc;

use serde_json::{Value, json};

use super::{SalesforceEmulator, SalesforceEmulatorConfig, SalesforceKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::{Connector, Settings};
use crate::emulation::{InstrumentedServer, RecordedRequest};
use crate::error::ConnectorError;
use crate::test_kit;
pub(super) use crate::test_kit::{execute, find};
use crate::transport::HttpTransport;

const TOKEN: &str = "00D5g000004XyZa!AQ4AQsf-canary-token-7c1e";

/// The REST path prefix the connector uses by default.
const DATA: &str = "/services/data/v60.0";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: SalesforceEmulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Self::with(SalesforceEmulatorConfig::with_token(TOKEN)).await
    }

    pub(super) async fn with(config: SalesforceEmulatorConfig) -> Self {
        Target {
            emulator: SalesforceEmulator::start(config).await,
        }
    }

    /// A connector with the right token.
    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(TOKEN, &transport())
    }
}

/// Settings for a connection to `emulator` with an access token only.
pub(super) fn settings(emulator: &SalesforceEmulator, token: &str) -> Settings {
    test_kit::settings(
        json!({"instance_url": emulator.instance_url()}),
        "access_token",
        token,
    )
}

/// Build a connector from settings on a fresh in-memory token vault.
pub(super) fn build(
    settings: Settings,
    transport: &HttpTransport,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    test_kit::build(&SalesforceKind, settings, transport, "sf")
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        build(settings(&self.emulator, secret), transport).expect("connector builds")
    }
    fn secret(&self) -> &str {
        TOKEN
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.emulator
    }
}

/// The SOQL of every query request, in order.
pub(super) fn queries(emulator: &SalesforceEmulator) -> Vec<String> {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path == format!("{DATA}/query"))
        .filter_map(|r| r.query_param("q").map(str::to_string))
        .collect()
}

/// The requests other than GETs (the writes), in order.
pub(super) fn writes(emulator: &SalesforceEmulator) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

/// A lead body the emulator accepts.
pub(super) fn lead(last: &str, phone: &str) -> Value {
    json!({"LastName": last, "Company": "Acme", "Phone": phone})
}
