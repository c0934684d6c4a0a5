//! One benchmark run: seed the emulated CRMs, build the engine exactly as `ferry run`
//! does (real loader, real connectors over HTTP, SQLite store in a temporary directory,
//! system clock), time one tick, then read latencies from the store and verify the end
//! state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_connectors::transport::{HttpTransport, TransportConfig};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::bundle::{BundleParams, CALLTOUCH_TOKEN_SECRET, RETAILCRM_KEY_SECRET, bench_bundle};
use super::crm_host::{CrmHost, LOG_CLEAR_INTERVAL};
use super::crms::{CALLTOUCH_TOKEN, CRM_THREAD_NAME, RETAILCRM_KEY};
use super::metrics::{LatencySummary, cpu_now, memory_mib, status_mib};
use super::report::{BenchReport, Cost, ItemTotals, Latencies, Machine, RunSettings, Throughput};
use super::timed_connector::TimedConnector;
use super::timed_store::{StoreProbe, TimedStore};
use super::timings::Timings;
use super::verify::{EndState, verify};
use super::workload::Workload;
use super::{BenchError, BenchOptions};
use crate::clock::{Clock, SystemClock};
use crate::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource};
use crate::store::{ItemStatus, SqliteStore, Store};

/// A prepared run: CRMs seeded, engine built, nothing polled yet.
pub struct BenchRun {
    options: BenchOptions,
    crms: CrmHost,
    workload: Workload,
    engine: Engine,
    probe: Arc<StoreProbe>,
    connector_timings: Arc<Timings>,
    sqlite: Arc<SqliteStore>,
    db_path: PathBuf,
    // Removed (with the database) when the run is dropped.
    _dir: tempfile::TempDir,
}

/// Items settled so far, for a progress display while the run goes.
#[derive(Debug, Clone)]
pub struct BenchProgress {
    probe: Arc<StoreProbe>,
    total: u64,
}

impl BenchProgress {
    /// Items settled (kept or filtered) so far.
    pub fn settled(&self) -> u64 {
        self.probe.settled()
    }

    /// Items the run will settle.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl BenchRun {
    /// Start and seed the emulators, open the store and build the engine.
    pub async fn prepare(options: BenchOptions) -> Result<BenchRun, BenchError> {
        let now = SystemClock.now();
        let mut workload = Workload::generate(&options.shape, now);
        let crms = CrmHost::start(
            options.crms,
            &options.shape,
            now,
            options.crm_threads,
            &mut workload,
        )
        .await?;

        let dir = tempfile::Builder::new()
            .prefix("ferry-bench-")
            .tempdir()
            .map_err(|e| BenchError::Setup(format!("cannot create a temporary directory: {e}")))?;
        let db_path = dir.path().join("ferry.db");
        let sqlite = Arc::new(SqliteStore::open(&db_path).await?);
        sqlite.migrate().await?;
        let probe = Arc::new(StoreProbe::default());
        let store: Arc<dyn Store> = Arc::new(TimedStore::new(sqlite.clone(), probe.clone()));

        let bundle = bench_bundle(&BundleParams {
            calltouch_url: crms.calltouch_url(),
            retailcrm_url: crms.retailcrm_url(),
            concurrency: options.concurrency,
            page_size: options.page_size,
        })?;
        let mut secrets = SecretSource::from_env();
        secrets.set_secret(CALLTOUCH_TOKEN_SECRET, CALLTOUCH_TOKEN);
        secrets.set_secret(RETAILCRM_KEY_SECRET, RETAILCRM_KEY);
        let http = HttpTransport::new(TransportConfig::default())
            .map_err(|e| BenchError::Setup(format!("cannot build the HTTP transport: {e}")))?;
        let mut prepared =
            PreparedBundle::prepare(bundle, &secrets, &http).map_err(BenchError::Prepare)?;
        let connector_timings = Arc::new(Timings::default());
        TimedConnector::instrument(&mut prepared, &connector_timings);

        let config = EngineConfig {
            worker_id: "ferry-bench".into(),
            max_in_flight: options.max_in_flight.max(1),
            ..EngineConfig::default()
        };
        let engine = Engine::new(store, Arc::new(SystemClock), config, vec![prepared]).await?;
        Ok(BenchRun {
            options,
            crms,
            workload,
            engine,
            probe,
            connector_timings,
            sqlite,
            db_path,
            _dir: dir,
        })
    }

    /// A handle to watch the run's progress from another task.
    pub fn progress(&self) -> BenchProgress {
        BenchProgress {
            probe: self.probe.clone(),
            total: self.workload.expected.len() as u64,
        }
    }

