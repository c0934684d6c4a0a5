//! The store's multi-statement writes, written once for both backends. Each runs inside a
//! transaction the backend opened (SQLite with `BEGIN IMMEDIATE`, PostgreSQL with a plain
//! `BEGIN`) and leaves committing to it, so that an early return rolls everything back.

use sqlx::postgres::PgQueryResult;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Database, Executor, IntoArguments};

use super::{BoundStatements, ENQUEUE_CHUNK, TargetColumn};
use crate::store::{
    EnqueueBatch, EnqueueOutcome, ItemTarget, RenewClaims, ResendOutcome, ResendRequest,
    StoreError, Timestamp,
};

/// How many rows a statement changed: each driver has its own result type, with the same
/// method, but no shared trait for it.
pub(in crate::store) trait RowsAffected {
    /// Rows inserted, updated or deleted.
    fn rows(&self) -> u64;
}

impl RowsAffected for SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// New items (chunked) and the cursor, then the run's count of new items. Fails with
/// `NotFound` (and the caller's transaction must then roll back) when the run is unknown.
pub(in crate::store) async fn enqueue<DB>(
    conn: &mut <DB as Database>::Connection,
    batch: &EnqueueBatch,
) -> Result<EnqueueOutcome, StoreError>
where
    DB: BoundStatements,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut inserted = 0;
    for chunk in batch.items.chunks(ENQUEUE_CHUNK) {
        let sql = super::insert_items(chunk.len());
        let done = DB::insert_items(&sql, batch, chunk)
            .execute(&mut *conn)
            .await?;
        inserted += done.rows();
    }
    if let Some(cursor) = &batch.cursor {
        DB::upsert_cursor(batch, cursor).execute(&mut *conn).await?;
    }
    let run = DB::add_items_new(batch, inserted)
        .execute(&mut *conn)
        .await?;
    if run.rows() == 0 {
        return Err(StoreError::NotFound(format!("run {}", batch.run_id)));
    }
    Ok(EnqueueOutcome {
        inserted,
        duplicates: batch.items.len() as u64 - inserted,
    })
}

/// Extend every claim of `renew`; the first claim found lost is returned (the others are
/// renewed all the same, so the caller commits either way).
pub(in crate::store) async fn renew_claims<DB>(
    conn: &mut <DB as Database>::Connection,
    renew: &RenewClaims,
) -> Result<Option<i64>, StoreError>
where
    DB: BoundStatements,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let until = renew.now.saturating_add(renew.lease_ms);
    let mut lost = None;
    for (item_id, token) in &renew.items {
        let done = DB::renew_claim(*item_id, token, until)
            .execute(&mut *conn)
            .await?;
        if done.rows() == 0 && lost.is_none() {
            lost = Some(*item_id);
        }
    }
    Ok(lost)
}

/// Put the target's held or failed items back in the queue, their uncertain steps marked
/// as retried by an operator; returns how many items were requeued.
pub(in crate::store) async fn retry_items<DB>(
    conn: &mut <DB as Database>::Connection,
    target: &ItemTarget,
    now: Timestamp,
) -> Result<u64, StoreError>
where
    DB: BoundStatements,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let (column, id) = TargetColumn::of(target);
    DB::retry_uncertain_steps(&super::retry_uncertain_steps(column), now, id)
        .execute(&mut *conn)
        .await?;
    let done = DB::for_target(&super::retry_items(column), now, id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows())
}

/// Requeue a bundle's waiting items inside the resend window and drop the older ones.
pub(in crate::store) async fn resend_window<DB>(
    conn: &mut <DB as Database>::Connection,
    request: &ResendRequest,
) -> Result<ResendOutcome, StoreError>
where
    DB: BoundStatements,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    DB::resend_uncertain_steps(&super::resend_uncertain_steps(), request)
        .execute(&mut *conn)
        .await?;
    let resent = DB::resend_items(&super::resend_items(), request)
        .execute(&mut *conn)
        .await?
        .rows();
    let dropped = DB::drop_before_window(&super::drop_before_window(), request)
        .execute(&mut *conn)
        .await?
        .rows();
    Ok(ResendOutcome { resent, dropped })
}
