//! The emulator's HTTP surface: the token endpoint, and the front door of the REST API
//! under `/services/data/vNN.N/` — the Bearer check (401 `INVALID_SESSION_ID` for a
//! missing, unknown or expired token), the daily quota (403 `REQUEST_LIMIT_EXCEEDED`
//! once used up), `Sforce-Limit-Info: api-usage=used/limit` on every answer — and the
//! dispatcher over `limits`, `query`, and `sobjects` (create, read, update, upsert by
//! external id).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api_error::ApiError;
use super::store::Org;
use super::writes::{self, Upserted};
use super::{oauth, query};
use crate::emulation::decode_pairs;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/services/oauth2/token";

/// State shared by the handlers.
pub(crate) struct Shared {
    pub org: Mutex<Org>,
}

/// The emulator's routes: one dispatcher for every path.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(front_door).with_state(shared)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

async fn front_door(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut org = shared.org.lock().unwrap_or_else(|p| p.into_inner());
    if parts.uri.path() == TOKEN_PATH && parts.method == Method::POST {
        return oauth::token(&mut org, &parts.headers, &bytes);
    }
    let Some(rest) = parts.uri.path().strip_prefix("/services/data/") else {
        return ApiError::not_found().into_response();
    };
    let (version, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(major) = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .and_then(|(major, minor)| minor.parse::<u32>().ok().and(major.parse::<u32>().ok()))
        .filter(|major| (20..=99).contains(major))
    else {
        return ApiError::not_found().into_response();
    };
    if !authorized(&org, &parts) {
        return ApiError::invalid_session().into_response();
    }
    org.count_session_request();
    let limit = org.config.daily_api_limit;
    let mut response = if org.api_used >= limit {
        ApiError::new("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            .with_status(403)
            .into_response()
    } else {
        org.api_used += 1;
        let prefix = format!("/services/data/{version}");
        let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let call = Call {
            method: &parts.method,
            segments: &segments,
            pairs: decode_pairs(parts.uri.query().unwrap_or_default()),
            body: &bytes,
            prefix: &prefix,
            major,
        };
        dispatch(&mut org, &call).unwrap_or_else(IntoResponse::into_response)
    };
    let usage = format!("api-usage={}/{limit}", org.api_used);
    if let Ok(value) = HeaderValue::from_str(&usage) {
        response.headers_mut().insert("sforce-limit-info", value);
    }
    response
}

/// Whether the request carries a token the org accepts right now.
fn authorized(org: &Org, parts: &Parts) -> bool {
    let Some(token) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let now = tokio::time::Instant::now();
    org.tokens
        .iter()
        .any(|t| t.token == token && t.expires.is_none_or(|at| now < at))
}

/// One REST call, parsed.
struct Call<'a> {
    method: &'a Method,
    segments: &'a [&'a str],
    pairs: Vec<(String, String)>,
    body: &'a Bytes,
    prefix: &'a str,
    major: u32,
}

impl Call<'_> {
    fn json_body(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(self.body).map_err(|e| {
            ApiError::new(
                "JSON_PARSER_ERROR",
                format!("Unexpected character in the request body: {e}"),
            )
        })
    }
}

fn dispatch(org: &mut Org, call: &Call<'_>) -> Result<Response, ApiError> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    match (call.method.as_str(), call.segments) {
        ("GET", ["limits"]) => {
            let max = org.config.daily_api_limit;
            let remaining = max.saturating_sub(org.api_used);
            Ok(json_response(
                StatusCode::OK,
                json!({"DailyApiRequests": {"Max": max, "Remaining": remaining}}),
            ))
        }
        ("GET", ["query"]) => {
            let q = call
                .pairs
                .iter()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.as_str());
            query::start(org, call.prefix, q).map(|v| json_response(StatusCode::OK, v))
        }
        ("GET", ["query", cursor]) => {
            query::resume(org, call.prefix, cursor).map(|v| json_response(StatusCode::OK, v))
        }
        ("POST", ["sobjects", object]) => {
            let id = writes::create(org, object, &call.json_body()?)?;
            Ok(json_response(
                StatusCode::CREATED,
                json!({"id": id, "success": true, "errors": []}),
            ))
        }
        ("GET", ["sobjects", object, id]) => read(org, call.prefix, object, id),
        ("PATCH", ["sobjects", object, id]) => {
            writes::update(org, object, id, &call.json_body()?)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ("PATCH", ["sobjects", object, field, value]) => {
            let body = call.json_body()?;
            match writes::upsert(org, object, field, &decode(value), &body)? {
                Upserted::Created(id) => Ok(json_response(
                    StatusCode::CREATED,
                    json!({"id": id, "success": true, "errors": [], "created": true}),
                )),
                // Before API 46.0 an update by external id answered 204 without a body.
                Upserted::Updated(_) if call.major < 46 => {
                    Ok(StatusCode::NO_CONTENT.into_response())
                }
                Upserted::Updated(id) => Ok(json_response(
                    StatusCode::OK,
                    json!({"id": id, "success": true, "errors": [], "created": false}),
                )),
                Upserted::Ambiguous(ids) => {
                    let object = org.schema(object).map(|s| s.name).unwrap_or_default();
                    let urls: Vec<String> = ids
                        .iter()
                        .map(|id| format!("{}/sobjects/{object}/{id}", call.prefix))
                        .collect();
                    Ok(json_response(StatusCode::MULTIPLE_CHOICES, json!(urls)))
                }
            }
        }
        _ => Err(ApiError::not_found()),
    }
}

/// `GET /sobjects/<object>/<id>`: every field, with `attributes`.
fn read(org: &Org, prefix: &str, object: &str, id: &str) -> Result<Response, ApiError> {
    let schema = org.schema(object).ok_or_else(ApiError::not_found)?;
    let (found, row) = org.find(id).ok_or_else(ApiError::not_found)?;
    if found != schema.name {
        return Err(ApiError::not_found());
    }
    let mut body = serde_json::Map::new();
    let rid = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    body.insert(
        "attributes".into(),
        json!({"type": schema.name, "url": format!("{prefix}/sobjects/{}/{rid}", schema.name)}),
    );
    body.extend(row.clone());
    Ok(json_response(StatusCode::OK, Value::Object(body)))
}
