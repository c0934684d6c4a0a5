//! The emulator's HTTP surface: the front door every request passes (arrival time, the
//! optional 7-per-second limit answered with a non-JSON 429, the token endpoint, the
//! Bearer check answered with a problem+json 401, expired tokens included), a dispatcher
//! over `/api/v4/...` paths, and the read
//! endpoints: account, pipelines, entity lists with `query` / `filter[id]` / `order` /
//! `with` / `page` / `limit` and `_links.next`, single records, custom-field lists.
//! Writes live in `writes`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::oauth::{TOKEN_PATH, TokenState, token_endpoint};
use super::problem::{FieldError, Problem};
use super::state::{Account, entity_type, matches_query};
use super::{activities, writes};
use crate::emulation::{RateWindow, decode_pairs};

/// State shared by the handlers.
pub(crate) struct Shared {
    pub account: Mutex<Account>,
    pub tokens: Mutex<TokenState>,
    pub rate: RateWindow,
    pub arrivals: Mutex<Vec<tokio::time::Instant>>,
}

pub(super) type Pairs = Vec<(String, String)>;

/// Largest `limit` for entity lists.
pub const MAX_LIMIT: usize = 250;
/// Largest `limit` for custom-field lists.
pub const MAX_FIELDS_LIMIT: usize = 50;
const DEFAULT_LIMIT: usize = 50;

/// The emulator's routes: one dispatcher for every path.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(front_door).with_state(shared)
}

/// A successful HAL answer.
pub(super) fn hal(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/hal+json"),
    );
    response
}

pub(super) fn param<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Account> {
    shared.account.lock().unwrap_or_else(|p| p.into_inner())
}

/// What amoCRM answers over its limit: 429 with a body that is not JSON.
fn too_many_requests() -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n</body>\r\n</html>\r\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

async fn front_door(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared
        .arrivals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(tokio::time::Instant::now());
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut response = answer(&shared, &parts, bytes);
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(value) = HeaderValue::from_str(&request_id[..16]) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn answer(shared: &Shared, parts: &axum::http::request::Parts, body: Bytes) -> Response {
    let limit = lock(shared).config.rate_limit;
    if let Some(limit) = limit
        && !shared.rate.admit("account", limit)
    {
        return too_many_requests();
    }
    if parts.method == Method::POST && parts.uri.path() == TOKEN_PATH {
        return refresh(shared, parts, &body);
    }
    let expected = format!("Bearer {}", lock(shared).config.token);
    let expired = lock_tokens(shared).expired;
    if expired
        || parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes)
            != Some(expected.as_bytes())
    {
        return Problem::new(401, "Unauthorized").into_response();
    }
    let pairs = decode_pairs(parts.uri.query().unwrap_or_default());
    let path = parts.uri.path().trim_end_matches('/');
    let Some(rest) = path.strip_prefix("/api/v4/") else {
        return Problem::not_found().into_response();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let mut account = lock(shared);
    let result = dispatch(&mut account, &parts.method, &segments, &pairs, &body);
    result.unwrap_or_else(IntoResponse::into_response)
}

fn lock_tokens(shared: &Shared) -> std::sync::MutexGuard<'_, TokenState> {
    shared.tokens.lock().unwrap_or_else(|p| p.into_inner())
}

/// The token endpoint; a new access token replaces the one the API accepts.
fn refresh(shared: &Shared, parts: &axum::http::request::Parts, body: &Bytes) -> Response {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let now = lock(shared).now();
    let mut issued = None;
    let response = token_endpoint(
        &mut lock_tokens(shared),
        &content_type,
        body,
        now,
        &mut issued,
    );
    if let Some(access) = issued {
        lock(shared).config.token = access;
    }
    response
}

fn dispatch(
    account: &mut Account,
    method: &Method,
    segments: &[&str],
    pairs: &Pairs,
    body: &Bytes,
) -> Result<Response, Problem> {
    let id = |text: &str| text.parse::<i64>().map_err(|_| Problem::not_found());
    match (method.as_str(), segments) {
        ("GET", ["account"]) => Ok(account_info(account)),
        ("GET", ["leads", "pipelines"]) => Ok(pipelines(account)),
        ("POST", ["tasks"]) => activities::create_tasks(account, body),
        ("GET", [entity, "custom_fields"]) => custom_fields(account, known(entity)?, pairs),
        ("POST", [entity, "custom_fields"]) => writes::create_fields(account, known(entity)?, body),
        ("GET", [entity]) => list(account, known(entity)?, pairs),
        ("POST", [entity]) => writes::create(account, known(entity)?, body),
        ("PATCH", [entity]) => writes::update_many(account, known(entity)?, body),
        ("GET", [entity, record]) => one(account, known(entity)?, id(record)?, pairs),
        ("PATCH", [entity, record]) => writes::update(account, known(entity)?, id(record)?, body),
        ("POST", [entity, record, "notes"]) => {
            activities::create_notes(account, known(entity)?, id(record)?, body)
        }
        _ => Err(Problem::not_found()),
    }
}

fn known(segment: &str) -> Result<&'static str, Problem> {
    entity_type(segment).ok_or_else(Problem::not_found)
}

