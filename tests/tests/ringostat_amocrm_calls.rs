//! End-to-end: the Ringostat → amoCRM calls template (`bundles/ringostat-amocrm/
//! calls.yaml`), edited with the emulated account's users, pipelines and fields. Call
//! webhooks are posted to `POST /hooks/<bundle>` as Ringostat sends them after a call; the
//! amoCRM emulator's contacts, deals, tasks and notes, and the order of its requests, are
//! asserted.

mod amo_world;
mod support;

use amo_world::{
    bundle, deliver, field, hook, id, linked_contacts, serve, tags, text_field, with_fields, world,
};
use ferry::runtime::Engine;
use ferry_connectors::amocrm::AmoCrmEmulator;
use ferry_connectors::ringostat::sender::{self, Call};
use serde_json::{Value, json};
use support::World;
use support::history::{counts, unsuccessful};

const BUNDLE: &str = "ringostat-amocrm-calls";
const TAG: &str = "Ringostat Automation";
/// The project's own numbers on the stop list (a service line and a test line).
const STOPPED: [&str; 2] = ["380447770001", "380447770002"];

/// The account's ids the template needs.
struct Account {
    main: i64,
    ads: i64,
    client_id_field: i64,
}

fn seed(amo: &AmoCrmEmulator) -> Account {
    amo.add_pipeline("Опт", &["Новая"]);
    let ads = amo.add_pipeline("Контекстная реклама", &["Новая"]);
    for entity in ["contacts", "leads"] {
        for name in amo_world::UTM_FIELDS {
            text_field(amo, entity, name);
        }
    }
    Account {
        main: amo.main_pipeline_id(),
        ads,
        client_id_field: text_field(amo, "contacts", "Client ID"),
    }
}

async fn start() -> (World, AmoCrmEmulator, Account, Engine, String) {
    let amo = amo_world::amo().await;
    let account = seed(&amo);
    let world = world();
    let template = bundle(
        &amo,
        "ringostat-amocrm/calls.yaml",
        &[
            ("5000001", "5100001".to_string()),
            ("5000002", "5100002".to_string()),
            ("5000003", "5100003".to_string()),
            ("value: 7000002", format!("value: {}", account.ads)),
            ("default: 7000001", format!("default: {}", account.main)),
            ("\"500100\"", format!("\"{}\"", account.client_id_field)),
            (
                "'380440000001', '380440000002'",
                format!("'{}', '{}'", STOPPED[0], STOPPED[1]),
            ),
        ],
    );
    let engine = world.engine(vec![template]).await;
    let base = serve(&engine).await;
    (world, amo, account, engine, base)
}

/// `(method, path)` of the creating requests, in order.
fn creations(amo: &AmoCrmEmulator) -> Vec<String> {
    amo.requests()
        .iter()
        .filter(|r| r.method == "POST" && !r.path.ends_with("/custom_fields"))
        .map(|r| r.path.clone())
        .collect()
}

