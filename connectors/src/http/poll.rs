//! The `poll` trigger: one GET per page, the list found at `items_path`, and the next
//! page worked out by the pagination style. State between the pages of one poll travels
//! in the page token (`{"page": n, ...}`); the cursor (cursor_after_id only) is the
//! largest id seen, reported on every page so the last page carries the poll's maximum.

use std::cmp::Ordering;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::client::{HttpClient, OutboundRequest, query_pairs};
use super::json_path::JsonPath;
use super::poll_settings::{Pagination, PollSettings};
use crate::connector::{PollPage, PollRequest};
use crate::error::ConnectorError;

/// The continuation between pages of one poll.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PageToken {
    /// Pages already read in this poll.
    page: u32,
    /// cursor_after_id: the last id of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<Value>,
    /// cursor_after_id: the largest id seen so far in this poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<Value>,
    /// next_link: the URL of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

fn config(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Config(format!("trigger `poll`: {}", message.into()))
}

/// Fetch one page of the `poll` trigger.
pub async fn poll_page(
    client: &HttpClient,
    request: &PollRequest<'_>,
) -> Result<PollPage, ConnectorError> {
    let settings = PollSettings::parse(request.settings)?;
    let token: PageToken = match request.page {
        None => PageToken::default(),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            config(format!(
                "page token {value} is not one this trigger made: {e}"
            ))
        })?,
    };
    if token.page >= settings.max_pages {
        return Err(config(format!(
            "pagination did not end after {} pages; check the pagination settings or raise `max_pages`",
            settings.max_pages
        )));
    }
    let (url, query) = page_request(client, &settings, &token, request.cursor)?;
    let response = client
        .send(OutboundRequest {
            method: Method::GET,
            url: url.clone(),
            query: &query,
            headers: HeaderMap::new(),
            body: None,
        })
        .await?
        .error_for_status()?;
    let body: Value = response.json()?;
    let items = match settings.items_path.lookup(&body) {
        Some(Value::Array(items)) => items.clone(),
        _ => {
            let at = match settings.items_path.as_str() {
                "" => "the response body".to_string(),
                path => format!("`items_path` `{path}`"),
            };
            return Err(ConnectorError::InvalidResponse(format!(
                "{at} is not a list: {}",
                response.body_excerpt()
            )));
        }
    };
    let next_number = token.page + 1;
    let page = match &settings.pagination {
        None => PollPage {
            items,
            next_page: None,
            cursor: None,
        },
        Some(Pagination::CursorAfterId { .. }) => {
            let ids = item_ids(&items, &settings.id_field)?;
            let mut max = token.max.or_else(|| request.cursor.cloned());
            for id in &ids {
                if max
                    .as_ref()
                    .is_none_or(|m| compare_ids(id, m) == Ordering::Greater)
                {
                    max = Some((*id).clone());
                }
            }
            let full = settings
                .page_size
                .is_some_and(|size| items.len() >= size as usize);
            let next_page = match ids.last() {
                Some(last) if full => Some(PageToken {
                    page: next_number,
                    after: Some((*last).clone()),
                    max: max.clone(),
                    url: None,
                }),
                _ => None,
            };
            PollPage {
                items,
                next_page: next_page.map(token_value),
                cursor: max,
            }
        }
        Some(Pagination::PageNumber { size, .. }) => {
            let more = match size.or(settings.page_size) {
                Some(size) => items.len() >= size as usize,
                // Without a known page size only an empty page ends the list.
                None => !items.is_empty(),
            };
            let next_page = more.then(|| PageToken {
                page: next_number,
                ..PageToken::default()
            });
            PollPage {
                items,
                next_page: next_page.map(token_value),
                cursor: None,
            }
        }
        Some(Pagination::NextLink { path }) => {
            let next_url = next_link(client, &body, path, &url)?;
            let next_page = next_url.map(|url| PageToken {
                page: next_number,
                url: Some(url),
                ..PageToken::default()
            });
            PollPage {
                items,
                next_page: next_page.map(token_value),
                cursor: None,
            }
        }
    };
    Ok(page)
}

fn token_value(token: PageToken) -> Value {
    serde_json::to_value(token).unwrap_or(Value::Null)
}

/// The URL and query of the page `token` stands for.
fn page_request(
    client: &HttpClient,
    settings: &PollSettings,
    token: &PageToken,
    cursor: Option<&Value>,
) -> Result<(Url, Vec<(String, String)>), ConnectorError> {
    let mut query = query_pairs(settings.query.as_ref(), "query").map_err(|e| match e {
        ConnectorError::Config(message) => config(message),
        other => other,
    })?;
    let push_limit = |query: &mut Vec<(String, String)>| {
        if let (Some(param), Some(size)) = (&settings.limit_param, settings.page_size) {
            query.push((param.clone(), size.to_string()));
        }
    };
    match &settings.pagination {
        None => push_limit(&mut query),
        Some(Pagination::CursorAfterId { param }) => {
            // Later pages continue after the previous page; the first page after the
            // stored cursor (none on the very first poll: the list from its start).
            if let Some(after) = token.after.as_ref().or(cursor) {
                query.push((param.clone(), id_text(after)));
            }
            push_limit(&mut query);
        }
        Some(Pagination::PageNumber {
            param,
            size_param,
            size,
            first,
        }) => {
            let number = first.unwrap_or(1) + token.page;
            query.push((param.clone(), number.to_string()));
            match (size_param.as_ref(), size) {
                (Some(size_param), Some(size)) => {
                    query.push((size_param.clone(), size.to_string()))
                }
                (Some(size_param), None) => {
                    if let Some(size) = settings.page_size {
                        query.push((size_param.clone(), size.to_string()));
                    }
                }
                (None, _) => push_limit(&mut query),
            }
        }
        Some(Pagination::NextLink { .. }) => {
            if let Some(next) = &token.url {
                // The link carries its own query; repeating ours could contradict it.
                return Ok((client.resolve(next, &client.url_for_path("")?)?, Vec::new()));
            }
            push_limit(&mut query);
        }
    }
    Ok((client.url_for_path(&settings.path)?, query))
}

/// Each item's id; cursor pagination cannot work past an item without one.
fn item_ids<'v>(items: &'v [Value], id_field: &JsonPath) -> Result<Vec<&'v Value>, ConnectorError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match id_field.lookup(item) {
            Some(id) if !id.is_null() && !id.is_object() && !id.is_array() => Ok(id),
            _ => Err(ConnectorError::InvalidResponse(format!(
                "item {index} of the page has no `{}` (the `id_field` cursor pagination needs)",
                id_field.as_str()
            ))),
        })
        .collect()
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Ids compare as numbers when both are numbers (or numeric text), else as text.
fn compare_ids(a: &Value, b: &Value) -> Ordering {
    let numeric = |v: &Value| -> Option<i128> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    match (numeric(a), numeric(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => id_text(a).cmp(&id_text(b)),
    }
}

/// The next page's URL from the answer, if there is one.
fn next_link(
    client: &HttpClient,
    body: &Value,
    path: &str,
    current: &Url,
) -> Result<Option<String>, ConnectorError> {
    let path = JsonPath::parse(path).map_err(config)?;
    match path.lookup(body) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) if link.trim().is_empty() => Ok(None),
        Some(Value::String(link)) => {
            let url = client.resolve(link, current)?;
            Ok(Some(client.without_credentials(url).to_string()))
        }
        Some(other) => Err(ConnectorError::InvalidResponse(format!(
            "next link at `{}` is not a URL: {}",
            path.as_str(),
            client.redactor().redact(&other.to_string())
        ))),
    }
}
