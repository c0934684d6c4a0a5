//! End-to-end: the scheduler. `Engine::run_until` with tokio's clock paused and the engine
//! reading it (`TokioClock`), against the test API on 127.0.0.1: thirty simulated minutes
//! run in well under a second of real time.

mod fake_api;
mod support;

use std::sync::Arc;
use std::time::Duration;

use ferry::bundle::parse_bundle;
use ferry::clock::TokioClock;
use ferry::runtime::{Engine, EngineConfig, PreparedBundle};
use ferry::store::{ItemStatus, RunQuery, Store};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::json;
use tokio::time::Instant;

use fake_api::FakeApi;
use support::{World, start_time};

const BUNDLE: &str = r#"
id: scheduled-leads
name: Scheduled leads
connections:
  api: { kind: http, base_url: "{BASE}" }
trigger:
  connection: api
  event: poll
  schedule: "*/5 * * * *"
  settings:
    path: /leads
    items_path: data.items
    pagination: { style: cursor_after_id, param: since_id }
steps:
  - id: deal
    action: api.request
    with:
      path: /deals
      body: { object: { lead: { from: item.id }, phone: { from: item.phone } } }
      outputs: { id: id }
"#;

/// An engine on the paused tokio clock, starting at [`start_time`] (on a five-minute
/// boundary, so the first poll is at +5 min).
async fn engine(world: &World, store: Arc<dyn Store>, api: &FakeApi) -> Engine {
    let text = BUNDLE.replace("{BASE}", &api.base_url());
    let bundle = parse_bundle(std::path::Path::new("inline/scheduled.yaml"), &text)
        .unwrap_or_else(|d| panic!("{d}"));
    // Paused time jumps ahead whenever the runtime waits on something other than a timer
    // (the database thread, a socket): a long request timeout keeps those jumps from
    // timing requests out.
    let http = HttpTransport::new(TransportConfig {
        request_timeout: Duration::from_secs(3_600),
        connect_timeout: Duration::from_secs(3_600),
        ..TransportConfig::default()
    })
    .unwrap();
    let prepared = PreparedBundle::prepare(bundle, &world.secrets, &http).unwrap();
    let clock = Arc::new(TokioClock::starting_at(start_time()));
    let config = EngineConfig {
        worker_id: "scheduler-test".into(),
        ..EngineConfig::default()
    };
    Engine::new(store, clock, config, vec![prepared])
        .await
        .unwrap()
}

fn lead(id: i64) -> serde_json::Value {
    json!({"id": id, "phone": format!("7916000{id:04}")})
}

#[tokio::test]
async fn six_ticks_poll_six_times_process_new_items_and_stop_promptly() {
    let real_start = std::time::Instant::now();
    let api = FakeApi::start().await;
    let world = World::new();
    let store = world.store().await;
    tokio::time::pause();
    let engine = engine(&world, store, &api).await;
    let started = Instant::now();
    api.add_lead(lead(1));

    let mut stopped_at = None;
    let driver = async {
        // Two new leads between each pair of ticks (ticks at +5, +10, ... +30 min).
        for tick in 0..6u64 {
            tokio::time::sleep_until(started + Duration::from_secs(tick * 300 + 150)).await;
            api.add_lead(lead(10 * tick as i64 + 2));
            api.add_lead(lead(10 * tick as i64 + 3));
        }
        tokio::time::sleep_until(started + Duration::from_secs(6 * 300 + 60)).await;
        stopped_at = Some(Instant::now());
    };
    engine.run_until(driver).await.unwrap();
    let returned = Instant::now() - stopped_at.expect("shutdown fired");

    assert!(
        returned < Duration::from_secs(1),
        "run_until returned {returned:?} after shutdown"
    );
    let polls = api.requests("GET", "/leads");
    assert_eq!(polls.len(), 6, "one poll per five-minute tick");
    let runs = engine
        .store()
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 6);
    let counts = engine.store().item_counts(None).await.unwrap();
    assert_eq!(counts.succeeded, 13, "{counts:?}");
    assert_eq!(counts.unfinished(), 0, "{counts:?}");
    assert_eq!(api.deals().len(), 13);
    // Every tick after the first queued exactly the two leads added before it.
    let mut new_per_run: Vec<u64> = runs.iter().map(|r| r.items_new).collect();
    new_per_run.reverse();
    assert_eq!(new_per_run, [3, 2, 2, 2, 2, 2]);
    let cursors: Vec<Option<String>> = polls
        .iter()
        .map(|p| p.query_param("since_id").map(str::to_string))
        .collect();
    assert_eq!(cursors[0], None);
    assert_eq!(cursors[1].as_deref(), Some("3"));
    assert!(
        real_start.elapsed() < Duration::from_secs(10),
        "took {:?} of real time",
        real_start.elapsed()
    );
}
