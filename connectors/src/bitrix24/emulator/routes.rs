//! The emulator's HTTP surface: `/rest/{user_id}/{code}/{method}[.json]` by GET or POST
//! (query string, form or JSON body), the webhook check (401 `NO_AUTH_FOUND`), the leaky
//! bucket (503 `QUERY_LIMIT_EXCEEDED`), and one branch per method the connector uses. Every
//! success reply is `{"result": .., "time": {..}}`, lists add `total` and `next`.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::bucket::BucketLevel;
use super::listing::ListPage;
use super::params;
use super::state::{EntityKind, Portal};

/// What the handlers share.
pub(crate) struct Shared {
    pub portal: Mutex<Portal>,
    pub bucket: Mutex<BucketLevel>,
}

/// The router for one emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/rest/{user}/{code}/{method}", any(call))
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 Not Found") })
        .with_state(shared)
}

/// The `time` block of every reply (the real API adds it to errors of some kinds too).
fn time_block() -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let date = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).expect("valid offset"))
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    json!({
        "start": now, "finish": now, "duration": 0.0, "processing": 0.0,
        "date_start": date, "date_finish": date,
        "operating_reset_at": now as u64 + 600, "operating": 0.0,
    })
}

fn success(result: Value, page: Option<ListPage>) -> Response {
    let mut body = json!({"result": result});
    if let Some(page) = page {
        if let Some(next) = page.next {
            body["next"] = json!(next);
        }
        if let Some(total) = page.total {
            body["total"] = json!(total);
        }
    }
    body["time"] = time_block();
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn entity(name: &str) -> Option<EntityKind> {
    match name {
        "lead" => Some(EntityKind::Lead),
        "contact" => Some(EntityKind::Contact),
        "deal" => Some(EntityKind::Deal),
        _ => None,
    }
}

/// Run one method against the portal.
fn dispatch(
    portal: &mut Portal,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(Value, Option<ListPage>), ApiError> {
    if method == "profile" {
        let id = portal.config.user_id.to_string();
        return Ok((
            json!({"ID": id, "ADMIN": true, "NAME": "Администратор", "LAST_NAME": "", "PERSONAL_GENDER": "", "TIME_ZONE": ""}),
            None,
        ));
    }
    if method == "crm.duplicate.findbycomm" {
        return Ok((portal.find_by_comm(params)?, None));
    }
    let parts: Vec<&str> = method.split('.').collect();
    let [crm, name, verb] = parts.as_slice() else {
        return Err(ApiError::unknown_method());
    };
    let (true, Some(kind)) = (*crm == "crm", entity(name)) else {
        return Err(ApiError::unknown_method());
    };
    match *verb {
        "add" => Ok((json!(portal.add(kind, params)?), None)),
        "update" => portal.update(kind, params).map(|()| (json!(true), None)),
        "get" => Ok((portal.get(kind, params)?, None)),
        "list" => {
            let mut page = portal.list(kind, params)?;
            let items = std::mem::take(&mut page.items);
            Ok((Value::Array(items), Some(page)))
        }
        _ => Err(ApiError::unknown_method()),
    }
}

async fn call(
    State(shared): State<Arc<Shared>>,
    Path((user, code, method)): Path<(String, String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut portal = shared.portal.lock().unwrap_or_else(|p| p.into_inner());
    if user != portal.config.user_id.to_string() || code != portal.config.code {
        return ApiError::no_auth().into_response();
    }
    if let Some(limit) = portal.config.leaky_bucket {
        let mut bucket = shared.bucket.lock().unwrap_or_else(|p| p.into_inner());
        if !bucket.admit(limit, tokio::time::Instant::now()) {
            return ApiError::query_limit().into_response();
        }
    }
    let method = method
        .strip_suffix(".json")
        .unwrap_or(&method)
        .to_ascii_lowercase();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let params = match params::parse(query.as_deref().unwrap_or_default(), &content_type, &body) {
        Ok(params) => params,
        Err(message) => return ApiError::system(400, "INVALID_REQUEST", &message).into_response(),
    };
    match dispatch(&mut portal, &method, &params) {
        Ok((result, page)) => success(result, page),
        Err(error) => error.into_response(),
    }
}
