//! End-to-end: the Alfa-Track → amoCRM mode 2 template (`bundles/alfatrack-amocrm/
//! mode2-enrichment.yaml`): ferry creates nothing; tracking updates posted to
//! `POST /hooks/<bundle>` find the newest deal of the client's e-mail, retrying for up to
//! three hours on a manual clock, and update it. The amoCRM emulator's deals, contacts and
//! the requests it received are asserted.

mod amo_world;
mod support;

use amo_world::{bundle, deliver, field, hook, id, serve, tags, text_field, with_fields, world};
use ferry::clock::Clock;
use ferry::runtime::Engine;
use ferry::store::ItemStatus;
use ferry_connectors::alfatrack::sender;
use ferry_connectors::amocrm::AmoCrmEmulator;
use serde_json::{Value, json};
use support::World;
use support::history::{counts, items, unsuccessful};

const BUNDLE: &str = "alfatrack-amocrm-mode2-enrichment";
const PROJECT: &str = "shop.example.ru";

async fn start() -> (World, AmoCrmEmulator, Engine, String) {
    let amo = amo_world::amo().await;
    for name in amo_world::UTM_FIELDS
        .iter()
        .chain(&["gclientid", "_ym_uid"])
    {
        text_field(&amo, "leads", name);
    }
    let page = text_field(&amo, "leads", "Страница");
    let world = world();
    // The amoCRM clock follows the engine's, so "newest" is decided on one time line.
    amo.set_clock(world.clock.now().timestamp());
    let template = bundle(
        &amo,
        "alfatrack-amocrm/mode2-enrichment.yaml",
        &[
            ("\"500150\"", format!("\"{page}\"")),
            (
                "request_type in [form, phone, chat, offline]",
                "request_type in [form, phone, offline]".to_string(),
            ),
        ],
    );
    let engine = world.engine(vec![template]).await;
    let base = serve(&engine).await;
    (world, amo, engine, base)
}

/// A manager's deal for `contact`, made now; its id.
fn manager_deal(amo: &AmoCrmEmulator, contact: i64, name: &str, fields: Value) -> i64 {
    amo.add_lead(json!({"name": name, "custom_fields_values": fields,
                        "_embedded": {"contacts": [{"id": contact}]}}))
}

/// Requests that change or create anything in amoCRM's contacts and deals.
fn writes(amo: &AmoCrmEmulator) -> Vec<String> {
    amo.requests()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/custom_fields"))
        .map(|r| r.line())
        .collect()
}

/// S3.3, S3.6, S3.7: an update arrives before any deal of its e-mail exists: nothing is
/// created, the search repeats every 15 minutes, and when a manager has made deals for
/// that client, the newest one (not the older one) is updated, its contact gets the GA
/// client id, both tagged with the project.
#[tokio::test]
async fn s3_3_the_newest_deal_of_the_email_is_updated_once_it_exists() {
    let (world, amo, engine, base) = start().await;
    deliver(
        &hook(&base, BUNDLE),
        sender::enrichment("r-501", "Maria@Example.ru", "yandex", "GA1.2.501.501"),
    )
    .await;
    engine.drain().await.unwrap();
    assert_eq!(counts(&engine, BUNDLE).await.waiting, 1);
    assert!(writes(&amo).is_empty(), "mode 2 creates nothing");
    assert!(amo.leads().is_empty() && amo.contacts().is_empty());

    // An hour of five-minute ticks later, a manager registers the client and two deals,
    // the second newer.
    for _ in 0..12 {
        world.next_tick();
        engine.drain().await.unwrap();
    }
    amo.set_clock(world.clock.now().timestamp());
    let contact = amo.add_contact_with("Мария", None, Some("maria@example.ru"));
    let older = manager_deal(&amo, contact, "Диван", json!([]));
    amo.advance_clock(120);
    let newest = manager_deal(&amo, contact, "Кресло", json!([]));
    for _ in 0..3 {
        world.next_tick();
        engine.drain().await.unwrap();
    }
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let deal = amo.lead(newest).unwrap();
    for (name, value) in [
        ("utm_source", "yandex"),
        ("utm_campaign", "spring_sale"),
        ("gclientid", "GA1.2.501.501"),
        ("Город", "Moscow"),
        ("Устройство", "desktop"),
    ] {
        assert_eq!(field(&deal, name), value, "{name}: {deal:#}");
    }
    assert_eq!(tags(&deal), [PROJECT]);
    assert_eq!(
        amo.lead(older).unwrap()["custom_fields_values"],
        Value::Null,
        "the older deal is untouched"
    );
    let contact = amo.contact(contact).unwrap();
    assert_eq!(field(&contact, "gclientid"), "GA1.2.501.501");
    assert_eq!(tags(&contact), [PROJECT]);
    let searches = items(&engine, BUNDLE).await[0]
        .steps
        .iter()
        .find(|s| s.step_id == "deal")
        .unwrap()
        .attempts;
    assert_eq!(searches, 6, "at 0, 15, 30, 45, 60 and 75 minutes");
    assert!(
        writes(&amo).iter().all(|w| w.starts_with("PATCH")),
        "only updates: {:?}",
        writes(&amo)
    );
}

