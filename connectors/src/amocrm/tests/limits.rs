//! amoCRM's 7 requests per second: the emulator enforces it with a non-JSON 429, and the
//! connector's default limit never crosses it.

use std::time::Duration;

use futures::future::join_all;

use super::*;
use crate::conformance::transport;
use crate::test_kit;

#[tokio::test(start_paused = true)]
async fn the_emulator_answers_a_non_json_429_past_seven_in_a_second() {
    let config = AmoCrmEmulatorConfig {
        rate_limit: Some(AmoCrmEmulatorConfig::AMOCRM_LIMIT),
        ..AmoCrmEmulatorConfig::with_token(TOKEN)
    };
    let emulator = AmoCrmEmulator::start(config).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v4/account", emulator.base_url());
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..8 {
        let response = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 429]);
    let body = last.unwrap().text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "the 429 body is not JSON: {body}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
}

#[tokio::test(start_paused = true)]
async fn many_concurrent_calls_never_exceed_seven_in_any_second() {
    let config = AmoCrmEmulatorConfig {
        rate_limit: Some(AmoCrmEmulatorConfig::AMOCRM_LIMIT),
        ..AmoCrmEmulatorConfig::with_token(TOKEN)
    };
    let emulator = AmoCrmEmulator::start(config).await;
    // The connector's own default limit: no override.
    let connector =
        test_kit::build(&AmoCrmKind, settings(&emulator, TOKEN), &transport(), "amo").unwrap();
    let calls = (0..50).map(|_| {
        let connector = connector.clone();
        async move { connector.check().await }
    });
    let results = join_all(calls).await;
    assert!(
        results.iter().all(Result::is_ok),
        "the emulator refused a request: {:?}",
        results.iter().find(|r| r.is_err())
    );
    let mut stamps = emulator.arrivals();
    assert_eq!(stamps.len(), 50);
    stamps.sort();
    for (i, start) in stamps.iter().enumerate() {
        let in_window = stamps[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 7, "{in_window} requests within 1 s");
    }
    // Spaced, not bunched: 50 requests take about 7 seconds.
    let span = stamps[49].duration_since(stamps[0]);
    assert!(span >= Duration::from_secs(6), "{span:?}");
}
