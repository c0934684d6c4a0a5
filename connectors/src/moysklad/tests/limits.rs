//! MoySklad's request limits: the emulator enforces them, the connector stays inside them.

use std::time::Duration;

use futures::future::join_all;

use super::*;
use crate::moysklad::emulator::EmulatedRateLimit;

fn limited(latency: Duration) -> MoySkladEmulatorConfig {
    MoySkladEmulatorConfig {
        rate_limit: Some(EmulatedRateLimit::MOYSKLAD),
        latency,
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn the_emulator_answers_429_with_lognex_headers_past_45_in_3_seconds() {
    let emulator = MoySkladEmulator::start(limited(Duration::ZERO)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/context/employee", emulator.base_url());
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..46 {
        let response = client
            .get(&url)
            .bearer_auth(emulator.token())
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert!(statuses[..45].iter().all(|s| *s == 200), "{statuses:?}");
    let refused = last.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let retry_after: u64 = refused.headers()["x-lognex-retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 3000, "{retry_after}");
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 1049);
    // After the window slides, requests pass again.
    tokio::time::sleep(Duration::from_millis(retry_after)).await;
    let again = client
        .get(&url)
        .bearer_auth(emulator.token())
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);
}

#[tokio::test(start_paused = true)]
async fn the_connector_stays_within_45_per_3_seconds_and_5_in_flight() {
    let f = fixture_with(limited(Duration::from_millis(250))).await;
    let calls = (0..120).map(|_| {
        let connector = f.connector.clone();
        async move { connector.check().await }
    });
    let results = join_all(calls).await;
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let requests = f.emulator.requests();
    assert_eq!(requests.len(), 120);
    assert!(requests.iter().all(|r| r.status == 200));
    assert!(
        f.emulator.peak_in_flight() <= 5,
        "peak {}",
        f.emulator.peak_in_flight()
    );
    let mut stamps: Vec<_> = requests.iter().map(|r| r.at).collect();
    stamps.sort();
    for (i, start) in stamps.iter().enumerate() {
        let in_window = stamps[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(3))
            .count();
        assert!(in_window <= 45, "{in_window} requests within 3 s");
    }
}
