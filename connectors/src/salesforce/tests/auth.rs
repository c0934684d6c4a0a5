//! Token refresh through the shared OAuth2 module against the emulator's token endpoint:
//! an expired session is renewed once and the request repeated (no write is lost or
//! doubled), rotated refresh tokens are followed, a revoked refresh token breaks the
//! connection, and renewed tokens never show in error text.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{DATA, Target, build, execute};
use crate::conformance::{assert_no_secret, transport};
use crate::connector::{Connector, Settings};
use crate::emulation::Fault;
use crate::error::{ConnectorError, RetryAdvice};
use crate::salesforce::SalesforceEmulatorConfig;
use crate::salesforce::emulator::TOKEN_PATH;
use crate::secret::SecretString;

fn refreshable(target: &Target, with_access: bool) -> Arc<dyn Connector> {
    let config = target.emulator.config();
    let mut secrets = BTreeMap::from([
        (
            "refresh_token".to_string(),
            SecretString::new(&config.refresh_token),
        ),
        (
            "client_secret".to_string(),
            SecretString::new(&config.client_secret),
        ),
    ]);
    if with_access {
        secrets.insert(
            "access_token".into(),
            SecretString::new(&config.access_token),
        );
    }
    let values = json!({
        "instance_url": target.emulator.instance_url(),
        "login_url": target.emulator.instance_url(),
        "client_id": config.client_id,
    });
    build(
        Settings::new(values.as_object().cloned().unwrap(), secrets),
        &transport(),
    )
    .unwrap()
}

fn lines(target: &Target) -> Vec<String> {
    target
        .emulator
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_and_the_write_sent_once() {
    let target = Target::start().await;
    let connector = refreshable(&target, true);
    connector.check().await.unwrap();
    target.emulator.expire_access_tokens();
    let out = execute(
        &*connector,
        "create_lead",
        json!({"last_name": "After", "company": "Refresh"}),
    )
    .await
    .unwrap();
    assert!(out["id"].as_str().unwrap().starts_with("00Q"));
    assert_eq!(
        target.emulator.records("Lead").len(),
        1,
        "the 401 created nothing, the retry one lead"
    );
    assert_eq!(
        lines(&target),
        vec![
            format!("GET {DATA}/limits"),
            format!("POST {DATA}/sobjects/Lead/"),
            format!("POST {TOKEN_PATH}"),
            format!("POST {DATA}/sobjects/Lead/"),
        ]
    );
    let requests = target.emulator.requests();
    let token_call = &requests[2];
    let config = target.emulator.config();
    assert_eq!(
        token_call.form_field("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        token_call.form_field("refresh_token"),
        Some(config.refresh_token.clone())
    );
    assert_eq!(
        token_call.form_field("client_id"),
        Some(config.client_id.clone())
    );
    let renewed = target.emulator.issued_access_tokens();
    assert_eq!(renewed.len(), 1);
    assert_eq!(
        requests[3].header("authorization"),
        Some(format!("Bearer {}", renewed[0]).as_str())
    );
    // The renewed token is used from now on, without another refresh.
    connector.check().await.unwrap();
    assert_eq!(target.emulator.issued_access_tokens().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn tokens_expire_after_their_lifetime_and_rotation_is_followed() {
    let mut config = SalesforceEmulatorConfig::with_token(super::TOKEN);
    config.access_token_ttl = Some(Duration::from_secs(2 * 3600));
    config.rotate_refresh_token = true;
    let target = Target::with(config).await;
    let connector = refreshable(&target, true);
    connector.check().await.unwrap();
    let first_refresh = target.emulator.refresh_token();
    tokio::time::advance(Duration::from_secs(3 * 3600)).await;
    connector.check().await.unwrap();
    let second_refresh = target.emulator.refresh_token();
    assert_ne!(
        first_refresh, second_refresh,
        "the endpoint rotated the refresh token"
    );
    tokio::time::advance(Duration::from_secs(3 * 3600)).await;
    connector.check().await.unwrap();
    let token_calls: Vec<_> = target.emulator.log().matching("POST", TOKEN_PATH);
    assert_eq!(token_calls.len(), 2);
    assert_eq!(
        token_calls[1].form_field("refresh_token"),
        second_refresh,
        "the rotated one is used"
    );
    assert_eq!(target.emulator.issued_access_tokens().len(), 2);
}

#[tokio::test]
async fn a_refresh_token_alone_obtains_the_first_access_token() {
    let target = Target::start().await;
    let connector = refreshable(&target, false);
    connector.check().await.unwrap();
    assert_eq!(target.emulator.log().matching("POST", TOKEN_PATH).len(), 1);
    assert_eq!(target.emulator.issued_access_tokens().len(), 1);
}

#[tokio::test]
async fn a_revoked_refresh_token_breaks_the_connection_once() {
    let target = Target::start().await;
    let connector = refreshable(&target, true);
    target.emulator.expire_access_tokens();
    target.emulator.revoke_refresh_token();
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Auth { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    let text = error.to_string();
    assert!(
        text.contains("invalid_grant") && text.contains("expired access/refresh token"),
        "{text}"
    );
    assert_no_secret(&error, &target.emulator.config().refresh_token);
    // The refused refresh token is not tried again for every request.
    let _ = connector.check().await.unwrap_err();
    assert_eq!(target.emulator.log().matching("POST", TOKEN_PATH).len(), 1);
}

#[tokio::test]
async fn a_renewed_token_echoed_by_the_org_is_redacted() {
    let target = Target::start().await;
    let connector = refreshable(&target, true);
    target.emulator.expire_access_tokens();
    connector.check().await.unwrap();
    let renewed = target.emulator.issued_access_tokens().pop().unwrap();
    target.emulator.faults().push(Fault::status(400).with_body(
        json!([{"message": format!("header was Bearer {renewed}"), "errorCode": "INVALID_HEADER_TYPE"}]).to_string(),
    ));
    let error = connector.check().await.unwrap_err();
    assert_no_secret(&error, &renewed);
    assert!(error.to_string().contains("[REDACTED]"), "{error}");
}
