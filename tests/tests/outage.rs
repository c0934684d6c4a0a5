//! End-to-end: one CRM down. Its items wait without spending attempts once its circuit
//! breaker opens (nothing more is sent to it), other bundles run at full speed, and
//! everything finishes after recovery.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use ferry::bundle::parse_bundle;
use ferry::store::{RunQuery, Store};
use ferry_connectors::emulation::EmulatorServer;
use ferry_connectors::transport::BreakerConfig;
use serde_json::{Value, json};
use support::World;

#[derive(Default)]
struct Api {
    down: AtomicBool,
    received: AtomicUsize,
}

async fn items() -> Json<Value> {
    Json(Value::Array(
        (1..=20)
            .map(|i| json!({"id": i, "phone": format!("7916{i:07}")}))
            .collect(),
    ))
}

async fn create(State(api): State<Arc<Api>>) -> (StatusCode, Json<Value>) {
    let n = api.received.fetch_add(1, Ordering::SeqCst) + 1;
    if api.down.load(Ordering::SeqCst) {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "database unavailable"})),
        )
    } else {
        (StatusCode::CREATED, Json(json!({"id": n})))
    }
}

async fn serve(api: Arc<Api>) -> EmulatorServer {
    let router = axum::Router::new()
        .route("/items", get(items))
        .route("/deals", post(create))
        .with_state(api);
    EmulatorServer::start(router).await.unwrap()
}

fn bundle(id: &str, base: &str) -> ferry::bundle::Bundle {
    let text = format!(
        r#"
id: {id}
name: {id}
connections:
  api: {{ kind: http, base_url: "{base}" }}
trigger: {{ connection: api, event: poll, settings: {{ path: /items }} }}
steps:
  - id: deal
    action: api.request
    with: {{ path: /deals, body: {{ object: {{ phone: "{{{{item.phone}}}}" }} }}, outputs: {{ id: id }} }}
run: {{ concurrency: 4, max_attempts: 3 }}
"#
    );
    parse_bundle(std::path::Path::new(&format!("{id}.yaml")), &text).unwrap()
}

async fn counts(store: &dyn Store, bundle: &str) -> ferry::store::ItemCounts {
    store.item_counts(Some(bundle)).await.unwrap()
}

#[tokio::test]
async fn a_down_crm_parks_its_items_and_the_others_run() {
    let down = Arc::new(Api::default());
    down.down.store(true, Ordering::SeqCst);
    let healthy = Arc::new(Api::default());
    let (down_server, healthy_server) = (serve(down.clone()).await, serve(healthy.clone()).await);
    let mut world = World::new();
    world.transport.breaker = BreakerConfig {
        threshold: 3,
        cooldown: Duration::from_millis(300),
        max_cooldown: Duration::from_millis(300),
    };
    let store = world.store().await;
    let engine = world
        .engine_on(
            store.clone(),
            vec![
                bundle("down-crm", &down_server.base_url()),
                bundle("healthy-crm", &healthy_server.base_url()),
            ],
        )
        .await;

    engine.tick().await.unwrap();
    let healthy_counts = counts(store.as_ref(), "healthy-crm").await;
    assert_eq!(
        healthy_counts.succeeded, 20,
        "the healthy CRM's bundle is unaffected"
    );
    let down_counts = counts(store.as_ref(), "down-crm").await;
    assert_eq!(
        down_counts.waiting, 20,
        "the down CRM's items wait: {down_counts:?}"
    );
    assert_eq!(down_counts.failed, 0);
    let sent_while_down = down.received.load(Ordering::SeqCst);
    assert!(
        sent_while_down < 20,
        "the breaker stopped sending after a few failures: {sent_while_down}"
    );

    // Many retry rounds during the outage: items keep waiting, never fail, even though
    // max_attempts is 3, because requests refused by the open breaker are not attempts.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(350)).await;
        world.clock.advance(Duration::from_secs(600));
        engine.drain().await.unwrap();
    }
    let down_counts = counts(store.as_ref(), "down-crm").await;
    assert_eq!(down_counts.failed, 0, "{down_counts:?}");
    assert_eq!(down_counts.waiting, 20);
    assert!(
        down.received.load(Ordering::SeqCst) < 20 + 6,
        "about one probe per cooldown, not one request per item: {}",
        down.received.load(Ordering::SeqCst)
    );

    // Recovery: everything finishes, each item created once.
    down.down.store(false, Ordering::SeqCst);
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(350)).await;
        world.clock.advance(Duration::from_secs(600));
        engine.drain().await.unwrap();
    }
    let down_counts = counts(store.as_ref(), "down-crm").await;
    assert_eq!(down_counts.succeeded, 20, "{down_counts:?}");
    let runs = store
        .list_runs(RunQuery {
            bundle_id: Some("down-crm".into()),
            limit: 1,
        })
        .await
        .unwrap();
    let detail = store.run_detail(runs[0].id).await.unwrap().unwrap();
    let max_attempts = detail
        .items
        .iter()
        .flat_map(|i| &i.steps)
        .map(|s| s.attempts)
        .max()
        .unwrap();
    assert!(
        max_attempts <= 3,
        "attempts only count requests really sent: {max_attempts}"
    );
}
