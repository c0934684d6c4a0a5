//! Run history as `ferry runs` shows it: listings, counts and the detail of a run.

use serde::Serialize;

use super::{ItemStatus, RunId, RunStatus, StepRecord, Timestamp};

/// Listing runs.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    /// Only this bundle.
    pub bundle_id: Option<String>,
    /// At most this many (newest first).
    pub limit: u32,
}

/// Counts of items by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ItemCounts {
    /// Pending or running.
    pub in_progress: u64,
    /// Waiting for a retry.
    pub waiting: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Filtered out.
    pub filtered: u64,
    /// Skipped on purpose.
    pub skipped: u64,
    /// Held for an operator.
    pub held: u64,
    /// Discarded by an operator.
    pub discarded: u64,
}

impl ItemCounts {
    /// Add one item of `status`.
    pub fn add(&mut self, status: ItemStatus, n: u64) {
        match status {
            ItemStatus::Pending | ItemStatus::Running => self.in_progress += n,
            ItemStatus::Waiting => self.waiting += n,
            ItemStatus::Succeeded => self.succeeded += n,
            ItemStatus::Failed => self.failed += n,
            ItemStatus::Filtered => self.filtered += n,
            ItemStatus::Skipped => self.skipped += n,
            ItemStatus::Held => self.held += n,
            ItemStatus::Discarded => self.discarded += n,
        }
    }

    /// Items not yet final.
    pub fn unfinished(&self) -> u64 {
        self.in_progress + self.waiting
    }
}

/// A run in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Id.
    pub id: RunId,
    /// Bundle id.
    pub bundle_id: String,
    /// Bundle name as last recorded.
    pub bundle_name: String,
    /// Started.
    pub started_at: Timestamp,
    /// Finished polling.
    pub finished_at: Option<Timestamp>,
    /// Poll outcome.
    pub status: RunStatus,
    /// Items returned by the source.
    pub items_seen: u64,
    /// New items queued by this run.
    pub items_new: u64,
    /// Those items by status.
    pub counts: ItemCounts,
    /// Poll error (redacted).
    pub error: Option<String>,
}

/// One item in a run's detail.
#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    /// Id.
    pub id: i64,
    /// Key.
    pub key: String,
    /// Status.
    pub status: ItemStatus,
    /// The reason for failed/held/skipped/waiting (redacted).
    pub error: Option<String>,
    /// Next attempt (waiting items).
    pub due_at: Option<Timestamp>,
    /// Steps in chain order of first record.
    pub steps: Vec<StepRecord>,
}

/// A run with its items.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetail {
    /// The run.
    pub run: RunSummary,
    /// Its items.
    pub items: Vec<ItemDetail>,
}
