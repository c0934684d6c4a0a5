//! The engine: prepared bundles, the store and the clock, and the two ways to run them:
//! one tick of everything ([`Engine::tick`], `ferry run --once`) or the scheduler with a
//! worker pool until shutdown ([`Engine::run_until`], `ferry run`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::claims_in_flight::ClaimsInFlight;
use super::connection_health::ConnectionHealth;
use super::key_locks::KeyLocks;
use super::poll_task::PollTask;
use super::poller::PollReport;
use super::prepared::PreparedBundle;
use super::runner::{ItemOutcome, RunnerContext, run_item};
use super::scheduler::next_fire;
use super::webhooks::{IntakeParts, WebhookIntake};
use crate::clock::SharedClock;
use crate::store::{BundleRecord, ClaimRequest, ClaimedItem, ItemCounts, Store, StoreError};

/// Engine tuning.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This worker's id (claims and leases are held under it).
    pub worker_id: String,
    /// Items processed at once across all bundles.
    pub max_in_flight: usize,
    /// How long a claim lasts before another worker may take the item over.
    pub claim_lease: Duration,
    /// How long shutdown waits for in-flight items to reach a step boundary.
    pub shutdown_grace: Duration,
    /// How often an idle worker looks for retries that became due.
    pub idle_check: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            worker_id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            max_in_flight: 64,
            // Short, because in-flight claims are renewed every third of it: a dead
            // worker's items come back within a minute.
            claim_lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            idle_check: Duration::from_secs(5),
        }
    }
}

/// What a tick did for one bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleTick {
    /// The poll.
    pub poll: PollReport,
    /// The bundle's name.
    pub bundle_name: String,
}

/// What one tick of every bundle did.
#[derive(Debug, Clone, Serialize)]
pub struct TickReport {
    /// Per bundle, in load order.
    pub bundles: Vec<BundleTick>,
    /// Items processed to a settled state during the tick.
    pub items_processed: u64,
    /// Item counts over all bundles after the tick.
    pub counts: ItemCounts,
}

