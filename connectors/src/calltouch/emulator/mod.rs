//! An in-process Calltouch: the calls and requests journals and the deals API on
//! 127.0.0.1, seeded and inspected from tests, examples and the demo. Wire format, date
//! formats, pagination and error shapes follow the real API; undocumented behaviour is
//! configurable in [`CalltouchEmulatorConfig`].

mod deal_routes;
mod routes;
mod state;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::emulation::{InstrumentedServer, RateWindow};

pub use state::{CalltouchEmulatorConfig, DealRecord};

use routes::Shared;
use state::{CalltouchState, call_day, request_day};

/// A running Calltouch emulator. Dropping it stops the server.
pub struct CalltouchEmulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's.
impl Deref for CalltouchEmulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl CalltouchEmulator {
    /// Serve a fresh emulator on 127.0.0.1 with an OS-chosen port.
    pub async fn start(config: CalltouchEmulatorConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(CalltouchState::new(config)),
            rate: RateWindow::new(),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone())).await?;
        Ok(CalltouchEmulator { server, shared })
    }

    /// `http://127.0.0.1:<port>`: the connection's `base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Add a call to the calls journal, exactly as the API would return it.
    ///
    /// # Panics
    /// When the call has no numeric `callId` or no `date` in `DD/MM/YYYY HH:MM:SS` form
    /// (the journal is filtered by that date).
    pub fn add_call(&self, call: Value) {
        assert!(
            call["callId"].is_i64(),
            "a seeded call needs a numeric callId: {call}"
        );
        assert!(
            call_day(&call).is_some(),
            "a seeded call needs a `date` like 14/05/2024 10:21:05: {call}"
        );
        self.lock().calls.push(call);
    }

    /// Add a form request to the requests journal, exactly as the API would return it.
    ///
    /// # Panics
    /// When the request has no `requestId`, or neither `dateStr` (`DD/MM/YYYY HH:MM:SS`) nor
    /// `date` (Unix ms).
    pub fn add_request(&self, request: Value) {
        assert!(
            !request["requestId"].is_null(),
            "a seeded request needs a requestId: {request}"
        );
        assert!(
            request_day(&request).is_some(),
            "a seeded request needs `dateStr` or `date`: {request}"
        );
        self.lock().form_requests.push(request);
    }

    /// Every deal created so far, with its create body and updates.
    pub fn deals(&self) -> Vec<DealRecord> {
        self.lock().deal_records()
    }

    /// The deal with this `orderNumber`.
    pub fn deal(&self, order_number: &str) -> Option<DealRecord> {
        self.lock().deal_record(order_number)
    }

    /// Change the configuration of the running emulator (e.g. switch the rate limit on).
    pub fn configure(&self, change: impl FnOnce(&mut CalltouchEmulatorConfig)) {
        change(&mut self.lock().config);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CalltouchState> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
