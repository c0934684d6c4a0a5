//! Customers: the create/edit wire format, lookups by phone (last 10 digits through
//! `filter[name]`), e-mail and external id, duplicate search for `create_customer`, and
//! vendor validation errors.

use serde_json::{Value, json};

use super::{KEY, SITE, Target, execute};
use crate::conformance::assert_no_secret;
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit::find;

#[tokio::test]
async fn create_customer_posts_the_customer_as_a_json_form_field() {
    let target = Target::start().await;
    let connector = target.connector();
    let out = execute(
        connector.as_ref(),
        "create_customer",
        json!({"external_id": 5501, "phone": "79161234567", "email": "ivan@example.ru", "first_name": "Ivan",
            "last_name": "Petrov", "manager_id": "12", "custom_fields": {"gclid": "GA1.2.3", "unused": null}}),
    )
    .await
    .unwrap();
    assert_eq!(Value::Object(out), json!({"id": 1, "externalId": "5501"}));

    let sent = target.emulator.log().last().unwrap();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/api/v5/customers/create")
    );
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.form_field("site").as_deref(), Some(SITE));
    assert_eq!(
        sent.form_json("customer").unwrap(),
        json!({"externalId": "5501", "firstName": "Ivan", "lastName": "Petrov", "email": "ivan@example.ru",
            "phones": [{"number": "79161234567"}], "managerId": 12, "customFields": {"gclid": "GA1.2.3"}})
    );
    assert!(
        !sent.raw_query.contains(KEY),
        "the key travels in the header, not the URL"
    );
    let stored = &target.emulator.customers()[0];
    assert_eq!(stored["site"], SITE);
    assert_eq!(stored["phones"][0]["number"], "79161234567");
}

#[tokio::test]
async fn phone_lookup_matches_any_spelling_but_only_the_same_number() {
    let target = Target::start().await;
    // Same national number, different spellings; the oldest wins.
    let ivan = target
        .emulator
        .add_customer(json!({"firstName": "Ivan", "phones": [{"number": "+7 (916) 123-45-67"}]}));
    target
        .emulator
        .add_customer(json!({"firstName": "Ivan 2", "phones": [{"number": "89161234567"}]}));
    // Contains the digits but is another number: the API's substring search returns it.
    target
        .emulator
        .add_customer(json!({"firstName": "Other", "phones": [{"number": "+7 916 123 45 670"}]}));
    target.emulator.add_customer(
        json!({"firstName": "Elsewhere", "phones": [{"number": "79161234567"}], "site": "other"}),
    );
    let connector = target.connector();
    let out = execute(
        connector.as_ref(),
        "find_customer",
        json!({"phone": "79161234567"}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], true);
    assert_eq!(out["id"], ivan);
    assert_eq!(out["phone"], "+7 (916) 123-45-67");

    let sent = target.emulator.log().last().unwrap();
    assert_eq!(sent.path, "/api/v5/customers");
    assert_eq!(sent.query_param("filter[name]"), Some("9161234567"));
    assert_eq!(sent.query_all("filter[sites][]"), vec![SITE]);
    assert_eq!(sent.query_param("limit"), Some("100"));

    let other = execute(
        connector.as_ref(),
        "find_customer",
        json!({"phone": "+7 916 123 45 6"}),
    )
    .await
    .unwrap();
    assert_eq!(
        other["found"], false,
        "a prefix of a number is not that number"
    );
}

