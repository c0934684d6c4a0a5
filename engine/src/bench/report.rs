//! The benchmark's result: what ran, how fast, at what cost, where the time went, and
//! whether the end state was right. Serializable for `--json`; [`render_text`] for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::metrics::{CpuTime, LatencySummary};
use super::timings::OperationTime;
use super::verify::Verification;

/// The machine the benchmark ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPUs available to the process.
    pub cpus: usize,
    /// Installed memory in MiB (`None` without `/proc/meminfo`).
    pub memory_mib: Option<f64>,
}

/// The options the run used.
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings {
    /// Calls seeded.
    pub calls: usize,
    /// Percent of calls from a repeat caller.
    pub repeat_caller_percent: u8,
    /// Percent of calls with `status: complete`.
    pub complete_percent: u8,
    /// Workload seed.
    pub seed: u64,
    /// The bundle's `run.concurrency`.
    pub concurrency: usize,
    /// The engine's `max_in_flight`.
    pub max_in_flight: usize,
    /// Calls per journal page.
    pub page_size: usize,
    /// Worker threads serving the emulated CRMs.
    pub crm_threads: usize,
}

/// Items by outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ItemTotals {
    /// Items polled and recorded.
    pub polled: u64,
    /// Kept by the filter and run through the chain.
    pub kept: u64,
    /// Dropped by the filter (`status == complete`).
    pub filtered: u64,
    /// Distinct caller phones among kept calls (customers expected).
    pub kept_phones: usize,
}

/// Rates and times of the measured tick.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    /// Wall time of the whole tick (poll of every page, then drain), seconds.
    pub wall_s: f64,
    /// Of which polling and recording every page, seconds.
    pub poll_s: f64,
    /// Kept items processed per wall second.
    pub kept_items_per_s: f64,
    /// All items (kept and filtered) settled per wall second.
    pub all_items_per_s: f64,
}

/// Item latencies.
#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    /// Kept items, from being queued to being settled (store timestamps, ms resolution).
    pub kept_enqueue_to_settle: Option<LatencySummary>,
    /// Every item, the same way.
    pub all_enqueue_to_settle: Option<LatencySummary>,
    /// Kept items, from their claim to their settlement (measured in process): the time
    /// the chain itself takes, without waiting in the queue.
    pub kept_claim_to_settle: Option<LatencySummary>,
}

/// CPU and memory.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    /// CPU used during the tick, split by thread group. The total includes the emulated
    /// CRMs, whether in their own process or in this one.
    pub cpu: CpuTime,
    /// CPU milliseconds per kept item, the emulated CRMs included.
    pub cpu_ms_per_kept_item: f64,
    /// The same without the emulators' threads (engine + SQLite).
    pub ferry_cpu_ms_per_kept_item: f64,
    /// Resident memory just before the tick (emulators seeded, engine built), MiB.
    pub rss_before_mib: Option<f64>,
    /// Peak resident memory of the benchmark's process (`VmHWM`) by the end of the tick,
    /// MiB. With the CRMs in their own process (the default) this is ferry alone.
    pub peak_rss_mib: Option<f64>,
    /// Peak resident memory of the emulated CRMs' process, MiB (`None` when they run in
    /// the benchmark's process).
    pub crm_process_peak_rss_mib: Option<f64>,
    /// The database and its write-ahead log at the end, MiB.
    pub database_mib: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The machine.
    pub machine: Machine,
    /// The options.
    pub settings: RunSettings,
    /// Item totals.
    pub items: ItemTotals,
    /// Rates.
    pub throughput: Throughput,
    /// Latencies.
    pub latency: Latencies,
    /// CPU and memory.
    pub cost: Cost,
    /// Time per store method (`store.*`) and connector operation (`<connection>.*`).
    pub operations: BTreeMap<String, OperationTime>,
    /// Transactions that committed the chains' writes (steps' marks and outcomes,
    /// settlements); several writes share one under group commit.
    pub chain_commits: u64,
    /// The end-state check.
    pub verification: Verification,
}

impl BenchReport {
    /// Store methods that write (each is one transaction on the single writer), per kept item.
    pub fn store_writes_per_kept_item(&self) -> f64 {
        let writes: u64 = [
            "claim_items",
            "begin_step",
            "finish_step",
            "settle_item",
            "finish_step_and_begin",
            "finish_step_and_settle",
            "enqueue",
            "start_run",
            "finish_run",
        ]
        .iter()
        .filter_map(|m| self.operations.get(&format!("store.{m}")))
        .map(|t| t.calls)
        .sum();
        writes as f64 / self.items.kept.max(1) as f64
    }

    /// Chain writes (step marks, outcomes, settlements) per transaction that committed them.
    pub fn chain_writes_per_commit(&self) -> f64 {
        let writes: u64 = [
            "begin_step",
            "finish_step",
            "settle_item",
            "finish_step_and_begin",
            "finish_step_and_settle",
        ]
        .iter()
        .filter_map(|m| self.operations.get(&format!("store.{m}")))
        .map(|t| t.calls)
        .sum();
        writes as f64 / self.chain_commits.max(1) as f64
    }
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.iter().copied());
    table
}

