//! End-to-end: the Alfa-Track → amoCRM mode 1 templates (`bundles/alfatrack-amocrm/
//! mode1-requests.yaml` and `mode1-enrichment.yaml`), edited with the emulated account's
//! ids. Requests and tracking updates are posted to `POST /hooks/<bundle>` as Alfa-Track
//! sends them; the amoCRM emulator's contacts, companies, deals and fields are asserted,
//! with a manual clock for the three-hour window.

mod amo_world;
mod support;

use std::time::Duration;

use amo_world::{
    bundle, deliver, field, field_names, hook, id, linked_contacts, serve, tags, text_field,
    with_fields, world,
};
use ferry::runtime::Engine;
use ferry::store::ItemStatus;
use ferry_connectors::alfatrack::sender;
use ferry_connectors::amocrm::AmoCrmEmulator;
use serde_json::{Value, json};
use support::World;
use support::history::{counts, items, unsuccessful};

const REQUESTS: &str = "alfatrack-amocrm-mode1-requests";
const ENRICHMENT: &str = "alfatrack-amocrm-mode1-enrichment";
const PROJECT: &str = "shop.example.ru";

/// The account's own ids, put into both templates' EDIT values.
struct Account {
    pipeline: i64,
    status: i64,
    page_field: i64,
}

/// The account as an integrator finds it: a pipeline for site requests, amoCRM's tracking
/// fields on deals and an existing landing-page field. "Город", "Устройство", "Alfa-Track
/// request" and the contacts' gclientid do not exist yet.
fn seed(amo: &AmoCrmEmulator) -> Account {
    let pipeline = amo.add_pipeline("Заявки с сайта", &["Новая", "В работе"]);
    for name in amo_world::UTM_FIELDS
        .iter()
        .chain(&["gclientid", "_ym_uid"])
    {
        text_field(amo, "leads", name);
    }
    Account {
        pipeline,
        status: amo.status_id(pipeline, "Новая").expect("seeded status"),
        page_field: text_field(amo, "leads", "Страница"),
    }
}

/// Both mode 1 templates with the account's ids; chat requests switched off (S3.1).
fn bundles(amo: &AmoCrmEmulator, account: &Account) -> Vec<ferry::bundle::Bundle> {
    let types = (
        "request_type in [form, phone, chat, offline]",
        "request_type in [form, phone, offline]".to_string(),
    );
    let page = ("\"500150\"", format!("\"{}\"", account.page_field));
    let requests = bundle(
        amo,
        "alfatrack-amocrm/mode1-requests.yaml",
        &[
            ("5000002", "5100003".to_string()),
            ("7000001", account.pipeline.to_string()),
            ("40000102", account.status.to_string()),
            page.clone(),
            types.clone(),
        ],
    );
    let enrichment = bundle(
        amo,
        "alfatrack-amocrm/mode1-enrichment.yaml",
        &[page, types],
    );
    vec![requests, enrichment]
}

async fn start() -> (World, AmoCrmEmulator, Account, Engine, String) {
    let amo = amo_world::amo().await;
    let account = seed(&amo);
    let world = world();
    let engine = world.engine(bundles(&amo, &account)).await;
    let base = serve(&engine).await;
    (world, amo, account, engine, base)
}

/// The leads the emulator holds whose "Alfa-Track request" field is `request_id`.
fn deals_of(amo: &AmoCrmEmulator, request_id: &str) -> Vec<Value> {
    amo.leads()
        .into_iter()
        .filter(|l| field(l, "Alfa-Track request") == request_id)
        .collect()
}

/// PATCH requests that reached this path.
fn patches(amo: &AmoCrmEmulator, path: &str) -> usize {
    amo.requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path == path)
        .count()
}

