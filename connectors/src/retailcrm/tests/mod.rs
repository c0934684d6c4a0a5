//! The `retailcrm` connector against its emulator: the shared conformance checks, then
//! customers (lookups and dedup, wire format), orders, and the status-change trigger
//! (pagination, cursor), read back from the emulator's request log and stores.

mod conformance;
mod customers;
mod history;
mod orders;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{RetailCrmEmulator, RetailCrmEmulatorConfig, RetailCrmKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::{ActionCall, BuildContext, Connector, ConnectorKind, Record, Settings};
use crate::emulation::{FaultPlan, RequestLog};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{HttpTransport, RateLimit};

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
        let secrets = BTreeMap::from([("api_key".to_string(), SecretString::new(secret))]);
        let settings = Settings::new(values.as_object().cloned().unwrap_or_default(), secrets);
        RetailCrmKind
            .build(
                settings,
                &BuildContext {
                    http: transport.with_rate_limit_override(Some(RateLimit::per(
                        1000,
                        std::time::Duration::from_secs(1),
                    ))),
                    connection_name: "shop".into(),
                    oauth: Default::default(),
                },
            )
            .expect("connector builds")
    }
    fn secret(&self) -> &str {
        KEY
    }
    fn log(&self) -> &RequestLog {
        self.emulator.log()
    }
    fn faults(&self) -> &FaultPlan {
        self.emulator.faults()
    }
}

pub(super) async fn execute(
    connector: &dyn Connector,
    action: &str,
    input: Value,
) -> Result<Record, ConnectorError> {
    let input: Map<String, Value> = input.as_object().cloned().expect("object input");
    connector
        .execute(ActionCall {
            action,
            input: &input,
            idempotency_key: "key-1",
        })
        .await
}
