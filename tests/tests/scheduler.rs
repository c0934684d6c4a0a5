//! End-to-end: the scheduler. `Engine::run_until` on tokio's paused clock, the engine
//! reading it through `TokioClock`, against the test API on 127.0.0.1: thirty simulated
//! minutes take well under a second of real time.
//!
//! Time is moved only by the test (`tokio::time::advance`). Tokio's auto-advance (jump to
//! the next timer whenever the runtime is idle) cannot be used here: the SQLite store
//! waits on its database thread, and each such wait would let paused time jump to the
//! next timer, firing the connection pool's acquire timeout. A blocking task held for the
//! whole test keeps auto-advance off ([`NoAutoAdvance`]); between time steps the test
//! waits, in real time, for the engine to reach the state it expects.

mod fake_api;
mod support;

use std::sync::Arc;
use std::time::Duration;

use ferry::bundle::parse_bundle;
use ferry::clock::TokioClock;
use ferry::runtime::{Engine, EngineConfig, PreparedBundle};
use ferry::store::{ItemStatus, RunQuery, StepStatus, Store};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Semaphore, oneshot};
use tokio::time::Instant;

use fake_api::{FakeApi, Reply};
use support::{World, start_time};

const BUNDLE: &str = r#"
id: scheduled-leads
name: Scheduled leads
connections:
  api: { kind: http, base_url: "{BASE}" }
trigger:
  connection: api
  event: poll
  schedule: "*/5 * * * *"
  settings:
    path: /leads
    items_path: data.items
    pagination: { style: cursor_after_id, param: since_id }
steps:
  - id: deal
    action: api.request
    with:
      path: /deals
      body: { object: { lead: { from: item.id }, phone: { from: item.phone } } }
      outputs: { id: id }
"#;

/// Keeps tokio's paused clock from auto-advancing while it lives (a blocking task in
/// flight inhibits auto-advance on the current-thread runtime).
struct NoAutoAdvance {
    release: std::sync::mpsc::Sender<()>,
}

impl NoAutoAdvance {
    fn hold() -> NoAutoAdvance {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = wait.recv();
        });
        NoAutoAdvance { release }
    }
}

impl Drop for NoAutoAdvance {
    fn drop(&mut self) {
        let _ = self.release.send(());
    }
}

/// The engine under test, on the paused clock from [`start_time`] (a five-minute
/// boundary, so polls come at +5, +10, ... minutes).
struct Scheduled {
    api: FakeApi,
    engine: Engine,
    started: Instant,
    _no_auto_advance: NoAutoAdvance,
    _world: World,
}

async fn scheduled() -> Scheduled {
    let api = FakeApi::start().await;
    let world = World::new();
    let store = world.store().await;
    tokio::time::pause();
    let no_auto_advance = NoAutoAdvance::hold();
    let text = BUNDLE.replace("{BASE}", &api.base_url());
    let bundle = parse_bundle(std::path::Path::new("inline/scheduled.yaml"), &text)
        .unwrap_or_else(|d| panic!("{d}"));
    // Requests may stay in flight for simulated minutes (the target holds them); the
    // transport's own timeout is not what these tests are about.
    let http = HttpTransport::new(TransportConfig {
        request_timeout: Duration::from_secs(3_600),
        ..TransportConfig::default()
    })
    .unwrap();
    let prepared = PreparedBundle::prepare(bundle, &world.secrets, &http).unwrap();
    let clock = Arc::new(TokioClock::starting_at(start_time()));
    let config = EngineConfig {
        worker_id: "scheduler-test".into(),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, clock, config, vec![prepared])
        .await
        .unwrap();
    Scheduled {
        api,
        engine,
        started: Instant::now(),
        _no_auto_advance: no_auto_advance,
        _world: world,
    }
}

