//! The HTTP side of the connector: the instance URL and API version from the settings,
//! every request signed and its 401 judged by [`Auth`], SOQL queries read to the end
//! through `nextRecordsUrl`, sObject create / update / upsert-by-external-id, and the
//! org's API usage read from `Sforce-Limit-Info` on every answer.

use std::sync::Mutex;

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::auth::Auth;
use super::errors::classify;
use super::soql::{is_api_name, is_record_id};
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse};

/// The REST API version used when the connection names none.
pub const DEFAULT_API_VERSION: &str = "60.0";

/// The most pages one query is followed for before the connector gives up.
pub const MAX_QUERY_PAGES: usize = 50;

/// The org's daily API usage as the last answer reported it (`api-usage=18/5000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    /// Requests counted in the rolling 24 hours.
    pub used: u64,
    /// The org's quota.
    pub limit: u64,
}

impl ApiUsage {
    /// Read `Sforce-Limit-Info` (`api-usage=18/5000`, possibly with more `; key=value`
    /// parts such as `per-app-api-usage=...`).
    pub fn parse(header: &str) -> Option<ApiUsage> {
        header.split(';').find_map(|part| {
            let (key, value) = part.trim().split_once('=')?;
            if key.trim() != "api-usage" {
                return None;
            }
            let (used, limit) = value.trim().split_once('/')?;
            Some(ApiUsage {
                used: used.trim().parse().ok()?,
                limit: limit.trim().parse().ok()?,
            })
        })
    }
}

/// Sends REST API requests to one org.
pub struct SalesforceClient {
    http: ConnectionClient,
    instance_url: String,
    version: String,
    auth: Auth,
    usage: Mutex<Option<ApiUsage>>,
}

/// `https://x.my.salesforce.com/` → `https://x.my.salesforce.com`; refuses what is not an
/// http(s) address.
fn normalize_instance_url(raw: &str) -> Result<String, ConnectorError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed).map_err(|e| {
        ConnectorError::Config(format!(
            "setting `instance_url`: {trimmed:?} is not a URL ({e}); give e.g. https://example.my.salesforce.com"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConnectorError::Config(format!(
            "setting `instance_url`: {trimmed:?} must be an https:// address like https://example.my.salesforce.com"
        )));
    }
    if parsed.path() != "/" && !parsed.path().is_empty() {
        return Err(ConnectorError::Config(format!(
            "setting `instance_url`: give the org's address only, without a path (got {trimmed:?})"
        )));
    }
    Ok(trimmed.to_string())
}

/// `60.0`, `v60.0`, `60` → `60.0`.
fn normalize_version(raw: &str) -> Result<String, ConnectorError> {
    let text = raw.trim().trim_start_matches(['v', 'V']);
    let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(major), Ok(minor)) if (20..=99).contains(&major) => Ok(format!("{major}.{minor}")),
        _ => Err(ConnectorError::Config(format!(
            "setting `api_version`: {raw:?} is not a REST API version like 60.0"
        ))),
    }
}

