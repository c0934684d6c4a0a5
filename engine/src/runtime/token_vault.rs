//! The engine's side of OAuth2: connectors keep refreshed tokens through
//! [`ferry_connectors::oauth::TokenVault`], and this is that vault over the store, so
//! tokens live in the database (never in bundle files), survive restarts and are shared
//! by every worker on a PostgreSQL store. [`oauth_sessions`] is what the engine puts in
//! each connector's `BuildContext`.
//!
//! A chain's refresh turn is a lease in the store (`oauth-refresh:<chain>`), so workers on
//! one database refresh one at a time and each reads the tokens the previous one stored;
//! a worker that dies holding the turn loses it when the lease runs out.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use ferry_connectors::SecretString;
use ferry_connectors::oauth::{OAuthSessions, RefreshPermit, StoredTokens, TokenVault, VaultError};

use crate::clock::SharedClock;
use crate::store::{LeaseRequest, Store, TokenRecord};

/// How long a refresh turn lasts if its holder never gives it back (it died): longer than
/// a token endpoint call may take (the transport's request timeout).
const REFRESH_TURN_MS: i64 = 60_000;

/// How often a worker waiting for the turn asks again.
const REFRESH_TURN_POLL: Duration = Duration::from_millis(50);

/// How long a worker waits for the turn before giving up for now (its request is then
/// retried later like any other transient failure).
const REFRESH_TURN_WAIT: Duration = Duration::from_secs(90);

/// The lease a refresh turn holds.
struct RefreshTurn {
    name: String,
    holder: String,
}

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

    async fn begin_refresh(&self, identity: &str) -> Result<RefreshPermit, VaultError> {
        let store = self.store()?;
        let turn = RefreshTurn {
            name: format!("oauth-refresh:{identity}"),
            // Per attempt, not per worker: two sessions of one process must exclude each
            // other too, and a lease is re-entrant for its holder.
            holder: uuid::Uuid::new_v4().to_string(),
        };
        let deadline = tokio::time::Instant::now() + REFRESH_TURN_WAIT;
        loop {
            let lease = store
                .acquire_lease(LeaseRequest {
                    name: turn.name.clone(),
                    holder: turn.holder.clone(),
                    now: self.clock.now().timestamp_millis(),
                    ttl_ms: REFRESH_TURN_MS,
                })
                .await
                .map_err(|e| VaultError(e.to_string()))?;
            if lease.is_some() {
                return Ok(RefreshPermit::holding(turn));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(VaultError(format!(
                    "another worker has been refreshing these tokens for over {} s",
                    REFRESH_TURN_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(REFRESH_TURN_POLL).await;
        }
    }

    async fn end_refresh(&self, _identity: &str, permit: RefreshPermit) {
        let (Some(turn), Ok(store)) = (permit.held::<RefreshTurn>(), self.store()) else {
            return;
        };
        if let Err(e) = store.release_lease(&turn.name, &turn.holder).await {
            // The lease runs out on its own; the next worker only waits longer.
            tracing::warn!(error = %e, "could not give back an OAuth2 refresh turn");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::SqliteStore;

    /// Two workers' vaults over one database: the second gets the refresh turn only after
    /// the first gives it back.
    #[tokio::test]
    async fn refresh_turns_exclude_each_other_across_vaults_on_one_store() {
        let sqlite = SqliteStore::open_in_memory().await.unwrap();
        sqlite.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(sqlite);
        let clock: SharedClock = Arc::new(ManualClock::new(Utc::now()));
        let first = StoreVault::new(&store, clock.clone());
        let second = Arc::new(StoreVault::new(&store, clock));

        let permit = first.begin_refresh("amocrm:shop#1").await.unwrap();
        let waiting = tokio::spawn({
            let second = second.clone();
            async move { second.begin_refresh("amocrm:shop#1").await.unwrap() }
        });
        // Another chain is not held up.
        let other = second.begin_refresh("amocrm:other#2").await.unwrap();
        second.end_refresh("amocrm:other#2", other).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "the turn is still held");

        first.end_refresh("amocrm:shop#1", permit).await;
        let next = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the turn is handed on")
            .unwrap();
        second.end_refresh("amocrm:shop#1", next).await;
    }
}
