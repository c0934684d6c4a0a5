//! An in-process Bitrix24 portal on 127.0.0.1 for tests, examples and demos.
//!
//! It speaks the real wire format of incoming webhooks: `/rest/{user_id}/{code}/{method}`
//! with or without `.json`, GET query strings, form and JSON bodies (PHP bracket notation
//! included), `{"result": .., "time": ..}` replies, values as strings (`"ID":"37"`),
//! multi-fields with their own ids, `start` / `next` / `total` pagination with 50 records a
//! page, `filter` prefix operators, deal pipelines with stage semantics, duplicate search,
//! and the error bodies `{"error","error_description"}` (401 `NO_AUTH_FOUND` for a wrong
//! code, 400 `Not found`, 404 `ERROR_METHOD_NOT_FOUND`). The leaky bucket (503
//! `QUERY_LIMIT_EXCEEDED`) is off unless the config turns it on. Every request is recorded
//! and failures can be injected ([`crate::emulation`]).

mod api_error;
mod bucket;
mod config;
mod entities;
mod listing;
mod params;
mod routes;
mod state;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value, json};

pub use api_error::ApiError;
pub use bucket::LeakyBucket;
pub use config::{
    Bitrix24EmulatorConfig, DealCategory, DealStage, EmptyDuplicates, StageSemantics,
};
pub use listing::PAGE_SIZE;

use crate::emulation::InstrumentedServer;
use bucket::BucketLevel;
use routes::Shared;
use state::{EntityKind, HIDDEN_CONTACT_IDS, Portal};

/// A running Bitrix24 emulator. Dropping it stops the server.
pub struct Bitrix24Emulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's.
impl Deref for Bitrix24Emulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl Bitrix24Emulator {
    /// Serve an empty portal on 127.0.0.1 with an OS-chosen port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(config: Bitrix24EmulatorConfig) -> Self {
        let shared = Arc::new(Shared {
            portal: Mutex::new(Portal::new(config)),
            bucket: Mutex::new(BucketLevel::default()),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone()))
            .await
            .expect("bind an emulator port on 127.0.0.1");
        Bitrix24Emulator { server, shared }
    }

    fn portal(&self) -> std::sync::MutexGuard<'_, Portal> {
        self.shared.portal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The accepted webhook address, `http://127.0.0.1:<port>/rest/<user>/<code>/`: the
    /// connection's `webhook_url`.
    pub fn webhook_url(&self) -> String {
        let portal = self.portal();
        format!(
            "{}/rest/{}/{}/",
            self.base_url(),
            portal.config.user_id,
            portal.config.code
        )
    }

    /// The accepted webhook code.
    pub fn code(&self) -> String {
        self.portal().config.code.clone()
    }

    /// Every lead as `crm.lead.get` returns it, in creation order.
    pub fn leads(&self) -> Vec<Value> {
        self.records(EntityKind::Lead)
    }

    /// Every contact as `crm.contact.get` returns it, in creation order.
    pub fn contacts(&self) -> Vec<Value> {
        self.records(EntityKind::Contact)
    }

    /// Every deal as `crm.deal.get` returns it, plus `CONTACT_IDS` (all bound contacts).
    pub fn deals(&self) -> Vec<Value> {
        self.records(EntityKind::Deal)
    }

    /// One lead.
    pub fn lead(&self, id: u64) -> Option<Value> {
        self.record(EntityKind::Lead, id)
    }

    /// One contact.
    pub fn contact(&self, id: u64) -> Option<Value> {
        self.record(EntityKind::Contact, id)
    }

    /// One deal (with `CONTACT_IDS`).
    pub fn deal(&self, id: u64) -> Option<Value> {
        self.record(EntityKind::Deal, id)
    }

    fn records(&self, kind: EntityKind) -> Vec<Value> {
        self.portal()
            .records(kind)
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    fn record(&self, kind: EntityKind, id: u64) -> Option<Value> {
        self.portal()
            .records(kind)
            .iter()
            .find(|r| state::parse_id(r.get("ID")) == Some(id))
            .cloned()
            .map(Value::Object)
    }

    fn seed(&self, kind: EntityKind, fields: Value) -> u64 {
        let mut params = Map::new();
        params.insert("fields".into(), fields);
        self.portal()
            .add(kind, &params)
            .unwrap_or_else(|e| panic!("seed rejected: {:?}", e.body()))
    }

    /// Seed a lead with Bitrix24 field names (same rules as `crm.lead.add`).
    ///
    /// # Panics
    /// When the portal refuses the fields (e.g. an unknown status).
    pub fn add_lead(&self, fields: Value) -> u64 {
        self.seed(EntityKind::Lead, fields)
    }

    /// Seed a contact with Bitrix24 field names (`PHONE` / `EMAIL` as multi-fields).
    ///
    /// # Panics
    /// When the portal refuses the fields.
    pub fn add_contact(&self, fields: Value) -> u64 {
        self.seed(EntityKind::Contact, fields)
    }

    /// Seed a deal (`CATEGORY_ID`, `STAGE_ID`, `CONTACT_IDS`, ...); its semantics and
    /// `CLOSED` follow from the stage, as in the real portal.
    ///
    /// # Panics
    /// When the pipeline or stage does not exist.
    pub fn add_deal(&self, fields: Value) -> u64 {
        self.seed(EntityKind::Deal, fields)
    }

    /// A seeded deal of `contact_id` in `stage_id` of pipeline `category_id`.
    pub fn add_contact_deal(&self, contact_id: u64, category_id: u64, stage_id: &str) -> u64 {
        self.add_deal(
            json!({"TITLE": format!("Сделка контакта {contact_id}"), "CATEGORY_ID": category_id,
                             "STAGE_ID": stage_id, "CONTACT_IDS": [contact_id]}),
        )
    }

    /// Move a deal to another stage of its pipeline, as a user would.
    ///
    /// # Panics
    /// When the deal or the stage does not exist.
    pub fn set_deal_stage(&self, id: u64, stage_id: &str) {
        let params = json!({"id": id, "fields": {"STAGE_ID": stage_id}});
        self.portal()
            .update(EntityKind::Deal, params.as_object().expect("object"))
            .unwrap_or_else(|e| panic!("stage change rejected: {:?}", e.body()));
    }

    /// The leaky bucket's level in requests right after the last admitted request (0 while
    /// the bucket is off).
    pub fn bucket_level(&self) -> u32 {
        self.shared
            .bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .requests()
    }

    /// Fix the portal's clock (`DATE_CREATE`, `DATE_MODIFY`); `None` follows real time.
    pub fn set_clock(&self, now: Option<DateTime<FixedOffset>>) {
        self.portal().clock = now;
    }

    /// Change the configuration of the running emulator (e.g. switch the bucket on).
    pub fn configure(&self, change: impl FnOnce(&mut Bitrix24EmulatorConfig)) {
        change(&mut self.portal().config);
    }
}

/// Where a deal's bound contacts are kept in [`Bitrix24Emulator::deals`].
pub const DEAL_CONTACT_IDS: &str = HIDDEN_CONTACT_IDS;