    /// Time one tick (poll every page, then drain), then measure and verify.
    pub async fn run(mut self) -> Result<BenchReport, BenchError> {
        let rss_before = memory_mib().map(|(now, _)| now);
        let chain_commits_before = self.sqlite.chain_write_transactions();
        let cpu_before = cpu_now(CRM_THREAD_NAME);
        let crm_cpu_before = self.crms.process_cpu_s();
        let start = Instant::now();
        let tick = self.engine.tick();
        tokio::pin!(tick);
        let mut clear_logs = tokio::time::interval(LOG_CLEAR_INTERVAL);
        let tick = loop {
            tokio::select! {
                report = &mut tick => break report?,
                _ = clear_logs.tick() => self.crms.clear_request_logs(),
            }
        };
        let wall = start.elapsed();
        let chain_commits = self.sqlite.chain_write_transactions() - chain_commits_before;
        let mut cpu = cpu_now(CRM_THREAD_NAME).since(&cpu_before);
        if let (Some(before), Some(after)) = (crm_cpu_before, self.crms.process_cpu_s()) {
            // The CRMs' own process: its CPU is theirs, and part of the whole.
            cpu.crm_emulators_s = (after - before).max(0.0);
            cpu.total_s += cpu.crm_emulators_s;
        }
        // Read before the end state is fetched for verification: that copy is the
        // benchmark's, not the engine's.
        let peak_rss = memory_mib().map(|(_, peak)| peak);
        let crm_peak_rss = self.crms.process_peak_rss_mib();
        self.crms.clear_request_logs();

        let poll = tick
            .bundles
            .first()
            .map(|b| b.poll.clone())
            .ok_or_else(|| {
                BenchError::Setup("the bundle was not polled (its poll lease was taken)".into())
            })?;
        if let Some(error) = &poll.error {
            return Err(BenchError::Poll(error.clone()));
        }
        let poll_s = self
            .probe
            .last_enqueue()
            .map_or(0.0, |at| at.duration_since(start).as_secs_f64());

        let latency = self.latencies().await?;
        let crm_state = self.crms.state().await?;
        let state = EndState {
            customers: crm_state.customers,
            orders: crm_state.orders,
            deals: crm_state.deals,
            counts: tick.counts.clone(),
        };
        let mut verification = verify(&self.workload, &state);
        let total = self.workload.expected.len() as u64;
        if poll.items_new != total {
            verification.add_problem(format!(
                "the poll recorded {} of {total} calls (the Moscow day may have changed during the run; run it again)",
                poll.items_new
            ));
        }

        let kept = self.workload.kept() as u64;
        let filtered = total - kept;
        let secs = wall.as_secs_f64().max(1e-9);
        let ferry_cpu = cpu.total_s - cpu.crm_emulators_s;
        let mut operations = self.probe.timings.snapshot();
        operations.extend(self.connector_timings.snapshot());
        let o = &self.options;
        Ok(BenchReport {
            machine: machine(),
            settings: RunSettings {
                calls: o.shape.calls,
                repeat_caller_percent: o.shape.repeat_caller_percent,
                complete_percent: o.shape.complete_percent,
                seed: o.shape.seed,
                concurrency: o.concurrency,
                max_in_flight: o.max_in_flight,
                page_size: o.page_size,
                crm_threads: o.crm_threads,
            },
            items: ItemTotals {
                polled: poll.items_new,
                kept,
                filtered,
                kept_phones: self.workload.kept_phones().len(),
            },
            throughput: Throughput {
                wall_s: wall.as_secs_f64(),
                poll_s,
                kept_items_per_s: kept as f64 / secs,
                all_items_per_s: total as f64 / secs,
            },
            latency,
            cost: Cost {
                cpu,
                cpu_ms_per_kept_item: cpu.total_s * 1000.0 / kept.max(1) as f64,
                ferry_cpu_ms_per_kept_item: ferry_cpu.max(0.0) * 1000.0 / kept.max(1) as f64,
                rss_before_mib: rss_before,
                peak_rss_mib: peak_rss,
                crm_process_peak_rss_mib: crm_peak_rss,
                database_mib: database_mib(&self.db_path),
            },
            operations: operations.into_iter().collect::<BTreeMap<_, _>>(),
            chain_commits,
            verification,
        })
    }

    /// Enqueue-to-settle times from the store's own timestamps, and claim-to-settle times
    /// measured in process.
    async fn latencies(&self) -> Result<Latencies, BenchError> {
        // A separate connection: the store's pools are its own, and WAL lets a reader
        // see everything the writer committed.
        let options = SqliteConnectOptions::new().filename(&self.db_path);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT status, created_at, updated_at FROM items")
                .fetch_all(&pool)
                .await
                .map_err(store_error)?;
        pool.close().await;
        let elapsed = |created: i64, updated: i64| {
            Duration::from_millis(updated.saturating_sub(created).max(0) as u64)
        };
        let all: Vec<Duration> = rows.iter().map(|(_, c, u)| elapsed(*c, *u)).collect();
        let kept: Vec<Duration> = rows
            .iter()
            .filter(|(s, _, _)| s == ItemStatus::Succeeded.as_str())
            .map(|(_, c, u)| elapsed(*c, *u))
            .collect();
        let service: Vec<Duration> = self
            .probe
            .service_times()
            .into_iter()
            .filter(|(status, _)| *status == ItemStatus::Succeeded)
            .map(|(_, took)| took)
            .collect();
        Ok(Latencies {
            kept_enqueue_to_settle: LatencySummary::of(kept),
            all_enqueue_to_settle: LatencySummary::of(all),
            kept_claim_to_settle: LatencySummary::of(service),
        })
    }
}

fn store_error(e: sqlx::Error) -> BenchError {
    BenchError::Store(e.into())
}

fn machine() -> Machine {
    let memory_mib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| status_mib(&text, "MemTotal"));
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib,
    }
}

/// The database file and its write-ahead log, in MiB.
fn database_mib(db: &Path) -> f64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let bytes: u64 = [db.to_path_buf(), PathBuf::from(wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    bytes as f64 / (1024.0 * 1024.0)
}
