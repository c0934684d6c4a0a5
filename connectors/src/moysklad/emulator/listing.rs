//! List replies: `filter`, `order`, `limit` (1..1000) and `offset` over an entity list,
//! with `meta.size`, `meta.nextHref` / `previousHref` and the `context` block.

use serde_json::{Value, json};

use super::api_error::ApiError;
use super::filter::{Filter, sort};
use super::state::Account;

impl Account {
    /// A list reply with `filter`, `order`, `limit` (1..1000) and `offset`.
    pub fn list(
        &self,
        path: &str,
        kind: &str,
        rows: &[Value],
        fields: &[&str],
        query: &ListQuery,
    ) -> Result<Value, ApiError> {
        let filter = match &query.filter {
            Some(text) => Filter::parse(text, fields)?,
            None => Filter::default(),
        };
        let mut rows: Vec<Value> = rows
            .iter()
            .filter(|r| filter.matches(&with_state_name(r, &self.states)))
            .cloned()
            .collect();
        if let Some(order) = &query.order {
            sort(&mut rows, order, fields)?;
        }
        let size = rows.len();
        let page: Vec<Value> = rows
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        let href = format!("{}/{path}", self.base);
        let mut meta = json!({"href": href, "type": kind, "mediaType": "application/json", "size": size, "limit": query.limit, "offset": query.offset});
        let page_href = |offset: usize| {
            let mut url = url::Url::parse(&href).expect("emulator hrefs are URLs");
            {
                let mut pairs = url.query_pairs_mut();
                if let Some(f) = &query.filter {
                    pairs.append_pair("filter", f);
                }
                if let Some(o) = &query.order {
                    pairs.append_pair("order", o);
                }
                pairs
                    .append_pair("limit", &query.limit.to_string())
                    .append_pair("offset", &offset.to_string());
            }
            url.to_string()
        };
        if query.offset + query.limit < size {
            meta["nextHref"] = json!(page_href(query.offset + query.limit));
        }
        if query.offset > 0 {
            meta["previousHref"] = json!(page_href(query.offset.saturating_sub(query.limit)));
        }
        let employee = format!("{}/context/employee", self.base);
        Ok(json!({
            "context": {"employee": {"meta": {"href": employee, "type": "employee", "mediaType": "application/json"}}},
            "meta": meta, "rows": page,
        }))
    }
}

/// The `state.name` filter needs the state's name beside its meta.
fn with_state_name(row: &Value, states: &[Value]) -> Value {
    let Some(href) = row.pointer("/state/meta/href") else {
        return row.clone();
    };
    let mut row = row.clone();
    if let Some(state) = states
        .iter()
        .find(|s| s.pointer("/meta/href") == Some(href))
    {
        row["state"]["name"] = state["name"].clone();
    }
    row
}

/// Parsed list parameters.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// `filter`.
    pub filter: Option<String>,
    /// `order`.
    pub order: Option<String>,
    /// `limit`, 1..1000 (default 1000).
    pub limit: usize,
    /// `offset` (default 0).
    pub offset: usize,
}

impl ListQuery {
    /// Read and check the list parameters.
    pub fn parse(
        params: &std::collections::HashMap<String, String>,
    ) -> Result<ListQuery, ApiError> {
        let number =
            |name: &str, default: usize, max: usize, min: usize| -> Result<usize, ApiError> {
                match params.get(name) {
                    None => Ok(default),
                    Some(text) => text
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or_else(|| {
                            ApiError::new(
                                400,
                                1014,
                                format!("Неверное значение '{text}' параметра '{name}'"),
                            )
                            .with_parameter(name)
                        }),
                }
            };
        Ok(ListQuery {
            filter: params.get("filter").filter(|f| !f.is_empty()).cloned(),
            order: params.get("order").filter(|o| !o.is_empty()).cloned(),
            limit: number("limit", 1000, 1000, 1)?,
            offset: number("offset", 0, usize::MAX, 0)?,
        })
    }
}
