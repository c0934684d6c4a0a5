//! `order_status_changed`: pages followed to the end, every status change exactly once,
//! other history records skipped but passed by the cursor, nothing lost between polls or
//! while a poll is paging, and the first poll starting at "now".

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{KEY, Target};
use crate::conformance::{PollArgs, assert_exactly_once, drain_poll, object};
use crate::connector::PollRequest;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 14, 7, 0, 0).unwrap()
}

fn status_ids(target: &Target) -> Vec<String> {
    target
        .emulator
        .history()
        .iter()
        .filter(|h| h["field"] == "status")
        .map(|h| h["id"].to_string())
        .collect()
}

#[tokio::test]
async fn status_changes_are_read_page_by_page_each_exactly_once() {
    let target = Target::start().await;
    let orders: Vec<i64> = (0..30)
        .map(|i| {
            target
                .emulator
                .add_order(json!({"externalId": format!("D-{i}")}))
        })
        .collect();
    for (i, id) in orders.iter().enumerate() {
        target.emulator.set_order_status(*id, "assembling");
        if i % 3 == 0 {
            target
                .emulator
                .edit_order_as_user(*id, "managerComment", json!(format!("note {i}")));
        }
    }
    let last = target.emulator.edit_order_as_user(
        orders[0],
        "managerComment",
        json!("the very last edit"),
    );
    let settings = object(json!({"page_size": 20}));
    let connector = target.connector();
    let drained = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: Some(json!(0)),
            now: now(),
        },
    )
    .await
    .unwrap();
    // 30 creations + 30 changes = 60 status records, 11 comment edits among them: 71 records.
    assert_eq!(target.emulator.history().len(), 71);
    assert_eq!(drained.pages, 4);
    assert_exactly_once(&drained.items, "history_id", status_ids(&target));
    assert_eq!(
        drained.cursor,
        Some(json!(last)),
        "the cursor passes the skipped records too"
    );

    let pages: Vec<String> = target
        .emulator
        .log()
        .matching("GET", "/api/v5/orders/history")
        .iter()
        .map(|r| r.query_param("page").unwrap_or_default().to_string())
        .collect();
    assert_eq!(pages, ["1", "2", "3", "4"]);
    for request in target
        .emulator
        .log()
        .matching("GET", "/api/v5/orders/history")
    {
        assert_eq!(
            request.query_param("filter[sinceId]"),
            Some("0"),
            "sinceId stays fixed within a poll"
        );
        assert_eq!(request.query_param("limit"), Some("20"));
        assert_eq!(request.header("x-api-key"), Some(KEY));
    }
}

#[tokio::test]
async fn items_carry_the_changed_order_in_full() {
    let target = Target::start().await;
    let id = target.emulator.add_order(json!({"externalId": "D-1001", "status": "new",
        "items": [{"initialPrice": 1000, "quantity": 2}], "discountManualAmount": 150, "delivery": {"cost": 300}}));
    let change = target.emulator.set_order_status(id, "complete");
    let connector = target.connector();
    let settings = Map::new();
    let drained = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: Some(json!(1)),
            now: now(),
        },
    )
    .await
    .unwrap();
    assert_eq!(drained.items.len(), 1);
    let item = &drained.items[0];
    assert_eq!(item["history_id"], change);
    assert_eq!(item["order_id"], id);
    assert_eq!(item["order_external_id"], "D-1001");
    assert_eq!(item["order_number"], format!("{id}A"));
    assert_eq!(item["status"], "complete");
    assert_eq!(item["old_status"], "new");
    assert_eq!(item["created"], false);
    assert_eq!(item["source"], "user");
    assert_eq!(item["total_summ"], json!(2150.0));
    assert_eq!(item["order"]["items"][0]["quantity"], 2);
    let fetch = target.emulator.log().matching("GET", "/api/v5/orders");
    assert_eq!(fetch.len(), 1);
    assert_eq!(
        fetch[0].query_all("filter[ids][]"),
        vec![id.to_string().as_str()]
    );

    // Without the fetch, items carry the history's short order object.
    target.emulator.log().clear();
    let lean = object(json!({"fetch_orders": false}));
    let drained = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &lean,
            cursor: Some(json!(1)),
            now: now(),
        },
    )
    .await
    .unwrap();
    assert_eq!(drained.items[0]["total_summ"], Value::Null);
    assert_eq!(drained.items[0]["order_external_id"], "D-1001");
    assert!(
        target
            .emulator
            .log()
            .matching("GET", "/api/v5/orders")
            .is_empty()
    );
}

