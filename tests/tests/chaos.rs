//! Crash safety with real processes: the `ferry` binary runs the 3-step chain (retailCRM
//! customer → retailCRM order → Calltouch deal) over a Calltouch calls journal on a SQLite
//! data dir, is killed with SIGKILL at seeded random moments and restarted each time; the
//! emulated CRMs live in the test process and survive every kill. Held items are then
//! retried or discarded as an operator would, and the CRMs' state must show nothing lost,
//! nothing created twice, and every uncertain step resolved by its lookup or held.
//!
//! The quick version runs by default (150 calls, 5 kills). `FERRY_CHAOS_FULL=1` runs the
//! full one (1,000 calls, 20 kills); `FERRY_CHAOS_SEED=N` replays a seed. The harness is
//! `examples/chaos` (`ferry-chaos`), which prints the same report.

use std::time::Duration;

use ferry_chaos::{ChaosConfig, ChaosReport, run_chaos};

/// The seed of the default runs (printed, and replayable with `FERRY_CHAOS_SEED`).
const DEFAULT_SEED: u64 = 20_260_514;

fn seed() -> u64 {
    std::env::var("FERRY_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

async fn run(config: ChaosConfig) -> ChaosReport {
    println!(
        "chaos: seed {} (replay with FERRY_CHAOS_SEED={}), {} calls, {} kills",
        config.seed, config.seed, config.calls, config.kills
    );
    let report = run_chaos(config).await.unwrap_or_else(|e| panic!("{e}"));
    println!("{}", report.to_markdown());
    report
}

fn assert_clean(report: &ChaosReport, min_kills: usize) {
    let problems = report.problems();
    assert!(problems.is_empty(), "delivery problems: {problems:#?}");
    // A run in which the kills missed the work proves nothing.
    assert!(
        report.kills.len() >= min_kills,
        "only {} kill(s) landed",
        report.kills.len()
    );
    assert!(
        report.uncertain_steps > 0,
        "no kill left a step in flight; the run did not exercise recovery"
    );
    assert_eq!(report.audit.orders_created, report.calls);
    assert_eq!(report.audit.deals_created, report.calls);
    assert_eq!(report.audit.customers_created, report.audit.distinct_phones);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_workers_lose_and_duplicate_nothing() {
    let full = std::env::var_os("FERRY_CHAOS_FULL").is_some();
    let config = if full {
        ChaosConfig {
            ..ChaosConfig::new(1000, 20, seed())
        }
    } else {
        ChaosConfig {
            kill_after_requests: 1..150,
            settle_timeout: Duration::from_secs(20),
            ..ChaosConfig::new(150, 5, seed())
        }
    };
    let min_kills = if full { 15 } else { 3 };
    let report = run(config).await;
    assert_clean(&report, min_kills);
}

/// The smallest reproduction of the stuck-claim finding: one kill mid-run, then restarted
/// workers must finish every item promptly instead of waiting out the dead worker's lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_resumes_the_items_a_killed_worker_had_claimed() {
    let config = ChaosConfig {
        kill_after_requests: 200..300,
        settle_timeout: Duration::from_secs(20),
        ..ChaosConfig::new(150, 1, seed())
    };
    let report = run(config).await;
    assert_clean(&report, 1);
    assert!(
        report.settled_after_last_kill < Duration::from_secs(20),
        "took {:?} after the kill",
        report.settled_after_last_kill
    );
}
