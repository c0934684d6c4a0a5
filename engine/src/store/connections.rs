//! Connection state kept beside the queue, behind [`ConnectionStore`] (every [`super::Store`]
//! is one):
//! - the newest OAuth2 tokens of each token chain ([`TokenRecord`]), written whenever a
//!   connection refreshes them, so refreshed tokens survive restarts and every worker
//!   uses the newest (the engine hands them to connectors as their token vault);
//! - connections found broken ([`BrokenConnection`]): credentials refused, so their
//!   bundles' items wait; shown by `ferry connections` and `ferry runs`, and forgotten
//!   once the connection works again.
//!
//! One statement text serves both dialects (`$N` parameters, `ON CONFLICT` upserts), and
//! one implementation ([`connection_store_on`]) serves both backends; `sqlite/tokens.rs`
//! and `postgres/tokens.rs` only say which pools it reads and writes on.

use async_trait::async_trait;
use serde::Serialize;

use super::{StoreError, Timestamp};

/// The newest tokens of one OAuth2 token chain.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The chain: account and a hash of the OAuth2 client id (never a secret).
    pub identity: String,
    /// The access token in use.
    pub access_token: String,
    /// The refresh token that renews it.
    pub refresh_token: Option<String>,
    /// When the access token expires, if the token endpoint said.
    pub expires_at: Option<Timestamp>,
    /// Fingerprints (one-way hashes) of the settings tokens the chain adopted, newest
    /// first.
    pub seeds: Vec<String>,
    /// When this record was written.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("identity", &self.identity)
            .field("access_token", &"[REDACTED]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .field("seeds", &self.seeds)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A connection seen refusing its credentials.
#[derive(Debug, Clone)]
pub struct BrokenMark {
    /// The bundle.
    pub bundle_id: String,
    /// The connection's name in the bundle.
    pub connection: String,
    /// Why (already redacted).
    pub reason: String,
    /// When it was seen.
    pub now: Timestamp,
}

/// A connection marked broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenConnection {
    /// The bundle.
    pub bundle_id: String,
    /// The connection's name in the bundle.
    pub connection: String,
    /// When it was first seen broken (since it last worked).
    pub since: Timestamp,
    /// When it was last seen broken.
    pub last_seen: Timestamp,
    /// The latest reason (redacted).
    pub reason: String,
}

/// Connection state: OAuth2 tokens and broken connections.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// The stored tokens of a token chain.
    async fn load_tokens(&self, identity: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Store (replace) a token chain's tokens.
    async fn save_tokens(&self, tokens: TokenRecord) -> Result<(), StoreError>;

    /// Record that a connection refused its credentials: a new mark starts `since` now; an
    /// existing one keeps its `since` and takes the new reason.
    async fn mark_connection_broken(&self, mark: BrokenMark) -> Result<(), StoreError>;

    /// Forget a connection's broken mark; whether there was one.
    async fn clear_connection_broken(
        &self,
        bundle_id: &str,
        connection: &str,
    ) -> Result<bool, StoreError>;

    /// Every broken connection, oldest mark first.
    async fn broken_connections(&self) -> Result<Vec<BrokenConnection>, StoreError>;
}

/// `$1` identity.
pub(super) const LOAD_TOKENS: &str = "SELECT identity, access_token, refresh_token, expires_at, seeds, updated_at \
     FROM oauth_tokens WHERE identity = $1";

/// `$1` identity … `$6` updated at.
pub(super) const SAVE_TOKENS: &str = "INSERT INTO oauth_tokens \
     (identity, access_token, refresh_token, expires_at, seeds, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (identity) DO UPDATE SET access_token = excluded.access_token, \
     refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, \
     seeds = excluded.seeds, updated_at = excluded.updated_at";

/// `$1` bundle, `$2` connection, `$3` now, `$4` reason.
pub(super) const MARK_BROKEN: &str = "INSERT INTO broken_connections \
     (bundle_id, connection, since, last_seen, reason) VALUES ($1, $2, $3, $3, $4) \
     ON CONFLICT (bundle_id, connection) DO UPDATE SET last_seen = excluded.last_seen, \
     reason = excluded.reason";

