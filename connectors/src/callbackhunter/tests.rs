//! Deliveries through the whole connector: decoding, normalized fields, derived values,
//! rejections and ids.

use serde_json::{Value, json};

use super::{KIND, sender};
use crate::error::ConnectorError;
use crate::inbound::{FORM, JSON};
use crate::test_kit::{Delivery, connection, parse_delivery};

async fn parse_with(
    settings: Value,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<Value>, ConnectorError> {
    let connector = connection(&KIND, settings);
    let delivery = Delivery {
        event: "request",
        trigger_settings: json!({}),
        content_type,
        body,
    };
    parse_delivery(connector.as_ref(), delivery).await
}

async fn parse_one(content_type: &str, body: &[u8]) -> Value {
    let mut items = parse_with(json!({}), content_type, body).await.unwrap();
    assert_eq!(items.len(), 1);
    items.remove(0)
}

async fn rejection(content_type: &str, body: &str) -> String {
    match parse_with(json!({}), content_type, body.as_bytes()).await {
        Err(ConnectorError::Rejected { status: 400, body }) => body,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_json_call_becomes_a_call_item_with_the_raw_delivery_kept() {
    let body = br#"{"id": 812, "type": "call", "phone": "+7 (916) 123-45-67", "duration": "47",
        "created_at": "2024-05-14 10:31:05", "site": "shop.ru", "manager": "Olga"}"#;
    let item = parse_one(JSON, body).await;
    assert_eq!(item["event_id"], "call-812");
    assert_eq!(item["kind"], "call");
    assert_eq!(item["phone"], "+7 (916) 123-45-67");
    assert_eq!(item["duration"], 47);
    assert_eq!(item["messages"], json!([]));
    assert_eq!(item["messages_counted"], 0);
    assert_eq!(item["created_at"], "2024-05-14 10:31:05");
    assert_eq!(item["site"], "shop.ru");
    assert_eq!(item["raw"]["manager"], "Olga");
    assert_eq!(item["raw"]["duration"], "47");
}

#[tokio::test]
async fn form_encoded_calls_and_chats_parse_like_json_ones() {
    let (content_type, body) = sender::call_form(95, "+79161234567");
    assert_eq!(content_type, FORM);
    let item = parse_one(content_type, &body).await;
    assert_eq!(item["kind"], "call");
    assert_eq!(item["duration"], 95);
    assert_eq!(item["phone"], "+79161234567");

    let (content_type, body) = sender::chat_form(
        "+79160000000",
        &[
            ("visitor", "Hi"),
            ("system", "Olga joined"),
            ("manager", "Hello"),
        ],
    );
    let item = parse_one(content_type, &body).await;
    assert_eq!(item["kind"], "chat");
    assert_eq!(
        item["messages"][1],
        json!({"author": "system", "text": "Olga joined", "at": null})
    );
    assert_eq!(item["messages_counted"], 2);
}

#[tokio::test]
async fn messages_counted_excludes_system_and_unknown_authors() {
    let (content_type, body) = sender::chat(
        "",
        &[
            ("system", "Hello! How can we help?"),
            ("visitor", "Do you deliver?"),
            ("manager", "Yes, tomorrow"),
            ("system", "The visitor left the page"),
            ("visitor", "Thanks"),
        ],
    );
    let item = parse_one(content_type, &body).await;
    assert_eq!(item["kind"], "chat");
    assert_eq!(item["phone"], Value::Null);
    assert_eq!(item["messages"].as_array().unwrap().len(), 5);
    assert_eq!(item["messages_counted"], 3);
    assert_eq!(item["duration"], 0);

    let body = br#"{"chat_id": "c-9", "chat_messages": [
        {"from": "Client", "message": "a"}, {"sender": "operator", "body": "b"},
        {"role": "bot", "text": "c"}, "bare text", {"text": "no author"}]}"#;
    let item = parse_one(JSON, body).await;
    assert_eq!(item["event_id"], "chat-c-9");
    let authors: Vec<&str> = item["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert_eq!(
        authors,
        ["visitor", "manager", "system", "system", "system"]
    );
    assert_eq!(item["messages_counted"], 2);
}

