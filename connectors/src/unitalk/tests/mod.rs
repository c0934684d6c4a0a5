//! The `unitalk` connector against its emulator: the shared conformance checks, the
//! history read page by page with every call exactly once, the window and cursor across
//! polls, the request bodies on the wire, and the items' derived fields.

mod conformance;
mod history;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{UnitalkEmulator, UnitalkEmulatorConfig, UnitalkKind};
use crate::conformance::{ConformanceTarget, transport};
use crate::connector::{Connector, Settings};
use crate::emulation::InstrumentedServer;
use crate::test_kit;
use crate::transport::HttpTransport;

const KEY: &str = "unitalk-canary-key-5e2a91";

/// A running emulator plus what the conformance harness needs.
pub(super) struct Target {
    pub emulator: UnitalkEmulator,
}

impl Target {
    pub(super) async fn start() -> Self {
        Target {
            emulator: UnitalkEmulator::start(UnitalkEmulatorConfig::with_key(KEY)).await,
        }
    }

    pub(super) fn connector(&self) -> Arc<dyn Connector> {
        self.build(KEY, &transport())
    }
}

/// Settings for a connection to `emulator` (account in Kyiv summer time, +03:00).
pub(super) fn settings(emulator: &UnitalkEmulator, key: &str) -> Settings {
    let values = json!({"base_url": emulator.base_url(), "utc_offset": "+03:00"});
    test_kit::settings(values, "api_key", key)
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        test_kit::build(
            &UnitalkKind,
            settings(&self.emulator, secret),
            transport,
            "unitalk",
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

/// A UTC instant given as the account's local time (+03:00).
pub(super) fn kyiv(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(3 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .to_utc()
}

/// Trigger settings from a JSON object.
pub(super) fn trigger(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}
