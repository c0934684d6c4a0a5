//! An in-process MoySklad (JSON API 1.2) on 127.0.0.1 for tests, examples and demos.
//!
//! It speaks the real wire format: `/api/remap/1.2/...` paths, Bearer auth with
//! MoySklad's 401 body and `X-Lognex-Auth*` headers, 415 with an empty body when the
//! request lacks `Accept-Encoding: gzip`, gzip-encoded answers, `filter` / `order` /
//! `limit` / `offset` lists with `meta.size` and `meta.nextHref`, meta references that
//! must point at existing entities, and error bodies with MoySklad's codes. Its 45-per-3-s
//! and 5-parallel limits (429 with codes 1049 / 1073 and `X-Lognex-*` headers) are off
//! unless the config turns them on. Tests inspect what arrived ([`MoySkladEmulator::requests`])
//! and change orders the way a MoySklad user would (state, payment).

mod api_error;
mod endpoints;
mod filter;
mod limits;
mod listing;
mod routes;
mod state;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

pub use api_error::ApiError;
pub use limits::EmulatedRateLimit;

use crate::emulation::EmulatorServer;
use limits::LimitState;
use state::Account;

/// The API root path every route lives under.
pub const API_ROOT: &str = "/api/remap/1.2";

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct MoySkladEmulatorConfig {
    /// The only token accepted (`Authorization: Bearer <token>`).
    pub token: String,
    /// Enforce request limits (off by default so other tests are not throttled).
    pub rate_limit: Option<EmulatedRateLimit>,
    /// Time each accepted request spends "in flight" before it is answered.
    pub latency: Duration,
    /// Organization names to seed (the first is [`MoySkladEmulator::organization_id`]).
    pub organizations: Vec<String>,
    /// Customer order state names to seed.
    pub states: Vec<String>,
    /// Customer order custom attributes to seed: (name, type).
    pub attributes: Vec<(String, String)>,
}

impl Default for MoySkladEmulatorConfig {
    fn default() -> Self {
        let string = |n: &str| (n.to_string(), "string".to_string());
        MoySkladEmulatorConfig {
            token: "moysklad-test-token".into(),
            rate_limit: None,
            latency: Duration::ZERO,
            organizations: vec!["ООО \"Ромашка\"".into()],
            states: ["Новый", "Подтвержден", "Отгружен", "Выполнен"]
                .map(String::from)
                .to_vec(),
            attributes: vec![
                string("source"),
                string("medium"),
                string("utm_source"),
                string("utm_medium"),
                string("utm_campaign"),
                string("utm_content"),
                string("utm_term"),
                string("gclid"),
                ("tags".into(), "text".into()),
            ],
        }
    }
}

/// A canned answer for the next request, to exercise failure handling.
#[derive(Debug, Clone)]
pub struct Fault {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (sent gzip-encoded like every answer).
    pub body: String,
}

impl Fault {
    /// MoySklad's 429 for the per-window limit with `X-Lognex-Retry-After` in ms.
    pub fn rate_limited(retry_after_ms: u64) -> Fault {
        let body = ApiError::new(
            429,
            1049,
            "Превышено ограничение на количество запросов в единицу времени".into(),
        )
        .body();
        Fault {
            status: 429,
            headers: vec![
                ("X-RateLimit-Limit".into(), "45".into()),
                ("X-RateLimit-Remaining".into(), "0".into()),
                ("X-Lognex-Retry-TimeInterval".into(), "3000".into()),
                ("X-Lognex-Reset".into(), retry_after_ms.to_string()),
                ("X-Lognex-Retry-After".into(), retry_after_ms.to_string()),
            ],
            body: body.to_string(),
        }
    }

    /// A server failure with MoySklad's error shape.
    pub fn server_error(status: u16) -> Fault {
        let body = json!({"errors": [{"error": "При обработке запроса возникла непредвиденная ошибка", "code": 1999}]});
        Fault {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }
}

/// One request as the emulator received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, including [`API_ROOT`].
    pub path: String,
    /// The raw query string.
    pub query: Option<String>,
    /// Headers (names lower-case).
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, when it was JSON.
    pub body: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// When it arrived (tokio time).
    pub at: tokio::time::Instant,
}

impl RecordedRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A decoded query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The path below [`API_ROOT`] (`/entity/counterparty`).
    pub fn api_path(&self) -> &str {
        self.path.strip_prefix(API_ROOT).unwrap_or(&self.path)
    }
}

/// What the routes share.
pub(crate) struct Shared {
    config: MoySkladEmulatorConfig,
    account: Mutex<Account>,
    limits: Mutex<LimitState>,
    log: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
}

impl Shared {
    /// The account, locked for one request or one seeding step.
    pub(crate) fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        self.account.lock().expect("account lock")
    }
}

/// A running emulator; stops when dropped.
pub struct MoySkladEmulator {
    server: EmulatorServer,
    shared: Arc<Shared>,
}

