//! The Calltouch emulator's data: its configuration, the seeded calls and form requests,
//! and the deals created through the deals API with every update they received.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::emulation::EmulatedRateLimit;

/// How the emulator behaves. Points the real API leaves undocumented are settings here.
#[derive(Debug, Clone)]
pub struct CalltouchEmulatorConfig {
    /// The only site id (cabinet id) this emulator serves.
    pub site_id: String,
    /// The API token it accepts (`clientApiId` / `Access-Token`).
    pub token: String,
    /// Status for a wrong token or site (undocumented; 401 by default, 403 is the other
    /// plausible answer).
    pub auth_failure_status: u16,
    /// When set, requests over this rate get 429 with `Retry-After: 1` (Calltouch allows
    /// 5 req/s per IP; the real over-limit answer is undocumented). Off by default.
    pub rate_limit: Option<EmulatedRateLimit>,
    /// Whether creating a deal whose `orderNumber` exists is a validation error (the real
    /// behaviour is undocumented). On by default.
    pub reject_duplicate_order_number: bool,
    /// Whether the calls journal insists on `dateFrom == dateTo`, as the docs say it does
    /// by default. On by default.
    pub single_day_calls_journal: bool,
}

impl Default for CalltouchEmulatorConfig {
    fn default() -> Self {
        CalltouchEmulatorConfig {
            site_id: "12345".into(),
            token: "emulated-calltouch-token".into(),
            auth_failure_status: 401,
            rate_limit: None,
            reject_duplicate_order_number: true,
            single_day_calls_journal: true,
        }
    }
}

impl CalltouchEmulatorConfig {
    /// The defaults with this site id and token.
    pub fn new(site_id: impl Into<String>, token: impl Into<String>) -> Self {
        CalltouchEmulatorConfig {
            site_id: site_id.into(),
            token: token.into(),
            ..Default::default()
        }
    }
}

/// A deal as the emulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRecord {
    /// The deal's `orderNumber`.
    pub order_number: String,
    /// The emulator's own id for the deal (returned as `orderId`).
    pub order_id: u64,
    /// The `crm` value of the create request.
    pub crm: Option<String>,
    /// The order object exactly as the create request sent it.
    pub created: Value,
    /// Each order object of later update requests, oldest first.
    pub updates: Vec<Value>,
    /// The deal now: the created order with every update's fields applied.
    pub current: Value,
}

/// Everything the emulator stores.
#[derive(Debug)]
pub(crate) struct CalltouchState {
    pub config: CalltouchEmulatorConfig,
    pub calls: Vec<Value>,
    pub form_requests: Vec<Value>,
    pub deals: Vec<DealRecord>,
    pub next_order_id: u64,
}

impl CalltouchState {
    pub(crate) fn new(config: CalltouchEmulatorConfig) -> Self {
        CalltouchState {
            config,
            calls: Vec::new(),
            form_requests: Vec::new(),
            deals: Vec::new(),
            next_order_id: 1,
        }
    }

    /// Calls dated within `[from, to]`, ordered by call id (stable across pages).
    pub(crate) fn calls_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
        let mut calls: Vec<Value> = self
            .calls
            .iter()
            .filter(|c| call_day(c).is_some_and(|d| d >= from && d <= to))
            .cloned()
            .collect();
        calls.sort_by_key(|c| c["callId"].as_i64().unwrap_or_default());
        calls
    }

    /// Form requests dated within `[from, to]`.
    pub(crate) fn form_requests_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
        self.form_requests
            .iter()
            .filter(|r| request_day(r).is_some_and(|d| d >= from && d <= to))
            .cloned()
            .collect()
    }

    pub(crate) fn deal_mut(&mut self, order_number: &str) -> Option<&mut DealRecord> {
        self.deals
            .iter_mut()
            .find(|d| d.order_number == order_number)
    }

    /// Store a created deal.
    pub(crate) fn create_deal(&mut self, crm: Option<String>, order: Value) -> u64 {
        let order_id = self.next_order_id;
        self.next_order_id += 1;
        let order_number = order["orderNumber"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.deals.push(DealRecord {
            order_number,
            order_id,
            crm,
            current: order.clone(),
            created: order,
            updates: Vec::new(),
        });
        order_id
    }
}

/// Apply an update's fields to a deal.
pub(crate) fn apply_update(deal: &mut DealRecord, update: &Map<String, Value>) {
    if let Value::Object(current) = &mut deal.current {
        for (key, value) in update {
            current.insert(key.clone(), value.clone());
        }
    }
    deal.updates.push(Value::Object(update.clone()));
}

/// The day of a call's `date` (`DD/MM/YYYY HH:MM:SS`).
pub(crate) fn call_day(call: &Value) -> Option<NaiveDate> {
    let date = call.get("date")?.as_str()?;
    NaiveDate::parse_from_str(date.get(..10)?, "%d/%m/%Y").ok()
}

/// The day of a form request: its `dateStr` (`DD/MM/YYYY HH:MM:SS`), else its `date`
/// (Unix ms) read in Moscow time.
pub(crate) fn request_day(request: &Value) -> Option<NaiveDate> {
    if let Some(text) = request.get("dateStr").and_then(Value::as_str) {
        return NaiveDate::parse_from_str(text.get(..10)?, "%d/%m/%Y").ok();
    }
    let millis = request.get("date")?.as_i64()?;
    let at = chrono::DateTime::from_timestamp_millis(millis)?;
    Some(
        at.with_timezone(&chrono::FixedOffset::east_opt(3 * 3600)?)
            .date_naive(),
    )
}
