//! What happens to a stored delivery: it is in the store when the 200 arrives, the engine
//! processes it, a re-delivery adds nothing, a store failure acknowledges nothing, and the
//! server stops with the engine.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::failing_store::FailingStore;
use super::fixture::{Hub, HubOptions, bundle_text};
use crate::runtime::EngineConfig;
use crate::store::{RunQuery, RunStatus, SqliteStore, Store};

const TOKEN_BLOCK: &str = r#"{ token: "${secret:HOOK_TOKEN}" }"#;

fn pending(keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| (k.to_string(), "Pending".to_string()))
        .collect()
}

#[tokio::test]
async fn a_delivery_is_stored_before_its_200_and_processed_once() {
    let hub = Hub::start(HubOptions::bundles(vec![bundle_text(
        "hook",
        true,
        TOKEN_BLOCK,
    )]))
    .await;
    let answer = hub
        .deliver("hook", &json!({"event_id": "e1", "name": "Ann"}))
        .await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"accepted": 1, "duplicates": 0}))
    );
    // Nothing ran the worker: what is in the store was committed before the answer.
    assert_eq!(hub.items("hook").await, pending(&["e1"]));
    let runs = hub
        .store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].status, runs[0].items_seen, runs[0].items_new),
        (RunStatus::Polled, 1, 1)
    );

    assert_eq!(hub.engine.drain().await.unwrap(), 1);
    let recorded = hub.recorded.lock().unwrap().clone();
    assert_eq!(
        recorded,
        [json!({"event_id": "e1", "name": "Ann"})
            .as_object()
            .unwrap()
            .clone()]
    );
    assert_eq!(
        hub.items("hook").await,
        [("e1".to_string(), "Succeeded".to_string())]
    );

    // The source retries the same event: acknowledged, nothing new.
    let again = hub
        .deliver("hook", &json!({"event_id": "e1", "name": "Ann"}))
        .await;
    assert_eq!(
        (again.status, again.json()),
        (200, json!({"accepted": 0, "duplicates": 1}))
    );
    assert_eq!(hub.engine.drain().await.unwrap(), 0);
    assert_eq!(hub.recorded.lock().unwrap().len(), 1);

    // A batch: one seen before, two new.
    let batch = json!({"events": [{"event_id": "e1"}, {"event_id": "e2"}, {"event_id": "e3"}]});
    let answer = hub.deliver("hook", &batch).await;
    assert_eq!(answer.json(), json!({"accepted": 2, "duplicates": 1}));
    assert_eq!(hub.engine.drain().await.unwrap(), 2);
    assert_eq!(hub.recorded.lock().unwrap().len(), 3);
    let runs = hub
        .store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 3, "one run per delivery");
}

#[tokio::test]
async fn a_running_engine_is_woken_by_a_delivery_and_the_server_stops_with_it() {
    let mut options = HubOptions::bundles(vec![bundle_text("hook", true, TOKEN_BLOCK)]);
    // The worker's own idle check would come only after an hour: only the wake-up can make
    // the item run within the test's patience.
    options.config = EngineConfig {
        idle_check: Duration::from_secs(3600),
        ..EngineConfig::default()
    };
    let mut hub = Hub::start(options).await;
    let engine = hub.engine.clone();
    let running = tokio::spawn(async move { engine.run_until(std::future::pending()).await });
    let answer = hub.deliver("hook", &json!({"event_id": "w1"})).await;
    assert_eq!(answer.status, 200);
    let processed = tokio::time::timeout(Duration::from_secs(20), hub.processed.recv()).await;
    assert_eq!(
        processed.expect("processed after the wake-up"),
        Some("\"w1\"".to_string())
    );
    // Only webhook bundles, nothing to poll: the engine still runs until it is stopped.
    assert!(!running.is_finished());

    hub.engine.stop();
    tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let server = tokio::time::timeout(Duration::from_secs(20), &mut hub.server).await;
    server.expect("server stopped").unwrap().unwrap();
    let refused = hub
        .client
        .post(format!("http://{}/hooks/hook", hub.addr))
        .body("{}")
        .send()
        .await;
    assert!(refused.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn a_store_failure_is_503_and_the_retry_is_stored_once() {
    let inner = SqliteStore::open_in_memory().await.unwrap();
    inner.migrate().await.unwrap();
    let failing = Arc::new(FailingStore::new(Arc::new(inner)));
    let mut options = HubOptions::bundles(vec![bundle_text("hook", true, TOKEN_BLOCK)]);
    options.store = Some(failing.clone() as Arc<dyn Store>);
    let hub = Hub::start(options).await;

    failing.fail_enqueue.store(true, Ordering::SeqCst);
    let answer = hub.deliver("hook", &json!({"event_id": "r1"})).await;
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.headers.get("retry-after").map(String::as_str),
        Some("30")
    );
    assert_eq!(answer.json(), json!({"error": "not stored; retry later"}));
    assert!(hub.items("hook").await.is_empty());
    let runs = hub
        .store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::PollFailed);

    // Closing the run fails after the items were committed: still not acknowledged, and
    // the source's retry finds the item already stored.
    failing.fail_enqueue.store(false, Ordering::SeqCst);
    failing.fail_finish.store(true, Ordering::SeqCst);
    assert_eq!(
        hub.deliver("hook", &json!({"event_id": "r1"})).await.status,
        503
    );
    failing.fail_finish.store(false, Ordering::SeqCst);
    let retry = hub.deliver("hook", &json!({"event_id": "r1"})).await;
    assert_eq!(
        (retry.status, retry.json()),
        (200, json!({"accepted": 0, "duplicates": 1}))
    );
    assert_eq!(hub.items("hook").await, pending(&["r1"]));
    assert_eq!(hub.engine.drain().await.unwrap(), 1);
    assert_eq!(hub.recorded.lock().unwrap().len(), 1);
}
