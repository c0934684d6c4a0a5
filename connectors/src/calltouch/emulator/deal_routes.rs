//! Deal create/update of the Calltouch emulator (deals API 2.0): the `Access-Token` and
//! `SiteId` headers, the `orders` list checked order by order (fields, matching, numbers),
//! then every order created or updated, or none.

use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::routes::{
    Shared, SharedState, bad_request, over_limit, reply, unauthorized, validation_failed,
};
use super::state::CalltouchState;

/// A deals-API body split into its top-level fields (`crm`) and its `orders`.
type DealsRequest = (Map<String, Value>, Vec<Value>);

/// The front of both deals endpoints: the rate limit, then the state locked and the
/// request checked by [`deals_request`].
fn open_deals<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(MutexGuard<'a, CalltouchState>, DealsRequest), Box<Response>> {
    if let Some(limited) = over_limit(shared) {
        return Err(Box::new(limited));
    }
    let state = shared.state.lock().expect("state lock");
    let request = deals_request(&state, headers, body)?;
    Ok((state, request))
}

/// Every order that is an object passed to `check` with its index and the errors found so
/// far; an order that is not an object is an error of its own.
fn order_errors<'a>(
    orders: &'a [Value],
    mut check: impl FnMut(usize, &'a Map<String, Value>, &mut Map<String, Value>),
) -> Map<String, Value> {
    let mut errors = Map::new();
    for (index, order) in orders.iter().enumerate() {
        match order.as_object() {
            Some(order) => check(index, order, &mut errors),
            None => {
                errors.insert(format!("orders[{index}]"), json!("must be an object"));
            }
        }
    }
    errors
}

/// Checks shared by create and update: headers, JSON, a non-empty `orders` list.
fn deals_request(
    state: &CalltouchState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<DealsRequest, Box<Response>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("access-token") != Some(state.config.token.as_str())
        || header("siteid") != Some(state.config.site_id.as_str())
    {
        return Err(Box::new(unauthorized(
            state,
            "Invalid Access-Token or SiteId",
        )));
    }
    let Ok(Value::Object(mut root)) = serde_json::from_slice::<Value>(body) else {
        return Err(Box::new(bad_request("Malformed JSON request")));
    };
    match root.remove("orders") {
        Some(Value::Array(orders)) if !orders.is_empty() => Ok((root, orders)),
        _ => {
            let mut errors = Map::new();
            errors.insert("orders".into(), json!("must not be empty"));
            Err(Box::new(validation_failed(errors)))
        }
    }
}

/// Field checks common to created and updated orders.
fn check_order_fields(index: usize, order: &Map<String, Value>, errors: &mut Map<String, Value>) {
    let at = |field: &str| format!("orders[{index}].{field}");
    match order.get("orderNumber") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => {
            errors.insert(at("orderNumber"), json!("must not be blank"));
        }
    }
    if let Some(revenue) = order.get("revenue") {
        let ok = revenue
            .as_str()
            .is_some_and(|s| s.parse::<f64>().is_ok_and(f64::is_finite));
        if !ok {
            errors.insert(at("revenue"), json!("must be a decimal number in a string"));
        }
    }
    for field in ["orderDate", "statusDate"] {
        if let Some(date) = order.get(field) {
            let ok = date.as_str().is_some_and(|s| {
                chrono::NaiveDateTime::parse_from_str(s, "%d-%m-%Y %H:%M:%S").is_ok()
            });
            if !ok {
                errors.insert(
                    at(field),
                    json!("must be a date in dd-MM-yyyy HH:mm:ss format"),
                );
            }
        }
    }
}

fn check_matching(index: usize, order: &Map<String, Value>, errors: &mut Map<String, Value>) {
    let rules = order
        .get("matching")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty());
    let Some(rules) = rules else {
        errors.insert(
            format!("orders[{index}].matching"),
            json!("must not be empty"),
        );
        return;
    };
    for (r, rule) in rules.iter().enumerate() {
        let valid = match rule["type"].as_str() {
            Some("call") => rule
                .pointer("/callParams/callId")
                .is_some_and(Value::is_i64),
            Some("request") => rule
                .pointer("/requestParams/requestId")
                .is_some_and(Value::is_i64),
            Some(
                "chat" | "leadContact" | "requestContact" | "callContact" | "chatContact"
                | "session" | "customSources" | "withoutSource",
            ) => true,
            _ => false,
        };
        if !valid {
            errors.insert(
                format!("orders[{index}].matching[{r}]"),
                json!("unknown matching type or missing id"),
            );
        }
    }
}

pub(super) async fn create_orders(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut state, (root, orders)) = match open_deals(&shared, &headers, &body) {
        Ok(opened) => opened,
        Err(response) => return *response,
    };
    let mut numbers: Vec<&str> = Vec::new();
    let errors = order_errors(&orders, |index, order, errors| {
        check_order_fields(index, order, errors);
        check_matching(index, order, errors);
        if let Some(number) = order.get("orderNumber").and_then(Value::as_str) {
            let exists = state.has_deal(number) || numbers.contains(&number);
            if exists && state.config.reject_duplicate_order_number {
                errors.insert(
                    format!("orders[{index}].orderNumber"),
                    json!(format!("order with number '{number}' already exists")),
                );
            }
            numbers.push(number);
        }
    });
    if !errors.is_empty() {
        return validation_failed(errors);
    }
    let crm = root.get("crm").and_then(Value::as_str).map(str::to_string);
    let mut created = Vec::new();
    for order in orders {
        let number = order["orderNumber"].clone();
        let text = number.as_str().unwrap_or_default();
        // Duplicates allowed by the configuration overwrite the deal in place.
        let updated = match order.as_object() {
            Some(fields) => state.update_deal(text, fields),
            None => None,
        };
        let order_id = match updated {
            Some(id) => id,
            None => state.create_deal(crm.clone(), order),
        };
        created.push(json!({"orderNumber": number, "orderId": order_id}));
    }
    reply(200, json!({"data": {"orders": created}}))
}

pub(super) async fn update_orders(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut state, (_, orders)) = match open_deals(&shared, &headers, &body) {
        Ok(opened) => opened,
        Err(response) => return *response,
    };
    let errors = order_errors(&orders, |index, order, errors| {
        check_order_fields(index, order, errors);
        if let Some(number) = order.get("orderNumber").and_then(Value::as_str)
            && !state.has_deal(number)
        {
            errors.insert(
                format!("orders[{index}].orderNumber"),
                json!(format!("order with number '{number}' not found")),
            );
        }
    });
    if !errors.is_empty() {
        return validation_failed(errors);
    }
    let mut updated = Vec::new();
    for order in orders {
        let Value::Object(fields) = order else {
            continue;
        };
        let number = fields["orderNumber"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let order_id = state.update_deal(&number, &fields).expect("checked above");
        updated.push(json!({"orderNumber": number, "orderId": order_id}));
    }
    reply(200, json!({"data": {"orders": updated}}))
}
