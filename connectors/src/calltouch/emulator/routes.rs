//! The Calltouch emulator's HTTP surface: the router, the rate limit and answer shapes
//! every endpoint shares, and the calls and requests journals (export API, `clientApiId`
//! in the query); deal create/update live in `deal_routes`. Paths, parameters, date
//! formats and error shapes are the real API's.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::emulation::{RateWindow, decode_pairs};

use super::deal_routes::{create_orders, update_orders};
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

pub(super) fn reply(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}

pub(super) fn bad_request(message: &str) -> Response {
    reply(
        400,
        json!({"status": 400, "error": "Bad Request", "message": message}),
    )
}

pub(super) fn validation_failed(errors: Map<String, Value>) -> Response {
    reply(
        400,
        json!({"status": 400, "message": "Validation failed", "data": {"validationErrorData": errors}}),
    )
}

/// The rate limit (when configured) is checked before anything else, as a real front end
/// would.
pub(super) fn over_limit(shared: &Shared) -> Option<Response> {
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

pub(super) fn unauthorized(state: &CalltouchState, message: &str) -> Response {
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
