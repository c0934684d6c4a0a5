//! Counting what the CRMs ended up with, from the emulators' state and request logs alone
//! (not from anything the engine says about itself).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::world::{World, call_ref, text};

/// What the emulators hold after the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// Calls in the journal.
    pub calls: usize,
    /// Distinct caller phones among them.
    pub distinct_phones: usize,
    /// Calls with no retailCRM order carrying their id (lost items).
    pub calls_without_order: usize,
    /// Calls with no Calltouch deal carrying their id.
    pub calls_without_deal: usize,
    /// Phones with more than one retailCRM customer.
    pub phones_with_duplicate_customers: usize,
    /// Calls with more than one retailCRM order.
    pub calls_with_duplicate_orders: usize,
    /// Calls with more than one Calltouch deal.
    pub calls_with_duplicate_deals: usize,
    /// Orders attached to a customer whose phone is not the call's phone.
    pub orders_with_wrong_customer: usize,
    /// Customers, orders and deals created (effective creates).
    pub customers_created: usize,
    /// Orders created.
    pub orders_created: usize,
    /// Deals created.
    pub deals_created: usize,
    /// Create requests the emulators received (including ones whose sender was killed).
    pub customer_create_requests: usize,
    /// Order create requests received.
    pub order_create_requests: usize,
    /// Deal create requests received.
    pub deal_create_requests: usize,
}

impl Audit {
    /// Whether nothing was lost or duplicated.
    pub fn is_clean(&self) -> bool {
        self.calls_without_order == 0
            && self.calls_without_deal == 0
            && self.phones_with_duplicate_customers == 0
            && self.calls_with_duplicate_orders == 0
            && self.calls_with_duplicate_deals == 0
            && self.orders_with_wrong_customer == 0
    }
}

/// Count everything in `world`'s emulators.
pub fn audit(world: &World) -> Audit {
    let customers = world.retailcrm.customers();
    let orders = world.retailcrm.orders();
    let deals = world.calltouch.deals();

    let mut customers_per_phone: HashMap<String, usize> = HashMap::new();
    let mut phone_of_customer: HashMap<i64, String> = HashMap::new();
    for customer in &customers {
        let phone = text(&customer["phones"][0]["number"]);
        *customers_per_phone.entry(phone.clone()).or_default() += 1;
        if let Some(id) = customer["id"].as_i64() {
            phone_of_customer.insert(id, phone);
        }
    }
    let mut orders_per_ref: HashMap<String, Vec<&Value>> = HashMap::new();
    for order in &orders {
        orders_per_ref
            .entry(text(&order["externalId"]))
            .or_default()
            .push(order);
    }
    let mut deals_per_ref: HashMap<&str, usize> = HashMap::new();
    for deal in &deals {
        *deals_per_ref.entry(deal.order_number.as_str()).or_default() += 1;
    }

    let mut audit = Audit {
        calls: world.calls.len(),
        distinct_phones: world
            .calls
            .iter()
            .map(|c| &c.phone)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        customers_created: customers.len(),
        orders_created: orders.len(),
        deals_created: deals.len(),
        phones_with_duplicate_customers: customers_per_phone.values().filter(|n| **n > 1).count(),
        ..Audit::default()
    };
    for call in &world.calls {
        let reference = call_ref(call.call_id);
        match orders_per_ref.get(&reference).map(Vec::as_slice) {
            None | Some([]) => audit.calls_without_order += 1,
            Some(found) => {
                if found.len() > 1 {
                    audit.calls_with_duplicate_orders += 1;
                }
                let customer_phone = found[0]["customer"]["id"]
                    .as_i64()
                    .and_then(|id| phone_of_customer.get(&id));
                if customer_phone != Some(&call.phone) {
                    audit.orders_with_wrong_customer += 1;
                }
            }
        }
        match deals_per_ref.get(reference.as_str()) {
            None => audit.calls_without_deal += 1,
            Some(n) if *n > 1 => audit.calls_with_duplicate_deals += 1,
            Some(_) => {}
        }
    }
    let paths = |requests: Vec<ferry_connectors::emulation::RecordedRequest>| {
        let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
        for request in requests {
            *by_path.entry(request.path).or_default() += 1;
        }
        by_path
    };
    let retail_paths = paths(world.retailcrm.requests());
    let calltouch_paths = paths(world.calltouch.requests());
    let count = |by_path: &BTreeMap<String, usize>, path: &str| {
        by_path.get(path).copied().unwrap_or_default()
    };
    audit.customer_create_requests = count(&retail_paths, "/api/v5/customers/create");
    audit.order_create_requests = count(&retail_paths, "/api/v5/orders/create");
    audit.deal_create_requests =
        count(&calltouch_paths, "/lead-service/v1/api/client-order/create");
    audit
}
