//! `order_changed`: pagination to the end, and a cursor that never loses a change.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde_json::json;

use super::*;

/// What the default item key renders to: `{{item.id}}:{{item.state_name}}:{{item.payed_sum}}`.
fn key(item: &Value) -> String {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    format!(
        "{}:{}:{}",
        text(&item["id"]),
        text(&item["state_name"]),
        text(&item["payed_sum"])
    )
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn seed_orders(emulator: &MoySkladEmulator, n: usize) -> Vec<String> {
    let agent = emulator.add_counterparty(json!({"name": "Иван"})).unwrap();
    let agent = agent["id"].as_str().unwrap().to_string();
    (0..n)
        .map(|_| {
            emulator.add_order(&agent, Some("Новый")).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn pagination_reaches_the_end_when_one_second_holds_several_pages() {
    let f = fixture().await;
    f.emulator.freeze_time(Some(at("2024-05-14 10:00:00")));
    let seeded = seed_orders(&f.emulator, 25).await;
    let settings = json!({"since": "2024-05-14 09:00:00", "page_size": 10});
    let (items, cursor, pages) = poll_all(&*f.connector, None, settings).await.unwrap();
    assert_eq!(ids(&items), seeded.iter().cloned().collect());
    assert_eq!(
        items.len(),
        25,
        "no order read twice when no page boundary moves"
    );
    assert_eq!(pages, 3);
    assert_eq!(cursor, json!("2024-05-14 10:00:00.000"));
    let list: Vec<_> = f
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.api_path() == "/entity/customerorder")
        .collect();
    assert_eq!(
        list[0].query_param("filter").as_deref(),
        Some("updated>=2024-05-14 09:00:00")
    );
    assert_eq!(
        list[0].query_param("order").as_deref(),
        Some("updated,asc;id,asc")
    );
    assert_eq!(list[0].query_param("limit").as_deref(), Some("10"));
    let offsets: Vec<String> = list
        .iter()
        .map(|r| r.query_param("offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "10", "20"]);
    let item = &items[0];
    assert_eq!(item["state_name"], "Новый");
    assert_eq!(item["payed_sum"], json!(0.0));
    assert!(item["agent_id"].is_string() && item["meta"]["href"].is_string());
}

#[tokio::test]
async fn pagination_over_many_seconds_moves_by_key_set() {
    let f = fixture().await;
    let mut seeded = Vec::new();
    let agent = f
        .emulator
        .add_counterparty(json!({"name": "Иван"}))
        .unwrap();
    for i in 0..23 {
        f.emulator
            .freeze_time(Some(at(&format!("2024-05-14 10:00:{:02}", i / 2))));
        seeded.push(
            f.emulator
                .add_order(agent["id"].as_str().unwrap(), None)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (items, cursor, _) = poll_all(
        &*f.connector,
        None,
        json!({"since": "2024-05-14 00:00:00", "page_size": 5}),
    )
    .await
    .unwrap();
    assert_eq!(ids(&items), seeded.iter().cloned().collect());
    assert_eq!(cursor, json!("2024-05-14 10:00:11.000"));
    assert_eq!(
        items.iter().find(|i| i["id"] == seeded[0]).unwrap()["state_name"],
        ""
    );
}

#[tokio::test]
async fn changes_between_polls_show_up_and_rereads_keep_their_keys() {
    let f = fixture().await;
    f.emulator.freeze_time(Some(at("2024-05-14 10:00:00")));
    let seeded = seed_orders(&f.emulator, 3).await;
    let settings = json!({"since": "2024-05-14 09:00:00", "overlap_seconds": 0});
    let (first, cursor, _) = poll_all(&*f.connector, None, settings.clone())
        .await
        .unwrap();
    let seen: BTreeSet<String> = first.iter().map(key).collect();
    assert_eq!(seen.len(), 3);

    f.emulator.freeze_time(Some(at("2024-05-14 10:05:00")));
    f.emulator
        .set_order_state(&seeded[0], "Подтвержден")
        .unwrap();
    f.emulator.set_payed_sum(&seeded[1], 150000.0).unwrap();
    let (second, cursor, _) = poll_all(&*f.connector, Some(&cursor), settings.clone())
        .await
        .unwrap();
    let new: BTreeSet<String> = second
        .iter()
        .map(key)
        .filter(|k| !seen.contains(k))
        .collect();
    assert_eq!(
        new,
        BTreeSet::from([
            format!("{}:Подтвержден:0.0", seeded[0]),
            format!("{}:Новый:150000.0", seeded[1])
        ])
    );
    assert_eq!(
        second.iter().find(|i| i["id"] == seeded[1]).unwrap()["payed_sum_rubles"],
        json!(1500.0)
    );

    // Nothing changed: a re-read brings only keys already seen.
    let seen: BTreeSet<String> = seen.into_iter().chain(second.iter().map(key)).collect();
    let (third, _, _) = poll_all(&*f.connector, Some(&cursor), settings)
        .await
        .unwrap();
    assert!(third.iter().all(|i| seen.contains(&key(i))));
}

#[tokio::test]
async fn an_order_changed_in_the_cursor_second_is_not_lost() {
    let f = fixture().await;
    f.emulator.freeze_time(Some(at("2024-05-14 10:00:00")));
    let first_orders = seed_orders(&f.emulator, 1).await;
    let settings = json!({"since": "2024-05-14 09:00:00", "overlap_seconds": 0});
    let (items, cursor, _) = poll_all(&*f.connector, None, settings.clone())
        .await
        .unwrap();
    assert_eq!(ids(&items), first_orders.iter().cloned().collect());
    // Another order lands in the very second (and millisecond) the cursor points at.
    let late = seed_orders(&f.emulator, 1).await;
    let (items, _, _) = poll_all(&*f.connector, Some(&cursor), settings)
        .await
        .unwrap();
    assert!(ids(&items).contains(&late[0]), "{items:?}");
    let list = f
        .emulator
        .requests()
        .into_iter()
        .rfind(|r| r.api_path() == "/entity/customerorder")
        .unwrap();
    assert_eq!(
        list.query_param("filter").as_deref(),
        Some("updated>=2024-05-14 10:00:00")
    );
}

#[tokio::test]
async fn the_first_poll_starts_now_and_remembers_where() {
    let f = fixture().await;
    f.emulator.freeze_time(Some(at("2020-01-01 00:00:00")));
    seed_orders(&f.emulator, 2).await;
    let (items, cursor, _) = poll_all(&*f.connector, None, json!({})).await.unwrap();
    assert!(items.is_empty(), "old orders are not news");
    let stored = cursor.as_str().unwrap();
    assert!(stored > "2024-01-01", "{stored}");
    let bad = poll_all(&*f.connector, Some(&json!("yesterday")), json!({}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), "config");
}
