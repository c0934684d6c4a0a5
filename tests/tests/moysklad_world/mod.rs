//! The Calltouch ⇄ MoySklad test world: both emulators, the four templates from
//! `bundles/calltouch-moysklad/` pointed at them, the MoySklad clock kept in step with the
//! engine's manual clock, and readers for what the emulators and the store hold.

#![allow(dead_code)] // each test uses its own subset

use chrono::{Duration as TimeDelta, NaiveDateTime};
use ferry::bundle::Bundle;
use ferry::clock::Clock;
use ferry::runtime::Engine;
use ferry::store::{ItemCounts, ItemStatus, RunQuery};
use ferry_connectors::calltouch::emulator::{
    CalltouchEmulator, CalltouchEmulatorConfig, DealRecord,
};
use ferry_connectors::moysklad::emulator::{MoySkladEmulator, MoySkladEmulatorConfig};
use serde_json::{Value, json};

use crate::support::{World, template};

/// The Calltouch token the emulator accepts.
pub const CT_TOKEN: &str = "ct-token-5c1e94";
/// The MoySklad token the emulator accepts.
pub const MS_TOKEN: &str = "ms-token-8e27d0";

/// Template paths under `bundles/`.
pub const CALL_TO_ORDER: &str = "calltouch-moysklad/call-to-order.yaml";
/// See [`CALL_TO_ORDER`].
pub const REQUEST_TO_ORDER: &str = "calltouch-moysklad/request-to-order.yaml";
/// See [`CALL_TO_ORDER`].
pub const ORDER_STATUS_UPDATE: &str = "calltouch-moysklad/order-status-update.yaml";
/// See [`CALL_TO_ORDER`].
pub const ORDER_COMPLETED: &str = "calltouch-moysklad/order-completed.yaml";

/// Bundle ids of the templates, for per-bundle item counts.
pub const STATUS_UPDATE_ID: &str = "calltouch-moysklad-order-status-update";
/// See [`STATUS_UPDATE_ID`].
pub const COMPLETED_ID: &str = "calltouch-moysklad-order-completed";

/// Both emulators.
pub struct Crms {
    /// Calltouch: journals and deals.
    pub calltouch: CalltouchEmulator,
    /// MoySklad: counterparties and customer orders.
    pub sklad: MoySkladEmulator,
}

impl Crms {
    /// Start both emulators with the default MoySklad seed (states `Новый` … `Выполнен`,
    /// the attributes source, medium, utm_*, gclid, tags).
    pub async fn start() -> Crms {
        Crms {
            calltouch: CalltouchEmulator::start(CalltouchEmulatorConfig::new("12345", CT_TOKEN))
                .await
                .expect("start the Calltouch emulator"),
            sklad: MoySkladEmulator::start(MoySkladEmulatorConfig {
                token: MS_TOKEN.into(),
                ..MoySkladEmulatorConfig::default()
            })
            .await,
        }
    }

    /// A template with both connections pointed at the emulators.
    pub fn bundle(&self, relative: &str) -> Bundle {
        template(
            relative,
            &[
                ("calltouch", "base_url", self.calltouch.base_url()),
                ("sklad", "base_url", self.sklad.base_url()),
                ("sklad", "organization", self.sklad.organization_id()),
            ],
        )
    }

    /// Stamp every MoySklad change from now on with the engine clock's time plus
    /// `offset` (Moscow time), so the `order_changed` cursor, which starts at the
    /// engine's time, and the orders' `updated` stamps are on one time line.
    pub fn sklad_time(&self, world: &World, offset: TimeDelta) {
        self.sklad.freeze_time(Some(moscow(world) + offset));
    }

    /// The counterparty with this id.
    pub fn counterparty(&self, id: &str) -> Value {
        self.sklad
            .counterparties()
            .into_iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no counterparty {id}"))
    }

    /// The order whose external code is `code`.
    pub fn order_by_code(&self, code: &str) -> Value {
        let orders: Vec<Value> = self
            .sklad
            .orders()
            .into_iter()
            .filter(|o| o["externalCode"] == code)
            .collect();
        assert_eq!(
            orders.len(),
            1,
            "exactly one order with external code {code}: {orders:#?}"
        );
        orders.into_iter().next().unwrap()
    }

    /// The deal with this order number.
    pub fn deal(&self, order_number: &str) -> DealRecord {
        self.calltouch
            .deal(order_number)
            .unwrap_or_else(|| panic!("no Calltouch deal {order_number}"))
    }