impl Scheduled {
    /// Move paused time to `offset` after the start, in steps of at most [`STEP`] with a
    /// moment of real time after each, so the engine's work at each instant gets done
    /// before time moves on (as it would in real time). Tokio fires timers on whole
    /// milliseconds, rounding deadlines up, so time goes one millisecond past `offset` to
    /// fire what is due exactly at `offset`.
    async fn advance_to(&self, offset: Duration) {
        let target = self.started + offset + Duration::from_millis(1);
        loop {
            let left = target.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            tokio::time::advance(left.min(STEP)).await;
            real_pause().await;
        }
    }

    /// Wait (in real time, at most 5 s) until `condition` holds.
    async fn until<F, Fut>(&self, what: &str, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !condition().await {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting until {what}"
            );
            real_pause().await;
        }
    }

    /// Run the engine (`run_until`) while `driver` runs; when the driver is done, resolve
    /// the shutdown future and let time pass in small steps until `run_until` returns.
    /// Returns how much (paused) time that took.
    async fn run_while(&self, driver: impl std::future::Future<Output = ()>) -> Duration {
        let (shutdown, stop) = oneshot::channel::<()>();
        let returned = AtomicBool::new(false);
        let run = async {
            let result = self
                .engine
                .run_until(async { stop.await.unwrap_or(()) })
                .await;
            returned.store(true, Ordering::SeqCst);
            result
        };
        let drive = async {
            driver.await;
            let asked = Instant::now();
            shutdown.send(()).unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !returned.load(Ordering::SeqCst) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "run_until did not return after shutdown"
                );
                real_pause().await;
                tokio::time::advance(SHUTDOWN_STEP).await;
            }
            Instant::now() - asked
        };
        let (result, took) = tokio::join!(run, drive);
        result.unwrap();
        took
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }
}

fn lead(id: i64) -> serde_json::Value {
    json!({"id": id, "phone": format!("7916000{id:04}")})
}

const TICK: Duration = Duration::from_secs(300);

/// The largest single move of paused time: well under the store's 30 s pool acquire
/// timeout, so a database call in progress never sees its own timeout expire.
const STEP: Duration = Duration::from_secs(5);

/// How fast time passes while the test waits for `run_until` to return.
const SHUTDOWN_STEP: Duration = Duration::from_millis(100);

