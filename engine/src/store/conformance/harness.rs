//! Fixtures: a fresh migrated database per check, for each backend, plus shared helpers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::store::*;

/// A base time for checks (epoch millis); every `now` is injected relative to it.
pub(super) const T0: Timestamp = 1_767_225_600_000;

/// Default PostgreSQL for tests (trust auth on the local server).
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh, migrated database for one check.
#[async_trait]
pub(super) trait Fixture: Send {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
    /// Close the store and open the same database again (callers drop their handles first).
    async fn reopen(&mut self);
    /// Stores for `n` concurrent workers: independent engines with their own connections
    /// where the backend allows several (PostgreSQL), else the one store shared (SQLite
    /// allows one engine per file; its tasks still claim concurrently).
    async fn workers(&self, n: usize) -> Vec<Arc<dyn Store>>;
}

/// SQLite on a file in a temporary directory.
pub(super) async fn sqlite() -> Option<Box<dyn Fixture>> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("data/ferry.db");
    let store = open_sqlite(&path).await;
    Some(Box::new(SqliteFixture {
        store: Some(store),
        path,
        _dir: dir,
    }))
}

async fn open_sqlite(path: &std::path::Path) -> Arc<SqliteStore> {
    let store = SqliteStore::open(path).await.expect("open SQLite store");
    store.migrate().await.expect("migrate SQLite store");
    Arc::new(store)
}

struct SqliteFixture {
    store: Option<Arc<SqliteStore>>,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[async_trait]
impl Fixture for SqliteFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("store is open")
    }

    async fn reopen(&mut self) {
        let store = self.store.take().expect("store is open");
        let store =
            Arc::try_unwrap(store).unwrap_or_else(|_| panic!("a check still holds the store"));
        store.close().await;
        self.store = Some(open_sqlite(&self.path).await);
    }

    async fn workers(&self, n: usize) -> Vec<Arc<dyn Store>> {
        (0..n).map(|_| self.store()).collect()
    }
}

/// PostgreSQL in a fresh schema `ferry_test_<uuid>`, dropped afterwards; `None` (after
/// printing `SKIPPED: …`) when no server is reachable, unless `FERRY_REQUIRE_POSTGRES=1`
/// or a `postgres://` `DATABASE_URL` says one must be there.
pub(super) async fn postgres() -> Option<Box<dyn Fixture>> {
    let configured = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    let required =
        std::env::var("FERRY_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") || configured.is_some();
    let url = configured.unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
    let shown = StoreLocation::Postgres(url.clone()).display_redacted();
    let probe = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await;
    match probe {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(e)) if required => panic!("PostgreSQL required but not reachable at {shown}: {e}"),
        Err(_) if required => panic!("PostgreSQL required but not reachable at {shown}: timed out"),
        Ok(Err(e)) => {
            println!("SKIPPED: PostgreSQL not reachable at {shown}: {e}");
            return None;
        }
        Err(_) => {
            println!("SKIPPED: PostgreSQL not reachable at {shown}: timed out");
            return None;
        }
    }
    let schema = format!("ferry_test_{}", uuid::Uuid::new_v4().simple());
    let store = open_postgres(&url, &schema).await;
    Some(Box::new(PostgresFixture {
        url,
        schema,
        store: Some(store),
    }))
}

async fn open_postgres(url: &str, schema: &str) -> Arc<PostgresStore> {
    let store = PostgresStore::connect_with_schema(url, schema)
        .await
        .expect("connect to PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL schema");
    Arc::new(store)
}

struct PostgresFixture {
    url: String,
    schema: String,
    store: Option<Arc<PostgresStore>>,
}

#[async_trait]
impl Fixture for PostgresFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("store is open")
    }

    async fn reopen(&mut self) {
        if let Some(store) = self.store.take() {
            store.close().await;
        }
        self.store = Some(open_postgres(&self.url, &self.schema).await);
    }

    async fn workers(&self, n: usize) -> Vec<Arc<dyn Store>> {
        let mut workers: Vec<Arc<dyn Store>> = Vec::with_capacity(n);
        for _ in 0..n {
            workers.push(open_postgres(&self.url, &self.schema).await);
        }
        workers
    }
}

impl Drop for PostgresFixture {
    /// Drop the schema even when the check panicked. Drop cannot await, so a short-lived
    /// thread with its own runtime does it.
    fn drop(&mut self) {
        // Close this fixture's connections first so none can hold a lock the drop waits for.
        drop(self.store.take());
        let url = self.url.clone();
        let schema = self.schema.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await?;
                sqlx::query("SET lock_timeout = '10s'")
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        if let Ok(Err(e)) = cleanup.join() {
            eprintln!("could not drop test schema {}: {e}", self.schema);
        }
    }
}

/// Open a run of `bundle` and queue one item per key (payload `{"key": key}`).
pub(super) async fn seed(store: &dyn Store, bundle: &str, keys: &[&str]) -> RunId {
    let run_id = store
        .start_run(NewRun {
            bundle_id: bundle.into(),
            started_at: T0,
        })
        .await
        .unwrap();
    store
        .enqueue(batch(bundle, run_id, keys, None))
        .await
        .unwrap();
    run_id
}

/// A batch of items with payload `{"key": key}`.
pub(super) fn batch(
    bundle: &str,
    run_id: RunId,
    keys: &[&str],
    cursor: Option<serde_json::Value>,
) -> EnqueueBatch {
    EnqueueBatch {
        bundle_id: bundle.into(),
        run_id,
        items: keys
            .iter()
            .map(|k| NewItem {
                key: (*k).into(),
                payload: json!({ "key": k }),
            })
            .collect(),
        cursor,
        now: T0,
    }
}

/// Claim up to `limit` items of any bundle for `worker` at `now` with a `lease_ms` lease.
pub(super) async fn claim(
    store: &dyn Store,
    worker: &str,
    now: Timestamp,
    lease_ms: i64,
    limit: u32,
) -> Vec<ClaimedItem> {
    store
        .claim_items(ClaimRequest {
            worker: worker.into(),
            bundle_ids: None,
            limit,
            now,
            lease_ms,
        })
        .await
        .unwrap()
}

/// Settle a claimed item.
pub(super) async fn settle(
    store: &dyn Store,
    item: &ClaimedItem,
    status: ItemStatus,
    due_at: Option<Timestamp>,
    now: Timestamp,
) {
    store
        .settle_item(ItemSettle {
            item_id: item.id,
            claim_token: item.claim_token.clone(),
            status,
            due_at,
            error: matches!(
                status,
                ItemStatus::Failed | ItemStatus::Held | ItemStatus::Waiting
            )
            .then(|| format!("{} because of a test", status.as_str())),
            now,
        })
        .await
        .unwrap();
}

/// Keys of claimed items, in order.
pub(super) fn keys(items: &[ClaimedItem]) -> Vec<&str> {
    items.iter().map(|i| i.key.as_str()).collect()
}

/// Assert a write was fenced out.
pub(super) fn assert_lost<T: std::fmt::Debug>(result: Result<T, StoreError>, item_id: i64) {
    match result {
        Err(StoreError::LostClaim { item_id: lost }) => assert_eq!(lost, item_id),
        other => panic!("expected LostClaim for item {item_id}, got {other:?}"),
    }
}
