//! A poll the scheduler starts: take the bundle's poll lease for this tick (so one worker
//! polls it), poll, and wake the workers for the new items.

use std::sync::Arc;

use tokio::sync::Notify;

use super::connection_health::ConnectionHealth;
use super::poller::{PollContext, PollReport, poll_bundle};
use super::prepared::PreparedBundle;
use super::scheduler::poll_lease_ms;
use crate::clock::SharedClock;
use crate::store::{LeaseRequest, Store, StoreError};

/// A poll started by the scheduler, owning what it needs.
pub(super) struct PollTask {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: SharedClock,
    pub(super) health: Arc<ConnectionHealth>,
    pub(super) worker_id: String,
    pub(super) wake: Arc<Notify>,
}

impl PollTask {
    /// Take the tick's poll lease and poll; `None` when another worker holds the lease.
    pub(super) async fn poll(
        &self,
        bundle: &PreparedBundle,
    ) -> Result<Option<PollReport>, StoreError> {
        let now = self.clock.now();
        let lease = self
            .store
            .acquire_lease(LeaseRequest {
                name: format!("poll:{}", bundle.bundle.id),
                holder: self.worker_id.clone(),
                now: now.timestamp_millis(),
                ttl_ms: poll_lease_ms(&bundle.bundle.trigger.schedule, now),
            })
            .await?;
        if lease.is_none() {
            return Ok(None);
        }
        let ctx = PollContext {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            health: &self.health,
        };
        let report = poll_bundle(ctx, bundle).await?;
        if let Some(error) = &report.error {
            tracing::warn!(bundle = %bundle.bundle.id, %error, "poll failed; cursor unchanged");
        }
        self.wake.notify_waiters();
        Ok(Some(report))
    }
}
