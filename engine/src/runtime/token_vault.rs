//! The engine's side of OAuth2: connectors keep refreshed tokens through
//! [`ferry_connectors::oauth::TokenVault`], and this is that vault over the store, so
//! tokens live in the database (never in bundle files), survive restarts and are shared
//! by every worker on a PostgreSQL store. [`oauth_sessions`] is what the engine puts in
//! each connector's `BuildContext`.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use ferry_connectors::SecretString;
use ferry_connectors::oauth::{OAuthSessions, StoredTokens, TokenVault, VaultError};

use crate::clock::SharedClock;
use crate::store::{Store, TokenRecord};

/// A [`TokenVault`] over the store. Holds the store weakly: dropping the engine releases
/// the database (and SQLite's engine lock) even while connectors are still referenced.
pub struct StoreVault {
    store: Weak<dyn Store>,
    clock: SharedClock,
}

impl StoreVault {
    /// A vault over `store`, stamping records with `clock`.
    pub fn new(store: &Arc<dyn Store>, clock: SharedClock) -> StoreVault {
        StoreVault {
            store: Arc::downgrade(store),
            clock,
        }
    }

    fn store(&self) -> Result<Arc<dyn Store>, VaultError> {
        self.store
            .upgrade()
            .ok_or_else(|| VaultError("the store is closed".into()))
    }
}

/// The OAuth2 sessions for connectors built against `store`.
pub fn oauth_sessions(store: &Arc<dyn Store>, clock: SharedClock) -> OAuthSessions {
    OAuthSessions::new(Arc::new(StoreVault::new(store, clock)))
}

#[async_trait]
impl TokenVault for StoreVault {
    async fn load(&self, identity: &str) -> Result<Option<StoredTokens>, VaultError> {
        let record = self
            .store()?
            .load_tokens(identity)
            .await
            .map_err(|e| VaultError(e.to_string()))?;
        Ok(record.map(|r| StoredTokens {
            access_token: SecretString::new(r.access_token),
            refresh_token: r.refresh_token.map(SecretString::new),
            expires_at: r
                .expires_at
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            seeds: r.seeds,
        }))
    }

    async fn save(&self, identity: &str, tokens: &StoredTokens) -> Result<(), VaultError> {
        let record = TokenRecord {
            identity: identity.to_string(),
            access_token: tokens.access_token.expose().to_string(),
            refresh_token: tokens
                .refresh_token
                .as_ref()
                .map(|t| t.expose().to_string()),
            expires_at: tokens.expires_at.map(|at| at.timestamp_millis()),
            seeds: tokens.seeds.clone(),
            updated_at: self.clock.now().timestamp_millis(),
        };
        self.store()?
            .save_tokens(record)
            .await
            .map_err(|e| VaultError(e.to_string()))
    }
}
