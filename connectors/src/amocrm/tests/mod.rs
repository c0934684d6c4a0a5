//! The `amocrm` connector against its emulator: the shared conformance checks, then the
//! wire format of every action read back from the request log, lookups (204 as "nothing
//! found", digits confirmed), newest-lead searches, custom fields and the rate limit.

mod conformance;
mod contacts;
mod external;
mod leads;
mod limits;
mod oauth;
mod tasks;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{AmoCrmEmulator, AmoCrmEmulatorConfig, AmoCrmKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, Record, Settings,
};
use crate::emulation::{FaultPlan, RecordedRequest, RequestLog};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{HttpTransport, RateLimit};

const TOKEN: &str = "amo-canary-token-51f0c2d9";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: AmoCrmEmulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Target {
            emulator: AmoCrmEmulator::start(AmoCrmEmulatorConfig::with_token(TOKEN)).await,
        }
    }

    /// A connector with the right token and a high rate limit (so tests never wait).
    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(TOKEN, &transport())
    }
}

/// Settings for a connection to `emulator` with `token`.
pub(super) fn settings(emulator: &AmoCrmEmulator, token: &str) -> Settings {
    let values = json!({"base_url": emulator.base_url()});
    let secrets = BTreeMap::from([("access_token".to_string(), SecretString::new(token))]);
    Settings::new(values.as_object().cloned().unwrap_or_default(), secrets)
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        AmoCrmKind
            .build(
                settings(&self.emulator, secret),
                &BuildContext {
                    http: transport.with_rate_limit_override(Some(RateLimit::per(
                        1000,
                        Duration::from_secs(1),
                    ))),
                    connection_name: "amo".into(),
                    oauth: Default::default(),
                },
            )
            .expect("connector builds")
    }
    fn secret(&self) -> &str {
        TOKEN
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
            idempotency_key: "idem-key-1",
        })
        .await
}

pub(super) async fn find(
    connector: &dyn Connector,
    action: &str,
    key: &str,
    value: Value,
) -> Result<Option<Found>, ConnectorError> {
    let input = Map::new();
    connector
        .find(FindCall {
            action,
            key,
            value: &value,
            input: &input,
        })
        .await
}

/// The requests other than GETs (the writes), in order.
pub(super) fn writes(emulator: &AmoCrmEmulator) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

/// `(method, path)` of every request, for order assertions.
pub(super) fn lines(emulator: &AmoCrmEmulator) -> Vec<String> {
    emulator.requests().iter().map(|r| r.line()).collect()
}
