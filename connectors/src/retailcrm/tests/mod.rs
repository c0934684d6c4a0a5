//! The `retailcrm` connector against its emulator: the shared conformance checks, then
//! customers (lookups and dedup, wire format), orders, and the status-change trigger
//! (pagination, cursor), read back from the emulator's request log and stores.

mod conformance;
mod customers;
mod history;
mod orders;

use std::sync::Arc;

use serde_json::json;

use super::{RetailCrmEmulator, RetailCrmEmulatorConfig, RetailCrmKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::Connector;
use crate::emulation::InstrumentedServer;
use crate::test_kit;
pub(super) use crate::test_kit::execute;
use crate::transport::HttpTransport;

const SITE: &str = "main";
const KEY: &str = "rc-canary-key-8d1e4b";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: RetailCrmEmulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Target {
            emulator: RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(KEY, SITE))
                .await
                .expect("emulator starts"),
        }
    }

    /// A connector with the right key and a high rate limit (so tests never wait).
    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(KEY, &transport())
    }
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        let values = json!({"url": self.emulator.base_url(), "site": SITE});
        let settings = test_kit::settings(values, "api_key", secret);
        test_kit::build(
            &RetailCrmKind,
            settings,
            &test_kit::unthrottled(transport),
            "shop",
        )
        .expect("connector builds")
    }
    fn secret(&self) -> &str {
        KEY
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.emulator
    }
}
