//! A [`Store`] that passes every call to the real one and measures it: time per method
//! (what each durable write costs, queueing on the single SQLite writer included), items
//! settled so far (the progress bar), and each item's service time from its claim to its
//! settlement. Nothing is changed or skipped: every write still reaches the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::timings::Timings;
use crate::store::*;

/// Progress and service times collected by [`TimedStore`].
#[derive(Debug, Default)]
pub struct StoreProbe {
    /// Time per store method, named `store.<method>`.
    pub timings: Timings,
    settled: AtomicU64,
    claimed_at: Mutex<HashMap<i64, Instant>>,
    service: Mutex<Vec<(ItemStatus, Duration)>>,
    last_enqueue: Mutex<Option<Instant>>,
}

impl StoreProbe {
    /// Items settled so far (any settlement, retries included).
    pub fn settled(&self) -> u64 {
        self.settled.load(Ordering::Relaxed)
    }

    /// Claim-to-settle times, with the status each item settled in.
    pub fn service_times(&self) -> Vec<(ItemStatus, Duration)> {
        self.service
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// When the last page of items was queued.
    pub fn last_enqueue(&self) -> Option<Instant> {
        *self.last_enqueue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The measuring store.
pub struct TimedStore {
    inner: Arc<dyn Store>,
    probe: Arc<StoreProbe>,
}

impl TimedStore {
    /// Measure `inner`, reporting into `probe`.
    pub fn new(inner: Arc<dyn Store>, probe: Arc<StoreProbe>) -> TimedStore {
        TimedStore { inner, probe }
    }

    /// Count a settled item and keep its claim-to-settle time.
    fn settled(&self, item_id: i64, status: ItemStatus) {
        let claimed = self
            .probe
            .claimed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&item_id);
        if let Some(claimed) = claimed {
            self.probe
                .service
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((status, claimed.elapsed()));
        }
        self.probe.settled.fetch_add(1, Ordering::Relaxed);
    }

    async fn timed<T>(&self, name: &str, call: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let result = call.await;
        self.probe.timings.record(name, start.elapsed());
        result
    }
}

#[async_trait]
impl Store for TimedStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.timed("store.migrate", self.inner.migrate()).await
    }

    async fn upsert_bundle(&self, bundle: BundleRecord) -> Result<(), StoreError> {
        self.timed("store.upsert_bundle", self.inner.upsert_bundle(bundle))
            .await
    }

    async fn cursor(&self, bundle_id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.timed("store.cursor", self.inner.cursor(bundle_id))
            .await
    }

    async fn start_run(&self, run: NewRun) -> Result<RunId, StoreError> {
        self.timed("store.start_run", self.inner.start_run(run))
            .await
    }

    async fn enqueue(&self, batch: EnqueueBatch) -> Result<EnqueueOutcome, StoreError> {
        let outcome = self.timed("store.enqueue", self.inner.enqueue(batch)).await;
        *self
            .probe
            .last_enqueue
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        outcome
    }

    async fn finish_run(&self, finish: RunFinish) -> Result<(), StoreError> {
        self.timed("store.finish_run", self.inner.finish_run(finish))
            .await
    }

    async fn claim_items(&self, claim: ClaimRequest) -> Result<Vec<ClaimedItem>, StoreError> {
        let items = self
            .timed("store.claim_items", self.inner.claim_items(claim))
            .await?;
        let now = Instant::now();
        let mut claimed = self
            .probe
            .claimed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for item in &items {
            claimed.insert(item.id, now);
        }
        Ok(items)
    }

    async fn renew_claims(&self, renew: RenewClaims) -> Result<(), StoreError> {
        self.timed("store.renew_claims", self.inner.renew_claims(renew))
            .await
    }

    async fn begin_step(&self, begin: StepBegin) -> Result<(), StoreError> {
        self.timed("store.begin_step", self.inner.begin_step(begin))
            .await
    }

