//! The `call` trigger: the history read page by page to the end with every call exactly
//! once, the request bodies, the window and cursor across polls (late-saved calls are
//! still found), the direction filter, and the items' fields with employees' names.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{KEY, Target, kyiv, trigger};
use crate::conformance::{Drained, PollArgs, assert_exactly_once, drain_poll};
use crate::connector::Connector;
use crate::error::ConnectorError;
use crate::unitalk::emulator::HistoryCall;

fn seed(target: &Target, id: u64, date: &str, direction: &str) {
    let call = HistoryCall {
        id,
        date,
        direction,
        client: "380505557182",
        line: "2001",
        ..HistoryCall::default()
    };
    target.emulator.add_call(call.record());
}

/// Every page of one `call` poll with trigger `settings`, from `cursor`, at `now`.
async fn poll_calls(
    connector: &dyn Connector,
    settings: &Map<String, Value>,
    cursor: Option<Value>,
    now: DateTime<Utc>,
) -> Result<Drained, ConnectorError> {
    let args = PollArgs {
        event: "call",
        settings,
        cursor,
        now,
    };
    drain_poll(connector, args).await
}

fn ids(range: impl IntoIterator<Item = u64>) -> Vec<String> {
    range.into_iter().map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn the_history_is_read_page_by_page_each_call_exactly_once() {
    let target = Target::start().await;
    for id in 1..=25 {
        seed(
            &target,
            id,
            &format!("2024-05-14 09:{:02}:00", id + 10),
            "IN",
        );
    }
    seed(&target, 99, "2024-05-14 07:00:00", "IN");
    let connector = target.connector();
    let settings = trigger(json!({"page_size": 10}));
    let drained = poll_calls(
        connector.as_ref(),
        &settings,
        None,
        kyiv(2024, 5, 14, 10, 0),
    )
    .await
    .unwrap();
    assert_eq!(drained.pages, 3);
    assert_exactly_once(&drained.items, "call_id", ids(1..=25));
    assert_eq!(
        drained.cursor,
        Some(json!("2024-05-14 09:00:00")),
        "the window's end minus the overlap"
    );

    let history = target.emulator.log().matching("POST", "/api/history/get");
    assert_eq!(history.len(), 3);
    for (page, request) in history.iter().enumerate() {
        assert_eq!(request.header("authorization"), Some(KEY));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.json().unwrap(),
            json!({"dateFrom": "2024-05-14 09:00:00", "dateTo": "2024-05-14 10:00:00", "limit": 10, "offset": page * 10})
        );
    }
    let users = target.emulator.log().matching("POST", "/api/users/list");
    assert_eq!(users.len(), 1, "names are read once per poll");
}

#[tokio::test]
async fn the_next_poll_starts_before_the_last_window_ended_so_late_calls_are_found() {
    let target = Target::start().await;
    seed(&target, 1, "2024-05-14 09:50:00", "IN");
    let connector = target.connector();
    let settings = trigger(json!({"overlap_minutes": 30}));
    let first = poll_calls(
        connector.as_ref(),
        &settings,
        None,
        kyiv(2024, 5, 14, 10, 0),
    )
    .await
    .unwrap();
    assert_exactly_once(&first.items, "call_id", ids([1]));
    assert_eq!(first.cursor, Some(json!("2024-05-14 09:30:00")));
    // A long call that started at 09:55 is saved only when it ends, after the first poll.
    seed(&target, 2, "2024-05-14 09:55:00", "IN");
    seed(&target, 3, "2024-05-14 10:04:00", "OUT");
    let second = poll_calls(
        connector.as_ref(),
        &settings,
        first.cursor.clone(),
        kyiv(2024, 5, 14, 10, 5),
    )
    .await
    .unwrap();
    // Call 1 is read again (the engine's item key drops it); 2 and 3 are new.
    assert_exactly_once(&second.items, "call_id", ids([1, 2, 3]));
    let last = target
        .emulator
        .log()
        .matching("POST", "/api/history/get")
        .pop()
        .unwrap();
    assert_eq!(last.json().unwrap()["dateFrom"], "2024-05-14 09:30:00");
    assert_eq!(last.json().unwrap()["dateTo"], "2024-05-14 10:05:00");
    assert_eq!(second.cursor, Some(json!("2024-05-14 09:35:00")));
}

