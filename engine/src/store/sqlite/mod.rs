//! The embedded backend: one SQLite file in WAL mode, used by exactly one engine.
//!
//! Writes go through a pool of **one** connection: SQLite allows one writer at a time, and
//! queueing writers in the pool (async, in order) beats letting several connections race
//! for the write lock and spin on `SQLITE_BUSY`. The writes of running chains are batched
//! into shared transactions by one task ([`group_commit`]). Reads use a separate small pool
//! and run in parallel with the writer thanks to WAL. A second engine on the same file is
//! refused by an advisory lock on `<db>.lock` ([`engine_lock`]).

mod engine_lock;
mod group_commit;
mod store_impl;
mod tokens;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;
use super::sql::{Dialect, Statements};
use engine_lock::EngineLock;
use group_commit::GroupCommitter;

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Readers in parallel with the writer (history and status queries).
const READERS: u32 = 4;

// Every pool here skips sqlx's liveness ping before handing out a connection
// (`test_before_acquire(false)`): an SQLite connection is a file handle in this process and
// cannot be hung up on, while the ping is a round trip to the connection's worker thread.
// On the single writer that round trip would come before every write, with every other
// write queued behind it.

/// The embedded SQLite store: one file in WAL mode, used by exactly one engine (a second
/// one gets [`StoreError::AlreadyInUse`]). Writes are queued on a single connection;
/// reads run alongside on a small pool.
#[derive(Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    commits: GroupCommitter,
    sql: Statements,
    path: Option<PathBuf>,
    // Dropped last (fields drop in order): the pools above let go of the file first.
    _lock: Option<EngineLock>,
}

impl SqliteStore {
    /// Open (creating the file and its directories if needed) the database at `path`, in
    /// WAL mode with `synchronous=NORMAL`, a 5 s busy timeout and foreign keys on.
    /// Fails with [`StoreError::AlreadyInUse`] if another engine has it open. Does not
    /// migrate: call [`Store::migrate`](super::Store::migrate) (or use
    /// [`open_store`](super::open_store), which does).
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, true).await
    }

    /// Open the database for an operator command (`ferry runs`, `retry`, `discard`) while
    /// an engine may be running on it: no engine lock is taken. SQLite itself serializes
    /// the few writes such commands make with the engine's, so this is safe; it is not for
    /// running bundles (two engines would both poll and claim).
    pub async fn open_for_operator(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, false).await
    }

    async fn open_with(path: &Path, engine: bool) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let lock = if engine {
            Some(EngineLock::acquire(path)?)
        } else {
            None
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // The writer opens the file first, so it exists and is in WAL mode before readers.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            commits: GroupCommitter::start(writer.clone()),
            writer,
            reader,
            sql: Statements::for_dialect(Dialect::Sqlite),
            path: Some(path.to_owned()),
            _lock: lock,
        })
    }

    /// A private in-memory database (for tests and dry runs): one connection serves reads
    /// and writes, and the data is gone when the store is dropped.
    pub async fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection kept forever: an in-memory database lives only as long as it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            commits: GroupCommitter::start(pool.clone()),
            writer: pool.clone(),
            reader: pool,
            sql: Statements::for_dialect(Dialect::Sqlite),
            path: None,
            _lock: None,
        })
    }

    /// Transactions committed so far for the writes of running chains (steps' marks and
    /// outcomes, settlements). Under load one transaction carries many writes; the
    /// benchmark reports the ratio.
    pub fn chain_write_transactions(&self) -> u64 {
        self.commits.transactions()
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Close the connections (checkpointing the WAL) and release the file for another engine.
    pub async fn close(self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ItemCounts, Store};

    #[tokio::test]
    async fn a_second_engine_on_the_same_file_is_refused_until_the_first_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.db");
        let first = SqliteStore::open(&path).await.unwrap();
        let err = SqliteStore::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::AlreadyInUse { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(
            message.contains(&format!("ferry process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("stop it first"), "{message}");

        // Another file is another engine's business.
        SqliteStore::open(&dir.path().join("other.db"))
            .await
            .unwrap();

        first.close().await;
        let again = SqliteStore::open(&path).await.unwrap();
        assert_eq!(again.path(), Some(path.as_path()));
    }

    #[tokio::test]
    async fn operator_commands_read_and_write_beside_a_running_engine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.db");
        let engine = SqliteStore::open(&path).await.unwrap();
        engine.migrate().await.unwrap();
        let operator = SqliteStore::open_for_operator(&path).await.unwrap();
        assert_eq!(
            operator.item_counts(None).await.unwrap(),
            ItemCounts::default()
        );
        let retried = operator
            .retry_items(crate::store::ItemTarget::Item(1), 0)
            .await
            .unwrap();
        assert_eq!(retried, 0);
        // The operator took no engine lock: a second engine is still refused.
        let err = SqliteStore::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::AlreadyInUse { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn files_are_created_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("a/b/ferry.db"))
            .await
            .unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.reader)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(timeout, 5_000);
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(foreign_keys, 1);
    }

    /// The claim must not sort the backlog: its pending branch walks the `(status, id)`
    /// index in order and stops at the limit. (A single `OR`-ed condition plans as
    /// `MULTI-INDEX OR` over every claimable row followed by a sort of all of them.)
    #[tokio::test]
    async fn claims_walk_the_status_id_index_instead_of_sorting_the_backlog() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        store.migrate().await.unwrap();
        let cases = [
            (&store.sql.claim_any, false),
            (&store.sql.claim_bundles, true),
        ];
        for (sql, with_bundles) in cases {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain)
                .bind(0_i64)
                .bind("token")
                .bind("worker")
                .bind(1_i64)
                .bind(10_i64);
            if with_bundles {
                query = query.bind("[\"calls\"]");
            }
            let rows = query.fetch_all(&store.writer).await.unwrap();
            let details: Vec<&str> = rows.iter().map(|(_, _, _, d)| d.as_str()).collect();
            assert!(
                details
                    .iter()
                    .any(|d| d.contains("USING INDEX items_claim_order (status=?)")),
                "{details:#?}"
            );
            assert!(
                !details
                    .iter()
                    .any(|d| d.contains("MULTI-INDEX OR") || d.starts_with("SCAN items")),
                "{details:#?}"
            );
        }
    }

    #[tokio::test]
    async fn in_memory_stores_are_private_and_usable() {
        let one = SqliteStore::open_in_memory().await.unwrap();
        let two = SqliteStore::open_in_memory().await.unwrap();
        one.migrate().await.unwrap();
        two.migrate().await.unwrap();
        let run = one
            .start_run(crate::store::NewRun {
                bundle_id: "calls".into(),
                started_at: 1,
            })
            .await
            .unwrap();
        let batch = crate::store::EnqueueBatch {
            bundle_id: "calls".into(),
            run_id: run,
            items: vec![crate::store::NewItem {
                key: "a".into(),
                payload: serde_json::json!({}),
            }],
            cursor: None,
            now: 1,
        };
        one.enqueue(batch).await.unwrap();
        assert_eq!(one.item_counts(None).await.unwrap().in_progress, 1);
        assert_eq!(two.item_counts(None).await.unwrap(), ItemCounts::default());
    }
}
