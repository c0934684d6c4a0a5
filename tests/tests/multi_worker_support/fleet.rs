//! A test's workers: one schema, one clock and one test API, and engines built over them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferry::clock::ManualClock;
use ferry::runtime::Engine;
use futures::future::join_all;

use super::api::SourcesApi;
use super::{PgSchema, SourceOptions, WorkerSpec, source_bundle, start_time, worker};

/// A schema, a clock at [`start_time`] and the test API reading it.
pub struct Setup {
    /// The database schema.
    pub schema: PgSchema,
    /// The clock every worker reads.
    pub clock: Arc<ManualClock>,
    /// The test API.
    pub api: SourcesApi,
}

impl Setup {
    /// `None` when PostgreSQL is not reachable (see [`PgSchema::create`]).
    pub async fn new() -> Option<Setup> {
        let schema = PgSchema::create().await?;
        let clock = Arc::new(ManualClock::new(start_time()));
        let api = SourcesApi::start(clock.clone()).await;
        Some(Setup { schema, clock, api })
    }

    /// A worker running bundles `source-0 .. source-(sources-1)`.
    pub async fn worker(&self, id: &str, sources: u32, options: Fleet) -> Engine {
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

    /// Workers with these ids, each running the same bundles.
    pub async fn workers(&self, ids: &[&str], sources: u32, options: Fleet) -> Vec<Engine> {
        let mut engines = Vec::new();
        for id in ids {
            engines.push(self.worker(id, sources, options).await);
        }
        engines
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        ferry::clock::Clock::now(self.clock.as_ref())
    }
}

/// How the workers of one test are set up.
#[derive(Debug, Clone, Copy)]
pub struct Fleet {
    /// The bundles' options.
    pub source: SourceOptions,
    /// Items each worker processes at once.
    pub max_in_flight: usize,
    /// Whether workers share rate limits through the database.
    pub shared_rate_limit: bool,
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
pub async fn tick_all(engines: &[Engine]) -> Vec<usize> {
    join_all(engines.iter().map(|e| e.tick()))
        .await
        .into_iter()
        .map(|report| report.expect("tick").bundles.len())
        .collect()
}

/// Each (source, tick) in `tick_times` was read by exactly one poll: its first page asked
/// for the previous poll's cursor (the largest id seen so far), each further page for the
/// last id of a full page before it, and the last page was short.
pub fn check_one_walk_per_tick(
    api: &SourcesApi,
    sources: u32,
    tick_times: &[DateTime<Utc>],
    page_size: usize,
) {
    let mut pages: BTreeMap<(u32, DateTime<Utc>), Vec<_>> = BTreeMap::new();
    for page in api.pages() {
        pages.entry((page.source, page.at)).or_default().push(page);
    }
    for source in 0..sources {
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

/// For every item the API ever listed, the workers that delivered it, in order.
pub fn deliveries_by_item(api: &SourcesApi) -> BTreeMap<(u32, i64), Vec<String>> {
    let mut by_item: BTreeMap<(u32, i64), Vec<String>> = api
        .items()
        .into_iter()
        .flat_map(|(source, ids)| ids.into_iter().map(move |id| ((source, id), Vec::new())))
        .collect();
    for delivery in api.deliveries() {
        by_item
            .entry((delivery.source, delivery.item))
            .or_default()
            .push(delivery.worker);
    }
    by_item
}

/// Assert every item was delivered exactly once (and nothing else was); returns how many.
pub fn assert_each_item_delivered_once(api: &SourcesApi) -> usize {
    let by_item = deliveries_by_item(api);
    for ((source, item), workers) in &by_item {
        assert_eq!(
            workers.len(),
            1,
            "item {item} of source {source} delivered by {workers:?}"
        );
    }
    by_item.len()
}
