//! An in-process amoCRM (API v4) on 127.0.0.1 for tests, examples and demos.
//!
//! It speaks the real wire format: `/api/v4/...` paths, `Authorization: Bearer` checked
//! with a problem+json 401, the OAuth2 token endpoint `/oauth2/access_token` with
//! rotating refresh tokens and access tokens a test can expire ([`oauth`]), HAL answers
//! (`application/hal+json`, `_embedded`, `_links`),
//! `query` search answering **204 with an empty body** when nothing matches, JSON arrays
//! on create with `request_id` echoed, PATCH updates, problem+json `validation-errors`
//! (unknown custom field ids or codes, statuses outside the pipeline, unknown users,
//! links to missing records), `page`/`limit` ≤ 250 with `_links.next`, and unix
//! `created_at`/`updated_at` from a clock tests can set. Its 7-per-second limit (429 with
//! a non-JSON body) is off unless the config turns it on. Every request is recorded and
//! failures can be injected through its [`InstrumentedServer`], which the emulator derefs to.

mod activities;
pub mod oauth;
mod problem;
mod routes;
mod state;
mod validate;
mod writes;

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use serde_json::{Value, json};

pub use oauth::EmulatedOAuthClient;
pub use problem::{FieldError, Problem};
pub use state::{LOST, WON};

use crate::emulation::{EmulatedRateLimit, InstrumentedServer, RateWindow};
use oauth::TokenState;
use routes::Shared;
use state::{Account, entity_type};

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct AmoCrmEmulatorConfig {
    /// The only token accepted (`Authorization: Bearer <token>`).
    pub token: String,
    /// The account's subdomain (shown by `GET /api/v4/account`).
    pub subdomain: String,
    /// Users `(id, name)`; the first owns the token.
    pub users: Vec<(i64, String)>,
    /// Task type ids that exist (1 call and 2 meeting by default).
    pub task_types: Vec<i64>,
    /// When set, requests over this rate get 429 with a non-JSON body. Off by default
    /// so other tests never depend on timing.
    pub rate_limit: Option<EmulatedRateLimit>,
    /// When set, the account has this OAuth2 integration: `token` is its access token and
    /// `/oauth2/access_token` refreshes it. Without it `token` is a long-lived token.
    pub oauth: Option<EmulatedOAuthClient>,
}

impl AmoCrmEmulatorConfig {
    /// amoCRM's documented limit: 7 requests per second.
    pub const AMOCRM_LIMIT: EmulatedRateLimit = EmulatedRateLimit {
        requests: 7,
        per: Duration::from_secs(1),
    };

    /// The defaults with this token.
    pub fn with_token(token: impl Into<String>) -> Self {
        AmoCrmEmulatorConfig {
            token: token.into(),
            ..Default::default()
        }
    }

    /// The defaults with an OAuth2 integration ([`EmulatedOAuthClient::default`]).
    pub fn with_oauth() -> Self {
        AmoCrmEmulatorConfig {
            oauth: Some(EmulatedOAuthClient::default()),
            ..Default::default()
        }
    }
}

impl Default for AmoCrmEmulatorConfig {
    fn default() -> Self {
        AmoCrmEmulatorConfig {
            token: "amocrm-emulated-token-3c9f1a".into(),
            subdomain: "example".into(),
            users: vec![
                (5_000_001, "Администратор".into()),
                (5_000_002, "Менеджер".into()),
            ],
            task_types: vec![1, 2],
            rate_limit: None,
            oauth: None,
        }
    }
}

