//! The retailCRM emulator's HTTP surface (API v5): the router, the front door every
//! request passes (`X-API-KEY` check, optional 503 rate limit) with the read and write
//! endpoint shapes built on it, pagination, the error shape, and the order history
//! endpoint. Customer and order endpoints live in `customer_routes` and `order_routes`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::emulation::{RateWindow, decode_pairs};

use super::config::ApiError;
use super::customer_routes::{create_customer, edit_customer, get_customer, list_customers};
use super::order_routes::{create_order, edit_order, get_order, list_orders};
use super::state::RetailCrmState;

/// State shared by the handlers.
pub(crate) struct Shared {
    pub state: Mutex<RetailCrmState>,
    pub rate: RateWindow,
}

pub(super) type SharedState = Arc<Shared>;
pub(super) type Pairs = Vec<(String, String)>;

/// The emulator's routes.
pub(crate) fn router(shared: SharedState) -> Router {
    Router::new()
        .route("/api/v5/customers", get(list_customers))
        .route("/api/v5/customers/create", post(create_customer))
        .route("/api/v5/customers/{key}", get(get_customer))
        .route("/api/v5/customers/{key}/edit", post(edit_customer))
        .route("/api/v5/orders", get(list_orders))
        .route("/api/v5/orders/create", post(create_order))
        .route("/api/v5/orders/history", get(order_history))
        .route("/api/v5/orders/{key}", get(get_order))
        .route("/api/v5/orders/{key}/edit", post(edit_order))
        .with_state(shared)
}

fn ok(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        axum::Json(body),
    )
        .into_response()
}

fn fail(error: ApiError) -> Response {
    ok(error.status, error.body())
}

pub(super) fn param<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn params<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The front door: rate limit per key, then the key itself. Returns the locked state.
fn admit<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    query: &Pairs,
) -> Result<std::sync::MutexGuard<'a, RetailCrmState>, Box<Response>> {
    let state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| param(query, "apiKey"));
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(Box::new(fail(ApiError::new(401, "\"apiKey\" is missing."))));
    };
    if let Some(limit) = state.config.rate_limit
        && !shared.rate.admit(key, limit)
    {
        return Err(Box::new(fail(ApiError::new(503, "Rate limit exceeded"))));
    }
    if key != state.config.api_key {
        let status = state.config.wrong_key_status;
        return Err(Box::new(fail(ApiError::new(
            status,
            "Wrong \"apiKey\" value.",
        ))));
    }
    Ok(state)
}

/// A read endpoint: the query decoded, the front door passed, then `answer` on the locked
/// state; its body is sent with 200, its error in the API's error shape.
pub(super) fn read(
    shared: &Shared,
    headers: &HeaderMap,
    query: Option<String>,
    answer: impl FnOnce(&RetailCrmState, &Pairs) -> Result<Value, ApiError>,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    match admit(shared, headers, &query) {
        Ok(state) => respond(200, answer(&state, &query)),
        Err(response) => *response,
    }
}

/// A write endpoint: like [`read`], with the form-encoded body decoded too and the body
/// sent with `status`.
pub(super) fn write(
    shared: &Shared,
    headers: &HeaderMap,
    query: Option<String>,
    body: &[u8],
    status: u16,
    answer: impl FnOnce(&mut RetailCrmState, &Pairs) -> Result<Value, ApiError>,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    let form = decode_pairs(&String::from_utf8_lossy(body));
    match admit(shared, headers, &query) {
        Ok(mut state) => respond(status, answer(&mut state, &form)),
        Err(response) => *response,
    }
}

fn respond(status: u16, answer: Result<Value, ApiError>) -> Response {
    match answer {
        Ok(body) => ok(status, body),
        Err(error) => fail(error),
    }
}

/// `limit` ∈ {20, 50, 100} (default 20) and `page` ≥ 1 (default 1).
pub(super) fn paging(query: &Pairs) -> Result<(usize, usize), ApiError> {
    let limit = match param(query, "limit") {
        None => 20,
        Some(text) => match text.parse::<usize>() {
            Ok(l @ (20 | 50 | 100)) => l,
            _ => {
                return Err(ApiError::parameter(
                    "limit",
                    "The value you selected is not a valid choice. Allowed: 20, 50, 100.",
                ));
            }
        },
    };
    let page = match param(query, "page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => {
            return Err(ApiError::parameter(
                "page",
                "This value should be greater than or equal to 1.",
            ));
        }
    };
    Ok((limit, page))
}