#[tokio::test]
async fn alternative_field_names_and_inferred_kinds_are_read() {
    let body = br#"{"call_id": 5, "client_phone": "79161112233", "call_duration": "01:15",
        "client_name": "Ivan", "client_email": "i@x.ru", "project_name": "Shop"}"#;
    let item = parse_one(JSON, body).await;
    assert_eq!(
        item["kind"], "call",
        "a duration without a type means a call"
    );
    assert_eq!(item["event_id"], "call-5");
    assert_eq!(item["phone"], "79161112233");
    assert_eq!(item["duration"], 75);
    assert_eq!(item["name"], "Ivan");
    assert_eq!(item["email"], "i@x.ru");
    assert_eq!(item["project"], "Shop");

    let body = br#"{"type": "chat", "messages": "[{\"author\":\"visitor\",\"text\":\"hi\"}]"}"#;
    let item = parse_one(JSON, body).await;
    assert_eq!(
        item["messages_counted"], 1,
        "a list sent as JSON text is read"
    );
    let item = parse_one(
        JSON,
        r#"{"type": "Обратный звонок", "phone": "1"}"#.as_bytes(),
    )
    .await;
    assert_eq!(item["kind"], "call");
}

#[tokio::test]
async fn the_connection_project_fills_in_and_received_at_stands_in_for_a_missing_date() {
    let (content_type, body) = sender::call(10, "+7900");
    let items = parse_with(json!({"project": "Main site"}), content_type, &body)
        .await
        .unwrap();
    assert_eq!(items[0]["project"], "Main site");
    let item = parse_one(JSON, br#"{"type": "call", "phone": "1"}"#).await;
    assert_eq!(item["created_at"], "2024-05-14T07:40:00+00:00");
    assert_eq!(item["project"], Value::Null);
}

#[tokio::test]
async fn deliveries_that_are_not_calls_or_chats_are_rejected_naming_what_is_missing() {
    let message = rejection(JSON, r#"{"id": 1, "phone": "+7"}"#).await;
    assert!(message.contains("neither a call nor a chat"), "{message}");
    assert!(
        message.contains("`duration`") && message.contains("`messages`"),
        "{message}"
    );
    let message = rejection(JSON, r#"{"id": 1, "type": "call", "duration": 30}"#).await;
    assert!(message.contains("no phone number"), "{message}");
    assert!(message.contains("client_phone"), "{message}");
    let message = rejection(
        JSON,
        r#"{"type": "call", "phone": "1", "duration": "long"}"#,
    )
    .await;
    assert!(message.contains("`duration`"), "{message}");
    let message = rejection(JSON, r#"{"type": "chat", "messages": 4}"#).await;
    assert!(message.contains("not a list of messages"), "{message}");
    let message = rejection(JSON, "[1]").await;
    assert!(message.contains("batch entry 0"), "{message}");
}

#[tokio::test]
async fn event_ids_are_stable_for_one_delivery_and_differ_between_deliveries() {
    let (content_type, body) = sender::call(40, "+7901");
    let first = parse_one(content_type, &body).await;
    let again = parse_one(content_type, &body).await;
    assert_eq!(first["event_id"], again["event_id"]);
    let (_, other) = sender::call(40, "+7901");
    let second = parse_one(content_type, &other).await;
    assert_ne!(first["event_id"], second["event_id"]);

    // Without an id, the content decides: the same body twice is one request.
    let body = br#"{"type": "call", "phone": "+7902", "duration": 12}"#;
    let a = parse_one(JSON, body).await;
    let b = parse_one(
        JSON,
        br#"{"duration": 12, "phone": "+7902", "type": "call"}"#,
    )
    .await;
    let c = parse_one(
        JSON,
        br#"{"type": "call", "phone": "+7902", "duration": 13}"#,
    )
    .await;
    assert!(a["event_id"].as_str().unwrap().starts_with("call-h"));
    assert_eq!(a["event_id"], b["event_id"]);
    assert_ne!(a["event_id"], c["event_id"]);
}

#[tokio::test]
async fn a_batch_gives_one_item_per_request() {
    let body = br#"[{"id": 1, "type": "call", "phone": "1", "duration": 5},
                    {"id": 1, "type": "chat", "messages": []}]"#;
    let items = parse_with(json!({}), JSON, body).await.unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["call-1", "chat-1"]);
}

#[tokio::test]
async fn check_passes_and_there_are_no_actions() {
    let connector = connection(&KIND, json!({}));
    connector.check().await.unwrap();
    let spec = connector.spec();
    assert!(spec.actions.is_empty());
    let trigger = spec.trigger("request").unwrap();
    assert_eq!(trigger.delivery, crate::spec::Delivery::Webhook);
    assert_eq!(trigger.default_key, "{{item.event_id}}");
}
