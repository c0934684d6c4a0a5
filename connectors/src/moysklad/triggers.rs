//! The `order_changed` trigger: customer orders whose `updated` moved since the cursor.
//!
//! Each poll asks `GET /entity/customerorder?filter=updated>=<from>&order=updated,asc;id,asc`.
//! `from` is the cursor (the largest `updated` seen) cut to whole seconds — MoySklad filters
//! by second but stamps changes with milliseconds — minus an overlap that catches a change
//! committed late with an earlier stamp. Re-read orders are harmless: the item key
//! (`id:state:payment`) makes them duplicates the engine drops, while a new state or a
//! new payment gives a new key.
//!
//! Pages continue by key set rather than by plain offset: the next page starts at the
//! second of the last order read (offset 0), so an order that changes while a poll is
//! paging — and moves to the end of the list — cannot shift an unread order behind the
//! offset. Only when a whole page shares one second does the offset grow within it.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::client::{MoySkladClient, id_from_href};
use super::metadata::MetadataCache;
use crate::connector::{PollPage, PollRequest};
use crate::error::ConnectorError;

/// Orders per request unless the trigger says otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Seconds re-read before the cursor unless the trigger says otherwise.
pub const DEFAULT_OVERLAP_SECONDS: i64 = 60;

const SECOND_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const MILLIS_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// Moscow time (UTC+3 all year since 2014), the zone of every MoySklad timestamp.
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("valid offset")
}

/// `now` as MoySklad writes it, in Moscow time.
pub fn moscow_time(now: DateTime<Utc>) -> NaiveDateTime {
    now.with_timezone(&moscow()).naive_local()
}

/// Parse a MoySklad timestamp (`YYYY-MM-DD HH:MM[:SS[.mmm]]`, Moscow time).
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .ok()
}

/// A timestamp as the filter wants it: whole seconds.
pub fn format_second(t: NaiveDateTime) -> String {
    t.format(SECOND_FORMAT).to_string()
}

fn truncate_to_second(t: NaiveDateTime) -> NaiveDateTime {
    parse_timestamp(&format_second(t)).unwrap_or(t)
}

/// Trigger settings.
struct TriggerSettings {
    since: Option<NaiveDateTime>,
    overlap: TimeDelta,
    page_size: u64,
}

fn trigger_settings(settings: &Map<String, Value>) -> Result<TriggerSettings, ConnectorError> {
    let bad = |name: &str, what: &str| {
        ConnectorError::Config(format!("moysklad.order_changed: setting `{name}` {what}"))
    };
    let since = match settings.get("since") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            parse_timestamp(s)
                .or_else(|| {
                    DateTime::parse_from_rfc3339(s.trim())
                        .ok()
                        .map(|t| moscow_time(t.to_utc()))
                })
                .ok_or_else(|| {
                    bad(
                        "since",
                        "must be `YYYY-MM-DD HH:MM:SS` (Moscow time) or RFC 3339",
                    )
                })?,
        ),
        Some(_) => return Err(bad("since", "must be text")),
    };
    let number = |name: &str,
                  default: i64,
                  range: std::ops::RangeInclusive<i64>|
     -> Result<i64, ConnectorError> {
        let value = match settings.get(name) {
            None | Some(Value::Null) => return Ok(default),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        };
        value.filter(|v| range.contains(v)).ok_or_else(|| {
            bad(
                name,
                &format!(
                    "must be a whole number in {}..={}",
                    range.start(),
                    range.end()
                ),
            )
        })
    };
    Ok(TriggerSettings {
        since,
        overlap: TimeDelta::seconds(number(
            "overlap_seconds",
            DEFAULT_OVERLAP_SECONDS,
            0..=86_400,
        )?),
        page_size: number("page_size", DEFAULT_PAGE_SIZE as i64, 1..=1000)? as u64,
    })
}

/// Where this poll continues: the lower bound, the offset within its second, and the
/// largest `updated` seen so far (carried to the last page, which reports the cursor).
struct Position {
    from: NaiveDateTime,
    offset: u64,
    max_seen: Option<String>,
}

