//! The `calltouch` connector against its emulator: the shared conformance checks, then
//! pagination and cursor behaviour of the triggers and the exact wire format of the
//! actions, read back from the emulator's request log and deal store.

mod actions;
mod conformance;
mod triggers;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::{CalltouchEmulator, CalltouchEmulatorConfig, CalltouchKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::Connector;
use crate::emulation::InstrumentedServer;
use crate::error::ConnectorError;
use crate::test_kit;
pub(super) use crate::test_kit::execute;
use crate::transport::HttpTransport;

const SITE: &str = "48151";
const TOKEN: &str = "ct-canary-token-5f3a9c";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: CalltouchEmulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Target {
            emulator: CalltouchEmulator::start(CalltouchEmulatorConfig::new(SITE, TOKEN))
                .await
                .expect("emulator starts"),
        }
    }

    /// A connector with the right token and a high rate limit (so tests never wait).
    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(TOKEN, &transport())
    }

    /// A connector with extra settings.
    pub(super) fn connector_with(
        &self,
        extra: Value,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        build(&self.emulator, TOKEN, &transport(), extra)
    }
}

fn build(
    emulator: &CalltouchEmulator,
    token: &str,
    http: &HttpTransport,
    extra: Value,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    let mut values = json!({"site_id": SITE, "base_url": emulator.base_url()});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        values[k] = v;
    }
    let settings = test_kit::settings(values, "token", token);
    test_kit::build(
        &CalltouchKind,
        settings,
        &test_kit::unthrottled(http),
        "calltouch",
    )
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        build(&self.emulator, secret, transport, json!({})).expect("connector builds")
    }
    fn secret(&self) -> &str {
        TOKEN
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.emulator
    }
}

/// A UTC instant given as Moscow wall-clock time (the cabinet's default zone).
pub(super) fn msk(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(3 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A call record with the real field names.
pub(super) fn call(id: i64, date: &str) -> Value {
    json!({"callId": id, "date": date, "callerNumber": format!("7916{id:07}"), "phoneNumber": "74951112233",
        "duration": 75, "successful": true, "uniqueCall": true, "targetCall": true, "source": "yandex",
        "medium": "cpc", "utmSource": "yandex", "utmMedium": "cpc", "utmCampaign": "spring",
        "utmContent": "banner", "utmTerm": "sofa", "sessionId": 90000 + id, "ctClientId": 70000 + id,
        "clientId": format!("GA1.2.{id}"), "callTags": [{"category": "auto", "type": "tone", "names": ["lead"]}],
        "orders": []})
}
