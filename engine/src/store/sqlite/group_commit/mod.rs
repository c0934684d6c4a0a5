//! Group commit for the writes an item makes while its chain runs (a step's `sending` mark,
//! its outcome, the item's settlement).
//!
//! SQLite has one writer. When every item task takes the single writer connection in turn,
//! most of the writer's time goes to handing the connection from one task to the next, not
//! to SQLite. Here one task owns those writes instead: it takes every write queued at that
//! moment, runs them in **one** `BEGIN IMMEDIATE` transaction, commits, and only then answers
//! each caller. So a caller still goes on only after its own write is durable, and each
//! write is still fenced by its claim token; what changes is that a batch of writes shares
//! one hand-off and one commit.
//!
//! A write that the fence rejects (the claim was lost) changes nothing, so it can share the
//! batch: its caller gets [`StoreError::LostClaim`] and the rest commit. Anything unusual in
//! a batch (a database error, or a two-statement write fenced half-way) rolls the whole batch
//! back and runs its writes again one transaction each, so every caller gets exactly the
//! answer it would have got alone and no write is half-applied.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::records;
use crate::store::sql::BoundStatements;
use crate::store::{ItemSettle, StepBegin, StepFinish, StoreError};

/// The most writes one transaction takes. Bounds how long the writer holds the lock (other
/// writes such as claims and polls queue behind it) and how much one rollback repeats.
const MAX_BATCH: usize = 512;

/// One claim-fenced write of an item's chain, as the [`Store`](crate::store::Store) methods
/// of the same names describe them. Callers validate it before queueing.
#[derive(Debug)]
pub(super) enum FencedWrite {
    /// Mark a step `sending`.
    Begin(StepBegin),
    /// Record a step's outcome.
    Finish(StepFinish),
    /// Settle the item.
    Settle(ItemSettle),
    /// A step's outcome and the next step's `sending` mark, in one statement.
    FinishAndBegin(StepFinish, StepBegin),
    /// A step's outcome and the item's settlement.
    FinishAndSettle(StepFinish, ItemSettle),
}

/// What applying a write inside a transaction did.
enum Applied {
    /// Every statement wrote its rows.
    Written,
    /// The first statement was fenced out: nothing was written.
    FencedOut { item_id: i64 },
    /// A later statement was fenced out after an earlier one wrote: the transaction must
    /// not commit as it is.
    Partial,
}

struct Queued {
    write: FencedWrite,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle item tasks queue their writes on. The committing task ends when the last
/// handle is dropped (with the store).
#[derive(Debug, Clone)]
pub(super) struct GroupCommitter {
    queue: mpsc::UnboundedSender<Queued>,
    transactions: Arc<AtomicU64>,
}

impl GroupCommitter {
    /// Start the committing task on the current runtime; it borrows `writer`'s connection
    /// for each batch, so other writes on the same pool interleave between batches.
    pub(super) fn start(writer: SqlitePool) -> GroupCommitter {
        let (queue, receiver) = mpsc::unbounded_channel();
        let transactions = Arc::new(AtomicU64::new(0));
        tokio::spawn(commit_loop(CommitLoop {
            writer,
            receiver,
            transactions: transactions.clone(),
        }));
        GroupCommitter {
            queue,
            transactions,
        }
    }

    /// How many transactions the committing task has committed so far (batches and single
    /// writes alike): with [`write`](Self::write) calls counted by the caller, it shows how
    /// many writes a commit carried on average.
    pub(super) fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Queue `write` and wait until it is committed (or refused).
    pub(super) async fn write(&self, write: FencedWrite) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        // The task ends only when the pool is closed or the runtime shuts down; either way
        // the write cannot be made, which is what the pool itself would say.
        let gone = || StoreError::Database(sqlx::Error::PoolClosed);
        self.queue
            .send(Queued { write, reply })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// What the committing task owns.
struct CommitLoop {
    writer: SqlitePool,
    receiver: mpsc::UnboundedReceiver<Queued>,
    transactions: Arc<AtomicU64>,
}

async fn commit_loop(mut state: CommitLoop) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while state.receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_batch(&state, std::mem::take(&mut batch)).await;
    }
}

/// Commit `batch` in one transaction and answer every caller; on anything unusual, fall back
/// to one transaction per write.
async fn commit_batch(state: &CommitLoop, batch: Vec<Queued>) {
    let writer = &state.writer;
    if batch.len() > 1 {
        match try_together(writer, &batch).await {
            Some(answers) => {
                state.transactions.fetch_add(1, Ordering::Relaxed);
                for (queued, answer) in batch.into_iter().zip(answers) {
                    // A caller that stopped waiting (shutdown) needs no answer.
                    let _ = queued.reply.send(answer);
                }
                return;
            }
            None => tracing::debug!(
                writes = batch.len(),
                "group commit rolled back; writing one by one"
            ),
        }
    }
    for queued in batch {
        let answer = write_alone(writer, &queued.write).await;
        if answer.is_ok() {
            state.transactions.fetch_add(1, Ordering::Relaxed);
        }
        let _ = queued.reply.send(answer);
    }
}

