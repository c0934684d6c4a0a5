//! The `call` trigger: UniTalk's call history, `POST /history/get`
//! `{"dateFrom","dateTo","limit","offset","filter":{"direction"}}` → `{"calls":[...]}`.
//!
//! The history has no change cursor, only a date window in the account's local time. A
//! poll reads from the stored cursor (or `lookback_minutes` ago on the first poll) to
//! "now", page by page (`offset` += `limit` until a page comes back short), with the
//! window fixed in the page token so every page of one poll reads the same window. The
//! cursor stored afterwards is the window's end minus `overlap_minutes`: a call is saved
//! to the history when it ends, dated when it started, so a long call started before the
//! previous window's end is still found; calls read twice are dropped by the engine's
//! item-key dedup (`call_id`).
//!
//! Employees' names come from `POST /users/list` (`[{"line","firstName","lastName"}]`),
//! read on each poll's first page.

use chrono::{Duration as ChronoDuration, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::call::{DATE_FORMAT, Reading, call_item};
use super::client::UnitalkClient;
use crate::connector::{PollPage, PollRequest};
use crate::error::ConnectorError;

/// The largest page the connector asks for.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// The trigger's settings, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSettings {
    /// `IN`, `OUT`, or `None` for both.
    pub direction: Option<&'static str>,
    /// Calls per request.
    pub page_size: u64,
    /// How far back the first poll reads.
    pub lookback: ChronoDuration,
    /// How far each poll reaches back before the previous window's end.
    pub overlap: ChronoDuration,
    /// Whether employees' names are looked up.
    pub employee_names: bool,
    /// Internal lines have at most this many digits.
    pub internal_max_digits: usize,
}

fn bad(name: &str, what: String) -> ConnectorError {
    ConnectorError::Config(format!("trigger setting `{name}`: {what}"))
}

fn number(
    settings: &Map<String, Value>,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, ConnectorError> {
    match settings.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                bad(
                    name,
                    format!("{v} is not {}..{}", range.start(), range.end()),
                )
            }),
    }
}

impl CallSettings {
    /// Read the trigger settings.
    pub fn from(settings: &Map<String, Value>) -> Result<Self, ConnectorError> {
        let direction = match settings.get("direction") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_str().map(|s| s.trim().to_lowercase()).as_deref() {
                Some("both" | "all" | "") => None,
                Some("in" | "inbound" | "incoming") => Some("IN"),
                Some("out" | "outbound" | "outgoing") => Some("OUT"),
                _ => return Err(bad("direction", format!("{v} is not in, out or both"))),
            },
        };
        let employee_names = match settings.get("employee_names") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(v) => return Err(bad("employee_names", format!("{v} is not true or false"))),
        };
        Ok(CallSettings {
            direction,
            page_size: number(settings, "page_size", 1..=MAX_PAGE_SIZE, 100)?,
            lookback: ChronoDuration::minutes(number(
                settings,
                "lookback_minutes",
                0..=7 * 24 * 60,
                60,
            )? as i64),
            overlap: ChronoDuration::minutes(
                number(settings, "overlap_minutes", 0..=24 * 60, 60)? as i64
            ),
            employee_names,
            internal_max_digits: number(settings, "internal_max_digits", 1..=15, 6)? as usize,
        })
    }
}

/// Where a poll continues: its fixed window and the next offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    from: NaiveDateTime,
    to: NaiveDateTime,
    offset: u64,
}

impl Page {
    fn token(&self) -> Value {
        json!({"from": self.from.format(DATE_FORMAT).to_string(), "to": self.to.format(DATE_FORMAT).to_string(), "offset": self.offset})
    }

    fn from_token(token: &Value) -> Result<Page, ConnectorError> {
        let time = |key: &str| {
            token
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| NaiveDateTime::parse_from_str(s, DATE_FORMAT).ok())
        };
        match (
            time("from"),
            time("to"),
            token.get("offset").and_then(Value::as_u64),
        ) {
            (Some(from), Some(to), Some(offset)) => Ok(Page { from, to, offset }),
            _ => Err(ConnectorError::Config(format!(
                "unitalk: page token {token} is not one this connector made"
            ))),
        }
    }
}

