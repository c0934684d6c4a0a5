//! Checks of everything done under a claim: fencing, lease renewal, step records, item
//! outcomes and releasing claims.

use serde_json::json;

use super::harness::{Fixture, T0, assert_lost, claim, keys, seed, settle};
use crate::store::*;

fn begin(item: &ClaimedItem, step: &str, attempt: u32, now: Timestamp) -> StepBegin {
    StepBegin {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        step_id: step.into(),
        attempt,
        now,
    }
}

fn finish(
    item: &ClaimedItem,
    step: &str,
    status: StepStatus,
    output: Option<serde_json::Value>,
    now: Timestamp,
) -> StepFinish {
    StepFinish {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        step_id: step.into(),
        status,
        attempts: 1,
        output,
        error: (status == StepStatus::Failed).then(|| "HTTP 503 from the CRM".to_owned()),
        now,
    }
}

pub(super) async fn expired_claim_is_reclaimed_and_old_token_fenced(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a"]).await;
    let old = claim(&*store, "w1", T0, 1_000, 10).await.remove(0);
    assert!(
        claim(&*store, "w2", T0 + 1_000, 1_000, 10).await.is_empty(),
        "lease still runs at its end"
    );

    let new = claim(&*store, "w2", T0 + 1_001, 1_000, 10).await.remove(0);
    assert_eq!(new.id, old.id);
    assert_ne!(new.claim_token, old.claim_token);

    assert_lost(
        store.begin_step(begin(&old, "deal", 1, T0 + 1_002)).await,
        old.id,
    );
    assert_lost(
        store
            .finish_step(finish(
                &old,
                "deal",
                StepStatus::Succeeded,
                None,
                T0 + 1_002,
            ))
            .await,
        old.id,
    );
    let renew = RenewClaims {
        items: vec![(old.id, old.claim_token.clone())],
        now: T0 + 1_002,
        lease_ms: 1_000,
    };
    assert_lost(store.renew_claims(renew).await, old.id);
    let settle_old = ItemSettle {
        item_id: old.id,
        claim_token: old.claim_token.clone(),
        status: ItemStatus::Succeeded,
        due_at: None,
        error: None,
        now: T0 + 1_002,
    };
    assert_lost(store.settle_item(settle_old).await, old.id);

    // Nothing the old claim tried is visible; the new claim works.
    store
        .begin_step(begin(&new, "deal", 1, T0 + 1_003))
        .await
        .unwrap();
    settle(&*store, &new, ItemStatus::Succeeded, None, T0 + 1_004).await;
    let detail = store.run_detail(new.run_id).await.unwrap().unwrap();
    assert_eq!(detail.items[0].status, ItemStatus::Succeeded);
    assert_eq!(detail.items[0].steps.len(), 1);
    assert_eq!(detail.items[0].steps[0].status, StepStatus::Sending);
    // A settled item's claim is gone for its last holder too.
    assert_lost(
        store.begin_step(begin(&new, "order", 1, T0 + 1_005)).await,
        new.id,
    );
}

pub(super) async fn renewed_claim_is_not_taken(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a", "b"]).await;
    let items = claim(&*store, "w1", T0, 1_000, 10).await;
    let renew = RenewClaims {
        items: items
            .iter()
            .map(|i| (i.id, i.claim_token.clone()))
            .collect(),
        now: T0 + 900,
        lease_ms: 1_000,
    };
    store.renew_claims(renew).await.unwrap();
    assert!(claim(&*store, "w2", T0 + 1_500, 1_000, 10).await.is_empty());
    assert_eq!(claim(&*store, "w2", T0 + 1_901, 1_000, 10).await.len(), 2);
}

pub(super) async fn steps_persist_in_chain_order_across_claims(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a"]).await;
    let first = claim(&*store, "w1", T0, 1_000, 10).await.remove(0);
    assert!(first.steps.is_empty());

    store
        .begin_step(begin(&first, "deal", 1, T0 + 1))
        .await
        .unwrap();
    let output = json!({ "id": 7, "nested": { "tags": ["a", "b"] } });
    store
        .finish_step(finish(
            &first,
            "deal",
            StepStatus::Succeeded,
            Some(output.clone()),
            T0 + 2,
        ))
        .await
        .unwrap();
    // A step whose `when` was false is recorded without ever being begun.
    store
        .finish_step(finish(&first, "notify", StepStatus::Skipped, None, T0 + 3))
        .await
        .unwrap();
    store
        .begin_step(begin(&first, "customer", 1, T0 + 4))
        .await
        .unwrap();
    store
        .finish_step(finish(&first, "customer", StepStatus::Failed, None, T0 + 5))
        .await
        .unwrap();
    // A retry of `customer` keeps its place in the chain and its last error.
    store
        .begin_step(begin(&first, "customer", 2, T0 + 6))
        .await
        .unwrap();
    store
        .begin_step(begin(&first, "order", 1, T0 + 7))
        .await
        .unwrap();
    // The worker dies here: its lease runs out and another worker claims the item.

    let second = claim(&*store, "w2", T0 + 5_000, 1_000, 10).await.remove(0);
    let steps: Vec<(&str, StepStatus, u32)> = second
        .steps
        .iter()
        .map(|s| (s.step_id.as_str(), s.status, s.attempts))
        .collect();
    assert_eq!(
        steps,
        [
            ("deal", StepStatus::Succeeded, 1),
            ("notify", StepStatus::Skipped, 1),
            ("customer", StepStatus::Sending, 2),
            ("order", StepStatus::Sending, 1),
        ]
    );
    assert_eq!(second.steps[0].output, Some(output));
    assert_eq!(second.steps[0].updated_at, T0 + 2);
    assert_eq!(
        second.steps[2].error.as_deref(),
        Some("HTTP 503 from the CRM")
    );
    assert_eq!(second.steps[3].output, None);
}

pub(super) async fn invalid_outcomes_are_refused(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a"]).await;
    let item = claim(&*store, "w", T0, 1_000, 10).await.remove(0);
    for (status, due_at) in [
        (ItemStatus::Running, None),
        (ItemStatus::Pending, None),
        (ItemStatus::Waiting, None),
    ] {
        let result = store
            .settle_item(ItemSettle {
                item_id: item.id,
                claim_token: item.claim_token.clone(),
                status,
                due_at,
                error: None,
                now: T0,
            })
            .await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{status:?}: {result:?}"
        );
    }
    let result = store
        .finish_step(finish(&item, "deal", StepStatus::Sending, None, T0))
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    // The claim is intact after the refusals.
    settle(&*store, &item, ItemStatus::Succeeded, None, T0 + 1).await;
}

pub(super) async fn release_claims_returns_a_workers_items(fx: &mut dyn Fixture) {
    let store = fx.store();
    seed(&*store, "calls", &["a", "b", "c", "d"]).await;
    let mine = claim(&*store, "leaving", T0, 60_000, 3).await;
    let theirs = claim(&*store, "staying", T0, 60_000, 3).await;
    assert_eq!(keys(&theirs), ["d"]);

    assert_eq!(store.release_claims("leaving").await.unwrap(), 3);
    assert_eq!(store.release_claims("leaving").await.unwrap(), 0);
    assert_lost(
        store.begin_step(begin(&mine[0], "deal", 1, T0 + 1)).await,
        mine[0].id,
    );
    // Released items are due at once, long before the old lease would have run out.
    let again = claim(&*store, "next", T0 + 1, 60_000, 10).await;
    assert_eq!(keys(&again), ["a", "b", "c"]);
    store
        .begin_step(begin(&theirs[0], "deal", 1, T0 + 2))
        .await
        .unwrap();
}
