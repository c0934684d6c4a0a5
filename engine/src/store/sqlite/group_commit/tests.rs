//! Group commit keeps each caller's answer exactly what a lone write would get: batched
//! writes commit together, a lost claim fails only its own write, and a database error or a
//! half-fenced write rolls the batch back and replays it one write at a time.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::store::sqlite::SqliteStore;
use crate::store::*;

const NOW: Timestamp = 1_767_225_600_000;

/// An in-memory store with `n` claimed items; returns the store and the claims.
async fn claimed(n: usize) -> (SqliteStore, Vec<ClaimedItem>) {
    let store = SqliteStore::open_in_memory().await.unwrap();
    store.migrate().await.unwrap();
    let run = store
        .start_run(NewRun {
            bundle_id: "calls".into(),
            started_at: NOW,
        })
        .await
        .unwrap();
    let items = (0..n)
        .map(|i| NewItem {
            key: format!("call-{i}"),
            payload: json!({ "i": i }),
        })
        .collect();
    store
        .enqueue(EnqueueBatch {
            bundle_id: "calls".into(),
            run_id: run,
            items,
            cursor: None,
            now: NOW,
        })
        .await
        .unwrap();
    let claims = store
        .claim_items(ClaimRequest {
            worker: "w1".into(),
            bundle_ids: None,
            limit: n as u32,
            now: NOW,
            lease_ms: 60_000,
        })
        .await
        .unwrap();
    assert_eq!(claims.len(), n);
    (store, claims)
}

fn begin(item: &ClaimedItem, step: &str) -> StepBegin {
    StepBegin {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        step_id: step.into(),
        attempt: 1,
        now: NOW,
    }
}

fn finish(item: &ClaimedItem, step: &str) -> StepFinish {
    StepFinish {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        step_id: step.into(),
        status: StepStatus::Succeeded,
        attempts: 1,
        output: Some(json!({ "id": item.id })),
        error: None,
        now: NOW + 1,
    }
}

fn settle(item: &ClaimedItem) -> ItemSettle {
    ItemSettle {
        item_id: item.id,
        claim_token: item.claim_token.clone(),
        status: ItemStatus::Succeeded,
        due_at: None,
        error: None,
        now: NOW + 2,
    }
}

async fn status_of(store: &SqliteStore, item_id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM items WHERE id = ?")
        .bind(item_id)
        .fetch_one(&store.reader)
        .await
        .unwrap()
}

async fn steps_of(store: &SqliteStore, item_id: i64) -> Vec<(String, String)> {
    sqlx::query_as("SELECT step_id, status FROM step_results WHERE item_id = ? ORDER BY seq")
        .bind(item_id)
        .fetch_all(&store.reader)
        .await
        .unwrap()
}

/// Run `writes` while the writer connection is held elsewhere, so that every one of them is
/// queued before the committing task can start: they then form one batch.
async fn queued_together<F, T>(store: &SqliteStore, writes: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    let held = store.writer.acquire().await.unwrap();
    let all = join_all(writes);
    tokio::pin!(all);
    // Let every write reach the queue; the committer then waits for the held connection.
    let early = tokio::time::timeout(Duration::from_millis(50), &mut all).await;
    assert!(
        early.is_err(),
        "no write can finish while the writer is held"
    );
    drop(held);
    all.await
}

#[tokio::test]
async fn a_batch_of_writes_from_many_items_commits_in_one_transaction() {
    let (store, items) = claimed(40).await;
    let before = store.commits.transactions();
    let writes = items
        .iter()
        .map(|item| store.finish_step_and_settle(finish(item, "order"), settle(item)))
        .collect();
    let answers = queued_together(&store, writes).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(store.commits.transactions() - before, 1);
    for item in &items {
        assert_eq!(status_of(&store, item.id).await, "succeeded");
        assert_eq!(
            steps_of(&store, item.id).await,
            vec![("order".to_string(), "succeeded".to_string())]
        );
    }
}

