//! A webhook source declared for the tests (a spec, a connector whose `parse_webhook`
//! reads JSON or form bodies and whose one action records what it was given), and a hub
//! that prepares bundles for it, starts an engine on an in-memory store and serves the
//! webhook router on 127.0.0.1:0.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::TimeZone;
use ferry_connectors::spec::field;
use ferry_connectors::{
    ActionCall, ActionSpec, Connector, ConnectorError, ConnectorSpec, Delivery, Record, Redactor,
    TriggerSpec, WebhookRequest,
};
use serde_json::{Map, Value, json};
use tokio::sync::{Semaphore, mpsc};

use crate::bundle::{Catalog, parse_bundle_with};
use crate::clock::ManualClock;
use crate::runtime::webhooks::{ServerConfig, WebhookKeys, WebhookServer};
use crate::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource};
use crate::store::{SqliteStore, Store};

/// The token the bundles' `${secret:HOOK_TOKEN}` resolves to.
pub const TOKEN: &str = "tok-5f1c9a";
/// The HMAC key behind `${secret:HOOK_HMAC}`.
pub const HMAC_KEY: &str = "hmac-key-77";
/// The body cap of the test server.
pub const BODY_LIMIT: usize = 4096;

pub static SOURCE: ConnectorSpec = ConnectorSpec {
    kind: "hooksrc",
    description: "test webhook source",
    settings: &[],
    triggers: &[TriggerSpec {
        event: "request_finished",
        delivery: Delivery::Webhook,
        description: "a finished request",
        settings: &[],
        default_key: "{{item.event_id}}",
        item_fields: &[field("event_id", true, "event id")],
    }],
    actions: &[ActionSpec {
        name: "record",
        description: "remember the event",
        inputs: &[
            field("event_id", true, "event id"),
            field("name", false, "name"),
        ],
        open_inputs: false,
        outputs: &[field("id", false, "record id")],
        outputs_from_input: None,
        dedup: None,
    }],
};

/// Reads `{"event_id": ..}`, `{"events": [..]}` or a form with `event_id`; anything else
/// is rejected with a reason that quotes the body (so redaction is exercised).
pub struct Source {
    recorded: Arc<Mutex<Vec<Map<String, Value>>>>,
    processed: mpsc::UnboundedSender<String>,
}

#[async_trait]
impl Connector for Source {
    fn spec(&self) -> &'static ConnectorSpec {
        &SOURCE
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn parse_webhook(
        &self,
        request: WebhookRequest<'_>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let rejected = |why: &str| ConnectorError::Rejected {
            status: 400,
            body: format!("{why}: {}", String::from_utf8_lossy(request.body)),
        };
        let body: Value = match request.content_type {
            "application/json" => {
                serde_json::from_slice(request.body).map_err(|_| rejected("not JSON"))?
            }
            _ => Value::Object(
                url::form_urlencoded::parse(request.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            ),
        };
        let events = match body.get("events") {
            Some(Value::Array(events)) => events.clone(),
            _ => vec![body],
        };
        if events.iter().any(|e| e.get("event_id").is_none()) {
            return Err(rejected("an event without event_id"));
        }
        Ok(events)
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        let mut recorded = self.recorded.lock().unwrap();
        recorded.push(call.input.clone());
        let id = recorded.len();
        let event = call
            .input
            .get("event_id")
            .map(ToString::to_string)
            .unwrap_or_default();
        let _ = self.processed.send(event);
        Ok(json!({"id": id}).as_object().unwrap().clone())
    }
}

/// A bundle receiving `request_finished` with `webhook_block` as its `trigger.webhook`.
pub fn bundle_text(id: &str, enabled: bool, webhook_block: &str) -> String {
    format!(
        r#"id: {id}
name: Hook {id}
enabled: {enabled}
connections:
  src: {{ kind: hooksrc }}
trigger:
  connection: src
  event: request_finished
  webhook: {webhook_block}
steps:
  - id: rec
    action: src.record
    with: {{ event_id: "{{{{item.event_id}}}}", name: {{ from: item.name }} }}
"#
    )
}