    /// `(status, revenue)` of each update a deal received, oldest first.
    pub fn deal_updates(&self, order_number: &str) -> Vec<(String, String)> {
        self.deal(order_number)
            .updates
            .iter()
            .map(|u| (text(&u["status"]), text(&u["revenue"])))
            .collect()
    }

    /// How many requests with this method reached this MoySklad path.
    pub fn sklad_calls(&self, method: &str, api_path: &str) -> usize {
        self.sklad
            .requests()
            .iter()
            .filter(|r| r.method == method && r.api_path() == api_path)
            .count()
    }
}

/// The engine clock's time in Moscow.
pub fn moscow(world: &World) -> NaiveDateTime {
    (world.clock.now() + TimeDelta::hours(3)).naive_utc()
}

/// A world whose secrets hold both tokens.
pub fn world() -> World {
    let mut world = World::new();
    world.secrets.set_secret("CALLTOUCH_TOKEN", CT_TOKEN);
    world.secrets.set_secret("MOYSKLAD_TOKEN", MS_TOKEN);
    world
}

/// A string value's text (empty for anything else).
pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// The order's agent (counterparty) id, read from its meta href.
pub fn agent_id(order: &Value) -> String {
    let href = order["agent"]["meta"]["href"]
        .as_str()
        .expect("order has an agent");
    href.rsplit('/').next().unwrap().to_string()
}

/// The order's custom attributes as `name -> value`.
pub fn attributes(order: &Value) -> serde_json::Map<String, Value> {
    order["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| (text(&a["name"]), a["value"].clone()))
        .collect()
}

/// Item counts of one bundle.
pub async fn counts(engine: &Engine, bundle_id: &str) -> ItemCounts {
    engine
        .store()
        .item_counts(Some(bundle_id))
        .await
        .expect("item counts")
}

/// `key: status: error` of every item that did not succeed, to explain a failed assertion.
pub async fn unsuccessful(engine: &Engine) -> Vec<String> {
    let runs = engine
        .store()
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 1000,
        })
        .await
        .expect("runs");
    let mut lines = Vec::new();
    for run in runs {
        let detail = engine.store().run_detail(run.id).await.expect("run detail");
        for item in detail.into_iter().flat_map(|d| d.items) {
            if item.status != ItemStatus::Succeeded {
                lines.push(format!(
                    "{} {}: {:?}: {:?}",
                    run.bundle_id, item.key, item.status, item.error
                ));
            }
        }
    }
    lines
}

/// A call as the calls journal returns it (with the `withCallTags` flag).
pub fn call(id: i64, phone: &str, time: &str) -> Value {
    json!({
        "callId": id,
        "date": format!("14/05/2026 {time}"),
        "callerNumber": phone,
        "phoneNumber": "74951112233",
        "duration": 75,
        "successful": true,
        "source": "yandex",
        "medium": "cpc",
        "utmSource": "yandex",
        "utmMedium": "cpc",
        "utmCampaign": "spring",
        "utmContent": "banner-1",
        "utmTerm": "sofa",
        "clientId": format!("GA1.2.{id}"),
        "callTags": [
            {"category": "auto", "type": "tone", "names": ["press-1"]},
            {"category": "auto", "type": "number", "names": ["sales-line", "moscow"]},
        ],
    })
}

/// A form request as the requests journal returns it; `at` is Moscow `HH:MM:SS`.
pub fn request(id: i64, phone: Option<&str>, email: Option<&str>, at: &str) -> Value {
    let moscow =
        chrono::NaiveDateTime::parse_from_str(&format!("2026-05-14 {at}"), "%Y-%m-%d %H:%M:%S")
            .unwrap();
    let millis = (moscow - TimeDelta::hours(3)).and_utc().timestamp_millis();
    let phones: Vec<Value> = phone
        .map(|p| json!({"phoneNumber": p, "phoneType": "MOBILE"}))
        .into_iter()
        .collect();
    let contacts: Vec<Value> = email
        .map(|e| json!({"contactType": "email", "contactValue": e}))
        .into_iter()
        .collect();
    json!({
        "requestId": id,
        "requestNumber": format!("site-{id}"),
        "date": millis,
        "dateStr": format!("14/05/2026 {at}"),
        "subject": "Callback form",
        "session": {
            "sessionId": 7000 + id, "source": "google", "medium": "organic",
            "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "summer",
            "utmContent": "ad-2", "utmTerm": "armchair",
        },
        "client": {"clientId": format!("GA1.2.r{id}"), "fio": "", "phones": phones, "contacts": contacts},
        "RequestTags": [{"category": "form", "type": "manual", "names": ["hot"]}],
    })
}
