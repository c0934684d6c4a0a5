//! `new_call` and `new_request`: pagination reaches the end, every item exactly once,
//! and the stored cursor never lets a call slip between polls (also across midnight).

use serde_json::{Map, Value, json};

use super::{SITE, TOKEN, Target, call, msk};
use crate::conformance::{PollArgs, assert_exactly_once, drain_poll, object};

fn keys(ids: impl IntoIterator<Item = i64>) -> Vec<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

#[tokio::test]
async fn calls_are_read_page_by_page_to_the_end_each_exactly_once() {
    let target = Target::start().await;
    for id in 1..=25 {
        target
            .emulator
            .add_call(call(id, &format!("14/05/2024 {:02}:00:00", id % 24)));
    }
    target.emulator.add_call(call(99, "13/05/2024 10:00:00"));
    let settings = object(json!({"page_size": 10}));
    let now = msk(2024, 5, 14, 18, 0);
    let connector = target.connector();
    let drained = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "new_call",
            settings: &settings,
            cursor: None,
            now,
        },
    )
    .await
    .unwrap();
    assert_eq!(drained.pages, 3);
    assert_exactly_once(&drained.items, "callId", keys(1..=25));
    assert_eq!(drained.cursor, Some(json!("2024-05-14")));

    let journal = target.emulator.log().matching(
        "GET",
        &format!("/calls-service/RestAPI/{SITE}/calls-diary/calls"),
    );
    let pages: Vec<&str> = journal
        .iter()
        .map(|r| r.query_param("page").unwrap())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    for request in &journal {
        assert_eq!(request.query_param("clientApiId"), Some(TOKEN));
        assert_eq!(request.query_param("dateFrom"), Some("14/05/2024"));
        assert_eq!(request.query_param("dateTo"), Some("14/05/2024"));
        assert_eq!(request.query_param("limit"), Some("10"));
        assert_eq!(request.query_param("withCallTags"), Some("true"));
    }
    // Items are the records as the API returned them, plus the derived tag fields.
    let first = drained.items.iter().find(|c| c["callId"] == 1).unwrap();
    let mut expected = call(1, "14/05/2024 01:00:00");
    if expected.get("callTags").is_some() {
        for derived in ["tags", "tags_tones", "tags_number"] {
            expected[derived] = first[derived].clone();
        }
    }
    assert_eq!(first, &expected);
}

#[tokio::test]
async fn a_window_of_several_days_is_read_one_day_per_request() {
    let target = Target::start().await;
    for id in 1..=12 {
        target.emulator.add_call(call(id, "12/05/2024 09:00:00"));
    }
    for id in 20..=24 {
        target.emulator.add_call(call(id, "14/05/2024 09:00:00"));
    }
    let settings = object(json!({"page_size": 5}));
    let connector = target.connector();
    let args = PollArgs {
        event: "new_call",
        settings: &settings,
        cursor: Some(json!("2024-05-11")),
        now: msk(2024, 5, 14, 12, 0),
    };
    let drained = drain_poll(connector.as_ref(), args).await.unwrap();
    assert_exactly_once(&drained.items, "callId", keys((1..=12).chain(20..=24)));
    let days: Vec<String> = target
        .emulator
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{}#{}",
                r.query_param("dateFrom").unwrap(),
                r.query_param("page").unwrap()
            )
        })
        .collect();
    // 11th: empty; 12th: 12 calls in pages of 5; 13th: empty; 14th: 5 calls.
    assert_eq!(
        days,
        [
            "11/05/2024#1",
            "12/05/2024#1",
            "12/05/2024#2",
            "12/05/2024#3",
            "13/05/2024#1",
            "14/05/2024#1"
        ]
    );
}