#[tokio::test]
async fn nothing_is_lost_between_polls_or_while_a_poll_is_paging() {
    let target = Target::start().await;
    let connector = target.connector();
    let order = target.emulator.add_order(json!({}));
    for _ in 0..12 {
        target.emulator.set_order_status(order, "assembling");
        target.emulator.set_order_status(order, "new");
    }
    let settings = object(json!({"page_size": 20}));
    let mut delivered: Vec<Value> = Vec::new();

    // First poll, paged by hand so that changes land between its pages.
    let cursor = json!(0);
    let first = connector
        .poll(PollRequest {
            event: "order_status_changed",
            settings: &settings,
            cursor: Some(&cursor),
            page: None,
            now: now(),
        })
        .await
        .unwrap();
    delivered.extend(first.items);
    target.emulator.set_order_status(order, "complete");
    let mut page = first.next_page.clone();
    let mut stored = first.cursor.clone();
    while let Some(token) = page {
        let next = connector
            .poll(PollRequest {
                event: "order_status_changed",
                settings: &settings,
                cursor: Some(&cursor),
                page: Some(&token),
                now: now(),
            })
            .await
            .unwrap();
        delivered.extend(next.items);
        stored = next.cursor.or(stored);
        page = next.next_page;
    }

    // Changes after the poll completed.
    target.emulator.set_order_status(order, "delivering");
    target.emulator.set_order_status(order, "complete");
    let second = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: stored,
            now: now(),
        },
    )
    .await
    .unwrap();
    delivered.extend(second.items);
    // A poll with nothing new keeps the cursor where it was.
    let third = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: second.cursor.clone(),
            now: now(),
        },
    )
    .await
    .unwrap();
    assert!(third.items.is_empty());
    assert_eq!(third.cursor, second.cursor);

    assert_exactly_once(&delivered, "history_id", status_ids(&target));
}

#[tokio::test]
async fn the_first_poll_starts_now_instead_of_replaying_the_history() {
    let target = Target::start().await;
    let day = NaiveDate::from_ymd_opt(2024, 5, 14).unwrap();
    target.emulator.set_clock(day.and_hms_opt(9, 0, 0).unwrap());
    let old = target.emulator.add_order(json!({}));
    target.emulator.set_order_status(old, "complete");

    let connector = target.connector();
    let settings = Map::new();
    // 10:00 Moscow time.
    let at_ten = Utc.with_ymd_and_hms(2024, 5, 14, 7, 0, 0).unwrap();
    let first = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: None,
            now: at_ten,
        },
    )
    .await
    .unwrap();
    assert!(first.items.is_empty(), "old history is not replayed");
    assert_eq!(
        first.cursor,
        Some(json!({"startDate": "2024-05-14 09:59:00"}))
    );
    assert_eq!(
        target
            .emulator
            .log()
            .last()
            .unwrap()
            .query_param("filter[startDate]"),
        Some("2024-05-14 09:59:00")
    );

    target
        .emulator
        .set_clock(day.and_hms_opt(10, 3, 0).unwrap());
    let change = target.emulator.set_order_status(old, "delivering");
    let second = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &settings,
            cursor: first.cursor,
            now: at_ten,
        },
    )
    .await
    .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0]["history_id"], change);
    assert_eq!(
        second.cursor,
        Some(json!(change)),
        "from now on the cursor is a history id"
    );
}

#[tokio::test]
async fn the_emulator_accepts_only_the_documented_page_sizes() {
    let target = Target::start().await;
    let url = format!(
        "{}/api/v5/orders/history?limit=30",
        target.emulator.base_url()
    );
    let response = reqwest::Client::new()
        .get(&url)
        .header("X-API-KEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["errorMsg"], "Errors in the input parameters");
    assert!(
        body["errors"]["limit"]
            .as_str()
            .unwrap()
            .contains("20, 50, 100")
    );

    let connector = target.connector();
    let bad = object(json!({"page_size": 30}));
    let error = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "order_status_changed",
            settings: &bad,
            cursor: None,
            now: now(),
        },
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("20, 50 or 100"), "{error}");
}