/// The contact whose phone is `digits`.
fn contact_with(amo: &AmoCrmEmulator, digits: &str) -> Value {
    let found: Vec<Value> = amo
        .contacts()
        .into_iter()
        .filter(|c| field(c, "Телефон") == digits)
        .collect();
    assert_eq!(found.len(), 1, "one contact with {digits}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// S4.2 (answered row), S4.1, S4.4, S4.8: an answered call through the "Context ads" pool
/// makes a contact, then a deal in the routed pipeline, both assigned to the employee who
/// took the call, carrying the UTM tags, the GA client id and the tag; the call with its
/// recording is noted on the deal; no task. A call through another pool goes to the
/// default pipeline and to its own employee.
#[tokio::test]
async fn s4_1_s4_2_s4_4_s4_8_answered_calls_route_and_assign() {
    let (_world, amo, account, engine, base) = start().await;
    let url = hook(&base, BUNDLE);
    deliver(&url, sender::call(&Call::default())).await;
    let organic = Call {
        uniqueid: "1715671999.0002",
        caller: "+380 (67) 000-11-22",
        employee_sip: "sales_ivan",
        ..Call::default()
    };
    deliver(
        &url,
        with_fields(sender::call(&organic), json!({"pool_name": "Organic"})),
    )
    .await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let olga_client = contact_with(&amo, "380501234567");
    assert_eq!(olga_client["name"], "380501234567");
    assert_eq!(olga_client["responsible_user_id"], 5_100_002);
    assert_eq!(tags(&olga_client), [TAG]);
    assert_eq!(field(&olga_client, "utm_source"), "google");
    assert_eq!(field(&olga_client, "utm_campaign"), "brand");
    assert_eq!(field(&olga_client, "Client ID"), "1234567890.1715671000");

    let leads = amo.leads();
    assert_eq!(leads.len(), 2, "{leads:#?}");
    let ads_deal = leads
        .iter()
        .find(|l| linked_contacts(l) == [id(&olga_client)])
        .unwrap();
    assert_eq!(ads_deal["name"], "Call from 380501234567");
    assert_eq!(
        (
            ads_deal["pipeline_id"].clone(),
            ads_deal["responsible_user_id"].clone()
        ),
        (json!(account.ads), json!(5_100_002)),
        "S4.8 routed by pool, S4.1 Olga"
    );
    assert_eq!(field(ads_deal, "utm_medium"), "cpc");
    assert_eq!(tags(ads_deal), [TAG]);

    let ivan_client = contact_with(&amo, "380670001122");
    let organic_deal = leads
        .iter()
        .find(|l| linked_contacts(l) == [id(&ivan_client)])
        .unwrap();
    assert_eq!(
        (
            organic_deal["pipeline_id"].clone(),
            organic_deal["responsible_user_id"].clone(),
            ivan_client["responsible_user_id"].clone()
        ),
        (json!(account.main), json!(5_100_003), json!(5_100_003)),
        "default pipeline, Ivan"
    );

    assert!(amo.tasks().is_empty(), "answered calls make no task");
    let note = amo
        .notes()
        .into_iter()
        .find(|n| n["entity_id"] == id(ads_deal))
        .unwrap();
    assert_eq!(note["entity_type"], "leads");
    assert_eq!(note["note_type"], "call_in");
    let params = &note["params"];
    assert_eq!(
        (
            params["phone"].clone(),
            params["duration"].clone(),
            params["source"].clone(),
            params["call_status"].clone(),
            params["uniq"].clone()
        ),
        (
            json!("380501234567"),
            json!(42),
            json!("Ringostat"),
            json!(4),
            json!("call-1715671865.4821")
        )
    );
    assert_eq!(
        params["link"],
        "https://api.ringostat.net/recordings/1715671865.4821.mp3"
    );
    // S4.4: contact, then deal, for each call (the calls ran one after the other or side
    // by side, so compare within each call).
    let order = creations(&amo);
    let position = |path: String| order.iter().position(|p| *p == path).unwrap();
    assert!(
        position("/api/v4/contacts".into()) < position("/api/v4/leads".into()),
        "{order:?}"
    );
}

/// S4.2 (missed, outgoing and outgoing-unanswered rows), S4.4, S4.1: a missed call makes a
/// contact, a deal and a call-back task, in that order, assigned to the default user
/// (nobody took it); an answered outgoing call makes only a contact with the call noted
/// on it; an unanswered outgoing call makes nothing.
#[tokio::test]
async fn s4_2_s4_4_the_matrix_decides_what_each_call_type_creates() {
    let (_world, amo, _account, engine, base) = start().await;
    let url = hook(&base, BUNDLE);
    let missed = Call {
        uniqueid: "1715672000.0001",
        disposition: "NO ANSWER",
        billsec: 0,
        caller: "380631112233",
        employee_sip: "",
        ..Call::default()
    };
    deliver(&url, sender::call(&missed)).await;
    engine.drain().await.unwrap();
    assert_eq!(
        creations(&amo),
        [
            "/api/v4/contacts",
            "/api/v4/leads",
            "/api/v4/tasks",
            format!("/api/v4/leads/{}/notes", id(&amo.leads()[0])).as_str()
        ],
        "S4.4: contact -> deal -> task"
    );
    let contact = contact_with(&amo, "380631112233");
    let deal = &amo.leads()[0];
    assert_eq!(deal["name"], "Missed call from 380631112233");
    assert_eq!(linked_contacts(deal), [id(&contact)]);
    let task = &amo.tasks()[0];
    assert_eq!(
        (
            task["entity_type"].clone(),
            task["entity_id"].clone(),
            task["responsible_user_id"].clone(),
            task["task_type_id"].clone(),
            task["text"].clone()
        ),
        (
            json!("leads"),
            json!(id(deal)),
            json!(5_100_001),
            json!(1),
            json!("Call back 380631112233: missed call")
        )
    );
    // 2024-05-14 10:31:05 in the account's +03:00.
    assert_eq!(task["complete_till"], 1_715_671_865);
    assert_eq!(amo.notes()[0]["params"]["call_status"], 6);

    let outgoing = Call {
        uniqueid: "1715672100.0002",
        call_type: "out",
        caller: "380443334455",
        dst: "380935556677",
        ..Call::default()
    };
    let unanswered = Call {
        uniqueid: "1715672200.0003",
        call_type: "out",
        disposition: "BUSY",
        billsec: 0,
        caller: "380443334455",
        dst: "380939998877",
        ..Call::default()
    };
    deliver(&url, sender::call(&outgoing)).await;
    deliver(&url, sender::call_form(&unanswered)).await;
    engine.drain().await.unwrap();
    let callee = contact_with(&amo, "380935556677");
    assert_eq!(amo.leads().len(), 1, "no deal for outgoing calls");
    assert_eq!(amo.tasks().len(), 1, "no task for outgoing calls");
    let note = amo.notes().into_iter().last().unwrap();
    assert_eq!(
        (
            note["entity_type"].clone(),
            note["entity_id"].clone(),
            note["note_type"].clone()
        ),
        (json!("contacts"), json!(id(&callee)), json!("call_out"))
    );
    assert_eq!(
        amo.contacts().len(),
        2,
        "nothing for the unanswered outgoing call"
    );
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.succeeded, counts.filtered), (2, 1));
}