fn right_align(table: &mut Table, from: usize) {
    for index in from..table.column_count() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn opt(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1} {unit}"))
}

fn latency_row(table: &mut Table, name: &str, summary: &Option<LatencySummary>) {
    match summary {
        Some(s) => table.add_row(vec![
            name.to_string(),
            s.count.to_string(),
            format!("{:.1}", s.p50_ms),
            format!("{:.1}", s.p90_ms),
            format!("{:.1}", s.p99_ms),
            format!("{:.1}", s.max_ms),
        ]),
        None => table.add_row(vec![name.to_string(), "0".into()]),
    };
}

/// The report for a terminal.
pub fn render_text(report: &BenchReport) -> String {
    let mut out = String::new();
    let s = &report.settings;
    let i = &report.items;
    let t = &report.throughput;
    let c = &report.cost;
    let _ = writeln!(
        out,
        "ferry bench: {} calls ({}% repeat callers, {}% complete), concurrency {}, max in flight {}, page size {}; {} CPUs, {}",
        s.calls,
        s.repeat_caller_percent,
        s.complete_percent,
        s.concurrency,
        s.max_in_flight,
        s.page_size,
        report.machine.cpus,
        opt(report.machine.memory_mib, "MiB RAM"),
    );
    let _ = writeln!(
        out,
        "items: {} polled, {} kept, {} filtered, {} distinct phones\n",
        i.polled, i.kept, i.filtered, i.kept_phones
    );

    let mut summary = table(&["measure", "value"]);
    let rows = [
        ("kept items/s", format!("{:.0}", t.kept_items_per_s)),
        (
            "all items/s (incl. filtered)",
            format!("{:.0}", t.all_items_per_s),
        ),
        (
            "wall time (poll + drain)",
            format!("{:.2} s (poll {:.2} s)", t.wall_s, t.poll_s),
        ),
        (
            "CPU per kept item (ferry + emulators)",
            format!("{:.2} ms", c.cpu_ms_per_kept_item),
        ),
        (
            "CPU per kept item (engine + SQLite)",
            format!("{:.2} ms", c.ferry_cpu_ms_per_kept_item),
        ),
        (
            "CPU split (engine / SQLite / emulators)",
            format!(
                "{:.2} / {:.2} / {:.2} s of {:.2} s",
                c.cpu.engine_s, c.cpu.sqlite_s, c.cpu.crm_emulators_s, c.cpu.total_s
            ),
        ),
        ("peak RSS", opt(c.peak_rss_mib, "MiB")),
        (
            "peak RSS of the emulated CRMs' process",
            c.crm_process_peak_rss_mib
                .map_or_else(|| "in this process".to_string(), |m| format!("{m:.1} MiB")),
        ),
        ("RSS before the tick", opt(c.rss_before_mib, "MiB")),
        ("database + WAL", format!("{:.1} MiB", c.database_mib)),
        (
            "store writes per kept item",
            format!("{:.2}", report.store_writes_per_kept_item()),
        ),
        (
            "chain writes per commit (group commit)",
            format!("{:.1}", report.chain_writes_per_commit()),
        ),
    ];
    for (name, value) in rows {
        summary.add_row(vec![name.to_string(), value]);
    }
    right_align(&mut summary, 1);
    let _ = writeln!(out, "{summary}\n");

    let mut latency = table(&["latency (ms)", "items", "p50", "p90", "p99", "max"]);
    latency_row(
        &mut latency,
        "kept: enqueue → settle",
        &report.latency.kept_enqueue_to_settle,
    );
    latency_row(
        &mut latency,
        "all: enqueue → settle",
        &report.latency.all_enqueue_to_settle,
    );
    latency_row(
        &mut latency,
        "kept: claim → settle",
        &report.latency.kept_claim_to_settle,
    );
    right_align(&mut latency, 1);
    let _ = writeln!(out, "{latency}\n");

    let mut operations = table(&[
        "operation",
        "calls",
        "per kept item",
        "mean ms",
        "max ms",
        "total s",
    ]);
    for (name, op) in &report.operations {
        operations.add_row(vec![
            name.clone(),
            op.calls.to_string(),
            format!("{:.2}", op.calls as f64 / i.kept.max(1) as f64),
            format!("{:.3}", op.mean_ms),
            format!("{:.1}", op.max_ms),
            format!("{:.2}", op.total_s),
        ]);
    }
    right_align(&mut operations, 1);
    let _ = writeln!(out, "{operations}\n");

    let v = &report.verification;
    if v.passed {
        let _ = writeln!(
            out,
            "verification: PASSED ({} customers, {} orders, {} deals; no duplicates, nothing for filtered calls, every order on the caller's customer)",
            v.customers, v.orders, v.deals
        );
    } else {
        let _ = writeln!(
            out,
            "verification: FAILED with {} problem(s):",
            v.problem_count
        );
        for problem in &v.problems {
            let _ = writeln!(out, "  - {problem}");
        }
        if v.problem_count > v.problems.len() {
            let _ = writeln!(out, "  … and {} more", v.problem_count - v.problems.len());
        }
    }
    out
}
