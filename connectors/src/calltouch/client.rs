//! The Calltouch HTTP client: connection settings, the two auth styles (export API with
//! `clientApiId` in the query, deals API with `Access-Token` + `SiteId` headers), and the
//! mapping of Calltouch's answers to classified errors.

use std::time::Duration;

use chrono::FixedOffset;
use serde_json::Value;

use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::{Redactor, SecretString};
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse, RateLimit};
use crate::utc_offset::{MOSCOW_SECONDS, utc_offset_setting};

/// The public API host.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.calltouch.ru";
/// The `crm` value sent with created deals when the connection names none.
pub(crate) const DEFAULT_CRM_NAME: &str = "ferry";

/// Calltouch allows 5 requests per second from one IP address.
pub(crate) fn default_rate_limit() -> RateLimit {
    // No burst: requests are spaced evenly, so even a strict sliding one-second window on
    // the server side never sees more than the limit.
    RateLimit {
        burst: None,
        ..RateLimit::per(5, Duration::from_secs(1))
    }
}

/// A connection's resolved settings.
#[derive(Debug, Clone)]
pub(crate) struct CalltouchSettings {
    pub site_id: String,
    pub token: SecretString,
    pub base_url: String,
    pub crm_name: String,
    pub offset: FixedOffset,
    pub rate_limit: RateLimit,
}

impl CalltouchSettings {
    /// Read and check a connection's settings.
    pub(crate) fn from_settings(settings: &Settings) -> Result<Self, ConnectorError> {
        let site_id = settings.require_str("site_id")?.trim().to_string();
        if site_id.is_empty() || site_id.contains(['/', '?', '#']) {
            return Err(ConnectorError::Config(format!(
                "setting `site_id`: {site_id:?} is not a Calltouch site id"
            )));
        }
        let token = settings.require_secret("token")?.clone();
        let base_url = settings
            .str("base_url")
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        url::Url::parse(&base_url).map_err(|e| {
            ConnectorError::Config(format!(
                "setting `base_url`: {base_url:?} is not a URL ({e})"
            ))
        })?;
        let crm_name = settings
            .str("crm_name")
            .unwrap_or_else(|| DEFAULT_CRM_NAME.to_string());
        let offset = utc_offset_setting(settings, MOSCOW_SECONDS)?;
        let rate_limit = default_rate_limit();
        Ok(CalltouchSettings {
            site_id,
            token,
            base_url,
            crm_name,
            offset,
            rate_limit,
        })
    }
}

/// Sends Calltouch requests for one connection.
#[derive(Clone)]
pub(crate) struct CalltouchClient {
    pub settings: CalltouchSettings,
    http: ConnectionClient,
}

impl CalltouchClient {
    /// A client sending through the shared transport. The 5 req/s limit is per source IP,
    /// so every connection to the same host shares one limiter.
    pub(crate) fn new(
        settings: CalltouchSettings,
        redactor_source: &Settings,
        ctx: &BuildContext,
    ) -> Self {
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("calltouch:{}", settings.base_url),
            rate_limit: Some(settings.rate_limit),
            redactor: redactor_source.redactor(),
        });
        CalltouchClient { settings, http }
    }

    /// GET an export-API path (under `/calls-service/RestAPI/`) with `clientApiId` added.
    pub(crate) async fn export_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, ConnectorError> {
        let url = format!("{}/calls-service/RestAPI/{path}", self.settings.base_url);
        let request = self
            .http
            .request(reqwest::Method::GET, &url)
            .query(&[("clientApiId", self.settings.token.expose())])
            .query(query)
            .header("accept", "application/json");
        let response = self.http.send(request).await?;
        classify(response, self.http.redactor())?.json()
    }

    /// POST a deals-API (`/lead-service/v1/api/client-order/<operation>`) JSON body.
    pub(crate) async fn deals_post(
        &self,
        operation: &str,
        body: &Value,
    ) -> Result<Value, ConnectorError> {
        let url = format!(
            "{}/lead-service/v1/api/client-order/{operation}",
            self.settings.base_url
        );
        let request = self
            .http
            .request(reqwest::Method::POST, &url)
            .header("Access-Token", self.settings.token.expose())
            .header("SiteId", &self.settings.site_id)
            .header("accept", "application/json")
            .json(body);
        let response = self.http.send(request).await?;
        let response = classify(response, self.http.redactor())?;
        // The success reply's shape is not documented; an empty body is a success too.
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        response.json()
    }
}

/// Calltouch's own failure answers before the generic status mapping: a refused token is
/// 401 or 403 (the API documents neither; both mean the credentials are wrong), and the
/// deals API lists field errors under `data.validationErrorData`.
fn classify(response: HttpResponse, redactor: &Redactor) -> Result<HttpResponse, ConnectorError> {
    if response.is_success() {
        return Ok(response);
    }
    let status = response.status;
    let body = response.body_excerpt();
    match status {
        401 | 403 => Err(ConnectorError::Auth { status, body }),
        400 | 404 | 409 | 422 => {
            let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
            match parsed.as_ref().and_then(validation_summary) {
                Some(summary) => Err(ConnectorError::Rejected {
                    status,
                    body: redactor.redact(&summary),
                }),
                None => Err(response.to_error()),
            }
        }
        _ => Err(response.to_error()),
    }
}

/// `"<message>: field: problem; field: problem"` from a deals-API error body (redacted by
/// the caller, as it is built from the raw body).
fn validation_summary(body: &Value) -> Option<String> {
    let errors = body.pointer("/data/validationErrorData")?;
    let details = match errors {
        Value::Object(map) => map
            .iter()
            .map(|(field, problem)| format!("{field}: {}", plain(problem)))
            .collect::<Vec<_>>()
            .join("; "),
        other => plain(other),
    };
    let message = body
        .get("message")
        .or_else(|| body.get("error"))
        .map(plain)
        .unwrap_or_else(|| "validation failed".to_string());
    Some(format!("{message}: {details}"))
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
    use serde_json::json;

    #[test]
    fn validation_errors_are_summarised_with_field_names() {
        let body = json!({"message": "Validation failed",
            "data": {"validationErrorData": {"orders[0].orderNumber": "must not be blank"}}});
        assert_eq!(
            validation_summary(&body).unwrap(),
            "Validation failed: orders[0].orderNumber: must not be blank"
        );
        assert!(validation_summary(&json!({"message": "x"})).is_none());
    }

    #[test]
    fn the_default_limit_is_the_documented_one_without_bursts() {
        let limit = default_rate_limit();
        assert_eq!(
            (limit.requests, limit.per, limit.burst),
            (5, Duration::from_secs(1), None)
        );
    }
}
