//! The HTTP side of the connector: connection settings, the account's rate limit, HAL
//! JSON requests signed (and, for OAuth2 connections, refreshed on 401) by the shared
//! [`BearerAuth`], amoCRM's "204 = nothing found", and page-by-page reading through
//! `_links.next`.

use std::time::Duration;

use chrono::FixedOffset;
use reqwest::Method;
use serde_json::Value;

use super::auth::bearer_auth;
use super::errors::classify;
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::oauth::BearerAuth;
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse, RateLimit};
use crate::utc_offset::{MOSCOW_SECONDS, utc_offset_setting};

/// amoCRM's documented limit: 7 requests per second per account. No burst: requests are
/// spaced 1/7 s apart, so no one-second window, wherever it starts, holds more than 7.
pub const RATE_LIMIT: RateLimit = RateLimit::per(7, Duration::from_secs(1));

/// The largest page amoCRM serves.
pub const MAX_PAGE_SIZE: usize = 250;

/// The API path prefix every endpoint lives under.
pub const API_PREFIX: &str = "/api/v4";

/// Sends amoCRM requests for one connection.
pub struct AmoClient {
    http: ConnectionClient,
    base_url: String,
    auth: BearerAuth,
    /// The account's time zone, for task deadlines given as dates.
    pub utc_offset: FixedOffset,
}

