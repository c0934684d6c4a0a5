//! The connection side of the `http` connector: its settings (base URL, fixed headers,
//! credentials, timeout) and sending one request through the shared transport.
//!
//! Credentials are only ever sent to the `base_url` origin: a `url` input or a next link
//! that points anywhere else is refused, because such a URL can come from item data and
//! would otherwise hand the token to whoever controls that data.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use url::Url;

use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::{Redactor, SecretString};
use crate::transport::{ConnectionClient, ConnectionOptions, HttpResponse};

/// The header an `api_key` goes in when neither `api_key_header` nor `api_key_query` is set.
pub const DEFAULT_API_KEY_HEADER: &str = "X-API-Key";

/// How the connection authenticates.
enum Credentials {
    None,
    Bearer(SecretString),
    KeyHeader(HeaderName, SecretString),
    KeyQuery(String, SecretString),
}

/// One request, ready to send (credentials and connection headers are added on send).
pub struct OutboundRequest<'a> {
    /// The method.
    pub method: Method,
    /// The absolute URL (already checked to be on the connection's origin).
    pub url: Url,
    /// Query parameters appended to the URL.
    pub query: &'a [(String, String)],
    /// Headers for this request only.
    pub headers: HeaderMap,
    /// A JSON body.
    pub body: Option<&'a Value>,
}

/// A connection to one REST API.
pub struct HttpClient {
    http: ConnectionClient,
    base_url: Url,
    headers: HeaderMap,
    credentials: Credentials,
    timeout: Option<Duration>,
    check_path: Option<String>,
    redactor: Redactor,
}

