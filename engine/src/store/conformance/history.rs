//! Checks of what operators see and do: run listings, run detail, counts, retry, discard.

use super::harness::{Fixture, T0, batch, claim, keys, seed, settle};
use crate::store::*;

pub(super) async fn retry_and_discard_follow_operator_rules(fx: &mut dyn Fixture) {
    let store = fx.store();
    let run = seed(&*store, "calls", &["held-1", "failed", "done", "held-2"]).await;
    let items = claim(&*store, "w", T0, 60_000, 10).await;
    // `held-1` was cut off while its request was in flight: its step stays uncertain.
    store
        .begin_step(StepBegin {
            item_id: items[0].id,
            claim_token: items[0].claim_token.clone(),
            step_id: "deal".into(),
            attempt: 1,
            now: T0 + 1,
        })
        .await
        .unwrap();
    settle(&*store, &items[0], ItemStatus::Held, None, T0 + 2).await;
    settle(&*store, &items[1], ItemStatus::Failed, None, T0 + 2).await;
    settle(&*store, &items[2], ItemStatus::Succeeded, None, T0 + 2).await;
    settle(&*store, &items[3], ItemStatus::Held, None, T0 + 2).await;

    // Retry one held item: it is due again, and its uncertain step will be sent again.
    assert_eq!(
        store
            .retry_items(ItemTarget::Item(items[0].id), T0 + 10)
            .await
            .unwrap(),
        1
    );
    let retried = claim(&*store, "w", T0 + 10, 60_000, 10).await;
    assert_eq!(keys(&retried), ["held-1"]);
    assert_eq!(retried[0].steps[0].status, StepStatus::Failed);
    assert_eq!(
        retried[0].steps[0].error.as_deref(),
        Some(crate::store::records::RETRIED_UNCERTAIN)
    );
    // Running and final items are not operator targets.
    assert_eq!(
        store
            .retry_items(ItemTarget::Item(items[0].id), T0 + 11)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .retry_items(ItemTarget::Item(items[2].id), T0 + 11)
            .await
            .unwrap(),
        0
    );

    // Discard takes held items only.
    assert_eq!(
        store
            .discard_items(ItemTarget::Run(run), T0 + 12)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .discard_items(ItemTarget::Item(items[1].id), T0 + 12)
            .await
            .unwrap(),
        0
    );
    // Retry of the run: the failed item; the discarded one stays discarded.
    assert_eq!(
        store
            .retry_items(ItemTarget::Run(run), T0 + 13)
            .await
            .unwrap(),
        1
    );

    let detail = store.run_detail(run).await.unwrap().unwrap();
    let statuses: Vec<_> = detail
        .items
        .iter()
        .map(|i| (i.key.as_str(), i.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("held-1", ItemStatus::Running),
            ("failed", ItemStatus::Pending),
            ("done", ItemStatus::Succeeded),
            ("held-2", ItemStatus::Discarded),
        ]
    );
    assert_eq!(detail.items[1].error, None, "a retried item starts clean");
    assert_eq!(
        detail.items[3].error.as_deref(),
        Some("held because of a test"),
        "discard keeps the reason"
    );
}

