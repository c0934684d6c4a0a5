//! Tests of the `http` connector against a small REST API served on 127.0.0.1: a lead
//! list paged three ways, failing endpoints, and an echo endpoint that records requests.

mod action;
mod conformance;
mod polling;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::HttpKind;
use crate::connector::{BuildContext, Connector, ConnectorKind, PollRequest, Settings};
use crate::emulation::EmulatorServer;
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{HttpTransport, TransportConfig};

/// A request the API received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct ApiState {
    leads: Mutex<Vec<Value>>,
    seen: Mutex<Vec<Seen>>,
}

/// The test API and its recorded requests.
struct Api {
    server: EmulatorServer,
    state: Arc<ApiState>,
}

impl Api {
    /// Serve an API with leads 1..=count.
    async fn start(count: u64) -> Api {
        let state = Arc::new(ApiState::default());
        state.leads.lock().unwrap().extend((1..=count).map(lead));
        Api {
            server: EmulatorServer::start(router(state.clone())).await.unwrap(),
            state,
        }
    }

    fn base_url(&self) -> String {
        self.server.base_url()
    }

    fn add_leads(&self, ids: std::ops::RangeInclusive<u64>) {
        self.state.leads.lock().unwrap().extend(ids.map(lead));
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// A connector for this API with extra plain settings and secrets.
    fn connector(&self, settings: Value, secrets: &[(&str, &str)]) -> Arc<dyn Connector> {
        build(&self.base_url(), settings, secrets).unwrap()
    }
}

fn router(state: Arc<ApiState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

fn lead(id: u64) -> Value {
    json!({"id": id, "name": format!("Lead {id}"), "phone": format!("+7916000{id:04}")})
}

fn build(
    base_url: &str,
    settings: Value,
    secrets: &[(&str, &str)],
) -> Result<Arc<dyn Connector>, ConnectorError> {
    build_with(
        base_url,
        settings,
        secrets,
        &HttpTransport::new(TransportConfig::default()).unwrap(),
    )
}

fn build_with(
    base_url: &str,
    settings: Value,
    secrets: &[(&str, &str)],
    transport: &HttpTransport,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    let mut values = match settings {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    values.insert("base_url".into(), json!(base_url));
    let secrets: BTreeMap<String, SecretString> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), SecretString::new(*v)))
        .collect();
    let ctx = BuildContext {
        http: transport.clone(),
        connection_name: "api".into(),
        oauth: Default::default(),
    };
    HttpKind.build(Settings::new(values, secrets), &ctx)
}

fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn number(query: &[(String, String)], name: &str) -> Option<usize> {
    query_value(query, name).and_then(|v| v.parse().ok())
}

async fn handle(
    State(state): State<Arc<ApiState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let path = uri.path().to_string();
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let leads = state.leads.lock().unwrap().clone();
    let limit = number(&query, "limit").unwrap_or(10);
    match path.as_str() {
        // `GET /cursor/leads?since_id=&limit=`: leads with larger ids, oldest first.
        "/cursor/leads" => {
            let since = number(&query, "since_id").unwrap_or(0) as u64;
            let page: Vec<Value> = leads
                .into_iter()
                .filter(|l| l["id"].as_u64().unwrap() > since)
                .take(limit)
                .collect();
            axum::Json(json!({"data": {"items": page}})).into_response()
        }
        // `GET /paged/leads?page=&per_page=`: a bare JSON list.
        "/paged/leads" => {
            let page = number(&query, "page").unwrap_or(1);
            let size = number(&query, "per_page").unwrap_or(10);
            let slice: Vec<Value> = leads
                .into_iter()
                .skip((page - 1) * size)
                .take(size)
                .collect();
            axum::Json(Value::Array(slice)).into_response()
        }
        // `GET /linked/leads?page=`: relative link from page 1, absolute from page 2.
        "/linked/leads" => {
            let page = number(&query, "page").unwrap_or(1);
            let slice: Vec<Value> = leads
                .iter()
                .skip((page - 1) * 10)
                .take(10)
                .cloned()
                .collect();
            let host = headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let next = if page * 10 >= leads.len() {
                Value::Null
            } else if page == 1 {
                json!(format!(
                    "?page={}&api_key={}",
                    page + 1,
                    query_value(&query, "api_key").unwrap_or("")
                ))
            } else {
                json!(format!("http://{host}/linked/leads?page={}", page + 1))
            };
            axum::Json(json!({"results": slice, "links": {"next": next}})).into_response()
        }
        // Fails with a body that echoes everything it was sent, credentials included.
        "/fail" => {
            let echo = format!(
                "boom: {} {:?} {:?}",
                uri,
                headers.get("authorization"),
                headers.get("x-api-key")
            );
            (StatusCode::INTERNAL_SERVER_ERROR, echo).into_response()
        }
        "/limited" => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "2")],
            "slow down",
        )
            .into_response(),
        "/protected" => {
            let auth = headers
                .get("authorization")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_string();
            if auth == "Bearer good-token-1" {
                axum::Json(json!([{"id": 1}])).into_response()
            } else {
                (StatusCode::UNAUTHORIZED, format!("token {auth} refused")).into_response()
            }
        }
        "/forbidden" => (StatusCode::FORBIDDEN, "no").into_response(),
        "/conflict" => (
            StatusCode::CONFLICT,
            axum::Json(json!({"existing": {"id": 9}})),
        )
            .into_response(),
        "/empty" => StatusCode::NO_CONTENT.into_response(),
        _ if path.starts_with("/echo") => {
            let body_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            axum::Json(json!({
                "id": 42,
                "data": {"total": 3, "nothing": null},
                "echo": {"method": method.to_string(), "path": path, "body": body_json}
            }))
            .into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    }
}

/// What a whole poll returned.
struct PollOutcome {
    items: Vec<Value>,
    cursor: Option<Value>,
    pages: usize,
}

/// Poll page after page until the trigger says the list ended.
async fn poll_all(
    connector: &dyn Connector,
    settings: Value,
    cursor: Option<Value>,
) -> Result<PollOutcome, ConnectorError> {
    let settings = match settings {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut items = Vec::new();
    let mut page: Option<Value> = None;
    let mut pages = 0;
    loop {
        let result = connector
            .poll(PollRequest {
                event: "poll",
                settings: &settings,
                cursor: cursor.as_ref(),
                page: page.as_ref(),
                now: chrono::Utc::now(),
            })
            .await?;
        pages += 1;
        items.extend(result.items);
        match result.next_page {
            Some(next) => page = Some(next),
            None => {
                return Ok(PollOutcome {
                    items,
                    cursor: result.cursor,
                    pages,
                });
            }
        }
        assert!(pages < 50, "pagination does not end");
    }
}

fn ids(items: &[Value]) -> Vec<u64> {
    items.iter().map(|i| i["id"].as_u64().unwrap()).collect()
}