/// One page of `all` (anything: records, references to them, positions) and the
/// `pagination` object describing it.
fn paginate<T>(all: Vec<T>, (limit, page): (usize, usize)) -> (Vec<T>, Value) {
    let total = all.len();
    let items = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    let pagination = json!({"limit": limit, "totalCount": total, "currentPage": page, "totalPageCount": total.div_ceil(limit)});
    (items, pagination)
}

/// The `success` answer of a list endpoint: one page of `found` under `key`, with the
/// `pagination` object.
pub(super) fn listed(found: Vec<&Value>, paging: (usize, usize), key: &str) -> Value {
    let (page, pagination) = paginate(found, paging);
    let items: Vec<Value> = page.into_iter().cloned().collect();
    json!({"success": true, "pagination": pagination, key: items})
}

/// Whether `record` passes every list filter of `query` in `filters`, each a query
/// parameter (`filter[ids][]`) and the record field it matches (`id`); a filter the query
/// does not use lets every record pass.
pub(super) fn in_lists(query: &Pairs, record: &Value, filters: &[(&str, &str)]) -> bool {
    filters.iter().all(|(parameter, field)| {
        let wanted = params(query, parameter);
        wanted.is_empty() || in_list(&wanted, &record[*field])
    })
}

fn in_list(values: &[&str], value: &Value) -> bool {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    values.contains(&text.as_str())
}

/// `by` (default `externalId`, as in the real API) and the optional `site`.
pub(super) fn addressing(
    state: &RetailCrmState,
    pairs: &Pairs,
) -> Result<(&'static str, Option<String>), ApiError> {
    let by = match param(pairs, "by") {
        None | Some("externalId") => "externalId",
        Some("id") => "id",
        Some(_) => {
            return Err(ApiError::parameter(
                "by",
                "The value you selected is not a valid choice. Allowed: id, externalId.",
            ));
        }
    };
    let site = match param(pairs, "site") {
        Some(site) => Some(state.check_site(Some(site))?),
        None => None,
    };
    Ok((by, site))
}

/// A form field holding a JSON object (`customer=`, `order=`).
pub(super) fn entity(form: &Pairs, name: &str) -> Result<Map<String, Value>, ApiError> {
    let text = param(form, name)
        .ok_or_else(|| ApiError::new(400, &format!("Parameter '{name}' is missing")))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::entity(
            name,
            "This value is not a valid JSON object.",
        )),
    }
}

async fn order_history(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, history_page)
}

/// One page of the order history after `filter[sinceId]`, within the date filters.
fn history_page(state: &RetailCrmState, query: &Pairs) -> Result<Value, ApiError> {
    let paging = paging(query)?;
    let since_id = match param(query, "filter[sinceId]").map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            return Err(ApiError::parameter(
                "filter[sinceId]",
                "This value should be a valid number.",
            ));
        }
    };
    let date = |name: &str| -> Result<Option<String>, ApiError> {
        match param(query, name) {
            None => Ok(None),
            Some(text)
                if chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok() =>
            {
                Ok(Some(text.to_string()))
            }
            Some(_) => Err(ApiError::parameter(
                name,
                "This value is not a valid datetime (Y-m-d H:i:s).",
            )),
        }
    };
    let start = date("filter[startDate]")?;
    let end = date("filter[endDate]")?;
    let found: Vec<usize> = state
        .history
        .iter()
        .enumerate()
        .filter(|(_, h)| since_id.is_none_or(|s| h["id"].as_i64().is_some_and(|id| id > s)))
        // The stamp format sorts as text, as in the real API's `Y-m-d H:i:s`.
        .filter(|(_, h)| {
            start
                .as_deref()
                .is_none_or(|s| h["createdAt"].as_str().is_some_and(|c| c >= s))
        })
        .filter(|(_, h)| {
            end.as_deref()
                .is_none_or(|e| h["createdAt"].as_str().is_some_and(|c| c <= e))
        })
        .map(|(position, _)| position)
        .collect();
    let (page, pagination) = paginate(found, paging);
    let history: Vec<Value> = page
        .into_iter()
        .map(|position| state.history_record(position))
        .collect();
    Ok(
        json!({"success": true, "generatedAt": state.now_text(), "history": history, "pagination": pagination}),
    )
}
