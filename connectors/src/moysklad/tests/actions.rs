//! Action wire formats, read back from the emulator's request log, and duplicate lookups.

use serde_json::json;

use super::*;
use crate::test_kit;

fn assert_common_headers(request: &crate::moysklad::emulator::RecordedRequest, token: &str) {
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert!(request.header("accept-encoding").unwrap().contains("gzip"));
}

#[tokio::test]
async fn create_counterparty_posts_the_documented_fields() {
    let f = fixture().await;
    let out = run(
        &*f.connector,
        "create_counterparty",
        json!({"name": "Звонок 79991234567", "phone": "79991234567", "email": "ivan@example.ru",
               "external_code": "call-42", "tags": "calltouch|звонок", "description": null}),
    )
    .await
    .unwrap();
    let requests = f.emulator.requests();
    assert_eq!(requests.len(), 1);
    let post = &requests[0];
    assert_eq!(
        (post.method.as_str(), post.api_path()),
        ("POST", "/entity/counterparty")
    );
    assert_common_headers(post, f.emulator.token());
    assert_eq!(
        post.body.as_ref().unwrap(),
        &json!({"name": "Звонок 79991234567", "phone": "79991234567", "email": "ivan@example.ru",
                "externalCode": "call-42", "tags": ["calltouch", "звонок"]})
    );
    let stored = &f.emulator.counterparties()[0];
    assert_eq!(out["id"], stored["id"]);
    assert_eq!(out["href"], stored["meta"]["href"]);
    assert_eq!(out["external_code"], "call-42");
}

