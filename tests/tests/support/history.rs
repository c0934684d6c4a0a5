//! What the store recorded for a bundle, read the way the end-to-end tests check it:
//! item counts, every item with its steps, and the items that went wrong.

use ferry::runtime::Engine;
use ferry::store::{ItemCounts, ItemDetail, ItemStatus, RunQuery};

/// Item counts of one bundle.
pub async fn counts(engine: &Engine, bundle_id: &str) -> ItemCounts {
    engine
        .store()
        .item_counts(Some(bundle_id))
        .await
        .expect("item counts")
}

/// Every item of one bundle with its steps, oldest run first.
pub async fn items(engine: &Engine, bundle_id: &str) -> Vec<ItemDetail> {
    let mut runs = engine
        .store()
        .list_runs(RunQuery {
            bundle_id: Some(bundle_id.to_string()),
            limit: 1000,
        })
        .await
        .expect("runs");
    runs.reverse();
    let mut items = Vec::new();
    for run in runs {
        let detail = engine.store().run_detail(run.id).await.expect("run detail");
        items.extend(detail.into_iter().flat_map(|d| d.items));
    }
    items
}

/// `key: status: error` of every item of `bundle_id` that neither succeeded nor was
/// filtered out.
pub async fn unsuccessful(engine: &Engine, bundle_id: &str) -> Vec<String> {
    items(engine, bundle_id)
        .await
        .into_iter()
        .filter(|i| !matches!(i.status, ItemStatus::Succeeded | ItemStatus::Filtered))
        .map(|i| format!("{}: {:?}: {:?}", i.key, i.status, i.error))
        .collect()
}
