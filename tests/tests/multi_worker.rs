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
//! The tests run one at a time: together they would open more connections than a default
//! PostgreSQL server allows, and the timings they print would mean less. Skipped (with
//! `SKIPPED`) when PostgreSQL is not reachable, unless `FERRY_REQUIRE_POSTGRES=1`.

mod multi_worker_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferry::runtime::Engine;
use ferry::store::{
    ItemSettle, ItemStatus, RenewClaims, RunQuery, StepBegin, StepFinish, StepStatus, Store,
    StoreError,
};
use futures::future::join_all;
use serde_json::json;
use sqlx::Row;

use multi_worker_support::api::SourcesApi;
use multi_worker_support::fleet::{
    Fleet, Setup, assert_each_item_delivered_once, check_one_walk_per_tick, deliveries_by_item,
    tick_all,
};
use multi_worker_support::{SourceOptions, TICK, max_in_window};

/// Serializes the tests of this file (see the module docs).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SOURCES: u32 = 20;

/// Simulated ticks of the exactly-once runs. A tick of 20 bundles costs about 100 ms of
/// real time in a debug build on two busy cores (some 80 PostgreSQL commits), so the default
/// keeps each run near half a minute; `FERRY_MULTI_WORKER_TICKS=1000` runs the full size.
fn tick_count() -> usize {
    const DEFAULT_TICKS: usize = 250;
    std::env::var("FERRY_MULTI_WORKER_TICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TICKS)
}

/// Ticks between two multi-page batches for every source.
const BATCH_EVERY: usize = 100;

/// New items before tick `k`: every source gets a multi-page batch every [`BATCH_EVERY`]
/// ticks, and two sources get a few each tick.
fn feed(api: &SourcesApi, k: usize) {
    if k.checked_rem(BATCH_EVERY) == Some(0) {
        for source in 0..SOURCES {
            api.add_items(source, 11);
        }
    }
    api.add_items(k as u32 % SOURCES, 2);
    api.add_items((k as u32 * 7 + 3) % SOURCES, 1);
}

async fn every_bundle_tick_polled_once_and_every_item_processed_once(worker_ids: &[&str]) {
    let _alone = ONE_AT_A_TIME.lock().await;
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
    check_one_walk_per_tick(&setup.api, SOURCES, &tick_times, 5);

    // Every item delivered exactly once, and settled as succeeded.
    let total = assert_each_item_delivered_once(&setup.api);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_poll_each_bundle_tick_once_and_process_each_item_once() {
    every_bundle_tick_polled_once_and_every_item_processed_once(&["worker-a", "worker-b"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_poll_each_bundle_tick_once_and_process_each_item_once() {
    let ids = ["worker-a", "worker-b", "worker-c", "worker-d"];
    every_bundle_tick_polled_once_and_every_item_processed_once(&ids).await;
}

/// Run `engine.tick()` in a task that the test can kill.
fn spawn_tick(engine: Engine) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = engine.tick().await;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_poll_lease_holder_delays_its_bundle_by_at_most_one_tick_and_skips_nothing() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(setup) = Setup::new().await else {
        return;
    };
    let fleet = Fleet::default();
    setup.api.add_items(0, 12);
    let dying = setup.worker("worker-a", 1, fleet).await;
    let survivors = setup.workers(&["worker-b", "worker-c"], 1, fleet).await;

    // worker-a takes the poll lease, queues the first page, and dies waiting for the second.
    let died_at = setup.now();
    let second_page = setup.api.hold_page(0, Some(5));
    let task = spawn_tick(dying);
    second_page.arrived().await;
    task.abort();
    let _ = task.await;

    // The survivors tick every 10 simulated seconds until one of them polls source 0.
    let mut takeover = None;
    for _ in 0..60 {
        tick_all(&survivors).await;
        let polled_by_survivor = setup
            .api
            .pages()
            .into_iter()
            .find(|p| p.worker != "worker-a");
        if let Some(page) = polled_by_survivor {
            takeover = Some(page);
            break;
        }
        setup.clock.advance(Duration::from_secs(10));
    }
    second_page.release();
    let takeover = takeover.expect("no survivor polled within 10 minutes");
    let takeover_time = (takeover.at - died_at).to_std().unwrap();
    assert!(
        takeover_time > Duration::ZERO,
        "polled while the lease was held"
    );
    assert!(takeover_time <= TICK, "takeover after {takeover_time:?}");

    // The abandoned poll stored no cursor: the takeover read from the start, so the items of
    // the page that never arrived were not skipped, and those already queued were not
    // queued again.
    assert_eq!(takeover.since, None, "the cursor moved past unqueued items");
    tick_all(&survivors).await;
    let total = assert_each_item_delivered_once(&setup.api);
    assert_eq!(total, 12);
    let store = survivors[0].store();
    assert_eq!(store.cursor("source-0").await.unwrap(), Some(json!(12)));
    let counts = store.item_counts(Some("source-0")).await.unwrap();
    assert_eq!(
        (counts.succeeded, counts.unfinished()),
        (12, 0),
        "{counts:?}"
    );
    println!(
        "poll lease holder died mid-poll (waiting for page 2 of 3); {} took over after {}s of simulated time \
         (tick interval {}s); 12 of 12 items delivered once",
        takeover.worker,
        takeover_time.as_secs(),
        TICK.as_secs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_claims_are_taken_over_after_the_lease_and_its_late_writes_fenced() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(setup) = Setup::new().await else {
        return;
    };
    // One item at a time, so the dead worker holds claims on items it never started.
    let fleet = Fleet {
        source: SourceOptions {
            concurrency: 1,
            ..SourceOptions::default()
        },
        ..Fleet::default()
    };
    setup.api.add_items(0, 6);
    let dying = setup.worker("worker-a", 1, fleet).await;
    let survivor = setup.worker("worker-b", 1, fleet).await;
    let start = setup.now();

    // worker-a polls, claims all six items, sends the first and dies waiting for the answer.
    let in_flight = setup.api.hold_next_delivery();
    let task = spawn_tick(dying);
    in_flight.arrived().await;
    let mut db = setup.schema.connection().await;
    let dead_claims: Vec<(i64, String)> = sqlx::query(
        "SELECT id, claim_token FROM items WHERE claimed_by = 'worker-a' AND status = 'running' \
         ORDER BY id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    assert_eq!(dead_claims.len(), 6, "worker-a should hold every item");
    task.abort();
    let _ = task.await;

    // Until the claim lease (300 s) runs out, nothing is taken over.
    tick_all(std::slice::from_ref(&survivor)).await;
    setup.clock.set(start + chrono::Duration::seconds(299));
    tick_all(std::slice::from_ref(&survivor)).await;
    assert_eq!(
        setup.api.deliveries().len(),
        1,
        "taken over before the lease expired"
    );

    // Past it, worker-b takes every item over: the one that was in flight is held for an
    // operator (it may have been sent, and a plain request has no lookup), the rest are
    // delivered once, by worker-b.
    setup.clock.set(start + chrono::Duration::seconds(301));
    tick_all(std::slice::from_ref(&survivor)).await;
    in_flight.release();
    let held_item = in_flight.item().expect("held delivery carries an item");
    for ((_, item), workers) in deliveries_by_item(&setup.api) {
        let expected = if item == held_item {
            "worker-a"
        } else {
            "worker-b"
        };
        assert_eq!(workers, vec![expected.to_string()], "item {item}");
    }
    let store = survivor.store();
    let counts = store.item_counts(Some("source-0")).await.unwrap();
    assert_eq!((counts.succeeded, counts.held), (5, 1), "{counts:?}");

    // worker-a comes back (a paused process resuming) and writes with its old claims.
    let zombie = setup.schema.store().await;
    let now = setup.now().timestamp_millis();
    for (item_id, token) in &dead_claims {
        let lost = |r: Result<(), StoreError>, what: &str| match r {
            Err(StoreError::LostClaim { item_id: lost }) => assert_eq!(lost, *item_id),
            other => panic!("{what} of item {item_id} with a dead claim: {other:?}"),
        };
        let begin = StepBegin {
            item_id: *item_id,
            claim_token: token.clone(),
            step_id: "deliver".into(),
            attempt: 1,
            now,
        };
        lost(zombie.begin_step(begin).await, "begin_step");
        let finish = StepFinish {
            item_id: *item_id,
            claim_token: token.clone(),
            step_id: "deliver".into(),
            status: StepStatus::Succeeded,
            attempts: 1,
            output: Some(json!({"id": 999})),
            error: None,
            now,
        };
        lost(zombie.finish_step(finish).await, "finish_step");
        let settle = ItemSettle {
            item_id: *item_id,
            claim_token: token.clone(),
            status: ItemStatus::Failed,
            due_at: None,
            error: Some("late write".into()),
            now,
        };
        lost(zombie.settle_item(settle).await, "settle_item");
        let renew = RenewClaims {
            items: vec![(*item_id, token.clone())],
            now,
            lease_ms: 300_000,
        };
        lost(zombie.renew_claims(renew).await, "renew_claims");
    }
    let after = store.item_counts(Some("source-0")).await.unwrap();
    assert_eq!(after, counts, "a late write changed an item");
    println!(
        "6 items claimed by a dead worker: none taken over at +299 s, all taken over at +301 s \
         (claim lease 300 s); 5 delivered once by worker-b, the in-flight one held; \
         24 late writes, all LostClaim"
    );
}

/// Three workers, three bundles on one account limited to 7 requests per second; items
/// spread over the workers (`max_in_flight` 2 each). Returns the most requests the API saw
/// in one second, the requests, the span of the traffic and requests per worker.
async fn traffic_on_one_account(shared_rate_limit: bool) -> (usize, usize, Duration, Vec<usize>) {
    let Some(setup) = Setup::new().await else {
        return (0, 0, Duration::ZERO, Vec::new());
    };
    let fleet = Fleet {
        source: SourceOptions {
            requests_per_second: Some(7),
            ..SourceOptions::default()
        },
        max_in_flight: 2,
        shared_rate_limit,
    };
    for source in 0..3 {
        setup.api.add_items(source, 8);
    }
    let ids = ["worker-a", "worker-b", "worker-c"];
    let engines = setup.workers(&ids, 3, fleet).await;
    // Each worker ticks, then keeps taking items until all 24 are done (whoever polled,
    // the others must not give up before the items are queued), as its worker loop would;
    // all three at once.
    let deadline = Instant::now() + Duration::from_secs(60);
    join_all(engines.iter().map(|engine| async move {
        engine.tick().await.expect("tick");
        while engine.store().item_counts(None).await.unwrap().succeeded < 24 {
            assert!(Instant::now() < deadline, "items not done within a minute");
            engine.drain().await.expect("drain");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }))
    .await;
    assert_eq!(assert_each_item_delivered_once(&setup.api), 24);
    let arrivals = setup.api.arrivals();
    let span = arrivals
        .iter()
        .max()
        .unwrap()
        .duration_since(*arrivals.iter().min().unwrap());
    let by_worker = ids
        .iter()
        .map(|id| {
            setup
                .api
                .deliveries()
                .iter()
                .filter(|d| d.worker == *id)
                .count()
        })
        .collect();
    (
        max_in_window(&arrivals, Duration::from_secs(1)),
        arrivals.len(),
        span,
        by_worker,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_sharing_an_account_stay_under_its_rate_limit_together() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (shared_max, requests, span, by_worker) = traffic_on_one_account(true).await;
    if requests == 0 {
        return;
    }
    assert!(
        by_worker.iter().all(|n| *n >= 2),
        "every worker should have sent: {by_worker:?}"
    );
    assert!(shared_max <= 7, "{shared_max} requests within one second");
    // The limit was what paced the traffic, not a lack of it.
    assert!(
        shared_max >= 6,
        "only {shared_max} requests in the busiest second"
    );
    assert!(
        span >= Duration::from_secs(3),
        "{requests} requests in {span:?}"
    );

    // Control: the same traffic with only each worker's own limiter exceeds the account's.
    let (alone_max, _, alone_span, _) = traffic_on_one_account(false).await;
    assert!(
        alone_max > 7,
        "without sharing, the busiest second had {alone_max}"
    );
    println!(
        "shared limit 7/s, 3 workers: {requests} requests over {span:.2?}, deliveries by worker \
         {by_worker:?}, busiest 1 s window {shared_max}; without sharing: busiest window \
         {alone_max} over {alone_span:.2?}"
    );
}
