//! Checks of schema migrations and named leases.

use super::harness::{Fixture, T0, seed};
use crate::store::*;

pub(super) async fn migrations_apply_twice(fx: &mut dyn Fixture) {
    let store = fx.store();
    // The fixture migrated once already.
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    seed(&*store, "calls", &["a"]).await;
    assert_eq!(store.item_counts(None).await.unwrap().in_progress, 1);
}

fn ask(holder: &str, now: Timestamp) -> LeaseRequest {
    LeaseRequest {
        name: "poll:calls".into(),
        holder: holder.into(),
        now,
        ttl_ms: 1_000,
    }
}

fn lease(holder: &str, version: i64, expires_at: Timestamp) -> Option<Lease> {
    Some(Lease {
        name: "poll:calls".into(),
        holder: holder.into(),
        version,
        expires_at,
    })
}

pub(super) async fn lease_acquire_renew_contend_takeover(fx: &mut dyn Fixture) {
    let store = fx.store();
    assert_eq!(
        store.acquire_lease(ask("a", T0)).await.unwrap(),
        lease("a", 1, T0 + 1_000)
    );
    // Renewal keeps the version.
    assert_eq!(
        store.acquire_lease(ask("a", T0 + 500)).await.unwrap(),
        lease("a", 1, T0 + 1_500)
    );
    assert_eq!(store.acquire_lease(ask("b", T0 + 600)).await.unwrap(), None);
    assert_eq!(
        store.acquire_lease(ask("b", T0 + 1_500)).await.unwrap(),
        None,
        "valid through its expiry"
    );
    // Another lease name is independent.
    let other = LeaseRequest {
        name: "poll:forms".into(),
        ..ask("b", T0 + 600)
    };
    assert_eq!(
        store.acquire_lease(other).await.unwrap().map(|l| l.version),
        Some(1)
    );

    // Expired: taken over with a higher version, and the old holder is out.
    assert_eq!(
        store.acquire_lease(ask("b", T0 + 1_501)).await.unwrap(),
        lease("b", 2, T0 + 2_501)
    );
    assert_eq!(
        store.acquire_lease(ask("a", T0 + 1_600)).await.unwrap(),
        None
    );

    // Released: free at once, and the version still only goes up.
    store.release_lease("poll:calls", "a").await.unwrap();
    assert_eq!(
        store.acquire_lease(ask("a", T0 + 1_700)).await.unwrap(),
        None,
        "only the holder releases"
    );
    store.release_lease("poll:calls", "b").await.unwrap();
    assert_eq!(
        store.acquire_lease(ask("a", T0 + 1_800)).await.unwrap(),
        lease("a", 3, T0 + 2_800)
    );
}