fn position(
    request: &PollRequest<'_>,
    settings: &TriggerSettings,
) -> Result<Position, ConnectorError> {
    if let Some(page) = request.page {
        let from = page
            .get("from")
            .and_then(Value::as_str)
            .and_then(parse_timestamp);
        let offset = page.get("offset").and_then(Value::as_u64);
        let (Some(from), Some(offset)) = (from, offset) else {
            return Err(ConnectorError::Config(format!(
                "moysklad.order_changed: page token {page} is not ours"
            )));
        };
        let max_seen = page.get("max").and_then(Value::as_str).map(str::to_string);
        return Ok(Position {
            from,
            offset,
            max_seen,
        });
    }
    match request.cursor {
        Some(Value::String(cursor)) => {
            let at = parse_timestamp(cursor).ok_or_else(|| {
                ConnectorError::Config(format!(
                    "moysklad.order_changed: stored cursor `{cursor}` is not a MoySklad timestamp"
                ))
            })?;
            Ok(Position {
                from: truncate_to_second(at) - settings.overlap,
                offset: 0,
                max_seen: Some(cursor.clone()),
            })
        }
        Some(other) => Err(ConnectorError::Config(format!(
            "moysklad.order_changed: stored cursor {other} is not a timestamp"
        ))),
        // First poll ever: start at `since`, or now (an order changed before the bundle
        // existed is not news).
        None => {
            let from =
                truncate_to_second(settings.since.unwrap_or_else(|| moscow_time(request.now)));
            Ok(Position {
                from,
                offset: 0,
                max_seen: None,
            })
        }
    }
}

fn later(a: Option<String>, b: &str) -> Option<String> {
    match a {
        Some(a) if parse_timestamp(&a) >= parse_timestamp(b) => Some(a),
        _ => Some(b.to_string()),
    }
}

/// One page of `order_changed`.
pub async fn poll_orders(
    client: &MoySkladClient,
    metadata: &MetadataCache,
    request: PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    let settings = trigger_settings(request.settings)?;
    let Position {
        from,
        offset,
        mut max_seen,
    } = position(&request, &settings)?;
    let reply = client
        .get(
            "/entity/customerorder",
            &[
                ("filter", format!("updated>={}", format_second(from))),
                ("order", "updated,asc;id,asc".to_string()),
                ("limit", settings.page_size.to_string()),
                ("offset", offset.to_string()),
            ],
        )
        .await?;
    let rows = match reply.get("rows") {
        Some(Value::Array(rows)) => rows,
        _ => {
            return Err(ConnectorError::InvalidResponse(
                "customer order list without `rows`".into(),
            ));
        }
    };
    let mut items = Vec::with_capacity(rows.len());
    let mut seconds = Vec::with_capacity(rows.len());
    let mut states = StateNames {
        metadata,
        client,
        current: None,
        refreshed: false,
    };
    for row in rows {
        let updated = row
            .get("updated")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(at) = parse_timestamp(updated) else {
            return Err(ConnectorError::InvalidResponse(format!(
                "customer order without a valid `updated`: {updated:?}"
            )));
        };
        seconds.push(truncate_to_second(at));
        max_seen = later(max_seen, updated);
        let state_name = match row.pointer("/state/meta/href").and_then(Value::as_str) {
            Some(href) => states.name(href).await?,
            None => String::new(),
        };
        items.push(order_item(row, state_name));
    }
    let size = reply.pointer("/meta/size").and_then(Value::as_u64);
    let more = !rows.is_empty()
        && (reply.pointer("/meta/nextHref").is_some()
            || size.is_some_and(|s| s > offset + rows.len() as u64));
    let next_page = match seconds.last() {
        Some(&last) if more => {
            let whole_page_in_one_second = seconds.iter().all(|s| *s == last);
            let next_offset = match (whole_page_in_one_second, last == from) {
                (true, true) => offset + rows.len() as u64,
                (true, false) => rows.len() as u64,
                (false, _) => 0,
            };
            Some(json!({"from": format_second(last), "offset": next_offset, "max": max_seen}))
        }
        _ => None,
    };
    // An empty first poll still records where it started, so the next poll does not
    // start later than this one did.
    let cursor = max_seen.unwrap_or_else(|| from.format(MILLIS_FORMAT).to_string());
    Ok(PollPage {
        items,
        next_page,
        cursor: Some(Value::String(cursor)),
    })
}

