//! A store that fails `enqueue` or `finish_run` on demand and passes everything else to
//! a real store, to show that a delivery is acknowledged only once it is committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use crate::store::*;

pub struct FailingStore {
    inner: Arc<dyn Store>,
    pub fail_enqueue: AtomicBool,
    pub fail_finish: AtomicBool,
}

impl FailingStore {
    pub fn new(inner: Arc<dyn Store>) -> FailingStore {
        FailingStore {
            inner,
            fail_enqueue: AtomicBool::new(false),
            fail_finish: AtomicBool::new(false),
        }
    }
}

fn outage() -> StoreError {
    StoreError::Database(sqlx::Error::PoolTimedOut)
}

#[async_trait]
impl Store for FailingStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }
    async fn upsert_bundle(&self, bundle: BundleRecord) -> Result<(), StoreError> {
        self.inner.upsert_bundle(bundle).await
    }
    async fn cursor(&self, bundle_id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.cursor(bundle_id).await
    }
    async fn start_run(&self, run: NewRun) -> Result<RunId, StoreError> {
        self.inner.start_run(run).await
    }
    async fn enqueue(&self, batch: EnqueueBatch) -> Result<EnqueueOutcome, StoreError> {
        if self.fail_enqueue.load(Ordering::SeqCst) {
            return Err(outage());
        }
        self.inner.enqueue(batch).await
    }
    async fn finish_run(&self, finish: RunFinish) -> Result<(), StoreError> {
        if self.fail_finish.load(Ordering::SeqCst) {
            return Err(outage());
        }
        self.inner.finish_run(finish).await
    }
    async fn claim_items(&self, claim: ClaimRequest) -> Result<Vec<ClaimedItem>, StoreError> {
        self.inner.claim_items(claim).await
    }
    async fn renew_claims(&self, renew: RenewClaims) -> Result<(), StoreError> {
        self.inner.renew_claims(renew).await
    }
    async fn begin_step(&self, begin: StepBegin) -> Result<(), StoreError> {
        self.inner.begin_step(begin).await
    }
    async fn finish_step(&self, finish: StepFinish) -> Result<(), StoreError> {
        self.inner.finish_step(finish).await
    }
    async fn settle_item(&self, settle: ItemSettle) -> Result<(), StoreError> {
        self.inner.settle_item(settle).await
    }
    async fn release_claims(&self, worker: &str) -> Result<u64, StoreError> {
        self.inner.release_claims(worker).await
    }
    async fn release_orphaned_claims(&self) -> Result<u64, StoreError> {
        self.inner.release_orphaned_claims().await
    }
    async fn retry_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        self.inner.retry_items(target, now).await
    }
    async fn resend_window(&self, request: ResendRequest) -> Result<ResendOutcome, StoreError> {
        self.inner.resend_window(request).await
    }
    async fn discard_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        self.inner.discard_items(target, now).await
    }
    async fn list_runs(&self, query: RunQuery) -> Result<Vec<RunSummary>, StoreError> {
        self.inner.list_runs(query).await
    }
    async fn run_detail(&self, run_id: RunId) -> Result<Option<RunDetail>, StoreError> {
        self.inner.run_detail(run_id).await
    }
    async fn item_counts(&self, bundle_id: Option<&str>) -> Result<ItemCounts, StoreError> {
        self.inner.item_counts(bundle_id).await
    }
    async fn acquire_lease(&self, request: LeaseRequest) -> Result<Option<Lease>, StoreError> {
        self.inner.acquire_lease(request).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.inner.release_lease(name, holder).await
    }
}

#[async_trait]
impl ConnectionStore for FailingStore {
    async fn load_tokens(&self, identity: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.load_tokens(identity).await
    }
    async fn save_tokens(&self, tokens: TokenRecord) -> Result<(), StoreError> {
        self.inner.save_tokens(tokens).await
    }
    async fn mark_connection_broken(&self, mark: BrokenMark) -> Result<(), StoreError> {
        self.inner.mark_connection_broken(mark).await
    }
    async fn clear_connection_broken(
        &self,
        bundle_id: &str,
        connection: &str,
    ) -> Result<bool, StoreError> {
        self.inner
            .clear_connection_broken(bundle_id, connection)
            .await
    }
    async fn broken_connections(&self) -> Result<Vec<BrokenConnection>, StoreError> {
        self.inner.broken_connections().await
    }
}