#[tokio::test]
async fn lookups_find_by_phone_digits_email_and_external_code() {
    let f = fixture().await;
    let ivan = f.emulator.add_counterparty(json!({"name": "Иван", "phone": "79991234567", "email": "Ivan@Example.ru", "externalCode": "c-1"})).unwrap();
    f.emulator
        .add_counterparty(
            json!({"name": "Пётр", "phone": "799912345670", "email": "petr@example.ru"}),
        )
        .unwrap();
    let find = |key: &'static str, value: Value| {
        let connector = f.connector.clone();
        async move {
            test_kit::find(
                connector.as_ref(),
                "create_counterparty",
                key,
                value.clone(),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(
        find("phone", json!("8 (999) 123-45-67")).await.unwrap()["id"],
        ivan["id"]
    );
    assert_eq!(
        find("email", json!("ivan@example.ru")).await.unwrap()["id"],
        ivan["id"]
    );
    assert_eq!(
        find("external_code", json!("c-1")).await.unwrap()["id"],
        ivan["id"]
    );
    assert!(find("phone", json!("+7 999 123-45-60")).await.is_none());
    assert!(find("email", json!("nobody@example.ru")).await.is_none());
    let filters: Vec<String> = f
        .emulator
        .requests()
        .iter()
        .filter_map(|r| r.query_param("filter"))
        .collect();
    assert_eq!(filters[0], "phone~9991234567");
    assert_eq!(filters[1], "email=ivan@example.ru");
    assert_eq!(filters[2], "externalCode=c-1");
    // A substring hit on a different number is not taken for the same client.
    let out = run(
        &*f.connector,
        "find_counterparty",
        json!({"phone": "9991234567"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["found"].clone(), out["name"].clone()),
        (json!(true), json!("Иван"))
    );
    let out = run(
        &*f.connector,
        "find_counterparty",
        json!({"phone": "1112223344", "email": "x@y.z"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["found"].clone(), out["id"].clone()),
        (json!(false), Value::Null)
    );
}

#[tokio::test]
async fn update_counterparty_puts_only_given_fields() {
    let f = fixture().await;
    let c = f
        .emulator
        .add_counterparty(json!({"name": "Иван", "phone": "79991234567"}))
        .unwrap();
    let id = c["id"].as_str().unwrap();
    run(
        &*f.connector,
        "update_counterparty",
        json!({"id": id, "email": "new@example.ru", "phone": null}),
    )
    .await
    .unwrap();
    let put = f.emulator.requests().pop().unwrap();
    assert_eq!(
        (put.method.as_str(), put.api_path()),
        ("PUT", format!("/entity/counterparty/{id}").as_str())
    );
    assert_eq!(put.body.unwrap(), json!({"email": "new@example.ru"}));
    assert_eq!(f.emulator.counterparties()[0]["phone"], "79991234567");
}

#[tokio::test]
async fn customer_orders_carry_meta_refs_state_and_attribute_hrefs() {
    let f = fixture().await;
    let agent = run(
        &*f.connector,
        "create_counterparty",
        json!({"name": "Иван"}),
    )
    .await
    .unwrap();
    f.emulator.clear_requests();
    let attributes = json!({"source": "yandex", "medium": "cpc", "utm_source": "ya", "gclid": "GA1.2.3", "tags": ["a", "b"], "utm_term": null});
    let order = run(
        &*f.connector,
        "create_customer_order",
        json!({"agent_href": agent["href"], "state": "Новый", "description": "Заказ по звонку", "attributes": attributes}),
    )
    .await
    .unwrap();
    assert_eq!(order["state_name"], "Новый");
    let requests = f.emulator.requests();
    let paths: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.api_path()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/entity/customerorder/metadata"),
            ("POST", "/entity/customerorder")
        ]
    );
    let body = requests[1].body.clone().unwrap();
    assert_common_headers(&requests[1], f.emulator.token());
    let org_href = format!(
        "{}/entity/organization/{}",
        f.emulator.base_url(),
        f.emulator.organization_id()
    );
    assert_eq!(
        body["organization"],
        json!({"meta": {"href": org_href, "type": "organization", "mediaType": "application/json"}})
    );
    assert_eq!(body["agent"]["meta"]["href"], agent["href"]);
    assert_eq!(body["agent"]["meta"]["type"], "counterparty");
    assert!(
        body["state"]["meta"]["href"]
            .as_str()
            .unwrap()
            .contains("/entity/customerorder/metadata/states/")
    );
    let sent = body["attributes"].as_array().unwrap();
    assert_eq!(sent.len(), 5, "null values are not sent: {sent:?}");
    for a in sent {
        assert!(
            a["meta"]["href"]
                .as_str()
                .unwrap()
                .contains("/entity/customerorder/metadata/attributes/")
        );
        assert_eq!(a["meta"]["type"], "attributemetadata");
    }
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        f.emulator.order_attribute(id, "gclid"),
        Some(json!("GA1.2.3"))
    );
    assert_eq!(f.emulator.order_attribute(id, "tags"), Some(json!("a|b")));

    // A second order and an update reuse the cached metadata.
    f.emulator.clear_requests();
    run(
        &*f.connector,
        "create_customer_order",
        json!({"agent_id": agent["id"]}),
    )
    .await
    .unwrap();
    let out = run(
        &*f.connector,
        "update_customer_order",
        json!({"id": id, "state": "Отгружен", "attributes": {"medium": "organic"}}),
    )
    .await
    .unwrap();
    assert_eq!(out["state_name"], "Отгружен");
    let paths: Vec<String> = f
        .emulator
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.api_path()))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /entity/customerorder".to_string(),
            format!("PUT /entity/customerorder/{id}")
        ]
    );
    assert_eq!(f.emulator.order_state_name(id).as_deref(), Some("Отгружен"));
    assert_eq!(
        f.emulator.order_attribute(id, "medium"),
        Some(json!("organic"))
    );
    assert_eq!(
        f.emulator.order_attribute(id, "source"),
        Some(json!("yandex"))
    );
}

#[tokio::test]
async fn an_unknown_state_is_rejected_naming_the_known_ones() {
    let f = fixture().await;
    let agent = f
        .emulator
        .add_counterparty(json!({"name": "Иван"}))
        .unwrap();
    let err = run(
        &*f.connector,
        "create_customer_order",
        json!({"agent_id": agent["id"], "state": "Доставлен"}),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`Доставлен`") && text.contains("Подтвержден"),
        "{text}"
    );
    // The cached metadata was fetched again once before giving up.
    let metadata_reads = f
        .emulator
        .requests()
        .iter()
        .filter(|r| r.api_path() == "/entity/customerorder/metadata")
        .count();
    assert_eq!(metadata_reads, 2);
}
