//! The shared backend: PostgreSQL, for several workers (processes or machines) on one
//! database. Claims lock rows with `FOR UPDATE SKIP LOCKED`, so concurrent workers never
//! take the same item and never wait for each other's rows.

mod rate_limit;
mod store_impl;
mod tokens;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use super::StoreError;
use super::sql::{Dialect, Statements};

pub use rate_limit::{DEFAULT_HEADROOM_PERCENT, PostgresRateLimiter};

/// Connections per engine: enough for the runner's concurrent items plus the poller.
const POOL_SIZE: u32 = 10;

/// How long to wait for a free connection (or to connect) before reporting an error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL store, for several workers on one database: claims lock rows with
/// `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same item. Cloning shares
/// the connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    sql: Statements,
}

impl PostgresStore {
    /// Connect to the database at `url` (`postgres://user:password@host:port/db`). Does not
    /// migrate: call [`Store::migrate`](super::Store::migrate) (or use
    /// [`open_store`](super::open_store), which does).
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        Self::connect_with(options).await
    }

    /// Connect with every table in `schema` (created if missing) instead of the default
    /// search path: isolated databases inside one server, e.g. one per test.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<PostgresStore, StoreError> {
        let valid = !schema.is_empty()
            && !schema.starts_with(|c: char| c.is_ascii_digit())
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!(
                "schema name {schema:?} must be letters, digits and underscores, not starting with a digit"
            )));
        }
        let options: PgConnectOptions = url.parse()?;
        let mut setup = options.connect().await?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&mut setup)
            .await?;
        setup.close().await?;
        Self::connect_with(options.options([("search_path", schema)])).await
    }

    async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(PostgresStore {
            pool,
            sql: Statements::for_dialect(Dialect::Postgres),
        })
    }

    /// Close the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
