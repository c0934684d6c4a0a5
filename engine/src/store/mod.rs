//! Durable state behind one [`Store`] trait, with an embedded SQLite implementation (the
//! default: one file, WAL, a single engine per file) and a PostgreSQL implementation for
//! several workers sharing one database. One conformance suite runs against both.
//!
//! The invariants the runtime relies on:
//! - New items are inserted (`UNIQUE(bundle_id, item_key)`, conflicts ignored) and the
//!   trigger cursor advanced in **one transaction**; a cursor is never advanced otherwise.
//! - An item is processed by at most one claim at a time; every write of a step result or
//!   item outcome is **fenced** by the claim token, so a worker that lost its claim cannot
//!   commit anything.
//! - A step is marked `sending` (with its attempt count) before its request goes out and
//!   `succeeded`/`failed`/`skipped` after; a step found `sending` when an item is claimed
//!   again is **uncertain** (the request may have taken effect).
//! - Every time comparison uses the `now` passed in, never the database's clock.

#[cfg(test)]
mod conformance;
mod connections;
mod location;
mod postgres;
mod records;
mod sql;
mod sqlite;
mod types;

pub use connections::{BrokenConnection, BrokenMark, ConnectionStore, TokenRecord};
pub use location::{StoreLocation, open_store, open_store_for_operator};
pub use postgres::{DEFAULT_HEADROOM_PERCENT, PostgresRateLimiter, PostgresStore};
pub use sqlite::SqliteStore;
pub use types::*;

use async_trait::async_trait;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The claim this write was fenced by is no longer held (it expired and another worker
    /// took the item, or the item was released).
    #[error("claim on item {item_id} is no longer held by this worker")]
    LostClaim {
        /// The item.
        item_id: i64,
    },
    /// Another engine already uses this SQLite file.
    #[error(
        "another ferry engine is already using {path} (held by {holder}); stop it first or use another --data-dir"
    )]
    AlreadyInUse {
        /// The database file.
        path: String,
        /// Who holds it.
        holder: String,
    },
    /// Stored data could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A record the caller named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller asked for something the store must not record (e.g. settling an item
    /// as `running`, or `waiting` without a due time), because it would leave the item stuck.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// A file next to the database (directory, lock file) could not be used.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Durable engine state. All methods are safe to call concurrently. Connection state
/// (OAuth2 tokens, broken connections) is the [`ConnectionStore`] part.
#[async_trait]
pub trait Store: ConnectionStore + Send + Sync {
    /// Apply pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Record (or refresh) a bundle's name and path, so history can show them.
    async fn upsert_bundle(&self, bundle: BundleRecord) -> Result<(), StoreError>;

    /// The cursor stored after the bundle's last complete poll.
    async fn cursor(&self, bundle_id: &str) -> Result<Option<serde_json::Value>, StoreError>;

    /// Open a run (one poll of one bundle).
    async fn start_run(&self, run: NewRun) -> Result<RunId, StoreError>;

    /// Insert new items (conflicting keys are ignored: they were seen before) and, when
    /// `cursor` is given, store it, all in one transaction.
    async fn enqueue(&self, batch: EnqueueBatch) -> Result<EnqueueOutcome, StoreError>;

    /// Close a run with its poll outcome.
    async fn finish_run(&self, finish: RunFinish) -> Result<(), StoreError>;

    /// Claim up to `limit` items that are due (`pending`, or `waiting` with `due_at <= now`,
    /// or `running` whose claim expired), oldest first. Claimed items become `running`
    /// with a fresh claim token and a lease until `now + lease`.
    async fn claim_items(&self, claim: ClaimRequest) -> Result<Vec<ClaimedItem>, StoreError>;

    /// Extend the lease of claimed items (fenced).
    async fn renew_claims(&self, renew: RenewClaims) -> Result<(), StoreError>;

    /// Mark a step `sending` before its request goes out (fenced).
    async fn begin_step(&self, begin: StepBegin) -> Result<(), StoreError>;

    /// Record a step's outcome (fenced).
    async fn finish_step(&self, finish: StepFinish) -> Result<(), StoreError>;

    /// Record an item's outcome and release its claim (fenced): final (`succeeded`,
    /// `failed`, `filtered`, `skipped`), rescheduled (`waiting` with `due_at`), or `held`
    /// for an operator.
    async fn settle_item(&self, settle: ItemSettle) -> Result<(), StoreError>;

    /// Record a step's outcome and mark the next step of the same item `sending` (both
    /// fenced by the claim), so the outcome is committed no later than the mark and both
    /// before the next request goes out. The SQLite and PostgreSQL stores write both in
    /// one transaction (both or, on [`StoreError::LostClaim`] or any other error,
    /// neither), which saves a transaction per step; the default writes them one after
    /// the other.
    async fn finish_step_and_begin(
        &self,
        finish: StepFinish,
        begin: StepBegin,
    ) -> Result<(), StoreError> {
        self.finish_step(finish).await?;
        self.begin_step(begin).await
    }

    /// Record the last step's outcome and settle its item (both fenced by the claim). The
    /// SQLite and PostgreSQL stores write both in one transaction (both or neither), which
    /// saves a transaction per item; the default writes them one after the other.
    async fn finish_step_and_settle(
        &self,
        finish: StepFinish,
        settle: ItemSettle,
    ) -> Result<(), StoreError> {
        self.finish_step(finish).await?;
        self.settle_item(settle).await
    }

    /// At engine start: return items claimed by engines that are gone to `pending`, so a
    /// restart after a crash resumes them at once (their `sending` steps then count as
    /// uncertain). On SQLite the engine lock proves no other engine is alive, so every
    /// claim is orphaned; PostgreSQL has live peers, so claims there expire by their lease
    /// and this returns 0.
    async fn release_orphaned_claims(&self) -> Result<u64, StoreError>;

    /// Return a worker's claimed items to `pending` (graceful shutdown). Returns how many.
    async fn release_claims(&self, worker: &str) -> Result<u64, StoreError>;

    /// Make held or failed items of a run (or one item) due again (`ferry runs retry`).
    async fn retry_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError>;

    /// Reactivation with a resend window (`ferry bundle reactivate --resend 3d`): the
    /// bundle's undelivered items (held, failed, waiting) queued since `since` become due
    /// now; undelivered or queued items older than that are dropped as discarded.
    async fn resend_window(&self, request: ResendRequest) -> Result<ResendOutcome, StoreError>;

    /// Mark held items as discarded (`ferry runs discard`).
    async fn discard_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError>;

    /// Newest runs first.
    async fn list_runs(&self, query: RunQuery) -> Result<Vec<RunSummary>, StoreError>;

    /// One run with its items and their steps.
    async fn run_detail(&self, run_id: RunId) -> Result<Option<RunDetail>, StoreError>;

    /// Counts of items by status for a bundle (or all bundles).
    async fn item_counts(&self, bundle_id: Option<&str>) -> Result<ItemCounts, StoreError>;

    /// Take or renew a named lease (poll ownership of a bundle's trigger). Returns the
    /// lease with its fencing version if `holder` now holds it, `None` if someone else does.
    async fn acquire_lease(&self, request: LeaseRequest) -> Result<Option<Lease>, StoreError>;

    /// Give a lease up early (clean shutdown).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}
