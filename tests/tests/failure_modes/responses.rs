//! Answers an action cannot read. A 2xx whose body is not JSON may mean the request took
//! effect, so the step is uncertain: it is not re-sent blindly but held for an operator
//! when the step has no lookup. An answer larger than the transport's cap is refused
//! while it streams in, never buffered whole.

use std::time::Duration;

use ferry::clock::Clock as _;
use ferry::store::{ItemStatus, ItemTarget, StepStatus};
use ferry_connectors::emulation::Fault;

use crate::fake_api::{FakeApi, Reply};
use crate::harness::{DEAL_STEP, http_bundle, item, lead, world};

#[tokio::test]
async fn unreadable_answer_holds_the_item_until_an_operator_retries_it() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.script("POST /deals", Reply::Fault(Fault::BrokenBody));
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "uncertain", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    let waiting = item(store.as_ref(), "1").await;
    assert_eq!(waiting.status, ItemStatus::Waiting, "{waiting:?}");
    assert_eq!(
        waiting.steps[0].status,
        StepStatus::Sending,
        "the step stays uncertain"
    );
    let reason = waiting.error.clone().unwrap_or_default();
    assert!(
        reason.contains("invalid response") && reason.contains("may have taken effect"),
        "{reason}"
    );

    // The next attempt finds the step uncertain and, with no lookup, holds the item
    // instead of sending it again.
    world.clock.advance(Duration::from_secs(5));
    engine.tick().await.unwrap();
    let held = item(store.as_ref(), "1").await;
    assert_eq!(held.status, ItemStatus::Held, "{held:?}");
    let reason = held.error.clone().unwrap_or_default();
    assert!(
        reason.contains("ferry runs retry") && reason.contains("ferry runs discard"),
        "{reason}"
    );
    assert_eq!(api.deal_attempts_for(1), 1, "not re-sent blindly");

    // Held stays held, however long we wait.
    world.clock.advance(Duration::from_secs(3_600));
    engine.tick().await.unwrap();
    assert_eq!(item(store.as_ref(), "1").await.status, ItemStatus::Held);
    assert_eq!(api.deal_attempts_for(1), 1);

    // The operator checked the target and asks for a retry: it is sent again.
    let now = world.clock.now().timestamp_millis();
    assert_eq!(
        store
            .retry_items(ItemTarget::Item(held.id), now)
            .await
            .unwrap(),
        1
    );
    engine.tick().await.unwrap();
    let done = item(store.as_ref(), "1").await;
    assert_eq!(done.status, ItemStatus::Succeeded, "{done:?}");
    assert_eq!(done.steps[0].status, StepStatus::Succeeded);
    assert_eq!(done.steps[0].attempts, 2);
    assert_eq!(api.deal_attempts_for(1), 2);
    assert_eq!(api.deals().len(), 1);
}

#[tokio::test]
async fn oversized_answer_is_refused_while_streaming() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.script("POST /deals", Reply::Endless);
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "oversized", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    let waiting = item(store.as_ref(), "1").await;
    let reason = waiting.error.clone().unwrap_or_default();
    assert!(
        reason.contains("response body larger than the 16777216 byte cap"),
        "{reason}"
    );
    assert_eq!(waiting.status, ItemStatus::Waiting, "{waiting:?}");
    assert_eq!(
        waiting.steps[0].status,
        StepStatus::Sending,
        "the request may have taken effect"
    );

    // The endless body stopped being read at the cap: the server produced the cap plus
    // what socket buffers hold, not an unbounded amount.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = api.streamed_bytes();
    assert!(produced >= 16 * 1024 * 1024, "{produced}");
    assert!(
        produced < 24 * 1024 * 1024,
        "read far past the cap: {produced} bytes"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(api.streamed_bytes(), produced, "the connection was dropped");
}
