//! The durable writes of one item run, in order, with as few transactions as the order
//! allows.
//!
//! A step that succeeded does not need its own transaction: its result only has to be
//! committed before anything else happens for the item. So the result is held back and
//! written together with the next write the item makes anyway: the next step's `sending`
//! mark ([`Store::finish_step_and_begin`]) or the item's settlement
//! ([`Store::finish_step_and_settle`]). Before anything else (a lookup request, another
//! step's outcome, stopping for shutdown) it is written on its own ([`StepWrites::flush`]).
//!
//! What this keeps: a step's result is committed before the next step's request (lookup
//! or action) is sent, and a step's `sending` mark before its own request.

use std::sync::Mutex;

use crate::store::{ItemSettle, StepBegin, StepFinish, Store, StoreError};

/// An item's writes, with at most one succeeded step's result held back.
pub struct StepWrites<'a> {
    store: &'a dyn Store,
    held: Mutex<Option<StepFinish>>,
}

impl<'a> StepWrites<'a> {
    /// Writes of one item to `store`.
    pub fn new(store: &'a dyn Store) -> StepWrites<'a> {
        StepWrites {
            store,
            held: Mutex::new(None),
        }
    }

    fn take_held(&self) -> Option<StepFinish> {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Hold back a succeeded step's result until the item's next write. Whatever was held
    /// before is written first (a caller never holds two, but nothing is ever dropped).
    pub async fn finish_later(&self, finish: StepFinish) -> Result<(), StoreError> {
        self.flush().await?;
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(finish);
        Ok(())
    }

    /// Write the held result, if any, on its own. Called before any request other than
    /// the next step's action, and before stopping.
    pub async fn flush(&self) -> Result<(), StoreError> {
        match self.take_held() {
            Some(held) => self.store.finish_step(held).await,
            None => Ok(()),
        }
    }

    /// Record a step's outcome now (after the held result, if any).
    pub async fn finish(&self, finish: StepFinish) -> Result<(), StoreError> {
        self.flush().await?;
        self.store.finish_step(finish).await
    }

    /// Mark a step `sending` before its request goes out, with the held result in the same
    /// transaction.
    pub async fn begin(&self, begin: StepBegin) -> Result<(), StoreError> {
        match self.take_held() {
            Some(held) => self.store.finish_step_and_begin(held, begin).await,
            None => self.store.begin_step(begin).await,
        }
    }

    /// Settle the item, with the held result in the same transaction.
    pub async fn settle(&self, settle: ItemSettle) -> Result<(), StoreError> {
        match self.take_held() {
            Some(held) => self.store.finish_step_and_settle(held, settle).await,
            None => self.store.settle_item(settle).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        ClaimRequest, EnqueueBatch, ItemStatus, NewItem, NewRun, SqliteStore, StepStatus,
    };

    async fn claimed_item(store: &SqliteStore) -> crate::store::ClaimedItem {
        store.migrate().await.unwrap();
        let run_id = store
            .start_run(NewRun {
                bundle_id: "b".into(),
                started_at: 1,
            })
            .await
            .unwrap();
        store
            .enqueue(EnqueueBatch {
                bundle_id: "b".into(),
                run_id,
                items: vec![NewItem {
                    key: "k".into(),
                    payload: serde_json::json!({}),
                }],
                cursor: None,
                now: 1,
            })
            .await
            .unwrap();
        store
            .claim_items(ClaimRequest {
                worker: "w".into(),
                bundle_ids: None,
                limit: 1,
                now: 2,
                lease_ms: 60_000,
            })
            .await
            .unwrap()
            .remove(0)
    }

    fn succeeded(item: &crate::store::ClaimedItem, step: &str) -> StepFinish {
        StepFinish {
            item_id: item.id,
            claim_token: item.claim_token.clone(),
            step_id: step.into(),
            status: StepStatus::Succeeded,
            attempts: 1,
            output: Some(serde_json::json!({"id": step})),
            error: None,
            now: 3,
        }
    }

    async fn steps(store: &SqliteStore) -> Vec<(String, StepStatus)> {
        let detail = store.run_detail(1).await.unwrap().unwrap();
        detail.items[0]
            .steps
            .iter()
            .map(|s| (s.step_id.clone(), s.status))
            .collect()
    }

    /// A held result reaches the store with the next `sending` mark or the settlement,
    /// in chain order, and a flush writes it on its own.
    #[tokio::test]
    async fn held_results_are_written_with_the_next_write_in_chain_order() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        let item = claimed_item(&store).await;
        let writes = StepWrites::new(&store);
        writes
            .finish_later(succeeded(&item, "first"))
            .await
            .unwrap();
        assert!(steps(&store).await.is_empty(), "held, not yet written");
        writes
            .begin(StepBegin {
                item_id: item.id,
                claim_token: item.claim_token.clone(),
                step_id: "second".into(),
                attempt: 1,
                now: 4,
            })
            .await
            .unwrap();
        assert_eq!(
            steps(&store).await,
            [
                ("first".to_string(), StepStatus::Succeeded),
                ("second".to_string(), StepStatus::Sending)
            ]
        );
        writes
            .finish_later(succeeded(&item, "second"))
            .await
            .unwrap();
        writes.flush().await.unwrap();
        assert_eq!(steps(&store).await[1].1, StepStatus::Succeeded);
        writes
            .finish_later(succeeded(&item, "third"))
            .await
            .unwrap();
        writes
            .settle(ItemSettle {
                item_id: item.id,
                claim_token: item.claim_token.clone(),
                status: ItemStatus::Succeeded,
                due_at: None,
                error: None,
                now: 5,
            })
            .await
            .unwrap();
        let names: Vec<String> = steps(&store).await.into_iter().map(|s| s.0).collect();
        assert_eq!(names, ["first", "second", "third"]);
        assert_eq!(store.item_counts(None).await.unwrap().succeeded, 1);
    }
}