/// S3.2 (creation half), S3.5, S3.7, S3.1: a form request becomes a company, a contact
/// and a deal at once; the deal is in the chosen pipeline status with the chosen
/// responsible user, carries the request id, the subject and the message; all three are
/// tagged with the project. A chat request (switched off) and a re-delivery create
/// nothing; an existing contact is reused.
#[tokio::test]
async fn s3_2_s3_5_s3_7_s3_1_a_request_creates_company_contact_and_deal_at_once() {
    let (_world, amo, account, engine, base) = start().await;
    let url = hook(&base, REQUESTS);
    let form = with_fields(
        sender::request("r-101", "Форма", "+7 (916) 555-01-01", "Ivan@Example.ru"),
        json!({"company": "ООО Ромашка"}),
    );
    deliver(&url, form.clone()).await;
    deliver(&url, form).await; // a re-delivery
    deliver(&url, sender::request("r-102", "chat", "79165550102", "")).await;
    engine.drain().await.unwrap();

    let companies = amo.companies();
    assert_eq!(companies.len(), 1, "{companies:#?}");
    assert_eq!(companies[0]["name"], "ООО Ромашка");
    assert_eq!(tags(&companies[0]), [PROJECT]);
    let contacts = amo.contacts();
    assert_eq!(contacts.len(), 1, "{contacts:#?}");
    let contact = &contacts[0];
    assert_eq!(contact["name"], "Ivan Petrov");
    assert_eq!(field(contact, "Телефон"), "+7 (916) 555-01-01");
    assert_eq!(field(contact, "Email"), "ivan@example.ru");
    assert_eq!(tags(contact), [PROJECT]);
    assert_eq!(
        contact["_embedded"]["companies"][0]["id"],
        id(&companies[0])
    );

    let deals = amo.leads();
    assert_eq!(deals.len(), 1, "the chat request made nothing: {deals:#?}");
    let deal = &deals[0];
    assert_eq!(
        (
            deal["pipeline_id"].clone(),
            deal["status_id"].clone(),
            deal["responsible_user_id"].clone()
        ),
        (
            json!(account.pipeline),
            json!(account.status),
            json!(5_100_003)
        ),
        "S3.5"
    );
    assert_eq!(deal["name"], "Order");
    assert_eq!(field(deal, "Alfa-Track request"), "r-101");
    assert_eq!(linked_contacts(deal), [id(contact)]);
    assert_eq!(deal["_embedded"]["companies"][0]["id"], id(&companies[0]));
    assert_eq!(tags(deal), [PROJECT]);
    // Nothing is known about the ad source yet: no tracking field is written.
    assert_eq!(field_names(deal), ["Alfa-Track request"]);
    let notes = amo.notes();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["entity_id"], id(deal));
    assert_eq!(notes[0]["params"]["text"], "Please call me back");
    let requests = counts(&engine, REQUESTS).await;
    assert_eq!((requests.succeeded, requests.filtered), (1, 1));

    // The same client calls: the contact is reused, a second deal is made.
    deliver(&url, sender::request("r-103", "звонок", "89165550101", "")).await;
    engine.drain().await.unwrap();
    assert_eq!(amo.contacts().len(), 1, "reused by phone");
    let second = deals_of(&amo, "r-103");
    assert_eq!(linked_contacts(&second[0]), [id(contact)]);
    assert!(
        second[0]["_embedded"]["companies"].is_null()
            || second[0]["_embedded"]["companies"] == json!([]),
        "no company named: {second:#?}"
    );
    assert!(unsuccessful(&engine, REQUESTS).await.is_empty());
}