/// `https://x.amocrm.ru/`, `https://x.amocrm.ru/api/v4` → `https://x.amocrm.ru`.
fn normalize_base_url(raw: &str) -> Result<String, ConnectorError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(API_PREFIX).unwrap_or(trimmed);
    let parsed = url::Url::parse(trimmed).map_err(|e| {
        ConnectorError::Config(format!(
            "setting `base_url`: {trimmed:?} is not a URL ({e}); give e.g. https://example.amocrm.ru"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConnectorError::Config(format!(
            "setting `base_url`: {trimmed:?} must be an https:// address like https://example.amocrm.ru"
        )));
    }
    Ok(trimmed.to_string())
}

impl AmoClient {
    /// Read the connection settings and join the account's limiter.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let base_url = normalize_base_url(&settings.require_str("base_url")?)?;
        let auth = bearer_auth(settings, ctx, &base_url)?;
        let utc_offset = utc_offset_setting(settings, MOSCOW_SECONDS)?;
        // The limit belongs to the account, whatever token reaches it.
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("amocrm:{base_url}"),
            rate_limit: Some(RATE_LIMIT),
            redactor: settings.redactor(),
        });
        Ok(AmoClient {
            http,
            base_url,
            auth,
            utc_offset,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base_url)
    }

    /// `GET /api/v4{path}?query`; `None` when amoCRM answers 204 (nothing found).
    pub async fn get(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Option<Value>, ConnectorError> {
        let request = self.http.request(Method::GET, &self.url(path)).query(query);
        self.send(request, false).await
    }

    /// `GET` one record by its path (`/leads/17`); `None` when it does not exist (amoCRM
    /// answers 204 for that; a 404 is read the same way).
    pub async fn get_one(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Option<Value>, ConnectorError> {
        let request = self.http.request(Method::GET, &self.url(path)).query(query);
        self.send(request, true).await
    }

    /// `POST /api/v4{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        let request = self.http.request(Method::POST, &self.url(path)).json(body);
        self.required(request).await
    }

    /// `PATCH /api/v4{path}` with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        let request = self.http.request(Method::PATCH, &self.url(path)).json(body);
        self.required(request).await
    }

    /// Every item of `_embedded.<key>` over all pages (`limit` = 250 unless the query sets
    /// one), following
    /// `_links.next` for at most `max_pages` pages. A 204 is an empty list.
    pub async fn list(
        &self,
        path: &str,
        query: &[(String, String)],
        key: &str,
        max_pages: usize,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut query = query.to_vec();
        if !query.iter().any(|(k, _)| k == "limit") {
            query.push(("limit".into(), MAX_PAGE_SIZE.to_string()));
        }
        let mut items = Vec::new();
        let mut page = self.get(path, &query).await?;
        let mut pages = 1;
        while let Some(body) = page {
            items.extend(embedded(&body, key)?);
            let Some(next) = next_link(&body) else { break };
            if pages >= max_pages {
                return Err(ConnectorError::InvalidResponse(format!(
                    "GET {path}: more than {max_pages} pages of results; narrow the search"
                )));
            }
            pages += 1;
            let url = self.follow(&next)?;
            let request = self.http.request(Method::GET, &url);
            page = self.send(request, false).await?;
        }
        Ok(items)
    }

    /// The URL of a `_links.next` href on this connection's own address: only its path
    /// and query are taken, so a link can never send the token to another host.
    fn follow(&self, href: &str) -> Result<String, ConnectorError> {
        let parsed = url::Url::parse(href)
            .or_else(|_| url::Url::parse(&format!("{}{href}", self.base_url)))
            .map_err(|e| {
                ConnectorError::InvalidResponse(format!(
                    "next-page link {href:?} is not a URL ({e})"
                ))
            })?;
        if !parsed.path().starts_with(&format!("{API_PREFIX}/")) {
            return Err(ConnectorError::InvalidResponse(format!(
                "next-page link {href:?} is outside {API_PREFIX}"
            )));
        }
        let mut url = format!("{}{}", self.base_url, parsed.path());
        if let Some(query) = parsed.query() {
            url.push('?');
            url.push_str(query);
        }
        Ok(url)
    }

    async fn required(&self, request: reqwest::RequestBuilder) -> Result<Value, ConnectorError> {
        self.send(request, false).await?.ok_or_else(|| {
            ConnectorError::InvalidResponse("amoCRM answered a write with no content".into())
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        not_found_is_none: bool,
    ) -> Result<Option<Value>, ConnectorError> {
        let request = request.header(reqwest::header::ACCEPT, "application/hal+json");
        let response = self.auth.send(&self.http, request).await?;
        if response.status == 204 || (not_found_is_none && response.status == 404) {
            return Ok(None);
        }
        if !response.is_success() {
            return Err(self.failure(&response));
        }
        response.json().map(Some)
    }

    fn failure(&self, response: &HttpResponse) -> ConnectorError {
        let error = classify(response, self.http.redactor());
        // A 429 holds back every request to the account, not only this item's retry.
        if let ConnectorError::RateLimited {
            retry_after: Some(wait),
            ..
        } = &error
        {
            self.http.pause_for(*wait);
        }
        error
    }
}

/// The `_embedded.<key>` array of a HAL answer.
pub fn embedded(body: &Value, key: &str) -> Result<Vec<Value>, ConnectorError> {
    match body.pointer(&format!("/_embedded/{key}")) {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(ConnectorError::InvalidResponse(format!(
            "answer without `_embedded.{key}`"
        ))),
    }
}

/// The first created item of a create answer and its `id`.
pub fn created_id(body: &Value, key: &str) -> Result<i64, ConnectorError> {
    embedded(body, key)?
        .first()
        .and_then(|item| item.get("id"))
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            ConnectorError::InvalidResponse(format!(
                "create answer without `_embedded.{key}[0].id`"
            ))
        })
}

fn next_link(body: &Value) -> Option<String> {
    body.pointer("/_links/next/href")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        assert_eq!(
            normalize_base_url(" https://shop.amocrm.ru/api/v4/ ").unwrap(),
            "https://shop.amocrm.ru"
        );
        assert!(normalize_base_url("shop.amocrm.ru").is_err());
        assert!(normalize_base_url("ftp://shop.amocrm.ru").is_err());
    }

    #[test]
    fn the_default_limit_is_seven_per_second_evenly_spaced() {
        assert_eq!(
            (RATE_LIMIT.requests, RATE_LIMIT.per, RATE_LIMIT.burst),
            (7, Duration::from_secs(1), None)
        );
    }
}
