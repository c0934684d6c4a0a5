//! Secrets never appear in logs, errors, run history or the database. Canary secrets ride
//! in a header (bearer token), a URL path (a Bitrix24-style webhook address), a query
//! parameter (retailCRM-style `apiKey`) and come back inside a JSON error body that echoes
//! the request; every output is then searched for them in raw, URL-encoded and
//! JSON-escaped forms.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use ferry::bundle::parse_bundle;
use ferry::store::RunQuery;
use ferry_connectors::emulation::EmulatorServer;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use support::World;

/// Every canary contains this marker, so one search finds any fragment of any of them.
const MARKER: &str = "c4n4ry";
const BEARER: &str = "bearer-c4n4ry-\"quoted\"-token";
const API_KEY: &str = "key c4n4ry/+&=%";
const HOOK_PATH: &str = "/rest/1/hook-c4n4ry-p4th";

/// Answers like a strict CRM that echoes the whole request back in its validation error.
async fn echo(request: Request) -> (StatusCode, Json<Value>) {
    let uri = request.uri().to_string();
    let auth = request
        .headers()
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if request.uri().path().ends_with("/items") {
        return (
            StatusCode::OK,
            Json(json!([{"id": 1, "phone": "79160000001"}, {"id": 2, "phone": "79160000002"}])),
        );
    }
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(
            json!({"errorMsg": "Validation error", "request": {"uri": uri, "authorization": auth}}),
        ),
    )
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A bundle whose webhook address is `${secret:HOOK_URL_<id>}`, authenticating with
/// `auth` (the connector takes a bearer token or an API key, not both).
fn bundle(id: &str, auth: &str) -> ferry::bundle::Bundle {
    let text = format!(
        r#"
id: {id}
name: {id}
connections:
  api:
    kind: http
    base_url: ${{secret:HOOK_URL_{id}}}
    {auth}
trigger: {{ connection: api, event: poll, settings: {{ path: /items }} }}
steps:
  - id: send
    action: api.request
    with: {{ path: /deals, body: {{ object: {{ phone: "{{{{item.phone}}}}" }} }}, outputs: {{ id: id }} }}
"#
    );
    let id_path = format!("{id}.yaml");
    parse_bundle(std::path::Path::new(&id_path), &text).unwrap()
}

fn assert_clean(what: &str, text: &str) {
    let lower = text.to_lowercase();
    assert!(!lower.contains(MARKER), "{what} leaks a canary:\n{text}");
    for secret in [BEARER, API_KEY, HOOK_PATH] {
        let encoded = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
        let json = serde_json::to_string(secret).unwrap();
        for form in [
            secret.to_string(),
            encoded,
            json.trim_matches('"').to_string(),
        ] {
            assert!(!text.contains(&form), "{what} leaks {form}");
        }
    }
}

#[tokio::test]
async fn canary_secrets_never_reach_logs_errors_history_or_the_database() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("warn,ferry=info,ferry_connectors=info")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = EmulatorServer::start(axum::Router::new().fallback(echo))
        .await
        .unwrap();
    let mut world = World::new();
    world.secrets.set_secret("BEARER", BEARER);
    world.secrets.set_secret("API_KEY", API_KEY);
    world.secrets.set_secret(
        "HOOK_URL_header",
        &format!("{}{HOOK_PATH}", server.base_url()),
    );
    world.secrets.set_secret(
        "HOOK_URL_query",
        &format!("{}{HOOK_PATH}", server.base_url()),
    );
    // A webhook address nobody listens on: the transport error names the URL.
    world
        .secrets
        .set_secret("HOOK_URL_down", &format!("http://127.0.0.1:9{HOOK_PATH}"));
    let store = world.store().await;
    let bearer = "bearer_token: ${secret:BEARER}";
    let query_key = "api_key: ${secret:API_KEY}\n    api_key_query: apiKey";
    let bundles = vec![
        bundle("header", bearer),
        bundle("query", query_key),
        bundle("down", bearer),
    ];
    let engine = world.engine_on(store.clone(), bundles).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.failed, 4,
        "the echoing CRM rejects every item: {report:?}"
    );
    let down = report
        .bundles
        .iter()
        .find(|b| b.poll.bundle_id == "down")
        .unwrap();
    let poll_error = down
        .poll
        .error
        .clone()
        .expect("the unreachable webhook fails the poll");
    assert!(poll_error.contains("[REDACTED]"), "{poll_error}");

    let mut history = serde_json::to_string(&report).unwrap();
    for run in store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap()
    {
        let detail = store.run_detail(run.id).await.unwrap().unwrap();
        history.push_str(&serde_json::to_string(&detail).unwrap());
    }
    assert!(
        history.contains("Validation error"),
        "the vendor's message is kept: {history}"
    );
    assert!(
        history.contains("[REDACTED]"),
        "the echoed secrets were replaced: {history}"
    );
    assert_clean("run history", &history);

    drop(engine);
    drop(store);
    for file in ["ferry.db", "ferry.db-wal"] {
        let path = world.dir.path().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert_clean(file, &String::from_utf8_lossy(&bytes));
        }
    }
    let log_text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        log_text.contains("poll failed"),
        "the poll failure was logged: {log_text}"
    );
    assert_clean("logs", &log_text);
}
