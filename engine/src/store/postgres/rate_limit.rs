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
mod tests {
    use std::sync::Arc;

    use sqlx::{Connection, PgConnection};

    use super::*;
    use crate::store::Store;

    const SEVEN_PER_SECOND: RateLimit = RateLimit::per(7, Duration::from_secs(1));
    const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

    #[test]
    fn a_limit_becomes_an_interval_rounded_up_and_a_burst_tolerance() {
        assert_eq!(
            Spacing::of(SEVEN_PER_SECOND, 0),
            Spacing {
                interval_us: 142_858,
                tolerance_us: 0
            }
        );
        assert_eq!(Spacing::of(SEVEN_PER_SECOND, 10).interval_us, 157_143);
        let leaky = RateLimit {
            burst: Some(50),
            ..RateLimit::per(2, Duration::from_secs(1))
        };
        assert_eq!(
            Spacing::of(leaky, 0),
            Spacing {
                interval_us: 500_000,
                tolerance_us: 49 * 500_000
            }
        );
    }

    #[test]
    fn account_keys_are_stored_as_digests() {
        let key = row_key("http:https://user:secret@api.example.com");
        assert_eq!(key.len(), 64);
        assert!(!key.contains("secret"));
        assert_ne!(key, row_key("http:https://api.example.com"));
    }

    /// A fresh schema with `workers` stores on it, each with its own pool, dropped
    /// afterwards; `None` (after printing `SKIPPED`) when PostgreSQL is not reachable,
    /// unless `FERRY_REQUIRE_POSTGRES=1`.
    struct Schema {
        name: String,
        stores: Vec<PostgresStore>,
    }

    impl Schema {
        async fn open(workers: usize) -> Option<Schema> {
            let required = std::env::var("FERRY_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            match PgConnection::connect(URL).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                }
                Err(e) if required => panic!("PostgreSQL required but not reachable: {e}"),
                Err(e) => {
                    println!("SKIPPED: PostgreSQL not reachable at {URL}: {e}");
                    return None;
                }
            }
            let name = format!("ferry_test_{}", uuid::Uuid::new_v4().simple());
            let mut stores = Vec::new();
            for _ in 0..workers {
                let store = PostgresStore::connect_with_schema(URL, &name)
                    .await
                    .unwrap();
                store.migrate().await.unwrap();
                stores.push(store);
            }
            Some(Schema { name, stores })
        }

        fn limiters(&self, headroom_percent: u32) -> Vec<Arc<PostgresRateLimiter>> {
            self.stores
                .iter()
                .map(|s| Arc::new(s.rate_limiter().with_headroom_percent(headroom_percent)))
                .collect()
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            let name = self.name.clone();
            // Drop cannot await: a short-lived thread with its own runtime drops the schema.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut conn = PgConnection::connect(URL).await.ok()?;
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }

    /// When each reserved slot may go: the later of its start and the moment it was
    /// reserved (a burst slot can start in the past).
    fn due(slot: Slot) -> i64 {
        slot.starts_at_us.max(slot.now_us)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_reservations_from_several_pools_never_exceed_the_rate() {
        let Some(schema) = Schema::open(3).await else {
            return;
        };
        // No headroom: the schedule itself must be exact.
        let limiters = schema.limiters(0);
        let mut tasks = tokio::task::JoinSet::new();
        for (worker, limiter) in limiters.iter().enumerate() {
            for _ in 0..4 {
                let limiter = limiter.clone();
                tasks.spawn(async move {
                    let mut slots = Vec::new();
                    for _ in 0..6 {
                        slots.push(
                            limiter
                                .reserve_slot("amocrm:https://shop.amocrm.ru", SEVEN_PER_SECOND)
                                .await
                                .unwrap(),
                        );
                    }
                    (worker, slots)
                });
            }
        }
        let mut due_at: Vec<i64> = Vec::new();
        let mut workers_seen = std::collections::HashSet::new();
        while let Some(joined) = tasks.join_next().await {
            let (worker, slots) = joined.unwrap();
            workers_seen.insert(worker);
            due_at.extend(slots.into_iter().map(due));
        }
        assert_eq!(workers_seen.len(), 3);
        assert_eq!(due_at.len(), 72);
        due_at.sort_unstable();
        for pair in due_at.windows(2) {
            assert!(
                pair[1] - pair[0] >= 142_858,
                "two slots {} µs apart",
                pair[1] - pair[0]
            );
        }
        // No window of one second holds eight slots.
        for eight in due_at.windows(8) {
            assert!(
                eight[7] - eight[0] >= 1_000_000,
                "8 slots within {} µs",
                eight[7] - eight[0]
            );
        }
        // The schedule is as dense as allowed: 72 slots take 71 intervals, not more.
        let span = due_at[71] - due_at[0];
        assert!(span < 72 * 142_858, "schedule spread over {span} µs");
    }

    #[tokio::test]
    async fn accounts_do_not_share_slots() {
        let Some(schema) = Schema::open(1).await else {
            return;
        };
        let limiter = &schema.limiters(0)[0];
        let a1 = limiter
            .reserve("account-a", SEVEN_PER_SECOND)
            .await
            .unwrap();
        let b1 = limiter
            .reserve("account-b", SEVEN_PER_SECOND)
            .await
            .unwrap();
        let a2 = limiter
            .reserve("account-a", SEVEN_PER_SECOND)
            .await
            .unwrap();
        assert_eq!(a1, Duration::ZERO);
        assert_eq!(b1, Duration::ZERO);
        assert!(a2 > Duration::from_millis(100), "{a2:?}");
    }

    #[tokio::test]
    async fn a_burst_goes_at_once_then_the_steady_rate_applies() {
        let Some(schema) = Schema::open(1).await else {
            return;
        };
        let limiter = &schema.limiters(0)[0];
        let leaky = RateLimit {
            burst: Some(5),
            ..RateLimit::per(2, Duration::from_secs(1))
        };
        for n in 0..5 {
            let wait = limiter.reserve("bitrix", leaky).await.unwrap();
            assert_eq!(wait, Duration::ZERO, "request {n} of the burst");
        }
        let sixth = limiter.reserve("bitrix", leaky).await.unwrap();
        assert!(
            sixth > Duration::from_millis(400) && sixth <= Duration::from_millis(500),
            "{sixth:?}"
        );
    }

    #[tokio::test]
    async fn a_pause_holds_every_worker_back() {
        let Some(schema) = Schema::open(2).await else {
            return;
        };
        let limiters = schema.limiters(0);
        limiters[0]
            .pause("amocrm", SEVEN_PER_SECOND, Duration::from_secs(3))
            .await
            .unwrap();
        let wait = limiters[1]
            .reserve("amocrm", SEVEN_PER_SECOND)
            .await
            .unwrap();
        assert!(
            wait > Duration::from_millis(2_900) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_database_refuses_the_slot_clearly() {
        let Some(schema) = Schema::open(1).await else {
            return;
        };
        let limiter = schema.limiters(0)[0].clone();
        schema.stores[0].close().await;
        let error = limiter
            .reserve("amocrm", SEVEN_PER_SECOND)
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("not sent"), "{text}");
        assert!(text.contains("could not be reserved"), "{text}");
    }
}
