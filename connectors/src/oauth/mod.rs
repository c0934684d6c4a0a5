//! OAuth2 bearer tokens with refresh, shared by every connector that authenticates this
//! way (amoCRM, Salesforce).
//!
//! A connection is given, by reference in its settings, an access token and, to make it
//! refreshable, a refresh token with the OAuth2 client id and secret (and the redirect URI
//! where the vendor wants it). With only an access token it is a long-lived token, sent as
//! is. Connectors declare those settings with [`REFRESH_TOKEN_SPEC`], [`CLIENT_ID_SPEC`],
//! [`CLIENT_SECRET_SPEC`] and [`REDIRECT_URI_SPEC`] beside their own `access_token`.
//! The connector names its token endpoint and sends every request through
//! [`BearerAuth::send`], which:
//! - signs it with `Authorization: Bearer <access token>`;
//! - on **401** refreshes the token **once** and repeats the request. The refresh is
//!   single-flight: requests that got 401 together share one refresh, and a request that
//!   got 401 with an older token just retries with the newer one;
//! - keeps refreshed tokens in the engine's [`TokenVault`] (its database), so they
//!   survive restarts and are shared between workers, and registers them with the
//!   connection's redactor ([`crate::Settings::live_secrets`]), so they never appear in
//!   errors, history or logs;
//! - turns a refused refresh (`invalid_grant`, a revoked or used refresh token: any 4xx
//!   from the token endpoint) into [`crate::ConnectorError::Auth`], whose advice is
//!   [`crate::RetryAdvice::ConnectionBroken`]: the engine then keeps the connection's items
//!   waiting instead of failing them one by one, and shows the connection as broken.
//!
//! Layout: [`credential`] (settings → [`Credential`]), [`endpoint`] (the refresh request
//! and what its answers mean), [`vault`] ([`TokenVault`], [`MemoryVault`]), `chain` (one
//! token chain: its state and the single-flight refresh), [`session`] ([`BearerAuth`] and
//! [`OAuthSessions`]).
//!
//! # Using it in a connector
//!
//! ```no_run
//! use ferry_connectors::oauth::{BearerAuth, OAuthOptions, TokenEndpoint, TokenRequestFormat};
//! use ferry_connectors::transport::{ConnectionClient, ConnectionOptions};
//! use ferry_connectors::{BuildContext, ConnectorError, Settings};
//!
//! struct Client {
//!     http: ConnectionClient,
//!     auth: BearerAuth,
//!     base: String,
//! }
//!
//! fn build(settings: &Settings, ctx: &BuildContext) -> Result<Client, ConnectorError> {
//!     let base = settings.require_str("base_url")?;
//!     let auth = BearerAuth::from_settings(
//!         settings,
//!         ctx,
//!         OAuthOptions {
//!             // Names the token chain in the vault (with a hash of the client id).
//!             account: format!("salesforce:{base}"),
//!             endpoint: TokenEndpoint {
//!                 url: "https://login.salesforce.com/services/oauth2/token".into(),
//!                 format: TokenRequestFormat::Form,
//!             },
//!         },
//!     )?;
//!     let http = ctx.http.connection(ConnectionOptions {
//!         account_key: format!("salesforce:{base}"),
//!         rate_limit: None,
//!         // Includes the tokens refreshed later: they are scrubbed from every error.
//!         redactor: settings.redactor(),
//!     });
//!     Ok(Client { http, auth, base })
//! }
//!
//! async fn account(client: &Client) -> Result<serde_json::Value, ConnectorError> {
//!     let url = format!("{}/services/data/v60.0/limits", client.base);
//!     let request = client.http.request(reqwest::Method::GET, &url);
//!     // Refreshes once on 401 and repeats the request; a 401 that still comes back
//!     // (or any other status) is the connector's to map, e.g. with `to_error()`.
//!     let response = client.auth.send(&client.http, request).await?;
//!     response.error_for_status()?.json()
//! }
//! ```
//!
//! The engine builds connectors with `BuildContext::oauth` over its database; tests and
//! one-off commands use [`crate::BuildContext::new`], which keeps tokens in memory.

mod chain;
pub mod credential;
pub mod endpoint;
pub mod session;
pub mod vault;

pub use credential::{
    ACCESS_TOKEN, CLIENT_ID, CLIENT_ID_SPEC, CLIENT_SECRET, CLIENT_SECRET_SPEC, ClientCredentials,
    Credential, REDIRECT_URI, REDIRECT_URI_SPEC, REFRESH_TOKEN, REFRESH_TOKEN_SPEC, Tokens,
};
pub use endpoint::{TokenEndpoint, TokenRequestFormat};
pub use session::{BearerAuth, OAuthOptions, OAuthSessions};
pub use vault::{MemoryVault, RefreshPermit, StoredTokens, TokenVault, VaultError};

#[cfg(test)]
mod tests;
