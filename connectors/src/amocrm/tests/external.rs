//! External ids: written into the named custom field on create, found again by the whole
//! value (never by a substring match of amoCRM's loose `query`), as a duplicate lookup of
//! `create_contact` and through `find_lead`; plus lookups by record id and the
//! `custom_fields_by_id` output.

use serde_json::{Map, Value, json};

use super::{Target, execute, writes};
use crate::connector::FindCall;

/// A contact field "Client ID" and a lead field "Alfa-Track request"; their ids.
fn fields(target: &Target) -> (i64, i64) {
    let emulator = &target.emulator;
    let client =
        emulator.add_custom_field("contacts", json!({"name": "Client ID", "type": "text"}));
    let request = emulator.add_custom_field(
        "leads",
        json!({"name": "Alfa-Track request", "type": "text"}),
    );
    (client, request)
}

#[tokio::test]
async fn create_writes_the_external_id_into_its_field() {
    let target = Target::start().await;
    let (client, request) = fields(&target);
    let connector = target.connector();
    let contact = execute(
        &*connector,
        "create_contact",
        json!({"name": "Olga", "external_id": "555.17", "external_id_field": client.to_string()}),
    )
    .await
    .unwrap();
    execute(
        &*connector,
        "create_lead",
        json!({"name": "Form", "external_id": "r-42", "external_id_field": "Alfa-Track request",
               "custom_fields": {"Alfa-Track request": "overwritten by external_id"}}),
    )
    .await
    .unwrap();
    let posts: Vec<Value> = writes(&target.emulator)
        .iter()
        .map(|r| r.json().unwrap())
        .collect();
    assert_eq!(
        posts[0],
        json!([{"name": "Olga", "custom_fields_values": [{"field_id": client, "values": [{"value": "555.17"}]}]}])
    );
    assert_eq!(
        posts[1],
        json!([{"name": "Form", "custom_fields_values": [{"field_id": request, "values": [{"value": "r-42"}]}]}])
    );
    let stored = target
        .emulator
        .contact(contact["id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(stored["custom_fields_values"][0]["field_name"], "Client ID");
}

#[tokio::test]
async fn an_external_id_without_its_field_is_a_configuration_error() {
    let target = Target::start().await;
    let error = execute(
        &*target.connector(),
        "create_contact",
        json!({"name": "Olga", "external_id": "555.17"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("external_id_field"), "{error}");
    assert!(target.emulator.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn contacts_are_found_by_the_whole_external_id_only() {
    let target = Target::start().await;
    let (client, _) = fields(&target);
    let emulator = &target.emulator;
    let value = |v: &str| json!([{"field_id": client, "values": [{"value": v}]}]);
    // `query` would match all three; only the second holds the whole value in its field.
    emulator.add_contact(json!({"name": "Longer", "custom_fields_values": value("1555.17")}));
    let wanted =
        emulator.add_contact(json!({"name": "Olga", "custom_fields_values": value("555.17")}));
    emulator.add_contact(json!({"name": "555.17 in the name"}));
    let connector = target.connector();

    let input: Map<String, Value> = json!({"external_id_field": "client id"})
        .as_object()
        .cloned()
        .unwrap();
    let found = connector
        .find(FindCall {
            action: "create_contact",
            key: "external_id",
            value: &json!("555.17"),
            input: &input,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found["id"], wanted);
    assert_eq!(
        found["custom_fields_by_id"],
        json!({client.to_string(): "555.17"})
    );
    let last = emulator.requests().last().cloned().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("GET", "/api/v4/contacts")
    );
    assert_eq!(
        last.query_param("query"),
        Some("555.17"),
        "searched with amoCRM's query"
    );

    let out = execute(
        &*connector,
        "find_contact",
        json!({"external_id": "999.1", "external_id_field": client}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], false);
    let by_id = execute(&*connector, "find_contact", json!({"id": wanted}))
        .await
        .unwrap();
    assert_eq!(
        (by_id["found"].clone(), by_id["name"].clone()),
        (json!(true), json!("Olga"))
    );
    let missing = execute(&*connector, "find_contact", json!({"id": 424242}))
        .await
        .unwrap();
    assert_eq!(missing["found"], false);
}

#[tokio::test]
async fn find_lead_returns_the_newest_lead_holding_the_external_id() {
    let target = Target::start().await;
    let (_, request) = fields(&target);
    let emulator = &target.emulator;
    let contact = emulator.add_contact_with("Olga", None, Some("olga@example.ua"));
    let holding = |name: &str, v: &str| {
        json!({"name": name, "custom_fields_values": [{"field_id": request, "values": [{"value": v}]}],
               "_embedded": {"contacts": [{"id": contact}]}})
    };
    emulator.set_clock(1_715_000_000);
    emulator.add_lead(holding("older", "r-42"));
    emulator.advance_clock(60);
    let newest = emulator.add_lead(holding("newest", "r-42"));
    emulator.add_lead(holding("other request", "r-420"));
    let connector = target.connector();

    let out = execute(
        &*connector,
        "find_lead",
        json!({"external_id": "r-42", "external_id_field": "Alfa-Track request"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            out["found"].clone(),
            out["lead_id"].clone(),
            out["contact_id"].clone()
        ),
        (json!(true), json!(newest), json!(contact))
    );
    assert_eq!(out["custom_fields"], json!({"Alfa-Track request": "r-42"}));

    let none = execute(
        &*connector,
        "find_lead",
        json!({"external_id": "r-4", "external_id_field": request}),
    )
    .await
    .unwrap();
    assert_eq!(
        (none["found"].clone(), none["lead_id"].clone()),
        (json!(false), Value::Null)
    );
}
