//! The emulator's HTTP surface: `POST /api/history/get` and `POST /api/users/list`, the
//! key check (`Authorization: <key>` or `Bearer <key>`), and UniTalk's error answers
//! `{"status":"Error","message":"...","data":...}`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::UnitalkEmulatorConfig;
use crate::unitalk::call::DATE_FORMAT;

/// The emulator's state.
pub(crate) struct Account {
    pub config: UnitalkEmulatorConfig,
    pub calls: Vec<Value>,
}

/// State shared by the handlers.
pub(crate) struct Shared {
    pub account: Mutex<Account>,
}

/// The routes: one dispatcher for every path.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(front_door).with_state(shared)
}

fn answer(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: u16, message: &str, data: Option<&str>) -> Response {
    let mut body = json!({"status": "Error", "message": message});
    if let Some(data) = data {
        body["data"] = json!(data);
    }
    answer(status, body)
}

/// The call's `date`, parsed.
pub(crate) fn call_date(call: &Value) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(call.get("date")?.as_str()?, DATE_FORMAT).ok()
}

async fn front_door(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let account = shared.account.lock().unwrap_or_else(|p| p.into_inner());
    let config = &account.config;
    let given = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
    if given != Some(config.api_key.as_str()) {
        return error(config.auth_error_status, "Authorization invalid", None);
    }
    if parts.method != Method::POST {
        return error(config.error_status, "Method not allowed", None);
    }
    match parts.uri.path().trim_end_matches('/') {
        "/api/history/get" => history(&account, &bytes),
        "/api/users/list" => {
            let users: Vec<Value> = config
                .users
                .iter()
                .enumerate()
                .map(|(i, (line, first, last))| {
                    json!({"id": i + 1, "firstName": first, "lastName": last, "line": line})
                })
                .collect();
            answer(200, json!(users))
        }
        _ => error(404, "Not found", None),
    }
}

fn history(account: &Account, body: &Bytes) -> Response {
    let status = account.config.error_status;
    let Ok(Value::Object(query)) = serde_json::from_slice::<Value>(body) else {
        return error(status, "Wrong request body", None);
    };
    let date = |key: &str| {
        query
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| NaiveDateTime::parse_from_str(s, DATE_FORMAT).ok())
    };
    let (Some(from), Some(to)) = (date("dateFrom"), date("dateTo")) else {
        let missing = if date("dateFrom").is_none() {
            "dateFrom"
        } else {
            "dateTo"
        };
        return error(status, "Wrong date format", Some(missing));
    };
    let number = |key: &str, default: u64| match query.get(key) {
        None | Some(Value::Null) => Some(default),
        Some(v) => v.as_u64(),
    };
    let (Some(limit), Some(offset)) = (number("limit", 100), number("offset", 0)) else {
        return error(status, "Wrong limit or offset", None);
    };
    if limit == 0 || limit > account.config.max_limit {
        return error(status, "Limit is out of range", Some("limit"));
    }
    let direction = query
        .get("filter")
        .and_then(|f| f.get("direction"))
        .and_then(Value::as_str);
    let mut calls: Vec<&Value> = account
        .calls
        .iter()
        .filter(|c| call_date(c).is_some_and(|d| from <= d && d <= to))
        .filter(|c| {
            direction.is_none_or(|dir| c.get("direction").and_then(Value::as_str) == Some(dir))
        })
        .collect();
    calls.sort_by_key(|c| call_date(c));
    let page: Vec<&Value> = calls
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    answer(200, json!({"calls": page}))
}
