//! Conformance tests of the `moysklad` connector against its emulator: wire format,
//! error classification, pagination and cursor, request limits.

mod actions;
mod conformance;
mod limits;
mod trigger;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::MoySkladKind;
use super::emulator::{MoySkladEmulator, MoySkladEmulatorConfig};
use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, PollPage, PollRequest, Record, Settings,
};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{HttpTransport, TransportConfig};

/// An emulator and a connector pointed at it.
struct Fixture {
    emulator: MoySkladEmulator,
    connector: Arc<dyn Connector>,
}

/// A connector for `emulator` using `token`.
fn connector_for(emulator: &MoySkladEmulator, token: &str) -> Arc<dyn Connector> {
    let values =
        json!({"base_url": emulator.base_url(), "organization": emulator.organization_id()});
    let secrets = BTreeMap::from([("token".to_string(), SecretString::new(token))]);
    let settings = Settings::new(values.as_object().unwrap().clone(), secrets);
    let ctx = BuildContext {
        http: HttpTransport::new(TransportConfig::default()).unwrap(),
        connection_name: "sklad".into(),
        oauth: Default::default(),
    };
    MoySkladKind.build(settings, &ctx).unwrap()
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

async fn run(
    connector: &dyn Connector,
    action: &str,
    input: Value,
) -> Result<Record, ConnectorError> {
    let input: Map<String, Value> = input.as_object().unwrap().clone();
    connector
        .execute(ActionCall {
            action,
            input: &input,
            idempotency_key: "k",
        })
        .await
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
