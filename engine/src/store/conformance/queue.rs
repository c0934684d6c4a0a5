//! Checks of queueing and claiming: dedup, the cursor's transaction, claim exclusivity,
//! due times, order and filters.

use std::collections::BTreeSet;

use serde_json::json;

use super::harness::{Fixture, T0, batch, claim, keys, seed, settle};
use crate::store::*;

pub(super) async fn enqueue_dedups_across_batches_and_reopen(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = store
        .start_run(NewRun {
            bundle_id: "calls".into(),
            started_at: T0,
        })
        .await
        .unwrap();
    let first = store
        .enqueue(batch("calls", run, &["a", "b", "c"], None))
        .await
        .unwrap();
    assert_eq!(
        first,
        EnqueueOutcome {
            inserted: 3,
            duplicates: 0
        }
    );
    // Seen keys and a key repeated inside one batch are duplicates.
    let second = store
        .enqueue(batch("calls", run, &["b", "c", "d", "d"], None))
        .await
        .unwrap();
    assert_eq!(
        second,
        EnqueueOutcome {
            inserted: 1,
            duplicates: 3
        }
    );
    // The same key in another bundle is another item.
    let other = seed(&*store, "forms", &["a"]).await;
    drop(store);

    fx.reopen().await;
    let store = fx.store();
    let run2 = store
        .start_run(NewRun {
            bundle_id: "calls".into(),
            started_at: T0 + 1,
        })
        .await
        .unwrap();
    let third = store
        .enqueue(batch("calls", run2, &["a", "e"], None))
        .await
        .unwrap();
    assert_eq!(
        third,
        EnqueueOutcome {
            inserted: 1,
            duplicates: 1
        }
    );

    assert_eq!(
        store.item_counts(Some("calls")).await.unwrap().in_progress,
        5
    );
    assert_eq!(store.item_counts(None).await.unwrap().in_progress, 6);
    let detail = store.run_detail(run).await.unwrap().unwrap();
    assert_eq!(detail.run.items_new, 4);
    let run_keys: Vec<_> = detail.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(run_keys, ["a", "b", "c", "d"]);
    assert_eq!(
        store.run_detail(run2).await.unwrap().unwrap().run.items_new,
        1
    );
    assert_eq!(
        store
            .run_detail(other)
            .await
            .unwrap()
            .unwrap()
            .run
            .items_new,
        1
    );
}

pub(super) async fn enqueue_spans_several_chunks(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = store
        .start_run(NewRun {
            bundle_id: "orders".into(),
            started_at: T0,
        })
        .await
        .unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("order-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let outcome = store
        .enqueue(batch("orders", run, &names, None))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        EnqueueOutcome {
            inserted: 1000,
            duplicates: 0
        }
    );
    let again = store
        .enqueue(batch("orders", run, &names[500..], None))
        .await
        .unwrap();
    assert_eq!(
        again,
        EnqueueOutcome {
            inserted: 0,
            duplicates: 500
        }
    );
    assert_eq!(
        store.item_counts(Some("orders")).await.unwrap().in_progress,
        1000
    );
    // Payloads come back as they went in.
    let claimed = claim(&*store, "w", T0, 60_000, 2).await;
    assert_eq!(keys(&claimed), ["order-0", "order-1"]);
    assert_eq!(claimed[1].payload, json!({ "key": "order-1" }));
}

