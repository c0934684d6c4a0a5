//! The `request` action and the connection check.

use serde_json::{Map, Value, json};

use super::{Api, build, query_value};
use crate::connector::{ActionCall, Connector};
use crate::error::{ConnectorError, RetryAdvice};

async fn call(
    connector: &dyn Connector,
    input: Value,
) -> Result<Map<String, Value>, ConnectorError> {
    let input: Map<String, Value> = serde_json::from_value(input).unwrap();
    connector
        .execute(ActionCall {
            action: "request",
            input: &input,
            idempotency_key: "b1:item-7:deal",
        })
        .await
}

#[tokio::test]
async fn sends_method_path_query_json_body_and_idempotency_key() {
    let api = Api::start(0).await;
    let connector = api.connector(
        json!({"headers": {"X-Tenant": "acme"}}),
        &[("bearer_token", "tok-123456")],
    );
    let body = json!({
        "title": "He said \"call me\" {{item.phone}} \\ done",
        "amount": 1500.5,
        "tags": ["a", "b"],
        "contact": {"phone": "+79161234567"}
    });
    let record = call(
        &*connector,
        json!({
            "method": "put",
            "path": "echo/deals",
            "query": {"mode": "fast", "ids": [1, 2], "skip": null},
            "headers": {"X-Trace": "t-1"},
            "body": body,
            "outputs": {"id": "id", "total": "data.total", "nothing": "data.nothing", "sent": "echo.body"}
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(record),
        json!({"id": 42, "total": 3, "nothing": null, "sent": body}),
        "outputs picked by path, the body arrived as the same JSON"
    );
    let seen = &api.seen()[0];
    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.path, "/echo/deals");
    assert_eq!(
        seen.query,
        vec![
            ("mode".into(), "fast".into()),
            ("ids".into(), "1".into()),
            ("ids".into(), "2".into())
        ]
    );
    let header = |name: &str| {
        seen.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(header("idempotency-key").as_deref(), Some("b1:item-7:deal"));
    assert_eq!(
        header("authorization").as_deref(),
        Some("Bearer tok-123456")
    );
    assert_eq!(header("x-tenant").as_deref(), Some("acme"));
    assert_eq!(header("x-trace").as_deref(), Some("t-1"));
    assert!(
        header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let raw: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(raw, body);
}

#[tokio::test]
async fn defaults_to_post_and_needs_no_outputs() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[("api_key", "key-abcdef")]);
    let record = call(&*connector, json!({"path": "/echo", "body": {"a": 1}}))
        .await
        .unwrap();
    assert!(record.is_empty());
    let seen = &api.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.headers.get("x-api-key").unwrap(), "key-abcdef");
    // No outputs wanted: an empty answer is fine.
    assert!(
        call(&*connector, json!({"path": "/empty", "method": "DELETE"}))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_missing_output_path_is_rejected_naming_it_and_never_retried() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[]);
    let err = call(
        &*connector,
        json!({"path": "/echo", "outputs": {"deal": "data.deal.id"}}),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConnectorError::Rejected { .. }), "{err:?}");
    assert_eq!(err.advice(), crate::error::RetryAdvice::Never);
    assert!(
        err.to_string().contains("data.deal.id") && err.to_string().contains("`deal`"),
        "{err}"
    );
}