#[tokio::test]
async fn email_lookup_is_exact_ignoring_case_and_falls_back_in_order() {
    let target = Target::start().await;
    let id = target
        .emulator
        .add_customer(json!({"email": "Ivan@Example.ru", "externalId": "c-1"}));
    let connector = target.connector();
    let hit = execute(
        connector.as_ref(),
        "find_customer",
        json!({"phone": "70000000000", "email": "ivan@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            hit["found"].clone(),
            hit["id"].clone(),
            hit["externalId"].clone()
        ),
        (json!(true), json!(id), json!("c-1"))
    );
    let paths: Vec<String> = target
        .emulator
        .requests()
        .iter()
        .map(|r| r.line())
        .collect();
    assert_eq!(paths.len(), 2, "phone first, then e-mail: {paths:?}");
    assert_eq!(
        target
            .emulator
            .log()
            .last()
            .unwrap()
            .query_param("filter[email]"),
        Some("ivan@example.ru")
    );

    let near = execute(
        connector.as_ref(),
        "find_customer",
        json!({"email": "van@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(near),
        json!({"id": null, "externalId": null, "phone": null, "email": null,
        "first_name": null, "last_name": null, "found": false})
    );
    let error = execute(connector.as_ref(), "find_customer", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Never);
}

#[tokio::test]
async fn duplicate_search_for_create_customer_uses_every_declared_key() {
    let target = Target::start().await;
    let id = target.emulator.add_customer(
        json!({"externalId": "5501", "email": "a@b.ru", "phones": [{"number": "79161234567"}]}),
    );
    let connector = target.connector();
    let spec = super::super::spec::SPEC
        .action("create_customer")
        .unwrap()
        .dedup
        .as_ref()
        .unwrap();
    for (key, value) in [
        ("phone", json!("8 916 123-45-67")),
        ("email", json!("A@B.RU")),
        ("external_id", json!(5501)),
    ] {
        assert!(spec.search_keys.contains(&key));
        let found = find(connector.as_ref(), "create_customer", key, value.clone())
            .await
            .unwrap();
        assert_eq!(
            found.as_ref().map(|f| f["id"].clone()),
            Some(json!(id)),
            "lookup by {key}"
        );
    }
    let by_external = target.emulator.log().last().unwrap();
    assert_eq!(by_external.path, "/api/v5/customers/5501");
    assert_eq!(by_external.query_param("by"), Some("externalId"));
    assert_eq!(by_external.query_param("site"), Some(SITE));

    let missing = json!("no-such-id");
    let none = find(
        connector.as_ref(),
        "create_customer",
        "external_id",
        missing.clone(),
    )
    .await
    .unwrap();
    assert!(none.is_none(), "a 404 is 'not found', not an error");
    let error = find(
        connector.as_ref(),
        "create_customer",
        "fax",
        missing.clone(),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("no lookup by `fax`"), "{error}");
}

#[tokio::test]
async fn edit_customer_addresses_the_customer_by_id() {
    let target = Target::start().await;
    let id = target
        .emulator
        .add_customer(json!({"firstName": "Ivan", "phones": [{"number": "79161234567"}]}));
    let connector = target.connector();
    let out = execute(
        connector.as_ref(),
        "edit_customer",
        json!({"id": id, "email": "new@example.ru", "last_name": "Petrov"}),
    )
    .await
    .unwrap();
    assert_eq!(Value::Object(out), json!({"id": id, "externalId": null}));
    let sent = target.emulator.log().last().unwrap();
    assert_eq!(sent.path, format!("/api/v5/customers/{id}/edit"));
    assert_eq!(sent.form_field("by").as_deref(), Some("id"));
    assert_eq!(sent.form_field("site").as_deref(), Some(SITE));
    assert_eq!(
        sent.form_json("customer").unwrap(),
        json!({"lastName": "Petrov", "email": "new@example.ru"})
    );
    let stored = &target.emulator.customers()[0];
    assert_eq!(
        (stored["firstName"].clone(), stored["email"].clone()),
        (json!("Ivan"), json!("new@example.ru"))
    );
}

#[tokio::test]
async fn vendor_validation_errors_are_rejected_with_their_message() {
    let target = Target::start().await;
    let connector = target.connector();
    let error = execute(
        connector.as_ref(),
        "create_customer",
        json!({"email": "not-an-email"}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::Never);
    assert!(
        error.to_string().contains(
            "Errors in the entity format (email: This value is not a valid email address.)"
        ),
        "{error}"
    );
    assert_no_secret(&error, KEY);

    execute(
        connector.as_ref(),
        "create_customer",
        json!({"external_id": "c-1"}),
    )
    .await
    .unwrap();
    let duplicate = execute(
        connector.as_ref(),
        "create_customer",
        json!({"external_id": "c-1"}),
    )
    .await
    .unwrap_err();
    assert!(
        duplicate
            .to_string()
            .contains("externalId: Customer with externalId \"c-1\" already exists."),
        "{duplicate}"
    );
    assert_eq!(target.emulator.customers().len(), 1);

    let unknown = execute(
        connector.as_ref(),
        "edit_customer",
        json!({"id": 999, "first_name": "X"}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(unknown, ConnectorError::Rejected { status: 404, .. }),
        "{unknown:?}"
    );
    assert!(unknown.to_string().contains("Not found"), "{unknown}");
}
