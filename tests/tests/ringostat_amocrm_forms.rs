//! End-to-end: the Ringostat → amoCRM forms template (`bundles/ringostat-amocrm/
//! forms.yaml`), edited with the emulated account's ids. Form webhooks are posted to
//! `POST /hooks/<bundle>` as Ringostat sends them; the amoCRM emulator's contacts, deals
//! and tasks are asserted.

mod amo_world;
mod support;

use amo_world::{
    bundle, deliver, field, hook, id, linked_contacts, serve, tags, text_field, with_fields, world,
};
use ferry::runtime::Engine;
use ferry_connectors::amocrm::AmoCrmEmulator;
use ferry_connectors::ringostat::sender;
use serde_json::{Value, json};
use support::World;
use support::history::unsuccessful;

const BUNDLE: &str = "ringostat-amocrm-forms";
const TAG: &str = "Ringostat Automation";

/// The account: UTM fields on contacts and deals, a contact field for the GA client id,
/// and the deal fields the template fills; the id of the GA client id field.
fn seed(amo: &AmoCrmEmulator) -> i64 {
    for entity in ["contacts", "leads"] {
        for name in amo_world::UTM_FIELDS {
            text_field(amo, entity, name);
        }
    }
    for name in ["Страница", "Комментарий", "Источник заявки"] {
        text_field(amo, "leads", name);
    }
    text_field(amo, "contacts", "Client ID")
}

/// The world (its store lives in a temporary directory) must outlive the engine.
async fn start() -> (World, AmoCrmEmulator, i64, Engine, String) {
    let amo = amo_world::amo().await;
    let client_id_field = seed(&amo);
    let world = world();
    let template = bundle(
        &amo,
        "ringostat-amocrm/forms.yaml",
        &[
            ("5000001", "5100001".to_string()),
            ("\"500100\"", format!("\"{client_id_field}\"")),
        ],
    );
    let engine = world.engine(vec![template]).await;
    let base = serve(&engine).await;
    (world, amo, client_id_field, engine, base)
}

/// The one deal linked to `contact`.
fn deal_of(amo: &AmoCrmEmulator, contact: i64) -> Value {
    let deals: Vec<Value> = amo
        .leads()
        .into_iter()
        .filter(|l| linked_contacts(l) == [contact])
        .collect();
    assert_eq!(deals.len(), 1, "{deals:#?}");
    deals.into_iter().next().unwrap()
}

/// S4.3, S4.4, S4.2 (form row): a form whose fields use alternative names (`first-name`,
/// `tel`, `mail`, `job`, `message`) fills the contact and the deal from form fields, from
/// Ringostat's system variables (UTM tags, GA client id, the page) and from constants (the
/// tag, the request source); contact, deal and task are created in that order, the deal
/// in the default pipeline.
#[tokio::test]
async fn s4_3_s4_4_form_fields_variables_and_constants_fill_contact_and_deal() {
    let (_world, amo, _client_id_field, engine, base) = start().await;
    deliver(
        &hook(&base, BUNDLE),
        sender::form(&[
            ("first-name", "Оксана"),
            ("tel", "+380 (50) 123-45-67"),
            ("mail", "Oksana@Example.ua "),
            ("job", "Закупщик"),
            ("message", "Нужен диван до пятницы"),
        ]),
    )
    .await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let contacts = amo.contacts();
    assert_eq!(contacts.len(), 1);
    let contact = &contacts[0];
    assert_eq!(contact["name"], "Оксана");
    assert_eq!(field(contact, "Телефон"), "380501234567");
    assert_eq!(field(contact, "Email"), "oksana@example.ua");
    assert_eq!(field(contact, "Должность"), "Закупщик");
    assert_eq!(field(contact, "utm_source"), "facebook");
    assert_eq!(field(contact, "utm_medium"), "social");
    assert_eq!(field(contact, "Client ID"), "555.1715671000");
    assert_eq!(contact["responsible_user_id"], 5_100_001);
    assert_eq!(tags(contact), [TAG]);

    let deal = deal_of(&amo, id(contact));
    assert_eq!(deal["name"], "Callback form");
    assert_eq!(deal["pipeline_id"], amo.main_pipeline_id());
    assert_eq!(field(&deal, "Страница"), "https://shop.example.ua/sofas");
    assert_eq!(field(&deal, "Комментарий"), "Нужен диван до пятницы");
    assert_eq!(field(&deal, "Источник заявки"), "Ringostat form");
    assert_eq!(field(&deal, "utm_source"), "facebook");
    assert_eq!(tags(&deal), [TAG]);

    let tasks = amo.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (
            tasks[0]["entity_type"].clone(),
            tasks[0]["entity_id"].clone(),
            tasks[0]["text"].clone()
        ),
        (
            json!("leads"),
            json!(id(&deal)),
            json!("Process the site request (Callback form)")
        )
    );
    let order: Vec<String> = amo
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        order,
        ["/api/v4/contacts", "/api/v4/leads", "/api/v4/tasks"],
        "S4.4"
    );
}