/// S3.2, S3.6, S3.4, S3.7: tracking data arriving 40 minutes after the request updates
/// that request's deal: parameters go to existing fields (by name, and by id for the
/// landing page), to new fields created once ("Город", "Устройство"), or nowhere (the IP
/// lands in no field); the contact gets the GA client id. A later update of the same
/// request finds the GA client id filled and changes neither the deal nor the contact.
#[tokio::test]
async fn s3_2_s3_6_s3_4_tracking_data_updates_the_deal_of_its_request_once() {
    let (world, amo, account, engine, base) = start().await;
    deliver(
        &hook(&base, REQUESTS),
        sender::request("r-201", "form", "79165550201", "olga@example.ru"),
    )
    .await;
    engine.drain().await.unwrap();
    world.clock.advance(Duration::from_secs(40 * 60));

    let enrichment = with_fields(
        sender::enrichment("r-201", "olga@example.ru", "yandex", "GA1.2.111.222"),
        json!({"ym_client_id": "1715671000123", "page": "/sofas", "ip": "93.184.216.34",
               "browser": "Firefox"}),
    );
    deliver(&hook(&base, ENRICHMENT), enrichment).await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, ENRICHMENT).await.is_empty());

    let deal = &deals_of(&amo, "r-201")[0];
    for (name, value) in [
        ("utm_source", "yandex"),
        ("utm_medium", "cpc"),
        ("utm_campaign", "spring_sale"),
        ("utm_content", "banner_1"),
        ("utm_term", "buy sofa"),
        ("gclientid", "GA1.2.111.222"),
        ("_ym_uid", "1715671000123"),
        ("Страница", "/sofas"),
        ("Город", "Moscow"),
        ("Устройство", "desktop"),
    ] {
        assert_eq!(field(deal, name), value, "{name}: {deal:#}");
    }
    assert_eq!(field_names(deal).len(), 11, "nothing else: {deal:#}");
    assert!(
        !deal.to_string().contains("93.184.216.34") && !deal.to_string().contains("Firefox"),
        "IP and browser go nowhere"
    );
    assert_eq!(tags(deal), [PROJECT]);
    let field_count = |name: &str| {
        amo.custom_fields("leads")
            .iter()
            .filter(|f| f["name"] == name)
            .count()
    };
    assert_eq!((field_count("Город"), field_count("Устройство")), (1, 1));
    assert_eq!(
        amo.custom_fields("leads")
            .iter()
            .find(|f| f["name"] == "Страница")
            .map(id),
        Some(account.page_field),
        "the landing page went to the existing field"
    );
    let contact = amo.contact(linked_contacts(deal)[0]).unwrap();
    assert_eq!(field(&contact, "gclientid"), "GA1.2.111.222");

    // Another update of the same request: the GA client id is there, nothing changes.
    let deal_path = format!("/api/v4/leads/{}", id(deal));
    let contact_path = format!("/api/v4/contacts/{}", id(&contact));
    let before = (patches(&amo, &deal_path), patches(&amo, &contact_path));
    world.clock.advance(Duration::from_secs(30 * 60));
    deliver(
        &hook(&base, ENRICHMENT),
        sender::enrichment("r-201", "olga@example.ru", "google", "GA1.2.999.999"),
    )
    .await;
    engine.drain().await.unwrap();
    assert_eq!(
        (patches(&amo, &deal_path), patches(&amo, &contact_path)),
        before,
        "S3.4: no update"
    );
    assert_eq!(field(&amo.lead(id(deal)).unwrap(), "utm_source"), "yandex");
    let skipped: Vec<String> = items(&engine, ENRICHMENT).await[1]
        .steps
        .iter()
        .map(|s| format!("{}:{:?}", s.step_id, s.status))
        .collect();
    assert!(
        skipped.contains(&"deal_update:Skipped".to_string())
            && skipped.contains(&"contact_update:Skipped".to_string()),
        "{skipped:?}"
    );
}

/// S3.2: tracking data that arrives before its deal exists waits and is applied at the
/// next search after the request's deal is made; data for a request that never reaches
/// amoCRM gives up after three hours, visibly, having written nothing.
#[tokio::test]
async fn s3_2_early_tracking_data_waits_for_its_deal_and_gives_up_after_three_hours() {
    let (world, amo, _account, engine, base) = start().await;
    let enrichment_url = hook(&base, ENRICHMENT);
    deliver(
        &enrichment_url,
        sender::enrichment("r-301", "anna@example.ru", "google", "GA1.2.301.301"),
    )
    .await;
    deliver(
        &enrichment_url,
        sender::enrichment("r-399", "lost@example.ru", "google", "GA1.2.399.399"),
    )
    .await;
    engine.drain().await.unwrap();
    assert_eq!(counts(&engine, ENRICHMENT).await.waiting, 2);

    // The request comes 10 minutes later; its deal is made at once.
    world.clock.advance(Duration::from_secs(10 * 60));
    deliver(
        &hook(&base, REQUESTS),
        sender::request("r-301", "phone", "79165550301", "anna@example.ru"),
    )
    .await;
    engine.drain().await.unwrap();
    assert_eq!(
        field(&deals_of(&amo, "r-301")[0], "gclientid"),
        Value::Null,
        "the early data is not applied before its next search"
    );
    // 15 minutes after the first search, the next one finds the deal.
    world.clock.advance(Duration::from_secs(5 * 60));
    engine.drain().await.unwrap();
    let deal = &deals_of(&amo, "r-301")[0];
    assert_eq!(field(deal, "gclientid"), "GA1.2.301.301");
    assert_eq!(field(deal, "utm_source"), "google");

    // The other one keeps searching every 15 minutes until three hours have passed.
    for _ in 0..36 {
        world.next_tick();
        engine.drain().await.unwrap();
    }
    let lost = items(&engine, ENRICHMENT)
        .await
        .into_iter()
        .find(|i| i.key.contains("r-399"))
        .unwrap();
    assert_eq!(lost.status, ItemStatus::Failed);
    let error = lost.error.unwrap_or_default();
    assert!(error.contains("nothing found within 3h"), "{error}");
    let searches = lost
        .steps
        .iter()
        .find(|s| s.step_id == "deal")
        .unwrap()
        .attempts;
    assert_eq!(searches, 13, "every 15 minutes from 0 to 3 hours");
    assert_eq!(amo.leads().len(), 1, "nothing was made for r-399");
    let counts = counts(&engine, ENRICHMENT).await;
    assert_eq!((counts.succeeded, counts.failed), (1, 1));
}
