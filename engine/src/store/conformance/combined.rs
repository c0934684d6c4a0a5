//! Checks of the writes that combine two records in one transaction: a step's outcome
//! with the next step's `sending` mark, and the last step's outcome with the item's
//! settlement. Each must write exactly what the two single writes would, keep chain
//! order, and be fenced as a whole.

use serde_json::json;

use super::harness::{Fixture, T0, assert_lost, claim, seed};
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

fn finish(item: &ClaimedItem, step: &str, status: StepStatus, now: Timestamp) -> StepFinish {
    StepFinish {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        step_id: step.into(),
        status,
        attempts: 1,
        output: (status == StepStatus::Succeeded).then(|| json!({ "id": step })),
        error: (status == StepStatus::Failed).then(|| format!("{step} failed")),
        now,
    }
}

fn settlement(item: &ClaimedItem, status: ItemStatus, now: Timestamp) -> ItemSettle {
    ItemSettle {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        status,
        due_at: None,
        error: None,
        now,
    }
}

/// Steps of the only item of `run`, as (id, status, attempts, output, error).
async fn steps(store: &dyn Store, run: RunId) -> Vec<StepRecord> {
    let detail = store.run_detail(run).await.unwrap().unwrap();
    detail.items[0].steps.clone()
}

pub(super) async fn finish_and_begin_write_both_in_chain_order(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = seed(&*store, "calls", &["a"]).await;
    let item = claim(&*store, "w", T0, 60_000, 1).await.remove(0);

    // A step found by its lookup was never begun: its row is new, like the next one's.
    let reused = finish(&item, "customer", StepStatus::Succeeded, T0 + 1);
    store
        .finish_step_and_begin(reused, begin(&item, "order", 1, T0 + 1))
        .await
        .unwrap();
    // The order step fails once, then is begun again together with nothing held: the
    // later combined write must keep the failure's error on the `sending` row, as
    // `begin_step` does.
    store
        .finish_step(finish(&item, "order", StepStatus::Failed, T0 + 2))
        .await
        .unwrap();
    store
        .begin_step(begin(&item, "order", 2, T0 + 3))
        .await
        .unwrap();
    let mut order = finish(&item, "order", StepStatus::Succeeded, T0 + 4);
    order.attempts = 2;
    store
        .finish_step_and_begin(order, begin(&item, "deal", 1, T0 + 4))
        .await
        .unwrap();
    store
        .finish_step(finish(&item, "deal", StepStatus::Failed, T0 + 5))
        .await
        .unwrap();
    store
        .finish_step_and_begin(
            finish(&item, "note", StepStatus::Skipped, T0 + 6),
            begin(&item, "deal", 2, T0 + 6),
        )
        .await
        .unwrap();

    let steps = steps(&*store, run).await;
    let shown: Vec<(&str, StepStatus, u32)> = steps
        .iter()
        .map(|s| (s.step_id.as_str(), s.status, s.attempts))
        .collect();
    assert_eq!(
        shown,
        [
            ("customer", StepStatus::Succeeded, 1),
            ("order", StepStatus::Succeeded, 2),
            ("deal", StepStatus::Sending, 2),
            ("note", StepStatus::Skipped, 1),
        ]
    );
    assert_eq!(steps[0].output, Some(json!({ "id": "customer" })));
    assert_eq!(steps[1].output, Some(json!({ "id": "order" })));
    assert_eq!(steps[1].error, None, "a success replaces the last error");
    assert_eq!(steps[2].output, None);
    assert_eq!(
        steps[2].error.as_deref(),
        Some("deal failed"),
        "a sending row keeps the error that explains the new attempt"
    );
}

pub(super) async fn combined_writes_are_fenced_as_a_whole(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = seed(&*store, "calls", &["a"]).await;
    let old = claim(&*store, "w1", T0, 1_000, 1).await.remove(0);
    let new = claim(&*store, "w2", T0 + 1_001, 60_000, 1).await.remove(0);
    assert_eq!(old.id, new.id);

    assert_lost(
        store
            .finish_step_and_begin(
                finish(&old, "customer", StepStatus::Succeeded, T0 + 1_002),
                begin(&old, "order", 1, T0 + 1_002),
            )
            .await,
        old.id,
    );
    assert_lost(
        store
            .finish_step_and_settle(
                finish(&old, "customer", StepStatus::Succeeded, T0 + 1_002),
                settlement(&old, ItemStatus::Succeeded, T0 + 1_002),
            )
            .await,
        old.id,
    );
    assert!(
        steps(&*store, run).await.is_empty(),
        "a lost claim writes neither record"
    );
    assert_eq!(store.item_counts(None).await.unwrap().in_progress, 1);

    // Mismatched pairs and a `sending` outcome are refused before anything is written.
    let refused = [
        store
            .finish_step_and_begin(
                finish(&new, "order", StepStatus::Sending, T0 + 1_003),
                begin(&new, "deal", 1, T0 + 1_003),
            )
            .await,
        store
            .finish_step_and_begin(
                finish(&new, "order", StepStatus::Succeeded, T0 + 1_003),
                begin(&new, "order", 2, T0 + 1_003),
            )
            .await,
        store
            .finish_step_and_begin(
                finish(&new, "order", StepStatus::Succeeded, T0 + 1_003),
                begin(&old, "deal", 1, T0 + 1_003),
            )
            .await,
        store
            .finish_step_and_settle(
                finish(&new, "order", StepStatus::Succeeded, T0 + 1_003),
                settlement(&new, ItemStatus::Running, T0 + 1_003),
            )
            .await,
    ];
    for result in refused {
        assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    }
    assert!(steps(&*store, run).await.is_empty());
}

pub(super) async fn finish_and_settle_record_the_step_and_release_the_item(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = seed(&*store, "calls", &["a"]).await;
    let item = claim(&*store, "w", T0, 60_000, 1).await.remove(0);
    store
        .begin_step(begin(&item, "deal", 1, T0 + 1))
        .await
        .unwrap();
    store
        .finish_step_and_settle(
            finish(&item, "deal", StepStatus::Succeeded, T0 + 2),
            settlement(&item, ItemStatus::Succeeded, T0 + 2),
        )
        .await
        .unwrap();
    let steps = steps(&*store, run).await;
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].status, StepStatus::Succeeded);
    assert_eq!(steps[0].output, Some(json!({ "id": "deal" })));
    let counts = store.item_counts(None).await.unwrap();
    assert_eq!((counts.succeeded, counts.in_progress), (1, 0));
    // The claim is released with the settlement: the token fences everything after it.
    assert_lost(
        store
            .finish_step(finish(&item, "deal", StepStatus::Failed, T0 + 3))
            .await,
        item.id,
    );
    assert!(claim(&*store, "w", T0 + 3, 60_000, 1).await.is_empty());
}