    async fn finish_step(&self, finish: StepFinish) -> Result<(), StoreError> {
        self.timed("store.finish_step", self.inner.finish_step(finish))
            .await
    }

    async fn settle_item(&self, settle: ItemSettle) -> Result<(), StoreError> {
        let (item_id, status) = (settle.item_id, settle.status);
        self.timed("store.settle_item", self.inner.settle_item(settle))
            .await?;
        self.settled(item_id, status);
        Ok(())
    }

    async fn finish_step_and_begin(
        &self,
        finish: StepFinish,
        begin: StepBegin,
    ) -> Result<(), StoreError> {
        self.timed(
            "store.finish_step_and_begin",
            self.inner.finish_step_and_begin(finish, begin),
        )
        .await
    }

    async fn finish_step_and_settle(
        &self,
        finish: StepFinish,
        settle: ItemSettle,
    ) -> Result<(), StoreError> {
        let (item_id, status) = (settle.item_id, settle.status);
        self.timed(
            "store.finish_step_and_settle",
            self.inner.finish_step_and_settle(finish, settle),
        )
        .await?;
        self.settled(item_id, status);
        Ok(())
    }

    async fn release_claims(&self, worker: &str) -> Result<u64, StoreError> {
        self.timed("store.release_claims", self.inner.release_claims(worker))
            .await
    }

    async fn retry_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        self.timed("store.retry_items", self.inner.retry_items(target, now))
            .await
    }

    async fn release_orphaned_claims(&self) -> Result<u64, StoreError> {
        self.timed(
            "store.release_orphaned_claims",
            self.inner.release_orphaned_claims(),
        )
        .await
    }

    async fn resend_window(&self, request: ResendRequest) -> Result<ResendOutcome, StoreError> {
        self.timed("store.resend_window", self.inner.resend_window(request))
            .await
    }

    async fn discard_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        self.timed("store.discard_items", self.inner.discard_items(target, now))
            .await
    }

    async fn list_runs(&self, query: RunQuery) -> Result<Vec<RunSummary>, StoreError> {
        self.timed("store.list_runs", self.inner.list_runs(query))
            .await
    }

    async fn run_detail(&self, run_id: RunId) -> Result<Option<RunDetail>, StoreError> {
        self.timed("store.run_detail", self.inner.run_detail(run_id))
            .await
    }

    async fn item_counts(&self, bundle_id: Option<&str>) -> Result<ItemCounts, StoreError> {
        self.timed("store.item_counts", self.inner.item_counts(bundle_id))
            .await
    }

    async fn acquire_lease(&self, request: LeaseRequest) -> Result<Option<Lease>, StoreError> {
        self.timed("store.acquire_lease", self.inner.acquire_lease(request))
            .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.timed(
            "store.release_lease",
            self.inner.release_lease(name, holder),
        )
        .await
    }
}

#[async_trait]
impl ConnectionStore for TimedStore {
    async fn load_tokens(&self, identity: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.timed("store.load_tokens", self.inner.load_tokens(identity))
            .await
    }

    async fn save_tokens(&self, tokens: TokenRecord) -> Result<(), StoreError> {
        self.timed("store.save_tokens", self.inner.save_tokens(tokens))
            .await
    }

    async fn mark_connection_broken(&self, mark: BrokenMark) -> Result<(), StoreError> {
        self.timed(
            "store.mark_connection_broken",
            self.inner.mark_connection_broken(mark),
        )
        .await
    }

    async fn clear_connection_broken(
        &self,
        bundle_id: &str,
        connection: &str,
    ) -> Result<bool, StoreError> {
        self.timed(
            "store.clear_connection_broken",
            self.inner.clear_connection_broken(bundle_id, connection),
        )
        .await
    }

    async fn broken_connections(&self) -> Result<Vec<BrokenConnection>, StoreError> {
        self.timed("store.broken_connections", self.inner.broken_connections())
            .await
    }
}
