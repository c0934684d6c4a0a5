//! The `order_status_changed` trigger, read from the order history
//! (`GET orders/history?filter[sinceId]=N&limit=..&page=..`).
//!
//! The stored cursor is the id of the last history record seen — of any field, so a poll
//! never re-reads the edits it skipped — and only records with `field == "status"` become
//! items. Within one poll `sinceId` stays fixed and pages are followed until
//! `currentPage == totalPageCount`; the highest id seen travels in the page token and is
//! stored when the poll completes. The very first poll has no id to start from and must
//! not replay the account's whole history, so it asks for records since `now`
//! (`filter[startDate]`, in the account's time zone) and keeps that date as the cursor
//! until the first record arrives.

use chrono::Duration as ChronoDuration;
use serde_json::{Map, Value, json};

use crate::connector::{PollPage, PollRequest};
use crate::error::ConnectorError;

use super::client::RetailCrmClient;

/// Page sizes the API accepts.
const PAGE_SIZES: &[u64] = &[20, 50, 100];

/// Where a poll starts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Since {
    Id(i64),
    Date(String),
}

impl Since {
    fn from_cursor(
        cursor: Option<&Value>,
        request: &PollRequest<'_>,
        client: &RetailCrmClient,
    ) -> Result<Self, ConnectorError> {
        match cursor {
            None | Some(Value::Null) => {
                // A minute back, so a change made just before the first poll, stamped by a
                // clock slightly ahead of ours, is still caught.
                let start = (request.now - ChronoDuration::minutes(1))
                    .with_timezone(&client.settings.offset);
                Ok(Since::Date(start.format("%Y-%m-%d %H:%M:%S").to_string()))
            }
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Since::Id)
                .ok_or_else(|| bad_cursor(&Value::Number(n.clone()))),
            Some(Value::Object(o)) => match o.get("startDate").and_then(Value::as_str) {
                Some(date) => Ok(Since::Date(date.to_string())),
                None => Err(bad_cursor(&Value::Object(o.clone()))),
            },
            Some(other) => Err(bad_cursor(other)),
        }
    }

    fn cursor(&self) -> Value {
        match self {
            Since::Id(id) => json!(id),
            Since::Date(date) => json!({"startDate": date}),
        }
    }

    fn filter(&self) -> (&'static str, String) {
        match self {
            Since::Id(id) => ("filter[sinceId]", id.to_string()),
            Since::Date(date) => ("filter[startDate]", date.clone()),
        }
    }
}

fn bad_cursor(value: &Value) -> ConnectorError {
    ConnectorError::Config(format!(
        "retailcrm: stored cursor {value} is not a history id"
    ))
}

/// The continuation of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HistoryPage {
    since: Since,
    page: u64,
    max_id: Option<i64>,
}

impl HistoryPage {
    fn token(&self) -> Value {
        json!({"since": self.since.cursor(), "page": self.page, "maxId": self.max_id})
    }

    fn from_token(token: &Value) -> Result<Self, ConnectorError> {
        let foreign = || {
            ConnectorError::Config(format!(
                "retailcrm: page token {token} is not one this connector made"
            ))
        };
        let since = match token.get("since") {
            Some(Value::Number(n)) => Since::Id(n.as_i64().ok_or_else(foreign)?),
            Some(Value::Object(o)) => Since::Date(
                o.get("startDate")
                    .and_then(Value::as_str)
                    .ok_or_else(foreign)?
                    .to_string(),
            ),
            _ => return Err(foreign()),
        };
        let page = token
            .get("page")
            .and_then(Value::as_u64)
            .filter(|p| *p >= 1)
            .ok_or_else(foreign)?;
        let max_id = token.get("maxId").and_then(Value::as_i64);
        Ok(HistoryPage {
            since,
            page,
            max_id,
        })
    }
}

fn trigger_settings(settings: &Map<String, Value>) -> Result<(u64, bool), ConnectorError> {
    let limit = match settings.get("page_size") {
        None | Some(Value::Null) => 100,
        Some(v) => v
            .as_u64()
            .filter(|n| PAGE_SIZES.contains(n))
            .ok_or_else(|| {
                ConnectorError::Config(format!(
                    "trigger setting `page_size`: {v} is not 20, 50 or 100"
                ))
            })?,
    };
    let fetch = match settings.get("fetch_orders") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(ConnectorError::Config(format!(
                "trigger setting `fetch_orders`: {v} is not true or false"
            )));
        }
    };
    Ok((limit, fetch))
}