fn account_info(account: &Account) -> Response {
    hal(
        StatusCode::OK,
        json!({
            "id": super::state::ACCOUNT_ID, "name": account.config.subdomain, "subdomain": account.config.subdomain,
            "current_user_id": account.current_user(), "country": "RU", "currency": "RUB",
            "customers_mode": "disabled", "is_unsorted_on": true, "is_loss_reason_enabled": false,
            "is_helpbot_enabled": false, "is_technical_account": false, "contact_name_display_order": 1,
            "_links": account.links("/api/v4/account"),
        }),
    )
}

fn pipelines(account: &Account) -> Response {
    hal(
        StatusCode::OK,
        json!({
            "_total_items": account.pipelines.len(),
            "_links": account.links("/api/v4/leads/pipelines"),
            "_embedded": {"pipelines": account.pipelines},
        }),
    )
}

/// `page` ≥ 1 and 1 ≤ `limit` ≤ `max`.
fn paging(pairs: &Pairs, max: usize) -> Result<(usize, usize), Problem> {
    let page = match param(pairs, "page") {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| Problem::field(FieldError::invalid_type("page", "int")))?,
    };
    let limit = match param(pairs, "limit") {
        None => DEFAULT_LIMIT.min(max),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| {
                Problem::field(FieldError::new(
                    "limit",
                    "LessThanOrEqual",
                    format!("This value should be between 1 and {max}."),
                ))
            })?,
    };
    Ok((page, limit))
}

/// One page of `items` with `_page` and `_links` (`next` when more follow); 204 with an
/// empty body when the page is empty.
fn page_of(
    account: &Account,
    path: &str,
    pairs: &Pairs,
    items: Vec<Value>,
    key: &str,
    max: usize,
) -> Result<Response, Problem> {
    let (page, limit) = paging(pairs, max)?;
    let total = items.len();
    let start = (page - 1).saturating_mul(limit);
    let rows: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    if rows.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let href = |page: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "page" && k != "limit") {
            query.append_pair(k, v);
        }
        query.append_pair("page", &page.to_string());
        query.append_pair("limit", &limit.to_string());
        json!({"href": format!("{}{path}?{}", account.base, query.finish())})
    };
    let mut links = json!({"self": href(page)});
    if start + limit < total {
        links["next"] = href(page + 1);
    }
    if page > 1 {
        links["prev"] = href(page - 1);
    }
    Ok(hal(
        StatusCode::OK,
        json!({"_page": page, "_links": links, "_embedded": {key: rows}}),
    ))
}

fn with_list(pairs: &Pairs) -> Vec<&str> {
    param(pairs, "with")
        .map(|w| w.split(',').map(str::trim).collect())
        .unwrap_or_default()
}

fn list(account: &Account, entity: &'static str, pairs: &Pairs) -> Result<Response, Problem> {
    let with = with_list(pairs);
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "filter[id]" || k.starts_with("filter[id]["))
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let query = param(pairs, "query").unwrap_or_default();
    let pipeline: Option<i64> = param(pairs, "filter[pipeline_id]").and_then(|p| p.parse().ok());
    let mut items: Vec<&Value> = account
        .records(entity)
        .iter()
        .filter(|r| ids.is_empty() || ids.iter().any(|id| r["id"] == *id))
        .filter(|r| matches_query(r, query))
        .filter(|r| pipeline.is_none_or(|p| r["pipeline_id"] == p))
        .collect();
    let order = pairs
        .iter()
        .find(|(k, _)| k.starts_with("order[") && k.ends_with(']'));
    if let Some((key, direction)) = order {
        let field = &key["order[".len()..key.len() - 1];
        if !matches!(field, "id" | "created_at" | "updated_at")
            || !matches!(direction.as_str(), "asc" | "desc")
        {
            return Err(Problem::field(FieldError::choice(key.clone())));
        }
        items.sort_by_key(|r| {
            (
                r[field].as_i64().unwrap_or(0),
                r["id"].as_i64().unwrap_or(0),
            )
        });
        if direction == "desc" {
            items.reverse();
        }
    }
    let rendered = items
        .into_iter()
        .map(|r| account.render(entity, r, &with))
        .collect();
    page_of(
        account,
        &format!("/api/v4/{entity}"),
        pairs,
        rendered,
        entity,
        MAX_LIMIT,
    )
}

fn one(
    account: &Account,
    entity: &'static str,
    id: i64,
    pairs: &Pairs,
) -> Result<Response, Problem> {
    match account.find(entity, id) {
        Some(record) => Ok(hal(
            StatusCode::OK,
            account.render(entity, record, &with_list(pairs)),
        )),
        // amoCRM answers a missing record with 204 and no body.
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

fn custom_fields(
    account: &Account,
    entity: &'static str,
    pairs: &Pairs,
) -> Result<Response, Problem> {
    let fields = account.fields.get(entity).cloned().unwrap_or_default();
    let path = format!("/api/v4/{entity}/custom_fields");
    page_of(
        account,
        &path,
        pairs,
        fields,
        "custom_fields",
        MAX_FIELDS_LIMIT,
    )
}
