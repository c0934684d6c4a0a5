//! amoCRM's OAuth2 side as the emulator plays it: the account's token endpoint
//! `POST /oauth2/access_token` (`grant_type=refresh_token` with `client_id`,
//! `client_secret`, `refresh_token`, `redirect_uri`, as JSON or form-encoded), which
//! answers `{"token_type":"Bearer","expires_in":86400,"access_token","refresh_token",
//! "server_time"}` and rotates the refresh token (the used one stops working, as amoCRM's
//! do), or refuses with amoCRM's OAuth problem+json
//! (`{"hint":"Token has been revoked","title":"Некорректный запрос","type":
//! "https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":…}`).
//! Access tokens can be expired on demand; an expired one gets the API's problem+json 401.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::emulation::decode_pairs;

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/access_token";

/// How long issued access tokens live, as amoCRM announces it (`expires_in`, seconds).
pub const ACCESS_TOKEN_LIFETIME: i64 = 86_400;

/// The OAuth2 integration the emulated account knows.
#[derive(Debug, Clone)]
pub struct EmulatedOAuthClient {
    /// The integration id.
    pub client_id: String,
    /// The integration's secret key.
    pub client_secret: String,
    /// The redirect URI registered for the integration (must be sent on refresh).
    pub redirect_uri: String,
    /// The refresh token that goes with the configured access token.
    pub refresh_token: String,
}

impl Default for EmulatedOAuthClient {
    fn default() -> Self {
        EmulatedOAuthClient {
            client_id: "0b4e2cd6-9f5a-4c2e-8d71-3a9e5c0f1b27".into(),
            client_secret: "amocrm-emulated-client-secret-8d1f".into(),
            redirect_uri: "https://ferry.example/oauth/amocrm".into(),
            refresh_token: "amocrm-emulated-refresh-5b2e7c".into(),
        }
    }
}

/// Token state beside the account.
#[derive(Debug, Default)]
pub(crate) struct TokenState {
    /// The integration, when OAuth2 is on.
    pub client: Option<EmulatedOAuthClient>,
    /// The refresh token that works now (each works once).
    pub refresh_token: Option<String>,
    /// The current access token was expired by the test.
    pub expired: bool,
    /// Tokens issued so far (to make each new one unique).
    issued: u64,
}

impl TokenState {
    pub fn new(client: Option<EmulatedOAuthClient>) -> Self {
        TokenState {
            refresh_token: client.as_ref().map(|c| c.refresh_token.clone()),
            client,
            expired: false,
            issued: 0,
        }
    }

    /// A fresh access and refresh token pair, replacing the current one (what a new
    /// authorization of the integration gives); the access token is returned first.
    pub fn issue(&mut self) -> (String, String) {
        self.issued += 1;
        let salt = uuid::Uuid::new_v4().simple().to_string();
        let access = format!("amo-access-{}-{}", self.issued, &salt[..12]);
        let refresh = format!("amo-refresh-{}-{}", self.issued, &salt[12..24]);
        self.refresh_token = Some(refresh.clone());
        self.expired = false;
        (access, refresh)
    }
}

/// amoCRM's OAuth problem+json refusal.
fn refusal(status: u16, hint: &str) -> Response {
    let body = json!({
        "hint": hint,
        "title": "Некорректный запрос",
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": status,
        "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (code, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The request's parameters, from a JSON object or a form body.
fn params(content_type: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        Some(
            object
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect(),
        )
    } else {
        Some(decode_pairs(std::str::from_utf8(body).ok()?))
    }
}

/// `POST /oauth2/access_token`. On success `new_access` receives the access token the
/// API accepts from now on.
pub(crate) fn token_endpoint(
    state: &mut TokenState,
    content_type: &str,
    body: &[u8],
    now: i64,
    new_access: &mut Option<String>,
) -> Response {
    let Some(client) = state.client.clone() else {
        return refusal(400, "OAuth is not enabled for this account");
    };
    let Some(params) = params(content_type, body) else {
        return refusal(400, "Check the request body");
    };
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match get("grant_type") {
        Some("refresh_token") => {}
        // Only the refresh grant is emulated; an authorization code comes from a browser.
        _ => return refusal(400, "Check the `grant_type` parameter"),
    }
    if get("client_id") != Some(client.client_id.as_str())
        || get("client_secret") != Some(client.client_secret.as_str())
    {
        return refusal(401, "Client authentication failed");
    }
    if get("redirect_uri") != Some(client.redirect_uri.as_str()) {
        return refusal(400, "Check the `redirect_uri` parameter");
    }
    let Some(offered) = get("refresh_token") else {
        return refusal(400, "Check the `refresh_token` parameter");
    };
    if state.refresh_token.as_deref() != Some(offered) {
        return refusal(401, "Token has been revoked");
    }
    let (access, refresh) = state.issue();
    *new_access = Some(access.clone());
    let body = json!({
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "access_token": access,
        "refresh_token": refresh,
        "server_time": now,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
