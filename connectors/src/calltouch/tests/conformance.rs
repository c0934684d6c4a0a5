//! The shared conformance checks, run through both Calltouch APIs (export API with the
//! token in the query, deals API with it in a header).

use std::time::Duration;

use serde_json::json;

use super::Target;
use crate::conformance::{Probe, object, run_failure_suite, wrong_key_is_auth_and_not_retried};
use crate::emulation::{EmulatedRateLimit, Fault};
use crate::error::{ConnectorError, RetryAdvice};

fn create_deal_probe() -> Probe {
    Probe::Action {
        name: "create_deal",
        input: object(json!({"call_id": 5501, "order_number": "D-1"})),
    }
}

#[tokio::test]
async fn export_api_passes_the_failure_suite() {
    let target = Target::start().await;
    let rate_limit = (Fault::too_many_requests(7), Duration::from_secs(7));
    run_failure_suite(&target, &Probe::Check, 500, rate_limit).await;
}

#[tokio::test]
async fn deals_api_passes_the_failure_suite() {
    let target = Target::start().await;
    let rate_limit = (Fault::too_many_requests(3), Duration::from_secs(3));
    run_failure_suite(&target, &create_deal_probe(), 502, rate_limit).await;
}

#[tokio::test]
async fn a_refused_token_answered_403_is_also_auth() {
    let target = Target::start().await;
    target.emulator.configure(|c| c.auth_failure_status = 403);
    wrong_key_is_auth_and_not_retried(&target, &Probe::Check).await;
    wrong_key_is_auth_and_not_retried(&target, &create_deal_probe()).await;
}

#[tokio::test]
async fn the_emulated_rate_limit_is_reported_with_its_wait() {
    let target = Target::start().await;
    target.emulator.configure(|c| {
        c.rate_limit = Some(EmulatedRateLimit {
            requests: 5,
            per: Duration::from_secs(60),
        })
    });
    let connector = target.connector();
    for _ in 0..5 {
        connector.check().await.expect("within the limit");
    }
    let error = connector.check().await.expect_err("over the limit");
    assert!(
        matches!(error, ConnectorError::RateLimited { status: 429, .. }),
        "{error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::After(Duration::from_secs(1)));
}

#[tokio::test]
async fn settings_are_checked_when_the_connector_is_built() {
    let target = Target::start().await;
    let error = target
        .connector_with(json!({"utc_offset": "Moscow"}))
        .err()
        .expect("bad offset");
    assert!(error.to_string().contains("utc_offset"), "{error}");
    let error = target
        .connector_with(json!({"site_id": "12/34"}))
        .err()
        .expect("bad site id");
    assert!(error.to_string().contains("site_id"), "{error}");
    let error = target
        .connector_with(json!({"base_url": "not a url"}))
        .err()
        .expect("bad url");
    assert!(error.to_string().contains("base_url"), "{error}");
}
