//! The Calltouch emulator's HTTP surface: the calls and requests journals (export API,
//! `clientApiId` in the query) and deal create/update (deals API 2.0, `Access-Token` and
//! `SiteId` headers), with the paths, parameters, date formats and error shapes of the
//! real API.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::emulation::{RateWindow, decode_pairs};

use super::state::CalltouchState;

/// State shared by the handlers.
pub(crate) struct Shared {
    pub state: Mutex<CalltouchState>,
    pub rate: RateWindow,
}

pub(crate) type SharedState = Arc<Shared>;

/// The emulator's routes.
pub(crate) fn router(shared: SharedState) -> Router {
    Router::new()
        .route(
            "/calls-service/RestAPI/{site_id}/calls-diary/calls",
            get(calls_journal),
        )
        .route("/calls-service/RestAPI/requests", get(requests_journal))
        .route("/calls-service/RestAPI/requests/", get(requests_journal))
        .route(
            "/lead-service/v1/api/client-order/create",
            post(create_orders),
        )
        .route(
            "/lead-service/v1/api/client-order/update",
            post(update_orders),
        )
        .with_state(shared)
}

fn reply(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    reply(
        400,
        json!({"status": 400, "error": "Bad Request", "message": message}),
    )
}

fn validation_failed(errors: Map<String, Value>) -> Response {
    reply(
        400,
        json!({"status": 400, "message": "Validation failed", "data": {"validationErrorData": errors}}),
    )
}

/// The rate limit (when configured) is checked before anything else, as a real front end
/// would.
fn over_limit(shared: &Shared) -> Option<Response> {
    let limit = shared.state.lock().expect("state lock").config.rate_limit?;
    if shared.rate.admit("client-ip", limit) {
        return None;
    }
    let mut response = reply(
        429,
        json!({"status": 429, "error": "Too Many Requests", "message": "API rate limit exceeded"}),
    );
    response
        .headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    Some(response)
}

fn unauthorized(state: &CalltouchState, message: &str) -> Response {
    let status = state.config.auth_failure_status;
    reply(
        status,
        json!({"status": status, "error": "Unauthorized", "message": message}),
    )
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn day_param(
    pairs: &[(String, String)],
    name: &str,
    format: &str,
    shown: &str,
) -> Result<NaiveDate, Box<Response>> {
    let text = param(pairs, name).ok_or_else(|| {
        Box::new(bad_request(&format!(
            "Required parameter '{name}' is not present"
        )))
    })?;
    NaiveDate::parse_from_str(text, format).map_err(|_| {
        Box::new(bad_request(&format!(
            "Parameter '{name}' must be a date in {shown} format, got '{text}'"
        )))
    })
}

async fn calls_journal(
    State(shared): State<SharedState>,
    Path(site_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(limited) = over_limit(&shared) {
        return limited;
    }
    let pairs = decode_pairs(&query.unwrap_or_default());
    let state = shared.state.lock().expect("state lock");
    if param(&pairs, "clientApiId") != Some(state.config.token.as_str())
        || site_id != state.config.site_id
    {
        return unauthorized(&state, "Invalid clientApiId or site id");
    }
    let (from, to) = match (
        day_param(&pairs, "dateFrom", "%d/%m/%Y", "dd/MM/yyyy"),
        day_param(&pairs, "dateTo", "%d/%m/%Y", "dd/MM/yyyy"),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    if to < from || (state.config.single_day_calls_journal && from != to) {
        return bad_request("dateFrom must be equal to dateTo");
    }
    let calls = state.calls_between(from, to);
    let Some(page) = param(&pairs, "page") else {
        return reply(200, Value::Array(calls.into_iter().cloned().collect()));
    };
    let page = match page.parse::<usize>() {
        Ok(p) if p >= 1 => p,
        _ => return bad_request("Parameter 'page' must be a positive number"),
    };
    let limit = match param(&pairs, "limit").map(str::parse::<usize>) {
        None => 1000,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => return bad_request("Parameter 'limit' must be between 1 and 1000"),
    };
    let total = calls.len();
    let records: Vec<Value> = calls
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .cloned()
        .collect();
    reply(
        200,
        json!({"page": page, "pageTotal": total.div_ceil(limit), "pageSize": limit, "recordsTotal": total, "records": records}),
    )
}

async fn requests_journal(
    State(shared): State<SharedState>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(limited) = over_limit(&shared) {
        return limited;
    }
    let pairs = decode_pairs(&query.unwrap_or_default());
    let state = shared.state.lock().expect("state lock");
    let site_ok = param(&pairs, "siteId").is_none_or(|s| s == state.config.site_id);
    if param(&pairs, "clientApiId") != Some(state.config.token.as_str()) || !site_ok {
        return unauthorized(&state, "Invalid clientApiId or site id");
    }
    let (from, to) = match (
        day_param(&pairs, "dateFrom", "%m/%d/%Y", "MM/dd/yyyy"),
        day_param(&pairs, "dateTo", "%m/%d/%Y", "MM/dd/yyyy"),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    if to < from {
        return bad_request("dateFrom must not be after dateTo");
    }
    reply(200, Value::Array(state.form_requests_between(from, to)))
}

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

async fn create_orders(
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

async fn update_orders(
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
