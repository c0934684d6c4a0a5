//! An in-process UniTalk API on 127.0.0.1 for tests, examples and demos: the call history
//! (`POST /api/history/get`, filtered by the `dateFrom`..`dateTo` window and
//! `filter.direction`, paged by `limit` / `offset`, oldest first) and the employee list
//! (`POST /api/users/list`), behind the `Authorization` key check, with UniTalk's
//! `{"status":"Error","message"}` answers. What the vendor documents loosely (the HTTP
//! status of error answers, the largest `limit`) is configurable. Every request is
//! recorded and failures can be injected through its [`InstrumentedServer`], which the
//! emulator derefs to.

mod records;
mod routes;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use records::HistoryCall;

use crate::emulation::InstrumentedServer;
use routes::{Account, Shared, call_date};

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct UnitalkEmulatorConfig {
    /// The only key accepted.
    pub api_key: String,
    /// Employees `(line, first name, last name)`.
    pub users: Vec<(String, String, String)>,
    /// The largest `limit` accepted.
    pub max_limit: u64,
    /// The HTTP status of the "Authorization invalid" answer.
    pub auth_error_status: u16,
    /// The HTTP status of other error answers.
    pub error_status: u16,
}

impl UnitalkEmulatorConfig {
    /// The defaults with this key.
    pub fn with_key(key: impl Into<String>) -> Self {
        UnitalkEmulatorConfig {
            api_key: key.into(),
            ..Default::default()
        }
    }
}

impl Default for UnitalkEmulatorConfig {
    fn default() -> Self {
        UnitalkEmulatorConfig {
            api_key: "TgfEmulatedUnitalkKey".into(),
            users: vec![
                ("2000".into(), "Olga".into(), "Shevchenko".into()),
                ("2001".into(), "Petro".into(), "Koval".into()),
                ("2002".into(), "Iryna".into(), "Bondar".into()),
            ],
            max_limit: 1000,
            auth_error_status: 401,
            error_status: 400,
        }
    }
}

/// A running UniTalk emulator. Dropping it stops the server.
pub struct UnitalkEmulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's; [`Self::base_url`]
/// stays its own, since the API answers under `/api`.
impl Deref for UnitalkEmulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl UnitalkEmulator {
    /// Serve a fresh account on 127.0.0.1 with an OS-chosen port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(config: UnitalkEmulatorConfig) -> Self {
        let shared = Arc::new(Shared {
            account: Mutex::new(Account {
                config,
                calls: Vec::new(),
            }),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone()))
            .await
            .expect("bind an emulator port on 127.0.0.1");
        UnitalkEmulator { server, shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Account> {
        self.shared
            .account
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// `http://127.0.0.1:<port>/api`: the connection's `base_url`.
    pub fn base_url(&self) -> String {
        format!("{}/api", self.server.base_url())
    }

    /// Add a call to the history, exactly as `history/get` will return it.
    ///
    /// # Panics
    /// When the call has no `id` or no `date` like `2024-05-14 10:31:05`.
    pub fn add_call(&self, call: Value) {
        assert!(!call["id"].is_null(), "a history call needs an id: {call}");
        assert!(
            call_date(&call).is_some(),
            "a history call needs a `date` like 2024-05-14 10:31:05: {call}"
        );
        self.lock().calls.push(call);
    }

    /// Every call in the history.
    pub fn calls(&self) -> Vec<Value> {
        self.lock().calls.clone()
    }

    /// Change the configuration of the running emulator.
    pub fn configure(&self, change: impl FnOnce(&mut UnitalkEmulatorConfig)) {
        change(&mut self.lock().config);
    }
}
