//! End-to-end: a target answering 503 for a while. Each item's retry delay grows with its
//! attempts (capped exponential), differs between items (jitter), and every item finishes
//! once the target recovers, each created exactly once.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use ferry::bundle::parse_bundle;
use ferry::store::{ItemStatus, RunQuery};
use ferry_connectors::emulation::EmulatorServer;
use ferry_connectors::transport::BreakerConfig;
use serde_json::{Value, json};
use support::World;

const ITEMS: i64 = 10;

#[derive(Default)]
struct Api {
    down: AtomicBool,
    created: Mutex<HashMap<i64, u32>>,
}

async fn items() -> Json<Value> {
    Json(Value::Array(
        (1..=ITEMS).map(|i| json!({"id": i})).collect(),
    ))
}

async fn create(State(api): State<Arc<Api>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    if api.down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "maintenance"})),
        );
    }
    let id = body["item"].as_i64().unwrap();
    *api.created.lock().unwrap().entry(id).or_default() += 1;
    (StatusCode::CREATED, Json(json!({"id": id})))
}

#[tokio::test]
async fn backoff_grows_with_jitter_and_everything_finishes_after_recovery() {
    let api = Arc::new(Api::default());
    api.down.store(true, Ordering::SeqCst);
    let router = axum::Router::new()
        .route("/items", get(items))
        .route("/deals", post(create))
        .with_state(api.clone());
    let server = EmulatorServer::start(router).await.unwrap();
    let text = format!(
        r#"
id: flaky
name: Flaky CRM
connections:
  api: {{ kind: http, base_url: "{}" }}
trigger: {{ connection: api, event: poll, settings: {{ path: /items }} }}
steps:
  - id: deal
    action: api.request
    with: {{ path: /deals, body: {{ object: {{ item: "{{{{item.id}}}}" }} }}, outputs: {{ id: id }} }}
run: {{ concurrency: 10, max_attempts: 10, backoff_initial: 2s, backoff_max: 1m }}
"#,
        server.base_url()
    );
    let bundle = parse_bundle(std::path::Path::new("flaky.yaml"), &text).unwrap();
    let mut world = World::new();
    // This test observes the per-item backoff alone, so the breaker must not step in.
    world.transport.breaker = BreakerConfig {
        threshold: u32::MAX,
        ..BreakerConfig::default()
    };
    let store = world.store().await;
    let engine = world.engine_on(store.clone(), vec![bundle]).await;
    engine.tick().await.unwrap();
    let run_id = store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 1,
        })
        .await
        .unwrap()[0]
        .id;

    // Five failed attempts per item; after each, read every item's next due time.
    let mut delays_by_attempt: Vec<Vec<i64>> = Vec::new();
    for attempt in 1..=5 {
        let now = world.clock.now_ms();
        let detail = store.run_detail(run_id).await.unwrap().unwrap();
        let delays: Vec<i64> = detail
            .items
            .iter()
            .map(|item| {
                assert_eq!(
                    item.status,
                    ItemStatus::Waiting,
                    "attempt {attempt}: {item:?}"
                );
                assert_eq!(item.steps[0].attempts, attempt);
                item.due_at.unwrap() - now
            })
            .collect();
        delays_by_attempt.push(delays);
        world.clock.advance(Duration::from_secs(120));
        engine.drain().await.unwrap();
    }
    for (i, delays) in delays_by_attempt.iter().enumerate() {
        let ceiling = 2_000i64 << i;
        assert!(
            delays.iter().all(|d| *d >= ceiling / 10 && *d <= ceiling),
            "attempt {}: delays {delays:?} outside the jittered range up to {ceiling} ms",
            i + 1
        );
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(
            distinct.len() > 1,
            "attempt {}: no jitter: {delays:?}",
            i + 1
        );
    }
    let mean = |d: &Vec<i64>| d.iter().sum::<i64>() / d.len() as i64;
    assert!(
        mean(&delays_by_attempt[4]) > 3 * mean(&delays_by_attempt[0]),
        "delays grow: {delays_by_attempt:?}"
    );

    // Recovery: everything finishes, each deal created once.
    api.down.store(false, Ordering::SeqCst);
    world.clock.advance(Duration::from_secs(120));
    engine.drain().await.unwrap();
    let counts = store.item_counts(Some("flaky")).await.unwrap();
    assert_eq!(counts.succeeded, ITEMS as u64, "{counts:?}");
    let created = api.created.lock().unwrap();
    assert_eq!(created.len(), ITEMS as usize);
    assert!(created.values().all(|n| *n == 1), "{created:?}");
}
