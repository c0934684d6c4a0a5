//! The `new_call` and `new_request` triggers.
//!
//! Calltouch has no change cursor: its journals are read by day. A poll covers the days
//! from the stored cursor day (or today, on the first poll) through today in the cabinet's
//! time zone. The calls journal is read one day per request (its documented default
//! `dateFrom == dateTo`) and page by page (`page`/`limit` envelope); the requests journal
//! takes the whole range in one request and is not paginated. The stored cursor is the
//! day of `now - overlap`, so the next poll re-reads today (and, shortly after midnight,
//! yesterday) — entries that reach the journal late are still found, and re-read items are
//! dropped by the engine's item-key dedup (`callId`, `requestId`).

use chrono::{Duration as ChronoDuration, NaiveDate};
use serde_json::{Map, Value, json};

use crate::connector::{PollPage, PollRequest};
use crate::error::ConnectorError;

use super::client::CalltouchClient;
use super::dates::{CALLS_DAY, CURSOR_DAY, REQUESTS_DAY, local_day};

/// The API's page size maximum for the calls journal.
pub(crate) const MAX_PAGE_SIZE: u64 = 1000;
const DEFAULT_OVERLAP_MINUTES: i64 = 60;
const CALL_FLAGS: &[&str] = &[
    "uniqueOnly",
    "targetOnly",
    "uniqTargetOnly",
    "callbackOnly",
    "withMapVisits",
    "withOrders",
    "withCallTags",
    "withComments",
    "withYandexDirect",
    "withGoogleAdwords",
    "withText",
    "withDcm",
];
const REQUEST_FLAGS: &[&str] = &[
    "withMapVisits",
    "withRequestTags",
    "withYandexDirect",
    "withGoogleAdwords",
    "withDcm",
];

/// Where a calls poll continues: a day and a page of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CallsPage {
    day: NaiveDate,
    page: u64,
}

impl CallsPage {
    fn token(&self) -> Value {
        json!({"day": self.day.format(CURSOR_DAY).to_string(), "page": self.page})
    }

    fn from_token(token: &Value) -> Result<Self, ConnectorError> {
        let day = token
            .get("day")
            .and_then(Value::as_str)
            .and_then(parse_cursor_day);
        let page = token
            .get("page")
            .and_then(Value::as_u64)
            .filter(|p| *p >= 1);
        match (day, page) {
            (Some(day), Some(page)) => Ok(CallsPage { day, page }),
            _ => Err(ConnectorError::Config(format!(
                "calltouch: page token {token} is not one this connector made"
            ))),
        }
    }
}

fn parse_cursor_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, CURSOR_DAY).ok()
}

/// The poll window's first day: the stored cursor day, never after today.
fn first_day(cursor: Option<&Value>, today: NaiveDate) -> Result<NaiveDate, ConnectorError> {
    match cursor {
        None | Some(Value::Null) => Ok(today),
        Some(Value::String(s)) => parse_cursor_day(s)
            .map(|day| day.min(today))
            .ok_or_else(|| {
                ConnectorError::Config(format!(
                    "calltouch: stored cursor {s:?} is not a YYYY-MM-DD day"
                ))
            }),
        Some(other) => Err(ConnectorError::Config(format!(
            "calltouch: stored cursor {other} is not a YYYY-MM-DD day"
        ))),
    }
}

/// The cursor to store after a complete poll.
fn next_cursor(
    request: &PollRequest<'_>,
    client: &CalltouchClient,
) -> Result<Value, ConnectorError> {
    let overlap = match request.settings.get("overlap_minutes") {
        None | Some(Value::Null) => DEFAULT_OVERLAP_MINUTES,
        Some(v) => v
            .as_i64()
            .filter(|m| (0..=7 * 24 * 60).contains(m))
            .ok_or_else(|| {
                ConnectorError::Config(format!(
                    "trigger setting `overlap_minutes`: {v} is not 0..10080 minutes"
                ))
            })?,
    };
    let day = local_day(
        request.now - ChronoDuration::minutes(overlap),
        client.settings.offset,
    );
    Ok(Value::String(day.format(CURSOR_DAY).to_string()))
}

