//! The `poll` trigger's settings as a bundle writes them, checked: the list endpoint,
//! where the list sits in the answer, and the pagination style.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::json_path::JsonPath;
use crate::error::ConnectorError;

/// Pages one poll may read unless the bundle says otherwise.
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// How the list is paged.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    /// Send the largest id seen so far (`?since_id=<cursor>`); the answer holds only newer
    /// items. A full page (`page_size` items) means the next page follows, asked for with
    /// the page's last id.
    CursorAfterId {
        /// The query parameter carrying the id.
        param: String,
    },
    /// `?page=1`, `?page=2`, ... until a page comes back short or empty.
    PageNumber {
        /// The query parameter carrying the page number.
        param: String,
        /// The query parameter carrying the page size (default: `limit_param`).
        #[serde(default)]
        size_param: Option<String>,
        /// The page size (default: `page_size`).
        #[serde(default)]
        size: Option<u32>,
        /// The number of the first page; default 1.
        #[serde(default)]
        first: Option<u32>,
    },
    /// Follow the URL found at `path` in each answer until it is absent, null or empty.
    NextLink {
        /// Dotted path to the next page's URL (absolute, or relative to the current page).
        path: String,
    },
}

/// The raw settings (field names as in the bundle).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPollSettings {
    path: String,
    #[serde(default)]
    query: Option<Value>,
    #[serde(default)]
    items_path: Option<String>,
    #[serde(default)]
    id_field: Option<String>,
    #[serde(default)]
    pagination: Option<Pagination>,
    #[serde(default)]
    page_size: Option<u32>,
    #[serde(default)]
    limit_param: Option<String>,
    #[serde(default)]
    max_pages: Option<u32>,
}

/// The checked settings.
#[derive(Debug)]
pub struct PollSettings {
    /// Path of the list endpoint.
    pub path: String,
    /// The `query` object (checked when the request is built).
    pub query: Option<Value>,
    /// Where the list is in the answer.
    pub items_path: JsonPath,
    /// Where an item's id is.
    pub id_field: JsonPath,
    /// How pages follow each other (`None`: one request per poll).
    pub pagination: Option<Pagination>,
    /// Items asked for per page.
    pub page_size: Option<u32>,
    /// The query parameter carrying `page_size`.
    pub limit_param: Option<String>,
    /// Pages one poll may read.
    pub max_pages: u32,
}

fn config(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Config(format!("trigger `poll`: {}", message.into()))
}

impl PollSettings {
    /// Check the trigger settings of a bundle.
    pub fn parse(settings: &Map<String, Value>) -> Result<PollSettings, ConnectorError> {
        let raw: RawPollSettings = serde_json::from_value(Value::Object(settings.clone()))
            .map_err(|e| config(e.to_string()))?;
        let items_path = JsonPath::parse(raw.items_path.as_deref().unwrap_or(""))
            .map_err(|e| config(format!("`items_path`: {e}")))?;
        let id_field = JsonPath::parse(raw.id_field.as_deref().unwrap_or("id"))
            .map_err(|e| config(format!("`id_field`: {e}")))?;
        if id_field.as_str().is_empty() {
            return Err(config("`id_field` cannot be empty"));
        }
        if raw.page_size == Some(0) {
            return Err(config("`page_size` must be at least 1"));
        }
        // `page_size` alone is fine (an API with a fixed page size); a parameter with no
        // value to send is a mistake.
        if raw.limit_param.is_some() && raw.page_size.is_none() {
            return Err(config("`limit_param` needs `page_size`"));
        }
        let pagination = raw.pagination;
        match &pagination {
            Some(Pagination::CursorAfterId { param }) if param.trim().is_empty() => {
                return Err(config("`pagination.param` cannot be empty"));
            }
            Some(Pagination::PageNumber {
                param,
                size_param,
                size,
                ..
            }) => {
                if param.trim().is_empty() {
                    return Err(config("`pagination.param` cannot be empty"));
                }
                if *size == Some(0) {
                    return Err(config("`pagination.size` must be at least 1"));
                }
                if size_param.is_some() && size.is_none() && raw.page_size.is_none() {
                    return Err(config("`pagination.size_param` needs `pagination.size`"));
                }
            }
            Some(Pagination::NextLink { path }) => {
                let path =
                    JsonPath::parse(path).map_err(|e| config(format!("`pagination.path`: {e}")))?;
                if path.as_str().is_empty() {
                    return Err(config("`pagination.path` cannot be empty"));
                }
            }
            _ => {}
        }
        Ok(PollSettings {
            path: raw.path,
            query: raw.query,
            items_path,
            id_field,
            pagination,
            page_size: raw.page_size,
            limit_param: raw.limit_param,
            max_pages: raw
                .max_pages
                .filter(|m| *m > 0)
                .unwrap_or(DEFAULT_MAX_PAGES),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<PollSettings, ConnectorError> {
        match value {
            Value::Object(map) => PollSettings::parse(&map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn reads_each_pagination_style() {
        let s = parse(json!({"path": "/leads", "pagination": {"style": "cursor_after_id", "param": "since_id"}})).unwrap();
        assert_eq!(
            s.pagination,
            Some(Pagination::CursorAfterId {
                param: "since_id".into()
            })
        );
        assert_eq!(s.id_field.as_str(), "id");
        let s = parse(json!({
            "path": "/leads",
            "items_path": "data",
            "pagination": {"style": "page_number", "param": "page", "size_param": "limit", "size": 100}
        }))
        .unwrap();
        assert!(matches!(
            s.pagination,
            Some(Pagination::PageNumber {
                size: Some(100),
                ..
            })
        ));
        let s = parse(
            json!({"path": "/x", "pagination": {"style": "next_link", "path": "links.next"}}),
        )
        .unwrap();
        assert_eq!(
            s.pagination,
            Some(Pagination::NextLink {
                path: "links.next".into()
            })
        );
        assert_eq!(s.max_pages, DEFAULT_MAX_PAGES);
    }

    #[test]
    fn bad_settings_are_named() {
        let err = parse(json!({"path": "/x", "pagination": {"style": "offset", "param": "o"}}))
            .unwrap_err();
        assert!(err.to_string().contains("offset"), "{err}");
        let err = parse(
            json!({"path": "/x", "pagination": {"style": "next_link", "path": "a", "extra": 1}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
        let err = parse(json!({"path": "/x", "pages": 3})).unwrap_err();
        assert!(err.to_string().contains("pages"), "{err}");
        assert!(
            parse(json!({"query": {}}))
                .unwrap_err()
                .to_string()
                .contains("path")
        );
        assert!(
            parse(json!({"path": "/x", "limit_param": "limit"})).is_err(),
            "limit_param without page_size"
        );
        assert!(parse(json!({"path": "/x", "items_path": "a..b"})).is_err());
    }
}