/// S4.5, S4.6, S4.7: the contact is looked up by the form's phone (digits only); only a
/// form without a phone is looked up by e-mail, and only one without both by the GA
/// client id. A phone that finds nobody makes a new contact even when the e-mail belongs
/// to someone. Reused contacts get the UTM tags only when all their UTM fields are empty.
#[tokio::test]
async fn s4_5_s4_6_s4_7_phone_else_email_else_client_id() {
    let (_world, amo, client_id_field, engine, base) = start().await;
    let utm_source = amo
        .custom_fields("contacts")
        .iter()
        .find(|f| f["name"] == "utm_source")
        .map(id)
        .unwrap();
    let by_phone = amo.add_contact(json!({"name": "Телефон", "custom_fields_values": [
        {"field_code": "PHONE", "values": [{"value": "+380 50 111 22 33", "enum_code": "WORK"}]},
        {"field_id": utm_source, "values": [{"value": "newsletter"}]}]}));
    let by_email = amo.add_contact_with("Почта", None, Some("known@example.ua"));
    let by_client = amo.add_contact(json!({"name": "Клиент", "custom_fields_values": [
        {"field_id": client_id_field, "values": [{"value": "777.1715671000"}]}]}));
    let url = hook(&base, BUNDLE);

    // The phone decides, though the e-mail is someone else's.
    deliver(
        &url,
        sender::form(&[("phone", "(050) 111-22-33"), ("email", "known@example.ua")]),
    )
    .await;
    // An unknown phone: a new contact, the e-mail is not searched.
    deliver(
        &url,
        sender::form(&[("tel", "+380 67 000 00 00"), ("email", "known@example.ua")]),
    )
    .await;
    // No phone: the e-mail decides.
    deliver(
        &url,
        sender::form_encoded(&[("name", "Ирина"), ("email", "KNOWN@example.ua")]),
    )
    .await;
    // Neither: the GA client id decides.
    deliver(
        &url,
        with_fields(
            sender::form(&[("name", "Аноним"), ("comment", "Перезвоните")]),
            json!({"client_id": "777.1715671000"}),
        ),
    )
    .await;
    engine.drain().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    assert_eq!(
        amo.contacts().len(),
        4,
        "one new contact: {:#?}",
        amo.contacts()
    );
    let new = amo
        .contacts()
        .into_iter()
        .find(|c| field(c, "Телефон") == "380670000000")
        .expect("the unknown phone's contact");
    for contact in [by_phone, by_email, by_client, id(&new)] {
        deal_of(&amo, contact);
    }
    let searches: Vec<String> = amo
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v4/contacts")
        .filter_map(|r| r.query_param("query").map(str::to_string))
        .collect();
    let mut sorted = searches.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "0501112233",
            "0670000000",
            "777.1715671000",
            "known@example.ua"
        ],
        "one search per form, by its first present key: {searches:?}"
    );
    // S4.7: the phone contact had a UTM field filled: left as it was. The others had none.
    let phone_contact = amo.contact(by_phone).unwrap();
    assert_eq!(field(&phone_contact, "utm_source"), "newsletter");
    assert_eq!(field(&phone_contact, "utm_medium"), Value::Null);
    for contact in [by_email, by_client] {
        let contact = amo.contact(contact).unwrap();
        assert_eq!(
            (field(&contact, "utm_source"), field(&contact, "utm_medium")),
            (json!("facebook"), json!("social")),
            "{contact:#}"
        );
    }
    let anonymous = deal_of(&amo, by_client);
    assert_eq!(field(&anonymous, "Комментарий"), "Перезвоните");
}
