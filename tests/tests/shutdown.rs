//! Graceful shutdown of the real `ferry run` process: SIGTERM in the middle of a run stops
//! it within the grace period, no item is left `running`, and the next start finishes
//! every item with each request sent exactly once.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use ferry::store::{ItemStatus, RunQuery, SqliteStore, Store};
use ferry_connectors::emulation::EmulatorServer;
use serde_json::{Value, json};
use support::binary::ferry_binary;

#[derive(Default)]
struct Api {
    received: Mutex<HashMap<i64, u32>>,
}

async fn items() -> Json<Value> {
    Json(Value::Array((1..=30).map(|i| json!({"id": i})).collect()))
}

async fn create(State(api): State<Arc<Api>>, Json(body): Json<Value>) -> Json<Value> {
    // A slow CRM, so that SIGTERM lands while requests are in flight.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let id = body["item"].as_i64().unwrap_or(-1);
    *api.received.lock().unwrap().entry(id).or_default() += 1;
    Json(json!({"id": id}))
}

fn write_bundle(dir: &std::path::Path, base_url: &str) -> PathBuf {
    let path = dir.join("slow.yaml");
    let text = format!(
        r#"id: slow-crm
name: Slow CRM
connections:
  api: {{ kind: http, base_url: "{base_url}" }}
trigger:
  connection: api
  event: poll
  schedule: "* * * * * *"      # every second, so the test needs no five-minute wait
  settings: {{ path: /items }}
steps:
  - id: deal
    action: api.request
    with: {{ path: /deals, body: {{ object: {{ item: "{{{{item.id}}}}" }} }}, outputs: {{ id: id }} }}
run: {{ concurrency: 2 }}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_within_the_grace_period_and_a_restart_finishes_everything() {
    let binary = ferry_binary();
    let api = Arc::new(Api::default());
    let router = axum::Router::new()
        .route("/items", get(items))
        .route("/deals", post(create))
        .with_state(api.clone());
    let server = EmulatorServer::start(router).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = write_bundle(dir.path(), &server.base_url());
    let data_dir = dir.path().join("data");
    let run = |once: bool| {
        let mut command = Command::new(&binary);
        command
            .arg("run")
            .arg(&bundle)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--grace", "5", "--max-in-flight", "2"]);
        if once {
            command.arg("--once");
        }
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        command
    };

    let mut child = run(false).spawn().expect("start ferry run");
    // Wait until some, not all, items went through.
    let started = Instant::now();
    while api.received.lock().unwrap().len() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "ferry run made no progress"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(8),
            "ferry did not stop within the grace period"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    let done_before_restart = api.received.lock().unwrap().len();
    assert!(
        done_before_restart < 30,
        "the test must interrupt the run ({done_before_restart} done)"
    );

    {
        let store = SqliteStore::open(&data_dir.join("ferry.db")).await.unwrap();
        let runs = store
            .list_runs(RunQuery {
                bundle_id: None,
                limit: 0,
            })
            .await
            .unwrap();
        for run in runs {
            let detail = store.run_detail(run.id).await.unwrap().unwrap();
            let running: Vec<_> = detail
                .items
                .iter()
                .filter(|i| i.status == ItemStatus::Running)
                .collect();
            assert!(
                running.is_empty(),
                "items left running after shutdown: {running:?}"
            );
        }
        store.close().await;
    }

    let output = run(true).output().expect("restart with --once");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let received = api.received.lock().unwrap();
    assert_eq!(received.len(), 30, "every item was sent");
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "items sent more than once: {twice:?}");
}
