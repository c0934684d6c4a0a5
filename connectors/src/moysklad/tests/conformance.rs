//! Error classification and the emulator's gate, as the connector sees them.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::error::RetryAdvice;
use crate::moysklad::emulator::Fault;

#[tokio::test]
async fn a_wrong_token_is_an_auth_error_after_exactly_one_request() {
    let f = fixture().await;
    let canary = "canary-token-5f1e2d3c4b";
    let wrong = connector_for(&f.emulator, canary);
    let err = wrong.check().await.unwrap_err();
    assert_eq!(err.advice(), RetryAdvice::ConnectionBroken, "{err}");
    assert!(err.to_string().contains("1056"), "{err}");
    assert_eq!(f.emulator.requests().len(), 1);
    assert_eq!(f.emulator.requests()[0].status, 401);
    assert!(!err.to_string().contains(canary));
    f.connector.check().await.unwrap();
}

#[tokio::test]
async fn the_token_never_appears_in_error_text() {
    let f = fixture().await;
    let token = f.emulator.token().to_string();
    // A server that echoes the credentials back in its error body.
    let mut fault = Fault::server_error(400);
    fault.body = json!({"errors": [{"error": format!("bad header Bearer {token}"), "code": 1062}]})
        .to_string();
    f.emulator.push_fault(fault);
    let err = f.connector.check().await.unwrap_err();
    assert!(!err.to_string().contains(&token), "{err}");
    assert!(err.to_string().contains("[REDACTED]"), "{err}");
}

#[tokio::test]
async fn a_429_waits_for_x_lognex_retry_after() {
    let f = fixture().await;
    f.emulator.push_fault(Fault::rate_limited(2000));
    let err = f.connector.check().await.unwrap_err();
    assert_eq!(
        err.advice(),
        RetryAdvice::After(Duration::from_secs(2)),
        "{err}"
    );
    assert!(err.to_string().contains("1049"), "{err}");
}

#[tokio::test]
async fn server_errors_back_off() {
    let f = fixture().await;
    for status in [500, 502, 503, 504] {
        f.emulator.push_fault(Fault::server_error(status));
        let err = f.connector.check().await.unwrap_err();
        assert_eq!(err.advice(), RetryAdvice::Backoff, "{status}: {err}");
    }
}

#[tokio::test]
async fn vendor_validation_errors_are_rejected_with_their_text() {
    let f = fixture().await;
    let missing = "0c1b5a9e-0000-4000-8000-000000000000";
    let err = run(
        &*f.connector,
        "create_customer_order",
        json!({"agent_id": missing}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.advice(), RetryAdvice::Never, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("[1021]") && text.contains(missing) && text.contains("не найден"),
        "{text}"
    );

    // The emulator's own 3000 for a nameless counterparty, read through the connector's
    // mapping (the connector itself refuses to send one).
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/entity/counterparty", f.emulator.base_url()))
        .bearer_auth(f.emulator.token())
        .header("accept-encoding", "gzip")
        .json(&json!({"phone": "123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 412);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 3000);
    assert_eq!(body["errors"][0]["parameter"], "name");
}

#[tokio::test]
async fn an_unknown_attribute_is_rejected_by_name_and_nothing_is_created() {
    let f = fixture().await;
    let agent = f
        .emulator
        .add_counterparty(json!({"name": "Иван"}))
        .unwrap();
    let input =
        json!({"agent_id": agent["id"], "attributes": {"utm_source": "ya", "utm_sourse": "typo"}});
    let err = run(&*f.connector, "create_customer_order", input)
        .await
        .unwrap_err();
    assert_eq!(err.advice(), RetryAdvice::Never);
    assert!(err.to_string().contains("`utm_sourse`"), "{err}");
    assert!(f.emulator.orders().is_empty());
    assert!(f.emulator.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn the_emulator_refuses_requests_without_gzip_and_answers_gzipped() {
    let f = fixture().await;
    let url = format!("{}/context/employee", f.emulator.base_url());
    let plain = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = plain
        .get(&url)
        .bearer_auth(f.emulator.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = plain
        .get(&url)
        .bearer_auth(f.emulator.token())
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let raw = response.bytes().await.unwrap();
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "gzip magic");
    // The connector decodes it (reqwest's gzip feature), so check() parses JSON.
    f.connector.check().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_bad_filters_get_vendor_errors() {
    let f = fixture().await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{}{path}", f.emulator.base_url()))
            .bearer_auth(f.emulator.token())
            .header("accept-encoding", "gzip")
            .send()
    };
    let response = get("/entity/nothing").await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap()["errors"][0]["code"],
        1002
    );
    let response = get("/entity/customerorder?filter=updated%3E%3Dyesterday")
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["errors"][0]["code"],
        1035
    );
    let response = get("/entity/customerorder?limit=1001").await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
}
