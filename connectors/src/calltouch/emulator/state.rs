//! The Calltouch emulator's data: its configuration, the seeded calls and form requests,
//! and the deals created through the deals API with every update they received.
//!
//! Deals are looked up by `orderNumber` on every create and update, so they are indexed
//! by it; a deal keeps its create body and its updates, and its current state is derived
//! from them when read rather than stored as a third copy.

use std::collections::HashMap;

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

/// A deal as stored: what it was created with and every update since. Its current state
/// ([`DealRecord::current`]) is derived on read.
#[derive(Debug)]
struct StoredDeal {
    order_number: String,
    order_id: u64,
    crm: Option<String>,
    created: Value,
    updates: Vec<Value>,
}

impl StoredDeal {
    /// The deal as callers see it, with its current state worked out.
    fn record(&self) -> DealRecord {
        let mut current = self.created.clone();
        if let Value::Object(fields) = &mut current {
            for update in &self.updates {
                if let Value::Object(changes) = update {
                    for (key, value) in changes {
                        fields.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        DealRecord {
            order_number: self.order_number.clone(),
            order_id: self.order_id,
            crm: self.crm.clone(),
            created: self.created.clone(),
            updates: self.updates.clone(),
            current,
        }
    }
}

/// Everything the emulator stores.
#[derive(Debug)]
pub(crate) struct CalltouchState {
    pub config: CalltouchEmulatorConfig,
    pub calls: Vec<Value>,
    pub form_requests: Vec<Value>,
    deals: Vec<StoredDeal>,
    /// Position in `deals` of the deal with each `orderNumber`.
    deals_by_number: HashMap<String, usize>,
    pub next_order_id: u64,
}

impl CalltouchState {
    pub(crate) fn new(config: CalltouchEmulatorConfig) -> Self {
        CalltouchState {
            config,
            calls: Vec::new(),
            form_requests: Vec::new(),
            deals: Vec::new(),
            deals_by_number: HashMap::new(),
            next_order_id: 1,
        }
    }

    /// Calls dated within `[from, to]`, ordered by call id (stable across pages). Borrowed:
    /// a page handler copies only the calls of its page.
    pub(crate) fn calls_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<&Value> {
        let mut calls: Vec<&Value> = self
            .calls
            .iter()
            .filter(|c| call_day(c).is_some_and(|d| d >= from && d <= to))
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

    /// Whether a deal with this `orderNumber` exists.
    pub(crate) fn has_deal(&self, order_number: &str) -> bool {
        self.deals_by_number.contains_key(order_number)
    }

    /// Record an update of the deal with this `orderNumber`; its `orderId`, or `None` when
    /// there is no such deal.
    pub(crate) fn update_deal(
        &mut self,
        order_number: &str,
        update: &Map<String, Value>,
    ) -> Option<u64> {
        let index = *self.deals_by_number.get(order_number)?;
        let deal = &mut self.deals[index];
        deal.updates.push(Value::Object(update.clone()));
        Some(deal.order_id)
    }

    /// Store a created deal.
    pub(crate) fn create_deal(&mut self, crm: Option<String>, order: Value) -> u64 {
        let order_id = self.next_order_id;
        self.next_order_id += 1;
        let order_number = order["orderNumber"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The first deal with a number keeps it, as a scan in creation order would find.
        self.deals_by_number
            .entry(order_number.clone())
            .or_insert(self.deals.len());
        self.deals.push(StoredDeal {
            order_number,
            order_id,
            crm,
            created: order,
            updates: Vec::new(),
        });
        order_id
    }

    /// Every deal, in creation order.
    pub(crate) fn deal_records(&self) -> Vec<DealRecord> {
        self.deals.iter().map(StoredDeal::record).collect()
    }

    /// The deal with this `orderNumber`.
    pub(crate) fn deal_record(&self, order_number: &str) -> Option<DealRecord> {
        let index = *self.deals_by_number.get(order_number)?;
        Some(self.deals[index].record())
    }
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
