//! The store's writes with their parameters bound, written once for both backends.
//!
//! The statement texts are shared ([`super`]); so is the order and the form in which each
//! one's parameters are bound, which is where the two backends could otherwise drift apart
//! (a parameter bound in the wrong place is still valid SQL). [`BoundStatements`] is
//! implemented for every sqlx database that encodes the few types the store binds, which
//! covers SQLite and PostgreSQL; each backend only chooses the connection to run them on.

use sqlx::query::Query;
use sqlx::{Database, Encode, Type};

use crate::store::records;
use crate::store::{
    BundleRecord, EnqueueBatch, ItemSettle, NewItem, ResendRequest, RunFinish, StepBegin,
    StepFinish, Timestamp,
};

/// A statement with its parameters bound, ready to run on a connection of `DB`.
pub(in crate::store) type Bound<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// The store's writes, bound for one database. Text parameters that are built per dialect
/// or per target (`sql`) are passed in; everything else comes from the request.
pub(in crate::store) trait BoundStatements: Database + Sized {
    /// [`super::UPSERT_BUNDLE`].
    fn upsert_bundle(bundle: &BundleRecord) -> Bound<'_, Self>;
    /// [`super::UPSERT_CURSOR`] for `batch`'s cursor.
    fn upsert_cursor<'q>(batch: &'q EnqueueBatch, cursor: &serde_json::Value) -> Bound<'q, Self>;
    /// [`super::ADD_ITEMS_NEW`].
    fn add_items_new(batch: &EnqueueBatch, inserted: u64) -> Bound<'_, Self>;
    /// The multi-row insert [`super::insert_items`] built for `chunk`.
    fn insert_items<'q>(
        sql: &'q str,
        batch: &'q EnqueueBatch,
        chunk: &'q [NewItem],
    ) -> Bound<'q, Self>;
    /// [`super::FINISH_RUN`].
    fn finish_run(finish: &RunFinish) -> Bound<'_, Self>;
    /// [`super::RENEW_CLAIM`] for one item.
    fn renew_claim(item_id: i64, token: &str, until: Timestamp) -> Bound<'_, Self>;
    /// [`super::BEGIN_STEP`].
    fn begin_step(begin: &StepBegin) -> Bound<'_, Self>;
    /// [`super::FINISH_STEP`].
    fn finish_step(finish: &StepFinish) -> Bound<'_, Self>;
    /// [`super::SETTLE_ITEM`].
    fn settle_item(settle: &ItemSettle) -> Bound<'_, Self>;
    /// [`super::FINISH_AND_BEGIN_STEP`].
    fn finish_and_begin<'q>(finish: &'q StepFinish, begin: &'q StepBegin) -> Bound<'q, Self>;
    /// [`super::retry_uncertain_steps`] or [`super::discard_items`]-shaped updates of one
    /// target: `$1` now, `$2` the run or item id.
    fn for_target(sql: &str, now: Timestamp, id: i64) -> Bound<'_, Self>;
    /// [`super::retry_uncertain_steps`]: `$3` is the note left on the retried step.
    fn retry_uncertain_steps(sql: &str, now: Timestamp, id: i64) -> Bound<'_, Self>;
    /// [`super::resend_uncertain_steps`].
    fn resend_uncertain_steps<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, Self>;
    /// [`super::resend_items`].
    fn resend_items<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, Self>;
    /// [`super::drop_before_window`].
    fn drop_before_window<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, Self>;
}