/// A running amoCRM emulator. Dropping it stops the server.
pub struct AmoCrmEmulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's.
impl Deref for AmoCrmEmulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl AmoCrmEmulator {
    /// Serve a fresh account on 127.0.0.1 with an OS-chosen port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(config: AmoCrmEmulatorConfig) -> Self {
        let shared = Arc::new(Shared {
            tokens: Mutex::new(TokenState::new(config.oauth.clone())),
            account: Mutex::new(Account::new(config)),
            rate: RateWindow::new(),
            arrivals: Mutex::new(Vec::new()),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone()))
            .await
            .expect("bind an emulator port on 127.0.0.1");
        // Links hold the base URL, known only once the port is bound; no request can
        // arrive before `start` returns.
        let base = server.base_url();
        {
            let mut account = shared.account.lock().unwrap_or_else(|p| p.into_inner());
            account.base = base.clone();
            fix_links(&mut account.pipelines, &base);
            for fields in account.fields.values_mut() {
                fix_links(fields, &base);
            }
        }
        AmoCrmEmulator { server, shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Account> {
        self.shared
            .account
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// `http://127.0.0.1:<port>`: the connection's `base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The accepted token.
    pub fn token(&self) -> String {
        self.lock().config.token.clone()
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, TokenState> {
        self.shared.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Expire the current access token: every API request with it gets 401 until a
    /// refresh (or [`AmoCrmEmulator::authorize_again`]) issues a new one.
    pub fn expire_access_token(&self) {
        self.tokens().expired = true;
    }

    /// The refresh token that works now (each works once), when OAuth2 is on.
    pub fn refresh_token(&self) -> Option<String> {
        self.tokens().refresh_token.clone()
    }

    /// Revoke the grant: the current refresh token stops working, so a refresh is refused
    /// with "Token has been revoked" until the integration is authorized again.
    pub fn revoke_refresh_token(&self) {
        self.tokens().refresh_token = None;
    }

    /// Authorize the integration again (what an administrator does in amoCRM after a
    /// revoked grant): a new access and refresh token pair replaces the current one.
    /// Returns `(access_token, refresh_token)`.
    pub fn authorize_again(&self) -> (String, String) {
        let (access, refresh) = self.tokens().issue();
        self.lock().config.token = access.clone();
        (access, refresh)
    }

    /// Requests to the token endpoint so far.
    pub fn token_requests(&self) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == oauth::TOKEN_PATH)
            .count()
    }

    /// When each request that was not faulted arrived (tokio time), oldest first.
    pub fn arrivals(&self) -> Vec<tokio::time::Instant> {
        self.shared
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Change the configuration of the running emulator (e.g. switch the rate limit on).
    pub fn configure(&self, change: impl FnOnce(&mut AmoCrmEmulatorConfig)) {
        change(&mut self.lock().config);
    }

    /// Stop the clock at this unix time: every record created or changed from now on is
    /// stamped with it.
    pub fn set_clock(&self, unix_seconds: i64) {
        self.lock().clock = Some(unix_seconds);
    }

    /// Move the stopped clock forward (starting from the wall clock when it runs).
    pub fn advance_clock(&self, seconds: i64) {
        let mut account = self.lock();
        let now = account.now();
        account.clock = Some(now + seconds);
    }

    /// The emulator's "now", unix seconds.
    pub fn now(&self) -> i64 {
        self.lock().now()
    }

    /// Every contact, as stored (leads are linked from the lead side).
    pub fn contacts(&self) -> Vec<Value> {
        self.lock().contacts.clone()
    }

    /// Every company.
    pub fn companies(&self) -> Vec<Value> {
        self.lock().companies.clone()
    }

    /// Every lead, with `_embedded.contacts`.
    pub fn leads(&self) -> Vec<Value> {
        self.lock().leads.clone()
    }

    /// Every task.
    pub fn tasks(&self) -> Vec<Value> {
        self.lock().tasks.clone()
    }

    /// Every note (with `entity_type` and `entity_id`).
    pub fn notes(&self) -> Vec<Value> {
        self.lock().notes.clone()
    }

    /// The custom fields of `entity` (`leads`, `contacts`, `companies`).
    pub fn custom_fields(&self, entity: &str) -> Vec<Value> {
        self.lock().fields.get(entity).cloned().unwrap_or_default()
    }

    /// Pipelines with their statuses.
    pub fn pipelines(&self) -> Vec<Value> {
        self.lock().pipelines.clone()
    }

    /// The main pipeline's id.
    pub fn main_pipeline_id(&self) -> i64 {
        self.lock().main_pipeline()
    }

    /// The id of the status named `name` in a pipeline.
    pub fn status_id(&self, pipeline_id: i64, name: &str) -> Option<i64> {
        self.lock()
            .statuses(pipeline_id)?
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["id"].as_i64())
    }

    /// Add a pipeline with these working stages (plus "Неразобранное", 142 and 143);
    /// returns its id.
    pub fn add_pipeline(&self, name: &str, stages: &[&str]) -> i64 {
        self.lock().add_pipeline(name, stages)["id"]
            .as_i64()
            .unwrap_or_default()
    }

    /// Add a custom field (`{"name","type","code"?,"enums"?:[{"value"}]}`); returns its id.
    ///
    /// # Panics
    /// When `entity` is not leads, contacts or companies.
    pub fn add_custom_field(&self, entity: &str, field: Value) -> i64 {
        let entity = entity_type(entity).expect("leads, contacts or companies");
        self.lock().add_field(entity, field)["id"]
            .as_i64()
            .unwrap_or_default()
    }

    fn seed(&self, entity: &'static str, body: Value) -> i64 {
        let bytes = Bytes::from(json!([body]).to_string());
        let mut account = self.lock();
        if let Err(problem) = writes::create(&mut account, entity, &bytes) {
            panic!("seed {entity} rejected: {}", problem.body());
        }
        account
            .records(entity)
            .last()
            .and_then(|r| r["id"].as_i64())
            .unwrap_or_default()
    }

    /// Seed a contact (an API body, e.g. with `custom_fields_values`); returns its id.
    ///
    /// # Panics
    /// When the body fails the API's own validation.
    pub fn add_contact(&self, contact: Value) -> i64 {
        self.seed("contacts", contact)
    }

    /// Seed a company; returns its id.
    ///
    /// # Panics
    /// When the body fails the API's own validation.
    pub fn add_company(&self, company: Value) -> i64 {
        self.seed("companies", company)
    }

    /// Seed a lead (`pipeline_id`, `status_id`, `_embedded.contacts`, ...); returns its id.
    ///
    /// # Panics
    /// When the body fails the API's own validation.
    pub fn add_lead(&self, lead: Value) -> i64 {
        self.seed("leads", lead)
    }

    /// Seed a contact with a WORK phone and/or e-mail; returns its id.
    pub fn add_contact_with(&self, name: &str, phone: Option<&str>, email: Option<&str>) -> i64 {
        let mut fields = Vec::new();
        if let Some(phone) = phone {
            fields.push(
                json!({"field_code": "PHONE", "values": [{"value": phone, "enum_code": "WORK"}]}),
            );
        }
        if let Some(email) = email {
            fields.push(
                json!({"field_code": "EMAIL", "values": [{"value": email, "enum_code": "WORK"}]}),
            );
        }
        self.add_contact(json!({"name": name, "custom_fields_values": fields}))
    }

    /// One contact.
    pub fn contact(&self, id: i64) -> Option<Value> {
        self.lock().find("contacts", id).cloned()
    }

    /// One lead.
    pub fn lead(&self, id: i64) -> Option<Value> {
        self.lock().find("leads", id).cloned()
    }
}

/// Rewrite `_links.self.href` of seeded objects onto the bound address.
fn fix_links(items: &mut [Value], base: &str) {
    for item in items {
        if let Some(href) = item.pointer_mut("/_links/self/href")
            && let Some(text) = href.as_str()
        {
            *href = json!(format!("{base}{text}"));
        }
    }
}
