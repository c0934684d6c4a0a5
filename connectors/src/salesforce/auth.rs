//! The Salesforce credential, and the one seam every request passes through:
//! [`Auth::send`] signs a request and sends it, and [`Auth::refused`] is the only place
//! that decides what a final 401 means. Nothing else in the connector touches tokens.
//!
//! Tokens are handled by the shared OAuth2 module ([`crate::oauth`]): with only an
//! `access_token` the token is sent as given; with a `refresh_token`, `client_id` and
//! `client_secret` (a connected app), a 401 `INVALID_SESSION_ID` renews the access token
//! once at `<login_url>/services/oauth2/token` (form-encoded, refresh-token grant) and the
//! request is sent again; renewed tokens are kept in ferry's database and redacted
//! everywhere. A refused refresh breaks the connection (its items wait).

use reqwest::RequestBuilder;

use super::errors::classify;
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::oauth::{BearerAuth, OAuthOptions, TokenEndpoint, TokenRequestFormat};
use crate::secret::Redactor;
use crate::transport::{ConnectionClient, HttpResponse};

/// The setting naming where tokens are refreshed.
pub const LOGIN_URL_SETTING: &str = "login_url";

/// Production orgs refresh here; sandboxes use `https://test.salesforce.com`, and a My
/// Domain URL works for either.
pub const DEFAULT_LOGIN_URL: &str = "https://login.salesforce.com";

/// The token endpoint's path under the login URL.
pub const TOKEN_PATH: &str = "/services/oauth2/token";

/// How requests to one org are authenticated.
pub struct Auth {
    bearer: BearerAuth,
}

impl Auth {
    /// Read the credential from a connection's settings; `instance_url` names the org
    /// (the token chain belongs to it).
    pub fn new(
        settings: &Settings,
        ctx: &BuildContext,
        instance_url: &str,
    ) -> Result<Self, ConnectorError> {
        let login = settings
            .str(LOGIN_URL_SETTING)
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_LOGIN_URL.to_string());
        let login = login.trim().trim_end_matches('/');
        let parsed = url::Url::parse(login).map_err(|e| {
            ConnectorError::Config(format!(
                "setting `{LOGIN_URL_SETTING}`: {login:?} is not a URL ({e})"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Config(format!(
                "setting `{LOGIN_URL_SETTING}` must be an https:// address like {DEFAULT_LOGIN_URL}"
            )));
        }
        let bearer = BearerAuth::from_settings(
            settings,
            ctx,
            OAuthOptions {
                account: format!("salesforce:{instance_url}"),
                endpoint: TokenEndpoint {
                    url: format!("{login}{TOKEN_PATH}"),
                    format: TokenRequestFormat::Form,
                },
            },
        )?;
        Ok(Auth { bearer })
    }

    /// Sign `request` (`Authorization: Bearer <token>`) and send it through `http`; a
    /// refreshable connection renews its token once on 401 and sends the request again.
    pub async fn send(
        &self,
        http: &ConnectionClient,
        request: RequestBuilder,
    ) -> Result<HttpResponse, ConnectorError> {
        self.bearer.send(http, request).await
    }

    /// What a 401 that [`Auth::send`] could not cure means: the credential is refused
    /// (`INVALID_SESSION_ID`: expired or revoked, and not renewable), which breaks the
    /// connection until it gets new tokens. `redactor` scrubs the connection's secrets
    /// from the vendor text.
    pub fn refused(&self, response: &HttpResponse, redactor: &Redactor) -> ConnectorError {
        classify(response, redactor)
    }
}
