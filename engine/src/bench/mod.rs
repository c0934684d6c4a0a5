//! `ferry bench`: an end-to-end benchmark of the normal engine path.
//!
//! Calltouch and retailCRM emulators serve on 127.0.0.1 (in a child process by default);
//! a bundle written in YAML and read by the real loader polls `N` calls page by page, drops the
//! `status == complete` ones, and for each kept call finds or creates the retailCRM
//! customer by phone, creates an order for it, and creates a Calltouch deal carrying the
//! order id and the call's source. The store is SQLite in a temporary directory, so every
//! step is recorded durably exactly as in production; the clock is the system clock.
//!
//! - [`workload`]: the generated calls and the end state each must lead to.
//! - [`bundle`]: the bundle's YAML.
//! - [`crms`]: the emulators on their own runtime.
//! - [`crm_host`]: where the emulators run: a process of their own (the default, so the
//!   report's memory is ferry's alone) or this one.
//! - [`timed_store`], [`timed_connector`], [`timings`]: pass-through wrappers that measure
//!   every store call and connector call.
//! - [`metrics`]: percentiles, CPU and memory from `/proc`.
//! - [`verify`]: the end-state check; a run that fails it is not a result.
//! - [`report`]: the numbers, as JSON or tables.
//! - [`run`]: one run, start to finish.

pub mod bundle;
pub mod crm_host;
pub mod crms;
pub mod metrics;
pub mod report;
pub mod run;
pub mod timed_connector;
pub mod timed_store;
pub mod timings;
pub mod verify;
pub mod workload;

pub use crm_host::CrmPlacement;
pub use report::{BenchReport, render_text};
pub use run::{BenchProgress, BenchRun};
pub use workload::WorkloadShape;

use crate::runtime::PrepareError;
use crate::store::StoreError;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The calls.
    pub shape: WorkloadShape,
    /// The bundle's `run.concurrency`: items of the bundle processed at once.
    pub concurrency: usize,
    /// The engine's `max_in_flight`: items claimed at once.
    pub max_in_flight: usize,
    /// Calls per journal page (1..1000).
    pub page_size: usize,
    /// Worker threads serving the emulated CRMs.
    pub crm_threads: usize,
    /// Where the emulated CRMs run.
    pub crms: CrmPlacement,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            shape: WorkloadShape {
                calls: 10_000,
                repeat_caller_percent: 30,
                complete_percent: 10,
                seed: 1,
            },
            concurrency: 64,
            max_in_flight: 128,
            page_size: 1000,
            crm_threads: 1,
            crms: CrmPlacement::OwnProcess,
        }
    }
}

/// Why a benchmark could not produce a result (a result that fails verification is still
/// a result; see [`verify::Verification`]).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The emulators, the temporary directory or the transport could not be set up.
    #[error("benchmark setup: {0}")]
    Setup(String),
    /// The generated bundle did not pass the loader (a bug in the benchmark).
    #[error("the benchmark bundle is invalid:\n{0}")]
    Bundle(String),
    /// The bundle could not be prepared.
    #[error(transparent)]
    Prepare(Box<PrepareError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Polling the calls journal failed.
    #[error("polling the emulated calls journal failed: {0}")]
    Poll(String),
}

/// Prepare and run one benchmark.
pub async fn run_bench(options: BenchOptions) -> Result<BenchReport, BenchError> {
    BenchRun::prepare(options).await?.run().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole workload end to end on a small scale: the end state must verify. (No
    /// timing is asserted; timings belong to `ferry bench` itself.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_hundred_calls_end_to_end_verify() {
        let options = BenchOptions {
            shape: WorkloadShape {
                calls: 200,
                repeat_caller_percent: 30,
                complete_percent: 10,
                seed: 42,
            },
            concurrency: 16,
            max_in_flight: 32,
            page_size: 50,
            crm_threads: 1,
            // The test binary is not `ferry`: it cannot start a CRM process.
            crms: CrmPlacement::InProcess,
        };
        let report = run_bench(options).await.expect("the benchmark runs");
        let v = &report.verification;
        assert!(v.passed, "{:#?}", v.problems);
        assert_eq!(report.items.polled, 200);
        assert_eq!(report.items.kept + report.items.filtered, 200);
        assert!(
            report.items.filtered > 0,
            "some calls are complete and filtered"
        );
        assert!(
            report.items.kept_phones < report.items.kept as usize,
            "some callers repeat"
        );
        assert_eq!(v.orders as u64, report.items.kept);
        assert_eq!(v.deals as u64, report.items.kept);
        assert_eq!(v.customers, report.items.kept_phones);
        // Four pages of 50, each recorded in its own transaction.
        assert_eq!(report.operations["calltouch.poll new_call"].calls, 4);
        assert_eq!(report.operations["store.enqueue"].calls, 4);
        assert_eq!(
            report.latency.kept_enqueue_to_settle.map(|l| l.count),
            Some(report.items.kept as usize)
        );
    }
}