#[tokio::test]
async fn calls_added_between_polls_are_returned_by_the_next_poll() {
    let target = Target::start().await;
    let connector = target.connector();
    let settings = Map::new();
    target.emulator.add_call(call(1, "14/05/2024 10:00:00"));
    target.emulator.add_call(call(2, "14/05/2024 10:05:00"));
    let first = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "new_call",
            settings: &settings,
            cursor: None,
            now: msk(2024, 5, 14, 10, 10),
        },
    )
    .await
    .unwrap();
    assert_exactly_once(&first.items, "callId", keys([1, 2]));

    // A call that reached the journal late (dated before the first poll) and a new one.
    target.emulator.add_call(call(3, "14/05/2024 10:08:00"));
    target.emulator.add_call(call(4, "14/05/2024 10:12:00"));
    let second = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "new_call",
            settings: &settings,
            cursor: first.cursor.clone(),
            now: msk(2024, 5, 14, 10, 15),
        },
    )
    .await
    .unwrap();
    let seen: Vec<i64> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|c| c["callId"].as_i64().unwrap())
        .collect();
    for id in 1..=4 {
        assert!(
            seen.contains(&id),
            "call {id} was never delivered: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_day_before_is_reread_after_midnight_so_late_calls_are_not_lost() {
    let target = Target::start().await;
    let connector = target.connector();
    let settings = Map::new();
    let poll = |cursor: Option<Value>, now| {
        let connector = connector.clone();
        let settings = settings.clone();
        async move {
            drain_poll(
                connector.as_ref(),
                PollArgs {
                    event: "new_call",
                    settings: &settings,
                    cursor,
                    now,
                },
            )
            .await
            .unwrap()
        }
    };
    let evening = poll(None, msk(2024, 5, 14, 23, 55)).await;
    assert_eq!(evening.cursor, Some(json!("2024-05-14")));
    // Dated 23:58 on the 14th but only visible in the journal after midnight.
    target.emulator.add_call(call(7, "14/05/2024 23:58:00"));
    target.emulator.add_call(call(8, "15/05/2024 00:03:00"));
    let after_midnight = poll(evening.cursor.clone(), msk(2024, 5, 15, 0, 5)).await;
    assert_exactly_once(&after_midnight.items, "callId", keys([7, 8]));
    // Within the overlap hour the 14th is still re-read; after it, only the 15th.
    assert_eq!(after_midnight.cursor, Some(json!("2024-05-14")));
    let later = poll(after_midnight.cursor.clone(), msk(2024, 5, 15, 1, 30)).await;
    assert_eq!(later.cursor, Some(json!("2024-05-15")));
    let last = target.emulator.requests().last().unwrap().clone();
    assert_eq!(last.query_param("dateFrom"), Some("15/05/2024"));
}

#[tokio::test]
async fn form_requests_are_read_for_the_whole_window_in_one_request() {
    let target = Target::start().await;
    let request = |id: i64, date: &str| {
        json!({"requestId": id, "requestNumber": format!("site-{id}"), "dateStr": date, "subject": "Callback form",
            "client": {"fio": "Ivan", "phones": [{"phoneNumber": "79161234567", "phoneType": "MOBILE"}],
                "contacts": [{"contactType": "email", "contactValue": "ivan@example.ru"}]},
            "session": {"source": "google", "medium": "organic", "utmSource": "google"}})
    };
    target
        .emulator
        .add_request(request(301, "12/05/2024 10:00:00"));
    target
        .emulator
        .add_request(request(302, "14/05/2024 11:00:00"));
    target
        .emulator
        .add_request(request(300, "01/05/2024 11:00:00"));
    let connector = target.connector();
    let settings = Map::new();
    let args = PollArgs {
        event: "new_request",
        settings: &settings,
        cursor: Some(json!("2024-05-12")),
        now: msk(2024, 5, 14, 12, 0),
    };
    let drained = drain_poll(connector.as_ref(), args).await.unwrap();
    assert_eq!(drained.pages, 1);
    assert_exactly_once(&drained.items, "requestId", keys([301, 302]));
    assert_eq!(
        drained.items[0]["client"]["phones"][0]["phoneNumber"],
        "79161234567"
    );
    let sent = target.emulator.log().last().unwrap();
    assert_eq!(sent.path, "/calls-service/RestAPI/requests");
    assert_eq!(sent.query_param("clientApiId"), Some(TOKEN));
    assert_eq!(sent.query_param("siteId"), Some(SITE));
    // Month first, unlike the calls journal.
    assert_eq!(sent.query_param("dateFrom"), Some("05/12/2024"));
    assert_eq!(sent.query_param("dateTo"), Some("05/14/2024"));
    assert_eq!(sent.query_param("withRequestTags"), Some("true"));
}

#[tokio::test]
async fn bad_trigger_settings_and_foreign_cursors_are_clear_errors() {
    let target = Target::start().await;
    let connector = target.connector();
    let now = msk(2024, 5, 14, 12, 0);
    let bad_size = object(json!({"page_size": 5000}));
    let error = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "new_call",
            settings: &bad_size,
            cursor: None,
            now,
        },
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("page_size"), "{error}");
    let none = Map::new();
    let error = drain_poll(
        connector.as_ref(),
        PollArgs {
            event: "new_call",
            settings: &none,
            cursor: Some(json!(123)),
            now,
        },
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("cursor"), "{error}");
    assert!(
        target.emulator.requests().is_empty(),
        "nothing is sent for a misconfigured poll"
    );
}
