//! What connectors hold: [`BearerAuth`], which signs and sends requests (refreshing the
//! token once on 401 when it can), and [`OAuthSessions`], the process's token chains over
//! the engine's vault, handed to connectors in [`crate::connector::BuildContext`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use reqwest::RequestBuilder;

use super::chain::{Chain, ChainSpec};
use super::credential::{Credential, client_tag, fingerprint};
use super::endpoint::TokenEndpoint;
use super::vault::{MemoryVault, TokenVault};
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{ConnectionClient, HttpResponse};

/// The token chains of this process over one vault. Connections with the same account,
/// OAuth2 client and settings tokens (several bundles on one amoCRM account) share one
/// chain, so they refresh once between them. Cloning shares everything.
#[derive(Clone)]
pub struct OAuthSessions {
    vault: Arc<dyn TokenVault>,
    chains: Arc<Mutex<HashMap<String, Weak<Chain>>>>,
}

impl OAuthSessions {
    /// Chains whose tokens are kept in `vault`.
    pub fn new(vault: Arc<dyn TokenVault>) -> Self {
        OAuthSessions {
            vault,
            chains: Default::default(),
        }
    }

    /// The vault tokens are kept in.
    pub fn vault(&self) -> &Arc<dyn TokenVault> {
        &self.vault
    }

    fn chain(&self, spec: ChainSpec) -> Arc<Chain> {
        let key = format!("{}\n{}", spec.identity, fingerprint(&spec.settings_tokens));
        let mut chains = self.chains.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(chain) = chains.get(&key).and_then(Weak::upgrade) {
            return chain;
        }
        chains.retain(|_, chain| chain.strong_count() > 0);
        let chain = Arc::new(Chain::new(spec));
        chains.insert(key, Arc::downgrade(&chain));
        chain
    }
}

/// Tokens in memory only.
impl Default for OAuthSessions {
    fn default() -> Self {
        OAuthSessions::new(Arc::new(MemoryVault::default()))
    }
}

impl std::fmt::Debug for OAuthSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSessions").finish_non_exhaustive()
    }
}

/// Where a connection's tokens come from and go.
#[derive(Debug, Clone)]
pub struct OAuthOptions {
    /// The account the tokens belong to, e.g. `amocrm:https://shop.amocrm.ru` (not a
    /// secret: it names the chain in the vault, together with a hash of the client id).
    pub account: String,
    /// Where refreshes go.
    pub endpoint: TokenEndpoint,
}

enum Mode {
    Static(SecretString),
    Refreshing(Arc<Chain>),
}

/// Signs a connection's requests with `Authorization: Bearer`, and, for connections with
/// a refresh token, renews the token once when the API answers 401 and repeats the
/// request. See the [module documentation](super) for an example.
pub struct BearerAuth {
    mode: Mode,
}

impl BearerAuth {
    /// Read the credential from the connection's settings (see
    /// [`super::Credential::from_settings`]); connections with a refresh token join the
    /// token chain of `options.account` in `ctx.oauth`.
    pub fn from_settings(
        settings: &Settings,
        ctx: &BuildContext,
        options: OAuthOptions,
    ) -> Result<BearerAuth, ConnectorError> {
        let mode = match Credential::from_settings(settings)? {
            Credential::Static(token) => Mode::Static(token),
            Credential::Refreshable { tokens, client } => {
                let identity = format!("{}#{}", options.account, client_tag(&client));
                let chain = ctx.oauth.chain(ChainSpec {
                    identity,
                    vault: ctx.oauth.vault.clone(),
                    settings_tokens: tokens,
                    client,
                    endpoint: options.endpoint,
                });
                chain.attach(settings.live_secrets());
                Mode::Refreshing(chain)
            }
        };
        Ok(BearerAuth { mode })
    }

    /// Whether this connection can refresh its token (it was given a refresh token).
    pub fn refreshes(&self) -> bool {
        matches!(self.mode, Mode::Refreshing(_))
    }

    /// The token chain's identity in the vault, for connections that refresh.
    pub fn chain_identity(&self) -> Option<&str> {
        match &self.mode {
            Mode::Static(_) => None,
            Mode::Refreshing(chain) => Some(chain.identity()),
        }
    }

    /// Sign and send `request` through `http`. On 401, a refreshing connection renews
    /// its token (once, shared with every request that got the same 401) and sends the
    /// request again; the second answer is returned whatever it is, so a 401 after a
    /// successful refresh reaches the connector's own error mapping. A refused refresh is
    /// a [`ConnectorError::Auth`] (advice `ConnectionBroken`). Any other status is
    /// returned for the connector to read.
    pub async fn send(
        &self,
        http: &ConnectionClient,
        request: RequestBuilder,
    ) -> Result<HttpResponse, ConnectorError> {
        let chain = match &self.mode {
            Mode::Static(token) => return http.send(request.bearer_auth(token.expose())).await,
            Mode::Refreshing(chain) => chain,
        };
        let again = request.try_clone().ok_or_else(|| {
            ConnectorError::Config(
                "a request with a streamed body cannot be repeated after a token refresh".into(),
            )
        })?;
        let signed = chain.current(http).await?;
        let response = http
            .send(request.bearer_auth(signed.access.expose()))
            .await?;
        if response.status != 401 {
            return Ok(response);
        }
        let renewed = chain.renew(signed.generation, http).await?;
        http.send(again.bearer_auth(renewed.access.expose())).await
    }
}
