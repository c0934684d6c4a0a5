//! The HTTP side of the connector: connection settings, the account's rate limit, and
//! JSON requests with the headers MoySklad insists on (`Authorization: Bearer`,
//! `Accept-Encoding: gzip` — without it MoySklad answers 415 with an empty body).

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::errors::classify;
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{ConnectionClient, ConnectionOptions, RateLimit};

/// The public API root.
pub const DEFAULT_BASE_URL: &str = "https://api.moysklad.ru/api/remap/1.2";

/// MoySklad's documented limit: 45 requests per 3 seconds and 5 in flight per user.
///
/// No burst (`burst: None`): the limiter spaces requests evenly, 1/15 s apart, which keeps
/// every 3-second window (MoySklad counts a sliding window) at 45 or fewer. A full-size
/// burst would let a token bucket send 45 at once and 45 more over the next 3 s.
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 45,
    per: Duration::from_secs(3),
    burst: None,
    max_parallel: Some(5),
};

/// Query values are percent-encoded in full (MoySklad: "URL-encode the whole value"),
/// keeping only RFC 3986 unreserved characters; a space becomes `%20`, never `+`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A JSON meta reference (`{"meta":{"href","type","mediaType"}}`).
pub fn meta_ref(href: &str, kind: &str) -> Value {
    json!({"meta": {"href": href, "type": kind, "mediaType": "application/json"}})
}

/// The id at the end of a meta href (`.../entity/counterparty/<id>` → `<id>`).
pub fn id_from_href(href: &str) -> Option<&str> {
    let path = href.split(['?', '#']).next()?;
    path.rsplit('/').next().filter(|s| !s.is_empty())
}

/// A connection to one MoySklad account.
pub struct MoySkladClient {
    http: ConnectionClient,
    base_url: String,
    token: SecretString,
}

impl MoySkladClient {
    /// Read the connection settings and join the account's limiter.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let token = settings.require_secret("token")?.clone();
        if token.expose().trim().is_empty() {
            return Err(ConnectorError::Config(
                "secret setting `token` is empty".into(),
            ));
        }
        let base_url = settings
            .str("base_url")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let parsed = url::Url::parse(base_url.trim())
            .map_err(|e| ConnectorError::Config(format!("setting `base_url` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Config(
                "setting `base_url` must be an http(s) URL".into(),
            ));
        }
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        // The limit belongs to the MoySklad user, i.e. the token; the key holds a digest so
        // that the token itself never becomes part of an identifier.
        let digest = hex::encode(&Sha256::digest(token.expose().as_bytes())[..8]);
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("moysklad:{base_url}:{digest}"),
            rate_limit: Some(RATE_LIMIT),
            redactor: settings.redactor(),
        });
        Ok(MoySkladClient {
            http,
            base_url,
            token,
        })
    }

    /// The absolute href of an API path such as `/entity/counterparty/<id>`.
    pub fn href(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// `GET path?query`; the answer's JSON.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ConnectorError> {
        let mut url = self.href(path);
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&utf8_percent_encode(value, QUERY_VALUE).to_string());
        }
        self.send(Method::GET, url, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.send(Method::POST, self.href(path), Some(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.send(Method::PUT, self.href(path), Some(body)).await
    }

    async fn send(
        &self,
        method: Method,
        url: String,
        body: Option<&Value>,
    ) -> Result<Value, ConnectorError> {
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(self.token.expose())
            // reqwest adds this header itself when its gzip feature is on; it is set here
            // explicitly because MoySklad refuses any request without it.
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .header(reqwest::header::ACCEPT, "application/json;charset=utf-8");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = self.http.send(request).await?;
        if !response.is_success() {
            let error = classify(&response, self.http.redactor());
            // MoySklad says how long to wait in its own headers; hold every request to
            // this account for that long, not only this item's retry.
            if let ConnectorError::RateLimited {
                retry_after: Some(wait),
                ..
            } = &error
            {
                self.http.pause_for(*wait);
            }
            return Err(error);
        }
        response.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_hrefs() {
        assert_eq!(
            id_from_href("https://x/api/remap/1.2/entity/counterparty/abc-1"),
            Some("abc-1")
        );
        assert_eq!(
            id_from_href("https://x/entity/counterparty/abc?expand=x"),
            Some("abc")
        );
        assert_eq!(id_from_href("https://x/entity/counterparty/"), None);
    }

    #[test]
    fn query_values_are_fully_encoded() {
        let v = utf8_percent_encode("updated>=2024-05-14 00:00:00;a\\;b", QUERY_VALUE).to_string();
        assert_eq!(v, "updated%3E%3D2024-05-14%2000%3A00%3A00%3Ba%5C%3Bb");
    }
}
