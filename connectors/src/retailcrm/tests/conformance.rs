//! The shared conformance checks through a read, a form-encoded write and a poll, plus
//! retailCRM's own answers: 503 as its rate limit, a missing key, the emulated limit.

use std::time::Duration;

use chrono::TimeZone;
use serde_json::json;

use super::{KEY, Target};
use crate::conformance::{
    Probe, assert_no_secret, object, rate_limit_waits_as_told, run_failure_suite, transport,
};
use crate::emulation::{EmulatedRateLimit, Fault};
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit;

fn probes() -> Vec<Probe> {
    vec![
        Probe::Check,
        Probe::Action {
            name: "create_customer",
            input: object(json!({"phone": "79161234567"})),
        },
        Probe::Poll {
            event: "order_status_changed",
            settings: object(json!({})),
            cursor: Some(json!(10)),
            now: chrono::Utc.with_ymd_and_hms(2024, 5, 14, 7, 0, 0).unwrap(),
        },
    ]
}

#[tokio::test]
async fn reads_writes_and_polls_pass_the_failure_suite() {
    let target = Target::start().await;
    for probe in probes() {
        run_failure_suite(
            &target,
            &probe,
            500,
            (Fault::too_many_requests(4), Duration::from_secs(4)),
        )
        .await;
    }
}

#[tokio::test]
async fn a_503_is_retailcrms_rate_limit_answer() {
    let target = Target::start().await;
    let body = r#"{"success":false,"errorMsg":"Rate limit exceeded"}"#;
    // Without Retry-After the wait is the official client's one second.
    rate_limit_waits_as_told(
        &target,
        &Probe::Check,
        Fault::status(503).with_body(body),
        Duration::from_secs(1),
    )
    .await;
    let told = Fault::status(503)
        .with_body(body)
        .with_header("retry-after", "6");
    rate_limit_waits_as_told(&target, &Probe::Check, told, Duration::from_secs(6)).await;
}

#[tokio::test]
async fn a_missing_key_is_an_auth_error_quoting_retailcrm() {
    let target = Target::start().await;
    let connector =
        crate::conformance::ConformanceTarget::build(&target, "", &crate::conformance::transport());
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("\"apiKey\" is missing."),
        "{error}"
    );
}

#[tokio::test]
async fn the_emulated_limit_answers_503_and_is_waited_out() {
    let target = Target::start().await;
    target.emulator.configure(|c| {
        c.rate_limit = Some(EmulatedRateLimit {
            requests: 10,
            per: Duration::from_secs(60),
        })
    });
    let connector = target.connector();
    for _ in 0..10 {
        connector.check().await.expect("within the limit");
    }
    let error = connector.check().await.expect_err("over the limit");
    assert!(
        matches!(error, ConnectorError::RateLimited { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::After(Duration::from_secs(1)));
    assert!(error.to_string().contains("Rate limit exceeded"), "{error}");
    assert_no_secret(&error, KEY);
}

#[tokio::test]
async fn settings_are_checked_when_the_connector_is_built() {
    let build = |values: serde_json::Value| {
        let settings = test_kit::settings(values, "api_key", KEY);
        test_kit::build(&super::RetailCrmKind, settings, &transport(), "shop")
            .err()
            .expect("refused")
            .to_string()
    };
    assert!(build(json!({"url": "shop.retailcrm.ru", "site": "main"})).contains("`url`"));
    assert!(build(json!({"url": "ftp://shop.retailcrm.ru", "site": "main"})).contains("https://"));
    assert!(build(json!({"url": "https://shop.retailcrm.ru"})).contains("`site`"));
}
