//! Retry delays. Attempts are persisted (a retry may happen after a restart), so the delay
//! is a pure function of the attempt number: capped exponential growth with *full jitter*
//! (a uniformly random delay between zero and the cap of that attempt), which spreads a
//! burst of failures instead of retrying them in lockstep.

use std::time::Duration;

use rand::Rng;

/// The delay before retry number `attempt` (1 = the first retry).
pub fn retry_delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let ceiling = exponential_ceiling(attempt, initial, max);
    let millis = ceiling.as_millis() as u64;
    if millis == 0 {
        return Duration::ZERO;
    }
    // Never zero: an immediate retry of a failing target only adds load.
    Duration::from_millis(rand::rng().random_range(millis / 10..=millis))
}

/// The upper bound of the delay for `attempt`: `initial * 2^(attempt-1)`, at most `max`.
pub fn exponential_ceiling(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    initial.saturating_mul(1u32 << exp).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_grows_and_is_capped() {
        let i = Duration::from_secs(2);
        let m = Duration::from_secs(60);
        assert_eq!(exponential_ceiling(1, i, m), Duration::from_secs(2));
        assert_eq!(exponential_ceiling(3, i, m), Duration::from_secs(8));
        assert_eq!(exponential_ceiling(10, i, m), m);
        assert_eq!(exponential_ceiling(100, i, m), m);
    }

    #[test]
    fn delays_are_jittered_within_the_ceiling() {
        let i = Duration::from_secs(2);
        let m = Duration::from_secs(600);
        let delays: Vec<_> = (0..50).map(|_| retry_delay(5, i, m)).collect();
        assert!(
            delays
                .iter()
                .all(|d| *d <= Duration::from_secs(32) && *d >= Duration::from_millis(3200))
        );
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 10, "no jitter: {delays:?}");
    }
}
