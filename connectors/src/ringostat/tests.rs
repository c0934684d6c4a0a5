//! Deliveries through the whole connector: calls and forms, both encodings, alternative
//! names, derived values, rejections and ids.

use serde_json::{Value, json};

use super::KIND;
use super::sender::{self, Call};
use crate::error::ConnectorError;
use crate::inbound::{FORM, JSON};
use crate::test_kit::{Delivery, connection, parse_delivery};

async fn parse(delivery: Delivery<'_>) -> Result<Vec<Value>, ConnectorError> {
    let connector = connection(&KIND, json!({"project": "UA shop"}));
    parse_delivery(connector.as_ref(), delivery).await
}

async fn one(event: &str, content_type: &str, body: &[u8]) -> Value {
    let mut items = parse(Delivery {
        event,
        trigger_settings: json!({}),
        content_type,
        body,
    })
    .await
    .unwrap();
    assert_eq!(items.len(), 1);
    items.remove(0)
}

async fn rejection(event: &str, body: &str) -> String {
    let result = parse(Delivery {
        event,
        trigger_settings: json!({}),
        content_type: JSON,
        body: body.as_bytes(),
    })
    .await;
    match result {
        Err(ConnectorError::Rejected { status: 400, body }) => body,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answered_incoming_call_has_every_documented_field() {
    let (content_type, body) = sender::call(&Call::default());
    let item = one("call", content_type, &body).await;
    assert_eq!(item["event_id"], "call-1715671865.4821");
    assert_eq!(item["call_id"], "1715671865.4821");
    assert_eq!(item["event_type"], "answered");
    assert_eq!(item["direction"], "incoming");
    assert_eq!(item["answered"], true);
    assert_eq!(item["callback"], false);
    assert_eq!(item["disposition"], "ANSWERED");
    assert_eq!(item["duration"], 42, "talk time, not the whole length");
    assert_eq!(item["total_duration"], 51);
    assert_eq!(item["wait_time"], 9);
    assert_eq!(item["caller"], "380501234567");
    assert_eq!(item["callee"], "380443334455");
    assert_eq!(item["client_phone"], "380501234567");
    assert_eq!(item["employee"], "Olga Shevchenko");
    assert_eq!(item["sip"], "sales_olga");
    assert_eq!(
        item["recording_url"],
        "https://api.ringostat.net/recordings/1715671865.4821.mp3"
    );
    assert_eq!(item["pool"], "Context ads");
    assert_eq!(item["call_date"], "2024-05-14 10:31:05");
    assert_eq!(item["utm_source"], "google");
    assert_eq!(item["utm_campaign"], "brand");
    assert_eq!(item["utm_term"], Value::Null);
    assert_eq!(item["client_id"], "1234567890.1715671000");
    assert_eq!(item["project"], "UA shop");
    assert_eq!(item["raw"]["billsec"], "42");
}

#[tokio::test]
async fn event_types_follow_direction_and_disposition() {
    let cases = [
        ("in", "NO ANSWER", 0, "missed", "380501234567"),
        ("in", "BUSY", 0, "missed", "380501234567"),
        ("callback", "PROPER", 30, "answered", "380501234567"),
        ("out", "ANSWERED", 12, "outgoing", "380443334455"),
        ("out", "NO ANSWER", 0, "outgoing_unanswered", "380443334455"),
    ];
    for (call_type, disposition, billsec, expected, client) in cases {
        let call = Call {
            call_type,
            disposition,
            billsec,
            ..Call::default()
        };
        let (content_type, body) = sender::call_form(&call);
        assert_eq!(content_type, FORM);
        let item = one("call", content_type, &body).await;
        assert_eq!(item["event_type"], expected, "{call_type} {disposition}");
        assert_eq!(item["client_phone"], client, "{call_type} {disposition}");
        assert_eq!(item["duration"], billsec);
        assert_eq!(item["callback"], call_type == "callback");
        let answered = expected == "answered" || expected == "outgoing";
        assert_eq!(item["recording_url"].is_string(), answered);
    }
}

#[tokio::test]
async fn alternative_names_and_missing_dispositions_are_handled() {
    let body = br#"{"call_id": "ua-77", "phone": "+380 67 000 11 22", "call_type": "out",
        "call_status": "answered", "call_duration": "00:01:05", "user_call": "Petro",
        "call_recording": "https://rec/1.mp3", "ga": "GA1.2.3", "last_utm_source": "x"}"#;
    let item = one("call", JSON, body).await;
    assert_eq!(item["event_id"], "call-ua-77");
    assert_eq!(item["event_type"], "outgoing");
    assert_eq!(item["duration"], 65);
    assert_eq!(
        item["client_phone"], "+380 67 000 11 22",
        "a named client number wins"
    );
    assert_eq!(item["caller"], Value::Null);
    assert_eq!(item["employee"], "Petro");
    assert_eq!(item["recording_url"], "https://rec/1.mp3");
    assert_eq!(item["client_id"], "GA1.2.3");

    // No disposition: talk time decides; only the whole length known: 0 when unanswered.
    let item = one(
        "call",
        JSON,
        br#"{"uniqueid": "1", "caller": "1", "billsec": 3}"#,
    )
    .await;
    assert_eq!(
        (item["answered"].clone(), item["event_type"].clone()),
        (json!(true), json!("answered"))
    );
    let item = one(
        "call",
        JSON,
        br#"{"uniqueid": "2", "caller": "1", "duration": 20}"#,
    )
    .await;
    assert_eq!(item["answered"], false);
    assert_eq!(item["duration"], 0);
    assert_eq!(item["total_duration"], 20);
    let item = one(
        "call",
        JSON,
        br#"{"uniqueid": "3", "caller": "1", "duration": 20, "disposition": "ANSWERED"}"#,
    )
    .await;
    assert_eq!(item["duration"], 20);
}

#[tokio::test]
async fn a_form_keeps_its_fields_and_takes_the_first_present_phone() {
    let (content_type, body) = sender::form(&[
        ("name", "Oksana"),
        ("phone", ""),
        ("tel", "+380 (50) 123-45-67"),
        ("telephone", "0441112233"),
        ("email", "oksana@example.ua"),
        ("comment", "Need a sofa"),
    ]);
    let item = one("form", content_type, &body).await;
    assert_eq!(
        item["phone"], "+380 (50) 123-45-67",
        "raw, from the first present name"
    );
    assert_eq!(item["phone_field"], "tel");
    assert_eq!(item["email"], "oksana@example.ua");
    assert_eq!(item["name"], "Oksana");
    assert_eq!(item["fields"]["comment"], "Need a sofa");
    assert_eq!(
        item["fields"]["phone"], "",
        "fields are kept exactly as sent"
    );
    assert!(
        item["fields"].get("utm_source").is_none(),
        "system variables are not form fields"
    );
    assert_eq!(item["variables"]["utm_source"], "facebook");
    assert_eq!(item["utm_source"], "facebook");
    assert_eq!(item["client_id"], "555.1715671000");
    assert_eq!(item["form_name"], "Callback form");
    assert_eq!(item["page"], "https://shop.example.ua/sofas");
    assert_eq!(item["submitted_at"], "2024-05-14T07:40:00+00:00");
    assert_eq!(item["project"], "UA shop");
    assert!(item["event_id"].as_str().unwrap().starts_with("form-h"));

    let (content_type, body) = sender::form_encoded(&[("telephone", "0441112233")]);
    let item = one("form", content_type, &body).await;
    assert_eq!(item["phone"], "0441112233");
    assert_eq!(item["phone_field"], "telephone");
    assert_eq!(item["email"], Value::Null);
}

#[tokio::test]
async fn nested_form_fields_and_configured_field_names_are_read() {
    let body = br#"{"id": "sub-5", "fields": {"mobile": "+380991112233", "Phone": "",
        "contact_mail": "a@b.ua", "first-name": "Ira"}, "utm_source": "ya", "clientId": "c1"}"#;
    let items = parse(Delivery {
        event: "form",
        trigger_settings: json!({"phone_fields": "phone, mobile", "email_fields": ["contact_mail"]}),
        content_type: JSON,
        body,
    })
    .await
    .unwrap();
    let item = &items[0];
    assert_eq!(item["event_id"], "form-sub-5");
    assert_eq!(item["phone"], "+380991112233");
    assert_eq!(item["phone_field"], "mobile");
    assert_eq!(item["email"], "a@b.ua");
    assert_eq!(item["name"], "Ira");
    assert_eq!(item["client_id"], "c1");
    assert_eq!(
        item["variables"],
        json!({"utm_source": "ya", "clientId": "c1"})
    );
    assert_eq!(item["fields"].as_object().unwrap().len(), 4);

    let bad = parse(Delivery {
        event: "form",
        trigger_settings: json!({"phone_fields": 7}),
        content_type: JSON,
        body,
    })
    .await;
    assert!(matches!(bad, Err(ConnectorError::Config(m)) if m.contains("`phone_fields`")));
}

