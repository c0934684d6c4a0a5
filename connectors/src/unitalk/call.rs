//! Turning one record of UniTalk's call history into a `call` item.
//!
//! A history record carries `id`, `date` (local wall-clock `YYYY-MM-DD HH:MM:SS`),
//! `direction` (`IN`, `OUT`, `INNER`), `from`, `to` (a list), `outerNumber` (the
//! company's external line), `state` (`ANSWER` when answered; `NOANSWER`, `BUSY`, ... when
//! not), `secondsFullTime`, `secondsTalk`, `link` (the recording) and `lastGroupName`.
//! Which party is the client and which is the employee depends on the direction:
//!
//! - inbound: the client is `from`; the employee's line is the first internal number in
//!   `to` (the lines the call was routed to);
//! - outbound: the employee's line is `from`; the client is the first external number in
//!   `to`.
//!
//! A number is internal (a SIP extension) when it has at most `internal_max_digits`
//! digits. Items carry the normalized fields at the top level and the record under `raw`.

use chrono::{FixedOffset, NaiveDateTime, SecondsFormat, TimeZone};
use serde_json::{Map, Value, json};

use crate::error::ConnectorError;
use crate::inbound::{first_text, seconds, text};

/// How a record is read.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// The account's time zone.
    pub offset: FixedOffset,
    /// Numbers with at most this many digits are internal lines.
    pub internal_max_digits: usize,
    /// Employee names by line.
    pub employees: &'a Map<String, Value>,
}

/// The date format of the history.
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn digits(text: &str) -> usize {
    text.chars().filter(char::is_ascii_digit).count()
}