#[tokio::test]
async fn the_direction_filter_is_sent_and_names_can_be_left_out() {
    let target = Target::start().await;
    seed(&target, 1, "2024-05-14 09:10:00", "IN");
    seed(&target, 2, "2024-05-14 09:20:00", "OUT");
    let connector = target.connector();
    let settings = trigger(json!({"direction": "out", "employee_names": false}));
    let drained = poll_calls(
        connector.as_ref(),
        &settings,
        None,
        kyiv(2024, 5, 14, 10, 0),
    )
    .await
    .unwrap();
    assert_exactly_once(&drained.items, "call_id", ids([2]));
    assert!(drained.items[0]["employee"].is_null());
    let request = target
        .emulator
        .log()
        .matching("POST", "/api/history/get")
        .pop()
        .unwrap();
    assert_eq!(
        request.json().unwrap()["filter"],
        json!({"direction": "OUT"})
    );
    assert!(
        target
            .emulator
            .log()
            .matching("POST", "/api/users/list")
            .is_empty()
    );
}

#[tokio::test]
async fn items_carry_what_an_activity_needs() {
    let target = Target::start().await;
    target.emulator.add_call(
        HistoryCall {
            id: 501,
            date: "2024-05-14 09:31:05",
            ..HistoryCall::default()
        }
        .record(),
    );
    target.emulator.add_call(
        HistoryCall {
            id: 502,
            date: "2024-05-14 09:40:00",
            answered: false,
            line: "2002",
            ..HistoryCall::default()
        }
        .record(),
    );
    target.emulator.add_call(
        HistoryCall {
            id: 503,
            date: "2024-05-14 09:45:00",
            direction: "OUT",
            client: "380671112233",
            ..HistoryCall::default()
        }
        .record(),
    );
    let connector = target.connector();
    let settings = trigger(json!({}));
    let drained = poll_calls(
        connector.as_ref(),
        &settings,
        None,
        kyiv(2024, 5, 14, 10, 0),
    )
    .await
    .unwrap();
    let by_id = |id: &str| {
        drained
            .items
            .iter()
            .find(|i| i["call_id"] == id)
            .cloned()
            .unwrap()
    };
    let answered = by_id("501");
    for (field, value) in [
        ("direction", json!("inbound")),
        ("answered", json!(true)),
        ("event_type", json!("answered")),
        ("client_phone", json!("380505557182")),
        ("external_number", json!("380443334455")),
        ("sip", json!("2000")),
        ("employee", json!("Olga Shevchenko")),
        ("date", json!("2024-05-14 09:31:05")),
        ("date_utc", json!("2024-05-14T06:31:05Z")),
        ("duration", json!(42)),
        ("total_duration", json!(54)),
    ] {
        assert_eq!(answered[field], value, "{field}");
    }
    assert!(
        answered["recording_url"]
            .as_str()
            .unwrap()
            .starts_with("https://api.unitalk.cloud/tracking/rec/")
    );
    let missed = by_id("502");
    assert_eq!(
        (missed["event_type"].as_str(), missed["employee"].as_str()),
        (Some("missed"), Some("Iryna Bondar"))
    );
    assert!(missed["recording_url"].is_null());
    let outbound = by_id("503");
    assert_eq!(outbound["direction"], "outbound");
    assert_eq!(outbound["client_phone"], "380671112233");
    assert_eq!(outbound["sip"], "2000");
    assert_eq!(outbound["raw"]["from"], Value::from("2000"));
}

#[tokio::test]
async fn a_bad_stored_cursor_or_page_token_is_a_configuration_error() {
    let target = Target::start().await;
    let connector = target.connector();
    let settings = trigger(json!({}));
    let error = poll_calls(
        connector.as_ref(),
        &settings,
        Some(json!("14/05/2024")),
        kyiv(2024, 5, 14, 10, 0),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("stored cursor"), "{error}");
    let zero = trigger(json!({"page_size": 0}));
    let error = poll_calls(connector.as_ref(), &zero, None, kyiv(2024, 5, 14, 10, 0))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("`page_size`"), "{error}");
    assert!(
        target
            .emulator
            .log()
            .matching("POST", "/api/history/get")
            .is_empty()
    );
}
