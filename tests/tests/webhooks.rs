//! Webhook delivery end to end with a real source connector: CallbackHunter posts finished
//! requests to `POST /hooks/<bundle id>` (token in the URL, as the widget's settings allow,
//! or an HMAC signature), the engine stores them before answering, and the chain sends
//! each request once to a target API served by the test.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Json;
use ferry::bundle::parse_bundle;
use ferry::runtime::webhooks::{DEFAULT_BODY_LIMIT, ServerConfig, WebhookServer};
use ferry::store::ItemCounts;
use ferry_connectors::callbackhunter::sender;
use serde_json::{Value, json};

mod support;

use support::World;

const TOKEN: &str = "cbh-hook-9d2e41";

/// A target API that records every lead it is sent and answers with its id.
async fn target() -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let leads = Arc::new(Mutex::new(Vec::new()));
    let kept = leads.clone();
    let app = axum::Router::new().route(
        "/leads",
        axum::routing::post(move |Json(lead): Json<Value>| {
            let kept = kept.clone();
            async move {
                let mut leads = kept.lock().unwrap();
                leads.push(lead);
                Json(json!({"id": leads.len()}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, leads)
}

fn bundle_text(target: SocketAddr) -> String {
    format!(
        r#"id: cbh-leads
name: CallbackHunter requests -> leads
connections:
  widget: {{ kind: callbackhunter, project: "Main site" }}
  crm: {{ kind: http, base_url: "http://{target}" }}
trigger:
  connection: widget
  event: request
  webhook: {{ token: "${{secret:CBH_HOOK_TOKEN}}" }}
steps:
  - id: lead
    action: crm.request
    with:
      path: /leads
      body:
        object:
          event: {{ from: item.event_id }}
          phone: {{ from: item.phone, normalize: digits }}
          kind: {{ from: item.kind }}
      outputs: {{ id: id }}
"#
    )
}

async fn deliver(
    client: &reqwest::Client,
    url: &str,
    (content_type, body): (&str, Vec<u8>),
) -> (u16, Value) {
    let response = client
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn callbackhunter_deliveries_are_stored_once_and_sent_once() {
    let (target, leads) = target().await;
    let mut world = World::new();
    world.secrets.set_secret("CBH_HOOK_TOKEN", TOKEN);
    let bundle = parse_bundle(Path::new("cbh.yaml"), &bundle_text(target)).unwrap();
    let engine = world.engine(vec![bundle]).await;
    let intake = engine.webhook_intake();
    assert_eq!(intake.bundle_ids(), ["cbh-leads"]);
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        body_limit: DEFAULT_BODY_LIMIT,
    };
    let server = WebhookServer::bind(intake, config).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run());
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/hooks/cbh-leads?token={TOKEN}");

    let call = sender::call(95, "+7 (999) 123-45-67");
    let (status, answer) = deliver(&client, &url, call.clone()).await;
    assert_eq!(
        (status, answer),
        (200, json!({"accepted": 1, "duplicates": 0}))
    );
    // The widget retries the same request: acknowledged, not stored again.
    let (status, answer) = deliver(&client, &url, call).await;
    assert_eq!(
        (status, answer),
        (200, json!({"accepted": 0, "duplicates": 1}))
    );
    let (status, _) = deliver(&client, &url, sender::call_form(40, "89991110022")).await;
    assert_eq!(status, 200);
    // Stored before the answers: both requests wait in the store, nothing was sent yet.
    let counts = engine.store().item_counts(Some("cbh-leads")).await.unwrap();
    assert_eq!(
        counts,
        ItemCounts {
            in_progress: 2,
            ..ItemCounts::default()
        }
    );
    assert!(leads.lock().unwrap().is_empty());

    // Someone without the token learns nothing, and stores nothing.
    let stranger = format!("http://{addr}/hooks/cbh-leads?token=guess");
    let (status, answer) = deliver(&client, &stranger, sender::call(10, "+70000000000")).await;
    assert_eq!((status, answer), (404, json!({"error": "not found"})));
    // A body the widget would never send is refused with the connector's reason.
    let (status, answer) = deliver(&client, &url, ("application/json", b"[]".to_vec())).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("rejected: callbackhunter"),
        "{answer}"
    );

    assert_eq!(engine.drain().await.unwrap(), 2);
    let leads = leads.lock().unwrap().clone();
    assert_eq!(leads.len(), 2, "{leads:#?}");
    assert_eq!(leads[0]["phone"], "79991234567");
    assert_eq!(leads[0]["kind"], "call");
    assert_eq!(leads[1]["phone"], "89991110022");
    assert_ne!(leads[0]["event"], leads[1]["event"]);
    let counts = engine.store().item_counts(Some("cbh-leads")).await.unwrap();
    assert_eq!(
        counts,
        ItemCounts {
            succeeded: 2,
            ..ItemCounts::default()
        }
    );
    engine.stop();
}
