//! The retailCRM emulator's data and rules: customers, orders and the order history with
//! their ids, the validation the real API applies, and its error shape.
//!
//! Customers and orders are kept in creation order and indexed ([`super::indexes`]) by id,
//! `externalId` and phone. An order's creation record in the history carries the whole
//! order as it was created; while the order is unchanged that is the stored order itself,
//! so the record keeps only a placeholder and is filled in when read (the copy is made
//! when the order is first edited). Creating and editing orders lives in `orders`; this
//! module keeps the store, its lookups, the customers and the checks both share.

mod orders;

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

use super::config::{ApiError, RetailCrmEmulatorConfig};
use super::indexes::{EntityIndex, PhoneIndex};

/// Everything the emulator stores.
#[derive(Debug)]
pub(crate) struct RetailCrmState {
    pub config: RetailCrmEmulatorConfig,
    pub customers: Vec<Value>,
    pub orders: Vec<Value>,
    pub history: Vec<Value>,
    /// A fixed account clock, when a test sets one.
    pub clock: Option<NaiveDateTime>,
    customers_by_key: EntityIndex,
    customers_by_phone: PhoneIndex,
    orders_by_key: EntityIndex,
    /// Creation records whose `order` is the stored order as it is now: history position
    /// by order position, and back.
    unchanged_since_creation: HashMap<usize, usize>,
    creation_record_orders: HashMap<usize, usize>,
    next_customer_id: i64,
    next_order_id: i64,
    next_history_id: i64,
}

/// The account time zone the emulator stamps dates in (Moscow).
fn account_offset() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("valid offset")
}

impl RetailCrmState {
    pub(crate) fn new(config: RetailCrmEmulatorConfig) -> Self {
        RetailCrmState {
            config,
            customers: Vec::new(),
            orders: Vec::new(),
            history: Vec::new(),
            clock: None,
            customers_by_key: EntityIndex::default(),
            customers_by_phone: PhoneIndex::default(),
            orders_by_key: EntityIndex::default(),
            unchanged_since_creation: HashMap::new(),
            creation_record_orders: HashMap::new(),
            next_customer_id: 1,
            next_order_id: 1,
            next_history_id: 1,
        }
    }

    /// `YYYY-MM-DD HH:MM:SS`, account time.
    pub(crate) fn now_text(&self) -> String {
        let now = self
            .clock
            .unwrap_or_else(|| Utc::now().with_timezone(&account_offset()).naive_local());
        now.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    pub(crate) fn check_site(&self, site: Option<&str>) -> Result<String, ApiError> {
        let site = site
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(400, "Parameter 'site' is missing"))?;
        if self.config.sites.iter().any(|s| s == site) {
            Ok(site.to_string())
        } else {
            Err(ApiError::parameter(
                "site",
                &format!("Site with code \"{site}\" not found"),
            ))
        }
    }

    /// The first customer whose `id` or `externalId` (`by`) is `key`, on `site` if given.
    pub(crate) fn customer_index(&self, key: &str, by: &str, site: Option<&str>) -> Option<usize> {
        self.customers_by_key.find(&self.customers, key, by, site)
    }

    /// The first order whose `id` or `externalId` (`by`) is `key`, on `site` if given.
    pub(crate) fn order_index(&self, key: &str, by: &str, site: Option<&str>) -> Option<usize> {
        self.orders_by_key.find(&self.orders, key, by, site)
    }

    /// Positions of the customers that may have a phone containing `needle_digits`, in
    /// creation order; `None` when only a scan of every customer can tell.
    pub(crate) fn phone_candidates(&self, needle_digits: &str) -> Option<&[usize]> {
        self.customers_by_phone.candidates(needle_digits)
    }

    /// History record `position` as the API returns it.
    pub(crate) fn history_record(&self, position: usize) -> Value {
        let mut record = self.history[position].clone();
        if let Some(order) = self.creation_record_orders.get(&position) {
            record["order"] = self.orders[*order].clone();
        }
        record
    }

    /// Validate and store a new customer; its id.
    pub(crate) fn create_customer(
        &mut self,
        mut customer: Map<String, Value>,
        site: String,
    ) -> Result<i64, ApiError> {
        check_email(&customer)?;
        if let Some(external_id) = customer.get("externalId").and_then(Value::as_str)
            && self
                .customer_index(external_id, "externalId", Some(&site))
                .is_some()
        {
            return Err(ApiError::entity(
                "externalId",
                &format!("Customer with externalId \"{external_id}\" already exists."),
            ));
        }
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        customer.insert("id".into(), json!(id));
        customer.insert("site".into(), json!(site));
        customer.insert("createdAt".into(), json!(self.now_text()));
        let customer = Value::Object(customer);
        let position = self.customers.len();
        self.customers_by_key.add(position, &customer);
        self.customers_by_phone.add(position, &customer);
        self.customers.push(customer);
        Ok(id)
    }

    /// Apply an edit to customer `index`; its id.
    pub(crate) fn edit_customer(
        &mut self,
        index: usize,
        changes: Map<String, Value>,
    ) -> Result<i64, ApiError> {
        check_email(&changes)?;
        self.customers_by_key
            .remove_external_id(index, &self.customers[index]);
        self.customers_by_phone
            .remove(index, &self.customers[index]);
        let customer = self.customers[index]
            .as_object_mut()
            .expect("customers are objects");
        for (key, value) in changes {
            if key != "id" && key != "site" {
                customer.insert(key, value);
            }
        }
        let id = customer["id"].as_i64().expect("customers have ids");
        self.customers_by_key.add(index, &self.customers[index]);
        self.customers_by_phone.add(index, &self.customers[index]);
        Ok(id)
    }
}

fn check_email(entity: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(email) = entity.get("email") {
        let valid = email.as_str().is_some_and(|e| {
            let (user, domain) = e.split_once('@').unwrap_or_default();
            !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
        });
        if !valid {
            return Err(ApiError::entity(
                "email",
                "This value is not a valid email address.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> RetailCrmState {
        RetailCrmState::new(RetailCrmEmulatorConfig::default())
    }

    #[test]
    fn validation_errors_have_the_real_shape() {
        let mut s = state();
        let mut customer = Map::new();
        customer.insert("email".into(), json!("not-an-email"));
        let error = s.create_customer(customer, "main".into()).unwrap_err();
        assert_eq!(
            error.body(),
            json!({"success": false, "errorMsg": "Errors in the entity format",
                "errors": {"email": "This value is not a valid email address."}})
        );
    }
}