pub(super) async fn runs_list_with_counts_and_detail(fx: &mut dyn Fixture) {
    let store = fx.store();
    store
        .upsert_bundle(BundleRecord {
            id: "calls".into(),
            name: "Old name".into(),
            path: "a.yaml".into(),
            now: T0,
        })
        .await
        .unwrap();
    store
        .upsert_bundle(BundleRecord {
            id: "calls".into(),
            name: "Calls to CRM".into(),
            path: "b.yaml".into(),
            now: T0,
        })
        .await
        .unwrap();
    let calls = seed(&*store, "calls", &["a", "b", "c"]).await;
    let forms = seed(&*store, "forms", &["f"]).await;
    let empty = store
        .start_run(NewRun {
            bundle_id: "calls".into(),
            started_at: T0 + 5,
        })
        .await
        .unwrap();

    let items = claim(&*store, "w", T0, 60_000, 3).await;
    store
        .finish_step(StepFinish {
            item_id: items[0].id,
            claim_token: items[0].claim_token.clone(),
            step_id: "deal".into(),
            status: StepStatus::Succeeded,
            attempts: 1,
            output: Some(serde_json::json!({ "id": 1 })),
            error: None,
            now: T0 + 1,
        })
        .await
        .unwrap();
    settle(&*store, &items[0], ItemStatus::Succeeded, None, T0 + 2).await;
    settle(
        &*store,
        &items[1],
        ItemStatus::Waiting,
        Some(T0 + 60_000),
        T0 + 2,
    )
    .await;
    // items[2] stays running.

    store
        .finish_run(RunFinish {
            run_id: calls,
            status: RunStatus::Polled,
            items_seen: 5,
            error: None,
            finished_at: T0 + 3,
        })
        .await
        .unwrap();
    let failure = Some("source answered 401".to_owned());
    store
        .finish_run(RunFinish {
            run_id: forms,
            status: RunStatus::PollFailed,
            items_seen: 0,
            error: failure.clone(),
            finished_at: T0 + 4,
        })
        .await
        .unwrap();
    let missing = RunFinish {
        run_id: empty + 100,
        status: RunStatus::Polled,
        items_seen: 0,
        error: None,
        finished_at: T0,
    };
    assert!(matches!(
        store.finish_run(missing).await,
        Err(StoreError::NotFound(_))
    ));

    let all = store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .unwrap();
    let ids: Vec<RunId> = all.iter().map(|r| r.id).collect();
    assert_eq!(ids, [empty, forms, calls], "newest first");
    assert_eq!(all[0].status, RunStatus::Polling);
    assert_eq!(all[0].finished_at, None);
    assert_eq!(all[0].counts, ItemCounts::default());
    assert_eq!(
        all[1].bundle_name, "forms",
        "no bundle record: the id stands in"
    );
    assert_eq!(all[1].status, RunStatus::PollFailed);
    assert_eq!(all[1].error, failure);
    let run = &all[2];
    assert_eq!(run.bundle_name, "Calls to CRM");
    assert_eq!(
        (run.items_seen, run.items_new, run.finished_at),
        (5, 3, Some(T0 + 3))
    );
    assert_eq!(
        run.counts,
        ItemCounts {
            in_progress: 1,
            waiting: 1,
            succeeded: 1,
            ..ItemCounts::default()
        }
    );

    let calls_only = store
        .list_runs(RunQuery {
            bundle_id: Some("calls".into()),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(
        calls_only.iter().map(|r| r.id).collect::<Vec<_>>(),
        [empty, calls]
    );
    let newest = store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].id, empty);

    let detail = store.run_detail(calls).await.unwrap().unwrap();
    assert_eq!(detail.run.counts, run.counts);
    assert_eq!(
        detail.items[0].steps[0].output,
        Some(serde_json::json!({ "id": 1 }))
    );
    assert_eq!(detail.items[1].status, ItemStatus::Waiting);
    assert_eq!(detail.items[1].due_at, Some(T0 + 60_000));
    assert_eq!(
        detail.items[1].error.as_deref(),
        Some("waiting because of a test")
    );
    assert_eq!(detail.items[2].status, ItemStatus::Running);
    assert!(store.run_detail(empty + 100).await.unwrap().is_none());

    assert_eq!(
        store.item_counts(Some("calls")).await.unwrap(),
        ItemCounts {
            in_progress: 1,
            waiting: 1,
            succeeded: 1,
            ..ItemCounts::default()
        }
    );
    assert_eq!(store.item_counts(None).await.unwrap().in_progress, 2);
}

/// Reactivation: undelivered items queued within the window are due again; older
/// undelivered or queued ones are dropped; delivered items and other bundles are untouched.
pub(super) async fn resend_window_resends_recent_and_drops_older(fx: &mut dyn Fixture) {
    const DAY: i64 = 24 * 3600 * 1000;
    let store = fx.store();
    let run = store
        .start_run(NewRun {
            bundle_id: "hooks".into(),
            started_at: T0,
        })
        .await
        .unwrap();
    store
        .enqueue(batch("hooks", run, &["old-waiting", "old-pending"], None))
        .await
        .unwrap();
    let mut recent = batch(
        "hooks",
        run,
        &["new-waiting", "new-failed", "new-done"],
        None,
    );
    recent.now = T0 + 5 * DAY;
    store.enqueue(recent).await.unwrap();
    seed(&*store, "other", &["other-waiting"]).await;

    let now = T0 + 5 * DAY + 1;
    let items = claim(&*store, "w", now, 60_000, 10).await;
    assert_eq!(items.len(), 6);
    let far = Some(now + 30 * DAY);
    for item in &items {
        match item.key.as_str() {
            "old-pending" => {}
            "new-failed" => settle(&*store, item, ItemStatus::Failed, None, now).await,
            "new-done" => settle(&*store, item, ItemStatus::Succeeded, None, now).await,
            _ => settle(&*store, item, ItemStatus::Waiting, far, now).await,
        }
    }
    store.release_claims("w").await.unwrap();

    let outcome = store
        .resend_window(ResendRequest {
            bundle_id: "hooks".into(),
            since: T0 + 4 * DAY,
            now: now + 10,
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ResendOutcome {
            resent: 2,
            dropped: 2
        }
    );
    let due = claim(&*store, "w", now + 10, 60_000, 10).await;
    let mut due_keys = keys(&due);
    due_keys.sort();
    assert_eq!(
        due_keys,
        ["new-failed", "new-waiting"],
        "the other bundle's waiting item is not due"
    );
    let counts = store.item_counts(Some("hooks")).await.unwrap();
    assert_eq!((counts.discarded, counts.succeeded), (2, 1));
}
