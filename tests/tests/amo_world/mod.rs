//! The amoCRM test world of the Alfa-Track and Ringostat templates: the amoCRM emulator
//! with the fields an integrator's account has, templates from `bundles/` edited with the
//! emulator's ids and pointed at it, the webhook endpoint `POST /hooks/<bundle>` served on
//! 127.0.0.1, deliveries posted to it as the vendors send them, and readers for what the
//! emulator and the store hold.

#![allow(dead_code)] // each test uses its own subset

use ferry::bundle::Bundle;
use ferry::runtime::Engine;
use ferry::runtime::webhooks::{DEFAULT_BODY_LIMIT, ServerConfig, WebhookServer};
use ferry_connectors::amocrm::{AmoCrmEmulator, AmoCrmEmulatorConfig};
use serde_json::Value;

use crate::support::{World, edited_template};

/// The amoCRM token the emulator accepts (`${secret:AMOCRM_TOKEN}` in the templates).
pub const AMO_TOKEN: &str = "amo-token-4b7e21";
/// The webhook token of every template's trigger.
pub const HOOK_TOKEN: &str = "hook-token-9d3a55";

/// amoCRM's own tracking fields the templates write (present on deals and contacts of a
/// typical account).
pub const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
];

/// The emulated amoCRM account.
pub async fn amo() -> AmoCrmEmulator {
    let config = AmoCrmEmulatorConfig {
        users: vec![
            (5_100_001, "Администратор".into()),
            (5_100_002, "Ольга".into()),
            (5_100_003, "Иван".into()),
        ],
        ..AmoCrmEmulatorConfig::with_token(AMO_TOKEN)
    };
    AmoCrmEmulator::start(config).await
}

/// Add a text field named `name` to `entity`; its id.
pub fn text_field(amo: &AmoCrmEmulator, entity: &str, name: &str) -> i64 {
    amo.add_custom_field(entity, serde_json::json!({"name": name, "type": "text"}))
}

/// A world whose secrets hold the amoCRM token and every webhook token the templates use.
pub fn world() -> World {
    let mut world = World::new();
    world.secrets.set_secret("AMOCRM_TOKEN", AMO_TOKEN);
    for name in [
        "ALFATRACK_HOOK_TOKEN",
        "RINGOSTAT_HOOK_TOKEN",
        "RINGOSTAT_FORM_TOKEN",
    ] {
        world.secrets.set_secret(name, HOOK_TOKEN);
    }
    world
}

/// A template edited as an integrator would (`edits` put the account's ids in place of
/// the example ones) with its amoCRM connection pointed at the emulator.
pub fn bundle(amo: &AmoCrmEmulator, relative: &str, edits: &[(&str, String)]) -> Bundle {
    edited_template(relative, edits, &[("amo", "base_url", amo.base_url())])
}

/// Serve `POST /hooks/<bundle>` for `engine` on a free loopback port; the base URL.
pub async fn serve(engine: &Engine) -> String {
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        body_limit: DEFAULT_BODY_LIMIT,
    };
    let server = WebhookServer::bind(engine.webhook_intake(), config)
        .await
        .expect("bind the webhook server");
    let base = format!("http://{}", server.local_addr().expect("bound address"));
    tokio::spawn(server.run());
    base
}

/// The hook URL of `bundle_id` with the token in the query, as Ringostat and Alfa-Track
/// add static parameters to the URL.
pub fn hook(base: &str, bundle_id: &str) -> String {
    format!("{base}/hooks/{bundle_id}?token={HOOK_TOKEN}")
}

/// Post one delivery; it must be accepted (200).
pub async fn deliver(url: &str, (content_type, body): (&str, Vec<u8>)) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post the delivery");
    let status = response.status().as_u16();
    assert_eq!(status, 200, "{:?}", response.text().await);
}

/// A JSON delivery with `changes` merged into its top-level object (a field the vendor
/// sends in some setups, a different pool, a missing e-mail as `null` removed).
pub fn with_fields((content_type, body): (&str, Vec<u8>), changes: Value) -> (&str, Vec<u8>) {
    let mut value: Value = serde_json::from_slice(&body).expect("a JSON delivery");
    let object = value.as_object_mut().expect("a JSON object");
    for (key, change) in changes.as_object().expect("changes are an object") {
        if change.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), change.clone());
        }
    }
    (content_type, value.to_string().into_bytes())
}

/// The value of `record`'s custom field named `name` (a list when several; null when it
/// has none).
pub fn field(record: &Value, name: &str) -> Value {
    let entry = record["custom_fields_values"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["field_name"] == name);
    let Some(entry) = entry else {
        return Value::Null;
    };
    let values: Vec<Value> = entry["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["value"].clone())
        .collect();
    match values.len() {
        1 => values.into_iter().next().unwrap_or_default(),
        _ => Value::Array(values),
    }
}

/// The names of every custom field `record` holds a value in.
pub fn field_names(record: &Value) -> Vec<String> {
    record["custom_fields_values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field_name"].as_str().map(str::to_string))
        .collect()
}

/// The tag names of `record`.
pub fn tags(record: &Value) -> Vec<String> {
    record["_embedded"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

/// The ids of the contacts linked to a lead.
pub fn linked_contacts(lead: &Value) -> Vec<i64> {
    lead["_embedded"]["contacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_i64())
        .collect()
}

/// The record's `id`.
pub fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("a record with an id")
}
