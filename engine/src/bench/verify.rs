//! Checking the end state against the workload: what the emulated CRMs hold and how the
//! store settled each item. The run counts only if nothing is missing, duplicated or
//! misrouted.

use std::collections::{BTreeMap, HashMap};

use ferry_connectors::calltouch::emulator::DealRecord;
use serde::Serialize;
use serde_json::Value;

use super::workload::{ExpectedCall, Workload};
use crate::store::ItemCounts;

/// Problems listed in full; beyond this only their number is kept.
const MAX_LISTED: usize = 20;

/// What the CRMs hold after the run.
#[derive(Debug, Clone, Default)]
pub struct EndState {
    /// retailCRM customers.
    pub customers: Vec<Value>,
    /// retailCRM orders.
    pub orders: Vec<Value>,
    /// Calltouch deals.
    pub deals: Vec<DealRecord>,
    /// Item counts in the store.
    pub counts: ItemCounts,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Whether every check held.
    pub passed: bool,
    /// Customers, orders and deals found.
    pub customers: usize,
    /// Orders found.
    pub orders: usize,
    /// Deals found.
    pub deals: usize,
    /// The first problems found.
    pub problems: Vec<String>,
    /// How many problems there were in all.
    pub problem_count: usize,
}

impl Verification {
    /// Record a problem found outside the CRMs' state (the poll missed calls).
    pub fn add_problem(&mut self, problem: String) {
        self.passed = false;
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(problem);
        }
    }
}

#[derive(Default)]
struct Problems {
    listed: Vec<String>,
    count: usize,
}

impl Problems {
    fn add(&mut self, problem: String) {
        self.count += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(problem);
        }
    }
}

/// Digits of a JSON value written as text or as a number.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Check `state` against `workload`.
pub fn verify(workload: &Workload, state: &EndState) -> Verification {
    let mut problems = Problems::default();
    check_counts(workload, &state.counts, &mut problems);
    let customer_phone = check_customers(workload, &state.customers, &mut problems);
    let order_call = check_orders(workload, &state.orders, &customer_phone, &mut problems);
    check_deals(workload, &state.deals, &order_call, &mut problems);
    Verification {
        passed: problems.count == 0,
        customers: state.customers.len(),
        orders: state.orders.len(),
        deals: state.deals.len(),
        problems: problems.listed,
        problem_count: problems.count,
    }
}

fn check_counts(workload: &Workload, counts: &ItemCounts, problems: &mut Problems) {
    let kept = workload.kept() as u64;
    let dropped = workload.expected.len() as u64 - kept;
    if counts.succeeded != kept || counts.filtered != dropped {
        problems.add(format!(
            "store: {} items succeeded and {} were filtered; expected {kept} and {dropped}",
            counts.succeeded, counts.filtered
        ));
    }
    let unsettled = counts.in_progress
        + counts.waiting
        + counts.failed
        + counts.held
        + counts.skipped
        + counts.discarded;
    if unsettled > 0 {
        problems.add(format!(
            "store: {unsettled} items did not succeed or get filtered ({} in progress, {} waiting, {} failed, {} held, {} skipped); see `ferry runs`",
            counts.in_progress, counts.waiting, counts.failed, counts.held, counts.skipped
        ));
    }
}

/// One customer per phone of a kept call, none for other phones. Returns id → phone.
fn check_customers(
    workload: &Workload,
    customers: &[Value],
    problems: &mut Problems,
) -> HashMap<i64, String> {
    let mut by_phone: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut phone_of = HashMap::new();
    for customer in customers {
        let id = customer["id"].as_i64().unwrap_or_default();
        let phone = customer
            .pointer("/phones/0/number")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        by_phone.entry(phone.clone()).or_default().push(id);
        phone_of.insert(id, phone);
    }
    let expected = workload.kept_phones();
    for (phone, ids) in &by_phone {
        if ids.len() > 1 {
            problems.add(format!(
                "retailCRM: {} customers with phone {phone} (ids {ids:?}); expected one",
                ids.len()
            ));
        }
        if !expected.contains(phone.as_str()) {
            problems.add(format!(
                "retailCRM: customer(s) {ids:?} with phone {phone}, which no kept call has"
            ));
        }
    }
    for phone in expected {
        if !by_phone.contains_key(phone) {
            problems.add(format!("retailCRM: no customer with phone {phone}"));
        }
    }
    phone_of
}

/// One order per kept call (by `externalId`), for the customer with the caller's phone.
/// Returns order id → the call it belongs to.
fn check_orders<'w>(
    workload: &'w Workload,
    orders: &[Value],
    customer_phone: &HashMap<i64, String>,
    problems: &mut Problems,
) -> HashMap<String, &'w ExpectedCall> {
    let calls: HashMap<String, &ExpectedCall> = workload
        .expected
        .iter()
        .map(|c| (c.call_id.to_string(), c))
        .collect();
    let mut orders_of_call: HashMap<&str, usize> = HashMap::new();
    let mut order_call = HashMap::new();
    for order in orders {
        let order_id = id_text(&order["id"]).unwrap_or_default();
        let external = id_text(&order["externalId"]).unwrap_or_default();
        let Some((key, call)) = calls.get_key_value(&external) else {
            problems.add(format!(
                "retailCRM: order {order_id} has externalId {external:?}, which is no call"
            ));
            continue;
        };
        *orders_of_call.entry(key.as_str()).or_default() += 1;
        if !call.kept {
            problems.add(format!(
                "retailCRM: order {order_id} for call {external}, which the filter drops"
            ));
        }
        let customer = order.pointer("/customer/id").and_then(Value::as_i64);
        match customer.and_then(|id| customer_phone.get(&id)) {
            Some(phone) if *phone == call.phone => {}
            Some(phone) => problems.add(format!(
                "retailCRM: order {order_id} (call {external}) belongs to a customer with phone {phone}, not the caller's {}",
                call.phone
            )),
            None => problems.add(format!("retailCRM: order {order_id} (call {external}) has no known customer ({customer:?})")),
        }
        order_call.insert(order_id, *call);
    }
    for call in workload.expected.iter().filter(|c| c.kept) {
        match orders_of_call
            .get(call.call_id.to_string().as_str())
            .copied()
            .unwrap_or(0)
        {
            1 => {}
            n => problems.add(format!(
                "retailCRM: {n} orders for call {}; expected one",
                call.call_id
            )),
        }
    }
    order_call
}

