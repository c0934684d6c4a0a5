//! `ferry-chaos`: kill -9 a `ferry run` worker at random moments of a run against emulated
//! CRMs, restart it each time, and report what was lost, duplicated or left uncertain.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ferry_chaos::{ChaosConfig, run_chaos};

/// Crash-safety run: a 3-step chain (retailCRM customer → retailCRM order → Calltouch
/// deal) over a Calltouch calls journal, with the worker killed by SIGKILL and restarted.
#[derive(Debug, Parser)]
#[command(name = "ferry-chaos")]
struct Args {
    /// Calls in the journal (items).
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// SIGKILLs to deliver.
    #[arg(long, default_value_t = 20)]
    kills: usize,
    /// RNG seed (random when not given; always printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Share of calls repeating an earlier caller's phone.
    #[arg(long, default_value_t = 0.3)]
    repeat_share: f64,
    /// Fewest CRM requests a worker makes before it is killed.
    #[arg(long, default_value_t = 1)]
    kill_min_requests: usize,
    /// Most CRM requests a worker makes before it is killed.
    #[arg(long, default_value_t = 300)]
    kill_max_requests: usize,
    /// Up to this many milliseconds more before the kill.
    #[arg(long, default_value_t = 5)]
    kill_jitter_ms: u64,
    /// Seconds to wait for every item to settle after the last kill.
    #[arg(long, default_value_t = 420)]
    settle_timeout: u64,
    /// Keep the data dir, bundle and worker log here (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!(
        "ferry-chaos: seed {seed}, {} calls, {} kills",
        args.calls, args.kills
    );
    let config = ChaosConfig {
        repeat_share: args.repeat_share,
        kill_after_requests: args.kill_min_requests
            ..args.kill_max_requests.max(args.kill_min_requests + 1),
        kill_jitter: Duration::from_millis(args.kill_jitter_ms),
        settle_timeout: Duration::from_secs(args.settle_timeout),
        work_dir: args.work_dir,
        verbose: true,
        ..ChaosConfig::new(args.calls, args.kills, seed)
    };
    match run_chaos(config).await {
        Ok(report) => {
            println!("{}", report.to_markdown());
            let problems = report.problems();
            if problems.is_empty() {
                println!("OK: nothing lost, nothing duplicated, every uncertain step resolved");
                ExitCode::SUCCESS
            } else {
                println!("FAILED:");
                for problem in problems {
                    println!("- {problem}");
                }
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
