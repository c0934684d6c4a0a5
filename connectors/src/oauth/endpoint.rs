//! The token endpoint: one `grant_type=refresh_token` request and what its answer means.
//!
//! A new access token (and, where the vendor rotates them, a new refresh token) comes
//! back on 2xx. A refusal (`invalid_grant`, a revoked or already used refresh token, a
//! wrong client secret: any 4xx but 408/425/429) means the connection cannot heal by
//! itself, so it is an [`ConnectorError::Auth`] whose advice is
//! [`crate::RetryAdvice::ConnectionBroken`]. A busy or failing token endpoint (429, 5xx,
//! transport errors) is transient and classified as such.

use chrono::{Duration as ChronoDuration, Utc};
use reqwest::Method;
use serde_json::Value;

use super::credential::{ClientCredentials, Tokens};
use crate::error::ConnectorError;
use crate::secret::{LiveSecrets, Redactor, SecretString};
use crate::transport::{ConnectionClient, HttpResponse};

/// How much of the token endpoint's own explanation is kept in the error.
const MAX_REASON_CHARS: usize = 500;

/// How the refresh request's parameters are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRequestFormat {
    /// A JSON object (amoCRM).
    Json,
    /// `application/x-www-form-urlencoded` (Salesforce, RFC 6749).
    Form,
}

/// Where and how tokens are refreshed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpoint {
    /// The full URL (`https://shop.amocrm.ru/oauth2/access_token`,
    /// `https://login.salesforce.com/services/oauth2/token`).
    pub url: String,
    /// How the parameters are sent.
    pub format: TokenRequestFormat,
}

/// What one refresh needs.
pub(super) struct RefreshCall<'a> {
    pub http: &'a ConnectionClient,
    pub endpoint: &'a TokenEndpoint,
    pub client: &'a ClientCredentials,
    pub refresh_token: &'a SecretString,
    /// New tokens are added here before anything else sees them, so no later error text
    /// or log line can carry them.
    pub live: &'a LiveSecrets,
}

/// Exchange the refresh token for new tokens. The refresh token is kept when the
/// answer carries none (vendors that do not rotate it).
pub(super) async fn refresh(call: RefreshCall<'_>) -> Result<Tokens, ConnectorError> {
    let mut params: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("client_id", call.client.client_id.expose()),
        ("client_secret", call.client.client_secret.expose()),
        ("refresh_token", call.refresh_token.expose()),
    ];
    if let Some(uri) = &call.client.redirect_uri {
        params.push(("redirect_uri", uri));
    }
    let request = call
        .http
        .request(Method::POST, &call.endpoint.url)
        .header(reqwest::header::ACCEPT, "application/json");
    let request = match call.endpoint.format {
        TokenRequestFormat::Json => {
            let body: serde_json::Map<String, Value> = params
                .iter()
                .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
                .collect();
            request.json(&body)
        }
        TokenRequestFormat::Form => request.form(&params),
    };
    let response = call.http.send(request).await?;
    if !response.is_success() {
        return Err(refusal(&response, &call.endpoint.url, call.http.redactor()));
    }
    read_tokens(&response, call.refresh_token, call.live)
}

/// Parse a 2xx answer. Its body is never quoted in errors: it may hold tokens that are
/// not registered for redaction yet.
fn read_tokens(
    response: &HttpResponse,
    old_refresh: &SecretString,
    live: &LiveSecrets,
) -> Result<Tokens, ConnectorError> {
    let invalid = |what: &str| {
        ConnectorError::InvalidResponse(format!(
            "token endpoint answered HTTP {} {what}",
            response.status
        ))
    };
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|_| invalid("with a body that is not JSON"))?;
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let access = text("access_token").ok_or_else(|| invalid("without `access_token`"))?;
    live.add(access);
    let refresh = text("refresh_token");
    if let Some(refresh) = refresh {
        live.add(refresh);
    }
    if let Some(kind) = text("token_type")
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(invalid(&format!("with token_type {kind:?}, not Bearer")));
    }
    let expires_at = body
        .get("expires_in")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
        .filter(|s| *s > 0)
        .map(|s| Utc::now() + ChronoDuration::seconds(s));
    Ok(Tokens {
        access: Some(SecretString::new(access)),
        refresh: Some(refresh.map_or_else(|| old_refresh.clone(), SecretString::new)),
        expires_at,
    })
}

/// A non-2xx answer: transient ones keep their generic meaning; every other refusal
/// breaks the connection, with the vendor's own words (RFC 6749 `error` /
/// `error_description`, amoCRM's problem+json `title` / `detail` / `hint`).
fn refusal(response: &HttpResponse, url: &str, redactor: &Redactor) -> ConnectorError {
    if matches!(response.status, 408 | 425 | 429 | 500..=599) {
        return response.to_error();
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let words: Vec<String> = ["error", "error_description", "title", "detail", "hint"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(Value::as_str))
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    let said = if words.is_empty() {
        response.body_excerpt()
    } else {
        // The same redaction as every other error text of the connection.
        let joined: String = words.join("; ").chars().take(MAX_REASON_CHARS).collect();
        redactor.redact(&joined)
    };
    ConnectorError::Auth {
        status: response.status,
        body: format!(
            "token refresh refused by {url}: {said}; the connection needs new tokens (update its `refresh_token` and run `ferry connections check`)"
        ),
    }
}
