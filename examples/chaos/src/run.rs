//! One chaos run: seed, kill/restart until settled, operator pass, audit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::audit::audit;
use crate::history::{self, ItemState, Resolution, Uncertain};
use crate::report::{ChaosReport, Kill, OperatorAction};
use crate::worker::{Ferry, WorkerExit, locate_ferry};
use crate::world::{Seeding, World, call_ref};

/// Steps of the chain that have a dedup lookup (the deal step has none).
const STEPS_WITH_LOOKUP: &[&str] = &["customer", "order"];

/// Pause before starting another worker when the last one found nothing due.
const IDLE_PAUSE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// Calls in the journal (items).
    pub calls: usize,
    /// Share of calls repeating an earlier phone.
    pub repeat_share: f64,
    /// SIGKILLs to deliver.
    pub kills: usize,
    /// RNG seed (calls, phones and kill moments).
    pub seed: u64,
    /// Each worker is killed once the CRMs have received this many requests from it,
    /// drawn uniformly from the range: kills land while the worker is at work (polling,
    /// searching, creating), never on a worker that has nothing to do.
    pub kill_after_requests: std::ops::Range<usize>,
    /// A further delay before the kill, drawn uniformly up to this, so kills land anywhere
    /// between one request and the next, not only just as a request arrives.
    pub kill_jitter: Duration,
    /// Give up when no item has settled for this long (and no kill happened).
    pub settle_timeout: Duration,
    /// Where the data dir, bundle and logs go (a temporary directory when `None`).
    pub work_dir: Option<PathBuf>,
    /// Print progress to stderr.
    pub verbose: bool,
}

impl ChaosConfig {
    /// `calls` items and `kills` kills with the defaults for everything else.
    pub fn new(calls: usize, kills: usize, seed: u64) -> ChaosConfig {
        ChaosConfig {
            calls,
            repeat_share: 0.3,
            kills,
            seed,
            kill_after_requests: 1..300,
            kill_jitter: Duration::from_millis(5),
            settle_timeout: Duration::from_secs(420),
            work_dir: None,
            verbose: false,
        }
    }
}