/// S3.3: with no deal for the e-mail within three hours, the update gives up visibly
/// ("nothing found within 3h") and nothing was written.
#[tokio::test]
async fn s3_3_no_deal_within_three_hours_gives_up_visibly() {
    let (world, amo, engine, base) = start().await;
    deliver(
        &hook(&base, BUNDLE),
        sender::enrichment("r-502", "nobody@example.ru", "google", "GA1.2.502.502"),
    )
    .await;
    engine.drain().await.unwrap();
    for _ in 0..35 {
        world.next_tick();
        engine.drain().await.unwrap();
        assert_eq!(
            counts(&engine, BUNDLE).await.failed,
            0,
            "still inside the window"
        );
    }
    world.next_tick();
    engine.drain().await.unwrap();
    let item = items(&engine, BUNDLE).await.remove(0);
    assert_eq!(item.status, ItemStatus::Failed);
    let error = item.error.unwrap_or_default();
    assert!(
        error.contains("step `deal`") && error.contains("nothing found within 3h"),
        "{error}"
    );
    assert!(writes(&amo).is_empty(), "{:?}", writes(&amo));
}

/// S3.4: a deal whose GA client id field already holds a value is not updated, while
/// its contact, whose field is empty, is; a contact that has one is left alone too.
#[tokio::test]
async fn s3_4_a_filled_ga_client_id_stops_the_update() {
    let (_world, amo, engine, base) = start().await;
    let ga = amo
        .custom_fields("leads")
        .iter()
        .find(|f| f["name"] == "gclientid")
        .map(id)
        .unwrap();
    let olga = amo.add_contact_with("Ольга", None, Some("olga@example.ru"));
    let filled = manager_deal(
        &amo,
        olga,
        "Стол",
        json!([{"field_id": ga, "values": [{"value": "GA1.2.000.001"}]}]),
    );
    deliver(
        &hook(&base, BUNDLE),
        sender::enrichment("r-503", "olga@example.ru", "facebook", "GA1.2.503.503"),
    )
    .await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());
    let deal = amo.lead(filled).unwrap();
    assert_eq!(field(&deal, "gclientid"), "GA1.2.000.001");
    assert_eq!(field(&deal, "utm_source"), Value::Null);
    assert!(tags(&deal).is_empty(), "not updated at all");
    assert_eq!(
        field(&amo.contact(olga).unwrap(), "gclientid"),
        "GA1.2.503.503",
        "the contact's own field was empty"
    );

    // The next update finds both fields filled: nothing is sent.
    deliver(
        &hook(&base, BUNDLE),
        sender::enrichment("r-504", "olga@example.ru", "vk", "GA1.2.504.504"),
    )
    .await;
    engine.drain().await.unwrap();
    assert_eq!(
        writes(&amo)
            .iter()
            .filter(|w| w.starts_with("PATCH"))
            .count(),
        1,
        "{:?}",
        writes(&amo)
    );
    assert_eq!(
        field(&amo.contact(olga).unwrap(), "gclientid"),
        "GA1.2.503.503"
    );
}

/// S3.1: an update of a request type that is switched off (chat), and one without an
/// e-mail to search by, are filtered out without a single amoCRM search.
#[tokio::test]
async fn s3_1_switched_off_request_types_are_filtered_out() {
    let (_world, amo, engine, base) = start().await;
    let olga = amo.add_contact_with("Ольга", None, Some("olga@example.ru"));
    manager_deal(&amo, olga, "Стол", json!([]));
    let searches_before = amo.requests().len();
    deliver(
        &hook(&base, BUNDLE),
        with_fields(
            sender::enrichment("r-505", "olga@example.ru", "vk", "GA1.2.505.505"),
            json!({"type": "chat"}),
        ),
    )
    .await;
    deliver(
        &hook(&base, BUNDLE),
        with_fields(
            sender::enrichment("r-506", "olga@example.ru", "vk", "GA1.2.506.506"),
            json!({"email": null}),
        ),
    )
    .await;
    // A phone request's update passes.
    deliver(
        &hook(&base, BUNDLE),
        with_fields(
            sender::enrichment("r-507", "olga@example.ru", "vk", "GA1.2.507.507"),
            json!({"type": "phone"}),
        ),
    )
    .await;
    engine.drain().await.unwrap();
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.filtered, counts.succeeded), (2, 1), "{counts:?}");
    let contacts_searches = amo.requests()[searches_before..]
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v4/contacts")
        .count();
    assert_eq!(
        contacts_searches, 1,
        "only the phone request's update searched"
    );
}