/// `$1` bundle, `$2` connection.
pub(super) const CLEAR_BROKEN: &str =
    "DELETE FROM broken_connections WHERE bundle_id = $1 AND connection = $2";

/// Every mark.
pub(super) const LIST_BROKEN: &str = "SELECT bundle_id, connection, since, last_seen, reason \
     FROM broken_connections ORDER BY since, bundle_id, connection";

/// An `oauth_tokens` row as both databases return it.
pub(super) type TokenRow = (String, String, Option<String>, Option<i64>, String, i64);

/// A `broken_connections` row.
pub(super) type BrokenRow = (String, String, i64, i64, String);

/// Decode a token row.
pub(super) fn token_record(row: TokenRow) -> TokenRecord {
    let (identity, access_token, refresh_token, expires_at, seeds, updated_at) = row;
    TokenRecord {
        identity,
        access_token,
        refresh_token,
        expires_at,
        seeds: seeds.split_whitespace().map(str::to_string).collect(),
        updated_at,
    }
}

/// The `seeds` column of a record.
pub(super) fn seeds_text(tokens: &TokenRecord) -> String {
    tokens.seeds.join(" ")
}

/// Decode a broken-connection row.
pub(super) fn broken_connection(row: BrokenRow) -> BrokenConnection {
    let (bundle_id, connection, since, last_seen, reason) = row;
    BrokenConnection {
        bundle_id,
        connection,
        since,
        last_seen,
        reason,
    }
}

/// Implement [`ConnectionStore`] for a backend's store type, reading on its `reader` pool
/// and writing on its `writer` pool (fields of the store). A macro rather than generic
/// code: the two backends' pools, rows and results are different types with the same
/// methods, and the implementation has to sit in the backend's module to reach its pools.
macro_rules! connection_store_on {
    ($store:ty, reader: $reader:ident, writer: $writer:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::connections::ConnectionStore for $store {
            async fn load_tokens(
                &self,
                identity: &str,
            ) -> Result<Option<$crate::store::TokenRecord>, $crate::store::StoreError> {
                use $crate::store::connections as c;
                let row: Option<c::TokenRow> = sqlx::query_as(c::LOAD_TOKENS)
                    .bind(identity)
                    .fetch_optional(&self.$reader)
                    .await?;
                Ok(row.map(c::token_record))
            }

            async fn save_tokens(
                &self,
                tokens: $crate::store::TokenRecord,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::connections as c;
                sqlx::query(c::SAVE_TOKENS)
                    .bind(&tokens.identity)
                    .bind(&tokens.access_token)
                    .bind(&tokens.refresh_token)
                    .bind(tokens.expires_at)
                    .bind(c::seeds_text(&tokens))
                    .bind(tokens.updated_at)
                    .execute(&self.$writer)
                    .await?;
                Ok(())
            }

            async fn mark_connection_broken(
                &self,
                mark: $crate::store::BrokenMark,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::connections::MARK_BROKEN)
                    .bind(&mark.bundle_id)
                    .bind(&mark.connection)
                    .bind(mark.now)
                    .bind(&mark.reason)
                    .execute(&self.$writer)
                    .await?;
                Ok(())
            }

            async fn clear_connection_broken(
                &self,
                bundle_id: &str,
                connection: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query($crate::store::connections::CLEAR_BROKEN)
                    .bind(bundle_id)
                    .bind(connection)
                    .execute(&self.$writer)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn broken_connections(
                &self,
            ) -> Result<Vec<$crate::store::BrokenConnection>, $crate::store::StoreError> {
                use $crate::store::connections as c;
                let rows: Vec<c::BrokenRow> = sqlx::query_as(c::LIST_BROKEN)
                    .fetch_all(&self.$reader)
                    .await?;
                Ok(rows.into_iter().map(c::broken_connection).collect())
            }
        }
    };
}

pub(super) use connection_store_on;
