//! A small JSON API on 127.0.0.1 that several workers poll and send to at once, and that
//! remembers exactly what each request was:
//!
//! - `GET /sources/{n}/items?since_id=&limit=`: source `n`'s items with an id above
//!   `since_id`, oldest first, as `{"data": {"items": [{"id", "source"}, ...]}}`. Every page
//!   request is recorded with the simulated time it arrived at (read from the engines'
//!   shared clock), the `since_id` it asked for and the ids it got.
//! - `POST /received` with `{"source": n, "item": id}`: records one delivery, answers
//!   `201 {"id": <delivery number>}`.
//! - Holds: the next matching request waits at the API until the test releases it, which
//!   is how a test freezes a worker in the middle of a poll or a step.
//! - Every request's arrival is also stamped with a monotonic clock (rate-limit checks).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use ferry::clock::{Clock, ManualClock};
use ferry_connectors::emulation::EmulatorServer;
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};

/// One page request of a poll.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The source polled.
    pub source: u32,
    /// Simulated time of arrival.
    pub at: DateTime<Utc>,
    /// The `since_id` asked for (`None` on a first ever poll).
    pub since: Option<i64>,
    /// The ids answered.
    pub ids: Vec<i64>,
    /// The `X-Worker` header: which worker asked.
    pub worker: String,
}

/// One `POST /received`.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The source the item came from.
    pub source: u32,
    /// The item id.
    pub item: i64,
    /// The `X-Worker` header: which worker sent it.
    pub worker: String,
}

/// A request held at the API until released.
pub struct Hold {
    arrived: Notify,
    release: Semaphore,
    /// What the held request carried: the item id of a held delivery.
    item: Mutex<Option<i64>>,
}

impl Hold {
    fn new() -> Arc<Hold> {
        Arc::new(Hold {
            arrived: Notify::new(),
            release: Semaphore::new(0),
            item: Mutex::new(None),
        })
    }

    /// Wait until the held request has arrived.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// Let the held request be answered.
    pub fn release(&self) {
        self.release.add_permits(1);
    }

    /// The item id of a held delivery.
    pub fn item(&self) -> Option<i64> {
        *self.item.lock().unwrap()
    }

    async fn wait(&self) {
        // `notify_one` keeps a permit if the test is not waiting yet.
        self.arrived.notify_one();
        let _ = self.release.acquire().await.map(|p| p.forget());
    }
}

#[derive(Default)]
struct Records {
    items: BTreeMap<u32, Vec<i64>>,
    next_id: i64,
    pages: Vec<PageRequest>,
    deliveries: Vec<Delivery>,
    arrivals: Vec<Instant>,
    hold_page: Option<(u32, Option<i64>, Arc<Hold>)>,
    hold_delivery: Option<Arc<Hold>>,
}

struct Shared {
    clock: Arc<ManualClock>,
    records: Mutex<Records>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running API; dropping it stops the server.
pub struct SourcesApi {
    server: EmulatorServer,
    shared: Arc<Shared>,
}

impl SourcesApi {
    /// Serve on 127.0.0.1, stamping polls with `clock`.
    pub async fn start(clock: Arc<ManualClock>) -> SourcesApi {
        let shared = Arc::new(Shared {
            clock,
            records: Mutex::new(Records {
                next_id: 1,
                ..Records::default()
            }),
        });
        let router = Router::new()
            .route("/sources/{source}/items", get(list_items))
            .route("/received", post(receive))
            .with_state(shared.clone());
        let server = EmulatorServer::start(router).await.expect("start test API");
        SourcesApi { server, shared }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Add `count` new items to `source`; returns their ids.
    pub fn add_items(&self, source: u32, count: usize) -> Vec<i64> {
        let mut records = self.shared.lock();
        let first = records.next_id;
        records.next_id += count as i64;
        let ids: Vec<i64> = (first..first + count as i64).collect();
        records.items.entry(source).or_default().extend(&ids);
        ids
    }

    /// Every item added, by source.
    pub fn items(&self) -> BTreeMap<u32, Vec<i64>> {
        self.shared.lock().items.clone()
    }

    /// Every page request so far, in arrival order.
    pub fn pages(&self) -> Vec<PageRequest> {
        self.shared.lock().pages.clone()
    }

    /// Every delivery so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// When each request arrived (monotonic clock), in arrival order.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared.lock().arrivals.clone()
    }

    /// Hold the next page request for `source` asking for `since`.
    pub fn hold_page(&self, source: u32, since: Option<i64>) -> Arc<Hold> {
        let hold = Hold::new();
        self.shared.lock().hold_page = Some((source, since, hold.clone()));
        hold
    }

    /// Hold the next delivery (it is recorded before it is held).
    pub fn hold_next_delivery(&self) -> Arc<Hold> {
        let hold = Hold::new();
        self.shared.lock().hold_delivery = Some(hold.clone());
        hold
    }
}

async fn list_items(
    State(shared): State<Arc<Shared>>,
    Path(source): Path<u32>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let arrived = Instant::now();
    let since = match query.get("since_id").map(|s| s.parse::<i64>()) {
        None => None,
        Some(Ok(since)) => Some(since),
        Some(Err(_)) => {
            return (StatusCode::BAD_REQUEST, "since_id is not a number").into_response();
        }
    };
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let (ids, hold) = {
        let mut records = shared.lock();
        records.arrivals.push(arrived);
        let ids: Vec<i64> = records
            .items
            .get(&source)
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| since.is_none_or(|s| *id > s))
            .take(limit)
            .collect();
        records.pages.push(PageRequest {
            source,
            at: shared.clock.now(),
            since,
            ids: ids.clone(),
            worker: worker_of(&headers),
        });
        let held = matches!(&records.hold_page, Some((s, at, _)) if *s == source && *at == since);
        let hold = if held {
            records.hold_page.take().map(|(_, _, hold)| hold)
        } else {
            None
        };
        (ids, hold)
    };
    if let Some(hold) = hold {
        hold.wait().await;
    }
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "source": source}))
        .collect();
    axum::Json(json!({"data": {"items": items}})).into_response()
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let arrived = Instant::now();
    let parsed: Option<(u32, i64)> = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        let source = u32::try_from(v["source"].as_u64()?).ok()?;
        Some((source, v["item"].as_i64()?))
    });
    let Some((source, item)) = parsed else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected {\"source\": n, \"item\": id}",
        )
            .into_response();
    };
    let (number, hold) = {
        let mut records = shared.lock();
        records.arrivals.push(arrived);
        records.deliveries.push(Delivery {
            source,
            item,
            worker: worker_of(&headers),
        });
        let hold = records.hold_delivery.take();
        (records.deliveries.len(), hold)
    };
    if let Some(hold) = hold {
        *hold.item.lock().unwrap() = Some(item);
        hold.wait().await;
    }
    (StatusCode::CREATED, axum::Json(json!({"id": number}))).into_response()
}

fn worker_of(headers: &HeaderMap) -> String {
    headers
        .get("x-worker")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_string()
}
