//! Per-account rate limits and concurrency caps.
//!
//! The rate is enforced with governor's GCRA, driven by tokio's clock (so paused-clock
//! tests are deterministic and a wait never blocks a thread); the concurrency cap is a
//! semaphore; and a "paused until" instant records a `Retry-After` so that after a 429 the
//! next request to that account, from any item, waits as the target asked.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A target account's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per `per`.
    pub requests: u32,
    /// The window.
    pub per: Duration,
    /// A leaky bucket's capacity: this many requests may go at once before the steady
    /// rate applies (Bitrix24: 50, draining 2 per second). `None` spaces requests evenly,
    /// which guarantees no window of length `per` ever holds more than `requests` (the
    /// shape of "45 requests per 3 seconds" limits).
    pub burst: Option<u32>,
    /// At most this many requests in flight at once.
    pub max_parallel: Option<usize>,
}

impl RateLimit {
    /// `requests` per `per`, no concurrency cap.
    pub const fn per(requests: u32, per: Duration) -> Self {
        RateLimit {
            requests,
            per,
            burst: None,
            max_parallel: None,
        }
    }
}

/// A monotonic clock for governor that reads tokio's time, which tests can pause.
#[derive(Debug, Clone)]
struct TokioClock {
    start: Instant,
}

/// A point on [`TokioClock`]: nanoseconds since its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TokioInstant(Nanos);

impl std::ops::Add<Nanos> for TokioInstant {
    type Output = TokioInstant;
    fn add(self, other: Nanos) -> TokioInstant {
        TokioInstant(self.0 + other)
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_sub(earlier.0)
    }
    fn saturating_sub(&self, duration: Nanos) -> Self {
        TokioInstant(self.0.saturating_sub(duration))
    }
}

impl Clock for TokioClock {
    type Instant = TokioInstant;
    fn now(&self) -> TokioInstant {
        TokioInstant(Nanos::from(self.start.elapsed()))
    }
}

/// Keeps one account within its limits.
pub struct AccountLimiter {
    /// `None` for an account with no known limit: it still honours pauses.
    rate: Option<RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>>,
    clock: TokioClock,
    parallel: Option<std::sync::Arc<Semaphore>>,
    paused_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for AccountLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLimiter").finish_non_exhaustive()
    }
}

/// Held while a request is in flight; releases the concurrency slot when dropped.
#[derive(Debug)]
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl AccountLimiter {
    /// A limiter for `limit`.
    pub fn new(limit: RateLimit) -> Self {
        let requests = NonZeroU32::new(limit.requests.max(1)).expect("non-zero");
        let period = limit.per / requests.get();
        let burst = NonZeroU32::new(limit.burst.unwrap_or(1).max(1)).expect("non-zero");
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("positive period")
            .allow_burst(burst);
        let clock = TokioClock {
            start: Instant::now(),
        };
        AccountLimiter {
            rate: Some(RateLimiter::direct_with_clock(quota, clock.clone())),
            clock,
            parallel: limit
                .max_parallel
                .map(|n| std::sync::Arc::new(Semaphore::new(n.max(1)))),
            paused_until: Mutex::new(None),
        }
    }

    /// A limiter for an account with no known rate limit: no pacing, but a target's
    /// "come back later" still pauses every request to the account.
    pub fn unlimited() -> Self {
        AccountLimiter {
            rate: None,
            clock: TokioClock {
                start: Instant::now(),
            },
            parallel: None,
            paused_until: Mutex::new(None),
        }
    }

    /// Wait until a request may be sent, then hold a concurrency slot.
    pub async fn acquire(&self) -> Permit {
        let slot = match &self.parallel {
            Some(sem) => Some(
                sem.clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed"),
            ),
            None => None,
        };
        loop {
            let paused = *self.paused_until.lock().expect("pause lock poisoned");
            if let Some(until) = paused
                && until > Instant::now()
            {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let Some(rate) = &self.rate else { break };
            match rate.check() {
                Ok(()) => break,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Permit { _slot: slot }
    }

    /// Send nothing to this account for `wait` (the target's `Retry-After`).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().expect("pause lock poisoned");
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window() {
        let limiter = AccountLimiter::new(RateLimit::per(7, Duration::from_secs(1)));
        let start = Instant::now();
        let mut stamps = Vec::new();
        for _ in 0..30 {
            let _p = limiter.acquire().await;
            stamps.push(start.elapsed());
        }
        for (i, t) in stamps.iter().enumerate() {
            let in_window = stamps[i..]
                .iter()
                .filter(|s| **s < *t + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 7,
                "{in_window} requests within 1 s starting at {t:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_leaky_bucket_allows_its_burst_then_drains_at_the_rate() {
        let limit = RateLimit {
            burst: Some(50),
            ..RateLimit::per(2, Duration::from_secs(1))
        };
        let limiter = AccountLimiter::new(limit);
        let start = Instant::now();
        for _ in 0..50 {
            let _p = limiter.acquire().await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1),
            "the burst goes at once"
        );
        for _ in 0..4 {
            let _p = limiter.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(1_900),
            "then 2 per second: {:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_the_next_request() {
        let limiter = AccountLimiter::new(RateLimit::per(100, Duration::from_secs(1)));
        let start = Instant::now();
        limiter.pause_for(Duration::from_secs(2));
        let _p = limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped() {
        let limit = RateLimit {
            max_parallel: Some(2),
            ..RateLimit::per(1000, Duration::from_secs(1))
        };
        let limiter = std::sync::Arc::new(AccountLimiter::new(limit));
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let l2 = limiter.clone();
        let third = tokio::spawn(async move { l2.acquire().await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!third.is_finished());
        drop(a);
        third.await.unwrap();
    }
}
