//! Time spent per operation, shared by the instrumented store and connectors: how many
//! calls, their total and their longest. Waiting counts too (a store write queued behind
//! others, a request waiting for a pooled connection), since that is what an item feels.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Totals of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct OperationTime {
    /// Calls made.
    pub calls: u64,
    /// Their total wall time, in seconds.
    pub total_s: f64,
    /// Mean per call, in milliseconds.
    pub mean_ms: f64,
    /// The longest call, in milliseconds.
    pub max_ms: f64,
}

/// Totals per operation name.
#[derive(Debug, Default)]
pub struct Timings {
    by_name: Mutex<BTreeMap<String, (u64, Duration, Duration)>>,
}

impl Timings {
    /// Count one call of `name` that took `took`.
    pub fn record(&self, name: &str, took: Duration) {
        let mut map = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        let entry = match map.get_mut(name) {
            Some(entry) => entry,
            None => map.entry(name.to_string()).or_default(),
        };
        entry.0 += 1;
        entry.1 += took;
        entry.2 = entry.2.max(took);
    }

    /// Every operation's totals, by name.
    pub fn snapshot(&self) -> BTreeMap<String, OperationTime> {
        let map = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        map.iter()
            .map(|(name, (calls, total, max))| {
                let mean_ms = if *calls == 0 {
                    0.0
                } else {
                    total.as_secs_f64() * 1000.0 / *calls as f64
                };
                let time = OperationTime {
                    calls: *calls,
                    total_s: total.as_secs_f64(),
                    mean_ms,
                    max_ms: max.as_secs_f64() * 1000.0,
                };
                (name.clone(), time)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_means_and_maxima() {
        let timings = Timings::default();
        timings.record("store.settle_item", Duration::from_millis(2));
        timings.record("store.settle_item", Duration::from_millis(4));
        timings.record("shop.create_order", Duration::from_millis(10));
        let snapshot = timings.snapshot();
        let settle = snapshot["store.settle_item"];
        assert_eq!(settle.calls, 2);
        assert!((settle.mean_ms - 3.0).abs() < 1e-9);
        assert!((settle.max_ms - 4.0).abs() < 1e-9);
        assert!((settle.total_s - 0.006).abs() < 1e-9);
        assert_eq!(snapshot["shop.create_order"].calls, 1);
    }
}