/// A running engine.
pub struct Engine {
    store: Arc<dyn Store>,
    clock: SharedClock,
    config: EngineConfig,
    bundles: Vec<Arc<PreparedBundle>>,
    by_id: HashMap<String, Arc<PreparedBundle>>,
    key_locks: KeyLocks,
    health: Arc<ConnectionHealth>,
    stop_tx: watch::Sender<bool>,
    wake: Arc<Notify>,
    claims: ClaimsInFlight,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

impl Engine {
    /// An engine over these bundles (disabled ones are kept for history but never polled).
    pub async fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        config: EngineConfig,
        bundles: Vec<PreparedBundle>,
    ) -> Result<Engine, StoreError> {
        let bundles: Vec<Arc<PreparedBundle>> = bundles.into_iter().map(Arc::new).collect();
        let now = clock.now().timestamp_millis();
        for b in &bundles {
            store
                .upsert_bundle(BundleRecord {
                    id: b.bundle.id.clone(),
                    name: b.bundle.name.clone(),
                    path: b.bundle.path.display().to_string(),
                    now,
                })
                .await?;
        }
        let released = store.release_orphaned_claims().await?;
        if released > 0 {
            tracing::info!(
                released,
                "resumed items claimed by an engine that stopped without releasing them"
            );
        }
        let by_id = bundles
            .iter()
            .map(|b| (b.bundle.id.clone(), b.clone()))
            .collect();
        let (stop_tx, _) = watch::channel(false);
        let claims = ClaimsInFlight::default();
        // Weak: dropping the engine must release the store (and SQLite's engine lock) at
        // once, not when the aborted renewal task is finally reaped.
        let renewal = tokio::spawn(claims.clone().renew_forever(
            Arc::downgrade(&store),
            clock.clone(),
            config.claim_lease,
        ));
        Ok(Engine {
            store,
            clock,
            config,
            bundles,
            by_id,
            key_locks: KeyLocks::default(),
            health: Arc::default(),
            stop_tx,
            wake: Arc::new(Notify::new()),
            claims,
            renewal,
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Ask a running engine to stop (same as SIGTERM).
    pub fn stop(&self) {
        let _ = self.stop_tx.send(true);
        self.wake.notify_waiters();
    }

    fn enabled(&self) -> impl Iterator<Item = &Arc<PreparedBundle>> {
        self.bundles.iter().filter(|b| b.bundle.enabled)
    }

    /// Enabled bundles whose items are polled (webhook-delivered ones are pushed instead).
    fn polled(&self) -> impl Iterator<Item = &Arc<PreparedBundle>> {
        self.enabled()
            .filter(|b| b.bundle.trigger.webhook.is_none())
    }

    /// What the webhook server needs: the store, the clock, the bundles, the worker's
    /// wake-up and the stop signal. Deliveries it stores are picked up by this engine's
    /// worker ([`Engine::run_until`]) or the next [`Engine::drain`].
    pub fn webhook_intake(&self) -> WebhookIntake {
        WebhookIntake::new(IntakeParts {
            store: self.store.clone(),
            clock: self.clock.clone(),
            bundles: self.bundles.clone(),
            wake: self.wake.clone(),
            stopping: self.stop_tx.subscribe(),
        })
    }

    /// Poll every enabled polled bundle once (concurrently), then process every item that
    /// is due (webhook deliveries included).
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let polls =
            futures::future::join_all(self.polled().map(|b| self.poll_one(b.clone()))).await;
        let mut bundles = Vec::new();
        for (bundle, poll) in self.polled().zip(polls) {
            if let Some(poll) = poll? {
                bundles.push(BundleTick {
                    poll,
                    bundle_name: bundle.bundle.name.clone(),
                });
            }
        }
        let items_processed = self.drain().await?;
        let counts = self.store.item_counts(None).await?;
        Ok(TickReport {
            bundles,
            items_processed,
            counts,
        })
    }

    fn poll_task(&self) -> PollTask {
        PollTask {
            store: self.store.clone(),
            clock: self.clock.clone(),
            health: self.health.clone(),
            worker_id: self.config.worker_id.clone(),
            wake: self.wake.clone(),
        }
    }

    /// Poll one bundle if this worker wins the tick's poll lease.
    async fn poll_one(
        &self,
        bundle: Arc<PreparedBundle>,
    ) -> Result<Option<PollReport>, StoreError> {
        self.poll_task().poll(&bundle).await
    }

    /// Process items until none is due now. Returns how many were settled.
    pub async fn drain(&self) -> Result<u64, StoreError> {
        let mut in_flight: JoinSet<Result<ItemOutcome, StoreError>> = JoinSet::new();
        let mut settled = 0u64;
        loop {
            if let Some(room) = self.room_to_refill(in_flight.len())
                && !*self.stop_tx.borrow()
            {
                for item in self.claim(room).await? {
                    self.spawn_item(&mut in_flight, item);
                }
            }
            match in_flight.join_next().await {
                None => return Ok(settled),
                Some(joined) => {
                    if let ItemOutcome::Settled(_) = joined.expect("item task panicked")? {
                        settled += 1;
                    }
                }
            }
        }
    }

    /// How many items to claim with `in_flight` running, or `None` to wait for more to
    /// finish first. Claims are made in batches, once at least a quarter of
    /// `max_in_flight` is free: a claim is a write transaction on the store, and claiming
    /// after every finished item would spend one per item.
    fn room_to_refill(&self, in_flight: usize) -> Option<u32> {
        let room = self.config.max_in_flight.saturating_sub(in_flight);
        let batch = (self.config.max_in_flight / 4).max(1);
        (room >= batch).then_some(room as u32)
    }

    async fn claim(&self, limit: u32) -> Result<Vec<ClaimedItem>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = self.enabled().map(|b| b.bundle.id.clone()).collect();
        self.store
            .claim_items(ClaimRequest {
                worker: self.config.worker_id.clone(),
                bundle_ids: Some(ids),
                limit,
                now: self.clock.now().timestamp_millis(),
                lease_ms: self.config.claim_lease.as_millis() as i64,
            })
            .await
    }

    fn spawn_item(&self, set: &mut JoinSet<Result<ItemOutcome, StoreError>>, item: ClaimedItem) {
        let Some(bundle) = self.by_id.get(&item.bundle_id).cloned() else {
            tracing::error!(bundle = %item.bundle_id, "claimed an item of an unknown bundle");
            return;
        };
        let store = self.store.clone();
        let clock = self.clock.clone();
        let key_locks = self.key_locks.clone();
        let health = self.health.clone();
        let stopping = self.stop_tx.subscribe();
        let claims = self.claims.clone();
        claims.hold(item.id, &item.claim_token);
        set.spawn(async move {
            let ctx = RunnerContext {
                store: store.as_ref(),
                clock: clock.as_ref(),
                key_locks: &key_locks,
                health: &health,
                stopping: &stopping,
            };
            let item_id = item.id;
            let outcome = run_item(ctx, &bundle, item).await;
            claims.release(item_id);
            if let Err(StoreError::LostClaim { .. }) = &outcome {
                // Another worker took the item over after our lease expired; it owns the
                // item now, and nothing of ours was committed after the loss.
                tracing::warn!(item_id, "claim lost; leaving the item to its new owner");
                return Ok(ItemOutcome::Interrupted);
            }
            outcome
        });
    }

    /// Run the scheduler and the worker until `shutdown` resolves (or [`Engine::stop`]),
    /// then let in-flight items reach a step boundary within the grace period and release
    /// whatever is still claimed.
    pub async fn run_until(&self, shutdown: impl Future<Output = ()>) -> Result<(), StoreError> {
        let mut stop_rx = self.stop_tx.subscribe();
        let scheduler = self.scheduler_loop();
        let worker = self.worker_loop();
        tokio::pin!(shutdown, scheduler, worker);
        let mut worker_done = false;
        let result = tokio::select! {
            _ = &mut shutdown => Ok(()),
            _ = stop_rx.wait_for(|s| *s) => Ok(()),
            r = &mut scheduler => r,
            r = &mut worker => {
                worker_done = true;
                r
            }
        };
        self.stop();
        // The worker loop sees the stop flag and returns once its items settle or stop
        // at a step boundary (a finished future must not be polled again).
        if !worker_done {
            let _ = tokio::time::timeout(self.config.shutdown_grace, &mut worker).await;
        }
        let released = self.store.release_claims(&self.config.worker_id).await?;
        if released > 0 {
            tracing::info!(released, "released in-flight items for the next start");
        }
        result
    }

    async fn scheduler_loop(&self) -> Result<(), StoreError> {
        let mut stop_rx = self.stop_tx.subscribe();
        let mut next: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
        let now = self.clock.now();
        for b in self.polled() {
            if let Some(at) = next_fire(&b.bundle.trigger.schedule, now) {
                next.insert(b.bundle.id.clone(), at);
            }
        }
        let mut polls: JoinSet<String> = JoinSet::new();
        let mut polling: std::collections::HashSet<String> = Default::default();
        loop {
            let Some(earliest) = next.values().min().copied() else {
                if self.enabled().any(|b| b.bundle.trigger.webhook.is_some()) {
                    // Nothing to poll, but deliveries keep arriving until shutdown.
                    let _ = stop_rx.wait_for(|s| *s).await;
                }
                return Ok(());
            };
            let wait = (earliest - self.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop_rx.wait_for(|s| *s) => return Ok(()),
            }
            while let Some(done) = polls.try_join_next() {
                if let Ok(finished) = done {
                    polling.remove(&finished);
                }
            }
            let now = self.clock.now();
            for b in self.polled() {
                let id = &b.bundle.id;
                let Some(due) = next.get(id).copied() else {
                    continue;
                };
                if due > now {
                    continue;
                }
                if let Some(at) = next_fire(&b.bundle.trigger.schedule, now) {
                    next.insert(id.clone(), at);
                }
                // A poll still running from the previous tick (a very slow source) is not
                // doubled; this tick is skipped for that bundle.
                if polling.contains(id) {
                    continue;
                }
                polling.insert(id.clone());
                let engine_bundle = b.clone();
                let poller = self.poll_task();
                polls.spawn(async move {
                    let id = engine_bundle.bundle.id.clone();
                    match poller.poll(&engine_bundle).await {
                        Ok(Some(report)) if report.error.is_none() => {
                            tracing::info!(bundle = %id, seen = report.items_seen, new = report.items_new, "polled");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(bundle = %id, error = %e, "store error while polling"),
                    }
                    id
                });
            }
        }
    }

    async fn worker_loop(&self) -> Result<(), StoreError> {
        let mut stop_rx = self.stop_tx.subscribe();
        let mut in_flight: JoinSet<Result<ItemOutcome, StoreError>> = JoinSet::new();
        loop {
            let stopping = *stop_rx.borrow();
            if stopping && in_flight.is_empty() {
                return Ok(());
            }
            if !stopping && let Some(room) = self.room_to_refill(in_flight.len()) {
                for item in self.claim(room).await? {
                    self.spawn_item(&mut in_flight, item);
                }
            }
            if in_flight.is_empty() {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.idle_check) => {}
                    _ = stop_rx.wait_for(|s| *s) => {}
                }
                continue;
            }
            tokio::select! {
                joined = in_flight.join_next() => {
                    if let Some(Err(e)) = joined.map(|j| j.expect("item task panicked")) {
                        tracing::error!(error = %e, "store error while running an item");
                    }
                }
                _ = self.wake.notified() => {}
            }
        }
    }
}
