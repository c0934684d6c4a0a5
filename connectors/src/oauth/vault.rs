//! Where refreshed tokens are kept. The engine implements [`TokenVault`] over its
//! database, so tokens survive restarts and every worker sees the newest ones; connectors
//! only load and save through it (this crate never depends on the engine).
//! [`MemoryVault`] keeps them in the process, for tests and one-off commands.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

    /// Wait until no other holder of this vault (another worker) is refreshing
    /// `identity`'s tokens, and keep the others waiting until
    /// [`end_refresh`](Self::end_refresh). A chain refreshes only while holding this, then
    /// reads the
    /// vault again before spending its refresh token: a refresh token that works once
    /// (amoCRM) is never sent by two workers. The default suits a vault no other process
    /// shares.
    async fn begin_refresh(&self, _identity: &str) -> Result<RefreshPermit, VaultError> {
        Ok(RefreshPermit::default())
    }

    /// Let the next worker refresh `identity` (after the new tokens were saved).
    async fn end_refresh(&self, _identity: &str, _permit: RefreshPermit) {}
}

/// Proof of holding a chain's refresh turn; what it holds belongs to the vault that gave
/// it out (a lock guard, a lease holder name).
#[derive(Default)]
pub struct RefreshPermit {
    held: Option<Box<dyn Any + Send + Sync>>,
}

impl RefreshPermit {
    /// A permit holding `held` until it is handed back (or dropped).
    pub fn holding(held: impl Any + Send + Sync) -> RefreshPermit {
        RefreshPermit {
            held: Some(Box::new(held)),
        }
    }

    /// What the vault put in the permit.
    pub fn held<T: Any>(&self) -> Option<&T> {
        self.held.as_ref()?.downcast_ref()
    }
}

impl std::fmt::Debug for RefreshPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshPermit").finish_non_exhaustive()
    }
}

/// Tokens kept in this process only: they are lost when it exits. For tests and for
/// commands run without a database.
#[derive(Debug, Default)]
pub struct MemoryVault {
    chains: Mutex<HashMap<String, StoredTokens>>,
    /// One refresh turn per chain, shared by every session over this vault (several
    /// sessions over one vault stand for several workers).
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
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

    async fn begin_refresh(&self, identity: &str) -> Result<RefreshPermit, VaultError> {
        let turn = self
            .turns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(identity.to_string())
            .or_default()
            .clone();
        Ok(RefreshPermit::holding(turn.lock_owned().await))
    }
}
