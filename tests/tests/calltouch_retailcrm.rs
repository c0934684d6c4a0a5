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
        assert_eq!(body["revenue"], "0.00", "budget 0: {body}");
        assert_eq!(body["matching"][0]["type"], "call");
        assert_eq!(
            format!("call-{}", body["matching"][0]["callParams"]["callId"]),
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
        let deal_number = order["externalId"].as_str().unwrap();
        let deal = crms
            .calltouch
            .deal(deal_number)
            .expect("the order carries its deal's number");
        let phone = order["phone"].as_str().unwrap();
        let customer_id = order["customer"]["id"].as_i64().unwrap();
        let customer = customers.iter().find(|c| c["id"] == customer_id).unwrap();
        assert_eq!(customer["phones"][0]["number"], phone);
        assert_eq!(order["status"], "new");
        let raw = if deal_number == "call-5501" {
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

fn form_request(id: i64, phone: Option<&str>, email: Option<&str>, time: &str) -> Value {
    let phones: Vec<Value> = phone
        .map(|p| json!({"phoneNumber": p, "phoneType": "mobile"}))
        .into_iter()
        .collect();
    let contacts: Vec<Value> = email
        .map(|e| json!({"contactType": "email", "contactValue": e}))
        .into_iter()
        .collect();
    json!({
        "requestId": id,
        "requestNumber": format!("site-{id}"),
        "dateStr": format!("14/05/2026 {time}"),
        "subject": "Callback form",
        "client": {"clientId": id * 10, "fio": "Client", "phones": phones, "contacts": contacts},
        "session": {"sessionId": id * 100, "source": "google", "medium": "organic", "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "summer"},
    })
}

/// S1.2: requests dedup customers by phone, else by e-mail; every request gets its order.
#[tokio::test]
async fn s1_2_request_to_order_dedups_by_phone_then_email() {
    let crms = crms().await;
    let world = world();
    let bundle = template(
        "calltouch-retailcrm/request-to-order.yaml",
        &[
            ("calltouch", "base_url", crms.calltouch.base_url()),
            ("shop", "url", crms.retail.base_url()),
        ],
    );
    crms.calltouch.add_request(form_request(
        901,
        Some("79160000011"),
        Some("Ann@Example.ru"),
        "10:01:00",
    ));
    let engine = world.engine(vec![bundle.clone()]).await;
    engine.tick().await.unwrap();

    world.next_tick();
    // New phone but a known e-mail: reuse by e-mail. No phone, new e-mail: create.
    crms.calltouch.add_request(form_request(
        902,
        Some("79160000012"),
        Some("ann@example.ru"),
        "10:06:00",
    ));
    crms.calltouch
        .add_request(form_request(903, None, Some("bob@example.ru"), "10:07:00"));
    // Known phone, other e-mail: reuse by phone.
    crms.calltouch.add_request(form_request(
        904,
        Some("+7 916 000-00-11"),
        Some("other@example.ru"),
        "10:08:00",
    ));
    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.succeeded, 4, "{report:?}");
    assert_eq!(report.counts.failed, 0);

    let customers = crms.retail.customers();
    assert_eq!(customers.len(), 2, "{customers:#?}");
    let ann = customers
        .iter()
        .find(|c| c["email"] == "ann@example.ru")
        .expect("ann");
    let bob = customers
        .iter()
        .find(|c| c["email"] == "bob@example.ru")
        .expect("bob");
    let orders = crms.retail.orders();
    assert_eq!(orders.len(), 4);
    let owner = |request: i64| {
        let order = orders
            .iter()
            .find(|o| o["externalId"] == format!("request-{request}"))
            .unwrap();
        order["customer"]["id"].clone()
    };
    assert_eq!(owner(901), ann["id"]);
    assert_eq!(owner(902), ann["id"]);
    assert_eq!(owner(903), bob["id"]);
    assert_eq!(owner(904), ann["id"]);
    assert_eq!(crms.calltouch.deals().len(), 4);
    assert!(crms.calltouch.deal("request-903").is_some());
}

/// S1.3 and S1.4 together: status changes update the deal only through the bundle whose
/// filter matches; completion sets COMPLETED with the total; orders that did not come
/// from Calltouch and order creation are ignored.
#[tokio::test]
async fn s1_3_and_s1_4_order_status_flows_update_the_matching_deal() {
    let crms = crms().await;
    let world = world();
    let overrides = |_: ()| {
        vec![
            ("calltouch", "base_url", crms.calltouch.base_url()),
            ("shop", "url", crms.retail.base_url()),
        ]
    };
    let bundles = vec![
        template("calltouch-retailcrm/call-to-order.yaml", &overrides(())),
        template(
            "calltouch-retailcrm/order-status-update.yaml",
            &overrides(()),
        ),
        template("calltouch-retailcrm/order-completed.yaml", &overrides(())),
    ];
    let engine = world.engine(bundles).await;
    crms.calltouch
        .add_call(call(7001, "79160000021", "10:01:00"));
    engine.tick().await.unwrap();
    let order_id = crms.retail.orders()[0]["id"].as_i64().unwrap();
    let manual_order = crms
        .retail
        .add_order(json!({"status": "new", "firstName": "Walk-in"}));

    // Tick 2: the manager moves the Calltouch order on, with a total; a manual order too.
    world.next_tick();
    crms.retail
        .edit_order_as_user(order_id, "totalSumm", json!(15000.5));
    crms.retail.set_order_status(order_id, "assembling");
    crms.retail.set_order_status(manual_order, "assembling");
    engine.tick().await.unwrap();
    let deal = crms.calltouch.deal("call-7001").unwrap();
    assert_eq!(deal.updates.len(), 1, "{:#?}", deal.updates);
    let update = &deal.updates[0];
    assert_eq!(update["status"], "assembling");
    assert_eq!(update["revenue"], "15000.50");

    // Tick 3: completed: only the completed bundle acts.
    world.next_tick();
    crms.retail.set_order_status(order_id, "complete");
    engine.tick().await.unwrap();
    let deal = crms.calltouch.deal("call-7001").unwrap();
    assert_eq!(deal.updates.len(), 2, "{:#?}", deal.updates);
    assert_eq!(deal.updates[1]["status"], "COMPLETED");
    assert_eq!(deal.updates[1]["revenue"], "15000.50");

    // Tick 4: nothing new, nothing sent again.
    world.next_tick();
    engine.tick().await.unwrap();
    assert_eq!(crms.calltouch.deal("call-7001").unwrap().updates.len(), 2);
    assert_eq!(
        crms.calltouch.deals().len(),
        1,
        "the manual order made no deal"
    );
}
