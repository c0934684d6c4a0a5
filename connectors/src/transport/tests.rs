//! The transport over real HTTP on 127.0.0.1: a target's `Retry-After` holds back every
//! request to that account, whichever connection sends it, and a hold refuses them
//! unsent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};

use super::{ConnectionOptions, HttpTransport, TransportConfig};
use crate::emulation::EmulatorServer;
use crate::error::{ConnectorError, RetryAdvice};
use crate::secret::Redactor;

#[derive(Default)]
struct Seen {
    at: Mutex<Vec<Instant>>,
}

async fn serve(seen: Arc<Seen>) -> EmulatorServer {
    let router = axum::Router::new().fallback(move || {
        let seen = seen.clone();
        async move {
            let mut at = seen.at.lock().unwrap();
            at.push(Instant::now());
            let mut headers = HeaderMap::new();
            if at.len() == 1 {
                headers.insert("retry-after", "2".parse().unwrap());
                return (StatusCode::TOO_MANY_REQUESTS, headers, "slow down");
            }
            (StatusCode::OK, headers, "{}")
        }
    });
    EmulatorServer::start(router).await.unwrap()
}

#[tokio::test]
async fn after_a_429_the_next_request_to_the_account_waits_as_told() {
    let seen = Arc::new(Seen::default());
    let server = serve(seen.clone()).await;
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let options = ConnectionOptions {
        account_key: "example:account-1".into(),
        // No known rate limit: the pause must work without one.
        rate_limit: None,
        redactor: Redactor::default(),
    };
    let first_bundle = transport.connection(options.clone());
    let other_bundle = transport.connection(options);
    let url = format!("{}/x", server.base_url());

    let limited = first_bundle
        .send(first_bundle.request(reqwest::Method::GET, &url))
        .await
        .unwrap();
    assert_eq!(limited.status, 429);
    let ok = other_bundle
        .send(other_bundle.request(reqwest::Method::GET, &url))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);

    let at = seen.at.lock().unwrap();
    let gap = at[1] - at[0];
    assert!(
        gap >= Duration::from_secs(2),
        "second request came {gap:?} after the 429"
    );
    assert!(gap < Duration::from_secs(4), "and not much later: {gap:?}");
}

#[tokio::test]
async fn a_hold_refuses_every_connection_of_the_account_unsent() {
    let seen = Arc::new(Seen::default());
    let server = serve(seen.clone()).await;
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let options = |account: &str| ConnectionOptions {
        account_key: account.into(),
        rate_limit: None,
        redactor: Redactor::default(),
    };
    let held = transport.connection(options("example:held"));
    let same_account = transport.connection(options("example:held"));
    let other_account = transport.connection(options("example:other"));
    let url = format!("{}/x", server.base_url());

    held.hold_for(Duration::from_secs(900), "the daily quota is spent");
    let started = Instant::now();
    let error = same_account
        .send(same_account.request(reqwest::Method::GET, &url))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    let ConnectorError::Unavailable {
        retry_after,
        reason,
    } = &error
    else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert_eq!(reason, "the daily quota is spent");
    assert!(
        *retry_after > Duration::from_secs(890) && *retry_after <= Duration::from_secs(900),
        "{retry_after:?}"
    );
    assert!(matches!(error.advice(), RetryAdvice::NotSent(_)));
    assert!(seen.at.lock().unwrap().is_empty(), "nothing was sent");

    let answered = other_account
        .send(other_account.request(reqwest::Method::GET, &url))
        .await
        .unwrap();
    assert_eq!(answered.status, 429, "other accounts are not held");
}
