//! MoySklad's request limits as the emulator enforces them: a sliding window of requests
//! per user (45 per 3 s) and a cap on requests in flight (5). Time is tokio's, so tests
//! with a paused clock see exact, repeatable windows.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The limits to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmulatedRateLimit {
    /// Requests allowed in any `window`.
    pub requests: usize,
    /// The sliding window.
    pub window: Duration,
    /// Requests allowed in flight at once.
    pub max_parallel: usize,
}

impl EmulatedRateLimit {
    /// MoySklad's documented limits: 45 requests per 3 s, 5 in parallel.
    pub const MOYSKLAD: EmulatedRateLimit = EmulatedRateLimit {
        requests: 45,
        window: Duration::from_secs(3),
        max_parallel: 5,
    };
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the window: retry after this long.
    Rate {
        /// Time until the oldest counted request leaves the window.
        retry_after: Duration,
    },
    /// Too many in flight.
    Parallel,
}

/// Live counters.
#[derive(Debug, Default)]
pub struct LimitState {
    accepted: VecDeque<Instant>,
    in_flight: usize,
    peak_in_flight: usize,
}

/// Headers describing the window, sent with every answer while limits are on.
#[derive(Debug, Clone, Copy)]
pub struct WindowReport {
    /// Requests left in the current window.
    pub remaining: usize,
    /// Time until the window frees a slot (zero when slots are free).
    pub reset: Duration,
}

impl LimitState {
    fn prune(&mut self, limit: &EmulatedRateLimit, now: Instant) {
        while self
            .accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.window)
        {
            self.accepted.pop_front();
        }
    }

    /// Admit a request now, or say why not. Refused requests are not counted.
    pub fn admit(&mut self, limit: &EmulatedRateLimit, now: Instant) -> Result<(), Refusal> {
        self.prune(limit, now);
        if self.accepted.len() >= limit.requests {
            let oldest = *self.accepted.front().expect("non-empty when full");
            return Err(Refusal::Rate {
                retry_after: limit.window - now.duration_since(oldest),
            });
        }
        if self.in_flight >= limit.max_parallel {
            return Err(Refusal::Parallel);
        }
        self.accepted.push_back(now);
        Ok(())
    }

    /// The window as reported in headers.
    pub fn report(&mut self, limit: &EmulatedRateLimit, now: Instant) -> WindowReport {
        self.prune(limit, now);
        let remaining = limit.requests.saturating_sub(self.accepted.len());
        let reset = match (remaining, self.accepted.front()) {
            (0, Some(oldest)) => limit.window - now.duration_since(*oldest),
            _ => Duration::ZERO,
        };
        WindowReport { remaining, reset }
    }

    /// A request started being handled.
    pub fn started(&mut self) {
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    /// A request finished.
    pub fn finished(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The most requests ever in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_window_slides() {
        let limit = EmulatedRateLimit {
            requests: 2,
            window: Duration::from_secs(3),
            max_parallel: 10,
        };
        let mut state = LimitState::default();
        let start = Instant::now();
        assert!(state.admit(&limit, start).is_ok());
        assert!(state.admit(&limit, start + Duration::from_secs(1)).is_ok());
        let refused = state.admit(&limit, start + Duration::from_secs(2));
        assert_eq!(
            refused,
            Err(Refusal::Rate {
                retry_after: Duration::from_secs(1)
            })
        );
        assert!(state.admit(&limit, start + Duration::from_secs(3)).is_ok());
    }

    #[test]
    fn parallel_requests_are_capped() {
        let limit = EmulatedRateLimit {
            requests: 100,
            window: Duration::from_secs(3),
            max_parallel: 1,
        };
        let mut state = LimitState::default();
        let now = Instant::now();
        state.admit(&limit, now).unwrap();
        state.started();
        assert_eq!(state.admit(&limit, now), Err(Refusal::Parallel));
        state.finished();
        assert!(state.admit(&limit, now).is_ok());
    }
}