/// One page of `order_status_changed`.
pub(crate) async fn poll_status_changes(
    client: &RetailCrmClient,
    request: &PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    let (limit, fetch_orders) = trigger_settings(request.settings)?;
    let at = match request.page {
        Some(token) => HistoryPage::from_token(token)?,
        None => HistoryPage {
            since: Since::from_cursor(request.cursor, request, client)?,
            page: 1,
            max_id: None,
        },
    };
    let query = [
        at.since.filter(),
        ("limit", limit.to_string()),
        ("page", at.page.to_string()),
    ];
    let reply = client.get_required("orders/history", &query).await?;
    let records = reply
        .get("history")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ConnectorError::InvalidResponse(
                "orders/history: no `history` array in the reply".into(),
            )
        })?;
    let total_pages = reply
        .pointer("/pagination/totalPageCount")
        .and_then(Value::as_u64)
        .unwrap_or(1);

    let max_id = records
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .chain(at.max_id)
        .max();
    let changes: Vec<&Value> = records.iter().filter(|r| r["field"] == "status").collect();
    let orders = if fetch_orders && !changes.is_empty() {
        fetch_orders_by_id(client, &changes).await?
    } else {
        Map::new()
    };
    let items = changes
        .into_iter()
        .map(|record| status_item(record, &orders))
        .collect();

    let next_page = (at.page < total_pages).then(|| {
        HistoryPage {
            since: at.since.clone(),
            page: at.page + 1,
            max_id,
        }
        .token()
    });
    let cursor = match max_id {
        Some(id) => json!(id),
        None => at.since.cursor(),
    };
    Ok(PollPage {
        items,
        next_page,
        cursor: Some(cursor),
    })
}

/// The current state of the changed orders, by id (one request; a page has ≤ 100).
async fn fetch_orders_by_id(
    client: &RetailCrmClient,
    changes: &[&Value],
) -> Result<Map<String, Value>, ConnectorError> {
    let mut ids: Vec<i64> = changes
        .iter()
        .filter_map(|r| r.pointer("/order/id").and_then(Value::as_i64))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut query: Vec<(&str, String)> = ids
        .iter()
        .map(|id| ("filter[ids][]", id.to_string()))
        .collect();
    query.push(("limit", "100".into()));
    let reply = client.get_required("orders", &query).await?;
    let orders = reply
        .get("orders")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ConnectorError::InvalidResponse("orders list: no `orders` array in the reply".into())
        })?;
    Ok(orders
        .iter()
        .filter_map(|o| Some((o["id"].as_i64()?.to_string(), o.clone())))
        .collect())
}

/// One item from a status history record, completed from the fetched order when there
/// is one (an order deleted since keeps the history's own, shorter, order object).
fn status_item(record: &Value, orders: &Map<String, Value>) -> Value {
    let history_order = record.get("order").cloned().unwrap_or(Value::Null);
    let order_id = history_order.get("id").cloned().unwrap_or(Value::Null);
    let order = order_id
        .as_i64()
        .and_then(|id| orders.get(&id.to_string()))
        .cloned()
        .unwrap_or(history_order);
    let code = |v: &Value| match v {
        Value::Object(o) => o.get("code").cloned().unwrap_or(Value::Null),
        Value::String(_) => v.clone(),
        _ => Value::Null,
    };
    json!({
        "history_id": record["id"],
        "created_at": record.get("createdAt").cloned().unwrap_or(Value::Null),
        "order_id": order_id,
        "order_external_id": order.get("externalId").cloned().unwrap_or(Value::Null),
        "order_number": order.get("number").cloned().unwrap_or(Value::Null),
        "site": order.get("site").cloned().unwrap_or(Value::Null),
        "status": code(&record["newValue"]),
        "old_status": code(&record["oldValue"]),
        "created": record.get("created").and_then(Value::as_bool).unwrap_or(false),
        "source": record.get("source").cloned().unwrap_or(Value::Null),
        "total_summ": order.get("totalSumm").cloned().unwrap_or(Value::Null),
        "order": order,
    })
}

/// The cheapest authenticated call: one page of the site's customers.
pub(crate) async fn check(client: &RetailCrmClient) -> Result<(), ConnectorError> {
    let query = [
        ("filter[sites][]", client.settings.site.clone()),
        ("limit", "20".to_string()),
    ];
    client.get_required("customers", &query).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip() {
        let page = HistoryPage {
            since: Since::Id(7040),
            page: 2,
            max_id: Some(7140),
        };
        assert_eq!(HistoryPage::from_token(&page.token()).unwrap(), page);
        let dated = HistoryPage {
            since: Since::Date("2024-05-14 10:00:00".into()),
            page: 1,
            max_id: None,
        };
        assert_eq!(HistoryPage::from_token(&dated.token()).unwrap(), dated);
        assert!(HistoryPage::from_token(&json!({"page": 1})).is_err());
    }

    #[test]
    fn page_size_must_be_one_the_api_accepts() {
        assert_eq!(trigger_settings(&Map::new()).unwrap(), (100, true));
        let bad = json!({"page_size": 30});
        assert!(
            trigger_settings(bad.as_object().unwrap())
                .unwrap_err()
                .to_string()
                .contains("20, 50 or 100")
        );
    }

    #[test]
    fn items_prefer_the_fetched_order() {
        let record = json!({"id": 9, "createdAt": "2024-05-14 09:59:12", "source": "user", "field": "status",
            "oldValue": {"code": "new"}, "newValue": {"code": "complete"}, "order": {"id": 51, "externalId": "D-1"}});
        let mut orders = Map::new();
        orders.insert("51".into(), json!({"id": 51, "externalId": "D-1", "number": "51A", "site": "main", "totalSumm": 1500.5}));
        let item = status_item(&record, &orders);
        assert_eq!(item["status"], "complete");
        assert_eq!(item["old_status"], "new");
        assert_eq!(item["total_summ"], 1500.5);
        assert_eq!(item["order_number"], "51A");
        let bare = status_item(&record, &Map::new());
        assert_eq!(bare["total_summ"], Value::Null);
        assert_eq!(bare["order_external_id"], "D-1");
    }
}