/// One deal per kept call, numbered with that call's order id, bound to the call and
/// carrying its source in `funnel`.
fn check_deals(
    workload: &Workload,
    deals: &[DealRecord],
    order_call: &HashMap<String, &ExpectedCall>,
    problems: &mut Problems,
) {
    let mut deals_of_call: HashMap<i64, usize> = HashMap::new();
    for deal in deals {
        let number = &deal.order_number;
        let bound = deal
            .created
            .pointer("/matching/0/callParams/callId")
            .and_then(Value::as_i64);
        let Some(call) = order_call.get(number) else {
            problems.add(format!(
                "Calltouch: deal {number:?} is numbered with no order's id"
            ));
            continue;
        };
        *deals_of_call.entry(call.call_id).or_default() += 1;
        if bound != Some(call.call_id) {
            problems.add(format!("Calltouch: deal {number} is bound to call {bound:?}, but order {number} is call {}'s", call.call_id));
        }
        let funnel = deal.created["funnel"].as_str().unwrap_or_default();
        if funnel != call.source {
            problems.add(format!(
                "Calltouch: deal {number} has funnel {funnel:?}; the call's source is {:?}",
                call.source
            ));
        }
    }
    for call in &workload.expected {
        let n = deals_of_call.get(&call.call_id).copied().unwrap_or(0);
        let want = usize::from(call.kept);
        if n != want {
            problems.add(format!(
                "Calltouch: {n} deals for call {}; expected {want}",
                call.call_id
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bench::workload::WorkloadShape;

    fn workload() -> Workload {
        let shape = WorkloadShape {
            calls: 6,
            repeat_caller_percent: 0,
            complete_percent: 0,
            seed: 1,
        };
        let mut w = Workload::generate(&shape, chrono::Utc::now());
        w.expected[5].kept = false;
        w.expected[1].phone = w.expected[0].phone.clone();
        w
    }

    /// The state a correct run leaves.
    fn good_state(w: &Workload) -> EndState {
        let mut state = EndState::default();
        let mut customer_of: HashMap<String, i64> = HashMap::new();
        for (n, call) in w.expected.iter().filter(|c| c.kept).enumerate() {
            let next = customer_of.len() as i64 + 1;
            let customer = *customer_of.entry(call.phone.clone()).or_insert_with(|| {
                state
                    .customers
                    .push(json!({"id": next, "phones": [{"number": call.phone}]}));
                next
            });
            let order_id = 100 + n as i64;
            state.orders.push(json!({"id": order_id, "externalId": call.call_id.to_string(), "customer": {"id": customer}}));
            let created = json!({"orderNumber": order_id.to_string(), "funnel": call.source,
                "matching": [{"type": "call", "callParams": {"callId": call.call_id}}]});
            state.deals.push(DealRecord {
                order_number: order_id.to_string(),
                order_id: n as u64,
                crm: None,
                current: created.clone(),
                created,
                updates: Vec::new(),
            });
        }
        state.counts.succeeded = w.kept() as u64;
        state.counts.filtered = 1;
        state
    }

    #[test]
    fn a_correct_end_state_passes() {
        let w = workload();
        let verdict = verify(&w, &good_state(&w));
        assert!(verdict.passed, "{:?}", verdict.problems);
        assert_eq!(verdict.customers, 4);
    }

    #[test]
    fn duplicates_misroutes_and_leftovers_fail() {
        let w = workload();
        let mut state = good_state(&w);
        let phone = w.expected[0].phone.clone();
        state
            .customers
            .push(json!({"id": 99, "phones": [{"number": phone}]}));
        state.orders[2]["customer"]["id"] = json!(1);
        state.deals[3].created["funnel"] = json!("nowhere");
        state.counts.failed = 1;
        let verdict = verify(&w, &state);
        assert!(!verdict.passed);
        let text = verdict.problems.join("\n");
        assert!(text.contains("2 customers with phone"), "{text}");
        assert!(text.contains("not the caller's"), "{text}");
        assert!(text.contains("has funnel \"nowhere\""), "{text}");
        assert!(text.contains("1 failed"), "{text}");
    }

    #[test]
    fn work_for_a_dropped_call_fails() {
        let w = workload();
        let mut state = good_state(&w);
        let dropped = &w.expected[5];
        state.orders.push(
            json!({"id": 555, "externalId": dropped.call_id.to_string(), "customer": {"id": 1}}),
        );
        let verdict = verify(&w, &state);
        assert!(!verdict.passed);
        assert!(
            verdict
                .problems
                .iter()
                .any(|p| p.contains("which the filter drops")),
            "{:?}",
            verdict.problems
        );
    }
}
