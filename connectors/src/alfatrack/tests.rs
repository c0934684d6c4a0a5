//! Deliveries through the whole connector: both triggers, both encodings, alternative
//! names, derived values, rejections and ids.

use serde_json::{Value, json};

use super::{KIND, sender};
use crate::error::ConnectorError;
use crate::inbound::{FORM, JSON};
use crate::test_kit::{Delivery, connection, parse_delivery};

async fn parse_with(
    settings: Value,
    event: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<Value>, ConnectorError> {
    let connector = connection(&KIND, settings);
    let delivery = Delivery {
        event,
        trigger_settings: json!({}),
        content_type,
        body,
    };
    parse_delivery(connector.as_ref(), delivery).await
}

async fn parse_one(event: &str, content_type: &str, body: &[u8]) -> Value {
    let mut items = parse_with(json!({}), event, content_type, body)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    items.remove(0)
}

async fn rejection(event: &str, body: &str) -> String {
    match parse_with(json!({}), event, JSON, body.as_bytes()).await {
        Err(ConnectorError::Rejected { status: 400, body }) => body,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_request_has_its_contact_type_and_no_enrichment_yet() {
    let (content_type, body) = sender::request("5501", "form", "+7 916 123-45-67", "Ivan@Mail.ru");
    let item = parse_one("request", content_type, &body).await;
    assert_eq!(item["event_id"], "request-5501");
    assert_eq!(item["request_id"], "5501");
    assert_eq!(item["request_type"], "form");
    assert_eq!(item["phone"], "+7 916 123-45-67");
    assert_eq!(item["email"], "Ivan@Mail.ru", "values are kept as sent");
    assert_eq!(item["name"], "Ivan Petrov");
    assert_eq!(item["subject"], "Order");
    assert_eq!(item["project"], "shop.example.ru");
    assert_eq!(item["sent_at"], "2024-05-14 10:31:05");
    assert_eq!(item["utm_source"], Value::Null);
    assert_eq!(item["client_id"], Value::Null);
    assert_eq!(item["enriched"], false);
    assert_eq!(item["raw"]["type"], "form");
}

#[tokio::test]
async fn form_encoded_requests_parse_like_json_ones() {
    let (content_type, body) = sender::request_form("77", "phone", "+79160000000", "");
    assert_eq!(content_type, FORM);
    let item = parse_one("request", content_type, &body).await;
    assert_eq!(item["event_id"], "request-77");
    assert_eq!(item["request_type"], "phone");
    assert_eq!(item["phone"], "+79160000000");
    assert_eq!(item["email"], Value::Null, "an empty field is absent");

    let body = b"lead_id=9&lead_type=%D1%87%D0%B0%D1%82&utm[source]=yandex&utm[medium]=cpc&ga_cid=GA1.2.3.4";
    let item = parse_one("request", FORM, body).await;
    assert_eq!(
        item["request_type"], "chat",
        "Russian labels are understood"
    );
    assert_eq!(item["utm_source"], "yandex", "a nested utm object is read");
    assert_eq!(item["utm_medium"], "cpc");
    assert_eq!(item["client_id"], "GA1.2.3.4");
    assert_eq!(item["enriched"], true);
}

#[tokio::test]
async fn request_types_are_normalized_and_unknown_ones_kept() {
    for (label, expected) in [
        ("Форма", "form"),
        ("web_form", "form"),
        ("Телефон", "phone"),
        ("call", "phone"),
        ("CHAT", "chat"),
        ("Оффлайн", "offline"),
        ("offline", "offline"),
        ("Email", "email"),
    ] {
        let body = json!({"id": 1, "request_type": label}).to_string();
        let item = parse_one("request", JSON, body.as_bytes()).await;
        assert_eq!(item["request_type"], expected, "{label}");
    }
}

#[tokio::test]
async fn an_enrichment_links_to_its_request_and_carries_tracking_fields() {
    let (content_type, body) =
        sender::enrichment("5501", "ivan@mail.ru", "google", "GA1.2.111.222");
    let item = parse_one("enrichment", content_type, &body).await;
    assert_eq!(item["request_id"], "5501");
    assert!(
        item["event_id"]
            .as_str()
            .unwrap()
            .starts_with("enrichment-5501-")
    );
    assert_eq!(item["email"], "ivan@mail.ru");
    assert_eq!(item["utm_source"], "google");
    assert_eq!(item["utm_medium"], "cpc");
    assert_eq!(item["utm_campaign"], "spring_sale");
    assert_eq!(item["utm_content"], "banner_1");
    assert_eq!(item["utm_term"], "buy sofa");
    assert_eq!(item["client_id"], "GA1.2.111.222");
    assert_eq!(item["city"], "Moscow");
    assert_eq!(item["device"], "desktop");
    assert_eq!(item["request_type"], Value::Null);
    assert_eq!(item["enriched"], true);
}

#[tokio::test]
async fn enrichment_ids_are_stable_per_delivery_and_new_for_new_data() {
    let (content_type, body) = sender::enrichment("42", "a@b.ru", "google", "GA1");
    let first = parse_one("enrichment", content_type, &body).await;
    let again = parse_one("enrichment", content_type, &body).await;
    assert_eq!(first["event_id"], again["event_id"]);
    let (_, later) = sender::enrichment("42", "a@b.ru", "yandex", "GA1");
    let second = parse_one("enrichment", content_type, &later).await;
    assert_ne!(first["event_id"], second["event_id"]);
    assert_eq!(second["request_id"], "42");

    let (content_type, body) = sender::request("42", "form", "", "a@b.ru");
    let a = parse_one("request", content_type, &body).await;
    let b = parse_one("request", content_type, &body).await;
    assert_eq!(a["event_id"], b["event_id"]);
    let unnamed = parse_one("request", JSON, br#"{"type": "form", "email": "x@y.z"}"#).await;
    assert!(
        unnamed["event_id"]
            .as_str()
            .unwrap()
            .starts_with("request-h")
    );
    assert_eq!(unnamed["request_id"], Value::Null);
}

#[tokio::test]
async fn the_connection_project_fills_in_and_received_at_stands_in_for_a_missing_date() {
    let items = parse_with(
        json!({"project": "Main"}),
        "request",
        JSON,
        br#"{"id": 3, "type": "phone"}"#,
    )
    .await
    .unwrap();
    assert_eq!(items[0]["project"], "Main");
    assert_eq!(items[0]["sent_at"], "2024-05-14T07:40:00+00:00");
    let items = parse_with(
        json!({"project": "Main"}),
        "request",
        JSON,
        br#"{"id": 3, "type": "phone", "project_name": "Other"}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        items[0]["project"], "Other",
        "the delivery's own project wins"
    );
}

#[tokio::test]
async fn deliveries_missing_what_defines_them_are_rejected_by_name() {
    let message = rejection("request", r#"{"id": 1, "phone": "+7"}"#).await;
    assert!(message.contains("no request type"), "{message}");
    assert!(message.contains("lead_type"), "{message}");
    let message = rejection("enrichment", r#"{"utm_source": "google"}"#).await;
    assert!(message.contains("which request it belongs to"), "{message}");
    assert!(message.contains("request_id"), "{message}");
    let message = rejection("request", "not json").await;
    assert!(message.contains("not valid JSON"), "{message}");
}

#[tokio::test]
async fn unknown_events_are_configuration_errors_and_check_passes() {
    let result = parse_with(json!({}), "deal", JSON, b"{}").await;
    assert!(matches!(result, Err(ConnectorError::Config(m)) if m.contains("`deal`")));
    let connector = connection(&KIND, json!({}));
    connector.check().await.unwrap();
    for event in ["request", "enrichment"] {
        let trigger = connector.spec().trigger(event).unwrap();
        assert_eq!(trigger.delivery, crate::spec::Delivery::Webhook);
        assert_eq!(trigger.default_key, "{{item.event_id}}");
        assert!(trigger.item_fields.iter().any(|f| f.name == "request_id"));
        assert!(trigger.item_fields.iter().any(|f| f.name == "utm_source"));
    }
}
