//! [`ConnectionStore`] on PostgreSQL: token chains and broken connections (statements in
//! [`crate::store::connections`]), on the shared pool: every worker reads the tokens the
//! others stored.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::connections::{
    self, BrokenConnection, BrokenMark, BrokenRow, ConnectionStore, TokenRecord, TokenRow,
};

#[async_trait]
impl ConnectionStore for PostgresStore {
    async fn load_tokens(&self, identity: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(connections::LOAD_TOKENS)
            .bind(identity)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(connections::token_record))
    }

    async fn save_tokens(&self, tokens: TokenRecord) -> Result<(), StoreError> {
        sqlx::query(connections::SAVE_TOKENS)
            .bind(&tokens.identity)
            .bind(&tokens.access_token)
            .bind(&tokens.refresh_token)
            .bind(tokens.expires_at)
            .bind(connections::seeds_text(&tokens))
            .bind(tokens.updated_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_connection_broken(&self, mark: BrokenMark) -> Result<(), StoreError> {
        sqlx::query(connections::MARK_BROKEN)
            .bind(&mark.bundle_id)
            .bind(&mark.connection)
            .bind(mark.now)
            .bind(&mark.reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_connection_broken(
        &self,
        bundle_id: &str,
        connection: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(connections::CLEAR_BROKEN)
            .bind(bundle_id)
            .bind(connection)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn broken_connections(&self) -> Result<Vec<BrokenConnection>, StoreError> {
        let rows: Vec<BrokenRow> = sqlx::query_as(connections::LIST_BROKEN)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(connections::broken_connection)
            .collect())
    }
}
