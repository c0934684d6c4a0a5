//! Several workers on one PostgreSQL database: a fresh schema per test, engines that each
//! have their own connection pool on it (as separate processes would), bundles polling the
//! test API of [`api`], and the checks shared by the multi-worker tests.

#![allow(dead_code)] // each test uses its own subset

pub mod api;
pub mod fleet;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry::bundle::{Bundle, parse_bundle};
use ferry::clock::ManualClock;
use ferry::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource};

/// The workers' claim lease in these tests (simulated time).
pub const CLAIM_LEASE: std::time::Duration = std::time::Duration::from_secs(300);
use ferry::store::{PostgresStore, Store};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use sqlx::{Connection, PgConnection};

/// The test server (trust auth on the local server).
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A five-minute tick.
pub const TICK: Duration = Duration::from_secs(300);

/// On a five-minute boundary, so every tick is one the schedule fires at.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-14T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A fresh schema, dropped when this goes out of scope.
pub struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    /// A new schema, or `None` after printing `SKIPPED: …` when no server is reachable
    /// (unless `FERRY_REQUIRE_POSTGRES=1` or a `postgres://` `DATABASE_URL` demands one).
    pub async fn create() -> Option<PgSchema> {
        let configured = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"));
        let required =
            std::env::var("FERRY_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") || configured.is_some();
        let url = configured.unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
        let probe = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await;
        match probe {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
            Ok(Err(e)) if required => panic!("PostgreSQL required but not reachable: {e}"),
            Err(_) if required => panic!("PostgreSQL required but not reachable: timed out"),
            Ok(Err(e)) => {
                println!("SKIPPED: PostgreSQL not reachable: {e}");
                return None;
            }
            Err(_) => {
                println!("SKIPPED: PostgreSQL not reachable: timed out");
                return None;
            }
        }
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("ferry_test_mw_{}_{unique}", std::process::id());
        Some(PgSchema { url, name })
    }

    /// A store with its own pool on this schema, migrated: one worker's database handle.
    ///
    /// Its sessions commit without waiting for the WAL flush (`synchronous_commit=off`):
    /// ticks are bound by fsync otherwise (about 2 ms a commit here, four commits per poll).
    /// That changes only what a crash of the server itself may lose; transactions, locks,
    /// `SKIP LOCKED` and what each session sees are exactly as with durable commits.
    pub async fn store(&self) -> Arc<PostgresStore> {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}options[synchronous_commit]=off", self.url);
        let store = PostgresStore::connect_with_schema(&url, &self.name)
            .await
            .expect("connect to PostgreSQL");
        store.migrate().await.expect("migrate");
        Arc::new(store)
    }

    /// A plain connection with this schema first on the search path, for reading what
    /// the store API does not show (claim tokens).
    pub async fn connection(&self) -> PgConnection {
        let mut conn = PgConnection::connect(&self.url).await.expect("connect");
        sqlx::query(&format!("SET search_path TO \"{}\"", self.name))
            .execute(&mut conn)
            .await
            .expect("set search_path");
        conn
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        // Drop cannot await: a short-lived thread with its own runtime drops the schema.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await?;
                sqlx::query("SET lock_timeout = '10s'")
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test schema {}: {e}", self.name);
        }
    }
}

/// What a source bundle looks like.
#[derive(Debug, Clone, Copy)]
pub struct SourceOptions {
    /// Items per page of the poll.
    pub page_size: usize,
    /// `run: { concurrency }` of the bundle.
    pub concurrency: usize,
    /// `rate_limit: { requests, per: 1s }` on the connection.
    pub requests_per_second: Option<u32>,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            page_size: 5,
            concurrency: 8,
            requests_per_second: None,
        }
    }
}

/// Bundle `source-<n>` as `worker` runs it: polls `/sources/<n>/items` every five minutes
/// (cursor after id) and posts every item to `/received`. Each worker's copy names it in an
/// `X-Worker` header, so the API can tell who sent what; the account stays the same.
pub fn source_bundle(base_url: &str, source: u32, worker: &str, options: SourceOptions) -> Bundle {
    let rate_limit = options
        .requests_per_second
        .map(|n| format!(", rate_limit: {{ requests: {n}, per: 1s }}"))
        .unwrap_or_default();
    let text = format!(
        r#"
id: source-{source}
name: Source {source}
connections:
  api: {{ kind: http, base_url: "{base_url}", headers: {{ X-Worker: {worker} }}{rate_limit} }}
trigger:
  connection: api
  event: poll
  schedule: "*/5 * * * *"
  settings:
    path: /sources/{source}/items
    items_path: data.items
    pagination: {{ style: cursor_after_id, param: since_id }}
    page_size: {page_size}
    limit_param: limit
steps:
  - id: deliver
    action: api.request
    with:
      path: /received
      body: {{ object: {{ source: {{ from: item.source }}, item: {{ from: item.id }} }} }}
      outputs: {{ id: id }}
run: {{ concurrency: {concurrency} }}
"#,
        page_size = options.page_size,
        concurrency = options.concurrency,
    );
    let path = std::path::PathBuf::from(format!("inline/source-{source}.yaml"));
    parse_bundle(&path, &text).unwrap_or_else(|d| panic!("{d}"))
}

/// How a worker is built.
pub struct WorkerSpec<'a> {
    /// Its id (claims and leases are held under it).
    pub id: &'a str,
    /// Its own store handle on the shared schema.
    pub store: Arc<PostgresStore>,
    /// The clock all workers share.
    pub clock: Arc<ManualClock>,
    /// Its bundles.
    pub bundles: Vec<Bundle>,
    /// Items it processes at once.
    pub max_in_flight: usize,
    /// Whether its transport shares rate limits through the database.
    pub shared_rate_limit: bool,
}

/// One worker: an engine with its own transport and store pool, as a separate process has.
pub async fn worker(spec: WorkerSpec<'_>) -> Engine {
    let mut http = HttpTransport::new(TransportConfig {
        request_timeout: Duration::from_secs(30),
        ..TransportConfig::default()
    })
    .expect("transport");
    if spec.shared_rate_limit {
        http = http.with_shared_limiter(Arc::new(spec.store.rate_limiter()));
    }
    let secrets = SecretSource::from_env();
    let prepared = spec
        .bundles
        .into_iter()
        .map(|b| PreparedBundle::prepare(b, &secrets, &http).expect("prepare bundle"))
        .collect();
    let config = EngineConfig {
        worker_id: spec.id.to_string(),
        max_in_flight: spec.max_in_flight,
        // The takeover proofs count simulated time against this lease.
        claim_lease: CLAIM_LEASE,
        ..EngineConfig::default()
    };
    let store: Arc<dyn Store> = spec.store;
    Engine::new(store, spec.clock, config, prepared)
        .await
        .expect("engine")
}

/// The largest number of arrivals within any window of `window` (half-open).
pub fn max_in_window(arrivals: &[std::time::Instant], window: Duration) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}
