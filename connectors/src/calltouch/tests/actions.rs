//! `create_deal` and `update_deal`: the exact request (path, headers, JSON body with the
//! real field names), what the emulator stored, the outputs, and vendor validation errors.

use serde_json::json;

use super::{SITE, TOKEN, Target, execute};
use crate::conformance::assert_no_secret;
use crate::error::{ConnectorError, RetryAdvice};

const CREATE_PATH: &str = "/lead-service/v1/api/client-order/create";
const UPDATE_PATH: &str = "/lead-service/v1/api/client-order/update";

#[tokio::test]
async fn create_deal_for_a_call_sends_the_documented_body() {
    let target = Target::start().await;
    let connector = target.connector();
    let input = json!({"call_id": "5501", "order_number": "5501", "status": "PENDING", "budget": 0,
        "date": "14/05/2024 10:21:05", "currency": "rub", "funnel": "Main", "manager": "Anna",
        "name": "Call from 79161234567", "comment": "created by ferry"});
    let out = execute(connector.as_ref(), "create_deal", input)
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(out),
        json!({"order_number": "5501", "call_id": 5501, "request_id": null, "status": "PENDING", "order_id": 1})
    );

    let sent = target.emulator.log().matching("POST", CREATE_PATH);
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(sent.header("access-token"), Some(TOKEN));
    assert_eq!(sent.header("siteid"), Some(SITE));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert!(
        sent.query.is_empty(),
        "the deals API takes the token in a header only"
    );
    let body = sent.json().unwrap();
    assert_eq!(
        body,
        json!({"crm": "ferry", "orders": [{
            "matching": [{"type": "call", "callParams": {"callId": 5501}}],
            "orderNumber": "5501", "orderDate": "14-05-2024 10:21:05", "statusDate": "14-05-2024 10:21:05",
            "status": "PENDING", "revenue": "0.00", "currency": "rub", "funnel": "Main", "manager": "Anna",
            "orderName": "Call from 79161234567", "comment": {"text": "created by ferry"}}]})
    );
    let deal = target.emulator.deal("5501").unwrap();
    assert_eq!(deal.crm.as_deref(), Some("ferry"));
    assert_eq!(deal.created, body["orders"][0]);
}

#[tokio::test]
async fn create_deal_for_a_form_request_matches_by_request_id() {
    let target = Target::start().await;
    let connector = target
        .connector_with(json!({"crm_name": "shop-crm"}))
        .unwrap();
    let out = execute(
        connector.as_ref(),
        "create_deal",
        json!({"request_id": 301, "order_number": "R-301", "status": "PENDING"}),
    )
    .await
    .unwrap();
    assert_eq!(out["request_id"], 301);
    assert_eq!(out["call_id"], serde_json::Value::Null);
    let body = target.emulator.log().last().unwrap().json().unwrap();
    assert_eq!(body["crm"], "shop-crm");
    assert_eq!(
        body["orders"][0]["matching"],
        json!([{"type": "request", "requestParams": {"requestId": 301}}])
    );
    assert!(
        body["orders"][0].get("revenue").is_none(),
        "no budget mapped, none sent"
    );
}

#[tokio::test]
async fn update_deal_addresses_the_deal_by_order_number() {
    let target = Target::start().await;
    let connector = target.connector();
    execute(
        connector.as_ref(),
        "create_deal",
        json!({"call_id": 5501, "order_number": "D-1001", "status": "PENDING", "budget": 0}),
    )
    .await
    .unwrap();
    let out = execute(
        connector.as_ref(),
        "update_deal",
        json!({"order_number": "D-1001", "status": "COMPLETED", "budget": "18000.5", "date": "2024-05-20 15:00:00", "comment": "paid"}),
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(out),
        json!({"order_number": "D-1001", "status": "COMPLETED"})
    );
    let sent = target.emulator.log().matching("POST", UPDATE_PATH);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("access-token"), Some(TOKEN));
    assert_eq!(
        sent[0].json().unwrap(),
        json!({"orders": [{"orderNumber": "D-1001", "status": "COMPLETED", "statusDate": "20-05-2024 15:00:00",
            "revenue": "18000.50", "addNewComment": {"text": "paid"}}]})
    );
    let deal = target.emulator.deal("D-1001").unwrap();
    assert_eq!(deal.updates.len(), 1);
    assert_eq!(deal.current["status"], "COMPLETED");
    assert_eq!(deal.current["revenue"], "18000.50");
    assert_eq!(deal.current["matching"], deal.created["matching"]);
}

#[tokio::test]
async fn vendor_validation_errors_are_rejected_with_their_message() {
    let target = Target::start().await;
    let connector = target.connector();
    let input = json!({"call_id": 5501, "order_number": "D-1", "status": "PENDING"});
    execute(connector.as_ref(), "create_deal", input.clone())
        .await
        .unwrap();
    let duplicate = execute(connector.as_ref(), "create_deal", input)
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, ConnectorError::Rejected { status: 400, .. }),
        "{duplicate:?}"
    );
    assert_eq!(duplicate.advice(), RetryAdvice::Never);
    let text = duplicate.to_string();
    assert!(
        text.contains("orders[0].orderNumber: order with number 'D-1' already exists"),
        "{text}"
    );
    assert_no_secret(&duplicate, TOKEN);

    let unknown = execute(
        connector.as_ref(),
        "update_deal",
        json!({"order_number": "nope", "status": "WON"}),
    )
    .await
    .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("order with number 'nope' not found"),
        "{unknown}"
    );
    assert_eq!(unknown.advice(), RetryAdvice::Never);
    assert_eq!(target.emulator.deals().len(), 1);
}

#[tokio::test]
async fn bad_inputs_fail_before_anything_is_sent() {
    let target = Target::start().await;
    let connector = target.connector();
    let cases = [
        (
            json!({"call_id": 1, "order_number": "D", "date": "yesterday"}),
            "input `date`",
        ),
        (
            json!({"call_id": 1, "order_number": "D", "budget": "a lot"}),
            "input `budget`",
        ),
        (json!({"order_number": "D"}), "`request_id` is required"),
        (
            json!({"call_id": "x1", "order_number": "D"}),
            "input `call_id`",
        ),
        (
            json!({"call_id": 1, "order_number": ""}),
            "input `order_number`",
        ),
    ];
    for (input, expected) in cases {
        let error = execute(connector.as_ref(), "create_deal", input)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected}"
        );
        assert_eq!(error.advice(), RetryAdvice::Never);
    }
    let error = execute(connector.as_ref(), "close_deal", json!({}))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no action `close_deal`"),
        "{error}"
    );
    assert!(target.emulator.requests().is_empty());
}
