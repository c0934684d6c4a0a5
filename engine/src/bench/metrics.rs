//! What the benchmark measures about the process and about items: latency percentiles,
//! CPU time (whole process and per thread group, from `/proc`) and peak resident memory.
//!
//! CPU and memory are read from Linux's `/proc` rather than through `getrusage`, because
//! the crate forbids `unsafe` and `/proc/self/task/*/stat` also gives the per-thread split
//! (engine runtime, SQLite workers, emulated CRMs) that `getrusage` cannot. On other
//! systems these readings are absent, not wrong.

use std::time::Duration;

use serde::Serialize;

/// Clock ticks per second in `/proc/*/stat` (`USER_HZ`): fixed at 100 in Linux's user ABI.
const USER_HZ: f64 = 100.0;

/// The value at percentile `p` (0–100) of `sorted` (ascending), by the nearest-rank
/// method: the smallest value with at least `p`% of the values at or below it. `None`
/// for no values.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Percentiles of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// How many values.
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl LatencySummary {
    /// Summarize `values` (any order); `None` when there are none.
    pub fn of(mut values: Vec<Duration>) -> Option<LatencySummary> {
        values.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Some(LatencySummary {
            count: values.len(),
            p50_ms: ms(percentile(&values, 50.0)?),
            p90_ms: ms(percentile(&values, 90.0)?),
            p99_ms: ms(percentile(&values, 99.0)?),
            max_ms: ms(*values.last()?),
        })
    }
}

/// CPU seconds used so far, in total and by thread group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CpuTime {
    /// The whole process (user + system), including threads that have exited.
    pub total_s: f64,
    /// Threads of the emulated CRMs' runtime.
    pub crm_emulators_s: f64,
    /// SQLite worker threads (every statement of the store runs on one).
    pub sqlite_s: f64,
    /// Everything else alive: the engine's async runtime (HTTP client, JSON, templates,
    /// the runner), the main thread.
    pub engine_s: f64,
}

impl CpuTime {
    /// What was used between `earlier` and `self`. A thread group can come out slightly
    /// negative when a thread exited in between; it is clamped at zero.
    pub fn since(&self, earlier: &CpuTime) -> CpuTime {
        let d = |a: f64, b: f64| (a - b).max(0.0);
        CpuTime {
            total_s: d(self.total_s, earlier.total_s),
            crm_emulators_s: d(self.crm_emulators_s, earlier.crm_emulators_s),
            sqlite_s: d(self.sqlite_s, earlier.sqlite_s),
            engine_s: d(self.engine_s, earlier.engine_s),
        }
    }
}

/// Which group a thread belongs to, by its name (`comm`, at most 15 bytes).
fn thread_group(name: &str, crm_thread_prefix: &str) -> ThreadGroup {
    if name.starts_with(crm_thread_prefix) {
        ThreadGroup::Crm
    } else if name.starts_with("sqlx-sqlite") {
        ThreadGroup::Sqlite
    } else {
        ThreadGroup::Engine
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThreadGroup {
    Crm,
    Sqlite,
    Engine,
}

/// `utime + stime` in seconds from the text of a `/proc/.../stat` file. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state(3) ppid(4) ... utime(14) stime(15) → the 12th and 13th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// CPU time of this process now; zero on systems without `/proc`.
pub fn cpu_now(crm_thread_prefix: &str) -> CpuTime {
    let mut cpu = CpuTime::default();
    let Some(total) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(stat_cpu_seconds)
    else {
        return cpu;
    };
    cpu.total_s = total;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return cpu;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue; // the thread exited while we looked
        };
        let Some(seconds) = stat_cpu_seconds(&stat) else {
            continue;
        };
        match thread_group(name.trim_end(), crm_thread_prefix) {
            ThreadGroup::Crm => cpu.crm_emulators_s += seconds,
            ThreadGroup::Sqlite => cpu.sqlite_s += seconds,
            ThreadGroup::Engine => cpu.engine_s += seconds,
        }
    }
    cpu
}

/// A `kB` line of `/proc/self/status` (`VmHWM`, `VmRSS`) in mebibytes.
pub fn status_mib(status: &str, field: &str) -> Option<f64> {
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    let kib: f64 = line
        .split(':')
        .nth(1)?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Resident memory of this process: (now, peak) in MiB; `None` without `/proc`.
pub fn memory_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((status_mib(&status, "VmRSS")?, status_mib(&status, "VmHWM")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), Some(50));
        assert_eq!(percentile(&values, 99.0), Some(99));
        assert_eq!(percentile(&values, 100.0), Some(100));
        assert_eq!(percentile(&values, 0.0), Some(1));
        // Few values: p99 of ten is the largest, p50 the fifth.
        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&ten, 99.0), Some(10));
        assert_eq!(percentile(&ten, 50.0), Some(5));
        assert_eq!(percentile(&ten, 51.0), Some(6));
        assert_eq!(percentile(&[7u32], 50.0), Some(7));
        assert_eq!(percentile::<u32>(&[], 50.0), None);
    }

    #[test]
    fn latency_summary_sorts_and_converts_to_milliseconds() {
        let values = [30, 10, 20, 40].map(Duration::from_millis).to_vec();
        let summary = LatencySummary::of(values).unwrap();
        assert_eq!(summary.count, 4);
        assert_eq!(summary.p50_ms, 20.0);
        assert_eq!(summary.p99_ms, 40.0);
        assert_eq!(summary.max_ms, 40.0);
        assert!(LatencySummary::of(Vec::new()).is_none());
    }

    #[test]
    fn stat_parsing_survives_odd_thread_names() {
        let stat =
            "4242 (tokio (worker) 1) S 1 2 3 0 -1 4194304 99 0 0 0 250 75 0 0 20 0 9 0 1 2 3";
        assert_eq!(stat_cpu_seconds(stat), Some(3.25));
        assert_eq!(stat_cpu_seconds("garbage"), None);
    }

    #[test]
    fn status_lines_in_mebibytes() {
        let status = "Name:\tferry\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_mib(status, "VmHWM"), Some(20.0));
        assert_eq!(status_mib(status, "VmRSS"), Some(10.0));
        assert_eq!(status_mib(status, "VmSwap"), None);
    }

    #[test]
    fn threads_are_grouped_by_name() {
        assert_eq!(
            thread_group("ferry-bench-crm", "ferry-bench-crm"),
            ThreadGroup::Crm
        );
        assert_eq!(
            thread_group("sqlx-sqlite-wor", "ferry-bench-crm"),
            ThreadGroup::Sqlite
        );
        assert_eq!(
            thread_group("tokio-runtime-w", "ferry-bench-crm"),
            ThreadGroup::Engine
        );
    }

    #[test]
    fn cpu_deltas_never_go_negative() {
        let before = CpuTime {
            total_s: 1.0,
            crm_emulators_s: 0.5,
            sqlite_s: 0.2,
            engine_s: 0.3,
        };
        let after = CpuTime {
            total_s: 3.0,
            crm_emulators_s: 1.5,
            sqlite_s: 0.7,
            engine_s: 0.1,
        };
        let d = after.since(&before);
        assert_eq!(d.total_s, 2.0);
        assert_eq!(d.crm_emulators_s, 1.0);
        assert_eq!(d.engine_s, 0.0);
    }
}