impl HttpClient {
    /// Read the connection settings.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<HttpClient, ConnectorError> {
        let base_text = settings.require_str("base_url")?;
        let base_url = Url::parse(base_text.trim())
            .map_err(|e| config(format!("setting `base_url` is not a URL: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
            return Err(config(
                "setting `base_url` must be an http(s) URL with a host",
            ));
        }
        let credentials = read_credentials(settings)?;
        let mut redactor = settings.redactor();
        if let Credentials::KeyQuery(_, key) = &credentials {
            // The key travels form-encoded in the URL, which differs from the encodings the
            // redactor derives by itself (`-` stays raw, `/` becomes %2F), so add that form.
            let encoded: String =
                url::form_urlencoded::byte_serialize(key.expose().as_bytes()).collect();
            redactor.extend([encoded]);
        }
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("http:{}", base_url.as_str().trim_end_matches('/')),
            rate_limit: None,
            redactor: redactor.clone(),
        });
        Ok(HttpClient {
            http,
            headers: fixed_headers(settings.get("headers"))?,
            timeout: read_timeout(settings.get("timeout"))?,
            check_path: settings.str("check_path").filter(|p| !p.trim().is_empty()),
            base_url,
            credentials,
            redactor,
        })
    }

    /// Scrubs this connection's secrets (in every form they are sent in) from text.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// `base_url` followed by `path` (one slash between them, whatever each side has).
    pub fn url_for_path(&self, path: &str) -> Result<Url, ConnectorError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        let path = path.trim();
        let joined = if path.is_empty() {
            base.to_string()
        } else {
            format!("{base}/{}", path.trim_start_matches('/'))
        };
        let url = Url::parse(&joined).map_err(|e| {
            config(format!(
                "path `{}` does not make a URL: {e}",
                self.redact(path)
            ))
        })?;
        self.on_origin(url)
    }

    /// An absolute URL (or one relative to `relative_to`) that must stay on the origin.
    pub fn resolve(&self, target: &str, relative_to: &Url) -> Result<Url, ConnectorError> {
        let url = relative_to
            .join(target.trim())
            .map_err(|e| config(format!("`{}` is not a URL: {e}", self.redact(target))))?;
        self.on_origin(url)
    }

    fn on_origin(&self, url: Url) -> Result<Url, ConnectorError> {
        if url.origin() != self.base_url.origin() {
            return Err(config(format!(
                "`{}` is not on the connection's origin {}; credentials are only sent there",
                self.redact(url.as_str()),
                self.base_url.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }

    /// `url` without the API key parameter, for URLs that are kept (page tokens): servers
    /// often echo the whole request query in their next links.
    pub fn without_credentials(&self, url: Url) -> Url {
        let Credentials::KeyQuery(param, _) = &self.credentials else {
            return url;
        };
        if !url.query_pairs().any(|(name, _)| name == param.as_str()) {
            return url;
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| name != param.as_str())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let mut url = url;
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        url
    }

    fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// Send one request with the connection's headers and credentials.
    pub async fn send(&self, request: OutboundRequest<'_>) -> Result<HttpResponse, ConnectorError> {
        let mut url = request.url;
        if !request.query.is_empty() || matches!(self.credentials, Credentials::KeyQuery(..)) {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in request.query {
                pairs.append_pair(name, value);
            }
            if let Credentials::KeyQuery(name, key) = &self.credentials {
                pairs.append_pair(name, key.expose());
            }
        }
        let mut headers = self.headers.clone();
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        headers.extend(request.headers);
        match &self.credentials {
            Credentials::Bearer(token) => {
                headers.insert(
                    AUTHORIZATION,
                    secret_header(&format!("Bearer {}", token.expose()))?,
                );
            }
            Credentials::KeyHeader(name, key) => {
                headers.insert(name.clone(), secret_header(key.expose())?);
            }
            Credentials::None | Credentials::KeyQuery(..) => {}
        }
        let mut builder = self
            .http
            .request(request.method, url.as_str())
            .headers(headers);
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(body) = request.body {
            builder = builder.json(body);
        }
        self.http.send(builder).await
    }

    /// GET `check_path` (or `base_url`) and expect 2xx; 401 and 403 mean the credentials
    /// were refused.
    pub async fn check(&self) -> Result<(), ConnectorError> {
        let url = self.url_for_path(self.check_path.as_deref().unwrap_or(""))?;
        let response = self
            .send(OutboundRequest {
                method: Method::GET,
                url,
                query: &[],
                headers: HeaderMap::new(),
                body: None,
            })
            .await?;
        match response.status {
            200..=299 => Ok(()),
            status @ (401 | 403) => Err(ConnectorError::Auth {
                status,
                body: response.body_excerpt(),
            }),
            _ => Err(response.to_error()),
        }
    }
}

fn config(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Config(message.into())
}

fn read_credentials(settings: &Settings) -> Result<Credentials, ConnectorError> {
    let bearer = settings.secret("bearer_token");
    let key = settings.secret("api_key");
    for (name, secret) in [("bearer_token", bearer), ("api_key", key)] {
        if secret.is_some_and(|s| s.expose().trim().is_empty()) {
            return Err(config(format!("secret setting `{name}` is empty")));
        }
    }
    let header = settings
        .str("api_key_header")
        .filter(|h| !h.trim().is_empty());
    let query = settings
        .str("api_key_query")
        .filter(|q| !q.trim().is_empty());
    match (bearer, key) {
        (Some(_), Some(_)) => Err(config("set either `bearer_token` or `api_key`, not both")),
        (Some(token), None) => Ok(Credentials::Bearer(token.clone())),
        (None, Some(key)) => match (header, query) {
            (Some(_), Some(_)) => Err(config(
                "set either `api_key_header` or `api_key_query`, not both",
            )),
            (None, Some(param)) => Ok(Credentials::KeyQuery(param.trim().to_string(), key.clone())),
            (header, None) => {
                let name = header.as_deref().unwrap_or(DEFAULT_API_KEY_HEADER).trim();
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    config(format!(
                        "setting `api_key_header`: `{name}` is not a header name"
                    ))
                })?;
                Ok(Credentials::KeyHeader(name, key.clone()))
            }
        },
        (None, None) if header.is_some() || query.is_some() => Err(config(
            "`api_key_header`/`api_key_query` need the secret setting `api_key`",
        )),
        (None, None) => Ok(Credentials::None),
    }
}

/// A credential header value, marked sensitive so it is never printed by the HTTP stack.
fn secret_header(value: &str) -> Result<HeaderValue, ConnectorError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| config("a credential contains characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Headers from a `headers` object (connection setting or request input).
pub fn header_map(value: Option<&Value>, what: &str) -> Result<HeaderMap, ConnectorError> {
    let mut headers = HeaderMap::new();
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(headers);
    };
    let Value::Object(map) = value else {
        return Err(config(format!(
            "`{what}` must be an object of header name → text"
        )));
    };
    for (name, value) in map {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            Value::Null => continue,
            _ => return Err(config(format!("`{what}.{name}` must be text"))),
        };
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| config(format!("`{what}`: `{name}` is not a header name")))?;
        let header_value = HeaderValue::from_str(&text).map_err(|_| {
            config(format!(
                "`{what}.{name}` contains characters a header cannot carry"
            ))
        })?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

fn fixed_headers(value: Option<&Value>) -> Result<HeaderMap, ConnectorError> {
    header_map(value, "headers")
}

/// Query parameters from a `query` object: scalars as text, lists as repeated parameters,
/// nulls left out.
pub fn query_pairs(
    value: Option<&Value>,
    what: &str,
) -> Result<Vec<(String, String)>, ConnectorError> {
    let mut pairs = Vec::new();
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(pairs);
    };
    let Value::Object(map) = value else {
        return Err(config(format!(
            "`{what}` must be an object of parameter name → value"
        )));
    };
    for (name, value) in map {
        let values: &[Value] = match value {
            Value::Array(list) => list,
            other => std::slice::from_ref(other),
        };
        for value in values {
            match value {
                Value::Null => {}
                Value::String(s) => pairs.push((name.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => pairs.push((name.clone(), value.to_string())),
                _ => {
                    return Err(config(format!(
                        "`{what}.{name}` must be text, a number or a list of them"
                    )));
                }
            }
        }
    }
    Ok(pairs)
}

fn read_timeout(value: Option<&Value>) -> Result<Option<Duration>, ConnectorError> {
    let bad = || config("setting `timeout` must be seconds or a duration such as `30s`");
    let timeout = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs > 0.0 => Some(Duration::from_secs_f64(secs)),
            Ok(_) => None,
            Err(_) => humantime::parse_duration(s.trim())
                .ok()
                .filter(|d| !d.is_zero()),
        },
        Some(_) => None,
    };
    timeout.map(Some).ok_or_else(bad)
}

/// A `Map` view of an optional JSON object input, for messages and defaults.
pub fn object<'v>(
    value: Option<&'v Value>,
    what: &str,
) -> Result<Option<&'v Map<String, Value>>, ConnectorError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(config(format!("`{what}` must be an object"))),
    }
}