#[tokio::test]
async fn a_lost_claim_fails_only_its_own_write_and_the_batch_still_commits() {
    let (store, items) = claimed(5).await;
    let mut stale = items[2].clone();
    stale.claim_token = "taken-over-by-another-worker".into();
    let before = store.commits.transactions();
    let writes = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let item = if i == 2 { stale.clone() } else { item.clone() };
            let store = &store;
            async move { store.begin_step(begin(&item, "customer")).await }
        })
        .collect();
    let answers = queued_together(&store, writes).await;
    assert_eq!(store.commits.transactions() - before, 1);
    for (i, answer) in answers.iter().enumerate() {
        if i == 2 {
            assert!(
                matches!(answer, Err(StoreError::LostClaim { item_id }) if *item_id == items[2].id),
                "{answer:?}"
            );
            assert!(steps_of(&store, items[2].id).await.is_empty());
        } else {
            assert!(answer.is_ok(), "{answer:?}");
            assert_eq!(
                steps_of(&store, items[i].id).await,
                vec![("customer".to_string(), "sending".to_string())]
            );
        }
    }
}

#[tokio::test]
async fn a_database_error_in_a_batch_replays_it_one_write_at_a_time() {
    let (store, items) = claimed(6).await;
    // A write the database refuses: only its caller may see the error.
    sqlx::query(
        "CREATE TRIGGER refuse_explode BEFORE INSERT ON step_results \
         WHEN NEW.step_id = 'explode' BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END",
    )
    .execute(&store.writer)
    .await
    .unwrap();
    let before = store.commits.transactions();
    let writes = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let step = if i == 3 { "explode" } else { "customer" };
            store.begin_step(begin(item, step))
        })
        .collect();
    let answers = queued_together(&store, writes).await;
    // The batch rolled back; each write then committed alone (the refused one did not).
    assert_eq!(store.commits.transactions() - before, 5);
    for (i, answer) in answers.iter().enumerate() {
        if i == 3 {
            let message = answer.as_ref().unwrap_err().to_string();
            assert!(message.contains("refused by trigger"), "{message}");
            assert!(steps_of(&store, items[3].id).await.is_empty());
        } else {
            assert!(answer.is_ok(), "{answer:?}");
            assert_eq!(steps_of(&store, items[i].id).await.len(), 1);
        }
    }
}

#[tokio::test]
async fn a_write_fenced_half_way_keeps_neither_half() {
    let (store, items) = claimed(3).await;
    let before = store.commits.transactions();
    // The step's outcome passes its fence but the settlement does not: neither may stay.
    let mut half = settle(&items[1]);
    half.claim_token = "another-token".into();
    let writes = vec![
        (finish(&items[0], "order"), settle(&items[0])),
        (finish(&items[1], "order"), half),
        (finish(&items[2], "order"), settle(&items[2])),
    ];
    // Straight to the committer: the store method refuses mismatched tokens up front.
    let writes = writes
        .into_iter()
        .map(|(f, s)| {
            store
                .commits
                .write(super::FencedWrite::FinishAndSettle(f, s))
        })
        .collect();
    let answers = queued_together(&store, writes).await;
    assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(
        matches!(answers[1], Err(StoreError::LostClaim { .. })),
        "{answers:?}"
    );
    assert_eq!(store.commits.transactions() - before, 2);
    assert!(steps_of(&store, items[1].id).await.is_empty());
    assert_eq!(status_of(&store, items[1].id).await, "running");
    assert_eq!(status_of(&store, items[0].id).await, "succeeded");
    assert_eq!(status_of(&store, items[2].id).await, "succeeded");
}

#[tokio::test]
async fn writes_after_the_store_is_closed_fail_instead_of_hanging() {
    let (store, items) = claimed(1).await;
    let commits = store.commits.clone();
    store.close().await;
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        commits.write(super::FencedWrite::Begin(begin(&items[0], "customer"))),
    )
    .await
    .expect("an answer, not a hang");
    assert!(answer.is_err(), "{answer:?}");
}
