//! The `bitrix24` connector against its emulator: the shared conformance checks, each
//! action's wire format read back from the request log, duplicate search in both empty
//! shapes, stage semantics, lead conversion, and the leaky bucket.

mod actions;
mod conformance;
mod convert;
mod limits;

use std::sync::Arc;

use serde_json::{Value, json};

use super::Bitrix24Kind;
use super::emulator::{Bitrix24Emulator, Bitrix24EmulatorConfig};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::Connector;
use crate::emulation::{InstrumentedServer, RecordedRequest};
use crate::test_kit;
pub(super) use crate::test_kit::execute;
use crate::transport::HttpTransport;

/// The webhook code the emulator accepts (the canary searched for in error texts).
const CODE: &str = "b24canarycode7f3e9a";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: Bitrix24Emulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Self::start_with(Bitrix24EmulatorConfig::default()).await
    }

    pub(super) async fn start_with(config: Bitrix24EmulatorConfig) -> Self {
        let config = Bitrix24EmulatorConfig {
            code: CODE.into(),
            ..config
        };
        Target {
            emulator: Bitrix24Emulator::start(config).await,
        }
    }

    /// A connector with the right code and a high rate limit (so tests never wait).
    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(CODE, &transport())
    }

    /// A connector with the right code and the connector's own default limit.
    pub(super) fn connector_with_default_limit(&self) -> Arc<dyn Connector> {
        build_connector(&self.webhook_for(CODE), &transport())
    }

    fn webhook_for(&self, code: &str) -> String {
        format!("{}/rest/1/{code}/", self.emulator.base_url())
    }

    /// Requests to one method (path ends with `<method>.json`).
    pub(super) fn calls(&self, method: &str) -> Vec<RecordedRequest> {
        let suffix = format!("/{method}.json");
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with(&suffix))
            .collect()
    }
}

fn build_connector(webhook_url: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
    let settings = test_kit::settings(json!({}), "webhook_url", webhook_url);
    test_kit::build(&Bitrix24Kind, settings, transport, "crm").expect("connector builds")
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        build_connector(&self.webhook_for(secret), &test_kit::unthrottled(transport))
    }
    fn secret(&self) -> &str {
        CODE
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.emulator
    }
}

/// The JSON body of a recorded request.
pub(super) fn body(request: &RecordedRequest) -> Value {
    request.json().unwrap_or_else(|| json!(null))
}
