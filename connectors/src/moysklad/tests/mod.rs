//! Conformance tests of the `moysklad` connector against its emulator: wire format,
//! error classification, pagination and cursor, request limits.

mod actions;
mod conformance;
mod limits;
mod trigger;

use std::sync::Arc;

use serde_json::{Value, json};

use super::MoySkladKind;
use super::emulator::{MoySkladEmulator, MoySkladEmulatorConfig};
use crate::conformance::transport;
use crate::connector::{Connector, PollPage, PollRequest};
use crate::error::ConnectorError;
use crate::test_kit;
use crate::test_kit::execute as run;

/// An emulator and a connector pointed at it.
struct Fixture {
    emulator: MoySkladEmulator,
    connector: Arc<dyn Connector>,
}

/// A connector for `emulator` using `token`.
fn connector_for(emulator: &MoySkladEmulator, token: &str) -> Arc<dyn Connector> {
    let values =
        json!({"base_url": emulator.base_url(), "organization": emulator.organization_id()});
    let settings = test_kit::settings(values, "token", token);
    test_kit::build(&MoySkladKind, settings, &transport(), "sklad").unwrap()
}

async fn fixture_with(config: MoySkladEmulatorConfig) -> Fixture {
    let emulator = MoySkladEmulator::start(config).await;
    let connector = connector_for(&emulator, emulator.token());
    Fixture {
        emulator,
        connector,
    }
}

async fn fixture() -> Fixture {
    fixture_with(MoySkladEmulatorConfig::default()).await
}

/// One complete poll (all pages): the items and the cursor to store.
async fn poll_all(
    connector: &dyn Connector,
    cursor: Option<&Value>,
    settings: Value,
) -> Result<(Vec<Value>, Value, usize), ConnectorError> {
    let settings = settings.as_object().unwrap().clone();
    let mut items = Vec::new();
    let mut page: Option<Value> = None;
    let mut pages = 0;
    loop {
        let PollPage {
            items: got,
            next_page,
            cursor: new_cursor,
        } = connector
            .poll(PollRequest {
                event: "order_changed",
                settings: &settings,
                cursor,
                page: page.as_ref(),
                now: chrono::Utc::now(),
            })
            .await?;
        pages += 1;
        items.extend(got);
        assert!(pages < 1000, "pagination does not end");
        match next_page {
            Some(next) => page = Some(next),
            None => {
                return Ok((
                    items,
                    new_cursor.expect("every page reports a cursor"),
                    pages,
                ));
            }
        }
    }
}
