//! Per-account rate limits shared by every worker on one PostgreSQL database: the
//! [`SharedRateLimiter`] the transport consults before each request when the engine runs
//! on PostgreSQL.
//!
//! Each account has one row in `rate_limits` holding its GCRA *theoretical arrival time*
//! (`tat`). Reserving a request's slot is one atomic upsert: the row lock orders concurrent
//! reservations from any number of workers, each moves `tat` one emission interval further,
//! and the statement returns how long its caller must wait. Times come from the database's
//! clock, the one clock all workers share; callers receive durations, so a worker whose own
//! clock is off still waits the right amount.
//!
//! Unlike the rest of the store, this reads the database clock instead of an injected
//! `now`: it paces real requests in real time, across machines.

use std::time::Duration;

use async_trait::async_trait;
use ferry_connectors::ConnectorError;
use ferry_connectors::transport::{RateLimit, SharedRateLimiter};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::PostgresStore;
use crate::store::StoreError;

/// The extra spacing, in percent of the limit's interval, that requests get by default.
/// A reply takes a few milliseconds to reach the worker and the request a few more to reach
/// the target, and those delays differ from request to request; without headroom, a request
/// delayed more than the next one could land both in one window of the target's count.
/// With 10 %, eight requests at 7 per second span 1.1 s instead of 1 s, which absorbs 100 ms
/// of such jitter for the price of a tenth of the throughput.
pub const DEFAULT_HEADROOM_PERCENT: u32 = 10;

/// The database's clock now, in microseconds since the Unix epoch. `statement_timestamp()`
/// is fixed for the whole statement, so every use within one statement agrees.
macro_rules! now_us {
    () => {
        "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000)::BIGINT"
    };
}

/// Reserve the next slot: `$1` account, `$2` emission interval, `$3` burst tolerance (µs).
/// Returns when the slot starts (it may lie in the past while the burst allows) and now.
const RESERVE: &str = concat!(
    "INSERT INTO rate_limits AS limits (account_key, tat) VALUES ($1, ",
    now_us!(),
    " + $2) ON CONFLICT (account_key) DO UPDATE SET tat = GREATEST(limits.tat + $2, excluded.tat) \
     RETURNING limits.tat - $2 - $3 AS starts_at_us, ",
    now_us!(),
    " AS now_us"
);

/// Let no slot of `$1` start sooner than `$2` µs from now (a pause plus the burst
/// tolerance, which the next reservation subtracts again).
const PAUSE: &str = concat!(
    "INSERT INTO rate_limits AS limits (account_key, tat) VALUES ($1, ",
    now_us!(),
    " + $2) ON CONFLICT (account_key) DO UPDATE SET tat = GREATEST(limits.tat, excluded.tat)"
);

/// A limit as GCRA parameters, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spacing {
    /// Time between two requests at the steady rate (headroom included).
    interval_us: i64,
    /// How far ahead of the steady rate a burst may run.
    tolerance_us: i64,
}

impl Spacing {
    fn of(limit: RateLimit, headroom_percent: u32) -> Spacing {
        let per_us = limit.per.as_micros();
        let requests = u128::from(limit.requests.max(1));
        let stretched = per_us * u128::from(100 + headroom_percent);
        // Rounded up: a shorter interval would let `requests + 1` fit into one window.
        let interval = stretched.div_ceil(100 * requests).max(1);
        let interval_us = i64::try_from(interval).unwrap_or(i64::MAX);
        let burst = i64::from(limit.burst.unwrap_or(1).max(1));
        Spacing {
            interval_us,
            tolerance_us: interval_us.saturating_mul(burst - 1),
        }
    }
}

/// One reserved slot, by the database's clock.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct Slot {
    /// When the slot starts (microseconds since the epoch).
    starts_at_us: i64,
    /// The database's now when it was reserved.
    now_us: i64,
}

impl Slot {
    fn wait(&self) -> Duration {
        let us = self.starts_at_us.saturating_sub(self.now_us).max(0);
        Duration::from_micros(us as u64)
    }
}

/// The shared rate limiter on PostgreSQL. Cloning shares the connection pool.
#[derive(Debug, Clone)]
pub struct PostgresRateLimiter {
    pool: PgPool,
    headroom_percent: u32,
}

impl PostgresStore {
    /// A shared rate limiter on this store's connections (and database schema), with
    /// [`DEFAULT_HEADROOM_PERCENT`].
    pub fn rate_limiter(&self) -> PostgresRateLimiter {
        PostgresRateLimiter {
            pool: self.pool.clone(),
            headroom_percent: DEFAULT_HEADROOM_PERCENT,
        }
    }
}

impl PostgresRateLimiter {
    /// A limiter with its own connections to the database at `url`, whose `rate_limits`
    /// table the store's migrations create.
    pub async fn connect(url: &str) -> Result<PostgresRateLimiter, StoreError> {
        Ok(PostgresStore::connect(url).await?.rate_limiter())
    }

    /// Space requests `percent` more than their limit requires (see
    /// [`DEFAULT_HEADROOM_PERCENT`]); `0` paces exactly at the limit.
    pub fn with_headroom_percent(self, percent: u32) -> PostgresRateLimiter {
        PostgresRateLimiter {
            headroom_percent: percent,
            ..self
        }
    }

    async fn reserve_slot(&self, account_key: &str, limit: RateLimit) -> Result<Slot, sqlx::Error> {
        let spacing = Spacing::of(limit, self.headroom_percent);
        sqlx::query_as::<_, Slot>(RESERVE)
            .bind(row_key(account_key))
            .bind(spacing.interval_us)
            .bind(spacing.tolerance_us)
            .fetch_one(&self.pool)
            .await
    }
}

/// The stored key: a digest, so no URL or credential-derived text reaches the database.
fn row_key(account_key: &str) -> String {
    hex::encode(Sha256::digest(account_key.as_bytes()))
}

fn unavailable(action: &str, error: sqlx::Error) -> ConnectorError {
    ConnectorError::Transport(format!(
        "not sent: the rate limit shared with other workers could not be {action} in the database: {error}"
    ))
}

#[async_trait]
impl SharedRateLimiter for PostgresRateLimiter {
    async fn reserve(
        &self,
        account_key: &str,
        limit: RateLimit,
    ) -> Result<Duration, ConnectorError> {
        let slot = self
            .reserve_slot(account_key, limit)
            .await
            .map_err(|e| unavailable("reserved", e))?;
        Ok(slot.wait())
    }

    async fn pause(
        &self,
        account_key: &str,
        limit: RateLimit,
        wait: Duration,
    ) -> Result<(), ConnectorError> {
        let spacing = Spacing::of(limit, self.headroom_percent);
        let wait_us = i64::try_from(wait.as_micros()).unwrap_or(i64::MAX);
        sqlx::query(PAUSE)
            .bind(row_key(account_key))
            .bind(wait_us.saturating_add(spacing.tolerance_us))
            .execute(&self.pool)
            .await
            .map_err(|e| unavailable("paused", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
