//! One token chain: the tokens of one account and OAuth2 client as they are refreshed
//! over time, shared by every connection of this process that uses them.
//!
//! Everything that reads or changes the tokens holds one async lock, and a refresh is
//! made while holding it. That is what makes refreshing single-flight: requests that hit
//! 401 together queue on the lock; the first refreshes, and the others find a newer
//! generation than the one they failed with and simply retry with it. Requests starting
//! during a refresh wait for it instead of sending a token that is known to be dead.
//!
//! The vault is the truth shared with other workers and restarts: it is read when the
//! chain is first used and again before each refresh (another worker may have refreshed
//! already: amoCRM refresh tokens work once, so refreshing again with the same one would
//! fail and break the connection for nothing). Across workers, a refresh is made only
//! while holding the vault's refresh turn ([`TokenVault::begin_refresh`]), and the vault is
//! read again once the turn is ours, so two workers never spend the same refresh token.

use std::sync::{Arc, Mutex};

use tokio::sync::Mutex as AsyncMutex;

use super::credential::{ClientCredentials, Tokens, fingerprint};
use super::endpoint::{RefreshCall, TokenEndpoint, refresh};
use super::vault::{MAX_SEEDS, StoredTokens, TokenVault};
use crate::error::{ConnectorError, RetryAdvice};
use crate::secret::{LiveSecrets, SecretString};
use crate::transport::ConnectionClient;

/// What a chain is made of.
pub(super) struct ChainSpec {
    pub identity: String,
    pub vault: Arc<dyn TokenVault>,
    pub settings_tokens: Tokens,
    pub client: ClientCredentials,
    pub endpoint: TokenEndpoint,
}

/// A token to sign one request with, and the generation it belongs to.
#[derive(Clone)]
pub(super) struct Signed {
    pub generation: u64,
    pub access: SecretString,
}

struct ChainState {
    /// Whether the vault was consulted yet (the first request does it: building a
    /// connector cannot wait).
    loaded: bool,
    /// Bumped whenever the tokens change.
    generation: u64,
    tokens: Tokens,
    seeds: Vec<String>,
    /// A refusal from the token endpoint for this generation: repeated to later requests
    /// instead of asking the endpoint again with a refresh token it already refused.
    refused: Option<(u64, ConnectorError)>,
    /// Refreshed tokens the vault has not accepted yet; saved again on the next request.
    unsaved: bool,
}

/// See the module documentation.
pub(super) struct Chain {
    identity: String,
    vault: Arc<dyn TokenVault>,
    client: ClientCredentials,
    endpoint: TokenEndpoint,
    seed: String,
    settings_tokens: Tokens,
    state: AsyncMutex<ChainState>,
    /// The redaction sets of every connection using this chain, and the tokens already
    /// registered (replayed into sets attached later).
    live: Mutex<(Vec<LiveSecrets>, Vec<String>)>,
}