/// `flags: [withCallTags, ...]` → `withCallTags=true` query pairs; unknown names are errors.
fn flags(
    settings: &Map<String, Value>,
    known: &[&'static str],
    default: &str,
) -> Result<Vec<(&'static str, String)>, ConnectorError> {
    let names: Vec<String> = match settings.get("flags") {
        None | Some(Value::Null) => vec![default.to_string()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ConnectorError::Config(format!(
                        "trigger setting `flags`: {v} is not a flag name"
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(ConnectorError::Config(format!(
                "trigger setting `flags`: expected a list, got {other}"
            )));
        }
    };
    names
        .iter()
        .map(|name| {
            known
                .iter()
                .find(|k| **k == name.as_str())
                .map(|k| (*k, "true".to_string()))
                .ok_or_else(|| {
                    ConnectorError::Config(format!(
                        "trigger setting `flags`: unknown flag {name:?} (known: {})",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

fn page_size(settings: &Map<String, Value>) -> Result<u64, ConnectorError> {
    match settings.get("page_size") {
        None | Some(Value::Null) => Ok(MAX_PAGE_SIZE),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ConnectorError::Config(format!(
                    "trigger setting `page_size`: {v} is not 1..{MAX_PAGE_SIZE}"
                ))
            }),
    }
}

/// One page of `new_call`.
use super::derived;

pub(crate) async fn poll_calls(
    client: &CalltouchClient,
    request: &PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    let today = local_day(request.now, client.settings.offset);
    let at = match request.page {
        Some(token) => CallsPage::from_token(token)?,
        None => CallsPage {
            day: first_day(request.cursor, today)?,
            page: 1,
        },
    };
    let limit = page_size(request.settings)?;
    let day = at.day.format(CALLS_DAY).to_string();
    let mut query = vec![
        ("dateFrom", day.clone()),
        ("dateTo", day),
        ("page", at.page.to_string()),
        ("limit", limit.to_string()),
    ];
    query.extend(flags(request.settings, CALL_FLAGS, "withCallTags")?);
    let path = format!("{}/calls-diary/calls", client.settings.site_id);
    let reply = client.export_get(&path, &query).await?;
    let (mut items, page_total) = calls_reply(reply)?;
    items.iter_mut().for_each(derived::add_call_fields);
    let next = if at.page < page_total {
        Some(CallsPage {
            day: at.day,
            page: at.page + 1,
        })
    } else if at.day < today {
        Some(CallsPage {
            day: at.day.succ_opt().expect("a next day exists"),
            page: 1,
        })
    } else {
        None
    };
    Ok(PollPage {
        items,
        next_page: next.map(|n| n.token()),
        cursor: Some(next_cursor(request, client)?),
    })
}

/// Records and `pageTotal` from the envelope; a bare array (what the API returns when it
/// ignores paging) is one complete page.
fn calls_reply(reply: Value) -> Result<(Vec<Value>, u64), ConnectorError> {
    match reply {
        Value::Array(items) => Ok((items, 1)),
        Value::Object(mut envelope) => {
            let records = match envelope.remove("records") {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None => Vec::new(),
                Some(other) => {
                    return Err(ConnectorError::InvalidResponse(format!(
                        "calls journal: `records` is not a list: {other}"
                    )));
                }
            };
            let total = envelope
                .get("pageTotal")
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    ConnectorError::InvalidResponse(
                        "calls journal: the page envelope has no `pageTotal`".into(),
                    )
                })?;
            Ok((records, total))
        }
        other => Err(ConnectorError::InvalidResponse(format!(
            "calls journal: expected a list or a page envelope, got {other}"
        ))),
    }
}

/// The whole of `new_request` (the requests journal is not paginated).
pub(crate) async fn poll_requests(
    client: &CalltouchClient,
    request: &PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    if let Some(token) = request.page {
        return Err(ConnectorError::Config(format!(
            "calltouch: the requests journal has no page {token}"
        )));
    }
    let today = local_day(request.now, client.settings.offset);
    let from = first_day(request.cursor, today)?;
    let mut query = vec![
        ("siteId", client.settings.site_id.clone()),
        ("dateFrom", from.format(REQUESTS_DAY).to_string()),
        ("dateTo", today.format(REQUESTS_DAY).to_string()),
    ];
    query.extend(flags(request.settings, REQUEST_FLAGS, "withRequestTags")?);
    let mut items = match client.export_get("requests", &query).await? {
        Value::Array(items) => items,
        other => {
            return Err(ConnectorError::InvalidResponse(format!(
                "requests journal: expected a list, got {other}"
            )));
        }
    };
    items.iter_mut().for_each(derived::add_request_fields);
    Ok(PollPage {
        items,
        next_page: None,
        cursor: Some(next_cursor(request, client)?),
    })
}

/// The cheapest authenticated call: today's calls journal, one record.
pub(crate) async fn check(
    client: &CalltouchClient,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ConnectorError> {
    let day = local_day(now, client.settings.offset)
        .format(CALLS_DAY)
        .to_string();
    let query = [
        ("dateFrom", day.clone()),
        ("dateTo", day),
        ("page", "1".into()),
        ("limit", "1".into()),
    ];
    let path = format!("{}/calls-diary/calls", client.settings.site_id);
    calls_reply(client.export_get(&path, &query).await?).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_foreign_tokens_are_refused() {
        let page = CallsPage {
            day: NaiveDate::from_ymd_opt(2024, 5, 14).unwrap(),
            page: 3,
        };
        assert_eq!(CallsPage::from_token(&page.token()).unwrap(), page);
        assert!(CallsPage::from_token(&json!({"day": "14/05/2024", "page": 1})).is_err());
        assert!(CallsPage::from_token(&json!({"day": "2024-05-14", "page": 0})).is_err());
    }

    #[test]
    fn the_window_starts_at_the_cursor_day_but_never_after_today() {
        let today = NaiveDate::from_ymd_opt(2024, 5, 14).unwrap();
        assert_eq!(first_day(None, today).unwrap(), today);
        assert_eq!(
            first_day(Some(&json!("2024-05-10")), today).unwrap(),
            NaiveDate::from_ymd_opt(2024, 5, 10).unwrap()
        );
        assert_eq!(first_day(Some(&json!("2024-06-01")), today).unwrap(), today);
        assert!(first_day(Some(&json!(17)), today).is_err());
    }

    #[test]
    fn flags_are_checked_against_the_documented_names() {
        let settings = json!({"flags": ["withCallTags", "withComments"]});
        let pairs = flags(settings.as_object().unwrap(), CALL_FLAGS, "withCallTags").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("withCallTags", "true".to_string()),
                ("withComments", "true".to_string())
            ]
        );
        let typo = json!({"flags": ["withCalltags"]});
        let error = flags(typo.as_object().unwrap(), CALL_FLAGS, "withCallTags").unwrap_err();
        assert!(
            error.to_string().contains("unknown flag \"withCalltags\""),
            "{error}"
        );
    }

    #[test]
    fn replies_are_read_as_envelope_or_bare_list() {
        let (items, total) =
            calls_reply(json!({"page": 1, "pageTotal": 3, "records": [{"callId": 1}]})).unwrap();
        assert_eq!((items.len(), total), (1, 3));
        assert_eq!(
            calls_reply(json!([{"callId": 1}, {"callId": 2}]))
                .unwrap()
                .1,
            1
        );
        assert!(calls_reply(json!({"records": []})).is_err());
        assert!(calls_reply(json!("nope")).is_err());
    }
}