impl<DB> BoundStatements for DB
where
    DB: Database,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
{
    fn upsert_bundle(bundle: &BundleRecord) -> Bound<'_, DB> {
        sqlx::query(super::UPSERT_BUNDLE)
            .bind(bundle.id.as_str())
            .bind(bundle.name.as_str())
            .bind(bundle.path.as_str())
            .bind(bundle.now)
    }

    fn upsert_cursor<'q>(batch: &'q EnqueueBatch, cursor: &serde_json::Value) -> Bound<'q, DB> {
        sqlx::query(super::UPSERT_CURSOR)
            .bind(batch.bundle_id.as_str())
            .bind(records::json_text(cursor))
            .bind(batch.now)
    }

    fn add_items_new(batch: &EnqueueBatch, inserted: u64) -> Bound<'_, DB> {
        sqlx::query(super::ADD_ITEMS_NEW)
            .bind(inserted as i64)
            .bind(batch.run_id)
    }

    fn insert_items<'q>(
        sql: &'q str,
        batch: &'q EnqueueBatch,
        chunk: &'q [NewItem],
    ) -> Bound<'q, DB> {
        let mut query = sqlx::query(sql)
            .bind(batch.bundle_id.as_str())
            .bind(batch.run_id)
            .bind(batch.now);
        for item in chunk {
            query = query
                .bind(item.key.as_str())
                .bind(records::json_text(&item.payload));
        }
        query
    }

    fn finish_run(finish: &RunFinish) -> Bound<'_, DB> {
        sqlx::query(super::FINISH_RUN)
            .bind(finish.status.as_str())
            .bind(finish.items_seen as i64)
            .bind(finish.error.as_deref())
            .bind(finish.finished_at)
            .bind(finish.run_id)
    }

    fn renew_claim(item_id: i64, token: &str, until: Timestamp) -> Bound<'_, DB> {
        sqlx::query(super::RENEW_CLAIM)
            .bind(item_id)
            .bind(token)
            .bind(until)
    }

    fn begin_step(begin: &StepBegin) -> Bound<'_, DB> {
        sqlx::query(super::BEGIN_STEP)
            .bind(begin.item_id)
            .bind(begin.claim_token.as_str())
            .bind(begin.step_id.as_str())
            .bind(i64::from(begin.attempt))
            .bind(begin.now)
    }

    fn finish_step(finish: &StepFinish) -> Bound<'_, DB> {
        sqlx::query(super::FINISH_STEP)
            .bind(finish.item_id)
            .bind(finish.claim_token.as_str())
            .bind(finish.step_id.as_str())
            .bind(finish.status.as_str())
            .bind(i64::from(finish.attempts))
            .bind(finish.output.as_ref().map(records::json_text))
            .bind(finish.error.as_deref())
            .bind(finish.now)
    }

    fn settle_item(settle: &ItemSettle) -> Bound<'_, DB> {
        sqlx::query(super::SETTLE_ITEM)
            .bind(settle.item_id)
            .bind(settle.claim_token.as_str())
            .bind(settle.status.as_str())
            .bind(settle.due_at)
            .bind(settle.error.as_deref())
            .bind(settle.now)
    }

    fn finish_and_begin<'q>(finish: &'q StepFinish, begin: &'q StepBegin) -> Bound<'q, DB> {
        sqlx::query(super::FINISH_AND_BEGIN_STEP)
            .bind(finish.item_id)
            .bind(finish.claim_token.as_str())
            .bind(finish.step_id.as_str())
            .bind(finish.status.as_str())
            .bind(i64::from(finish.attempts))
            .bind(finish.output.as_ref().map(records::json_text))
            .bind(finish.error.as_deref())
            .bind(finish.now)
            .bind(begin.step_id.as_str())
            .bind(i64::from(begin.attempt))
    }

    fn for_target(sql: &str, now: Timestamp, id: i64) -> Bound<'_, DB> {
        sqlx::query(sql).bind(now).bind(id)
    }

    fn retry_uncertain_steps(sql: &str, now: Timestamp, id: i64) -> Bound<'_, DB> {
        sqlx::query(sql)
            .bind(now)
            .bind(id)
            .bind(records::RETRIED_UNCERTAIN)
    }

    fn resend_uncertain_steps<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, DB> {
        sqlx::query(sql)
            .bind(request.now)
            .bind(request.bundle_id.as_str())
            .bind(records::RETRIED_UNCERTAIN)
            .bind(request.since)
    }

    fn resend_items<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, DB> {
        sqlx::query(sql)
            .bind(request.now)
            .bind(request.bundle_id.as_str())
            .bind(request.since)
    }

    fn drop_before_window<'q>(sql: &'q str, request: &'q ResendRequest) -> Bound<'q, DB> {
        sqlx::query(sql)
            .bind(request.now)
            .bind(request.bundle_id.as_str())
            .bind(request.since)
            .bind(DROPPED_BEFORE_WINDOW)
    }
}

/// The error recorded on items older than a resend window when a bundle is reactivated.
const DROPPED_BEFORE_WINDOW: &str = "older than the resend window; dropped on reactivation";
