//! A circuit breaker per target account.
//!
//! When a CRM is down, sending every due item's request to it only adds load and burns
//! the items' attempts. After `threshold` consecutive failures that say "the target is
//! unwell" (transport errors, 5xx other than 503, 408, 425) the breaker opens: requests to that account
//! are refused without being sent, with the time left, and the engine parks the items as
//! waiting without counting an attempt. After the cooldown one request goes through as a
//! probe; a success closes the breaker, a failure opens it again for twice as long (up to
//! `max_cooldown`). Other accounts, and so other bundles, are not affected.
//!
//! A target can also say by itself that it will refuse everything for a while (a spent
//! daily API quota): [`CircuitBreaker::hold`] opens the breaker for that long without
//! counting a failure, with the target's reason, so the account's requests are refused
//! unsent — not an attempt for any item — until the hold ends and one probe goes out.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// When to open and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub threshold: u32,
    /// First cooldown.
    pub cooldown: Duration,
    /// Longest cooldown.
    pub max_cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            threshold: 5,
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(5 * 60),
        }
    }
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    next_cooldown: Option<Duration>,
    probing: bool,
    /// Why the breaker is open, when the target itself asked for the pause.
    hold_reason: Option<String>,
}

/// One account's breaker.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: Mutex<BreakerState>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        CircuitBreaker {
            config,
            state: Mutex::new(BreakerState::default()),
        }
    }

    /// `Some(time left)` when requests must not be sent now; `None` lets one through
    /// (while open and cooled down, only one probe at a time is let through).
    pub fn check(&self) -> Option<Duration> {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        let until = state.open_until?;
        let now = Instant::now();
        if until > now {
            return Some(until - now);
        }
        if state.probing {
            // A probe is in flight; the others wait a little for its verdict.
            return Some(Duration::from_secs(1));
        }
        state.probing = true;
        None
    }

    /// Refuse requests for `wait` because the target said it will refuse them (a spent
    /// quota): the breaker opens without counting a failure, and [`Self::hold_reason`]
    /// says why. After the hold one probe goes through, as after a cooldown; a longer
    /// hold or open period already in force is kept.
    pub fn hold(&self, wait: Duration, reason: impl Into<String>) {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        let until = Instant::now() + wait;
        if state.open_until.is_none_or(|open| open < until) {
            state.open_until = Some(until);
        }
        state.probing = false;
        state.hold_reason = Some(reason.into());
    }

    /// The target's reason while a [`Self::hold`] is in force (not after the target
    /// answered again).
    pub fn hold_reason(&self) -> Option<String> {
        self.state
            .lock()
            .expect("breaker lock poisoned")
            .hold_reason
            .clone()
    }

    /// Record a request that reached the target and was not a server failure.
    pub fn record_success(&self) {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        *state = BreakerState::default();
    }

    /// Record a transport error or server failure. Returns the cooldown when the breaker
    /// is open after it (the failure is part of an outage, not the request's own fault).
    pub fn record_failure(&self) -> Option<Duration> {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        state.consecutive_failures += 1;
        let was_open = state.open_until.is_some();
        if was_open || state.consecutive_failures >= self.config.threshold {
            let cooldown = state.next_cooldown.unwrap_or(self.config.cooldown);
            state.open_until = Some(Instant::now() + cooldown);
            state.next_cooldown = Some((cooldown * 2).min(self.config.max_cooldown));
            state.probing = false;
            state.hold_reason = None;
            return Some(cooldown);
        }
        None
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.state
            .lock()
            .expect("breaker lock poisoned")
            .consecutive_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            threshold: 3,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(25),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_and_probes_after_the_cooldown() {
        let b = breaker();
        for _ in 0..2 {
            assert_eq!(b.record_failure(), None);
            assert_eq!(b.check(), None, "still closed below the threshold");
        }
        assert_eq!(b.record_failure(), Some(Duration::from_secs(10)));
        assert_eq!(b.check(), Some(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.check(), None, "one probe goes through");
        assert!(b.check().is_some(), "but only one at a time");
        b.record_success();
        assert_eq!(b.check(), None);
        assert_eq!(b.check(), None, "closed again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_reopens_for_longer_up_to_the_cap() {
        let b = breaker();
        for _ in 0..3 {
            b.record_failure();
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.check(), None);
        b.record_failure();
        assert_eq!(b.check(), Some(Duration::from_secs(20)));
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(b.check(), None);
        b.record_failure();
        assert_eq!(b.check(), Some(Duration::from_secs(25)), "capped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_refuses_with_its_reason_without_counting_a_failure() {
        let b = breaker();
        b.record_failure();
        b.hold(Duration::from_secs(900), "REQUEST_LIMIT_EXCEEDED");
        assert_eq!(b.check(), Some(Duration::from_secs(900)));
        assert_eq!(b.hold_reason().as_deref(), Some("REQUEST_LIMIT_EXCEEDED"));
        assert_eq!(b.failures(), 1, "a hold is not a failure");
        // A shorter hold does not shorten the one in force.
        b.hold(Duration::from_secs(60), "again");
        assert_eq!(b.check(), Some(Duration::from_secs(900)));
        tokio::time::advance(Duration::from_secs(900)).await;
        assert_eq!(b.check(), None, "one probe after the hold");
        assert!(b.check().is_some(), "only one");
        b.record_success();
        assert_eq!((b.check(), b.hold_reason()), (None, None), "released");
        // The probe met the spent quota again: held again.
        b.hold(Duration::from_secs(900), "REQUEST_LIMIT_EXCEEDED");
        tokio::time::advance(Duration::from_secs(899)).await;
        assert_eq!(b.check(), Some(Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let b = breaker();
        b.record_failure();
        b.record_failure();
        b.record_success();
        b.record_failure();
        b.record_failure();
        assert_eq!(b.check(), None);
    }
}