pub(super) async fn cursor_moves_only_with_its_batch(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = store
        .start_run(NewRun {
            bundle_id: "calls".into(),
            started_at: T0,
        })
        .await
        .unwrap();
    store
        .enqueue(batch("calls", run, &["a"], None))
        .await
        .unwrap();
    assert_eq!(
        store.cursor("calls").await.unwrap(),
        None,
        "a page without cursor stores none"
    );

    let cursor = json!({ "since": "2026-01-01 10:00:00", "page": [1, 2.5] });
    store
        .enqueue(batch("calls", run, &["b"], Some(cursor.clone())))
        .await
        .unwrap();
    assert_eq!(store.cursor("calls").await.unwrap(), Some(cursor.clone()));
    assert_eq!(store.cursor("forms").await.unwrap(), None);

    // A batch that fails (its run does not exist) stores neither its items nor its cursor.
    let failed = store
        .enqueue(batch(
            "calls",
            run + 1000,
            &["c", "d"],
            Some(json!({ "since": "later" })),
        ))
        .await;
    assert!(matches!(failed, Err(StoreError::NotFound(_))), "{failed:?}");
    assert_eq!(store.cursor("calls").await.unwrap(), Some(cursor));
    assert_eq!(
        store.item_counts(Some("calls")).await.unwrap().in_progress,
        2
    );
    let retried = store
        .enqueue(batch("calls", run, &["c", "d"], None))
        .await
        .unwrap();
    assert_eq!(
        retried.inserted, 2,
        "the failed batch's items were not marked seen"
    );
}

pub(super) async fn concurrent_claimers_take_each_item_once(fx: &mut dyn Fixture) {
    const ITEMS: usize = 120;
    let keys: Vec<String> = (0..ITEMS).map(|i| format!("k{i:03}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    seed(&*fx.store(), "calls", &keys).await;

    let mut tasks = Vec::new();
    for (n, store) in fx.workers(3).await.into_iter().enumerate() {
        for lane in 0..2 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let worker = format!("worker-{n}-{lane}");
                let mut mine = Vec::new();
                loop {
                    let got = claim(&*store, &worker, T0, 60_000, 7).await;
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|item| item.id));
                    tokio::task::yield_now().await;
                }
            }));
        }
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), ITEMS, "every item claimed exactly once");
    assert_eq!(unique.len(), ITEMS);
}

pub(super) async fn waiting_items_are_not_claimed_before_due(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a"]).await;
    let item = claim(&*store, "w", T0, 60_000, 10).await.remove(0);
    settle(
        &*store,
        &item,
        ItemStatus::Waiting,
        Some(T0 + 10_000),
        T0 + 1,
    )
    .await;
    assert_eq!(store.item_counts(None).await.unwrap().waiting, 1);

    assert!(claim(&*store, "w", T0 + 9_999, 60_000, 10).await.is_empty());
    let again = claim(&*store, "w", T0 + 10_000, 60_000, 10).await;
    assert_eq!(keys(&again), ["a"]);
    assert_ne!(
        again[0].claim_token, item.claim_token,
        "each claim gets a fresh token"
    );
}

pub(super) async fn claims_respect_limit_order_and_bundle_filter(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["c1", "c2", "c3"]).await;
    seed(&*store, "forms", &["f1", "f2"]).await;
    seed(&*store, "orders", &["o1"]).await;

    let none = ClaimRequest {
        worker: "w".into(),
        bundle_ids: Some(vec![]),
        limit: 10,
        now: T0,
        lease_ms: 1_000,
    };
    assert!(store.claim_items(none).await.unwrap().is_empty());
    assert!(claim(&*store, "w", T0, 1_000, 0).await.is_empty());

    let forms_and_orders = ClaimRequest {
        worker: "w".into(),
        bundle_ids: Some(vec!["orders".into(), "forms".into()]),
        limit: 2,
        now: T0,
        lease_ms: 1_000,
    };
    let got = store.claim_items(forms_and_orders.clone()).await.unwrap();
    assert_eq!(keys(&got), ["f1", "f2"], "oldest first within the filter");
    assert!(got.iter().all(|i| i.bundle_id == "forms"));
    let got = store.claim_items(forms_and_orders).await.unwrap();
    assert_eq!(keys(&got), ["o1"]);
    assert_eq!(keys(&claim(&*store, "w", T0, 1_000, 2).await), ["c1", "c2"]);
    assert_eq!(keys(&claim(&*store, "w", T0, 1_000, 2).await), ["c3"]);
    assert!(claim(&*store, "w", T0, 1_000, 2).await.is_empty());
}