/// S4.5, S4.6, S4.7: a caller whose contact has the number written differently
/// ("+380 (50) 123-45-67") is found by its digits and reused; that contact's UTM fields
/// were all empty, so it gets the call's tags. A contact with one UTM field filled is
/// reused but its UTM fields are left as they are.
#[tokio::test]
async fn s4_5_s4_6_s4_7_existing_contacts_are_reused_and_utm_only_fills_empty_sets() {
    let (_world, amo, _account, engine, base) = start().await;
    let plain = amo.add_contact_with("Марина", Some("+380 (50) 123-45-67"), None);
    let utm_source = amo
        .custom_fields("contacts")
        .iter()
        .find(|f| f["name"] == "utm_source")
        .map(id)
        .unwrap();
    let tagged = amo.add_contact(json!({"name": "Олег", "custom_fields_values": [
        {"field_code": "PHONE", "values": [{"value": "050 765 43 21", "enum_code": "WORK"}]},
        {"field_id": utm_source, "values": [{"value": "newsletter"}]}]}));
    let url = hook(&base, BUNDLE);
    deliver(&url, sender::call(&Call::default())).await;
    let second = Call {
        uniqueid: "1715672300.0004",
        caller: "380507654321",
        ..Call::default()
    };
    deliver(&url, sender::call(&second)).await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    assert_eq!(amo.contacts().len(), 2, "both callers were known");
    let plain = amo.contact(plain).unwrap();
    for (name, value) in [
        ("utm_source", "google"),
        ("utm_medium", "cpc"),
        ("utm_campaign", "brand"),
    ] {
        assert_eq!(field(&plain, name), value, "{plain:#}");
    }
    let tagged = amo.contact(tagged).unwrap();
    assert_eq!(field(&tagged, "utm_source"), "newsletter");
    assert_eq!(field(&tagged, "utm_medium"), Value::Null, "{tagged:#}");
    let deals: Vec<Vec<i64>> = amo.leads().iter().map(linked_contacts).collect();
    assert_eq!(deals.len(), 2);
    assert!(deals.contains(&vec![id(&plain)]) && deals.contains(&vec![id(&tagged)]));
    let searched: Vec<String> = amo
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v4/contacts")
        .filter_map(|r| r.query_param("query").map(str::to_string))
        .collect();
    assert_eq!(searched, ["0501234567", "0507654321"], "digits only");
}

/// S4.10: calls from or to a stop-listed number create nothing at all.
#[tokio::test]
async fn s4_10_stop_listed_numbers_create_nothing() {
    let (_world, amo, _account, engine, base) = start().await;
    let url = hook(&base, BUNDLE);
    let from_stopped = Call {
        uniqueid: "1715672400.0005",
        caller: "+380 (44) 777-00-01",
        ..Call::default()
    };
    let to_stopped = Call {
        uniqueid: "1715672500.0006",
        dst: STOPPED[1],
        ..Call::default()
    };
    let outgoing_from_stopped = Call {
        uniqueid: "1715672600.0007",
        call_type: "out",
        caller: STOPPED[0],
        dst: "380501230000",
        ..Call::default()
    };
    for call in [&from_stopped, &to_stopped, &outgoing_from_stopped] {
        deliver(&url, sender::call(call)).await;
    }
    engine.drain().await.unwrap();
    assert_eq!(counts(&engine, BUNDLE).await.filtered, 3);
    assert!(amo.requests().is_empty(), "{:?}", amo.requests());
}