/// Run it. Errors are harness failures (a worker that would not start, a run that never
/// settles); delivery findings are in the report.
pub async fn run_chaos(config: ChaosConfig) -> Result<ChaosReport, String> {
    let ferry_bin = locate_ferry()?;
    let temp;
    let dir = match &config.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("ferry-chaos-")
                .tempdir()
                .map_err(|e| e.to_string())?;
            temp.path().to_owned()
        }
    };
    let mut rng = StdRng::seed_from_u64(config.seed);
    let seeding = Seeding {
        calls: config.calls,
        repeat_share: config.repeat_share,
    };
    let world = World::start(&dir, seeding, &mut rng)
        .await
        .map_err(|e| format!("cannot start the emulators: {e}"))?;
    // A private copy: the shared target directory may be rebuilt while the run goes on.
    let private_bin = dir.join(format!("ferry-under-test{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(&ferry_bin, &private_bin)
        .map_err(|e| format!("cannot copy {}: {e}", ferry_bin.display()))?;
    let ferry = Ferry::new(private_bin, &world, &dir.join("workers.log"));
    let say = |line: String| {
        if config.verbose {
            eprintln!("{line}");
        }
    };

    let started = Instant::now();
    let mut kills = Vec::new();
    let mut uncertain: BTreeSet<Uncertain> = BTreeSet::new();
    let mut workers = 0usize;
    let mut last_kill = Instant::now();
    let mut last_progress = Instant::now();
    let mut best_settled = 0u64;
    loop {
        let planned = (kills.len() < config.kills).then(|| {
            (
                rng.random_range(config.kill_after_requests.clone()),
                rng.random_range(Duration::ZERO..=config.kill_jitter),
            )
        });
        let kill_when = planned.map(|(requests, jitter)| kill_moment(&world, requests, jitter));
        workers += 1;
        match ferry.run_worker(kill_when).await? {
            WorkerExit::Killed(after) => {
                last_kill = Instant::now();
                last_progress = last_kill;
                let items = history::read_items(&ferry).await?;
                let found = history::sending_steps(&items);
                let new = found.difference(&uncertain).count();
                uncertain.extend(found);
                let kill = Kill {
                    number: kills.len() + 1,
                    at: started.elapsed(),
                    after_start: after,
                    after_requests: planned.map_or(0, |(requests, _)| requests),
                    orders_so_far: world.orders_created(),
                    items_known: items.len(),
                    settled_so_far: items.iter().filter(|i| is_settled(i)).count(),
                    steps_left_sending: new,
                };
                say(kill.line());
                kills.push(kill);
            }
            WorkerExit::Finished(report) => {
                let counts = &report["counts"];
                let unfinished = counts["in_progress"].as_u64().unwrap_or(0)
                    + counts["waiting"].as_u64().unwrap_or(0);
                let polled = report["bundles"].as_array().is_some_and(|b| !b.is_empty());
                say(format!(
                    "worker {workers} finished: {unfinished} unfinished, counts {counts}"
                ));
                let all_known = counts_total(counts) >= config.calls as u64;
                if unfinished == 0 && all_known {
                    break;
                }
                let settled = counts_total(counts) - unfinished;
                if settled > best_settled {
                    best_settled = settled;
                    last_progress = Instant::now();
                } else if last_progress.elapsed() > config.settle_timeout {
                    let items = history::read_items(&ferry).await?;
                    let stuck: Vec<String> = items
                        .iter()
                        .filter(|i| !is_settled(i))
                        .map(|i| format!("{} ({})", i.key, i.status))
                        .take(10)
                        .collect();
                    return Err(format!(
                        "no progress for {:?}: {unfinished} item(s) unsettled (polled this time: {polled}); e.g. {}",
                        config.settle_timeout,
                        stuck.join(", ")
                    ));
                }
                // Nothing was due: items a killed worker had claimed stay claimed until
                // their lease ends, and only then can the next worker take them.
                tokio::time::sleep(IDLE_PAUSE).await;
            }
        }
    }
    let settled_at = started.elapsed();
    let settle_after_last_kill = last_kill.elapsed();

    let before_operator = history::read_items(&ferry).await?;
    let operator = operator_pass(&ferry, &world, &before_operator).await?;
    if !operator.is_empty() {
        // The retried items are due now; one more worker (not killed) sends them.
        loop {
            workers += 1;
            if let WorkerExit::Finished(report) =
                ferry.run_worker(None::<std::future::Ready<()>>).await?
            {
                let counts = &report["counts"];
                if counts["in_progress"].as_u64() == Some(0)
                    && counts["waiting"].as_u64() == Some(0)
                {
                    break;
                }
            }
            if started.elapsed() > settled_at + config.settle_timeout {
                return Err("retried items did not settle".into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let items = history::read_items(&ferry).await?;
    let by_id: BTreeMap<i64, &ItemState> = items.iter().map(|i| (i.id, i)).collect();
    let mut resolutions: BTreeMap<(String, Resolution), usize> = BTreeMap::new();
    for (item_id, step, attempt) in &uncertain {
        let resolution = match by_id.get(item_id) {
            Some(item) => history::resolve(
                item,
                step,
                *attempt,
                STEPS_WITH_LOOKUP.contains(&step.as_str()),
            ),
            None => Resolution::Unexpected,
        };
        *resolutions.entry((step.clone(), resolution)).or_default() += 1;
    }
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for item in &items {
        *statuses.entry(item.status.clone()).or_default() += 1;
    }

    Ok(ChaosReport {
        seed: config.seed,
        calls: config.calls,
        kills_requested: config.kills,
        kills,
        workers_started: workers,
        settled_after: settled_at,
        settled_after_last_kill: settle_after_last_kill,
        item_statuses: statuses,
        uncertain_steps: uncertain.len(),
        resolutions,
        operator,
        audit: audit(&world),
        work_dir: config.work_dir.clone(),
    })
}

/// Resolves once the emulators have received `requests` more requests, plus `jitter`.
async fn kill_moment(world: &World, requests: usize, jitter: Duration) {
    let target = world.requests_received() + requests;
    while world.requests_received() < target {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    tokio::time::sleep(jitter).await;
}

fn is_settled(item: &ItemState) -> bool {
    !matches!(item.status.as_str(), "pending" | "running" | "waiting")
}

fn counts_total(counts: &serde_json::Value) -> u64 {
    counts
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, n)| n.as_u64())
        .sum()
}

/// What an operator does with each held item: look in Calltouch for the deal the held step
/// may have created; retry when there is none, discard when there is one.
async fn operator_pass(
    ferry: &Ferry,
    world: &World,
    items: &[ItemState],
) -> Result<Vec<OperatorAction>, String> {
    let mut actions = Vec::new();
    for item in items.iter().filter(|i| i.status == "held") {
        let call_id: i64 = item
            .key
            .parse()
            .map_err(|_| format!("held item {} has a key that is not a call id", item.key))?;
        let exists = world.calltouch.deal(&call_ref(call_id)).is_some();
        let id = item.id.to_string();
        let verb = if exists { "discard" } else { "retry" };
        let output = ferry.runs(&[verb, "--item", &id], false).await?;
        actions.push(OperatorAction {
            item_id: item.id,
            call_id,
            deal_existed: exists,
            command: format!("ferry runs {verb} --item {id}"),
            output: output.trim().to_owned(),
        });
    }
    Ok(actions)
}
