//! Bitrix24's request-intensity limit as the emulator enforces it: a leaky bucket per
//! portal. Every request adds one to the bucket, which drains at a steady rate; a request
//! that would overflow it is refused (503 `QUERY_LIMIT_EXCEEDED`) and not counted. Time is
//! tokio's, so paused-clock tests see exact levels; levels are kept in integer units so a
//! request arriving exactly when a slot frees is admitted, never lost to rounding.

use tokio::time::Instant;

/// One request, in the bucket's units (a request is a billion nano-requests).
const UNIT: u128 = 1_000_000_000;

/// The bucket's size and drain rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakyBucket {
    /// Requests the bucket holds before it refuses.
    pub capacity: u32,
    /// Requests drained per second.
    pub drain_per_second: u32,
}

impl LeakyBucket {
    /// Plans other than Enterprise: 50 requests, draining 2 per second.
    pub const STANDARD: LeakyBucket = LeakyBucket {
        capacity: 50,
        drain_per_second: 2,
    };
    /// Enterprise plans: 250 requests, draining 5 per second.
    pub const ENTERPRISE: LeakyBucket = LeakyBucket {
        capacity: 250,
        drain_per_second: 5,
    };
}

/// The bucket's live level.
#[derive(Debug)]
pub struct BucketLevel {
    level: u128,
    at: Instant,
}

impl Default for BucketLevel {
    fn default() -> Self {
        BucketLevel {
            level: 0,
            at: Instant::now(),
        }
    }
}

impl BucketLevel {
    /// Count a request arriving `now`; `false` when the bucket is full.
    pub fn admit(&mut self, limit: LeakyBucket, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_nanos();
        // Nanoseconds × requests per second = nano-requests drained.
        self.level = self
            .level
            .saturating_sub(elapsed.saturating_mul(u128::from(limit.drain_per_second)));
        self.at = now.max(self.at);
        if self.level + UNIT > u128::from(limit.capacity) * UNIT {
            return false;
        }
        self.level += UNIT;
        true
    }

    /// The level in whole requests, rounded up (for inspection).
    pub fn requests(&self) -> u32 {
        u32::try_from(self.level.div_ceil(UNIT)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn fifty_at_once_then_two_per_second() {
        let mut bucket = BucketLevel::default();
        let start = Instant::now();
        assert!((0..50).all(|_| bucket.admit(LeakyBucket::STANDARD, start)));
        assert!(
            !bucket.admit(LeakyBucket::STANDARD, start),
            "the 51st overflows"
        );
        let half = start + Duration::from_millis(500);
        assert!(
            bucket.admit(LeakyBucket::STANDARD, half),
            "a slot frees every 0.5 s"
        );
        assert!(!bucket.admit(LeakyBucket::STANDARD, half));
        // 24.5 s later 49 have drained: one left, plus the new one.
        assert!(bucket.admit(LeakyBucket::STANDARD, start + Duration::from_secs(25)));
        assert_eq!(bucket.requests(), 2);
    }
}