impl SalesforceClient {
    /// Read the connection settings.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let instance_url = normalize_instance_url(&settings.require_str("instance_url")?)?;
        let version = match settings.str("api_version") {
            Some(text) => normalize_version(&text)?,
            None => DEFAULT_API_VERSION.to_string(),
        };
        let auth = Auth::new(settings, ctx, &instance_url)?;
        // Salesforce has no per-second limit, only the daily quota; the account key still
        // gives every bundle reaching this org one pause when the quota runs out.
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("salesforce:{instance_url}"),
            rate_limit: None,
            redactor: settings.redactor(),
        });
        Ok(SalesforceClient {
            http,
            instance_url,
            version,
            auth,
            usage: Mutex::new(None),
        })
    }

    /// The `/services/data/vNN.N` prefix.
    pub fn data_prefix(&self) -> String {
        format!("/services/data/v{}", self.version)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.instance_url, self.data_prefix())
    }

    /// The org's API usage from the latest answer that reported it.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        *self.usage.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `GET /limits`: cheap, and proves the token and the version.
    pub async fn limits(&self) -> Result<Value, ConnectorError> {
        let url = self.url("/limits");
        self.send(self.http.request(Method::GET, &url))
            .await?
            .json()
    }

    /// Run a SOQL query and read every page (`done` / `nextRecordsUrl`), at most
    /// `max_pages` of them.
    pub async fn query(&self, soql: &str, max_pages: usize) -> Result<Vec<Value>, ConnectorError> {
        let url = self.url("/query");
        let mut page: Value = self
            .send(self.http.request(Method::GET, &url).query(&[("q", soql)]))
            .await?
            .json()?;
        let mut records = Vec::new();
        for fetched in 1.. {
            match page.get("records") {
                Some(Value::Array(items)) => records.extend(items.iter().cloned()),
                _ => {
                    return Err(ConnectorError::InvalidResponse(
                        "query answer without `records`".into(),
                    ));
                }
            }
            let done = page.get("done").and_then(Value::as_bool).unwrap_or(true);
            let next = page.get("nextRecordsUrl").and_then(Value::as_str);
            let Some(next) = next.filter(|_| !done) else {
                break;
            };
            if fetched >= max_pages {
                return Err(ConnectorError::InvalidResponse(format!(
                    "query has more than {max_pages} pages of results; narrow it"
                )));
            }
            let next = self.follow(next)?;
            page = self
                .send(self.http.request(Method::GET, &next))
                .await?
                .json()?;
        }
        Ok(records)
    }

    /// The URL of a `nextRecordsUrl` on this org's own address: only a path under
    /// `/services/data/` is taken, so a link can never send the token elsewhere.
    fn follow(&self, link: &str) -> Result<String, ConnectorError> {
        let path = match url::Url::parse(link) {
            Ok(absolute) => absolute.path().to_string(),
            Err(_) => link
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        if !path.starts_with("/services/data/") || path.contains("..") {
            return Err(ConnectorError::InvalidResponse(format!(
                "nextRecordsUrl {link:?} is outside /services/data/"
            )));
        }
        Ok(format!("{}{path}", self.instance_url))
    }

    /// `POST /sobjects/<object>/`: create a record, answering its id.
    pub async fn create(&self, object: &str, body: &Value) -> Result<String, ConnectorError> {
        check_name(object)?;
        let url = self.url(&format!("/sobjects/{object}/"));
        let answer: Value = self
            .send(self.http.request(Method::POST, &url).json(body))
            .await?
            .json()?;
        written_id(&answer)
    }

    /// `PATCH /sobjects/<object>/<id>`: change fields of a record (204, no body).
    pub async fn update(&self, object: &str, id: &str, body: &Value) -> Result<(), ConnectorError> {
        check_name(object)?;
        if !is_record_id(id) {
            return Err(ConnectorError::Config(format!(
                "{id:?} is not a Salesforce record id (15 or 18 letters and digits)"
            )));
        }
        let url = self.url(&format!("/sobjects/{object}/{id}"));
        self.send(self.http.request(Method::PATCH, &url).json(body))
            .await
            .map(|_| ())
    }

    /// `PATCH /sobjects/<object>/<field>/<value>`: create or update by an external-id
    /// field; answers the id and whether a record was created (201) or updated (200, or
    /// 204 on old API versions).
    pub async fn upsert(
        &self,
        object: &str,
        field: &str,
        value: &str,
        body: &Value,
    ) -> Result<(String, bool), ConnectorError> {
        check_name(object)?;
        check_name(field)?;
        let encoded: String =
            percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let url = self.url(&format!("/sobjects/{object}/{field}/{encoded}"));
        let response = self
            .send(self.http.request(Method::PATCH, &url).json(body))
            .await?;
        if response.status == 204 {
            return Err(ConnectorError::InvalidResponse(
                "the upsert answered 204 without the record id (API versions before 46.0); set `api_version` to 46.0 or later".into(),
            ));
        }
        let answer: Value = response.json()?;
        let created = match answer.get("created") {
            Some(Value::Bool(created)) => *created,
            _ => response.status == 201,
        };
        Ok((written_id(&answer)?, created))
    }

    /// Send one request through the auth seam and judge the answer: a 401 that the seam
    /// could not cure is its to classify; other failures are classified here.
    async fn send(&self, request: RequestBuilder) -> Result<HttpResponse, ConnectorError> {
        let request = request.header(reqwest::header::ACCEPT, "application/json");
        let response = self.auth.send(&self.http, request).await?;
        self.note_usage(&response);
        if response.status == 401 {
            return Err(self.auth.refused(&response, self.http.redactor()));
        }
        if !response.is_success() {
            let error = classify(&response, self.http.redactor());
            if let ConnectorError::Unavailable {
                retry_after,
                reason,
            } = &error
            {
                // The quota is the org's: every bundle reaching it is held (requests
                // refused unsent, items waiting without spending attempts) rather than
                // each item spending a request to learn it again.
                self.http.hold_for(*retry_after, reason.clone());
            }
            return Err(error);
        }
        Ok(response)
    }

    /// Remember the org's API usage from `Sforce-Limit-Info`, warning near the quota.
    fn note_usage(&self, response: &HttpResponse) {
        let Some(usage) = response
            .header("sforce-limit-info")
            .and_then(ApiUsage::parse)
        else {
            return;
        };
        *self.usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(usage);
        if usage.limit > 0 && usage.used * 10 >= usage.limit * 9 {
            tracing::warn!(
                used = usage.used,
                limit = usage.limit,
                "the Salesforce org has used 90% of its daily API quota"
            );
        }
    }
}

fn check_name(name: &str) -> Result<(), ConnectorError> {
    if is_api_name(name) {
        Ok(())
    } else {
        Err(ConnectorError::Config(format!(
            "{name:?} is not a Salesforce API name (letters, digits and underscores)"
        )))
    }
}

/// The `id` of a `{"id","success":true,"errors":[]}` answer.
fn written_id(answer: &Value) -> Result<String, ConnectorError> {
    match (
        answer.get("id").and_then(Value::as_str),
        answer.get("success"),
    ) {
        (Some(id), Some(Value::Bool(true)) | None) => Ok(id.to_string()),
        _ => Err(ConnectorError::InvalidResponse(format!(
            "write answer without a successful `id`: {answer}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_headers_parse() {
        assert_eq!(
            ApiUsage::parse("api-usage=18/5000"),
            Some(ApiUsage {
                used: 18,
                limit: 5000
            })
        );
        assert_eq!(
            ApiUsage::parse("per-app-api-usage=2/250(appName=x); api-usage=25/15000"),
            Some(ApiUsage {
                used: 25,
                limit: 15000
            })
        );
        assert_eq!(ApiUsage::parse("api-usage=x/5000"), None);
    }

    #[test]
    fn settings_normalise() {
        assert_eq!(
            normalize_instance_url(" https://acme.my.salesforce.com/ ").unwrap(),
            "https://acme.my.salesforce.com"
        );
        assert!(normalize_instance_url("acme.my.salesforce.com").is_err());
        assert!(normalize_instance_url("https://acme.my.salesforce.com/services/data").is_err());
        assert_eq!(normalize_version("v60.0").unwrap(), "60.0");
        assert_eq!(normalize_version("59").unwrap(), "59.0");
        assert!(normalize_version("latest").is_err());
    }
}