/// Every write of `batch` in one transaction. `None` means nothing was committed and the
/// writes must be made one by one.
async fn try_together(
    writer: &SqlitePool,
    batch: &[Queued],
) -> Option<Vec<Result<(), StoreError>>> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.ok()?;
    let mut answers = Vec::with_capacity(batch.len());
    for queued in batch {
        match apply(&mut tx, &queued.write).await {
            Ok(Applied::Written) => answers.push(Ok(())),
            Ok(Applied::FencedOut { item_id }) => {
                answers.push(Err(StoreError::LostClaim { item_id }))
            }
            // Dropping the transaction rolls back every write of the batch.
            Ok(Applied::Partial) | Err(_) => return None,
        }
    }
    tx.commit().await.ok()?;
    Some(answers)
}

/// One write in its own transaction: the answer it gets without group commit. A write of
/// one statement is its own transaction already (SQLite's autocommit), so only the
/// two-statement write opens one; under light load, when every batch holds a single write,
/// that saves the `BEGIN` and `COMMIT` round trips.
async fn write_alone(writer: &SqlitePool, write: &FencedWrite) -> Result<(), StoreError> {
    let applied = if matches!(write, FencedWrite::FinishAndSettle(..)) {
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        let applied = apply(&mut tx, write).await?;
        if matches!(applied, Applied::Written) {
            tx.commit().await?;
        }
        // Otherwise rolled back when `tx` drops: half a write is never kept.
        applied
    } else {
        let mut conn = writer.acquire().await?;
        apply(&mut conn, write).await?
    };
    match applied {
        Applied::Written => Ok(()),
        Applied::FencedOut { item_id } => Err(StoreError::LostClaim { item_id }),
        Applied::Partial => Err(StoreError::LostClaim {
            item_id: write.item_id(),
        }),
    }
}

impl FencedWrite {
    fn item_id(&self) -> i64 {
        match self {
            FencedWrite::Begin(begin) => begin.item_id,
            FencedWrite::Finish(finish)
            | FencedWrite::FinishAndBegin(finish, _)
            | FencedWrite::FinishAndSettle(finish, _) => finish.item_id,
            FencedWrite::Settle(settle) => settle.item_id,
        }
    }
}

/// Run `write`'s statements on `conn` (inside a transaction the caller owns).
async fn apply(conn: &mut SqliteConnection, write: &FencedWrite) -> Result<Applied, sqlx::Error> {
    let item_id = write.item_id();
    let written = match write {
        FencedWrite::Begin(begin) => begin_step(conn, begin).await?,
        FencedWrite::Finish(finish) => finish_step(conn, finish).await?,
        FencedWrite::Settle(settle) => settle_item(conn, settle).await?,
        FencedWrite::FinishAndBegin(finish, begin) => finish_and_begin(conn, finish, begin).await?,
        FencedWrite::FinishAndSettle(finish, settle) => {
            if finish_step(conn, finish).await? == 0 {
                return Ok(Applied::FencedOut { item_id });
            }
            if settle_item(conn, settle).await? == 0 {
                return Ok(Applied::Partial);
            }
            return Ok(Applied::Written);
        }
    };
    Ok(match records::fenced(written, item_id) {
        Ok(()) => Applied::Written,
        Err(_) => Applied::FencedOut { item_id },
    })
}

async fn begin_step(conn: &mut SqliteConnection, begin: &StepBegin) -> Result<u64, sqlx::Error> {
    let done = Sqlite::begin_step(begin).execute(conn).await?;
    Ok(done.rows_affected())
}

async fn finish_step(conn: &mut SqliteConnection, finish: &StepFinish) -> Result<u64, sqlx::Error> {
    let done = Sqlite::finish_step(finish).execute(conn).await?;
    Ok(done.rows_affected())
}

async fn settle_item(conn: &mut SqliteConnection, settle: &ItemSettle) -> Result<u64, sqlx::Error> {
    let done = Sqlite::settle_item(settle).execute(conn).await?;
    Ok(done.rows_affected())
}

/// One statement writes both rows or, fenced out, neither.
async fn finish_and_begin(
    conn: &mut SqliteConnection,
    finish: &StepFinish,
    begin: &StepBegin,
) -> Result<u64, sqlx::Error> {
    let done = Sqlite::finish_and_begin(finish, begin)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests;
