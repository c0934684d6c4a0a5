//! The shared conformance checks through a read, a lookup and a write, plus Salesforce's
//! own answers: the error array, the 403 quota answer with `Sforce-Limit-Info`, disabled
//! API access, and settings checked when the connector is built.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::{TOKEN, Target, build, execute, settings};
use crate::conformance::{
    ConformanceTarget, Probe, assert_no_secret, object, run_failure_suite, transport,
};
use crate::connector::{Connector, Settings};
use crate::emulation::Fault;
use crate::error::{ConnectorError, RetryAdvice};
use crate::salesforce::ApiUsage;
use crate::salesforce::errors::QUOTA_PAUSE;
use crate::secret::SecretString;

fn probes() -> Vec<Probe> {
    vec![
        Probe::Check,
        Probe::Action {
            name: "find_lead",
            input: object(json!({"phone": "+7 999 123-45-67"})),
        },
        Probe::Action {
            name: "create_lead",
            input: object(json!({"last_name": "Shevchenko", "company": "Acme"})),
        },
    ]
}

fn quota_answer() -> Fault {
    Fault::status(403)
        .with_body(
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        )
        .with_header("sforce-limit-info", "api-usage=15001/15000")
}

#[tokio::test]
async fn reads_lookups_and_writes_pass_the_failure_suite() {
    let target = Target::start().await;
    for probe in probes() {
        run_failure_suite(&target, &probe, 503, (quota_answer(), QUOTA_PAUSE)).await;
    }
}

#[tokio::test]
async fn the_wrong_token_gets_invalid_session_id_after_one_request() {
    let target = Target::start().await;
    let connector = target.build("00Dxx!another-token-123456", &transport());
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "authentication failed (HTTP 401): INVALID_SESSION_ID: Session expired or invalid"
    );
    let requests = target.emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].line(), "GET /services/data/v60.0/limits");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer 00Dxx!another-token-123456")
    );
}

#[tokio::test]
async fn the_org_quota_is_read_from_every_answer_and_its_end_pauses_the_org() {
    let target = Target::start().await;
    // Two bundles reaching the org share the transport, as in the engine.
    let shared = transport();
    let connector = Arc::new(
        super::super::SalesforceConnector::new(
            &settings(&target.emulator, TOKEN),
            &crate::connector::BuildContext::new(shared.clone(), "sf"),
        )
        .unwrap(),
    );
    connector.check().await.unwrap();
    assert_eq!(
        connector.api_usage(),
        Some(ApiUsage {
            used: 1,
            limit: 15_000
        })
    );
    target.emulator.set_api_used(15_000);
    let error = connector.check().await.unwrap_err();
    // Salesforce did nothing with the request: the item waits without spending an
    // attempt, however long the quota stays spent.
    assert_eq!(error.advice(), RetryAdvice::NotSent(QUOTA_PAUSE), "{error}");
    assert!(
        error.to_string().contains("REQUEST_LIMIT_EXCEEDED"),
        "{error}"
    );
    assert_eq!(
        connector.api_usage(),
        Some(ApiUsage {
            used: 15_000,
            limit: 15_000
        })
    );
    // The whole org is held: requests from any connection to it are refused at once,
    // unsent, for what is left of the pause.
    let before = target.emulator.requests().len();
    let other_bundle = target.build(TOKEN, &shared);
    for next in [&*connector as &dyn Connector, &*other_bundle] {
        let error = tokio::time::timeout(std::time::Duration::from_secs(5), next.check())
            .await
            .expect("refused at once, not held in a wait")
            .unwrap_err();
        let ConnectorError::Unavailable { retry_after, .. } = &error else {
            panic!("expected Unavailable, got {error:?}");
        };
        assert!(
            *retry_after <= QUOTA_PAUSE && *retry_after > QUOTA_PAUSE / 2,
            "{retry_after:?}"
        );
        assert!(error.to_string().contains("daily API quota"), "{error}");
    }
    assert_eq!(target.emulator.requests().len(), before, "nothing sent");
}

#[tokio::test]
async fn disabled_api_access_breaks_the_connection_and_sharing_errors_are_rejections() {
    let target = Target::start().await;
    let connector = target.connector();
    target.emulator.faults().push(Fault::status(403).with_body(
        r#"[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]"#,
    ));
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken, "{error}");
    target.emulator.faults().push(Fault::status(403).with_body(
        r#"[{"message":"insufficient access rights on cross-reference id","errorCode":"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"}]"#,
    ));
    let error = execute(
        &*connector,
        "create_lead",
        json!({"last_name": "X", "company": "Y"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Never, "{error}");
}

#[tokio::test]
async fn the_token_never_appears_in_error_text_even_when_echoed() {
    let target = Target::start().await;
    let connector = target.connector();
    let echo = json!([{"message": format!("bad header Bearer {TOKEN}"), "errorCode": "INVALID_HEADER_TYPE"}]);
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
    assert_no_secret(&connector.check().await.unwrap_err(), TOKEN);
}

#[tokio::test]
async fn settings_are_checked_when_the_connector_is_built() {
    let target = Target::start().await;
    let error_of = |values: serde_json::Value, secrets: &[(&str, &str)]| {
        let secrets: BTreeMap<String, SecretString> = secrets
            .iter()
            .map(|(k, v)| (k.to_string(), SecretString::new(*v)))
            .collect();
        build(
            Settings::new(values.as_object().cloned().unwrap(), secrets),
            &transport(),
        )
        .err()
        .map(|e| e.to_string())
    };
    let url = target.emulator.instance_url();
    assert!(
        error_of(
            json!({"instance_url": "acme.my.salesforce.com"}),
            &[("access_token", TOKEN)]
        )
        .unwrap()
        .contains("`instance_url`")
    );
    assert!(
        error_of(json!({}), &[("access_token", TOKEN)])
            .unwrap()
            .contains("`instance_url`")
    );
    assert!(
        error_of(
            json!({"instance_url": url, "api_version": "latest"}),
            &[("access_token", TOKEN)]
        )
        .unwrap()
        .contains("`api_version`")
    );
    let prefixed = error_of(
        json!({"instance_url": url}),
        &[("access_token", "Bearer abc-123456")],
    )
    .unwrap();
    assert!(
        prefixed.contains("whitespace") && !prefixed.contains("abc-123456"),
        "{prefixed}"
    );
    assert!(error_of(json!({"instance_url": url}), &[]).is_some());
    assert!(
        error_of(
            json!({"instance_url": url}),
            &[("refresh_token", "ref-123456")]
        )
        .unwrap()
        .contains("client_id")
    );
    assert!(
        error_of(
            json!({"instance_url": url, "login_url": "ftp://x"}),
            &[("access_token", TOKEN)]
        )
        .unwrap()
        .contains("`login_url`")
    );
    assert!(
        error_of(
            json!({"instance_url": url, "api_version": "v58.0"}),
            &[("access_token", TOKEN)]
        )
        .is_none()
    );
}