/// State names for one page: the metadata is fetched again at most once per page, so a
/// page full of orders in a since-deleted state costs one extra request, not one each.
struct StateNames<'a> {
    metadata: &'a MetadataCache,
    client: &'a MoySkladClient,
    current: Option<std::sync::Arc<super::metadata::OrderMetadata>>,
    refreshed: bool,
}

impl StateNames<'_> {
    async fn name(&mut self, href: &str) -> Result<String, ConnectorError> {
        let meta = match &self.current {
            Some(meta) => meta.clone(),
            None => self.metadata.get(self.client, false).await?,
        };
        self.current = Some(meta.clone());
        if let Some(state) = meta.state_at(href) {
            return Ok(state.name.clone());
        }
        if self.refreshed {
            return Ok(String::new());
        }
        self.refreshed = true;
        let meta = self.metadata.get(self.client, true).await?;
        self.current = Some(meta.clone());
        Ok(meta
            .state_at(href)
            .map(|s| s.name.clone())
            .unwrap_or_default())
    }
}

/// The order as MoySklad returned it plus flat convenience fields for bundles.
fn order_item(row: &Value, state_name: String) -> Value {
    let mut item = row.as_object().cloned().unwrap_or_default();
    let number = |name: &str| {
        row.get(name)
            .cloned()
            .filter(Value::is_number)
            .unwrap_or(json!(0))
    };
    let rubles = |v: &Value| json!(v.as_f64().unwrap_or(0.0) / 100.0);
    let sum = number("sum");
    let payed = number("payedSum");
    let mut attribute_values = Map::new();
    for attribute in row
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = attribute.get("name").and_then(Value::as_str) {
            attribute_values.insert(
                name.to_string(),
                attribute.get("value").cloned().unwrap_or(Value::Null),
            );
        }
    }
    let agent_id = row
        .pointer("/agent/meta/href")
        .and_then(Value::as_str)
        .and_then(id_from_href);
    item.insert(
        "external_code".into(),
        row.get("externalCode").cloned().unwrap_or(Value::Null),
    );
    item.insert("state_name".into(), state_name.into());
    item.insert("sum_rubles".into(), rubles(&sum));
    item.insert("payed_sum_rubles".into(), rubles(&payed));
    item.insert("sum".into(), sum);
    item.insert("payed_sum".into(), payed);
    item.insert(
        "agent_id".into(),
        agent_id.map(Value::from).unwrap_or(Value::Null),
    );
    item.insert("attribute_values".into(), Value::Object(attribute_values));
    Value::Object(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_in_every_documented_form() {
        let t = parse_timestamp("2024-05-14 10:20:30.456").unwrap();
        assert_eq!(format_second(t), "2024-05-14 10:20:30");
        assert!(parse_timestamp("2024-05-14 10:20:30").is_some());
        assert!(parse_timestamp("2024-05-14 10:20").is_some());
        assert!(parse_timestamp("14.05.2024").is_none());
    }

    #[test]
    fn moscow_is_three_hours_ahead_of_utc() {
        let now = DateTime::parse_from_rfc3339("2024-05-14T21:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(format_second(moscow_time(now)), "2024-05-15 00:30:00");
    }

    #[test]
    fn settings_are_checked() {
        let ok = json!({"since": "2024-05-14T00:00:00Z", "page_size": "50", "overlap_seconds": 0});
        let s = trigger_settings(ok.as_object().unwrap()).unwrap();
        assert_eq!(format_second(s.since.unwrap()), "2024-05-14 03:00:00");
        assert_eq!(s.page_size, 50);
        let bad = json!({"page_size": 5000});
        assert!(trigger_settings(bad.as_object().unwrap()).is_err());
    }
}