/// One `call` item from one history record.
pub fn call_item(
    record: Map<String, Value>,
    reading: Reading<'_>,
) -> Result<Value, ConnectorError> {
    let Some(call_id) = first_text(&record, &["id", "dbid", "callId"]) else {
        return Err(ConnectorError::InvalidResponse(format!(
            "unitalk: a history record without `id`: {}",
            Value::Object(record)
        )));
    };
    let raw_direction = first_text(&record, &["direction"])
        .unwrap_or_default()
        .to_uppercase();
    let direction = match raw_direction.as_str() {
        "IN" | "INCOMING" => "inbound",
        "OUT" | "OUTGOING" => "outbound",
        _ => "internal",
    };
    let state = first_text(&record, &["state"]);
    let answered = state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("ANSWER"));
    let from = first_text(&record, &["from"]);
    let to: Vec<String> = match record.get("to") {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(other) => text(other).into_iter().collect(),
        None => Vec::new(),
    };
    let internal = |n: &String| digits(n) > 0 && digits(n) <= reading.internal_max_digits;
    let mut lines: Vec<String> = Vec::new();
    for number in from.iter().chain(to.iter()) {
        if internal(number) && !lines.contains(number) {
            lines.push(number.clone());
        }
    }
    let (client_phone, sip) = match direction {
        "inbound" => (from.clone(), to.iter().find(|n| internal(n)).cloned()),
        "outbound" => (
            to.iter().find(|n| !internal(n)).cloned(),
            from.clone().filter(|n| internal(n)),
        ),
        _ => (None, from.clone().filter(|n| internal(n))),
    };
    let talk = record.get("secondsTalk").and_then(seconds).unwrap_or(0);
    let total = record
        .get("secondsFullTime")
        .and_then(seconds)
        .unwrap_or(talk);
    let date = first_text(&record, &["date"]);
    let date_utc = date
        .as_deref()
        .and_then(|d| NaiveDateTime::parse_from_str(d, DATE_FORMAT).ok())
        .and_then(|local| reading.offset.from_local_datetime(&local).single())
        .map(|t| t.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true));
    let event_type = match (direction, answered) {
        ("outbound", true) => "outgoing",
        ("outbound", false) => "outgoing_unanswered",
        (_, true) => "answered",
        (_, false) => "missed",
    };
    let employee = sip
        .as_ref()
        .and_then(|line| reading.employees.get(line))
        .cloned();
    let mut item = Map::new();
    item.insert("call_id".into(), json!(call_id));
    item.insert("direction".into(), json!(direction));
    item.insert("answered".into(), json!(answered));
    item.insert("event_type".into(), json!(event_type));
    item.insert("state".into(), json!(state));
    item.insert("client_phone".into(), json!(client_phone));
    item.insert(
        "external_number".into(),
        json!(first_text(&record, &["outerNumber"])),
    );
    item.insert("sip".into(), json!(sip));
    item.insert("lines".into(), json!(lines));
    item.insert("employee".into(), employee.unwrap_or(Value::Null));
    item.insert(
        "recording_url".into(),
        json!(first_text(&record, &["link"])),
    );
    item.insert("date".into(), json!(date));
    item.insert("date_utc".into(), json!(date_utc));
    item.insert("duration".into(), json!(talk));
    item.insert("total_duration".into(), json!(total));
    item.insert("wait_time".into(), json!(total.saturating_sub(talk)));
    item.insert(
        "group".into(),
        json!(first_text(&record, &["lastGroupName"])),
    );
    item.insert("raw".into(), Value::Object(record));
    Ok(Value::Object(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(record: Value) -> Value {
        let employees = json!({"2000": "Olga Shevchenko", "2001": "Petro Koval"});
        call_item(
            record.as_object().cloned().unwrap(),
            Reading {
                offset: FixedOffset::east_opt(3 * 3600).unwrap(),
                internal_max_digits: 6,
                employees: employees.as_object().unwrap(),
            },
        )
        .unwrap()
    }

    #[test]
    fn an_answered_inbound_call_names_the_client_the_line_and_the_employee() {
        let item = read(json!({
            "id": 275, "date": "2024-05-14 10:31:05", "direction": "IN",
            "from": "380505557182", "to": ["2000", "2001"], "outerNumber": "380443334455",
            "state": "ANSWER", "secondsFullTime": 19, "secondsTalk": 9,
            "link": "https://api.unitalk.cloud/tracking/rec/1715671865.920/2024-05-14",
            "lastGroupName": "Sales"
        }));
        assert_eq!(item["call_id"], "275");
        assert_eq!(
            (item["direction"].as_str(), item["event_type"].as_str()),
            (Some("inbound"), Some("answered"))
        );
        assert_eq!(item["answered"], true);
        assert_eq!(item["client_phone"], "380505557182");
        assert_eq!(item["external_number"], "380443334455");
        assert_eq!(item["sip"], "2000");
        assert_eq!(item["lines"], json!(["2000", "2001"]));
        assert_eq!(item["employee"], "Olga Shevchenko");
        assert_eq!(item["date_utc"], "2024-05-14T07:31:05Z");
        assert_eq!(
            (
                item["duration"].as_u64(),
                item["total_duration"].as_u64(),
                item["wait_time"].as_u64()
            ),
            (Some(9), Some(19), Some(10))
        );
        assert_eq!(item["group"], "Sales");
        assert!(item["recording_url"].as_str().unwrap().contains("/rec/"));
        assert_eq!(item["raw"]["id"], 275);
    }

    #[test]
    fn outbound_and_missed_calls_swap_the_parties() {
        let item = read(json!({
            "id": "276", "date": "2024-05-14 11:00:00", "direction": "OUT",
            "from": "2001", "to": ["+380 50 555 71 82"], "outerNumber": "380443334455",
            "state": "NOANSWER", "secondsFullTime": 25, "secondsTalk": 0
        }));
        assert_eq!(
            (item["direction"].as_str(), item["event_type"].as_str()),
            (Some("outbound"), Some("outgoing_unanswered"))
        );
        assert_eq!(item["client_phone"], "+380 50 555 71 82");
        assert_eq!(item["sip"], "2001");
        assert_eq!(item["employee"], "Petro Koval");
        assert!(item["recording_url"].is_null());
        let missed = read(
            json!({"id": 277, "direction": "IN", "from": "380501112233", "to": ["2999"], "state": "BUSY"}),
        );
        assert_eq!(
            (missed["event_type"].as_str(), missed["employee"].is_null()),
            (Some("missed"), true)
        );
        assert_eq!(missed["sip"], "2999");
        assert!(missed["date_utc"].is_null());
    }

    #[test]
    fn a_record_without_an_id_is_refused() {
        let record = json!({"direction": "IN"});
        let error = call_item(
            record.as_object().cloned().unwrap(),
            Reading {
                offset: FixedOffset::east_opt(0).unwrap(),
                internal_max_digits: 6,
                employees: &Map::new(),
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("without `id`"), "{error}");
    }
}
