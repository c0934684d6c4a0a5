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

use std::sync::Arc;

use serde_json::json;

use super::{AmoCrmEmulator, AmoCrmEmulatorConfig, AmoCrmKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::{Connector, Settings};
use crate::emulation::{InstrumentedServer, RecordedRequest};
use crate::test_kit;
pub(super) use crate::test_kit::{execute, find};
use crate::transport::HttpTransport;

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
    test_kit::settings(
        json!({"base_url": emulator.base_url()}),
        "access_token",
        token,
    )
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        let http = test_kit::unthrottled(transport);
        test_kit::build(&AmoCrmKind, settings(&self.emulator, secret), &http, "amo")
            .expect("connector builds")
    }
    fn secret(&self) -> &str {
        TOKEN
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.emulator
    }
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
