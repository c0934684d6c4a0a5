//! The orders of the retailCRM emulator: creating and editing them as the real API does
//! (the status checked against the account's statuses, the customer reference resolved,
//! `summ`/`totalSumm` derived from the items), with one history record per change.

use serde_json::{Map, Value, json};

use super::{RetailCrmState, check_email};
use crate::retailcrm::emulator::config::ApiError;

impl RetailCrmState {
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
    use crate::retailcrm::emulator::config::RetailCrmEmulatorConfig;

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
        assert_eq!(snake_case("customerComment"), "customer_comment");
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
}