impl Chain {
    pub fn new(spec: ChainSpec) -> Chain {
        let seed = fingerprint(&spec.settings_tokens);
        Chain {
            identity: spec.identity,
            vault: spec.vault,
            client: spec.client,
            endpoint: spec.endpoint,
            seed: seed.clone(),
            state: AsyncMutex::new(ChainState {
                loaded: false,
                generation: 0,
                tokens: spec.settings_tokens.clone(),
                seeds: vec![seed],
                refused: None,
                unsaved: false,
            }),
            settings_tokens: spec.settings_tokens,
            live: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    /// The chain's identity in the vault.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Scrub this chain's tokens (present and future) through `live` too.
    pub fn attach(&self, live: &LiveSecrets) {
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0.iter().any(|l| l.same_set(live)) {
            return;
        }
        for token in &guard.1 {
            live.add(token);
        }
        guard.0.push(live.clone());
    }

    fn register(&self, tokens: &Tokens) {
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        for token in [&tokens.access, &tokens.refresh].into_iter().flatten() {
            let raw = token.expose().to_string();
            if guard.1.contains(&raw) {
                continue;
            }
            for live in &guard.0 {
                live.add(&raw);
            }
            guard.1.push(raw);
        }
    }

    /// The one set new tokens are registered in first, inside the token endpoint call.
    fn first_live(&self) -> LiveSecrets {
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0.is_empty() {
            guard.0.push(LiveSecrets::default());
        }
        guard.0[0].clone()
    }

    /// The token to send now: refreshed first when the settings gave no access token, or
    /// when the token endpoint said it expires within [`EXPIRY_MARGIN`] (a request sent
    /// with it could meet its expiry on the way, and cost a 401 and a second send).
    pub async fn current(&self, http: &ConnectionClient) -> Result<Signed, ConnectorError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        if state.unsaved {
            self.save(&mut state).await;
        }
        if state.tokens.access.is_none() {
            self.refresh_locked(&mut state, http).await?;
        } else if expiring_soon(&state.tokens) {
            match self.refresh_locked(&mut state, http).await {
                Ok(()) => {}
                // Still valid for now: a busy token endpoint must not stop the request;
                // a refused refresh does (the connection is broken either way).
                Err(e) if e.advice() != RetryAdvice::ConnectionBroken => {
                    tracing::warn!(chain = %self.identity, error = %e, "early OAuth2 refresh failed; using the current token");
                }
                Err(e) => return Err(e),
            }
        }
        signed(&state)
    }

    /// The API refused the token of `failed`: return a newer one, refreshing at most once
    /// for that generation however many requests report it.
    pub async fn renew(
        &self,
        failed: u64,
        http: &ConnectionClient,
    ) -> Result<Signed, ConnectorError> {
        let mut state = self.state.lock().await;
        if state.generation != failed {
            // Another request refreshed (or adopted new tokens) meanwhile.
            return signed(&state);
        }
        if self.adopt_newer_from_vault(&mut state).await? {
            return signed(&state);
        }
        if let Some((generation, refusal)) = &state.refused
            && *generation == state.generation
        {
            return Err(refusal.clone());
        }
        self.refresh_locked(&mut state, http).await?;
        signed(&state)
    }

    /// First use: the vault's tokens when they descend from these settings; otherwise
    /// the settings were supplied since (or nothing is stored yet) and start the chain
    /// anew, stored at once so other workers pick them up.
    async fn ensure_loaded(&self, state: &mut ChainState) -> Result<(), ConnectorError> {
        if state.loaded {
            return Ok(());
        }
        let stored = self
            .vault
            .load(&self.identity)
            .await
            .map_err(|e| ConnectorError::Transport(e.to_string()))?;
        match stored {
            Some(stored) if stored.seeds.contains(&self.seed) => {
                state.tokens = tokens_of(&stored);
                state.seeds = stored.seeds;
                self.register(&state.tokens);
            }
            other => {
                let mut seeds = vec![self.seed.clone()];
                if let Some(older) = other {
                    seeds.extend(older.seeds.into_iter().filter(|s| *s != self.seed));
                }
                seeds.truncate(MAX_SEEDS);
                state.seeds = seeds;
                state.tokens = self.settings_tokens.clone();
                if state.tokens.access.is_some() {
                    self.save(state).await;
                }
            }
        }
        state.loaded = true;
        Ok(())
    }

    /// Take the vault's tokens if they differ from ours (another worker refreshed, or an
    /// operator supplied new ones through `ferry connections check`). Returns whether it did.
    async fn adopt_newer_from_vault(&self, state: &mut ChainState) -> Result<bool, ConnectorError> {
        if state.unsaved {
            // Ours are newer than anything stored.
            return Ok(false);
        }
        let stored = self
            .vault
            .load(&self.identity)
            .await
            .map_err(|e| ConnectorError::Transport(e.to_string()))?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let same = state
            .tokens
            .access
            .as_ref()
            .is_some_and(|a| a.expose() == stored.access_token.expose())
            && state.tokens.refresh.as_ref().map(SecretString::expose)
                == stored.refresh_token.as_ref().map(SecretString::expose);
        if same {
            return Ok(false);
        }
        state.tokens = tokens_of(&stored);
        state.seeds = stored.seeds;
        state.generation += 1;
        state.refused = None;
        self.register(&state.tokens);
        tracing::info!(chain = %self.identity, "using OAuth2 tokens refreshed elsewhere");
        Ok(true)
    }

    async fn refresh_locked(
        &self,
        state: &mut ChainState,
        http: &ConnectionClient,
    ) -> Result<(), ConnectorError> {
        let Some(refresh_token) = state.tokens.refresh.clone() else {
            return Err(ConnectorError::Auth {
                status: 401,
                body: "the access token was refused and the connection has no refresh token".into(),
            });
        };
        // Another worker may be refreshing this chain right now: wait for its turn to end
        // and take its tokens rather than spending the same refresh token.
        let permit = self
            .vault
            .begin_refresh(&self.identity)
            .await
            .map_err(|e| ConnectorError::Transport(e.to_string()))?;
        let outcome = self.refresh_holding_turn(state, http, refresh_token).await;
        self.vault.end_refresh(&self.identity, permit).await;
        outcome
    }

    async fn refresh_holding_turn(
        &self,
        state: &mut ChainState,
        http: &ConnectionClient,
        refresh_token: SecretString,
    ) -> Result<(), ConnectorError> {
        if self.adopt_newer_from_vault(state).await? {
            return Ok(());
        }
        let live = self.first_live();
        let outcome = refresh(RefreshCall {
            http,
            endpoint: &self.endpoint,
            client: &self.client,
            refresh_token: &refresh_token,
            live: &live,
        })
        .await;
        match outcome {
            Ok(tokens) => {
                self.register(&tokens);
                state.tokens = tokens;
                state.generation += 1;
                state.refused = None;
                tracing::info!(chain = %self.identity, "OAuth2 tokens refreshed");
                self.save(state).await;
                Ok(())
            }
            Err(error) if error.advice() == RetryAdvice::ConnectionBroken => {
                // Another worker may have used this refresh token a moment ago and stored
                // its successor: that is not a broken connection.
                if self.adopt_newer_from_vault(state).await.unwrap_or(false) {
                    return Ok(());
                }
                tracing::warn!(chain = %self.identity, error = %error, "OAuth2 token refresh refused");
                state.refused = Some((state.generation, error.clone()));
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Store the current tokens; a failure is remembered and retried on the next request
    /// (the tokens stay usable in memory meanwhile).
    async fn save(&self, state: &mut ChainState) {
        let Some(access) = state.tokens.access.clone() else {
            return;
        };
        let stored = StoredTokens {
            access_token: access,
            refresh_token: state.tokens.refresh.clone(),
            expires_at: state.tokens.expires_at,
            seeds: state.seeds.clone(),
        };
        match self.vault.save(&self.identity, &stored).await {
            Ok(()) => state.unsaved = false,
            Err(e) => {
                state.unsaved = true;
                tracing::warn!(chain = %self.identity, error = %e, "could not store refreshed OAuth2 tokens; will retry");
            }
        }
    }
}

/// How long before an announced expiry the access token is renewed.
const EXPIRY_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

/// The token endpoint announced an expiry that is near, and the chain can refresh.
fn expiring_soon(tokens: &Tokens) -> bool {
    tokens.refresh.is_some()
        && tokens
            .expires_at
            .is_some_and(|at| at - chrono::Utc::now() < EXPIRY_MARGIN)
}

fn tokens_of(stored: &StoredTokens) -> Tokens {
    Tokens {
        access: Some(stored.access_token.clone()),
        refresh: stored.refresh_token.clone(),
        expires_at: stored.expires_at,
    }
}

fn signed(state: &ChainState) -> Result<Signed, ConnectorError> {
    let access = state
        .tokens
        .access
        .clone()
        .ok_or_else(|| ConnectorError::Auth {
            status: 401,
            body: "no access token".into(),
        })?;
    Ok(Signed {
        generation: state.generation,
        access,
    })
}
