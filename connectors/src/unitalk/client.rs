//! The HTTP side of the connector: the API root and key from the settings, and UniTalk's
//! request style — every method is a `POST` of a JSON body to `<root>/<method>` with the
//! key in the `Authorization` header — and its error style: `{"status":"Error",
//! "message":"...","data":...}`, whatever the HTTP status. `Authorization invalid` means
//! the key is refused; `Internal error` is UniTalk's own failure; other messages reject
//! the request.

use chrono::FixedOffset;
use reqwest::Method;
use serde_json::Value;

use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse};
use crate::utc_offset::utc_offset_setting;

/// The public API root.
pub const DEFAULT_BASE_URL: &str = "https://api.unitalk.cloud/api";

/// The message UniTalk answers a missing or wrong key with.
pub const AUTHORIZATION_INVALID: &str = "Authorization invalid";

/// The account's default time zone: Kyiv in winter.
const DEFAULT_OFFSET_SECONDS: i32 = 2 * 3600;

/// Sends UniTalk API requests for one connection.
pub struct UnitalkClient {
    http: ConnectionClient,
    base_url: String,
    key: SecretString,
    /// The account's time zone: call dates and the history window are local times.
    pub offset: FixedOffset,
}

impl UnitalkClient {
    /// Read the connection settings.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let key = settings.require_secret("api_key")?;
        let raw = key.expose().trim();
        if raw.is_empty() {
            return Err(ConnectorError::Config(
                "secret setting `api_key` is empty".into(),
            ));
        }
        // The cabinet shows the bare key; `Bearer <key>` is accepted by UniTalk too, so a
        // pasted prefix is dropped rather than refused.
        let raw = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
        if raw.chars().any(char::is_whitespace) {
            return Err(ConnectorError::Config(
                "secret setting `api_key` contains whitespace; give the bare key".into(),
            ));
        }
        let base_url = settings
            .str("base_url")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base_url).map_err(|e| {
            ConnectorError::Config(format!(
                "setting `base_url`: {base_url:?} is not a URL ({e})"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Config(
                "setting `base_url` must be an http(s) URL".into(),
            ));
        }
        let offset = utc_offset_setting(settings, DEFAULT_OFFSET_SECONDS)?;
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("unitalk:{base_url}"),
            rate_limit: None,
            redactor: settings.redactor(),
        });
        Ok(UnitalkClient {
            http,
            base_url,
            key: SecretString::new(raw),
            offset,
        })
    }

    /// `POST <root>/<method>` with a JSON body; the answer's JSON.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, ConnectorError> {
        let request = self
            .http
            .request(Method::POST, &format!("{}/{method}", self.base_url))
            .header(reqwest::header::AUTHORIZATION, self.key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body);
        let response = self.http.send(request).await?;
        // Errors come as `{"status":"Error"}` bodies, with a 2xx status as often as not.
        if let Some(error) = api_error(&response, self.http.redactor()) {
            return Err(error);
        }
        if !response.is_success() {
            return Err(response.to_error());
        }
        response.json()
    }
}

/// The error an answer carries, if it is UniTalk's `{"status":"Error"}` or a failing
/// status.
fn api_error(
    response: &HttpResponse,
    redactor: &crate::secret::Redactor,
) -> Option<ConnectorError> {
    let body: Value = serde_json::from_slice(&response.body).ok()?;
    if body.get("status").and_then(Value::as_str) != Some("Error") {
        return None;
    }
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut text = message.to_string();
    match body.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => text.push_str(&format!(" ({s})")),
        Some(other) => text.push_str(&format!(" ({other})")),
    }
    let text = redactor.redact(&text);
    let status = response.status;
    Some(
        if message == AUTHORIZATION_INVALID || status == 401 || status == 403 {
            ConnectorError::Auth { status, body: text }
        } else if message == "Internal error" || status >= 500 {
            ConnectorError::Server { status, body: text }
        } else if status == 429 {
            ConnectorError::RateLimited {
                status,
                retry_after: response.asked_wait(),
                body: text,
            }
        } else {
            ConnectorError::Rejected { status, body: text }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryAdvice;
    use crate::secret::Redactor;
    use crate::test_kit;

    fn response(status: u16, body: &str) -> HttpResponse {
        test_kit::http_response(status, &[], body)
    }

    #[test]
    fn error_bodies_classify_whatever_the_status() {
        let auth = r#"{"status":"Error","message":"Authorization invalid"}"#;
        for status in [200, 401] {
            let e = api_error(&response(status, auth), &Redactor::default()).unwrap();
            assert_eq!(e.advice(), RetryAdvice::ConnectionBroken);
        }
        let internal = r#"{"status":"Error","message":"Internal error"}"#;
        assert_eq!(
            api_error(&response(200, internal), &Redactor::default())
                .unwrap()
                .advice(),
            RetryAdvice::Backoff
        );
        let bad = r#"{"status":"Error","message":"Wrong date format","data":"dateFrom"}"#;
        let e = api_error(&response(200, bad), &Redactor::default()).unwrap();
        assert_eq!(e.advice(), RetryAdvice::Never);
        assert_eq!(
            e.to_string(),
            "rejected (HTTP 200): Wrong date format (dateFrom)"
        );
        assert!(api_error(&response(200, r#"{"calls":[]}"#), &Redactor::default()).is_none());
    }
}