#[tokio::test]
async fn expect_status_accepts_listed_statuses_only() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[]);
    let record = call(
        &*connector,
        json!({"path": "/conflict", "expect_status": [201, 409], "outputs": {"id": "existing.id"}}),
    )
    .await
    .unwrap();
    assert_eq!(record["id"], json!(9));
    let err = call(&*connector, json!({"path": "/conflict"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectorError::Rejected { status: 409, .. }),
        "{err:?}"
    );
    let err = call(
        &*connector,
        json!({"path": "/echo", "expect_status": [201]}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ConnectorError::Rejected { status: 200, .. }),
        "{err:?}"
    );
    assert_eq!(err.advice(), RetryAdvice::Never);
    let err = call(
        &*connector,
        json!({"path": "/fail", "expect_status": [201]}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ConnectorError::Server { status: 500, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn urls_must_stay_on_the_connection_origin() {
    let api = Api::start(0).await;
    let other = Api::start(0).await;
    let connector = api.connector(json!({}), &[("bearer_token", "tok-123456")]);
    let same = format!("{}/echo/x", api.base_url());
    assert!(call(&*connector, json!({"url": same})).await.is_ok());
    let foreign = format!("{}/echo/x", other.base_url());
    let err = call(&*connector, json!({"url": foreign}))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Config(_)), "{err:?}");
    assert!(
        other.seen().is_empty(),
        "the token never went to another origin"
    );
}

#[tokio::test]
async fn bad_inputs_are_clear_config_errors() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[]);
    for (input, expected) in [
        (json!({}), "`path` or `url` is required"),
        (json!({"path": "/a", "url": "/b"}), "not both"),
        (json!({"path": "/a", "method": "TRACE"}), "TRACE"),
        (
            json!({"path": "/a", "method": "GET", "body": {"a": 1}}),
            "cannot carry `body`",
        ),
        (json!({"path": "/a", "outputs": {"id": 5}}), "outputs.id"),
        (json!({"path": "/a", "query": {"x": {"y": 1}}}), "query.x"),
        (
            json!({"path": "/a", "expect_status": ["ok"]}),
            "expect_status",
        ),
    ] {
        let err = call(&*connector, input.clone()).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Config(_)), "{input}: {err:?}");
        assert!(err.to_string().contains(expected), "{input}: {err}");
    }
    assert!(api.seen().is_empty(), "nothing was sent for a bad call");
    let input = Map::new();
    let err = connector
        .execute(ActionCall {
            action: "send",
            input: &input,
            idempotency_key: "k",
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no action `send`"), "{err}");
}

#[tokio::test]
async fn connection_settings_are_checked_at_build() {
    let cases = [
        (
            json!({}),
            &[("bearer_token", "t-123456"), ("api_key", "k-123456")][..],
            "not both",
        ),
        (
            json!({"api_key_query": "k"}),
            &[][..],
            "need the secret setting `api_key`",
        ),
        (
            json!({"headers": {"bad header": "x"}}),
            &[][..],
            "bad header",
        ),
        (json!({"timeout": "soon"}), &[][..], "timeout"),
    ];
    for (settings, secrets, expected) in cases {
        let err = build("https://api.example.com/v1", settings.clone(), secrets)
            .err()
            .unwrap();
        assert!(err.to_string().contains(expected), "{settings}: {err}");
        assert!(err.to_string().contains("connection `api`"), "{err}");
    }
    assert!(build("ftp://files.example.com", json!({}), &[]).is_err());
    assert!(
        build(
            "https://api.example.com/v1",
            json!({"timeout": "1m 30s"}),
            &[]
        )
        .is_ok()
    );
    assert!(build("https://api.example.com/v1", json!({"timeout": 45}), &[]).is_ok());
}

#[tokio::test]
async fn check_expects_2xx_and_reports_refused_credentials() {
    let api = Api::start(0).await;
    let good = api.connector(
        json!({"check_path": "/protected"}),
        &[("bearer_token", "good-token-1")],
    );
    good.check().await.unwrap();
    let bad = api.connector(
        json!({"check_path": "/protected"}),
        &[("bearer_token", "bad-token-1")],
    );
    let err = bad.check().await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("bad-token-1"), "{err}");
    let forbidden = api.connector(json!({"check_path": "forbidden"}), &[]);
    assert!(matches!(
        forbidden.check().await.unwrap_err(),
        ConnectorError::Auth { status: 403, .. }
    ));
    // Without check_path the base URL itself is asked (404 here).
    let plain = api.connector(json!({}), &[]);
    assert!(matches!(
        plain.check().await.unwrap_err(),
        ConnectorError::Rejected { status: 404, .. }
    ));
    let seen = api.seen();
    assert_eq!(query_value(&seen[0].query, "x"), None);
    assert!(seen.iter().all(|s| s.method == "GET"));
}
