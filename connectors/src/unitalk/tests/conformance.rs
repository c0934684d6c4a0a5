//! The shared conformance checks through `check` and a poll, plus UniTalk's own answers:
//! "Authorization invalid" whatever its HTTP status, "Internal error" retried, other
//! error bodies rejected, and the key never shown.

use std::time::Duration;

use serde_json::json;

use super::{KEY, Target, kyiv, trigger};
use crate::conformance::{
    ConformanceTarget, Probe, assert_no_secret, run_failure_suite, transport,
    wrong_key_is_auth_and_not_retried,
};
use crate::connector::PollRequest;
use crate::emulation::Fault;
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit;

fn poll_probe() -> Probe {
    Probe::Poll {
        event: "call",
        settings: trigger(json!({"employee_names": false})),
        cursor: None,
        now: kyiv(2024, 5, 14, 10, 0),
    }
}

#[tokio::test]
async fn check_and_poll_pass_the_failure_suite() {
    let target = Target::start().await;
    for probe in [Probe::Check, poll_probe()] {
        run_failure_suite(
            &target,
            &probe,
            502,
            (Fault::too_many_requests(3), Duration::from_secs(3)),
        )
        .await;
    }
}

#[tokio::test]
async fn a_wrong_key_is_refused_also_when_unitalk_answers_it_with_200() {
    let target = Target::start().await;
    target.emulator.configure(|c| c.auth_error_status = 200);
    wrong_key_is_auth_and_not_retried(&target, &Probe::Check).await;
    let connector = target.build("wrong-key-0000000", &transport());
    let error = connector.check().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "authentication failed (HTTP 200): Authorization invalid"
    );
}

#[tokio::test]
async fn error_bodies_are_retried_or_rejected_by_their_message() {
    let target = Target::start().await;
    let connector = target.connector();
    target
        .emulator
        .faults()
        .push(Fault::status(200).with_body(r#"{"status":"Error","message":"Internal error"}"#));
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Backoff, "{error}");
    // The emulator's own refusal of a window it cannot read.
    target.emulator.configure(|c| c.max_limit = 50);
    let settings = trigger(json!({"page_size": 100, "employee_names": false}));
    let error = connector
        .poll(PollRequest {
            event: "call",
            settings: &settings,
            cursor: None,
            page: None,
            now: kyiv(2024, 5, 14, 10, 0),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "rejected (HTTP 400): Limit is out of range (limit)"
    );
}

#[tokio::test]
async fn the_key_never_appears_in_error_text_even_when_echoed() {
    let target = Target::start().await;
    let connector = target.connector();
    target
        .emulator
        .faults()
        .push(Fault::status(400).with_body(
            json!({"status": "Error", "message": format!("bad key {KEY}")}).to_string(),
        ));
    let error = connector.check().await.unwrap_err();
    assert_no_secret(&error, KEY);
    assert!(error.to_string().contains("[REDACTED]"), "{error}");
}

#[tokio::test]
async fn settings_are_checked_when_the_connector_is_built() {
    let build = |values: serde_json::Value, key: &str| {
        let settings = test_kit::settings(values, "api_key", key);
        test_kit::build(
            &crate::unitalk::UnitalkKind,
            settings,
            &transport(),
            "unitalk",
        )
        .err()
        .map(|e| e.to_string())
    };
    assert!(
        build(json!({"utc_offset": "Kyiv"}), KEY)
            .unwrap()
            .contains("`utc_offset`")
    );
    assert!(
        build(json!({"base_url": "ftp://x"}), KEY)
            .unwrap()
            .contains("`base_url`")
    );
    assert!(build(json!({}), "  ").unwrap().contains("empty"));
    let two = build(json!({}), "two words").unwrap();
    assert!(
        two.contains("whitespace") && !two.contains("two words"),
        "{two}"
    );
    assert!(
        build(json!({}), &format!("Bearer {KEY}")).is_none(),
        "a pasted Bearer prefix is dropped"
    );
}
