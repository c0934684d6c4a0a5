//! The queue: bundles, runs, items as polled and claimed, and the writes of a running
//! chain (step marks and outcomes, settlements, claim renewals).

use serde::Serialize;
use serde_json::Value;

use super::{RunId, Timestamp};

/// A bundle's identity and where it was last read from.
#[derive(Debug, Clone)]
pub struct BundleRecord {
    /// Stable id.
    pub id: String,
    /// Current name.
    pub name: String,
    /// Current file.
    pub path: String,
    /// When recorded.
    pub now: Timestamp,
}

/// A run being opened.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The bundle.
    pub bundle_id: String,
    /// When it started.
    pub started_at: Timestamp,
}

/// One new item from a poll.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The rendered item key.
    pub key: String,
    /// The item as the source returned it.
    pub payload: Value,
}

/// Items of one page, and the cursor to store with them when the poll is complete.
#[derive(Debug, Clone)]
pub struct EnqueueBatch {
    /// The bundle.
    pub bundle_id: String,
    /// The run that found them.
    pub run_id: RunId,
    /// The items.
    pub items: Vec<NewItem>,
    /// The cursor to store in the same transaction (only on a poll's last page).
    pub cursor: Option<Value>,
    /// Now.
    pub now: Timestamp,
}

/// What an enqueue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EnqueueOutcome {
    /// Items inserted.
    pub inserted: u64,
    /// Items already seen (ignored).
    pub duplicates: u64,
}

/// How a poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Polling.
    Polling,
    /// The poll completed (items may still be processing).
    Polled,
    /// The poll failed; the cursor did not move.
    PollFailed,
}

impl RunStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Polling => "polling",
            RunStatus::Polled => "polled",
            RunStatus::PollFailed => "poll_failed",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "polling" => RunStatus::Polling,
            "polled" => RunStatus::Polled,
            "poll_failed" => RunStatus::PollFailed,
            _ => return None,
        })
    }
}

/// Closing a run.
#[derive(Debug, Clone)]
pub struct RunFinish {
    /// The run.
    pub run_id: RunId,
    /// Outcome of the poll.
    pub status: RunStatus,
    /// Items returned by the source (new and already seen).
    pub items_seen: u64,
    /// The poll error (redacted), if it failed.
    pub error: Option<String>,
    /// When.
    pub finished_at: Timestamp,
}

/// An item's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Queued, not yet started.
    Pending,
    /// Claimed by a worker.
    Running,
    /// Waiting for a retry (`due_at`).
    Waiting,
    /// Every step done.
    Succeeded,
    /// A step failed for good.
    Failed,
    /// The bundle's filter dropped it.
    Filtered,
    /// Dedup `on_found: skip` (or a guard) stopped it on purpose.
    Skipped,
    /// Needs an operator: an uncertain step with no lookup to resolve it.
    Held,
    /// An operator discarded it.
    Discarded,
}

impl ItemStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Running => "running",
            ItemStatus::Waiting => "waiting",
            ItemStatus::Succeeded => "succeeded",
            ItemStatus::Failed => "failed",
            ItemStatus::Filtered => "filtered",
            ItemStatus::Skipped => "skipped",
            ItemStatus::Held => "held",
            ItemStatus::Discarded => "discarded",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<ItemStatus> {
        Some(match s {
            "pending" => ItemStatus::Pending,
            "running" => ItemStatus::Running,
            "waiting" => ItemStatus::Waiting,
            "succeeded" => ItemStatus::Succeeded,
            "failed" => ItemStatus::Failed,
            "filtered" => ItemStatus::Filtered,
            "skipped" => ItemStatus::Skipped,
            "held" => ItemStatus::Held,
            "discarded" => ItemStatus::Discarded,
            _ => return None,
        })
    }

    /// Whether nothing more will happen to the item without an operator.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemStatus::Succeeded
                | ItemStatus::Failed
                | ItemStatus::Filtered
                | ItemStatus::Skipped
                | ItemStatus::Discarded
        )
    }
}

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The request is (or was) in flight; if found so on a new claim, uncertain.
    Sending,
    /// Done; `output` holds its result.
    Succeeded,
    /// Its `when` was false, or dedup said skip.
    Skipped,
    /// The last attempt failed (the item may be waiting for a retry).
    Failed,
}

impl StepStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Sending => "sending",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "failed",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<StepStatus> {
        Some(match s {
            "sending" => StepStatus::Sending,
            "succeeded" => StepStatus::Succeeded,
            "skipped" => StepStatus::Skipped,
            "failed" => StepStatus::Failed,
            _ => return None,
        })
    }
}

/// A claim request.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The claiming worker's id.
    pub worker: String,
    /// Only these bundles (`None`: any).
    pub bundle_ids: Option<Vec<String>>,
    /// At most this many.
    pub limit: u32,
    /// Now.
    pub now: Timestamp,
    /// Lease length in milliseconds.
    pub lease_ms: i64,
}

/// A claimed item with what was already done for it.
#[derive(Debug, Clone)]
pub struct ClaimedItem {
    /// Item id.
    pub id: i64,
    /// The bundle.
    pub bundle_id: String,
    /// The run that found it.
    pub run_id: RunId,
    /// Its key.
    pub key: String,
    /// Its payload.
    pub payload: Value,
    /// The fencing token for every write about this item under this claim.
    pub claim_token: String,
    /// Step records so far (resume from here).
    pub steps: Vec<StepRecord>,
    /// When the item was first queued (windows such as `until_found` count from here).
    pub created_at: Timestamp,
}

/// One step's stored state.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Step id.
    pub step_id: String,
    /// Status.
    pub status: StepStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// The step's output (when succeeded).
    pub output: Option<Value>,
    /// The last error (redacted), or for a succeeded step a note on how it succeeded
    /// (e.g. an existing record was reused).
    pub error: Option<String>,
    /// When last updated.
    pub updated_at: Timestamp,
}

/// Extending claims.
#[derive(Debug, Clone)]
pub struct RenewClaims {
    /// (item id, claim token) pairs.
    pub items: Vec<(i64, String)>,
    /// Now.
    pub now: Timestamp,
    /// New lease length.
    pub lease_ms: i64,
}

/// Marking a step as sending.
#[derive(Debug, Clone)]
pub struct StepBegin {
    /// Item.
    pub item_id: i64,
    /// Fencing token.
    pub claim_token: String,
    /// Step id.
    pub step_id: String,
    /// The attempt number being made (1-based).
    pub attempt: u32,
    /// Now.
    pub now: Timestamp,
}

/// A step's outcome.
#[derive(Debug, Clone)]
pub struct StepFinish {
    /// Item.
    pub item_id: i64,
    /// Fencing token.
    pub claim_token: String,
    /// Step id.
    pub step_id: String,
    /// Outcome (`Succeeded`, `Skipped` or `Failed`).
    pub status: StepStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Output on success.
    pub output: Option<Value>,
    /// Error (redacted) on failure.
    pub error: Option<String>,
    /// Now.
    pub now: Timestamp,
}

/// An item's outcome.
#[derive(Debug, Clone)]
pub struct ItemSettle {
    /// Item.
    pub item_id: i64,
    /// Fencing token.
    pub claim_token: String,
    /// New status (not `Running`/`Pending`).
    pub status: ItemStatus,
    /// For `Waiting`: when to try again.
    pub due_at: Option<Timestamp>,
    /// The reason (redacted), for failed, held, skipped or waiting items.
    pub error: Option<String>,
    /// Now.
    pub now: Timestamp,
}