/// A moment of real time for the database thread and sockets, then a turn for every
/// other task.
async fn real_pause() {
    std::thread::sleep(Duration::from_micros(500));
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn six_ticks_poll_six_times_process_new_items_and_stop_promptly() {
    let real_start = std::time::Instant::now();
    let s = scheduled().await;
    let driver = async {
        for tick in 1..=6u32 {
            // Two new leads before each tick.
            s.api.add_lead(lead(i64::from(tick) * 10 + 1));
            s.api.add_lead(lead(i64::from(tick) * 10 + 2));
            // Nothing is polled before the tick is due.
            s.advance_to(TICK * tick - Duration::from_secs(1)).await;
            assert_eq!(s.api.requests("GET", "/leads").len() as u32, tick - 1);
            s.advance_to(TICK * tick).await;
            let expected = u64::from(tick) * 2;
            s.until(
                &format!("tick {tick} is polled and its items are processed"),
                || async {
                    let counts = s.store().item_counts(None).await.unwrap();
                    s.api.requests("GET", "/leads").len() as u32 == tick
                        && counts.succeeded == expected
                },
            )
            .await;
        }
        s.advance_to(TICK * 6 + Duration::from_secs(60)).await;
    };
    let shutdown_took = s.run_while(driver).await;
    assert!(
        shutdown_took <= SHUTDOWN_STEP * 10,
        "run_until took {shutdown_took:?} to return"
    );

    let polls = s.api.requests("GET", "/leads");
    assert_eq!(polls.len(), 6, "one poll per five-minute tick");
    let cursors: Vec<Option<&str>> = polls.iter().map(|p| p.query_param("since_id")).collect();
    assert_eq!(
        cursors,
        [
            None,
            Some("12"),
            Some("22"),
            Some("32"),
            Some("42"),
            Some("52")
        ]
    );
    let mut runs = s
        .store()
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap();
    runs.reverse();
    let new_per_run: Vec<u64> = runs.iter().map(|r| r.items_new).collect();
    assert_eq!(new_per_run, [2, 2, 2, 2, 2, 2]);
    let counts = s.store().item_counts(None).await.unwrap();
    assert_eq!(
        (counts.succeeded, counts.unfinished()),
        (12, 0),
        "{counts:?}"
    );
    assert_eq!(s.api.deals().len(), 12);
    assert!(
        real_start.elapsed() < Duration::from_secs(5),
        "took {:?} of real time",
        real_start.elapsed()
    );
}

#[tokio::test]
async fn shutdown_with_a_request_in_flight_releases_the_item_after_the_grace_period() {
    let s = scheduled().await;
    s.api.add_lead(lead(1));
    let gate = Arc::new(Semaphore::new(0));
    s.api.script("POST /deals", Reply::Hold(gate.clone()));
    let driver = async {
        s.advance_to(TICK).await;
        s.until("the deal request is in flight", || async {
            s.api.deal_attempts_for(1) == 1
        })
        .await;
    };
    let shutdown_took = s.run_while(driver).await;
    // The item never reached a step boundary: shutdown waited out the grace period, no
    // longer.
    let grace = EngineConfig::default().shutdown_grace;
    assert!(
        shutdown_took >= grace && shutdown_took <= grace + SHUTDOWN_STEP * 10,
        "{shutdown_took:?}"
    );
    // The target may still complete the request it received: that is why the step stays
    // uncertain rather than being re-sent on the next start.
    gate.add_permits(1);

    let runs = s
        .store()
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap();
    let detail = s.store().run_detail(runs[0].id).await.unwrap().unwrap();
    let item = &detail.items[0];
    assert_eq!(
        item.status,
        ItemStatus::Pending,
        "released for the next start, not left running: {item:?}"
    );
    assert_eq!(
        item.steps[0].status,
        StepStatus::Sending,
        "the next start treats the step as uncertain"
    );
    assert_eq!(s.api.deal_attempts_for(1), 1, "not sent again");
}

#[tokio::test]
async fn stop_makes_run_until_return_without_panicking() {
    let s = scheduled().await;
    // `stop` wakes every branch of run_until's select at once; whichever is polled first
    // must not matter. Twenty runs make each branch win several times.
    for _ in 0..20 {
        let driver = async {
            real_pause().await;
            s.engine.stop();
        };
        let (result, ()) = tokio::join!(s.engine.run_until(std::future::pending()), driver);
        result.unwrap();
    }
}

#[tokio::test]
async fn an_item_in_flight_longer_than_its_claim_is_not_taken_over_by_its_own_worker() {
    let s = scheduled().await;
    s.api.add_lead(lead(1));
    let gate = Arc::new(Semaphore::new(0));
    s.api.script("POST /deals", Reply::Hold(gate.clone()));
    let driver = async {
        s.advance_to(TICK).await;
        s.until("the deal request is in flight", || async {
            s.api.deal_attempts_for(1) == 1
        })
        .await;
        // The target is slow (or the account's limiter holds the request back after a
        // long Retry-After): the request outlives the 5-minute claim. The next tick wakes
        // the worker, which looks for due items.
        s.advance_to(TICK * 2 + Duration::from_secs(30)).await;
        s.until("the second tick is polled", || async {
            s.api.requests("GET", "/leads").len() == 2
        })
        .await;
        for _ in 0..20 {
            real_pause().await;
        }
        gate.add_permits(1);
        s.until("the item settles", || async {
            s.store().item_counts(None).await.unwrap().unfinished() == 0
        })
        .await;
    };
    s.run_while(driver).await;

    let runs = s
        .store()
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap();
    let first = runs.last().unwrap();
    let item = &s.store().run_detail(first.id).await.unwrap().unwrap().items[0];
    assert_eq!(item.status, ItemStatus::Succeeded, "{item:?}");
    assert_eq!(s.api.deal_attempts_for(1), 1, "{item:?}");
    assert_eq!(item.steps[0].attempts, 1, "{item:?}");
}
