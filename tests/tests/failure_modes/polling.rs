//! Bad input from the source: a page that fails mid-poll leaves the cursor where it was
//! (nothing skipped, nothing queued twice), items the filter drops are recorded and never
//! sent, and an item lacking a field a template reads fails alone, naming the field.

use ferry::store::{ItemStatus, RunQuery, RunStatus, StepStatus};
use ferry_connectors::emulation::Fault;
use serde_json::json;

use crate::fake_api::{FakeApi, Reply};
use crate::harness::{
    DEAL_STEP, all_items, http_bundle, http_bundle_paged, item, lead, leaks_token, world,
};

#[tokio::test]
async fn failed_page_leaves_the_cursor_and_the_next_poll_queues_the_rest_once() {
    let api = FakeApi::start().await;
    for id in 1..=5 {
        api.add_lead(lead(id, &format!("7916000000{id}")));
    }
    // Two leads a page: page 1 (no since_id) is fine, page 2 (after id 2) breaks.
    api.script("GET /leads since_id=2", Reply::Fault(Fault::status(500)));
    let world = world();
    let engine = world
        .engine(vec![http_bundle_paged(&api, "paged", 2, DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    let report = engine.tick().await.unwrap();
    let poll = &report.bundles[0].poll;
    assert_eq!((poll.items_seen, poll.items_new), (2, 2), "{poll:?}");
    let runs = store
        .list_runs(RunQuery {
            bundle_id: Some("paged".into()),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::PollFailed, "{runs:?}");
    let error = runs[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("poll of `api.poll`") && error.contains("HTTP 500"),
        "{error}"
    );
    assert_eq!(
        store.cursor("paged").await.unwrap(),
        None,
        "the cursor did not move"
    );
    // Page 1's items were queued and processed all the same.
    let keys: Vec<String> = all_items(store.as_ref())
        .await
        .into_iter()
        .map(|i| i.key)
        .collect();
    assert_eq!(keys, ["1", "2"]);
    assert_eq!(api.deals().len(), 2);

    world.next_tick();
    let report = engine.tick().await.unwrap();
    let poll = &report.bundles[0].poll;
    assert_eq!(poll.error, None);
    assert_eq!(
        (poll.items_seen, poll.items_new),
        (5, 3),
        "page 1 again, then pages 2 and 3: {poll:?}"
    );
    assert_eq!(store.cursor("paged").await.unwrap(), Some(json!(5)));
    let since: Vec<Option<String>> = api
        .requests("GET", "/leads")
        .iter()
        .map(|r| r.query_param("since_id").map(str::to_string))
        .collect();
    let expected: Vec<Option<String>> = vec![
        None,
        Some("2".into()),
        None,
        Some("2".into()),
        Some("4".into()),
    ];
    assert_eq!(since, expected);

    let items = all_items(store.as_ref()).await;
    let mut keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["1", "2", "3", "4", "5"], "each lead queued once");
    assert!(
        items.iter().all(|i| i.status == ItemStatus::Succeeded),
        "{items:?}"
    );
    let mut leads: Vec<i64> = api
        .deals()
        .iter()
        .map(|d| d["lead"].as_i64().unwrap())
        .collect();
    leads.sort();
    assert_eq!(leads, [1, 2, 3, 4, 5], "one deal per lead");

    // The next poll starts after the stored cursor.
    world.next_tick();
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 0);
    let last = api.requests("GET", "/leads").pop().unwrap();
    assert_eq!(last.query_param("since_id"), Some("5"));
}

#[tokio::test]
async fn filtered_items_are_recorded_and_never_sent() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.add_lead(json!({"id": 2, "phone": "79160000002", "status": "complete"}));
    api.add_lead(json!({"id": 3, "phone": "79160000003"})); // no status: not `complete`
    api.add_lead(json!({"id": 4, "phone": "79160000004", "status": "complete"}));
    let world = world();
    let rest = format!("filter: \"status != complete\"\n{}", DEAL_STEP);
    let engine = world
        .engine(vec![http_bundle(&api, "filtered", &rest)])
        .await;
    let store = engine.store().clone();

    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.filtered, 2, "{report:?}");
    assert_eq!(report.counts.succeeded, 2, "{report:?}");
    for key in ["2", "4"] {
        let dropped = item(store.as_ref(), key).await;
        assert_eq!(dropped.status, ItemStatus::Filtered, "{dropped:?}");
        assert!(dropped.steps.is_empty(), "{dropped:?}");
    }
    let mut leads: Vec<i64> = api
        .deals()
        .iter()
        .map(|d| d["lead"].as_i64().unwrap())
        .collect();
    leads.sort();
    assert_eq!(leads, [1, 3]);
    assert_eq!(
        api.requests("POST", "/deals").len(),
        2,
        "nothing sent for filtered items"
    );
    let runs = store
        .list_runs(RunQuery {
            bundle_id: Some("filtered".into()),
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(runs[0].counts.filtered, 2, "{runs:?}");
}

#[tokio::test]
async fn missing_template_field_fails_only_that_item_and_names_it() {
    let api = FakeApi::start().await;
    api.add_lead(json!({"id": 1, "phone": "79160000001", "campaign": "spring"}));
    api.add_lead(json!({"id": 2, "phone": "79160000002"}));
    api.add_lead(json!({"id": 3, "phone": "79160000003", "campaign": "autumn"}));
    let world = world();
    let rest = r#"
steps:
  - id: deal
    action: api.request
    with:
      path: /deals
      body:
        object:
          lead: { from: item.id }
          phone: { from: item.phone }
          note: "Lead from the {{item.campaign}} campaign"
      outputs: { id: id }
"#;
    let engine = world.engine(vec![http_bundle(&api, "strict", rest)]).await;
    let store = engine.store().clone();

    engine.tick().await.unwrap();
    let failed = item(store.as_ref(), "2").await;
    assert_eq!(failed.status, ItemStatus::Failed, "{failed:?}");
    assert_eq!(failed.steps[0].status, StepStatus::Failed);
    assert_eq!(failed.steps[0].attempts, 0, "nothing was sent");
    let error = failed.error.unwrap_or_default();
    assert!(
        error.contains("item.campaign"),
        "the error names the missing field: {error}"
    );
    assert_eq!(api.deal_attempts_for(2), 0);
    for key in ["1", "3"] {
        assert_eq!(
            item(store.as_ref(), key).await.status,
            ItemStatus::Succeeded
        );
    }
    let notes: Vec<String> = api
        .deals()
        .iter()
        .map(|d| d["note"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(
        notes.contains(&"Lead from the spring campaign".to_string()),
        "{notes:?}"
    );
}

/// A source that refuses its credentials marks its connection broken (as `ferry
/// connections` and `ferry runs` show it), queues nothing and keeps its cursor; the next
/// poll that is let in clears the mark and reads everything.
#[tokio::test]
async fn a_source_refusing_its_credentials_is_shown_broken_until_a_poll_works() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    api.script(
        "GET /leads",
        Reply::Fault(Fault::status(401).with_body(r#"{"error":"invalid api key"}"#)),
    );
    let world = world();
    let engine = world
        .engine(vec![http_bundle(&api, "refused", DEAL_STEP)])
        .await;
    let store = engine.store().clone();

    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 0);
    let broken = store.broken_connections().await.unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(
        (broken[0].bundle_id.as_str(), broken[0].connection.as_str()),
        ("refused", "api")
    );
    assert!(broken[0].reason.contains("401"), "{:?}", broken[0].reason);
    assert!(!leaks_token(&broken[0].reason), "{:?}", broken[0].reason);
    assert_eq!(store.cursor("refused").await.unwrap(), None);

    world.next_tick();
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 1);
    assert!(store.broken_connections().await.unwrap().is_empty());
    assert_eq!(api.deals().len(), 1);
}