impl MoySkladEmulator {
    /// Start on 127.0.0.1 with an OS-chosen port, seeded from `config`.
    pub async fn start(config: MoySkladEmulatorConfig) -> MoySkladEmulator {
        let shared = Arc::new(Shared {
            config: config.clone(),
            account: Mutex::new(Account::default()),
            limits: Mutex::new(LimitState::default()),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
        });
        let server = EmulatorServer::start(routes::router(shared.clone()))
            .await
            .expect("bind an emulator port on 127.0.0.1");
        {
            // Seeding needs the base URL (every entity's meta.href holds it), known only
            // once the port is bound; no request can arrive before `start` returns.
            let mut account = shared.account();
            account.base = format!("{}{API_ROOT}", server.base_url());
            let employee_id = uuid::Uuid::new_v4().to_string();
            account.employee = json!({
                "meta": account.meta(&format!("entity/employee/{employee_id}"), "employee"),
                "id": employee_id, "name": "Администратор", "uid": "admin@example", "email": "admin@example.ru",
            });
            for name in &config.organizations {
                account.add_organization(name);
            }
            for (i, name) in config.states.iter().enumerate() {
                let kind = if i + 1 == config.states.len() {
                    "Successful"
                } else {
                    "Regular"
                };
                account.add_state(name, kind);
            }
            for (name, kind) in &config.attributes {
                account.add_attribute(name, kind);
            }
        }
        MoySkladEmulator { server, shared }
    }

    fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        self.shared.account()
    }

    /// The API root: `http://127.0.0.1:<port>/api/remap/1.2`.
    pub fn base_url(&self) -> String {
        format!("{}{API_ROOT}", self.server.base_url())
    }

    /// The accepted token.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The first seeded organization's id.
    pub fn organization_id(&self) -> String {
        self.account()
            .organizations
            .first()
            .map(|o| o["id"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    /// All counterparties, as the API would return them.
    pub fn counterparties(&self) -> Vec<Value> {
        self.account().counterparties.clone()
    }

    /// All customer orders, as the API would return them.
    pub fn orders(&self) -> Vec<Value> {
        self.account().orders.clone()
    }

    /// One order.
    pub fn order(&self, id: &str) -> Option<Value> {
        self.account()
            .orders
            .iter()
            .find(|o| o["id"] == id)
            .cloned()
    }

    /// The name of an order's state (`None` when it has none).
    pub fn order_state_name(&self, id: &str) -> Option<String> {
        let account = self.account();
        let href = account
            .orders
            .iter()
            .find(|o| o["id"] == id)?
            .pointer("/state/meta/href")?
            .clone();
        account
            .states
            .iter()
            .find(|s| s.pointer("/meta/href") == Some(&href))
            .and_then(|s| s["name"].as_str().map(str::to_string))
    }

    /// The value of an order's custom attribute, by attribute name.
    pub fn order_attribute(&self, id: &str, name: &str) -> Option<Value> {
        let order = self.order(id)?;
        order["attributes"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["value"].clone())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().expect("log lock").clone()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.shared.log.lock().expect("log lock").clear();
    }

    /// The most requests that were ever being handled at once.
    pub fn peak_in_flight(&self) -> usize {
        self.shared
            .limits
            .lock()
            .expect("limits lock")
            .peak_in_flight()
    }

    /// Seed a counterparty (same rules as `POST /entity/counterparty`).
    pub fn add_counterparty(&self, body: Value) -> Result<Value, ApiError> {
        self.account().create_counterparty(&body)
    }

    /// Seed a customer order for a counterparty in the first organization, in state
    /// `state` (by name, if given).
    pub fn add_order(&self, agent_id: &str, state: Option<&str>) -> Result<Value, ApiError> {
        let mut account = self.account();
        let org = account.organizations.first().cloned().unwrap_or_default();
        let agent = account.meta(&format!("entity/counterparty/{agent_id}"), "counterparty");
        let mut body = json!({"organization": {"meta": org["meta"]}, "agent": {"meta": agent}});
        if let Some(name) = state {
            let state = account
                .states
                .iter()
                .find(|s| s["name"] == name)
                .cloned()
                .ok_or_else(|| ApiError::not_found("state", name))?;
            body["state"] = json!({"meta": state["meta"]});
        }
        account.create_order(&body)
    }

    /// Move an order to the state named `name`, as a MoySklad user would (bumps `updated`).
    pub fn set_order_state(&self, id: &str, name: &str) -> Option<Value> {
        let mut account = self.account();
        let state = account.states.iter().find(|s| s["name"] == name)?.clone();
        account.touch_order(id, |order, _| {
            order["state"] = json!({"meta": state["meta"]})
        })
    }

    /// Record payments on an order (`payedSum`, kopecks; bumps `updated`).
    pub fn set_payed_sum(&self, id: &str, sum: f64) -> Option<Value> {
        self.account()
            .touch_order(id, |order, _| order["payedSum"] = json!(sum))
    }

    /// Set an order's total (`sum`, kopecks; bumps `updated`).
    pub fn set_sum(&self, id: &str, sum: f64) -> Option<Value> {
        self.account()
            .touch_order(id, |order, _| order["sum"] = json!(sum))
    }

    /// Stop the account's clock at this Moscow time (`None` lets it run again): every
    /// change while frozen is stamped with exactly this time.
    pub fn freeze_time(&self, at: Option<NaiveDateTime>) {
        self.account().frozen_now = at;
    }

    /// Answer the next request with `fault` (faults queue up, one per request).
    pub fn push_fault(&self, fault: Fault) {
        self.shared
            .faults
            .lock()
            .expect("faults lock")
            .push_back(fault);
    }
}