/// One page of `call`.
pub async fn poll(
    client: &UnitalkClient,
    employees: &Map<String, Value>,
    request: &PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    let settings = CallSettings::from(request.settings)?;
    let now = request.now.with_timezone(&client.offset).naive_local();
    let page = match request.page {
        Some(token) => Page::from_token(token)?,
        None => Page {
            from: match request.cursor {
                None | Some(Value::Null) => now - settings.lookback,
                Some(Value::String(s)) => NaiveDateTime::parse_from_str(s, DATE_FORMAT)
                    .map_err(|_| {
                        ConnectorError::Config(format!(
                            "unitalk: stored cursor {s:?} is not a local date-time"
                        ))
                    })?
                    .min(now),
                Some(other) => {
                    return Err(ConnectorError::Config(format!(
                        "unitalk: stored cursor {other} is not a local date-time"
                    )));
                }
            },
            to: now,
            offset: 0,
        },
    };
    let mut body = json!({
        "dateFrom": page.from.format(DATE_FORMAT).to_string(),
        "dateTo": page.to.format(DATE_FORMAT).to_string(),
        "limit": settings.page_size,
        "offset": page.offset,
    });
    if let Some(direction) = settings.direction {
        body["filter"] = json!({"direction": direction});
    }
    let records = match client.call("history/get", &body).await? {
        Value::Object(mut answer) => match answer.remove("calls") {
            Some(Value::Array(calls)) => calls,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(ConnectorError::InvalidResponse(format!(
                    "unitalk history: `calls` is not a list: {other}"
                )));
            }
        },
        Value::Array(calls) => calls,
        other => {
            return Err(ConnectorError::InvalidResponse(format!(
                "unitalk history: expected {{\"calls\":[...]}}, got {other}"
            )));
        }
    };
    let reading = Reading {
        offset: client.offset,
        internal_max_digits: settings.internal_max_digits,
        employees,
    };
    let full = records.len() as u64 >= settings.page_size;
    let items = records
        .into_iter()
        .map(|record| match record {
            Value::Object(map) => call_item(map, reading),
            other => Err(ConnectorError::InvalidResponse(format!(
                "unitalk history: a call that is not an object: {other}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next = full.then(|| Page {
        offset: page.offset + settings.page_size,
        ..page.clone()
    });
    Ok(PollPage {
        items,
        next_page: next.map(|n| n.token()),
        cursor: Some(json!(
            (page.to - settings.overlap).format(DATE_FORMAT).to_string()
        )),
    })
}

/// Employees' names by line from `users/list`: `Firstname Lastname`, or null for lines
/// without a name. An answer of another shape gives no names (the calls still flow).
pub async fn employees(client: &UnitalkClient) -> Result<Map<String, Value>, ConnectorError> {
    let answer = client.call("users/list", &json!({})).await?;
    let users = match &answer {
        Value::Array(users) => users.clone(),
        Value::Object(object) => ["users", "items", "data", "list"]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_array).cloned())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if users.is_empty() && !answer.as_array().is_some_and(Vec::is_empty) {
        tracing::warn!(
            "unitalk users/list answered no list of users; calls carry no employee names"
        );
    }
    let mut names = Map::new();
    for user in &users {
        let Some(line) = user.get("line").and_then(crate::inbound::text) else {
            continue;
        };
        let part = |k: &str| {
            user.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let name = format!("{} {}", part("firstName"), part("lastName"))
            .trim()
            .to_string();
        names.insert(
            line,
            if name.is_empty() {
                Value::Null
            } else {
                json!(name)
            },
        );
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_and_checked() {
        let defaults = CallSettings::from(&Map::new()).unwrap();
        assert_eq!(defaults.direction, None);
        assert_eq!((defaults.page_size, defaults.internal_max_digits), (100, 6));
        assert_eq!(defaults.overlap, ChronoDuration::minutes(60));
        let s = json!({"direction": "Inbound", "page_size": "500", "employee_names": false});
        let read = CallSettings::from(s.as_object().unwrap()).unwrap();
        assert_eq!(
            (read.direction, read.page_size, read.employee_names),
            (Some("IN"), 500, false)
        );
        for bad in [
            json!({"direction": "sideways"}),
            json!({"page_size": 5000}),
            json!({"employee_names": "maybe"}),
        ] {
            assert!(
                CallSettings::from(bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_tokens_round_trip_and_foreign_ones_are_refused() {
        let page = Page {
            from: NaiveDateTime::parse_from_str("2024-05-14 09:00:00", DATE_FORMAT).unwrap(),
            to: NaiveDateTime::parse_from_str("2024-05-14 10:00:00", DATE_FORMAT).unwrap(),
            offset: 200,
        };
        assert_eq!(Page::from_token(&page.token()).unwrap(), page);
        assert!(Page::from_token(&json!({"from": "yesterday", "to": "now", "offset": 0})).is_err());
    }
}
