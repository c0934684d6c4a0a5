//! An in-process retailCRM (API v5) on 127.0.0.1: customers, orders and the order history,
//! seeded and inspected from tests, examples and the demo. Paths, form-encoded writes,
//! filters, pagination limits, the key check and error bodies follow the real API;
//! undocumented behaviour is configurable in [`RetailCrmEmulatorConfig`].

mod config;
mod customer_routes;
mod indexes;
mod order_routes;
mod routes;
mod state;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use crate::emulation::{InstrumentedServer, RateWindow};

pub use config::RetailCrmEmulatorConfig;

use routes::Shared;
use state::RetailCrmState;

/// A running retailCRM emulator. Dropping it stops the server.
pub struct RetailCrmEmulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's.
impl Deref for RetailCrmEmulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl RetailCrmEmulator {
    /// Serve a fresh, empty account on 127.0.0.1 with an OS-chosen port.
    pub async fn start(config: RetailCrmEmulatorConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(RetailCrmState::new(config)),
            rate: RateWindow::new(),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone())).await?;
        Ok(RetailCrmEmulator { server, shared })
    }

    /// `http://127.0.0.1:<port>`: the connection's `url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Every customer, in creation order, as the API returns them.
    pub fn customers(&self) -> Vec<Value> {
        self.lock().customers.clone()
    }

    /// Every order, in creation order, as the API returns them.
    pub fn orders(&self) -> Vec<Value> {
        self.lock().orders.clone()
    }

    /// The order history, oldest first.
    pub fn history(&self) -> Vec<Value> {
        let state = self.lock();
        (0..state.history.len())
            .map(|position| state.history_record(position))
            .collect()
    }

    /// The order with this id.
    pub fn order(&self, id: i64) -> Option<Value> {
        let state = self.lock();
        state
            .order_index(&id.to_string(), "id", None)
            .map(|position| state.orders[position].clone())
    }

    /// Seed a customer (API field names; `site` defaults to the first configured site).
    ///
    /// # Panics
    /// When the customer is not an object or fails the API's own validation.
    pub fn add_customer(&self, customer: Value) -> i64 {
        let (fields, site) = self.seed_parts(customer);
        self.lock()
            .create_customer(fields, site)
            .unwrap_or_else(|e| panic!("seed customer rejected: {:?}", e.body()))
    }

    /// Seed an order (API field names; `site` defaults to the first configured site). Like
    /// an order created through the API, it gets a creation record in the history.
    ///
    /// # Panics
    /// When the order is not an object or fails the API's own validation.
    pub fn add_order(&self, order: Value) -> i64 {
        let (fields, site) = self.seed_parts(order);
        let order = self
            .lock()
            .create_order(fields, site)
            .unwrap_or_else(|e| panic!("seed order rejected: {:?}", e.body()));
        order["id"].as_i64().expect("orders have ids")
    }

    /// Change an order's status as a user in the retailCRM interface would; the change is
    /// appended to the history. Returns the history record's id.
    ///
    /// # Panics
    /// When the order does not exist or the status code is not configured.
    pub fn set_order_status(&self, order_id: i64, code: &str) -> i64 {
        self.edit_order_as_user(order_id, "status", Value::String(code.to_string()))
    }

    /// Change any order field as a user would (e.g. `managerComment`); the change is
    /// appended to the history. Returns the last history record's id.
    ///
    /// # Panics
    /// When the order does not exist or the change fails validation.
    pub fn edit_order_as_user(&self, order_id: i64, field: &str, value: Value) -> i64 {
        let mut state = self.lock();
        let index = state
            .order_index(&order_id.to_string(), "id", None)
            .unwrap_or_else(|| panic!("no order {order_id}"));
        let mut changes = Map::new();
        changes.insert(field.to_string(), value);
        state
            .edit_order(index, changes, "user")
            .unwrap_or_else(|e| panic!("order edit rejected: {:?}", e.body()));
        state
            .history
            .last()
            .and_then(|h| h["id"].as_i64())
            .expect("history has records")
    }

    /// Fix the account clock (`createdAt` stamps, `filter[startDate]` comparisons); by
    /// default it follows real time in Moscow.
    pub fn set_clock(&self, now: NaiveDateTime) {
        self.lock().clock = Some(now);
    }

    /// Change the configuration of the running emulator (e.g. switch the rate limit on).
    pub fn configure(&self, change: impl FnOnce(&mut RetailCrmEmulatorConfig)) {
        change(&mut self.lock().config);
    }

    fn seed_parts(&self, entity: Value) -> (Map<String, Value>, String) {
        let Value::Object(mut fields) = entity else {
            panic!("seed entities must be JSON objects")
        };
        let site = match fields.remove("site") {
            Some(Value::String(site)) => site,
            _ => self
                .lock()
                .config
                .sites
                .first()
                .cloned()
                .expect("at least one site is configured"),
        };
        (fields, site)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RetailCrmState> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
