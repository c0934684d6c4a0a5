//! Where refreshed tokens are kept. The engine implements [`TokenVault`] over its
//! database, so tokens survive restarts and every worker sees the newest ones; connectors
//! only load and save through it (this crate never depends on the engine).
//! [`MemoryVault`] keeps them in the process, for tests and one-off commands.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::secret::SecretString;

/// How many settings fingerprints a chain remembers (see [`StoredTokens::seeds`]).
pub const MAX_SEEDS: usize = 8;

/// The newest tokens of one token chain, as kept in a vault.
#[derive(Clone)]
pub struct StoredTokens {
    /// The access token in use.
    pub access_token: SecretString,
    /// The refresh token that renews it (amoCRM issues a new one with every refresh and
    /// the old one stops working; Salesforce usually keeps the same one).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, if the token endpoint said.
    pub expires_at: Option<DateTime<Utc>>,
    /// Fingerprints of the settings tokens this chain has adopted, newest first (at most
    /// [`MAX_SEEDS`]): settings whose fingerprint is listed are older than the stored
    /// tokens; settings with an unknown fingerprint were supplied since and replace them.
    pub seeds: Vec<String>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &"[REDACTED]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .field("seeds", &self.seeds)
            .finish()
    }
}

/// A vault that could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("token vault: {0}")]
pub struct VaultError(pub String);

/// Durable storage for token chains, keyed by a chain identity (the account and OAuth2
/// client the tokens belong to, e.g. `amocrm:https://shop.amocrm.ru#3f2a…`; never a
/// secret).
#[async_trait]
pub trait TokenVault: Send + Sync {
    /// The newest stored tokens of `identity`, if any were stored.
    async fn load(&self, identity: &str) -> Result<Option<StoredTokens>, VaultError>;

    /// Replace the stored tokens of `identity`.
    async fn save(&self, identity: &str, tokens: &StoredTokens) -> Result<(), VaultError>;
}

/// Tokens kept in this process only: they are lost when it exits. For tests and for
/// commands run without a database.
#[derive(Debug, Default)]
pub struct MemoryVault {
    chains: Mutex<HashMap<String, StoredTokens>>,
}

#[async_trait]
impl TokenVault for MemoryVault {
    async fn load(&self, identity: &str) -> Result<Option<StoredTokens>, VaultError> {
        Ok(self
            .chains
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(identity)
            .cloned())
    }

    async fn save(&self, identity: &str, tokens: &StoredTokens) -> Result<(), VaultError> {
        self.chains
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(identity.to_string(), tokens.clone());
        Ok(())
    }
}
