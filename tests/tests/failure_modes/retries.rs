//! Failing targets: transient 5xx answers are retried with backoff, a 429 waits exactly as
//! long as asked, and a validation error fails the item at once with the vendor's message
//! in its history but never the connection's credential.

use std::time::Duration;

use ferry::store::{ItemStatus, StepStatus};
use ferry_connectors::emulation::Fault;

use crate::fake_api::{FakeApi, Reply};
use crate::harness::{DEAL_STEP, TOKEN, http_bundle, item, lead, leaks, leaks_token, world};

fn now_ms(world: &crate::support::World) -> i64 {
    use ferry::clock::Clock as _;
    world.clock.now().timestamp_millis()
}

#[tokio::test]
async fn server_errors_are_retried_until_the_target_answers() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.script_times("POST /deals", Reply::Fault(Fault::status(500)), 2);
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "retry-5xx", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    for attempt in 1..=2 {
        let waiting = item(store.as_ref(), "1").await;
        assert_eq!(
            waiting.status,
            ItemStatus::Waiting,
            "after attempt {attempt}: {waiting:?}"
        );
        let due = waiting.due_at.expect("a waiting item has a due time");
        assert!(due > now_ms(&world), "due in the future: {waiting:?}");
        assert_eq!(waiting.steps[0].attempts, attempt);
        assert_eq!(waiting.steps[0].status, StepStatus::Failed);
        let error = waiting.error.as_deref().unwrap_or_default();
        assert!(error.contains("server error (HTTP 500)"), "{error}");

        // Not due yet: nothing is sent.
        engine.tick().await.unwrap();
        assert_eq!(api.deal_attempts_for(1), attempt as usize);
        // backoff_max is 4 s, so any jittered delay has passed after it.
        world
            .clock
            .advance(Duration::from_millis((due - now_ms(&world)) as u64));
        engine.tick().await.unwrap();
    }

    let done = item(store.as_ref(), "1").await;
    assert_eq!(done.status, ItemStatus::Succeeded, "{done:?}");
    assert_eq!(done.steps[0].status, StepStatus::Succeeded);
    assert_eq!(done.steps[0].attempts, 3);
    assert_eq!(done.steps[0].output.as_ref().unwrap()["id"], 1001);
    assert_eq!(api.deal_attempts_for(1), 3);
    assert_eq!(api.deals().len(), 1);
    // Every attempt carried the same idempotency key.
    let keys: Vec<String> = api
        .requests("POST", "/deals")
        .iter()
        .map(|r| {
            r.header("idempotency-key")
                .expect("idempotency key")
                .to_string()
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
}

#[tokio::test]
async fn rate_limited_item_waits_as_long_as_the_target_asked() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.script("POST /deals", Reply::Fault(Fault::too_many_requests(2)));
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "retry-429", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    let waiting = item(store.as_ref(), "1").await;
    assert_eq!(waiting.status, ItemStatus::Waiting, "{waiting:?}");
    let wait = waiting.due_at.unwrap() - now_ms(&world);
    assert!(
        wait >= 2_000,
        "waits at least the 2 s asked for, not {wait} ms"
    );
    assert!(wait < 4_000, "and not much longer: {wait} ms");
    assert!(
        waiting
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("rate limited (HTTP 429)"),
        "{waiting:?}"
    );

    world.clock.advance(Duration::from_millis(1_500));
    engine.tick().await.unwrap();
    assert_eq!(
        api.deal_attempts_for(1),
        1,
        "nothing is sent before the asked time"
    );

    world
        .clock
        .advance(Duration::from_millis(wait as u64 - 1_500));
    engine.tick().await.unwrap();
    let done = item(store.as_ref(), "1").await;
    assert_eq!(done.status, ItemStatus::Succeeded, "{done:?}");
    assert_eq!(done.steps[0].attempts, 2);
    assert_eq!(api.deal_attempts_for(1), 2);
}

#[tokio::test]
async fn validation_error_fails_the_item_at_once_without_leaking_the_token() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.add_lead(lead(2, "")); // the API refuses a deal without a phone
    api.add_lead(lead(3, "79160000003"));
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "reject-422", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    // The API did echo the token back: the test would prove nothing otherwise.
    let refused = api
        .requests("POST", "/deals")
        .into_iter()
        .find(|r| r.json().unwrap()["lead"] == 2)
        .unwrap();
    assert_eq!(
        refused.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    let failed = item(store.as_ref(), "2").await;
    assert_eq!(failed.status, ItemStatus::Failed, "{failed:?}");
    assert_eq!(failed.steps[0].attempts, 1);
    assert_eq!(failed.due_at, None);
    for text in [
        failed.error.clone().unwrap_or_default(),
        failed.steps[0].error.clone().unwrap_or_default(),
    ] {
        assert!(text.contains("rejected (HTTP 422)"), "{text}");
        assert!(
            text.contains("phone is required"),
            "the vendor's message is kept: {text}"
        );
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(
            !leaks_token(&text),
            "the token leaked into the history: {text}"
        );
    }
    for key in ["1", "3"] {
        assert_eq!(
            item(store.as_ref(), key).await.status,
            ItemStatus::Succeeded
        );
    }

    // Failed for good: no retry, however long we wait.
    world.clock.advance(Duration::from_secs(3_600));
    engine.tick().await.unwrap();
    assert_eq!(api.deal_attempts_for(2), 1);
    assert_eq!(item(store.as_ref(), "2").await.status, ItemStatus::Failed);
    assert_eq!(api.deals().len(), 2);
}

/// A token with `-` and `.` (JWTs, many API keys), echoed by the API percent-encoded the
/// standard way (those characters stay as they are).
#[tokio::test]
async fn validation_error_redacts_a_url_encoded_token_with_unreserved_characters() {
    let token = "tok-9f.8e/7d+6c";
    let api = FakeApi::start().await;
    api.add_lead(lead(2, ""));
    let mut world = world();
    world.secrets.set_secret("API_TOKEN", token);
    let engine = world
        .engine(vec![http_bundle(&api, "reject-422-jwt", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    let failed = item(store.as_ref(), "2").await;
    assert_eq!(failed.status, ItemStatus::Failed, "{failed:?}");
    let text = failed.error.unwrap_or_default();
    assert!(text.contains("phone is required"), "{text}");
    assert!(
        !leaks(&text, token),
        "the token leaked into the history: {text}"
    );
}
