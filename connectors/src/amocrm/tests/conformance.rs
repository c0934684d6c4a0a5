//! The shared conformance checks through a read, a search and a write, plus amoCRM's own
//! answers: the non-JSON 429, problem+json validation errors, the blocked-IP 403, and
//! settings checked when the connector is built.

use std::time::Duration;

use serde_json::json;

use super::{TOKEN, Target, execute, settings};
use crate::conformance::{
    ConformanceTarget, Probe, assert_no_secret, object, rate_limit_waits_as_told,
    run_failure_suite, transport,
};
use crate::emulation::Fault;
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit;

fn probes() -> Vec<Probe> {
    vec![
        Probe::Check,
        Probe::Action {
            name: "find_contact",
            input: object(json!({"phone": "+7 999 123-45-67"})),
        },
        Probe::Action {
            name: "create_lead",
            input: object(json!({"name": "Заявка", "price": 1500})),
        },
    ]
}

#[tokio::test]
async fn reads_searches_and_writes_pass_the_failure_suite() {
    let target = Target::start().await;
    for probe in probes() {
        run_failure_suite(
            &target,
            &probe,
            502,
            (
                Fault::status(429)
                    .with_body("Too Many Requests")
                    .with_header("retry-after", "4"),
                Duration::from_secs(4),
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn a_non_json_429_without_retry_after_waits_one_second() {
    let target = Target::start().await;
    let html = "<html><head><title>429 Too Many Requests</title></head></html>";
    rate_limit_waits_as_told(
        &target,
        &Probe::Check,
        Fault::status(429).with_body(html),
        Duration::from_secs(1),
    )
    .await;
}

#[tokio::test]
async fn the_wrong_token_gets_amocrms_problem_json_401() {
    let target = Target::start().await;
    let connector = target.build("another-token-123456", &transport());
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "authentication failed (HTTP 401): Unauthorized"
    );
    let request = &target.emulator.requests()[0];
    assert_eq!(request.line(), "GET /api/v4/account");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer another-token-123456")
    );
}

#[tokio::test]
async fn the_token_never_appears_in_error_text_even_when_echoed() {
    let target = Target::start().await;
    let connector = target.connector();
    let echo = json!({"title": "Bad Request", "status": 400, "detail": format!("bad header Bearer {TOKEN}")});
    target
        .emulator
        .faults()
        .push(Fault::status(400).with_body(echo.to_string()));
    let error = connector.check().await.unwrap_err();
    assert_no_secret(&error, TOKEN);
    assert!(error.to_string().contains("[REDACTED]"), "{error}");
    target
        .emulator
        .faults()
        .push(Fault::status(500).with_body(format!("<pre>{TOKEN}</pre>")));
    let error = connector.check().await.unwrap_err();
    assert_no_secret(&error, TOKEN);
}

#[tokio::test]
async fn a_blocked_ip_breaks_the_connection_and_other_403s_are_rejections() {
    let target = Target::start().await;
    let connector = target.connector();
    let blocked = json!({"title": "Forbidden", "type": "https://httpstatus.es/403", "status": 403, "detail": "IP address is blocked"});
    target
        .emulator
        .faults()
        .push(Fault::status(403).with_body(blocked.to_string()));
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken, "{error}");
    let forbidden =
        json!({"title": "Forbidden", "status": 403, "detail": "Entity cannot be edited"});
    target
        .emulator
        .faults()
        .push(Fault::status(403).with_body(forbidden.to_string()));
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Never, "{error}");
}

#[tokio::test]
async fn validation_errors_are_rejected_with_path_code_and_detail() {
    let target = Target::start().await;
    let connector = target.connector();
    let error = execute(
        &*connector,
        "create_lead",
        json!({"name": "x", "custom_fields": {"999999": "oops"}}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("Request validation failed")
            && text.contains("custom_fields_values.0.field_id: [NotSupportedChoice]"),
        "{text}"
    );
    assert!(target.emulator.leads().is_empty(), "nothing is stored");
}

#[tokio::test]
async fn settings_are_checked_when_the_connector_is_built() {
    let target = Target::start().await;
    let build = |values: serde_json::Value, token: &str| {
        let settings = if values.is_null() {
            settings(&target.emulator, token)
        } else {
            test_kit::settings(values, "access_token", token)
        };
        test_kit::build(&super::AmoCrmKind, settings, &transport(), "amo")
            .err()
            .map(|e| e.to_string())
    };
    assert!(
        build(json!({"base_url": "example.amocrm.ru"}), TOKEN)
            .unwrap()
            .contains("`base_url`")
    );
    assert!(build(json!({}), TOKEN).unwrap().contains("`base_url`"));
    assert!(
        build(
            json!({"base_url": "https://x.amocrm.ru", "utc_offset": "MSK"}),
            TOKEN
        )
        .unwrap()
        .contains("`utc_offset`")
    );
    let prefixed = build(serde_json::Value::Null, "Bearer abc-123456").unwrap();
    assert!(
        prefixed.contains("whitespace") && !prefixed.contains("abc-123456"),
        "{prefixed}"
    );
    assert!(build(serde_json::Value::Null, TOKEN).is_none());
}
