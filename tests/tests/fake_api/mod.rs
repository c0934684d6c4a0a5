//! A small JSON API on 127.0.0.1 for end-to-end tests of the generic `http` connector.
//!
//! - `GET /leads`: the leads a test added, oldest first, as `{"data": {"items": [...]}}`,
//!   read with cursor pagination (`since_id` = items with a larger numeric `id`, `limit`).
//! - `POST /deals`: creates a deal from the JSON body and answers `201 {"id": n, ...}`.
//!   A deal without a `phone` is refused with `422` and a validation body that, like some
//!   real APIs do, echoes the request's credential back (raw, JSON-escaped and inside a
//!   URL), so tests can prove the engine never writes it anywhere.
//! - Scripted replies: a test queues what the next requests to a route answer instead
//!   (a [`Fault`] from the emulator toolkit, an endless body, or holding the request open
//!   until the test releases it), most specific key first:
//!   `"POST /deals lead=7"`, then `"POST /deals"`; `"GET /leads since_id=2"` (the value
//!   is empty on a first page), then `"GET /leads"`.
//! - Every request is recorded (scripted ones too), so tests count attempts exactly.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferry_connectors::emulation::{
    EmulatorServer, Fault, FaultPlan, RecordedRequest, RequestLog, instrument,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

/// What a scripted request is answered with.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An emulator fault (status with body and headers, broken body, delay, ...).
    Fault(Fault),
    /// `200` with a JSON-looking body that never ends, streamed without a length, so only
    /// the client's size cap can stop it. Bytes actually produced are counted.
    Endless,
    /// Keep the request open until the test adds a permit to this semaphore, then answer
    /// normally: a request in flight for as long as the test needs.
    Hold(Arc<tokio::sync::Semaphore>),
}

#[derive(Default)]
struct ApiState {
    leads: Vec<Value>,
    deals: Vec<Value>,
    scripts: HashMap<String, VecDeque<Reply>>,
}

struct Shared {
    state: Mutex<ApiState>,
    /// Bytes produced by [`Reply::Endless`] bodies so far.
    streamed: AtomicU64,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, ApiState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The scripted reply for the first of `keys` that has one queued.
    fn scripted(&self, keys: &[String]) -> Option<Reply> {
        let mut state = self.lock();
        keys.iter()
            .find_map(|key| state.scripts.get_mut(key).and_then(VecDeque::pop_front))
    }
}

/// A running fake API. Dropping it stops the server.
pub struct FakeApi {
    server: EmulatorServer,
    log: RequestLog,
    shared: Arc<Shared>,
}

impl FakeApi {
    /// Serve an API with no leads on 127.0.0.1 with an OS-chosen port.
    pub async fn start() -> FakeApi {
        let shared = Arc::new(Shared {
            state: Mutex::new(ApiState::default()),
            streamed: AtomicU64::new(0),
        });
        let router = Router::new()
            .route("/leads", get(list_leads))
            .route("/deals", post(create_deal))
            .with_state(shared.clone());
        let log = RequestLog::new();
        let router = instrument(router, log.clone(), FaultPlan::new());
        let server = EmulatorServer::start(router).await.expect("start fake API");
        FakeApi {
            server,
            log,
            shared,
        }
    }

    /// `http://127.0.0.1:<port>`: the connection's `base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Add a lead (it should carry a numeric `id`).
    pub fn add_lead(&self, lead: Value) {
        self.shared.lock().leads.push(lead);
    }

    /// Answer the next request to `route` (see the module docs for keys) with `reply`;
    /// calling it again queues more replies after this one.
    pub fn script(&self, route: &str, reply: Reply) {
        self.script_times(route, reply, 1);
    }

    /// Answer the next `times` requests to `route` with `reply`.
    pub fn script_times(&self, route: &str, reply: Reply, times: usize) {
        let mut state = self.shared.lock();
        let queue = state.scripts.entry(route.to_string()).or_default();
        for _ in 0..times {
            queue.push_back(reply.clone());
        }
    }

    /// Deals created so far (the request bodies), in creation order.
    pub fn deals(&self) -> Vec<Value> {
        self.shared.lock().deals.clone()
    }

    /// Requests received with this method and path (scripted ones included).
    pub fn requests(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.log.matching(method, path)
    }

    /// How many `POST /deals` carried this lead id in their body.
    pub fn deal_attempts_for(&self, lead: i64) -> usize {
        self.requests("POST", "/deals")
            .iter()
            .filter(|r| r.json().is_some_and(|b| b["lead"] == lead))
            .count()
    }

    /// Bytes produced by endless bodies so far.
    pub fn streamed_bytes(&self) -> u64 {
        self.shared.streamed.load(Ordering::SeqCst)
    }
}

async fn list_leads(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let since = query.get("since_id").cloned().unwrap_or_default();
    let keys = [
        format!("GET /leads since_id={since}"),
        "GET /leads".to_string(),
    ];
    if let Some(reply) = shared.scripted(&keys)
        && let Some(response) = answer(&shared, reply).await
    {
        return response;
    }
    let since: Option<i64> = since.parse().ok();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let items: Vec<Value> = shared
        .lock()
        .leads
        .iter()
        .filter(|lead| since.is_none_or(|s| lead["id"].as_i64().is_some_and(|id| id > s)))
        .take(limit)
        .cloned()
        .collect();
    axum::Json(json!({"data": {"items": items}})).into_response()
}

async fn create_deal(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(deal) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    };
    let keys = [
        format!("POST /deals lead={}", deal["lead"]),
        "POST /deals".to_string(),
    ];
    if let Some(reply) = shared.scripted(&keys)
        && let Some(response) = answer(&shared, reply).await
    {
        return response;
    }
    let phone_missing = deal["phone"].as_str().is_none_or(|p| p.trim().is_empty());
    if phone_missing {
        return validation_error(&headers);
    }
    let mut state = shared.lock();
    state.deals.push(deal.clone());
    let id = 1000 + state.deals.len() as i64;
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "lead": deal["lead"]})),
    )
        .into_response()
}

/// 422 naming the invalid field, echoing the caller's token in every form a careless API
/// might: inside a JSON string, percent-encoded in a URL, and raw in a trailing note.
fn validation_error(headers: &HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let body = json!({
        "error": "validation failed",
        "errors": {"phone": "phone is required"},
        "request": {"token": token, "retry": format!("/deals?access_token={encoded}")},
    });
    let text = format!("{body}\nraw credential: {token}");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [("content-type", "application/json")],
        text,
    )
        .into_response()
}

/// The scripted response; `None` after a delay or a hold, meaning "now answer normally".
async fn answer(shared: &Arc<Shared>, reply: Reply) -> Option<Response> {
    match reply {
        Reply::Fault(fault) => fault.respond().await,
        Reply::Endless => Some(endless_body(shared.clone())),
        Reply::Hold(gate) => {
            gate.acquire().await.expect("gate never closed").forget();
            None
        }
    }
}

fn endless_body(shared: Arc<Shared>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(vec![b' '; CHUNK]);
    let opening = Bytes::from_static(b"{\"padding\": [");
    let stream = futures::stream::once(async move { opening })
        .chain(futures::stream::repeat(chunk))
        .map(move |bytes| {
            shared
                .streamed
                .fetch_add(bytes.len() as u64, Ordering::SeqCst);
            Ok::<_, Infallible>(bytes)
        });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("header value"),
    );
    response
}
