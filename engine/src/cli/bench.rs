//! `ferry bench`: run the end-to-end benchmark against emulated CRMs (in a child process,
//! or in this one with `--crms-in-process`) and print throughput, latency, CPU, memory and
//! the verification of the end state. Exits non-zero when verification fails.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::bench::bundle::{BundleParams, bundle_yaml};
use crate::bench::crm_host::serve_crms;
use crate::bench::{
    BenchError, BenchOptions, BenchProgress, BenchRun, CrmPlacement, WorkloadShape, render_text,
};

/// Arguments of `ferry bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Calls to seed and process.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub calls: u64,
    /// Percent of calls from a caller who called before (the same phone).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub repeat_callers: u8,
    /// Percent of calls with `status: complete` (dropped by the filter).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub complete: u8,
    /// Seed of the generated calls (the same seed gives the same calls).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The bundle's `run.concurrency`: items processed at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: u64,
    /// The engine's `max_in_flight`: items claimed at once.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub max_in_flight: u64,
    /// Calls per journal page.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub page_size: u64,
    /// Worker threads serving the emulated CRMs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub crm_threads: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the benchmark's bundle (YAML) and exit.
    #[arg(long)]
    pub show_bundle: bool,
    /// Run the emulated CRMs inside the benchmark's process instead of a child process
    /// (the peak RSS then includes their data).
    #[arg(long)]
    pub crms_in_process: bool,
    /// Serve the emulated CRMs for a benchmark running in the parent process (internal).
    #[arg(long, hide = true)]
    pub serve_crms: bool,
    /// The run's `now` (epoch milliseconds) the CRMs' calls are dated by (internal).
    #[arg(long, hide = true, requires = "serve_crms")]
    pub now_ms: Option<i64>,
}

impl BenchArgs {
    fn options(&self) -> BenchOptions {
        BenchOptions {
            shape: WorkloadShape {
                calls: self.calls as usize,
                repeat_caller_percent: self.repeat_callers,
                complete_percent: self.complete,
                seed: self.seed,
            },
            concurrency: self.concurrency as usize,
            max_in_flight: self.max_in_flight as usize,
            page_size: self.page_size as usize,
            crm_threads: self.crm_threads as usize,
            crms: if self.crms_in_process {
                CrmPlacement::InProcess
            } else {
                CrmPlacement::OwnProcess
            },
        }
    }
}

/// Run it.
pub async fn execute(args: BenchArgs) -> Result<ExitCode, CliError> {
    let options = args.options();
    if args.serve_crms {
        let now = args
            .now_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .ok_or_else(|| BenchError::Setup("--serve-crms needs --now-ms".into()))?;
        serve_crms(&options.shape, now, options.crm_threads).await?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.show_bundle {
        print!(
            "{}",
            bundle_yaml(&BundleParams {
                calltouch_url: "http://127.0.0.1:<calltouch emulator port>".into(),
                retailcrm_url: "http://127.0.0.1:<retailcrm emulator port>".into(),
                concurrency: options.concurrency,
                page_size: options.page_size,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let run = BenchRun::prepare(options).await?;
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress_bar(run.progress()));
    let result = run.run().await;
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
    }
    Ok(if report.verification.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A bar on stderr, refreshed from the run's settled count until aborted.
fn progress_bar(progress: BenchProgress) -> (ProgressBar, tokio::task::JoinHandle<()>) {
    let bar = ProgressBar::new(progress.total());
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{bar:40}] {pos}/{len} items ({per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("polling and processing");
    let shown = bar.clone();
    let ticker = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            shown.set_position(progress.settled().min(progress.total()));
        }
    });
    (bar, ticker)
}
