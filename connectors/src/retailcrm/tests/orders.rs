//! Orders: the create/edit wire format with the real field names (UTM `source` block,
//! `customFields` keyed by code, `customer: {id}`), addressing by id or external id, the
//! lookup by external id, and vendor validation errors.

use serde_json::{Value, json};

use super::{KEY, SITE, Target, execute};
use crate::conformance::assert_no_secret;
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit::find;

#[tokio::test]
async fn create_order_sends_the_s1_1_order_with_real_field_names() {
    let target = Target::start().await;
    let customer = target
        .emulator
        .add_customer(json!({"externalId": "5501", "phones": [{"number": "79161234567"}]}));
    let connector = target.connector();
    let out = execute(
        connector.as_ref(),
        "create_order",
        json!({"customer_id": customer, "status": "new", "order_type": "eshop-individual", "order_method": "phone",
            "first_name": "Order from Calltouch call, number 79161234567", "phone": "79161234567",
            "source": "yandex", "medium": "cpc", "campaign": "spring", "content": "banner", "term": "sofa",
            "custom_fields": {"tags": "lead|74951112233", "gclid": "GA1.2.5501"}, "manager_id": 7}),
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"id": 1, "number": "1A", "externalId": null})
    );

    let sent = target.emulator.log().last().unwrap();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/api/v5/orders/create")
    );
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.form_field("site").as_deref(), Some(SITE));
    assert_eq!(
        sent.form_json("order").unwrap(),
        json!({"status": "new", "orderType": "eshop-individual", "orderMethod": "phone",
            "firstName": "Order from Calltouch call, number 79161234567", "phone": "79161234567",
            "customer": {"id": customer}, "managerId": 7,
            "source": {"source": "yandex", "medium": "cpc", "campaign": "spring", "content": "banner", "keyword": "sofa"},
            "customFields": {"tags": "lead|74951112233", "gclid": "GA1.2.5501"}})
    );
    let stored = target.emulator.order(1).unwrap();
    assert_eq!(stored["customer"]["id"], customer);
    assert_eq!(stored["customer"]["externalId"], "5501");
    assert_eq!(stored["customFields"]["tags"], "lead|74951112233");
}

#[tokio::test]
async fn edit_order_addresses_by_external_id_or_by_id() {
    let target = Target::start().await;
    let connector = target.connector();
    execute(
        connector.as_ref(),
        "create_order",
        json!({"external_id": "D/1001", "status": "new"}),
    )
    .await
    .unwrap();

    let out = execute(
        connector.as_ref(),
        "edit_order",
        json!({"external_id": "D/1001", "status": "complete"}),
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"id": 1, "number": "1A", "externalId": "D/1001"})
    );
    let sent = target.emulator.log().last().unwrap();
    assert_eq!(sent.path, "/api/v5/orders/D%2F1001/edit");
    assert_eq!(sent.form_field("by").as_deref(), Some("externalId"));
    assert_eq!(sent.form_field("site").as_deref(), Some(SITE));
    assert_eq!(
        sent.form_json("order").unwrap(),
        json!({"status": "complete"})
    );

    execute(
        connector.as_ref(),
        "edit_order",
        json!({"id": 1, "external_id": "D-2", "manager_comment": "call back"}),
    )
    .await
    .unwrap();
    let sent = target.emulator.log().last().unwrap();
    assert_eq!(sent.path, "/api/v5/orders/1/edit");
    assert_eq!(sent.form_field("by").as_deref(), Some("id"));
    assert_eq!(
        sent.form_json("order").unwrap(),
        json!({"managerComment": "call back", "externalId": "D-2"})
    );
    let stored = target.emulator.order(1).unwrap();
    assert_eq!(
        (stored["status"].clone(), stored["externalId"].clone()),
        (json!("complete"), json!("D-2"))
    );
}

#[tokio::test]
async fn an_order_created_before_a_lost_reply_is_found_by_external_id() {
    let target = Target::start().await;
    let connector = target.connector();
    execute(
        connector.as_ref(),
        "create_order",
        json!({"external_id": "5501", "status": "new"}),
    )
    .await
    .unwrap();
    let value = json!(5501);
    let found = find(
        connector.as_ref(),
        "create_order",
        "external_id",
        value.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        found.map(Value::Object),
        Some(json!({"id": 1, "number": "1A", "externalId": "5501"}))
    );
    let sent = target.emulator.log().last().unwrap();
    assert_eq!(
        sent.line(),
        "GET /api/v5/orders/5501?by=externalId&site=main"
    );
    let other = json!("nope");
    assert!(
        find(
            connector.as_ref(),
            "create_order",
            "external_id",
            other.clone()
        )
        .await
        .unwrap()
        .is_none()
    );
}

#[tokio::test]
async fn vendor_validation_errors_are_rejected_with_their_message() {
    let target = Target::start().await;
    let connector = target.connector();
    let cases = [
        (
            json!({"status": "shipped-to-mars"}),
            "status: Status \"shipped-to-mars\" does not exist.",
        ),
        (
            json!({"customer_id": 404}),
            "Errors in the entity format (customer: Customer {\"id\":404} not found.)",
        ),
        (
            json!({"email": "x@"}),
            "email: This value is not a valid email address.",
        ),
    ];
    for (input, expected) in cases {
        let error = execute(connector.as_ref(), "create_order", input)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ConnectorError::Rejected { status: 400, .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(expected),
            "{error} should contain {expected}"
        );
        assert_eq!(error.advice(), RetryAdvice::Never);
        assert_no_secret(&error, KEY);
    }
    assert!(target.emulator.orders().is_empty());
    let missing = execute(
        connector.as_ref(),
        "edit_order",
        json!({"external_id": "nope", "status": "new"}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(missing, ConnectorError::Rejected { status: 404, .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn bad_inputs_fail_before_anything_is_sent() {
    let target = Target::start().await;
    let connector = target.connector();
    let cases = [
        (
            "create_order",
            json!({"custom_fields": "tags=a"}),
            "input `custom_fields`",
        ),
        (
            "create_order",
            json!({"customer_id": "seventeen"}),
            "input `customer_id`",
        ),
        (
            "edit_order",
            json!({"status": "new"}),
            "`external_id` is required",
        ),
        ("edit_order", json!({"id": 1}), "nothing to change"),
        (
            "edit_customer",
            json!({"email": "a@b.ru"}),
            "input `id` is required",
        ),
    ];
    for (action, input, expected) in cases {
        let error = execute(connector.as_ref(), action, input)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected}"
        );
        assert_eq!(error.advice(), RetryAdvice::Never);
    }
    assert!(target.emulator.requests().is_empty());
}
