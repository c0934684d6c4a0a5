//! A sliding-window request counter for emulating a vendor's rate limit (retailCRM's
//! 10 req/s per key, Calltouch's 5 req/s). It reads tokio's clock, so paused-clock tests
//! decide exactly which request is over the limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// An emulated limit: at most `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmulatedRateLimit {
    /// Requests admitted per window.
    pub requests: u32,
    /// The window length.
    pub per: Duration,
}

/// Counts requests per key over a sliding window.
#[derive(Debug, Default)]
pub struct RateWindow {
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateWindow {
    /// A window with no history.
    pub fn new() -> Self {
        RateWindow::default()
    }

    /// Count one request for `key`; `false` when it is over `limit` (it is then not
    /// counted, as a refused request does not use up the budget).
    pub fn admit(&self, key: &str, limit: EmulatedRateLimit) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let stamps = seen.entry(key.to_string()).or_default();
        while stamps
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.per)
        {
            stamps.pop_front();
        }
        if stamps.len() >= limit.requests as usize {
            return false;
        }
        stamps.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn refuses_above_the_limit_until_the_window_slides() {
        let window = RateWindow::new();
        let limit = EmulatedRateLimit {
            requests: 3,
            per: Duration::from_secs(1),
        };
        assert!((0..3).all(|_| window.admit("k", limit)));
        assert!(!window.admit("k", limit));
        assert!(window.admit("other", limit), "limits are per key");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(window.admit("k", limit));
    }
}