/// The engine, its store and the server's address.
pub struct Hub {
    pub engine: Arc<Engine>,
    pub store: Arc<dyn Store>,
    pub addr: SocketAddr,
    pub recorded: Arc<Mutex<Vec<Map<String, Value>>>>,
    pub processed: mpsc::UnboundedReceiver<String>,
    pub client: reqwest::Client,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// How a hub is started.
pub struct HubOptions {
    pub bundles: Vec<String>,
    pub store: Option<Arc<dyn Store>>,
    pub config: EngineConfig,
}

impl HubOptions {
    pub fn bundles(bundles: Vec<String>) -> HubOptions {
        HubOptions {
            bundles,
            store: None,
            config: EngineConfig::default(),
        }
    }
}

impl Hub {
    pub async fn start(options: HubOptions) -> Hub {
        let mut secrets = SecretSource::default();
        secrets.set_secret("HOOK_TOKEN", TOKEN);
        secrets.set_secret("HOOK_HMAC", HMAC_KEY);
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let (tx, processed) = mpsc::unbounded_channel();
        let catalog = Catalog::new(vec![&SOURCE]);
        let prepared = options
            .bundles
            .iter()
            .map(|text| {
                let bundle = parse_bundle_with(Path::new("hook.yaml"), text, &catalog)
                    .unwrap_or_else(|d| panic!("{d}"));
                let keys = WebhookKeys::resolve(bundle.trigger.webhook.as_ref().unwrap(), &secrets)
                    .unwrap();
                let source: Arc<dyn Connector> = Arc::new(Source {
                    recorded: recorded.clone(),
                    processed: tx.clone(),
                });
                PreparedBundle {
                    connectors: HashMap::from([("src".to_string(), source)]),
                    redactor: Redactor::new(keys.secret_values()),
                    bundle_json: json!({"id": bundle.id, "name": bundle.name}),
                    concurrency: Arc::new(Semaphore::new(4)),
                    webhook: Some(keys),
                    bundle,
                }
            })
            .collect();
        let store = match options.store {
            Some(store) => store,
            None => {
                let store = SqliteStore::open_in_memory().await.unwrap();
                store.migrate().await.unwrap();
                Arc::new(store)
            }
        };
        let clock = Arc::new(ManualClock::new(
            chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap(),
        ));
        let engine = Engine::new(store.clone(), clock, options.config, prepared)
            .await
            .unwrap();
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            body_limit: BODY_LIMIT,
        };
        let server = WebhookServer::bind(engine.webhook_intake(), config)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let server = tokio::spawn(server.run());
        Hub {
            engine: Arc::new(engine),
            store,
            addr,
            recorded,
            processed,
            client: reqwest::Client::new(),
            server,
        }
    }

    /// `POST` to `path` with these headers and body.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::read(request.send().await.unwrap()).await
    }

    /// A JSON delivery to `bundle` with the right token.
    pub async fn deliver(&self, bundle: &str, body: &Value) -> Answer {
        self.post(
            &format!("/hooks/{bundle}"),
            &[
                ("content-type", "application/json"),
                ("x-ferry-token", TOKEN),
            ],
            body.to_string(),
        )
        .await
    }

    /// Every item of every run of `bundle`, as (key, status) pairs.
    pub async fn items(&self, bundle: &str) -> Vec<(String, String)> {
        let runs = self
            .store
            .list_runs(crate::store::RunQuery {
                bundle_id: Some(bundle.to_string()),
                limit: 100,
            })
            .await
            .unwrap();
        let mut items = Vec::new();
        for run in runs {
            let detail = self.store.run_detail(run.id).await.unwrap().unwrap();
            for item in detail.items {
                items.push((item.key, format!("{:?}", item.status)));
            }
        }
        items.sort();
        items
    }
}

/// A response with everything a prober could compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Every header but `date`.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str() != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_string()))
            .collect();
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}
