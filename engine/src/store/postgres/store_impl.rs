//! [`Store`] on PostgreSQL: the shared statements of [`crate::store::sql`] on one pool.
//! Lists (claimed ids, bundle filters, listed runs) are bound as arrays.

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::{Postgres, Transaction};

use super::PostgresStore;
use crate::store::records::{
    self, ClaimedRow, ItemRow, LeaseRow, RunCountRow, RunRow, StatusCountRow, StepRow,
};
use crate::store::sql::{self, BoundStatements, TargetColumn, transactions};
use crate::store::*;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

impl PostgresStore {
    async fn write_tx(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn upsert_bundle(&self, bundle: BundleRecord) -> Result<(), StoreError> {
        Postgres::upsert_bundle(&bundle).execute(&self.pool).await?;
        Ok(())
    }

    async fn cursor(&self, bundle_id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = sqlx::query_scalar(sql::SELECT_CURSOR)
            .bind(bundle_id)
            .fetch_optional(&self.pool)
            .await?;
        text.map(|t| records::parse_json(&t, || format!("cursor of bundle {bundle_id}")))
            .transpose()
    }

    async fn start_run(&self, run: NewRun) -> Result<RunId, StoreError> {
        let id = sqlx::query_scalar(sql::INSERT_RUN)
            .bind(&run.bundle_id)
            .bind(run.started_at)
            .fetch_one(&self.pool)
            .await?;
        Ok(id)
    }

    async fn enqueue(&self, batch: EnqueueBatch) -> Result<EnqueueOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        // On an error, dropping the transaction rolls back the items and the cursor.
        let outcome = transactions::enqueue::<Postgres>(&mut tx, &batch).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn finish_run(&self, finish: RunFinish) -> Result<(), StoreError> {
        let done = Postgres::finish_run(&finish).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("run {}", finish.run_id)));
        }
        Ok(())
    }

    async fn claim_items(&self, claim: ClaimRequest) -> Result<Vec<ClaimedItem>, StoreError> {
        if claim.limit == 0 || claim.bundle_ids.as_ref().is_some_and(|ids| ids.is_empty()) {
            return Ok(Vec::new());
        }
        let token = uuid::Uuid::new_v4().to_string();
        let mut tx = self.write_tx().await?;
        let sql_text = match claim.bundle_ids {
            Some(_) => &self.sql.claim_bundles,
            None => &self.sql.claim_any,
        };
        let mut query = sqlx::query_as::<_, ClaimedRow>(sql_text)
            .bind(claim.now)
            .bind(&token)
            .bind(&claim.worker)
            .bind(claim.now.saturating_add(claim.lease_ms))
            .bind(i64::from(claim.limit));
        if let Some(ids) = &claim.bundle_ids {
            query = query.bind(ids);
        }
        let rows = query.fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(ClaimedRow::id).collect();
        let steps = sqlx::query_as::<_, StepRow>(&self.sql.steps_of_items)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        records::claimed_items(rows, &token, steps)
    }

    async fn renew_claims(&self, renew: RenewClaims) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let lost = transactions::renew_claims::<Postgres>(&mut tx, &renew).await?;
        // The claims still held are renewed even when one was lost.
        tx.commit().await?;
        match lost {
            Some(item_id) => Err(StoreError::LostClaim { item_id }),
            None => Ok(()),
        }
    }

    async fn begin_step(&self, begin: StepBegin) -> Result<(), StoreError> {
        let done = Postgres::begin_step(&begin).execute(&self.pool).await?;
        records::fenced(done.rows_affected(), begin.item_id)
    }

    async fn finish_step(&self, finish: StepFinish) -> Result<(), StoreError> {
        records::check_step_outcome(finish.status, finish.item_id, &finish.step_id)?;
        let done = Postgres::finish_step(&finish).execute(&self.pool).await?;
        records::fenced(done.rows_affected(), finish.item_id)
    }

    async fn settle_item(&self, settle: ItemSettle) -> Result<(), StoreError> {
        records::check_settle(&settle)?;
        let done = Postgres::settle_item(&settle).execute(&self.pool).await?;
        records::fenced(done.rows_affected(), settle.item_id)
    }

    async fn finish_step_and_begin(
        &self,
        finish: StepFinish,
        begin: StepBegin,
    ) -> Result<(), StoreError> {
        records::check_step_pair(&finish, &begin)?;
        let done = Postgres::finish_and_begin(&finish, &begin)
            .execute(&self.pool)
            .await?;
        // One statement: both rows or, fenced out, neither.
        records::fenced(done.rows_affected(), finish.item_id)
    }

    async fn finish_step_and_settle(
        &self,
        finish: StepFinish,
        settle: ItemSettle,
    ) -> Result<(), StoreError> {
        records::check_step_and_settle(&finish, &settle)?;
        let mut tx = self.write_tx().await?;
        let recorded = Postgres::finish_step(&finish).execute(&mut *tx).await?;
        // Fenced out: dropping the transaction rolls back; nothing is written.
        records::fenced(recorded.rows_affected(), finish.item_id)?;
        let settled = Postgres::settle_item(&settle).execute(&mut *tx).await?;
        records::fenced(settled.rows_affected(), settle.item_id)?;
        tx.commit().await?;
        Ok(())
    }

    async fn release_claims(&self, worker: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::RELEASE_CLAIMS)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn release_orphaned_claims(&self) -> Result<u64, StoreError> {
        // Other workers may be alive and holding claims; expired leases hand their items
        // over (`claim_items` takes running items whose lease has passed).
        Ok(0)
    }

    async fn retry_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let retried = transactions::retry_items::<Postgres>(&mut tx, &target, now).await?;
        tx.commit().await?;
        Ok(retried)
    }

    async fn resend_window(&self, request: ResendRequest) -> Result<ResendOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let outcome = transactions::resend_window::<Postgres>(&mut tx, &request).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn discard_items(&self, target: ItemTarget, now: Timestamp) -> Result<u64, StoreError> {
        let (column, id) = TargetColumn::of(&target);
        let done = Postgres::for_target(&sql::discard_items(column), now, id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn list_runs(&self, query: RunQuery) -> Result<Vec<RunSummary>, StoreError> {
        let limit = if query.limit == 0 {
            i64::MAX
        } else {
            i64::from(query.limit)
        };
        // One snapshot: the counts belong to exactly the runs listed.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let runs = match &query.bundle_id {
            None => {
                sqlx::query_as::<_, RunRow>(&sql::list_runs_all())
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?
            }
            Some(bundle) => {
                sqlx::query_as::<_, RunRow>(&sql::list_runs_of_bundle())
                    .bind(limit)
                    .bind(bundle)
                    .fetch_all(&mut *tx)
                    .await?
            }
        };
        let ids: Vec<i64> = runs.iter().map(RunRow::id).collect();
        let counts = sqlx::query_as::<_, RunCountRow>(&self.sql.counts_of_runs)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        records::run_summaries(runs, counts)
    }

    async fn run_detail(&self, run_id: RunId) -> Result<Option<RunDetail>, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let Some(run) = sqlx::query_as::<_, RunRow>(&sql::select_run())
            .bind(run_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let items = sqlx::query_as::<_, ItemRow>(sql::ITEMS_OF_RUN)
            .bind(run_id)
            .fetch_all(&mut *tx)
            .await?;
        let steps = sqlx::query_as::<_, StepRow>(sql::STEPS_OF_RUN)
            .bind(run_id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        records::run_detail(run, items, steps).map(Some)
    }

    async fn item_counts(&self, bundle_id: Option<&str>) -> Result<ItemCounts, StoreError> {
        let rows = match bundle_id {
            None => {
                sqlx::query_as::<_, StatusCountRow>(sql::COUNT_ALL_ITEMS)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(bundle) => {
                sqlx::query_as::<_, StatusCountRow>(sql::COUNT_BUNDLE_ITEMS)
                    .bind(bundle)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        records::item_counts(rows)
    }

    async fn acquire_lease(&self, request: LeaseRequest) -> Result<Option<Lease>, StoreError> {
        let row = sqlx::query_as::<_, LeaseRow>(sql::ACQUIRE_LEASE)
            .bind(&request.name)
            .bind(&request.holder)
            .bind(request.now.saturating_add(request.ttl_ms))
            .bind(request.now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Lease::from))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(sql::RELEASE_LEASE)
            .bind(name)
            .bind(holder)
            .bind(i64::MIN)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
