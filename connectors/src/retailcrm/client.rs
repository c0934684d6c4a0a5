//! The retailCRM API v5 client: connection settings, `X-API-KEY` auth, form-encoded
//! writes, and the mapping of retailCRM's answers (`{"success":false,"errorMsg":..,
//! "errors":..}`, 503 for its rate limit) to classified errors.

use std::time::Duration;

use chrono::FixedOffset;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::{Redactor, SecretString};
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse, RateLimit};
use crate::utc_offset::{MOSCOW_SECONDS, utc_offset_setting};

/// retailCRM allows 10 requests per second per API key.
pub(crate) fn default_rate_limit() -> RateLimit {
    // No burst: requests are spaced evenly, so even a strict sliding one-second window on
    // the server side never sees more than the limit.
    RateLimit {
        burst: None,
        ..RateLimit::per(10, Duration::from_secs(1))
    }
}

/// What a 503 without `Retry-After` waits: the official PHP client sleeps one second.
pub(crate) const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// A connection's resolved settings.
#[derive(Debug, Clone)]
pub(crate) struct RetailCrmSettings {
    pub url: String,
    pub api_key: SecretString,
    pub site: String,
    pub offset: FixedOffset,
    pub rate_limit: RateLimit,
}

impl RetailCrmSettings {
    /// Read and check a connection's settings.
    pub(crate) fn from_settings(settings: &Settings) -> Result<Self, ConnectorError> {
        let url = settings
            .require_str("url")?
            .trim()
            .trim_end_matches('/')
            .to_string();
        let parsed = url::Url::parse(&url).map_err(|e| {
            ConnectorError::Config(format!("setting `url`: {url:?} is not a URL ({e})"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Config(format!(
                "setting `url`: {url:?} must start with https://"
            )));
        }
        let url = url.trim_end_matches("/api/v5").to_string();
        let api_key = settings.require_secret("api_key")?.clone();
        let site = settings.require_str("site")?.trim().to_string();
        if site.is_empty() {
            return Err(ConnectorError::Config("setting `site` is empty".into()));
        }
        let offset = utc_offset_setting(settings, MOSCOW_SECONDS)?;
        let rate_limit = default_rate_limit();
        Ok(RetailCrmSettings {
            url,
            api_key,
            site,
            offset,
            rate_limit,
        })
    }
}

/// Sends retailCRM requests for one connection.
#[derive(Clone)]
pub(crate) struct RetailCrmClient {
    pub settings: RetailCrmSettings,
    http: ConnectionClient,
}

impl RetailCrmClient {
    /// A client sending through the shared transport. The limit is per API key, so the
    /// account key holds a digest of the key (never the key itself).
    pub(crate) fn new(settings: RetailCrmSettings, source: &Settings, ctx: &BuildContext) -> Self {
        let digest = hex::encode(Sha256::digest(settings.api_key.expose().as_bytes()));
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("retailcrm:{}#{}", settings.url, &digest[..12]),
            rate_limit: Some(settings.rate_limit),
            redactor: source.redactor(),
        });
        RetailCrmClient { settings, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v5/{path}", self.settings.url)
    }

    /// GET an API path; `None` when retailCRM answers 404 "Not found".
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, ConnectorError> {
        let request = self
            .http
            .request(reqwest::Method::GET, &self.url(path))
            .header("X-API-KEY", self.settings.api_key.expose())
            .query(query);
        self.finish(request, true).await
    }

    /// GET an API path that must exist.
    pub(crate) async fn get_required(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, ConnectorError> {
        self.get(path, query)
            .await?
            .ok_or_else(|| ConnectorError::Rejected {
                status: 404,
                body: format!("{path}: Not found"),
            })
    }

    /// POST a form (`customer=<json>&site=..`).
    pub(crate) async fn post_form(
        &self,
        path: &str,
        form: &[(&str, String)],
    ) -> Result<Value, ConnectorError> {
        let request = self
            .http
            .request(reqwest::Method::POST, &self.url(path))
            .header("X-API-KEY", self.settings.api_key.expose())
            .form(form);
        let reply = self.finish(request, false).await?;
        Ok(reply.expect("writes never map to not-found"))
    }

    async fn finish(
        &self,
        request: reqwest::RequestBuilder,
        not_found_is_none: bool,
    ) -> Result<Option<Value>, ConnectorError> {
        let response = self.http.send(request).await?;
        if not_found_is_none && response.status == 404 {
            return Ok(None);
        }
        let response = classify(response, self.http.redactor())?;
        let body: Value = response.json()?;
        if body.get("success") == Some(&Value::Bool(false)) {
            let message = vendor_message(&body).unwrap_or_else(|| response.body_excerpt());
            return Err(ConnectorError::Rejected {
                status: response.status,
                body: self.http.redactor().redact(&message),
            });
        }
        Ok(Some(body))
    }
}

/// retailCRM's failures, before the generic status mapping: 503 is its rate-limit answer;
/// a refused or missing key (`Wrong "apiKey" value.`, `"apiKey" is missing.`), `Access
/// denied.` and `Account does not exist.` break the connection; other `success:false`
/// answers are rejections carrying `errorMsg` and the field `errors`.
fn classify(response: HttpResponse, redactor: &Redactor) -> Result<HttpResponse, ConnectorError> {
    if response.is_success() {
        return Ok(response);
    }
    let status = response.status;
    if status == 503 {
        return Err(ConnectorError::RateLimited {
            status,
            retry_after: Some(response.asked_wait().unwrap_or(RATE_LIMIT_PAUSE)),
            body: response.body_excerpt(),
        });
    }
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    let message = parsed
        .as_ref()
        .and_then(vendor_message)
        .map(|m| redactor.redact(&m));
    let error_msg = parsed
        .as_ref()
        .and_then(|b| b.get("errorMsg"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let credentials_refused = error_msg.contains("apiKey")
        || error_msg.starts_with("Access denied")
        || error_msg.starts_with("Account does not exist");
    match (status, message) {
        (401 | 403, message) => Err(ConnectorError::Auth {
            status,
            body: message.unwrap_or_else(|| response.body_excerpt()),
        }),
        (400..=499, Some(message)) if credentials_refused => Err(ConnectorError::Auth {
            status,
            body: message,
        }),
        (400..=499, Some(message)) if status != 408 && status != 425 && status != 429 => {
            Err(ConnectorError::Rejected {
                status,
                body: message,
            })
        }
        _ => Err(response.to_error()),
    }
}

/// `errorMsg (field: message; field: message)` from an error body.
pub(crate) fn vendor_message(body: &Value) -> Option<String> {
    let error_msg = body.get("errorMsg").and_then(Value::as_str)?;
    let details: Vec<String> = match body.get("errors") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", plain(v)))
            .collect(),
        Some(Value::Array(list)) => list.iter().map(plain).collect(),
        _ => Vec::new(),
    };
    if details.is_empty() {
        Some(error_msg.to_string())
    } else {
        Some(format!("{error_msg} ({})", details.join("; ")))
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_kit;
    use serde_json::json;

    fn response(status: u16, body: Value) -> HttpResponse {
        test_kit::http_response(status, &[], &body.to_string())
    }

    #[test]
    fn vendor_messages_carry_field_errors_in_both_shapes() {
        let map = json!({"success": false, "errorMsg": "Errors in the entity format", "errors": {"email": "bad"}});
        assert_eq!(
            vendor_message(&map).unwrap(),
            "Errors in the entity format (email: bad)"
        );
        let list = json!({"success": false, "errorMsg": "Validation error", "errors": ["a", "b"]});
        assert_eq!(vendor_message(&list).unwrap(), "Validation error (a; b)");
        assert!(vendor_message(&json!({"success": false})).is_none());
    }

    #[test]
    fn statuses_and_messages_are_classified_the_retailcrm_way() {
        let redactor = Redactor::default();
        let wrong_key = response(
            403,
            json!({"success": false, "errorMsg": "Wrong \"apiKey\" value."}),
        );
        assert!(matches!(
            classify(wrong_key, &redactor),
            Err(ConnectorError::Auth { status: 403, .. })
        ));
        let missing = response(
            400,
            json!({"success": false, "errorMsg": "\"apiKey\" is missing."}),
        );
        assert!(matches!(
            classify(missing, &redactor),
            Err(ConnectorError::Auth { .. })
        ));
        let limited = response(
            503,
            json!({"success": false, "errorMsg": "Rate limit exceeded"}),
        );
        match classify(limited, &redactor) {
            Err(e @ ConnectorError::RateLimited { .. }) => {
                assert_eq!(
                    e.advice(),
                    crate::error::RetryAdvice::After(RATE_LIMIT_PAUSE)
                );
            }
            other => panic!("{other:?}"),
        }
        let invalid = response(
            400,
            json!({"success": false, "errorMsg": "Errors in the entity format", "errors": {"email": "bad"}}),
        );
        match classify(invalid, &redactor) {
            Err(ConnectorError::Rejected { status: 400, body }) => {
                assert!(body.contains("email: bad"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(response(500, json!({})), &redactor),
            Err(ConnectorError::Server { .. })
        ));
    }

    #[test]
    fn the_url_setting_is_normalised() {
        let mut values = serde_json::Map::new();
        values.insert("url".into(), json!("https://shop.retailcrm.ru/api/v5/"));
        values.insert("site".into(), json!("main"));
        let secrets = std::collections::BTreeMap::from([(
            "api_key".to_string(),
            SecretString::new("k-123456"),
        )]);
        let resolved = RetailCrmSettings::from_settings(&Settings::new(values, secrets)).unwrap();
        assert_eq!(resolved.url, "https://shop.retailcrm.ru");
        assert_eq!(resolved.rate_limit, default_rate_limit());
    }

    #[test]
    fn the_default_limit_is_the_documented_one_without_bursts() {
        let limit = default_rate_limit();
        assert_eq!(
            (limit.requests, limit.per, limit.burst),
            (10, Duration::from_secs(1), None)
        );
    }
}
