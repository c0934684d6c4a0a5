//! The retailCRM emulator's data and rules: customers, orders and the order history with
//! their ids, the validation the real API applies, and its error shape.
//!
//! Customers and orders are kept in creation order and indexed ([`super::indexes`]) by id,
//! `externalId` and phone. An order's creation record in the history carries the whole
//! order as it was created; while the order is unchanged that is the stored order itself,
//! so the record keeps only a placeholder and is filled in when read (the copy is made
//! when the order is first edited).

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

    /// Validate and store a new order; the stored order.
    pub(crate) fn create_order(
        &mut self,
        mut order: Map<String, Value>,
        site: String,
    ) -> Result<Value, ApiError> {
        self.check_order_fields(&order)?;
        if let Some(external_id) = order.get("externalId").and_then(Value::as_str)
            && self
                .order_index(external_id, "externalId", Some(&site))
                .is_some()
        {
            return Err(ApiError::entity(
                "externalId",
                &format!("Order with externalId \"{external_id}\" already exists."),
            ));
        }
        let customer = self.resolve_customer(order.get("customer"), &site)?;
        let id = self.next_order_id;
        self.next_order_id += 1;
        let now = self.now_text();
        order.insert("id".into(), json!(id));
        order
            .entry("number")
            .or_insert_with(|| json!(format!("{id}A")));
        order.insert("site".into(), json!(site));
        order.entry("status").or_insert_with(|| json!("new"));
        order.insert("createdAt".into(), json!(now));
        order.insert("statusUpdatedAt".into(), json!(now));
        if let Some(customer) = customer {
            order.insert("customer".into(), customer);
        }
        compute_totals(&mut order);
        let order = Value::Object(order);
        let position = self.orders.len();
        self.orders_by_key.add(position, &order);
        self.orders.push(order.clone());
        let status = order["status"].clone();
        // `order` is filled in when the record is read (see `history_record`).
        let record = self.append_history(
            json!({"created": true, "source": "api", "field": "status", "oldValue": null,
            "newValue": {"code": status}, "order": null}),
        );
        self.unchanged_since_creation.insert(position, record);
        self.creation_record_orders.insert(record, position);
        Ok(order)
    }

    /// Apply an edit to order `index` (history gets one record per changed field); the order.
    pub(crate) fn edit_order(
        &mut self,
        index: usize,
        changes: Map<String, Value>,
        source: &str,
    ) -> Result<Value, ApiError> {
        self.check_order_fields(&changes)?;
        let site = self.orders[index]["site"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let customer = self.resolve_customer(changes.get("customer"), &site)?;
        // The creation record keeps the order as it was created.
        if let Some(record) = self.unchanged_since_creation.remove(&index) {
            self.creation_record_orders.remove(&record);
            self.history[record]["order"] = self.orders[index].clone();
        }
        self.orders_by_key
            .remove_external_id(index, &self.orders[index]);
        let now = self.now_text();
        let mut records = Vec::new();
        let order = self.orders[index]
            .as_object_mut()
            .expect("orders are objects");
        for (key, mut value) in changes {
            if matches!(key.as_str(), "id" | "site" | "createdAt") {
                continue;
            }
            if key == "customer"
                && let Some(resolved) = &customer
            {
                value = resolved.clone();
            }
            let old = order.get(&key).cloned().unwrap_or(Value::Null);
            if old == value {
                continue;
            }
            if key == "status" {
                order.insert("statusUpdatedAt".into(), json!(now));
                records.push((
                    "status".to_string(),
                    json!({"code": old}),
                    json!({"code": value}),
                ));
            } else {
                records.push((snake_case(&key), old, value.clone()));
            }
            order.insert(key, value);
        }
        compute_totals(order);
        let order = Value::Object(order.clone());
        self.orders_by_key.add(index, &order);
        for (field, old, new) in records {
            let old = if old == json!({"code": null}) {
                Value::Null
            } else {
                old
            };
            self.append_history(
                json!({"created": false, "source": source, "field": field, "oldValue": old,
                "newValue": new, "order": history_order(&order)}),
            );
        }
        Ok(order)
    }

    /// Store a history record with the next id; its position in `history`.
    fn append_history(&mut self, mut record: Value) -> usize {
        let id = self.next_history_id;
        self.next_history_id += 1;
        record["id"] = json!(id);
        record["createdAt"] = json!(self.now_text());
        record["deleted"] = json!(false);
        self.history.push(record);
        self.history.len() - 1
    }

    fn check_order_fields(&self, order: &Map<String, Value>) -> Result<(), ApiError> {
        check_email(order)?;
        if let Some(status) = order.get("status") {
            let known = status
                .as_str()
                .is_some_and(|s| self.config.statuses.iter().any(|k| k == s));
            if !known {
                return Err(ApiError::entity(
                    "status",
                    &format!(
                        "Status \"{}\" does not exist.",
                        status.as_str().unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `customer: {id}` or `{externalId}` → the stored customer's reference fields.
    fn resolve_customer(
        &self,
        reference: Option<&Value>,
        site: &str,
    ) -> Result<Option<Value>, ApiError> {
        let Some(reference) = reference else {
            return Ok(None);
        };
        let index = if let Some(id) = reference.get("id").and_then(Value::as_i64) {
            self.customer_index(&id.to_string(), "id", None)
        } else if let Some(external_id) = reference.get("externalId").and_then(Value::as_str) {
            self.customer_index(external_id, "externalId", Some(site))
        } else {
            return Err(ApiError::entity(
                "customer",
                "Customer reference needs id or externalId.",
            ));
        };
        let customer = index.map(|i| &self.customers[i]).ok_or_else(|| {
            ApiError::entity("customer", &format!("Customer {reference} not found."))
        })?;
        Ok(Some(
            json!({"id": customer["id"], "externalId": customer.get("externalId").cloned().unwrap_or(Value::Null),
            "type": "customer"}),
        ))
    }
}

/// What history records carry for an existing order (a short object, not the full order).
fn history_order(order: &Value) -> Value {
    json!({"id": order["id"], "externalId": order.get("externalId").cloned().unwrap_or(Value::Null),
        "number": order["number"], "site": order["site"], "status": order["status"]})
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

/// `summ` (items), `totalSumm` (items − manual discount + delivery), as retailCRM derives
/// them; orders without items keep a `totalSumm` they were seeded with.
fn compute_totals(order: &mut Map<String, Value>) {
    let Some(items) = order.get("items").and_then(Value::as_array) else {
        order.entry("summ").or_insert(json!(0));
        order.entry("totalSumm").or_insert(json!(0));
        return;
    };
    let summ: f64 = items
        .iter()
        .map(|i| i["initialPrice"].as_f64().unwrap_or(0.0) * i["quantity"].as_f64().unwrap_or(1.0))
        .sum();
    let discount = order
        .get("discountManualAmount")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let delivery = order
        .get("delivery")
        .and_then(|d| d.get("cost"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    order.insert("summ".into(), json!(summ));
    order.insert("totalSumm".into(), json!(summ - discount + delivery));
}

/// `managerComment` → `manager_comment` (history field names are snake case).
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> RetailCrmState {
        RetailCrmState::new(RetailCrmEmulatorConfig::default())
    }

    #[test]
    fn status_edits_append_status_history_and_other_edits_their_own_field() {
        let mut s = state();
        let order = s.create_order(Map::new(), "main".into()).unwrap();
        let index = s.order_index(&order["id"].to_string(), "id", None).unwrap();
        let mut changes = Map::new();
        changes.insert("status".into(), json!("complete"));
        changes.insert("managerComment".into(), json!("paid"));
        s.edit_order(index, changes, "user").unwrap();
        let fields: Vec<&str> = s
            .history
            .iter()
            .map(|h| h["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["status", "status", "manager_comment"]);
        assert_eq!(s.history[1]["oldValue"], json!({"code": "new"}));
        assert_eq!(s.history[1]["newValue"], json!({"code": "complete"}));
        assert_eq!(s.history[0]["created"], true);
    }

    #[test]
    fn totals_follow_items_discount_and_delivery() {
        let mut order =
            json!({"items": [{"initialPrice": 1000, "quantity": 2}], "discountManualAmount": 150,
            "delivery": {"cost": 300}})
            .as_object()
            .cloned()
            .unwrap();
        compute_totals(&mut order);
        assert_eq!(order["summ"], json!(2000.0));
        assert_eq!(order["totalSumm"], json!(2150.0));
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
        assert_eq!(snake_case("customerComment"), "customer_comment");
    }
}
