//! End-to-end: the Calltouch → retailCRM templates (S1.1–S1.4) against the Calltouch and
//! retailCRM emulators, over several five-minute ticks with a manual clock, asserting the
//! exact records the emulators hold.

mod support;

use ferry_connectors::calltouch::emulator::{CalltouchEmulator, CalltouchEmulatorConfig};
use ferry_connectors::retailcrm::emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};
use serde_json::{Value, json};
use support::{World, template};

const CT_TOKEN: &str = "ct-token-0d9f7e";
const RC_KEY: &str = "rc-key-51a2b3";

struct Crms {
    calltouch: CalltouchEmulator,
    retail: RetailCrmEmulator,
}

async fn crms() -> Crms {
    Crms {
        calltouch: CalltouchEmulator::start(CalltouchEmulatorConfig::new("12345", CT_TOKEN))
            .await
            .unwrap(),
        retail: RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(RC_KEY, "main"))
            .await
            .unwrap(),
    }
}

fn world() -> World {
    let mut world = World::new();
    world.secrets.set_secret("CALLTOUCH_TOKEN", CT_TOKEN);
    world.secrets.set_secret("RETAILCRM_API_KEY", RC_KEY);
    world
}

fn call(id: i64, phone: &str, time: &str) -> Value {
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
        "tags_tones": ["press-1"],
        "tags_number": ["sales-line"],
    })
}

fn call_to_order(crms: &Crms) -> ferry::bundle::Bundle {
    template(
        "calltouch-retailcrm/call-to-order.yaml",
        &[
            ("calltouch", "base_url", crms.calltouch.base_url()),
            ("shop", "url", crms.retail.base_url()),
        ],
    )
}

fn phones_of(customers: &[Value]) -> Vec<String> {
    let mut phones: Vec<String> = customers
        .iter()
        .map(|c| {
            c["phones"][0]["number"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    phones.sort();
    phones
}

/// S1.1: deal per call, one customer per phone (reused), one order per call; nothing is
/// processed twice across ticks or a restart.
#[tokio::test]
async fn s1_1_call_to_order_over_ticks_and_a_restart() {
    let crms = crms().await;
    let world = world();
    // A customer who called before ferry existed: reused, not created again.
    let existing = crms
        .retail
        .add_customer(json!({"firstName": "Anna", "phones": [{"number": "79160000003"}]}));

    crms.calltouch
        .add_call(call(5501, "+7 (916) 000-00-01", "10:01:00"));
    crms.calltouch
        .add_call(call(5502, "79160000002", "10:02:00"));
    crms.calltouch
        .add_call(call(5503, "79160000001", "10:03:00"));

    let engine = world.engine(vec![call_to_order(&crms)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 3);
    assert_eq!(report.counts.succeeded, 3, "{report:?}");

    // Tick 2: two more calls arrive, one from a known phone and one from the old customer.
    world.next_tick();
    crms.calltouch
        .add_call(call(5504, "79160000002", "10:06:00"));
    crms.calltouch
        .add_call(call(5505, "79160000003", "10:07:00"));
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.bundles[0].poll.items_new, 2,
        "only the new calls are queued"
    );
    assert_eq!(report.counts.succeeded, 5);
    drop(engine);

    // Restart: a new engine on the same store processes nothing again.
    world.next_tick();
    let engine = world.engine(vec![call_to_order(&crms)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 0);
    assert_eq!(report.items_processed, 0);

    // (a) one Calltouch deal per call: budget 0, PENDING, bound to the call.
    let deals = crms.calltouch.deals();
    assert_eq!(deals.len(), 5);
    for deal in &deals {
        let body = &deal.created;
        assert_eq!(body["status"], "PENDING", "{body}");
        assert_eq!(body["matching"][0]["type"], "call");
        assert_eq!(
            body["matching"][0]["callParams"]["callId"].to_string(),
            deal.order_number
        );
    }
    // (b) one customer per phone: 01 and 02 created once each, 03 reused.
    let customers = crms.retail.customers();
    assert_eq!(
        phones_of(&customers),
        vec!["79160000001", "79160000002", "79160000003"]
    );
    // (c) one order per call, each for the customer with the caller's phone.
    let orders = crms.retail.orders();
    assert_eq!(orders.len(), 5);
    for order in &orders {
        let call_id = order["externalId"].as_str().unwrap();
        let deal = crms
            .calltouch
            .deal(call_id)
            .expect("the order carries its deal's number");
        let phone = order["phone"].as_str().unwrap();
        let customer_id = order["customer"]["id"].as_i64().unwrap();
        let customer = customers.iter().find(|c| c["id"] == customer_id).unwrap();
        assert_eq!(customer["phones"][0]["number"], phone);
        assert_eq!(order["status"], "new");
        let raw = if call_id == "5501" {
            "+7 (916) 000-00-01"
        } else {
            phone
        };
        assert_eq!(
            order["firstName"],
            format!("Order from Calltouch call, number {raw}")
        );
        assert_eq!(order["source"]["source"], "yandex");
        assert_eq!(order["customFields"]["tags"], "press-1|sales-line");
        assert!(!deal.order_number.is_empty());
    }
    let reused = orders
        .iter()
        .filter(|o| o["customer"]["id"] == existing)
        .count();
    assert_eq!(
        reused, 1,
        "the existing customer got the order of call 5505"
    );
}
