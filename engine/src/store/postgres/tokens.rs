//! [`ConnectionStore`](crate::store::ConnectionStore) on PostgreSQL: token chains and
//! broken connections (statements and implementation in [`crate::store::connections`]), on
//! the shared pool: every worker reads the tokens the others stored.

use super::PostgresStore;

crate::store::connections::connection_store_on!(PostgresStore, reader: pool, writer: pool);