#[tokio::test]
async fn deliveries_missing_what_defines_them_are_rejected_by_name() {
    let message = rejection("call", r#"{"disposition": "ANSWERED", "billsec": 4}"#).await;
    assert!(message.contains("no call id and no number"), "{message}");
    assert!(
        message.contains("uniqueid") && message.contains("dst"),
        "{message}"
    );
    let message = rejection("call", r#"{"uniqueid": "1", "billsec": "long"}"#).await;
    assert!(message.contains("`billsec`"), "{message}");
    let message = rejection("form", r#"{"utm_source": "google", "client_id": "1"}"#).await;
    assert!(message.contains("no form fields"), "{message}");
    assert!(message.contains("utm_source"), "{message}");
    let message = rejection("form", "").await;
    assert!(message.contains("empty body"), "{message}");
}

#[tokio::test]
async fn event_ids_are_stable_for_one_delivery() {
    let (content_type, body) = sender::call(&Call::default());
    let a = one("call", content_type, &body).await;
    let (_, form_body) = sender::call_form(&Call::default());
    let b = one("call", FORM, &form_body).await;
    assert_eq!(
        a["event_id"], b["event_id"],
        "the call id decides, not the encoding"
    );
    let other = Call {
        uniqueid: "1715671999.1",
        ..Call::default()
    };
    let (_, body) = sender::call(&other);
    assert_ne!(one("call", JSON, &body).await["event_id"], a["event_id"]);

    let (content_type, body) = sender::form(&[("phone", "1")]);
    let first = one("form", content_type, &body).await;
    let again = one("form", content_type, &body).await;
    assert_eq!(first["event_id"], again["event_id"]);
    let (_, body) = sender::form(&[("phone", "2")]);
    assert_ne!(
        one("form", content_type, &body).await["event_id"],
        first["event_id"]
    );
}

#[tokio::test]
async fn check_passes_and_both_triggers_are_webhooks() {
    let connector = connection(&KIND, json!({}));
    connector.check().await.unwrap();
    for event in ["call", "form"] {
        let trigger = connector.spec().trigger(event).unwrap();
        assert_eq!(trigger.delivery, crate::spec::Delivery::Webhook);
        assert_eq!(trigger.default_key, "{{item.event_id}}");
    }
    let result = parse(Delivery {
        event: "chat",
        trigger_settings: json!({}),
        content_type: JSON,
        body: b"{}",
    })
    .await;
    assert!(matches!(result, Err(ConnectorError::Config(m)) if m.contains("`chat`")));
}
