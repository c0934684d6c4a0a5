//! The shared limiter: how limits become GCRA spacing, and against a real PostgreSQL that
//! reservations from several pools never exceed the rate, accounts and bursts behave, a
//! pause holds every worker back, and an unreachable database refuses the slot clearly.

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
