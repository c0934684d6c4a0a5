//! The leaky bucket: the emulator enforces it, the connector's default limit stays inside it.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use super::Target;
use crate::bitrix24::emulator::{Bitrix24EmulatorConfig, LeakyBucket};
use crate::error::ConnectorError;

async fn bucketed() -> Target {
    Target::start_with(Bitrix24EmulatorConfig {
        leaky_bucket: Some(LeakyBucket::STANDARD),
        ..Default::default()
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn the_emulator_answers_query_limit_exceeded_past_fifty_then_drains() {
    let target = bucketed().await;
    let client = reqwest::Client::new();
    let url = format!("{}profile.json", target.emulator.webhook_url());
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..51 {
        let response = client.post(&url).json(&json!({})).send().await.unwrap();
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert!(statuses[..50].iter().all(|s| *s == 200), "{statuses:?}");
    let refused = last.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = client.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(again.status(), 200, "a slot frees every half second");
}

#[tokio::test(start_paused = true)]
async fn sixty_quick_calls_at_the_default_limit_never_overflow_the_bucket() {
    let target = bucketed().await;
    let connector = target.connector_with_default_limit();
    let start = tokio::time::Instant::now();
    let results = join_all((0..60).map(|_| {
        let connector = connector.clone();
        async move { connector.check().await }
    }))
    .await;
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(
        target.emulator.requests().len(),
        60,
        "no request was refused and retried"
    );
    // 50 at once, then 2 per second: the last 10 take about 5 s.
    assert!(
        start.elapsed() >= Duration::from_millis(4_900),
        "{:?}",
        start.elapsed()
    );
    assert!(target.emulator.bucket_level() <= 50);
}

#[tokio::test(start_paused = true)]
async fn a_full_bucket_is_rate_limited_and_holds_the_whole_portal_back() {
    let target = bucketed().await;
    let raw = reqwest::Client::new();
    let url = format!("{}profile.json", target.emulator.webhook_url());
    for _ in 0..50 {
        raw.post(&url).json(&json!({})).send().await.unwrap();
    }
    let connector = target.connector();
    let error = connector.check().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::RateLimited { status: 503, retry_after: Some(d), .. } if d == Duration::from_secs(1)),
        "{error:?}"
    );
    // The next call, from any item, waits for the pause and then gets through.
    let start = tokio::time::Instant::now();
    connector.check().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}
