//! The shared conformance checks through a read, a write and a list, plus Bitrix24's own
//! answers: 503 `QUERY_LIMIT_EXCEEDED`, 429 `OPERATION_TIME_LIMIT`, a wrong webhook code,
//! the code echoed back by a server, and the emulator's request formats.

use std::time::Duration;

use serde_json::json;

use super::{CODE, Target, build_connector, execute};
use crate::conformance::{
    Probe, assert_no_secret, object, rate_limit_waits_as_told, run_failure_suite, transport,
};
use crate::emulation::Fault;
use crate::error::{ConnectorError, RetryAdvice};
use crate::test_kit;

const QUERY_LIMIT: &str =
    r#"{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}"#;

fn probes() -> Vec<Probe> {
    vec![
        Probe::Check,
        Probe::Action {
            name: "create_lead",
            input: object(json!({"title": "Звонок", "phone": "+79161234567"})),
        },
        Probe::Action {
            name: "find_contact_deal",
            input: object(json!({"contact_id": 1})),
        },
    ]
}

#[tokio::test]
async fn reads_writes_and_lists_pass_the_failure_suite() {
    let target = Target::start().await;
    for probe in probes() {
        run_failure_suite(
            &target,
            &probe,
            500,
            (
                Fault::status(503).with_body(QUERY_LIMIT),
                Duration::from_secs(1),
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn rate_limits_wait_as_bitrix_asks() {
    let target = Target::start().await;
    let told = Fault::status(503)
        .with_body(QUERY_LIMIT)
        .with_header("retry-after", "3");
    rate_limit_waits_as_told(&target, &Probe::Check, told, Duration::from_secs(3)).await;
    let busy = Fault::status(429).with_body(
        r#"{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}"#,
    );
    rate_limit_waits_as_told(&target, &Probe::Check, busy, Duration::from_secs(60)).await;
}

#[tokio::test]
async fn a_wrong_code_is_no_auth_found_and_names_neither_code() {
    let target = Target::start().await;
    let wrong = "wrongcode0123456789";
    let connector = build_connector(
        &format!("{}/rest/1/{wrong}/", target.emulator.base_url()),
        &transport(),
    );
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("NO_AUTH_FOUND: Wrong authorization data"),
        "{error}"
    );
    assert_no_secret(&error, wrong);
    assert_no_secret(&error, CODE);
    // A right code with the wrong user is refused the same way.
    let other_user = build_connector(
        &format!("{}/rest/2/{CODE}/", target.emulator.base_url()),
        &transport(),
    );
    let error = other_user.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
}

#[tokio::test]
async fn a_server_echoing_the_webhook_never_leaks_the_code() {
    let target = Target::start().await;
    let connector = target.connector();
    let webhook = format!("{}/rest/1/{CODE}/", target.emulator.base_url());
    for body in [
        json!({"error": "", "error_description": format!("Bad request to {webhook}crm.lead.add")}),
        json!({"error": "", "error_description": format!("code {CODE} is not valid here")}),
    ] {
        target
            .emulator
            .faults()
            .push(Fault::status(400).with_body(body.to_string()));
        let error = execute(&*connector, "create_lead", json!({"title": "x"}))
            .await
            .unwrap_err();
        assert_no_secret(&error, CODE);
        assert!(error.to_string().contains("[REDACTED]"), "{error}");
    }
    // A garbled body echoing it is scrubbed too.
    target
        .emulator
        .faults()
        .push(Fault::status(502).with_body(format!("<html>upstream {webhook}</html>")));
    let error = connector.check().await.unwrap_err();
    assert_no_secret(&error, CODE);
}

#[tokio::test]
async fn method_errors_are_rejected_with_the_description() {
    let target = Target::start().await;
    let connector = target.connector();
    let error = execute(&*connector, "update_deal", json!({"id": 999, "title": "x"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Rejected { status: 400, body } if body == "Not found"),
        "{error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::Never);
}

#[tokio::test]
async fn bad_webhook_settings_are_refused_when_built_without_quoting_them() {
    for url in [
        format!("https://shop.bitrix24.ru/{CODE}/"),
        format!("shop.bitrix24.ru/rest/1/{CODE}/"),
        format!("https://shop.bitrix24.ru/rest/1/{CODE}/profile.json"),
    ] {
        let settings = test_kit::settings(serde_json::json!({}), "webhook_url", &url);
        let error = test_kit::build(&super::Bitrix24Kind, settings, &transport(), "crm")
            .err()
            .expect("refused");
        assert!(matches!(error, ConnectorError::Config(_)), "{error:?}");
        assert_no_secret(&error, CODE);
    }
}

#[tokio::test]
async fn the_emulator_takes_get_queries_forms_and_json_with_or_without_the_suffix() {
    let target = Target::start().await;
    let client = reqwest::Client::new();
    let webhook = target.emulator.webhook_url();
    let form = client
        .post(format!("{webhook}crm.contact.add"))
        .form(&[
            ("fields[NAME]", "Иван"),
            ("fields[PHONE][0][VALUE]", "+79990001122"),
            ("fields[PHONE][0][VALUE_TYPE]", "MOBILE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(form.json::<serde_json::Value>().await.unwrap()["result"], 1);
    let get = client
        .get(format!("{webhook}crm.contact.get.json?id=1"))
        .send()
        .await
        .unwrap();
    let contact: serde_json::Value = get.json().await.unwrap();
    assert_eq!(contact["result"]["ID"], "1");
    assert_eq!(contact["result"]["NAME"], "Иван");
    assert_eq!(
        contact["result"]["PHONE"],
        json!([{"ID": "1", "VALUE_TYPE": "MOBILE", "VALUE": "+79990001122", "TYPE_ID": "PHONE"}])
    );
    assert!(contact["time"]["operating_reset_at"].is_number());
    let unknown = client
        .post(format!("{webhook}crm.nothing.here.json"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<serde_json::Value>().await.unwrap()["error"],
        "ERROR_METHOD_NOT_FOUND"
    );
    let bad_id = client
        .post(format!("{webhook}crm.deal.get.json"))
        .json(&json!({"id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 400);
    assert_eq!(
        bad_id.json::<serde_json::Value>().await.unwrap(),
        json!({"error": "", "error_description": "ID is not defined or invalid."})
    );
}
